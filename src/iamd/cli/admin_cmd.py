"""``iamd admin set-root-password``: set the root user's console password.

Writes the hash straight into iamd's database (the server need not be running; a running one
sees it on the next sign-in, which reads the database).  The password comes from a prompt, or
from standard input with ``--stdin`` (for scripts), never from the command line, where other
users could read it in the process list.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import Any


def register(commands: Any) -> None:
    admin = commands.add_parser("admin", help="administer an iamd installation")
    actions = admin.add_subparsers(dest="admin_command", required=True, metavar="ACTION")
    root = actions.add_parser(
        "set-root-password",
        help="set the root user's console password",
        description="Set the password the root user signs in to the console at /console with.",
    )
    root.add_argument(
        "--data-dir",
        type=Path,
        default=Path("./iamd-data"),
        help="the server's data directory (master key, and SQLite unless --database-url)",
    )
    root.add_argument(
        "--database-url",
        default=os.environ.get("IAMD_DATABASE_URL"),
        help="postgresql://... when the server keeps its state in PostgreSQL",
    )
    root.add_argument("--stdin", action="store_true", help="read the password from standard input")
    root.set_defaults(handler=run_set_root_password)


def _fail(message: str) -> int:
    print(f"iamd admin set-root-password: {message}", file=sys.stderr)
    return 1


def _read_password(from_stdin: bool) -> str | None:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("New root password: ")
    if getpass.getpass("Retype it: ") != first:
        return None
    return first


def run_set_root_password(args: argparse.Namespace) -> int:
    from iamd.console.root_password import check, set_root_password
    from iamd.errors import AWSError
    from iamd.store import Store
    from iamd.store.seal import load_master_key

    data_dir: Path = args.data_dir
    if not data_dir.is_dir():
        return _fail(f"no iamd data directory at {data_dir} (see --data-dir)")
    if not args.database_url and not (data_dir / "iamd.sqlite3").exists():
        return _fail(f"no iamd database in {data_dir} (see --database-url)")
    password = _read_password(args.stdin)
    if password is None:
        return _fail("the passwords do not match")
    try:
        check(password)
    except AWSError as error:
        return _fail(error.message)
    store = Store.open(args.database_url, data_dir, load_master_key(data_dir))
    try:
        with store.write() as tx:
            account = tx.accounts.first()
            if account is None:
                return _fail("the database has no account yet: start iamd once first")
            set_root_password(tx, account.account_id, password)
    finally:
        store.close()
    print(f"iamd: root password set for account {account.account_id}")
    return 0
