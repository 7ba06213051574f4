"""The credential report: AWS's columns and values per case, and its job's state machine.

Columns and values: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html
Errors: https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetCredentialReport.html
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from iamd.audit import events as audit
from iamd.errors import AWSError
from iamd.services.caller import Caller
from iamd.services.iam.credential_csv import COLUMNS
from iamd.services.iam.credential_report import STARTED, fetch, generate
from iamd.store import Store
from iamd.store.records import User
from iamd.store.repos.audit_events import AuditEvents
from iamd.store.repos.login_profiles import LoginProfiles
from iamd.store.repos.mfa_devices import MfaDevices
from iamd.store.repos.user_credentials import SigningCertificates
from support import postgres as pg
from support.stores import opened_store

ACCOUNT = "111122223333"
T0 = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    with opened_store(request.param, tmp_path) as opened:
        with opened.write() as tx:
            tx.accounts.create(ACCOUNT)
        yield opened


def run_now(work: Callable[[], None]) -> None:
    work()


def never_run(work: Callable[[], None]) -> None:
    """A builder that has not finished yet (the job stays INPROGRESS)."""


def report(store: Store, now: datetime = T0) -> list[dict[str, str]]:
    state, _ = generate(store, ACCOUNT, now, run=run_now)
    assert state in (STARTED, "COMPLETE")
    content, _ = fetch(store, ACCOUNT, now)
    rows = list(csv.reader(io.StringIO(content)))
    assert tuple(rows[0]) == COLUMNS
    return [dict(zip(COLUMNS, row, strict=True)) for row in rows[1:]]


def by_user(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {row["user"]: row for row in rows}


def record(store: Store, *events: dict[str, Any]) -> None:
    with store.write() as tx:
        tx.repo(AuditEvents).insert_many(list(events))


def call_event(
    user: User | None, key: str, when: datetime, service: str, region: str = "us-east-1"
) -> dict[str, Any]:
    if user is None:
        caller = Caller("Root", f"arn:aws:iam::{ACCOUNT}:root", ACCOUNT, ACCOUNT, "", key)
    else:
        caller = Caller("IAMUser", user.arn, ACCOUNT, user.id, user.name, key, user_id=user.id)
    return audit.build(
        service=service,
        operation="DoSomething",
        identity=audit.user_identity(caller),
        account_id=ACCOUNT,
        region=region,
        source_ip="127.0.0.1",
        user_agent="test",
        request_id="r",
        now=when,
    )


def sign_in(user: User, when: datetime, success: bool = True) -> dict[str, Any]:
    caller = Caller("IAMUser", user.arn, ACCOUNT, user.id, user.name, "", user_id=user.id)
    event = audit.build(
        service="signin",
        operation="ConsoleLogin",
        identity=audit.user_identity(caller),
        account_id=ACCOUNT,
        region="us-east-1",
        source_ip="127.0.0.1",
        user_agent="test",
        request_id="r",
        now=when,
    )
    event["eventType"] = "AwsConsoleSignIn"
    event["responseElements"] = {"ConsoleLogin": "Success" if success else "Failure"}
    if not success:
        event["errorMessage"] = "Failed authentication"
    return event


def iso(value: datetime) -> str:
    return value.astimezone(UTC).replace(microsecond=0).isoformat()


def test_root_row_comes_first_with_not_supported_where_aws_puts_it(store: Store) -> None:
    rows = report(store)
    root = rows[0]
    assert root["user"] == "<root_account>"
    assert root["arn"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert root["password_enabled"] == "not_supported"
    assert root["password_last_changed"] == "not_supported"
    assert root["password_next_rotation"] == "not_supported"
    assert root["password_last_used"] == "no_information"
    assert root["access_key_1_active"] == "false"
    assert root["access_key_1_last_rotated"] == "N/A"


def test_user_without_password_or_keys(store: Store) -> None:
    with store.write() as tx:
        user = tx.users.create(ACCOUNT, "bare")
    row = by_user(report(store))["bare"]
    assert row["arn"] == user.arn
    assert row["user_creation_time"] == iso(user.create_date)
    assert row["user_creation_time"].endswith("+00:00")
    assert [row[c] for c in COLUMNS[3:8]] == ["false", "N/A", "N/A", "N/A", "false"]
    assert [row[c] for c in COLUMNS[8:18]] == ["false", "N/A", "N/A", "N/A", "N/A"] * 2
    assert [row[c] for c in COLUMNS[18:]] == ["false", "N/A", "false", "N/A"]


def test_password_never_used_then_used_and_rotation_from_max_password_age(store: Store) -> None:
    with store.write() as tx:
        tx.accounts.update(ACCOUNT, password_policy=json.dumps({"MaxPasswordAge": 90}))
        idle = tx.users.create(ACCOUNT, "idle")
        active = tx.users.create(ACCOUNT, "active")
        tx.repo(LoginProfiles).create(idle.id, "hash", False)
        profile = tx.repo(LoginProfiles).create(active.id, "hash", False)
    record(store, sign_in(active, T0 - timedelta(days=1)))
    record(store, sign_in(active, T0 - timedelta(hours=1), success=False))  # a wrong password
    rows = by_user(report(store))
    changed = profile.password_changed or profile.create_date
    assert rows["idle"]["password_enabled"] == "true"
    assert rows["idle"]["password_last_used"] == "no_information"
    assert rows["active"]["password_last_used"] == iso(T0 - timedelta(days=1))
    assert rows["active"]["password_last_changed"] == iso(changed)
    assert rows["active"]["password_next_rotation"] == iso(changed + timedelta(days=90))


def test_two_keys_one_unused_and_regions_of_global_services(store: Store) -> None:
    with store.write() as tx:
        user = tx.users.create(ACCOUNT, "keys")
        created = [tx.access_keys.create(ACCOUNT, user.id) for _ in range(2)]
        # Keys are numbered in creation order (the id breaks a tie within one second).
        first, second = sorted(created, key=lambda k: (k.create_date, k.id))
        tx.access_keys.set_status(second.id, "Inactive")
        root_key = tx.access_keys.create(ACCOUNT, None)
    record(
        store,
        call_event(user, first.id, T0 - timedelta(hours=2), "ec2", "eu-west-1"),
        call_event(user, first.id, T0 - timedelta(hours=1), "ec2", "us-west-2"),
        call_event(None, root_key.id, T0 - timedelta(minutes=3), "iam"),
    )
    rows = report(store)
    row = by_user(rows)["keys"]
    assert row["access_key_1_active"] == "true"
    assert row["access_key_1_last_rotated"] == iso(first.create_date)
    assert row["access_key_1_last_used_date"] == iso(T0 - timedelta(hours=1))
    assert row["access_key_1_last_used_region"] == "us-west-2"
    assert row["access_key_1_last_used_service"] == "ec2"
    assert row["access_key_2_active"] == "false"
    assert row["access_key_2_last_rotated"] == iso(second.create_date)
    assert [row[f"access_key_2_last_used_{c}"] for c in ("date", "region", "service")] == [
        "N/A"
    ] * 3
    root = rows[0]
    assert root["access_key_1_active"] == "true"
    assert root["access_key_1_last_used_service"] == "iam"
    assert root["access_key_1_last_used_region"] == "N/A"  # IAM is not region-specific


def test_mfa_and_signing_certificates(store: Store) -> None:
    with store.write() as tx:
        user = tx.users.create(ACCOUNT, "careful")
        device = tx.repo(MfaDevices).create(ACCOUNT, "careful", "/", "JBSWY3DPEHPK3PXP")
        tx.repo(MfaDevices).enable(device.serial, user.id, 0)
        certs = tx.repo(SigningCertificates)
        cert1 = certs.create("CERT1", ACCOUNT, user.id, "body1")
        cert2 = certs.create("CERT2", ACCOUNT, user.id, "body2")
        certs.set_status(cert2.id, "Inactive")
        tx.repo(MfaDevices).create(ACCOUNT, "spare", "/", "JBSWY3DPEHPK3PXP")  # not enabled
        tx.users.create(ACCOUNT, "other")
    rows = by_user(report(store))
    row = rows["careful"]
    assert row["mfa_active"] == "true"
    assert row["cert_1_active"] == "true"
    assert row["cert_1_last_rotated"] == iso(cert1.upload_date)
    assert row["cert_2_active"] == "false"
    assert row["cert_2_last_rotated"] == iso(cert2.upload_date)
    assert rows["other"]["mfa_active"] == "false"


def test_job_states_and_four_hour_reuse(store: Store) -> None:
    with pytest.raises(AWSError) as absent:
        fetch(store, ACCOUNT, T0)
    assert (absent.value.code, absent.value.status) == ("ReportNotPresent", 410)

    assert generate(store, ACCOUNT, T0, run=never_run)[0] == STARTED
    assert generate(store, ACCOUNT, T0 + timedelta(seconds=5), run=never_run)[0] == "INPROGRESS"
    with pytest.raises(AWSError) as busy:
        fetch(store, ACCOUNT, T0)
    assert (busy.value.code, busy.value.status) == ("ReportInProgress", 404)

    # The first builder died: after a while a new Generate takes the job over.
    later = T0 + timedelta(hours=1)
    assert generate(store, ACCOUNT, later, run=run_now)[0] == STARTED
    content, generated = fetch(store, ACCOUNT, later)
    assert generated == later and content.startswith("user,arn,")

    with store.write() as tx:
        tx.users.create(ACCOUNT, "newcomer")
    reused = later + timedelta(hours=3, minutes=59)
    assert generate(store, ACCOUNT, reused, run=run_now)[0] == "COMPLETE"
    assert "newcomer" not in fetch(store, ACCOUNT, reused)[0]  # the same report, not rebuilt

    expired = later + timedelta(hours=4)
    with pytest.raises(AWSError) as old:
        fetch(store, ACCOUNT, expired)
    assert (old.value.code, old.value.status) == ("ReportExpired", 410)
    state, description = generate(store, ACCOUNT, expired, run=run_now)
    assert state == STARTED and description
    assert "newcomer" in fetch(store, ACCOUNT, expired)[0]


def test_processes_sharing_postgresql_agree_on_the_job(tmp_path: Path) -> None:
    """The job is a database row: a second process sees the first one's generation."""
    with pg.schema_url() as url:
        first = Store.open(url, tmp_path / "a", bytes(range(32)))
        second = Store.open(url, tmp_path / "b", bytes(range(32)))
        try:
            with first.write() as tx:
                tx.accounts.create(ACCOUNT)
            assert generate(first, ACCOUNT, T0, run=never_run)[0] == STARTED
            assert generate(second, ACCOUNT, T0, run=run_now)[0] == "INPROGRESS"
            with pytest.raises(AWSError) as busy:
                fetch(second, ACCOUNT, T0)
            assert busy.value.code == "ReportInProgress"
            later = T0 + timedelta(hours=1)  # the first process died mid-build
            assert generate(second, ACCOUNT, later, run=run_now)[0] == STARTED
            assert fetch(first, ACCOUNT, later)[1] == later
        finally:
            first.close()
            second.close()
