"""A user's other credentials in the store: login profiles (hashes and their history), SSH
public keys, service-specific credentials (passwords sealed at rest) and signing certificates,
on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from iamd.services.iam.login_profiles import delete_conflicts
from iamd.store import ConflictError, Store
from iamd.store.repos.login_profiles import MAX_PREVIOUS, LoginProfiles
from iamd.store.repos.user_credentials import (
    ServiceCredentials,
    SigningCertificates,
    SSHPublicKeys,
)
from iamd.store.schema import service_specific_credentials
from iamd.store.seal import SealError

ACCOUNT = "111122223333"


def test_a_login_profile_is_one_per_user_and_remembers_old_hashes(store: Store) -> None:
    with store.write() as tx:
        user = tx.users.create(ACCOUNT, "alice")
        profiles = tx.repo(LoginProfiles)
        created = profiles.create(user.id, "hash-1", reset_required=True)
        with pytest.raises(ConflictError):
            profiles.create(user.id, "hash-x", reset_required=False)
    assert created.password_reset_required and created.previous_hashes == ()
    assert created.create_date.tzinfo and created.password_changed == created.create_date
    with store.write() as tx:
        profiles = tx.repo(LoginProfiles)
        for n in range(2, 4):
            current = profiles.get(user.id)
            assert current is not None
            profiles.set_password(current, f"hash-{n}")
    with store.read() as tx:
        profile = tx.repo(LoginProfiles).get(user.id)
    assert profile is not None
    assert profile.password_hash == "hash-3"
    assert profile.previous_hashes == ("hash-2", "hash-1")
    assert profile.password_reset_required  # unchanged when not given
    assert "hash" not in repr(profile)


def test_password_history_is_capped(store: Store) -> None:
    with store.write() as tx:
        user = tx.users.create(ACCOUNT, "bob")
        profiles = tx.repo(LoginProfiles)
        profiles.create(user.id, "hash-0", reset_required=False)
        for n in range(1, MAX_PREVIOUS + 5):
            current = profiles.get(user.id)
            assert current is not None
            profiles.set_password(current, f"hash-{n}", reset_required=False)
    with store.read() as tx:
        profile = tx.repo(LoginProfiles).get(user.id)
    assert profile is not None and len(profile.previous_hashes) == MAX_PREVIOUS
    assert profile.previous_hashes[0] == f"hash-{MAX_PREVIOUS + 3}"


def test_reset_flag_and_delete(store: Store) -> None:
    with store.write() as tx:
        user = tx.users.create(ACCOUNT, "carol")
        profiles = tx.repo(LoginProfiles)
        profiles.create(user.id, "h", reset_required=False)
        profiles.set_reset_required(user.id, True)
        current = profiles.get(user.id)
        assert current is not None and current.password_reset_required
        assert profiles.delete(user.id)
        assert not profiles.delete(user.id)
        assert profiles.get(user.id) is None


def test_ssh_keys_are_listed_by_id_and_belong_to_their_user(store: Store) -> None:
    with store.write() as tx:
        dave = tx.users.create(ACCOUNT, "dave")
        erin = tx.users.create(ACCOUNT, "erin")
        keys = tx.repo(SSHPublicKeys)
        made = [keys.create(dave.id, f"ssh-rsa KEY{n}", f"aa:{n:02}") for n in range(3)]
        keys.create(erin.id, "ssh-rsa OTHER", "bb:00")
        keys.set_status(made[0].id, "Inactive")
    assert all(k.id.startswith("APKA") and len(k.id) == 21 for k in made)
    with store.read() as tx:
        keys = tx.repo(SSHPublicKeys)
        listed = keys.of_user(dave.id)
        assert [k.id for k in listed] == sorted(k.id for k in made)
        first = keys.get(made[0].id)
        assert first is not None and first.status == "Inactive" and first.upload_date.tzinfo
        assert keys.any_of_user(erin.id)
    with store.write() as tx:
        for key in made:
            tx.repo(SSHPublicKeys).delete(key.id)
        assert not tx.repo(SSHPublicKeys).any_of_user(dave.id)


def test_service_passwords_are_sealed_at_rest_and_bound_to_their_row(store: Store) -> None:
    with store.write() as tx:
        frank = tx.users.create(ACCOUNT, "frank")
        creds = tx.repo(ServiceCredentials)
        one = creds.create(frank.id, "codecommit.amazonaws.com", "frank-at-1", "s3cret-one")
        two = creds.create(frank.id, "cassandra.amazonaws.com", "frank-at-1", "s3cret-two")
    assert one.id.startswith("ACCA") and one.password == "s3cret-one"
    assert "s3cret" not in repr(one)
    with store.read() as tx:
        raw = {
            row.id: row.password_sealed
            for row in tx.conn.execute(select(service_specific_credentials))
        }
    assert b"s3cret" not in raw[one.id]
    with pytest.raises(SealError):
        store.sealer.open(raw[one.id], two.id)  # a sealed password copied to another row
    with store.write() as tx:
        creds = tx.repo(ServiceCredentials)
        creds.reset_password(one.id, "s3cret-new")
        creds.set_status(two.id, "Inactive")
    with store.read() as tx:
        creds = tx.repo(ServiceCredentials)
        assert [c.service_name for c in creds.of_user(frank.id, "codecommit.amazonaws.com")] == [
            "codecommit.amazonaws.com"
        ]
        fetched = creds.get(one.id)
        assert fetched is not None and fetched.password == "s3cret-new"
        listed = creds.of_account(ACCOUNT)
        assert sorted((name, c.id) for name, c in listed) == sorted(
            [("frank", one.id), ("frank", two.id)]
        )
        assert creds.of_account("999988887777") == []
        other = creds.get(two.id)
        assert other is not None and other.status == "Inactive"


def test_deleting_a_user_removes_its_credentials(store: Store) -> None:
    with store.write() as tx:
        user = tx.users.create(ACCOUNT, "gina")
        tx.repo(LoginProfiles).create(user.id, "h", reset_required=False)
        key = tx.repo(SSHPublicKeys).create(user.id, "ssh-rsa K", "cc:00")
        cred = tx.repo(ServiceCredentials).create(user.id, "codecommit.amazonaws.com", "g", "p")
        cert = tx.repo(SigningCertificates).create("C" * 32, ACCOUNT, user.id, "PEM")
    with store.write() as tx:
        tx.users.delete(user.id)
    with store.read() as tx:
        assert tx.repo(LoginProfiles).get(user.id) is None
        assert tx.repo(SSHPublicKeys).get(key.id) is None
        assert tx.repo(ServiceCredentials).get(cred.id) is None
        assert tx.repo(SigningCertificates).get(cert.id) is None


def test_signing_certificates_per_owner_including_root(store: Store) -> None:
    with store.write() as tx:
        hana = tx.users.create(ACCOUNT, "hana")
        certs = tx.repo(SigningCertificates)
        mine = certs.create("A" * 32, ACCOUNT, hana.id, "PEM-A")
        root = certs.create("B" * 32, ACCOUNT, None, "PEM-B")
        with pytest.raises(ConflictError):
            certs.create("A" * 32, ACCOUNT, None, "PEM-A")
        certs.set_status(mine.id, "Inactive")
    with store.read() as tx:
        certs = tx.repo(SigningCertificates)
        assert [c.id for c in certs.of_owner(ACCOUNT, hana.id)] == [mine.id]
        assert [c.id for c in certs.of_owner(ACCOUNT, None)] == [root.id]
        assert certs.of_owner("999988887777", None) == []
        found = certs.get(mine.id)
        assert found is not None and found.status == "Inactive" and found.user_id == hana.id
        assert certs.any_of_user(hana.id)
    with store.write() as tx:
        tx.repo(SigningCertificates).delete(mine.id)
        assert not tx.repo(SigningCertificates).any_of_user(hana.id)


def test_delete_conflicts_names_what_must_go_first(store: Store) -> None:
    """What DeleteUser reports while these credentials remain, in AWS's words and order: the
    login profile ("must delete login profile first", quoted in cloud-custodian #1663), then
    signing certificates ("must delete certificates first", aws-nuke #671), then SSH keys and
    service-specific credentials ("must remove referenced objects first", aws-nuke #522)."""
    with store.write() as tx:
        user = tx.users.create(ACCOUNT, "ivan")
        assert delete_conflicts(tx, user) is None
        tx.repo(ServiceCredentials).create(user.id, "codecommit.amazonaws.com", "i", "p")
        referenced = "Cannot delete entity, must remove referenced objects first."
        assert delete_conflicts(tx, user) == referenced
        key = tx.repo(SSHPublicKeys).create(user.id, "ssh-rsa K", "dd:00")
        assert delete_conflicts(tx, user) == referenced
        cert = tx.repo(SigningCertificates).create("D" * 32, ACCOUNT, user.id, "PEM")
        assert delete_conflicts(tx, user) == "Cannot delete entity, must delete certificates first."
        tx.repo(LoginProfiles).create(user.id, "h", reset_required=False)
        assert delete_conflicts(tx, user) == (
            "Cannot delete entity, must delete login profile first."
        )
        tx.repo(LoginProfiles).delete(user.id)
        tx.repo(SigningCertificates).delete(cert.id)
        tx.repo(SSHPublicKeys).delete(key.id)
        assert delete_conflicts(tx, user) == referenced
