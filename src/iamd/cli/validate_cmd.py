"""``iamd policy validate``: lint policies with Access Analyzer's issue codes.

Exit status: 0 when no finding is an ERROR, 1 when one is, 2 for a usage error (an unknown
option, or a file that cannot be read).  Text output is coloured only on a terminal, and never
when ``NO_COLOR`` is set.

Policy types are Access Analyzer's ``ValidatePolicy`` names, plus three for the kinds of policy
IAM attaches elsewhere:
https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_ValidatePolicy.html
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any, TextIO

from iamd import __version__
from iamd.policy import PolicyKind
from iamd.validation import validate_policy
from iamd.validation.formats import FileReport, to_json, to_sarif, to_text

POLICY_TYPES: dict[str, PolicyKind] = {
    "IDENTITY_POLICY": PolicyKind.IDENTITY,
    "RESOURCE_POLICY": PolicyKind.RESOURCE,
    "SERVICE_CONTROL_POLICY": PolicyKind.SCP,
    "RESOURCE_CONTROL_POLICY": PolicyKind.RCP,
    "ROLE_TRUST_POLICY": PolicyKind.TRUST,
    "PERMISSIONS_BOUNDARY_POLICY": PolicyKind.BOUNDARY,
    "SESSION_POLICY": PolicyKind.SESSION,
}
FORMATS = ("text", "json", "sarif")


def register(sub: Any) -> None:
    validate = sub.add_parser(
        "validate",
        help="check policies for errors and risky patterns",
        description="Check IAM policy documents the way IAM Access Analyzer's ValidatePolicy "
        "does, offline. Exits 1 when any finding is an ERROR.",
    )
    validate.add_argument(
        "files", nargs="+", type=Path, metavar="FILE", help="policy JSON files; - for stdin"
    )
    validate.add_argument(
        "--format", choices=FORMATS, default="text", help="output format (default: text)"
    )
    validate.add_argument(
        "--policy-type",
        type=str.upper,
        choices=list(POLICY_TYPES),
        default="IDENTITY_POLICY",
        metavar="TYPE",
        help="how the policies are used: " + ", ".join(POLICY_TYPES) + " (default: %(default)s)",
    )
    validate.set_defaults(handler=run_validate)


def _read(path: Path) -> bytes:
    if str(path) == "-":
        return sys.stdin.buffer.read()
    return path.read_bytes()


def _colour(stream: TextIO) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ


def run_validate(args: argparse.Namespace) -> int:
    kind = POLICY_TYPES[args.policy_type]
    reports: list[FileReport] = []
    unreadable = False
    for path in args.files:
        try:
            source = _read(path)
        except OSError as exc:
            print(f"iamd policy validate: {path}: {exc.strerror or exc}", file=sys.stderr)
            unreadable = True
            continue
        findings = validate_policy(source, kind, name=str(path))
        reports.append(FileReport(path=str(path), policy_type=args.policy_type, findings=findings))
    out = sys.stdout
    if args.format == "json":
        out.write(to_json(reports))
    elif args.format == "sarif":
        out.write(to_sarif(reports, version=__version__))
    else:
        out.write(to_text(reports, colour=_colour(out)))
    if unreadable:
        return 2
    return 1 if any(f.is_error for r in reports for f in r.findings) else 0
