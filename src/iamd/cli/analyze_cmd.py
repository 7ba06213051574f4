"""``iamd analyze``: offline analysis of an account exported with
``aws iam get-account-authorization-details``.

Exit status: 0 when no finding is at or above ``--fail-on``, 1 when one is, 2 for a usage
error or a file that cannot be read.  ``--who-can`` lists the principals allowed an action and
exits 0.  The default output is a table on a terminal and JSON otherwise; a progress bar goes
to stderr when it is a terminal and the account is large.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from iamd import __version__
from iamd.analysis.account import Account, ManagedLookup, load_account
from iamd.analysis.analyze import AccountReport, analyze_account
from iamd.analysis.credential_report import CredentialRow, parse_credential_report
from iamd.analysis.errors import AnalysisInputError
from iamd.analysis.findings import Severity
from iamd.analysis.principals import ActionFilter, PolicyLibrary, build_principals
from iamd.analysis.report_formats import (
    to_json,
    to_sarif,
    to_table,
    who_can_json,
    who_can_table,
)
from iamd.analysis.who_can import who_can

FORMATS = ("table", "json", "sarif")
PROGRESS_THRESHOLD = 500
"""Principals above which a terminal gets a progress bar."""


def register(sub: Any) -> None:
    analyze = sub.add_parser(
        "analyze",
        help="analyse an account exported with get-account-authorization-details",
        description="Find admins, privilege-escalation paths, roles others can assume, "
        "over-broad grants and weak credentials in the output of `aws iam "
        "get-account-authorization-details`, offline, with iamd's policy engine.",
    )
    analyze.add_argument("file", type=Path, metavar="FILE", help="the JSON file; - for stdin")
    analyze.add_argument(
        "--credential-report",
        type=Path,
        metavar="CSV",
        help="the decoded CSV of `aws iam get-credential-report` (MFA and access-key checks)",
    )
    analyze.add_argument("--who-can", metavar="ACTION", help="list who is allowed ACTION")
    analyze.add_argument(
        "--resource", default="*", metavar="ARN", help="with --who-can: the resource (default *)"
    )
    analyze.add_argument(
        "--format", choices=FORMATS, help="output format (default: table on a terminal, else json)"
    )
    analyze.add_argument(
        "--fail-on",
        type=str.lower,
        choices=[s.value for s in Severity],
        default=Severity.HIGH.value,
        metavar="SEVERITY",
        help="exit 1 when a finding is at least this severe: critical, high, medium, low, info "
        "(default: %(default)s)",
    )
    analyze.add_argument(
        "--max-depth", type=int, default=6, help="longest escalation path searched (default 6)"
    )
    analyze.add_argument(
        "--stale-days", type=int, default=90, help="access-key age and idle limit (default 90)"
    )
    analyze.add_argument(
        "--trusted-org-id",
        metavar="ORG_ID",
        help="an organization whose accounts are trusted (no cross-account finding for them)",
    )
    analyze.set_defaults(handler=run_analyze)


def _read_text(path: Path) -> str:
    if str(path) == "-":
        return sys.stdin.read()
    return path.read_text(encoding="utf-8-sig")


def _managed_lookup() -> ManagedLookup:
    """AWS managed policy documents from the catalog, loaded on the first miss only."""
    cache: dict[str, str] = {}
    loaded = False

    def lookup(arn: str) -> str | None:
        nonlocal loaded
        if not loaded:
            from iamd.catalog import managed_policies

            found = managed_policies.load()
            if found is not None:
                cache.update({p.arn: p.document for p in found[1]})
            loaded = True
        return cache.get(arn)

    return lookup


class _Bar:
    """A one-line progress bar on a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.width = max(20, min(40, shutil.get_terminal_size().columns - 50))
        self.active = False

    def __call__(self, stage: str, done: int, total: int) -> None:
        filled = self.width * done // max(total, 1)
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r{stage[:28]:<28} [{bar}] {done}/{total}\x1b[K")
        self.stream.flush()
        self.active = True

    def close(self) -> None:
        if self.active:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def _fail(message: str) -> int:
    print(f"iamd analyze: {message}", file=sys.stderr)
    return 2


def _load(args: argparse.Namespace) -> tuple[Account, list[CredentialRow] | None]:
    text = _read_text(args.file)
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise AnalysisInputError(f"{args.file}: not JSON ({exc})") from None
    account = load_account(data, managed=_managed_lookup())
    rows = None
    if args.credential_report is not None:
        rows = parse_credential_report(_read_text(args.credential_report))
    return account, rows


def run_analyze(args: argparse.Namespace) -> int:
    out = sys.stdout
    fmt = args.format or ("table" if out.isatty() else "json")
    if args.who_can and fmt == "sarif":
        return _fail("--who-can prints a table or JSON, not SARIF")
    try:
        account, rows = _load(args)
    except OSError as exc:
        return _fail(f"{exc.filename or args.file}: {exc.strerror or exc}")
    except AnalysisInputError as exc:
        return _fail(exc.message)
    width = shutil.get_terminal_size().columns
    if args.who_can:
        return _who_can(args, account, fmt, out, width)
    bar = _Bar(sys.stderr) if sys.stderr.isatty() else None
    progress: Callable[[str, int, int], None] | None = None
    if bar is not None and account.principal_count > PROGRESS_THRESHOLD:
        progress = bar
    try:
        report: AccountReport = analyze_account(
            account,
            credentials=rows,
            progress=progress,
            max_depth=args.max_depth,
            stale_days=args.stale_days,
            trusted_org_id=args.trusted_org_id,
        )
    finally:
        if bar is not None:
            bar.close()
    if fmt == "json":
        out.write(to_json(report))
    elif fmt == "sarif":
        out.write(to_sarif(report, source=str(args.file), version=__version__))
    else:
        colour = out.isatty() and "NO_COLOR" not in os.environ
        out.write(to_table(report, width=width, colour=colour))
    threshold = Severity(args.fail_on).rank
    return 1 if any(f.severity.rank <= threshold for f in report.findings) else 0


def _who_can(args: argparse.Namespace, account: Account, fmt: str, out: TextIO, width: int) -> int:
    action: str = args.who_can
    if ":" not in action or "*" in action or "?" in action:
        return _fail(f"--who-can needs one action (service:Action), not {action!r}")
    library = PolicyLibrary(ActionFilter([action]))
    principals = build_principals(account, library)
    grantees = who_can(principals, action, args.resource)
    if fmt == "json":
        out.write(who_can_json(action, args.resource, grantees))
    else:
        out.write(who_can_table(action, args.resource, grantees, width))
    for note in [*account.notes, *library.notes]:
        print(f"iamd analyze: note: {note}", file=sys.stderr)
    return 0
