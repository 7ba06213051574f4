"""Virtual MFA devices in the store: seeds sealed to their device, one user per device, and a
time-step counter that only moves forward."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from iamd.services.iam.mfa import delete_conflicts
from iamd.store import ConflictError, Store
from iamd.store.repos.mfa_devices import MfaDevices
from iamd.store.schema import mfa_devices
from iamd.store.seal import SealError

ACCOUNT = "111122223333"
SEED = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def test_create_names_the_device_by_its_arn_and_refuses_a_duplicate(store: Store) -> None:
    with store.write() as tx:
        device = tx.repo(MfaDevices).create(ACCOUNT, "phone", "/eng/", SEED)
    assert device.serial == f"arn:aws:iam::{ACCOUNT}:mfa/eng/phone"
    assert not device.assigned and device.last_counter is None and device.create_date.tzinfo
    with pytest.raises(ConflictError), store.write() as tx:
        tx.repo(MfaDevices).create(ACCOUNT, "phone", "/eng/", SEED)
    with store.write() as tx:  # the same name on another path is another device
        other = tx.repo(MfaDevices).create(ACCOUNT, "phone", "/ops/", SEED)
    with store.read() as tx:
        assert [d.serial for d in tx.repo(MfaDevices).all(ACCOUNT)] == sorted(
            [device.serial, other.serial]
        )
        assert tx.repo(MfaDevices).count(ACCOUNT) == 2
        assert tx.repo(MfaDevices).count("999999999999") == 0


def test_the_seed_is_sealed_and_bound_to_its_device(store: Store) -> None:
    with store.write() as tx:
        first = tx.repo(MfaDevices).create(ACCOUNT, "a", "/", SEED)
        second = tx.repo(MfaDevices).create(ACCOUNT, "b", "/", "A" * 64)
    with store.read() as tx:
        rows = {
            r.serial: r.seed_sealed
            for r in tx.conn.execute(select(mfa_devices.c.serial, mfa_devices.c.seed_sealed))
        }
        assert SEED.encode() not in rows[first.serial]
        assert tx.repo(MfaDevices).seed(first.serial) == SEED
        assert tx.repo(MfaDevices).seed("arn:aws:iam::111122223333:mfa/none") is None
    # A sealed seed copied onto another device does not open there.
    with store.write() as tx:
        tx.conn.execute(
            mfa_devices.update()
            .where(mfa_devices.c.serial == second.serial)
            .values(seed_sealed=rows[first.serial])
        )
    with pytest.raises(SealError), store.read() as tx:
        tx.repo(MfaDevices).seed(second.serial)


def test_enable_assigns_once_and_deactivate_keeps_spent_steps(store: Store) -> None:
    with store.write() as tx:
        alice = tx.users.create(ACCOUNT, "alice")
        bob = tx.users.create(ACCOUNT, "bob")
        device = tx.repo(MfaDevices).create(ACCOUNT, "token", "/", SEED)
        tx.repo(MfaDevices).create(ACCOUNT, "spare", "/", SEED)
    with store.write() as tx:
        assert tx.repo(MfaDevices).enable(device.serial, alice.id, counter=100)
        assert not tx.repo(MfaDevices).enable(device.serial, bob.id, counter=200)
    with store.read() as tx:
        devices = tx.repo(MfaDevices)
        found = devices.get(device.serial)
        assert found is not None and found.user_id == alice.id and found.last_counter == 100
        assert found.enable_date is not None and found.enable_date.tzinfo
        assert [d.serial for d in devices.of_user(alice.id)] == [device.serial]
        assert devices.of_user(bob.id) == []
        assert [d.name for d in devices.all(ACCOUNT, assigned=True)] == ["token"]
        assert [d.name for d in devices.all(ACCOUNT, assigned=False)] == ["spare"]
    with store.write() as tx:
        tx.repo(MfaDevices).deactivate(device.serial)
    with store.read() as tx:
        found = tx.repo(MfaDevices).get(device.serial)
    assert found is not None and found.user_id is None and found.enable_date is None
    assert found.last_counter == 100


def test_the_counter_only_moves_forward(store: Store) -> None:
    with store.write() as tx:
        user = tx.users.create(ACCOUNT, "carol")
        device = tx.repo(MfaDevices).create(ACCOUNT, "carol", "/", SEED)
        tx.repo(MfaDevices).enable(device.serial, user.id, counter=10)
    with store.write() as tx:
        devices = tx.repo(MfaDevices)
        assert not devices.advance_counter(device.serial, 10)  # the same step again: a replay
        assert not devices.advance_counter(device.serial, 9)
        assert devices.advance_counter(device.serial, 11)
        assert not devices.advance_counter(device.serial, 11)
    with store.read() as tx:
        found = tx.repo(MfaDevices).get(device.serial)
    assert found is not None and found.last_counter == 11


def test_deleting_a_user_unassigns_and_delete_removes(store: Store) -> None:
    with store.write() as tx:
        user = tx.users.create(ACCOUNT, "dave")
        device = tx.repo(MfaDevices).create(ACCOUNT, "dave", "/", SEED)
        tx.repo(MfaDevices).enable(device.serial, user.id, counter=1)
    with store.write() as tx:
        tx.users.delete(user.id)
    with store.read() as tx:
        found = tx.repo(MfaDevices).get(device.serial)
    assert found is not None and found.user_id is None
    with store.write() as tx:
        tx.repo(MfaDevices).delete(device.serial)
    with store.read() as tx:
        assert tx.repo(MfaDevices).get(device.serial) is None


def test_delete_user_is_refused_while_a_device_is_enabled(store: Store) -> None:
    """https://docs.aws.amazon.com/IAM/latest/UserGuide/id_users_remove.html (DeleteUser
    requires the user's MFA devices deactivated first)."""
    with store.write() as tx:
        user = tx.users.create(ACCOUNT, "erin")
        device = tx.repo(MfaDevices).create(ACCOUNT, "erin", "/", SEED)
        assert delete_conflicts(tx, user) is None
        tx.repo(MfaDevices).enable(device.serial, user.id, counter=1)
        assert delete_conflicts(tx, user) == "Cannot delete entity, must delete MFA device first."
        tx.repo(MfaDevices).deactivate(device.serial)
        assert delete_conflicts(tx, user) is None
