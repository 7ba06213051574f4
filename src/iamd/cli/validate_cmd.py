"""``iamd policy validate``: lint policies with Access Analyzer's issue codes."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    validate = sub.add_parser("validate", help="check policies for errors and risky patterns")
    validate.add_argument("files", nargs="+", type=Path, metavar="FILE")
    validate.set_defaults(handler=run_validate)


def run_validate(args: argparse.Namespace) -> int:
    raise NotImplementedError("iamd policy validate is being written")
