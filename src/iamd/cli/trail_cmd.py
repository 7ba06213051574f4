"""``iamd trail``: the audit trail as CloudTrail log files and signed digests, and their check.

- ``iamd trail export DIR``: write the events recorded since the last export as CloudTrail
  writes them to S3 (log files and hourly digest files), continuing the digest chain.
- ``iamd trail verify DIR``: check the chain and every log file (``aws cloudtrail
  validate-logs``); exit status 1 when anything was modified, deleted or inserted.
- ``iamd trail public-keys``: the digest-signing public keys (``aws cloudtrail
  list-public-keys``), or ``--pem`` for ``verify --public-key``.

All three read iamd's database (``--data-dir`` / ``--database-url``), which the running server
may share.  ``verify`` reads it for the keys and each chain's newest digest (so a removed tail
is caught); with ``--public-key`` it runs offline on a copy anywhere, and ``--end-time`` then
catches a removed tail.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def register(commands: Any) -> None:
    trail = commands.add_parser(
        "trail",
        help="export the audit trail as CloudTrail log files with signed digests; verify them",
        description="The audit trail as CloudTrail delivers it to S3, with log file "
        "integrity validation (signed, chained digest files).",
    )
    actions = trail.add_subparsers(dest="trail_command", required=True, metavar="ACTION")

    export = actions.add_parser("export", help="write new events as log files and digests")
    export.add_argument("directory", metavar="DIR", type=Path, help="the bucket's root")
    _trail_name(export)
    export.add_argument(
        "--bucket", help="digestS3Bucket / s3Bucket (default: as last time, or iamd-trail)"
    )
    export.add_argument("--region", default="us-east-1", help="the trail's home region")
    export.add_argument(
        "--delay",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="leave events written in the last SECONDS for the next run (default 5)",
    )
    _store_options(export)
    export.set_defaults(handler=run_export)

    verify = actions.add_parser("verify", help="validate digests and log files (validate-logs)")
    verify.add_argument("directory", metavar="DIR", type=Path)
    verify.add_argument(
        "--public-key",
        action="append",
        type=Path,
        default=[],
        metavar="FILE",
        help="trusted key: PEM, or `iamd trail public-keys` JSON; checks offline "
        "(default: iamd's keys and newest digests, from its database)",
    )
    verify.add_argument(
        "--end-time",
        metavar="TIME",
        help="every chain must reach this time, e.g. 2026-01-08T12:00:00Z (catches a removed tail)",
    )
    verify.add_argument("--verbose", action="store_true", help="list valid files too")
    _trail_name(verify)
    _store_options(verify)
    verify.set_defaults(handler=run_verify)

    keys = actions.add_parser("public-keys", help="the digest-signing public keys")
    keys.add_argument("--pem", action="store_true", help="PEM, for verify --public-key")
    _store_options(keys)
    keys.set_defaults(handler=run_public_keys)


def _trail_name(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--trail", default="iamd", help="the trail's name (default iamd)")


def _store_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path("./iamd-data"),
        help="the server's data directory (master key, and SQLite unless --database-url)",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("IAMD_DATABASE_URL"),
        help="postgresql://... when the server keeps its state in PostgreSQL",
    )


def _fail(message: str, code: int = 2) -> int:
    print(f"iamd trail: {message}", file=sys.stderr)
    return code


def _open_store(args: argparse.Namespace) -> Any:
    """The deployment's store, or ``None`` when there is none at ``--data-dir``."""
    from iamd.store import Store
    from iamd.store.seal import load_master_key

    data_dir: Path = args.data_dir
    has_key = bool(os.environ.get("IAMD_MASTER_KEY") or os.environ.get("IAMD_MASTER_KEY_FILE"))
    has_key = has_key or (data_dir / "master.key").is_file()
    has_db = bool(args.database_url) or (data_dir / "iamd.sqlite3").is_file()
    if not (data_dir.is_dir() and has_key and has_db):
        return None
    return Store.open(args.database_url, data_dir, load_master_key(data_dir))


def run_export(args: argparse.Namespace) -> int:
    from iamd.audit.export import ExportError, export_trail

    store = _open_store(args)
    if store is None:
        return _fail(f"no iamd database in {args.data_dir} (see --data-dir, --database-url)")
    try:
        result = export_trail(
            store,
            args.directory,
            trail=args.trail,
            bucket=args.bucket,
            home_region=args.region,
            delay=args.delay,
        )
    except ExportError as error:
        return _fail(str(error), 1)
    finally:
        store.close()
    end = result.end.strftime("%Y-%m-%dT%H:%M:%SZ")
    if result.up_to_date:
        print(f"iamd: trail {result.trail} is already exported up to {end}")
        return 0
    print(
        f"iamd: trail {result.trail} exported to {args.directory} up to {end}: "
        f"{result.events} events in {len(result.log_files)} log files, "
        f"{len(result.digests)} digest files (bucket {result.bucket})"
    )
    return 0


def _parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def run_verify(args: argparse.Namespace) -> int:
    from iamd.audit.trail_keys import load_public_key_file, public_keys
    from iamd.audit.verify import render, verify_trail
    from iamd.store.repos.trail_state import TrailState

    if not args.directory.is_dir():
        return _fail(f"no directory {args.directory}")
    try:
        end_time = _parse_time(args.end_time) if args.end_time else None
        keys = [k for path in args.public_key for k in load_public_key_file(path.read_text())]
    except (OSError, ValueError) as error:
        return _fail(str(error))
    heads = None
    # With --public-key the check is offline (a copy, anywhere); otherwise iamd's database
    # gives the keys and the newest digest of each chain, which catches a removed tail.
    store = None if keys else _open_store(args)
    if store is not None:
        try:
            keys = [k.public for k in public_keys(store)]
            with store.read() as tx:
                heads = tx.repo(TrailState).chains(args.trail)
        finally:
            store.close()
    if not keys:
        return _fail(
            "no public key: give --public-key FILE (from `iamd trail public-keys`), or "
            "--data-dir / --database-url of the iamd that exported the trail"
        )
    report = verify_trail(args.directory, keys, heads=heads, end_time=end_time)
    out, err = render(report, args.directory, verbose=args.verbose)
    sys.stdout.write(out)
    sys.stderr.write(err)
    return 0 if report.ok else 1


def run_public_keys(args: argparse.Namespace) -> int:
    from iamd.audit.trail_keys import public_keys, signing_key

    store = _open_store(args)
    if store is None:
        return _fail(f"no iamd database in {args.data_dir} (see --data-dir, --database-url)")
    try:
        signing_key(store)  # generated on first use, so the key can be shared before exports
        keys = public_keys(store)
    finally:
        store.close()
    if args.pem:
        sys.stdout.write("".join(k.pem() for k in keys))
    else:
        print(json.dumps({"PublicKeyList": [k.listing() for k in keys]}, indent=4))
    return 0
