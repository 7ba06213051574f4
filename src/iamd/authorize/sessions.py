"""Temporary credentials: the session token names who the caller is, with no database read."""

from __future__ import annotations

import weakref
from datetime import UTC, datetime

from iamd.auth import session_tokens
from iamd.auth.key_ring import KeyRing
from iamd.auth.session_tokens import SessionClaims, TokenError
from iamd.auth.sigv4 import SigningSecret
from iamd.errors import ExpiredToken, InvalidClientTokenId
from iamd.services.caller import Caller

INVALID = "The security token included in the request is invalid."
EXPIRED = "The security token included in the request is expired"

OPENED_MAX = 10_000
_opened: weakref.WeakKeyDictionary[KeyRing, dict[str, SessionClaims]] = weakref.WeakKeyDictionary()
"""Per key ring, the claims of tokens it has opened, by token.

A client reuses its session token for every call until it expires; decoding, decrypting and
decompressing it each time was a third of a GetCallerIdentity.  Only a token that opened is
remembered, keyed by its exact text, so a hit gives the same claims opening it again would;
expiry is still checked on every call.  Kept per ring so that a server never accepts a token
because another server (another ring, in the same process) opened it.
"""


def _open(ring: KeyRing, token: str) -> SessionClaims:
    opened = _opened.get(ring)
    if opened is None:
        opened = _opened.setdefault(ring, {})
    claims = opened.get(token)
    if claims is not None:
        return claims
    try:
        claims = session_tokens.open_token(token, ring.keys(session_tokens.key_id_of(token)))
    except TokenError:
        raise InvalidClientTokenId(INVALID) from None
    if len(opened) >= OPENED_MAX:
        opened.clear()
    opened[token] = claims
    return claims


def open_session(ring: KeyRing, token: str, access_key_id: str) -> SessionClaims:
    """The claims of a session token presented with ``access_key_id``, or AWS's error."""
    claims = _open(ring, token)
    if claims.access_key_id != access_key_id:
        raise InvalidClientTokenId(INVALID)
    if session_tokens.expired(claims):
        raise ExpiredToken(EXPIRED)
    return claims


def signing_secret(claims: SessionClaims) -> SigningSecret:
    return SigningSecret(claims.access_key_id, claims.secret_access_key, True)


def caller_of(claims: SessionClaims) -> Caller:
    issued = datetime.fromtimestamp(claims.issued_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    mfa_age = None
    if claims.mfa_authenticated and claims.mfa_auth_time is not None:
        mfa_age = max(0, int(datetime.now(UTC).timestamp() - claims.mfa_auth_time))
    return Caller(
        kind=claims.kind,
        arn=claims.arn,
        account_id=claims.account_id,
        principal_id=claims.principal_id,
        name=claims.session_name or claims.user_name or "",
        access_key_id=claims.access_key_id,
        user_id=claims.user_id,
        role_id=claims.role_id,
        session_name=claims.session_name,
        tags=dict(claims.tags),
        mfa_authenticated=claims.mfa_authenticated,
        mfa_auth_age=mfa_age,
        token_issue_time=issued,
        source_identity=claims.source_identity,
        role_arn=claims.role_arn,
        session_policies=tuple(claims.session_policies),
        chained=claims.role_id is not None,
        federated_provider=claims.federated_provider,
        transitive_tag_keys=tuple(claims.transitive_tag_keys),
        expires_at=claims.expires_at,
    )
