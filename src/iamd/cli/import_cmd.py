"""``iamd import FILE``: load a real AWS account's IAM into a running iamd.

FILE is what ``aws iam get-account-authorization-details > FILE`` prints on the AWS account
(``-`` reads standard input).  Everything goes through iamd's IAM API with botocore (boto3's
core), signed with credentials from the usual places (``AWS_ACCESS_KEY_ID``..., ``--profile``),
so it is authorized like any other call and lands in the audit trail.  See :mod:`iamd.importer`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "import",
        help="load `aws iam get-account-authorization-details` output into a running iamd",
        description="Create the users, groups, roles, instance profiles and customer managed "
        "policies of an AWS account (from `aws iam get-account-authorization-details`) in a "
        "running iamd, through its IAM API. Re-running updates what differs and skips the rest.",
    )
    parser.add_argument("file", metavar="FILE", help="the JSON file, or - for standard input")
    parser.add_argument(
        "--endpoint-url", default="http://127.0.0.1:8090", help="the iamd to load into"
    )
    parser.add_argument("--profile", help="the credentials profile")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument(
        "--source-account",
        metavar="ID",
        help="the account the file comes from (default: read from its ARNs)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print what would be done, change nothing"
    )
    parser.set_defaults(handler=run_import)


def _fail(message: str) -> int:
    print(f"iamd import: {message}", file=sys.stderr)
    return 2


def _read(name: str) -> Any:
    text = sys.stdin.read() if name == "-" else Path(name).read_text()
    return json.loads(text)


def _paged(client: Any, operation: str, key: str | None = None) -> dict[str, list[Any]]:
    merged: dict[str, list[Any]] = {}
    for page in client.get_paginator(operation).paginate():
        for name, value in page.items():
            if isinstance(value, list) and (key is None or name == key):
                merged.setdefault(name, []).extend(value)
    return merged


def run_import(args: argparse.Namespace) -> int:
    import botocore.session  # type: ignore[import-untyped]
    from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

    from iamd.importer.apply import apply_plan, error_text
    from iamd.importer.plan import Target, make_plan
    from iamd.importer.source import SourceError, load

    try:
        data = _read(args.file)
    except (OSError, ValueError) as error:
        return _fail(f"cannot read {args.file}: {error}")
    session = botocore.session.Session(profile=args.profile)
    iam = session.create_client("iam", region_name=args.region, endpoint_url=args.endpoint_url)
    sts = session.create_client("sts", region_name=args.region, endpoint_url=args.endpoint_url)
    try:
        account = str(sts.get_caller_identity()["Account"])
        source = load(data, account, args.source_account)
        details = _paged(iam, "get_account_authorization_details")
        profiles = _paged(iam, "list_instance_profiles", "InstanceProfiles")
        target = Target.from_snapshot(account, details, profiles.get("InstanceProfiles", []))
        plans = make_plan(source, target, lambda name: iam.get_role(RoleName=name)["Role"])
    except SourceError as error:
        return _fail(str(error))
    except (ClientError, BotoCoreError) as error:
        return _fail(f"{args.endpoint_url}: {error_text(error)}")
    verb = "would import" if args.dry_run else "importing"
    print(f"iamd import: {verb} account {source.account} into {account} at {args.endpoint_url}")
    summary = apply_plan(iam, plans, dry_run=args.dry_run)
    summary.aws_managed_skipped = len(source.aws_managed)
    print("Summary" + (" (dry run, nothing changed):" if args.dry_run else ":"))
    for line in summary.lines():
        print(line)
    for failure in summary.failures:
        print(f"iamd import: {failure}", file=sys.stderr)
    return 1 if summary.failures else 0
