"""Credential report: iamd for 100,000 users against moto, side by side in one run.

iamd: the users (a key each, a second key for every third, a password for every fourth, MFA
for every tenth) are bulk-loaded through the store's ``BulkLoad`` repository, and half the
keys and a fifth of the passwords get a use in the audit trail (written through
``AuditEvents``, which folds last uses as it writes).  Then Generate -> COMPLETE -> Get is
timed exactly as a client drives it: GenerateCredentialReport's handler logic starts the
background build, GetCredentialReport is polled until it stops answering ReportInProgress.
Each round is four hours apart on an injected clock, so each one builds a fresh report.

moto: as many users as it creates in reasonable time (``--moto-users``, each with a key),
through boto3 under ``mock_aws``, then generate_credential_report until COMPLETE and
get_credential_report.

    python bench/credential_report.py [--users 100000] [--moto-users 2000] [--rounds 3]
                                      [--database-url postgresql://...] [--json]

With --database-url the benchmark writes 100,000 users into that database: give it a
throwaway one.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from iamd.audit import events as audit
from iamd.errors import AWSError
from iamd.services.caller import Caller
from iamd.services.iam.credential_report import fetch, generate
from iamd.store import Store
from iamd.store.repos.audit_events import AuditEvents
from iamd.store.repos.bulk_load import BulkLoad, NewUser

ACCOUNT = "111122223333"
CHUNK = 5000
SERVICES = (("iam", "us-east-1"), ("s3", "eu-west-1"), ("ec2", "us-west-2"), ("sts", "eu-west-2"))


def seed(store: Store, count: int, when: datetime) -> tuple[int, int]:
    """Users and trail events; returns (access keys, events)."""
    keys = events = 0
    with store.write() as tx:
        if tx.accounts.get(ACCOUNT) is None:
            tx.accounts.create(ACCOUNT)
    for start in range(0, count, CHUNK):
        wanted = [
            NewUser(
                name=f"user{i:07d}",
                password_hash="scrypt$bench" if i % 4 == 0 else None,
                keys=2 if i % 3 == 0 else 1,
                mfa=i % 10 == 0,
            )
            for i in range(start, min(count, start + CHUNK))
        ]
        with store.write() as tx:
            created = tx.repo(BulkLoad).users(ACCOUNT, wanted, when)
        batch = []
        for offset, (user_id, key_ids) in enumerate(created):
            i = start + offset
            keys += len(key_ids)
            name = wanted[offset].name
            arn = f"arn:aws:iam::{ACCOUNT}:user/{name}"
            if i % 2 == 0:
                service, region = SERVICES[i % len(SERVICES)]
                caller = Caller("IAMUser", arn, ACCOUNT, user_id, name, key_ids[0], user_id=user_id)
                batch.append(_event(caller, service, "Call", region, when + timedelta(seconds=i)))
            if i % 20 == 0:
                caller = Caller("IAMUser", arn, ACCOUNT, user_id, name, "", user_id=user_id)
                login = _event(caller, "signin", "ConsoleLogin", "us-east-1", when)
                login["responseElements"] = {"ConsoleLogin": "Success"}
                batch.append(login)
        with store.write() as tx:
            events += tx.repo(AuditEvents).insert_many(batch)
    return keys, events


def _event(caller: Caller, service: str, name: str, region: str, when: datetime) -> dict[str, Any]:
    return audit.build(
        service=service,
        operation=name,
        identity=audit.user_identity(caller),
        account_id=ACCOUNT,
        region=region,
        source_ip="127.0.0.1",
        user_agent="bench",
        request_id=str(uuid.uuid4()),
        now=when,
    )


def time_iamd(store: Store, rounds: int, first: datetime) -> tuple[list[float], list[float], int]:
    """Wall-clock and CPU seconds (this process, all threads) per round, and the CSV size."""
    seconds, cpu = [], []
    size = 0
    for index in range(rounds):
        now = first + timedelta(hours=4 * (index + 1))
        started, cpu_started = time.perf_counter(), time.process_time()
        state, _ = generate(store, ACCOUNT, now)
        assert state == "STARTED", state
        while True:
            try:
                content, _ = fetch(store, ACCOUNT, now)
                break
            except AWSError as error:
                if error.code != "ReportInProgress":
                    raise
                time.sleep(0.05)
        seconds.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
        size = len(content)
    return seconds, cpu, size


def time_moto(count: int) -> tuple[float, float, float, int]:
    """Seconds to create the users; wall-clock and CPU seconds for Generate -> COMPLETE ->
    Get; report rows."""
    import boto3
    from moto import mock_aws

    with mock_aws():
        iam = boto3.client(
            "iam",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        started = time.perf_counter()
        for i in range(count):
            iam.create_user(UserName=f"user{i:07d}")
            iam.create_access_key(UserName=f"user{i:07d}")
        created = time.perf_counter() - started
        started, cpu_started = time.perf_counter(), time.process_time()
        while iam.generate_credential_report()["State"] != "COMPLETE":
            time.sleep(0.01)
        content = iam.get_credential_report()["Content"]
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    return created, elapsed, cpu, len(content.decode().splitlines()) - 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--moto-users", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as data_dir:
        store = Store.open(args.database_url, Path(data_dir), bytes(range(32)))
        when = datetime(2026, 1, 1, tzinfo=UTC)
        started = time.perf_counter()
        keys, events = seed(store, args.users, when)
        seeded = time.perf_counter() - started
        seconds, cpu, size = time_iamd(store, args.rounds, when)
        store.close()
    iamd_median = statistics.median(seconds)
    moto_create, moto_seconds, moto_cpu, moto_rows = time_moto(args.moto_users)

    iamd_rate = args.users / iamd_median
    moto_rate = moto_rows / moto_seconds
    result = {
        "iamd": {
            "users": args.users,
            "access_keys": keys,
            "trail_events": events,
            "seed_seconds": round(seeded, 2),
            "report_seconds": [round(s, 3) for s in seconds],
            "report_seconds_median": round(iamd_median, 3),
            "report_cpu_seconds_median": round(statistics.median(cpu), 3),
            "report_bytes": size,
            "users_per_second": round(iamd_rate),
            "database": "postgresql" if args.database_url else "sqlite",
        },
        "moto": {
            "users": moto_rows,
            "create_seconds": round(moto_create, 2),
            "report_seconds": round(moto_seconds, 3),
            "report_cpu_seconds": round(moto_cpu, 3),
            "users_per_second": round(moto_rate),
        },
        "ratio": round(iamd_rate / moto_rate, 1),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    i, m = result["iamd"], result["moto"]
    print(
        f"iamd ({i['database']}): {i['users']:,} users, {i['access_keys']:,} keys, "
        f"{i['trail_events']:,} trail events (seeded in {i['seed_seconds']} s)"
    )
    print(
        f"  Generate -> COMPLETE -> Get: median {i['report_seconds_median']} s of "
        f"{i['report_seconds']} (CPU {i['report_cpu_seconds_median']} s; "
        f"{i['report_bytes'] / 1e6:.1f} MB CSV), "
        f"{i['users_per_second']:,} users/s"
    )
    print(
        f"moto: {m['users']:,} users (created in {m['create_seconds']} s), report in "
        f"{m['report_seconds']} s (CPU {m['report_cpu_seconds']} s), "
        f"{m['users_per_second']:,} users/s"
    )
    print(f"iamd/moto per-user rate: {result['ratio']}x")


if __name__ == "__main__":
    main()
