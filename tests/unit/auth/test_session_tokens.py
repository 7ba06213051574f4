"""Self-contained session tokens: sealed, tamper-evident, and valid across a key rotation."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from iamd.auth import session_tokens
from iamd.auth.key_ring import ROTATE_AFTER, KeyRing
from iamd.auth.session_tokens import SessionClaims, TokenError
from iamd.authorize.sessions import caller_of, open_session
from iamd.errors import ExpiredToken, InvalidClientTokenId
from iamd.store import Store
from iamd.store.repos.server_keys import ServerKeys
from iamd.store.schema import server_keys

KEY = bytes(range(32))


def claims(**overrides: object) -> SessionClaims:
    now = time.time()
    values: dict[str, object] = {
        "access_key_id": "ASIAEXAMPLEEXAMPLE00",
        "secret_access_key": "s" * 40,
        "account_id": "111122223333",
        "kind": "AssumedRole",
        "arn": "arn:aws:sts::111122223333:assumed-role/App/s1",
        "principal_id": "AROAEXAMPLE:s1",
        "issued_at": now,
        "expires_at": now + 900,
        "role_id": "AROAEXAMPLE",
        "session_name": "s1",
        "tags": {"team": "web"},
        "session_policies": ['{"Version":"2012-10-17","Statement":[]}'],
    }
    values.update(overrides)
    return SessionClaims(**values)  # type: ignore[arg-type]


def test_round_trip_and_no_secret_in_clear() -> None:
    original = claims()
    token = session_tokens.seal(original, "k1", KEY)
    assert original.secret_access_key not in token and "web" not in token
    assert session_tokens.open_token(token, {"k1": KEY}) == original
    assert session_tokens.key_id_of(token) == "k1"


@pytest.mark.parametrize("position", [20, 60, -5])
def test_any_changed_character_is_refused(position: int) -> None:
    token = session_tokens.seal(claims(), "k1", KEY)
    flipped = "A" if token[position] != "A" else "B"
    tampered = token[:position] + flipped + token[position + 1 :]
    with pytest.raises(TokenError):
        session_tokens.open_token(tampered, {"k1": KEY})


def test_foreign_keys_and_garbage_are_refused() -> None:
    token = session_tokens.seal(claims(), "k1", bytes(32))
    with pytest.raises(TokenError):
        session_tokens.open_token(token, {"k1": KEY})
    with pytest.raises(TokenError):
        session_tokens.open_token(token, {"other": KEY})
    for garbage in ("", "xyz", "IQoJb3JpZ2luX2Vj", "IQoJb3JpZ2luX2Vj!!!!"):
        with pytest.raises(TokenError):
            session_tokens.open_token(garbage, {"k1": KEY})


def test_key_ring_rotates_without_cutting_live_sessions(tmp_path: Path) -> None:
    store = Store.open(None, tmp_path, KEY)
    ring = KeyRing(store)
    first_id, first_key = ring.current()
    token = session_tokens.seal(claims(), first_id, first_key)
    # Age the key past the rotation period, as a week going by would.
    with store.write() as tx:
        old = datetime.now(UTC) - ROTATE_AFTER - timedelta(hours=1)
        tx.conn.execute(server_keys.update().values(create_date=old))
    second = KeyRing(store)
    second_id, _ = second.current()
    assert second_id != first_id
    opened = open_session(second, token, claims().access_key_id)
    assert opened.arn == claims().arn
    with store.read() as tx:
        assert len(tx.repo(ServerKeys).all("session-token")) == 2
    store.close()


def test_open_session_errors_are_aws_errors(tmp_path: Path) -> None:
    store = Store.open(None, tmp_path, KEY)
    ring = KeyRing(store)
    key_id, key = ring.current()
    live = session_tokens.seal(claims(), key_id, key)
    with pytest.raises(InvalidClientTokenId):
        open_session(ring, live, "ASIAOTHERKEYOTHERKEY")
    expired = session_tokens.seal(claims(expires_at=time.time() - 1), key_id, key)
    with pytest.raises(ExpiredToken) as info:
        open_session(ring, expired, claims().access_key_id)
    assert info.value.message == "The security token included in the request is expired"
    with pytest.raises(InvalidClientTokenId):
        open_session(ring, live[:-8] + "AAAAAAAA", claims().access_key_id)
    store.close()


def test_caller_of_a_role_session() -> None:
    caller = caller_of(
        claims(
            role_arn="arn:aws:iam::111122223333:role/App",
            mfa_authenticated=True,
            mfa_auth_time=time.time() - 30,
        )
    )
    assert caller.kind == "AssumedRole" and caller.chained and caller.tags == {"team": "web"}
    assert (
        caller.mfa_authenticated and caller.mfa_auth_age is not None and caller.mfa_auth_age >= 29
    )
    assert caller.token_issue_time and caller.token_issue_time.endswith("Z")
