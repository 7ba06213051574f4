"""``iamd revoke-sessions ROLE``: deny every session of a role issued before now.

What the IAM console's "Revoke active sessions" does: put the inline policy
``AWSRevokeOlderSessions`` on the role, denying every action on every resource when
``aws:TokenIssueTime`` is before the moment of revocation.  Sessions issued earlier are refused
on their next call; sessions issued later, and the role's own permissions otherwise, are
untouched.  Running it again moves the time forward.

Two ways to reach the role:

- ``--data-dir`` / ``--database-url``: write to iamd's database directly (the server need not be
  running).  Every running iamd process learns of the change through the change feed, within
  its poll interval (a second by default).
- ``--endpoint-url``: call ``PutRolePolicy`` on a running iamd with credentials from the usual
  places (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, ``--profile``); the server that answers
  applies it at once.  The caller needs ``iam:PutRolePolicy`` on the role, as in AWS.

``aws:TokenIssueTime`` has whole seconds, so a session issued in the same second as the
revocation counts as older and is refused too (it fails closed; a new session a second later
works).  AWS's console now also revokes sessions issued up to about 30 seconds *after* the click,
for its own propagation delay; ``--grace SECONDS`` does the same where a deployment wants it.

https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_revoke-sessions.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_disable-perms.html
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

POLICY_NAME = "AWSRevokeOlderSessions"


def register(commands: Any) -> None:
    revoke = commands.add_parser(
        "revoke-sessions",
        help="deny every session of a role issued before now (AWSRevokeOlderSessions)",
        description="Put AWS's AWSRevokeOlderSessions inline policy on a role: sessions "
        "issued before now are denied everything; later ones are not affected.",
    )
    revoke.add_argument("role", metavar="ROLE", help="the role's name or ARN")
    revoke.add_argument(
        "--data-dir",
        type=Path,
        default=Path("./iamd-data"),
        help="the server's data directory (master key, and SQLite unless --database-url)",
    )
    revoke.add_argument(
        "--database-url",
        default=os.environ.get("IAMD_DATABASE_URL"),
        help="postgresql://... when the server keeps its state in PostgreSQL",
    )
    revoke.add_argument(
        "--endpoint-url",
        help="call PutRolePolicy on this running iamd instead of writing to its database",
    )
    revoke.add_argument("--profile", help="with --endpoint-url: the credentials profile")
    revoke.add_argument("--region", default="us-east-1", help="with --endpoint-url")
    revoke.add_argument(
        "--grace",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="also revoke sessions issued up to this many seconds from now (default 0)",
    )
    revoke.set_defaults(handler=run_revoke)


def revoke_policy(before: datetime) -> str:
    """AWS's AWSRevokeOlderSessions document, with ``before`` as the policy creation time."""
    moment = before.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Action": ["*"],
                "Resource": ["*"],
                "Condition": {"DateLessThan": {"aws:TokenIssueTime": moment}},
            }
        ],
    }
    return json.dumps(document, indent=4)


def _role_name(role: str) -> str:
    """The name from a name or an ARN (``arn:aws:iam::ACCOUNT:role/path/name``)."""
    return role.rsplit("/", 1)[-1] if role.startswith("arn:") else role


def _fail(message: str) -> int:
    print(f"iamd revoke-sessions: {message}", file=sys.stderr)
    return 1


def run_revoke(args: argparse.Namespace) -> int:
    if args.grace < 0:
        return _fail("--grace cannot be negative")
    before = datetime.now(UTC) + timedelta(seconds=args.grace)
    document = revoke_policy(before)
    name = _role_name(args.role)
    if args.endpoint_url:
        result = _through_endpoint(args, name, document)
    else:
        result = _in_database(args, name, document)
    if isinstance(result, int):
        return result
    moment = json.loads(document)["Statement"][0]["Condition"]["DateLessThan"]
    print(
        f"iamd: sessions of {result} issued before {moment['aws:TokenIssueTime']} are denied "
        f"(inline policy {POLICY_NAME})"
    )
    return 0


def _through_endpoint(args: argparse.Namespace, name: str, document: str) -> str | int:
    import botocore.session  # type: ignore[import-untyped]
    from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

    session = botocore.session.Session(profile=args.profile)
    iam = session.create_client("iam", region_name=args.region, endpoint_url=args.endpoint_url)
    try:
        iam.put_role_policy(RoleName=name, PolicyName=POLICY_NAME, PolicyDocument=document)
        arn: str = iam.get_role(RoleName=name)["Role"]["Arn"]
    except ClientError as exc:
        error = exc.response.get("Error", {})
        return _fail(f"{error.get('Code')}: {error.get('Message')}")
    except BotoCoreError as exc:
        return _fail(str(exc))
    return arn


def _in_database(args: argparse.Namespace, name: str, document: str) -> str | int:
    from iamd.store import Store
    from iamd.store.seal import load_master_key

    data_dir: Path = args.data_dir
    if not data_dir.is_dir():
        return _fail(f"no iamd data directory at {data_dir} (see --data-dir, --endpoint-url)")
    if not args.database_url and not (data_dir / "iamd.sqlite3").exists():
        return _fail(f"no iamd database in {data_dir} (see --database-url, --endpoint-url)")
    store = Store.open(args.database_url, data_dir, load_master_key(data_dir))
    try:
        with store.write() as tx:
            account = tx.accounts.first()
            role = tx.roles.get(account.account_id, name) if account else None
            if role is None:
                return _fail(f"The role with name {name} cannot be found.")
            if role.service_linked:
                # "You cannot revoke the session for a service-linked role."
                return _fail(
                    f"Cannot perform the operation on the protected role '{role.name}' - this "
                    "role is only modifiable by AWS"
                )
            tx.policies.put_inline("role", role.id, POLICY_NAME, document)
            tx.changes.record("role", role.id)
            return role.arn
    finally:
        store.close()
