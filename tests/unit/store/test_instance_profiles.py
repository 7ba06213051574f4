"""Instance profiles in the store: names unique per account ignoring case, and the roles each
holds."""

from __future__ import annotations

import pytest

from iamd.store import ConflictError, Store

ACCOUNT = "111122223333"
TRUST = '{"Statement": []}'


def test_profiles_are_unique_case_insensitively(store: Store) -> None:
    with store.write() as tx:
        profile = tx.instance_profiles.create(ACCOUNT, "Web", "/app/")
    assert profile.arn == f"arn:aws:iam::{ACCOUNT}:instance-profile/app/Web"
    assert profile.id.startswith("AIPA") and len(profile.id) == 21
    with pytest.raises(ConflictError) as info, store.write() as tx:
        tx.instance_profiles.create(ACCOUNT, "web")
    assert str(info.value) == "Instance Profile web already exists."
    with store.write() as tx:
        tx.instance_profiles.create("999999999999", "web")  # another account: no conflict
        tx.instance_profiles.create(ACCOUNT, "batch", "/")
    with store.read() as tx:
        found = tx.instance_profiles.get(ACCOUNT, "WEB")
        assert found is not None and found.id == profile.id and found.create_date.tzinfo
        assert [p.name for p in tx.instance_profiles.all(ACCOUNT)] == ["batch", "Web"]
        assert [p.name for p in tx.instance_profiles.all(ACCOUNT, "/app/")] == ["Web"]
        assert tx.instance_profiles.count(ACCOUNT) == 2


def test_roles_of_profiles(store: Store) -> None:
    with store.write() as tx:
        web = tx.instance_profiles.create(ACCOUNT, "web")
        batch = tx.instance_profiles.create(ACCOUNT, "batch")
        empty = tx.instance_profiles.create(ACCOUNT, "empty")
        app = tx.roles.create(ACCOUNT, "app", "/", TRUST)
        tx.instance_profiles.add_role(web.id, app.id)
        tx.instance_profiles.add_role(batch.id, app.id)
    with store.read() as tx:
        assert [r.name for r in tx.instance_profiles.roles(web.id)] == ["app"]
        assert [p.name for p in tx.instance_profiles.of_role(app.id)] == ["batch", "web"]
        many = tx.instance_profiles.roles_of([web.id, batch.id, empty.id])
        assert {k: [r.id for r in v] for k, v in many.items()} == {
            web.id: [app.id],
            batch.id: [app.id],
            empty.id: [],
        }
        assert tx.instance_profiles.roles_of([]) == {}
    with store.write() as tx:
        assert tx.instance_profiles.remove_role(web.id, app.id)
        assert not tx.instance_profiles.remove_role(web.id, app.id)
    with store.read() as tx:
        assert tx.instance_profiles.roles(web.id) == []


def test_deleting_a_profile_drops_its_role_links(store: Store) -> None:
    with store.write() as tx:
        profile = tx.instance_profiles.create(ACCOUNT, "gone")
        role = tx.roles.create(ACCOUNT, "kept", "/", TRUST)
        tx.instance_profiles.add_role(profile.id, role.id)
    with store.write() as tx:
        tx.instance_profiles.delete(profile.id)
    with store.read() as tx:
        assert tx.instance_profiles.get(ACCOUNT, "gone") is None
        assert tx.instance_profiles.of_role(role.id) == []
        assert tx.roles.get(ACCOUNT, "kept") is not None
