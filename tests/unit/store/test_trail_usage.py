"""Last uses folded from the audit trail as events are written, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from iamd.audit import events as audit
from iamd.errors import AccessDenied, SignatureDoesNotMatch
from iamd.services.caller import Caller
from iamd.store import Store
from iamd.store.repos.audit_events import AuditEvents
from iamd.store.repos.trail_usage import ANY, TrailUsage, facts_of
from iamd.store.schema import trail_usage

ACCOUNT = "111122223333"
T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def user_caller(user_id: str = "AIDAUSER", key: str = "AKIAUSERKEY00000001") -> Caller:
    return Caller(
        kind="IAMUser",
        arn=f"arn:aws:iam::{ACCOUNT}:user/alice",
        account_id=ACCOUNT,
        principal_id=user_id,
        name="alice",
        access_key_id=key,
        user_id=user_id,
    )


def role_caller(role_id: str = "AROAROLE") -> Caller:
    return Caller(
        kind="AssumedRole",
        arn=f"arn:aws:sts::{ACCOUNT}:assumed-role/deploy/s1",
        account_id=ACCOUNT,
        principal_id=f"{role_id}:s1",
        name="s1",
        access_key_id="ASIASESSION00000001",
        role_id=role_id,
        role_arn=f"arn:aws:iam::{ACCOUNT}:role/deploy",
        token_issue_time="2026-01-02T03:00:00Z",
        mfa_authenticated=False,
    )


def event(
    caller: Caller,
    when: datetime,
    service: str = "iam",
    operation: str = "GetUser",
    region: str = "us-east-1",
    error: Any = None,
) -> dict[str, Any]:
    return audit.build(
        service=service,
        operation=operation,
        identity=audit.user_identity(caller),
        account_id=ACCOUNT,
        region=region,
        source_ip="127.0.0.1",
        user_agent="test",
        request_id="r",
        error=error,
        now=when,
    )


def test_a_user_call_counts_for_its_key_and_for_the_user_at_every_scope() -> None:
    facts = facts_of(event(user_caller(), T0, "ec2", "DescribeInstances", "eu-west-1"))
    subjects = {(f[1], f[2]) for f in facts}
    assert subjects == {
        ("key:AKIAUSERKEY00000001", ANY),
        ("user:AIDAUSER", ANY),
        ("user:AIDAUSER", "ec2"),
        ("user:AIDAUSER", "ec2:DescribeInstances"),
    }
    assert {f[4] for f in facts} == {"eu-west-1"}


def test_a_role_session_counts_for_the_role_not_its_session_key() -> None:
    facts = facts_of(event(role_caller(), T0, "sts", "GetCallerIdentity"))
    assert {(f[1], f[2]) for f in facts} == {
        ("role:AROAROLE", ANY),
        ("role:AROAROLE", "sts"),
        ("role:AROAROLE", "sts:GetCallerIdentity"),
    }


def test_denied_calls_count_but_failed_authentication_does_not() -> None:
    """AWS: "includes all attempts to access an AWS API, not just the successful ones", but
    "The data does not include unauthenticated attempts".
    https://docs.aws.amazon.com/IAM/latest/APIReference/API_GenerateServiceLastAccessedDetails.html
    https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_access-advisor.html"""
    denied = event(user_caller(), T0, error=AccessDenied("no"))
    forged = event(user_caller(), T0, error=SignatureDoesNotMatch("bad"))
    assert facts_of(denied)
    assert facts_of(forged) == []


def test_console_sign_ins_count_only_when_they_succeed() -> None:
    caller = user_caller(key="")
    good = event(caller, T0, "signin", "ConsoleLogin")
    good["responseElements"] = {"ConsoleLogin": "Success"}
    bad = event(caller, T0, "signin", "ConsoleLogin")
    bad["responseElements"] = {"ConsoleLogin": "Failure"}
    bad["errorMessage"] = "Failed authentication"
    assert ("login:AIDAUSER", ANY) in {(f[1], f[2]) for f in facts_of(good)}
    assert facts_of(bad) == []


def test_writing_events_keeps_the_latest_use_per_subject(store: Store) -> None:
    caller = user_caller()
    with store.write() as tx:
        tx.repo(AuditEvents).insert_many(
            [
                event(caller, T0, "iam", "GetUser", "us-east-1"),
                event(caller, T0 + timedelta(minutes=5), "s3", "ListBuckets", "eu-west-1"),
            ]
        )
    with store.write() as tx:  # an older event arriving late moves nothing back
        tx.repo(AuditEvents).insert_many([event(caller, T0 - timedelta(hours=1), "sts")])
    with store.read() as tx:
        usage = tx.repo(TrailUsage)
        last = usage.get(ACCOUNT, "key:AKIAUSERKEY00000001")
        assert last is not None
        assert (last.last_time, last.service, last.region) == (
            T0 + timedelta(minutes=5),
            "s3",
            "eu-west-1",
        )
        iam = usage.get(ACCOUNT, "user:AIDAUSER", "iam")
        assert iam is not None and iam.last_time == T0
        assert set(usage.by_prefix(ACCOUNT, "key:")) == {"AKIAUSERKEY00000001"}


def test_rebuilding_from_the_trail_gives_the_same_answers(store: Store) -> None:
    events = [
        event(user_caller(), T0 + timedelta(seconds=i), "iam", f"Op{i % 3}") for i in range(30)
    ] + [event(role_caller(), T0 + timedelta(seconds=7), "sts", "GetCallerIdentity", "eu-west-2")]
    with store.write() as tx:
        tx.repo(AuditEvents).insert_many(events)
    with store.read() as tx:
        folded = sorted(tuple(r) for r in tx.conn.execute(trail_usage.select()).all())
    with store.write() as tx:
        tx.conn.execute(trail_usage.delete())
        assert tx.repo(TrailUsage).rebuild(chunk=7) == len(events)
    with store.read() as tx:
        rebuilt = sorted(tuple(r) for r in tx.conn.execute(trail_usage.select()).all())
    assert rebuilt == folded
    assert len(folded) == 1 + 5 + 3  # key; user: *, iam, 3 actions; role: *, sts, 1 action


def test_a_region_the_client_made_up_never_loses_the_events(store: Store) -> None:
    """The region comes from the request's credential scope, whatever the client signed."""
    odd = event(user_caller(), T0, region="x" * 300 + "\x00")
    with store.write() as tx:
        assert tx.repo(AuditEvents).insert_many([odd]) == 1
    with store.read() as tx:
        assert tx.repo(AuditEvents).count() == 1
        used = tx.repo(TrailUsage).get(ACCOUNT, "key:AKIAUSERKEY00000001")
    assert used is not None and used.region == "x" * 64


def test_a_web_identity_session_counts_for_its_role() -> None:
    """Whatever the session's identity type, its issuer names the role that was used."""
    caller = replace(role_caller(), kind="WebIdentityUser")
    facts = facts_of(event(caller, T0, "sts", "GetCallerIdentity"))
    assert ("role:AROAROLE", ANY) in {(f[1], f[2]) for f in facts}
