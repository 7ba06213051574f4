"""Entry point of the ``iamd`` command: one sub-command group per module."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from iamd import __version__
from iamd.cli import (
    admin_cmd,
    analyze_cmd,
    container_cmd,
    imds_cmd,
    import_cmd,
    oidc_cmd,
    policy_cmd,
    revoke_cmd,
    serve_cmd,
    trail_cmd,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="iamd",
        description="AWS Identity and Access Management you run yourself.",
    )
    parser.add_argument("--version", action="version", version=f"iamd {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    policy_cmd.register(commands)
    serve_cmd.register(commands)
    imds_cmd.register(commands)
    container_cmd.register(commands)
    revoke_cmd.register(commands)
    oidc_cmd.register(commands)
    admin_cmd.register(commands)
    trail_cmd.register(commands)
    import_cmd.register(commands)
    analyze_cmd.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.handler(args)
    except BrokenPipeError:
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
