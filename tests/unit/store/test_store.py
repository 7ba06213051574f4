"""The store keeps IAM state durably and enforces AWS's uniqueness rules itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from iamd.store import ConflictError, Store
from iamd.store.migrations import LATEST, migrate
from iamd.store.records import Tag
from iamd.store.schema import access_keys
from iamd.store.seal import SealError

ACCOUNT = "111122223333"


def test_users_are_unique_case_insensitively(store: Store) -> None:
    with store.write() as tx:
        user = tx.users.create(ACCOUNT, "Alice", "/eng/")
    assert user.arn == f"arn:aws:iam::{ACCOUNT}:user/eng/Alice"
    assert user.id.startswith("AIDA") and len(user.id) == 21
    with pytest.raises(ConflictError), store.write() as tx:
        tx.users.create(ACCOUNT, "alice")
    with store.read() as tx:
        found = tx.users.get(ACCOUNT, "ALICE")
    assert found is not None and found.name == "Alice" and found.create_date.tzinfo


def test_failed_write_leaves_nothing_behind(store: Store) -> None:
    with pytest.raises(RuntimeError), store.write() as tx:
        tx.users.create(ACCOUNT, "bob")
        raise RuntimeError("the request failed half way")
    with store.read() as tx:
        assert tx.users.get(ACCOUNT, "bob") is None


def test_conflict_inside_a_transaction_keeps_earlier_writes(store: Store) -> None:
    with store.write() as tx:
        tx.users.create(ACCOUNT, "carol")
        with pytest.raises(ConflictError):
            tx.users.create(ACCOUNT, "CAROL")
        tx.users.create(ACCOUNT, "dave")
    with store.read() as tx:
        assert [u.name for u in tx.users.all(ACCOUNT)] == ["carol", "dave"]


def test_groups_members_policies_and_tags(store: Store) -> None:
    with store.write() as tx:
        user = tx.users.create(ACCOUNT, "erin")
        group = tx.groups.create(ACCOUNT, "devs")
        assert tx.groups.add_member(group.id, user.id)
        assert not tx.groups.add_member(group.id, user.id)
        policy = tx.policies.create(ACCOUNT, "Read", "/", '{"Statement": []}')
        tx.policies.attach("group", group.id, policy.arn)
        tx.policies.put_inline("user", user.id, "inline", '{"a": 1}')
        tx.tags.put("user", user.id, [Tag("team", "web"), Tag("env", "dev")])
        tx.tags.put("user", user.id, [Tag("team", "data")])
    with store.read() as tx:
        assert [g.name for g in tx.groups.of_user(user.id)] == ["devs"]
        assert tx.policies.attached("group", group.id) == [policy.arn]
        assert tx.policies.attachments_of(policy.arn) == [("group", group.id)]
        assert tx.policies.default_document(policy.arn) == '{"Statement": []}'
        assert tx.tags.all("user", user.id) == [Tag("team", "data"), Tag("env", "dev")]
    with store.write() as tx:
        version = tx.policies.add_version(policy, '{"Statement": [1]}', make_default=True)
    assert version.version_id == "v2"
    with store.read() as tx:
        assert tx.policies.default_document(policy.arn) == '{"Statement": [1]}'


def test_deleting_a_user_removes_its_memberships_and_keys(store: Store) -> None:
    with store.write() as tx:
        user = tx.users.create(ACCOUNT, "frank")
        group = tx.groups.create(ACCOUNT, "ops")
        tx.groups.add_member(group.id, user.id)
        key = tx.access_keys.create(ACCOUNT, user.id)
    with store.write() as tx:
        tx.users.delete(user.id)
    with store.read() as tx:
        assert tx.groups.members(group.id) == []
        assert tx.access_keys.get(key.id) is None


def test_access_key_secrets_are_sealed_at_rest(store: Store) -> None:
    with store.write() as tx:
        user = tx.users.create(ACCOUNT, "gina")
        key = tx.access_keys.create(ACCOUNT, user.id)
    assert key.id.startswith("AKIA") and len(key.id) == 20 and len(key.secret) == 40
    with store.read() as tx:
        raw = tx.conn.execute(select(access_keys.c.secret_sealed)).scalar_one()
        assert key.secret.encode() not in raw
        assert tx.access_keys.get(key.id).secret == key.secret  # type: ignore[union-attr]
    assert key.secret not in repr(key)
    with pytest.raises(SealError):
        store.sealer.open(bytes(raw), "AKIAOTHERKEY")


def test_reopening_keeps_everything(tmp_path: Path) -> None:
    key = bytes(range(32))
    first = Store.open(None, tmp_path, key)
    with first.write() as tx:
        tx.users.create(ACCOUNT, "henry")
    first.close()
    second = Store.open(None, tmp_path, key)
    assert migrate(second.engine) == LATEST
    with second.read() as tx:
        assert tx.users.get(ACCOUNT, "henry") is not None
    second.close()


def test_change_feed(store: Store) -> None:
    with store.read() as tx:
        start = tx.changes.latest()
    with store.write() as tx:
        tx.changes.record("user", "AIDA1")
        tx.changes.record("role", "AROA1")
    with store.read() as tx:
        assert [(k, v) for _, k, v in tx.changes.since(start)] == [
            ("user", "AIDA1"),
            ("role", "AROA1"),
        ]


def test_an_older_database_is_migrated(tmp_path: Path) -> None:
    """A database stamped at version 1 gains the tables of later steps, once."""
    from sqlalchemy import inspect, text

    key = bytes(range(32))
    first = Store.open(None, tmp_path, key)
    with first.engine.begin() as conn:
        conn.execute(text("DROP TABLE audit_events"))
        conn.execute(text("UPDATE schema_version SET version = 1"))
    first.close()
    again = Store.open(None, tmp_path, key)
    with again.engine.connect() as conn:
        assert inspect(conn).has_table("audit_events")
        assert conn.execute(text("SELECT version FROM schema_version")).scalar_one() == LATEST
    again.close()
