"""LookupEvents' reads over the audit trail, on SQLite and PostgreSQL: attribute filters, the
resources index, newest-first keyset pages, and pruning taking the index rows along."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select

from iamd.audit import events as audit
from iamd.store import Store
from iamd.store.repos.audit_events import AuditEvents
from iamd.store.repos.audit_lookup import AuditLookup, Lookup
from iamd.store.schema import audit_event_resources, audit_events

ACCOUNT = "111122223333"
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def event(name: str, second: int, params: dict[str, Any], account: str = ACCOUNT) -> Any:
    return audit.build(
        service="iam",
        operation=name,
        identity={"type": "IAMUser", "userName": "alice", "accessKeyId": "AKIAALICE"},
        account_id=account,
        region="us-east-1",
        source_ip="127.0.0.1",
        user_agent="test",
        request_id=str(uuid.uuid4()),
        params=params,
        now=T0 + timedelta(seconds=second),
        resources=audit.resources("iam", account, params, None),
    )


def page(store: Store, **kw: Any) -> list[str]:
    lookup = Lookup(ACCOUNT, T0 - timedelta(days=1), T0 + timedelta(days=1), **kw)
    with store.read() as tx:
        found = tx.repo(AuditLookup).page(lookup)
    return [audit_name(row.body) for row in found]


def audit_name(body: str) -> str:
    record = json.loads(body)
    return f"{record['eventName']}:{(record.get('requestParameters') or {}).get('userName', '')}"


def test_filters_and_pages(store: Store) -> None:
    events = [
        event("CreateUser", 1, {"UserName": "bob"}),
        event("GetUser", 2, {"UserName": "bob"}),
        event("CreateUser", 2, {"UserName": "carol"}),
        event(
            "AttachUserPolicy", 3, {"UserName": "carol", "PolicyArn": "arn:aws:iam::aws:policy/X"}
        ),
        event("CreateUser", 4, {"UserName": "dave"}, account="999999999999"),
    ]
    with store.write() as tx:
        tx.repo(AuditEvents).insert_many(events)

    assert page(store) == [
        "AttachUserPolicy:carol",
        "CreateUser:carol",
        "GetUser:bob",
        "CreateUser:bob",
    ]
    assert page(store, attribute=("EventName", "CreateUser")) == [
        "CreateUser:carol",
        "CreateUser:bob",
    ]
    assert page(store, attribute=("ReadOnly", "true")) == ["GetUser:bob"]
    assert page(store, attribute=("ResourceName", "bob")) == ["GetUser:bob", "CreateUser:bob"]
    assert page(store, attribute=("ResourceType", "AWS::IAM::Policy")) == ["AttachUserPolicy:carol"]
    assert page(store, attribute=("ResourceName", "arn:aws:iam::aws:policy/X")) == [
        "AttachUserPolicy:carol"
    ]
    assert page(store, attribute=("ResourceName", "dave")) == []  # another account's
    assert page(store, attribute=("Username", "alice"), limit=2) == [
        "AttachUserPolicy:carol",
        "CreateUser:carol",
    ]

    lookup = Lookup(ACCOUNT, T0, T0 + timedelta(days=1), limit=2)
    with store.read() as tx:
        first = tx.repo(AuditLookup).page(lookup)
        # An event of the same second as the cursor, written later, does not reappear.
        tx.repo(AuditEvents).insert_many([event("ListUsers", 2, {})])
        rest = tx.repo(AuditLookup).page(
            Lookup(ACCOUNT, T0, T0 + timedelta(days=1), after=(first[-1].event_time, first[-1].seq))
        )
    assert [audit_name(r.body) for r in rest] == ["GetUser:bob", "CreateUser:bob"]


def test_pruned_events_take_their_resources(store: Store) -> None:
    with store.write() as tx:
        tx.repo(AuditEvents).insert_many([event("CreateUser", 1, {"UserName": "erin"})])
        count = select(func.count()).select_from(audit_event_resources)
        assert tx.conn.execute(count).scalar_one() == 1
        tx.conn.execute(delete(audit_events))
        assert tx.conn.execute(count).scalar_one() == 0


def test_resources_of_iam_calls() -> None:
    assert audit.resources("iam", ACCOUNT, {"UserName": "a", "Path": "/p/"}, None) == [
        {"ARN": f"arn:aws:iam::{ACCOUNT}:user/p/a", "accountId": ACCOUNT, "type": "AWS::IAM::User"}
    ]
    created = {"User": {"UserName": "a", "Arn": f"arn:aws:iam::{ACCOUNT}:user/x/a"}}
    assert audit.resources("iam", ACCOUNT, {"UserName": "a"}, created)[0]["ARN"] == (
        f"arn:aws:iam::{ACCOUNT}:user/x/a"
    )
    key = {"AccessKey": {"UserName": "me", "AccessKeyId": "AKIAX", "SecretAccessKey": "s"}}
    assert {(r["type"], r["ARN"]) for r in audit.resources("iam", ACCOUNT, {}, key)} == {
        ("AWS::IAM::AccessKey", "AKIAX"),
        ("AWS::IAM::User", f"arn:aws:iam::{ACCOUNT}:user/me"),
    }
    role = f"arn:aws:iam::{ACCOUNT}:role/r"
    assert audit.resources("sts", ACCOUNT, {"RoleArn": role}, None)[0]["type"] == "AWS::IAM::Role"
    assert audit.resources("cloudtrail", ACCOUNT, {"UserName": "a"}, None) == []
