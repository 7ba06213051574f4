"""TOTP checks for virtual MFA devices: RFC 6238's codes, a window of one step either side,
and no code accepted twice."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from iamd.auth.mfa import (
    code_at,
    consecutive_step,
    matching_step,
    new_seed,
    time_step,
    verify_code,
)
from iamd.store import Store
from iamd.store.repos.mfa_devices import MfaDevices

ACCOUNT = "111122223333"
NOW = datetime(2026, 3, 1, 12, 0, 10, tzinfo=UTC)
STEP = time_step(NOW)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(None, tmp_path, bytes(range(32)))
    yield opened
    opened.close()


@pytest.fixture
def device(store: Store) -> tuple[str, str, str]:
    """An enabled device: (serial, user id, seed), its counter well in the past."""
    seed = new_seed()
    with store.write() as tx:
        user = tx.users.create(ACCOUNT, "alice")
        created = tx.repo(MfaDevices).create(ACCOUNT, "alice", "/", seed)
        tx.repo(MfaDevices).enable(created.serial, user.id, counter=STEP - 100)
    return created.serial, user.id, seed


def verify(store: Store, serial: str, user_id: str, code: str, now: datetime = NOW) -> bool:
    with store.write() as tx:
        return verify_code(tx, serial, user_id, code, now)


def test_codes_are_rfc_6238s() -> None:
    """https://datatracker.ietf.org/doc/html/rfc6238#appendix-B (SHA-1, last six digits)."""
    seed = base64.b32encode(b"12345678901234567890").decode()
    assert code_at(seed, time_step(datetime.fromtimestamp(59, UTC))) == "287082"
    assert code_at(seed, time_step(datetime.fromtimestamp(1111111109, UTC))) == "081804"
    assert code_at(seed, time_step(datetime.fromtimestamp(2000000000, UTC))) == "279037"


def test_new_seeds_are_64_base32_characters_and_differ() -> None:
    seeds = {new_seed() for _ in range(20)}
    assert len(seeds) == 20
    for seed in seeds:
        assert len(seed) == 64 and len(base64.b32decode(seed)) == 40


def test_a_code_is_accepted_once(store: Store, device: tuple[str, str, str]) -> None:
    serial, user_id, seed = device
    code = code_at(seed, STEP)
    assert verify(store, serial, user_id, code)
    assert not verify(store, serial, user_id, code)  # replayed within its own 30 seconds
    assert not verify(store, serial, user_id, code, NOW + timedelta(seconds=20))
    with store.read() as tx:
        found = tx.repo(MfaDevices).get(serial)
    assert found is not None and found.last_counter == STEP


def test_the_window_is_one_step_either_side(store: Store, device: tuple[str, str, str]) -> None:
    serial, user_id, seed = device
    assert not verify(store, serial, user_id, code_at(seed, STEP - 2))
    assert not verify(store, serial, user_id, code_at(seed, STEP + 2))
    assert verify(store, serial, user_id, code_at(seed, STEP - 1))
    assert verify(store, serial, user_id, code_at(seed, STEP + 1))


def test_an_older_code_is_refused_after_a_newer_one(
    store: Store, device: tuple[str, str, str]
) -> None:
    serial, user_id, seed = device
    assert verify(store, serial, user_id, code_at(seed, STEP + 1))
    # Still inside the time window, but earlier than a step already spent.
    assert not verify(store, serial, user_id, code_at(seed, STEP))
    assert not verify(store, serial, user_id, code_at(seed, STEP - 1))
    # The next step, once it comes, is fresh.
    later = NOW + timedelta(seconds=60)
    assert verify(store, serial, user_id, code_at(seed, STEP + 2), later)


def test_only_the_owner_of_an_enabled_device(store: Store, device: tuple[str, str, str]) -> None:
    serial, user_id, seed = device
    code = code_at(seed, STEP)
    with store.write() as tx:
        other = tx.users.create(ACCOUNT, "mallory")
    assert not verify(store, serial, other.id, code)
    assert not verify(store, f"arn:aws:iam::{ACCOUNT}:mfa/nothing", user_id, code)
    with store.write() as tx:
        tx.repo(MfaDevices).deactivate(serial)
    assert not verify(store, serial, user_id, code)
    with store.read() as tx:  # a refused code spends nothing
        found = tx.repo(MfaDevices).get(serial)
    assert found is not None and found.last_counter == STEP - 100


@pytest.mark.parametrize(
    "code", ["", "12345", "1234567", "abcdef", "\uff11\uff12\uff13\uff14\uff15\uff16"]
)
def test_malformed_codes_never_match(code: str) -> None:
    """Fullwidth digits are digits to ``str.isdigit`` but no code a device shows."""
    seed = new_seed()
    assert matching_step(seed, code, range(STEP - 5, STEP + 5)) is None


def test_two_consecutive_codes() -> None:
    seed = new_seed()
    first, second = code_at(seed, STEP - 1), code_at(seed, STEP)
    assert consecutive_step(seed, first, second, STEP, window=1) == STEP
    assert consecutive_step(seed, first, second, STEP + 2, window=2) == STEP
    assert consecutive_step(seed, first, second, STEP + 3, window=2) is None
    assert consecutive_step(seed, second, first, STEP, window=3) is None  # wrong order
    assert consecutive_step(seed, first, first, STEP, window=3) is None
    skipped = code_at(seed, STEP + 1)
    assert consecutive_step(seed, first, skipped, STEP, window=3) is None
