"""Self-contained session tokens: everything a session is, sealed inside its token.

Any iamd process validates a temporary credential without a database read: the token carries
the session's secret key, expiry, principal, session policies, tags, MFA state and source
identity, sealed with AES-256-GCM under a key from a rotating key ring.  A token names the key
that sealed it, so a new key takes over issuing while older keys keep validating the sessions
they issued until those expire.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import struct
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_VERSION = 1
_PREFIX = "IQoJb3JpZ2luX2Vj"  # the first bytes of AWS session tokens, so tools recognise them


@dataclass(frozen=True)
class SessionClaims:
    """What a session is.  ``kind`` follows CloudTrail: AssumedRole, IAMUser, FederatedUser,
    WebIdentityUser, SAMLUser (the last two are assumed-role sessions too)."""

    access_key_id: str
    secret_access_key: str
    account_id: str
    kind: str
    arn: str
    principal_id: str
    issued_at: float
    expires_at: float
    role_id: str | None = None
    role_arn: str | None = None
    role_name: str | None = None
    session_name: str | None = None
    user_id: str | None = None
    user_name: str | None = None
    session_policies: list[str] = field(default_factory=list)
    """Policy documents (inline, then the managed ARNs' documents resolved at issue time)."""
    session_policy_arns: list[str] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    transitive_tag_keys: list[str] = field(default_factory=list)
    mfa_authenticated: bool = False
    mfa_auth_time: float | None = None
    source_identity: str | None = None
    chained: bool = False
    """Issued to a role session (role chaining): at most one hour."""
    federated_provider: str | None = None
    web_identity: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"SessionClaims({self.arn!r}, key={self.access_key_id!r})"


class TokenError(Exception):
    """A token that does not open (tampered, foreign, or sealed by an unknown key)."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


_FIELDS = tuple(f.name for f in fields(SessionClaims))


def seal(claims: SessionClaims, key_id: str, key: bytes) -> str:
    # A shallow dict: the fields are JSON values already, and dataclasses.asdict's deep copy
    # was a tenth of AssumeRole's time.
    values = {name: getattr(claims, name) for name in _FIELDS}
    payload = zlib.compress(json.dumps(values, separators=(",", ":")).encode(), 6)
    nonce = secrets.token_bytes(12)
    key_bytes = key_id.encode()
    header = struct.pack(">BB", _VERSION, len(key_bytes)) + key_bytes
    sealed = AESGCM(key).encrypt(nonce, payload, header)
    return _PREFIX + _b64(header + nonce + sealed)


def key_id_of(token: str) -> str:
    raw = _decode(token)
    return raw[2 : 2 + raw[1]].decode("ascii", "replace")


def _decode(token: str) -> bytes:
    if not token.startswith(_PREFIX):
        raise TokenError("not an iamd session token")
    try:
        raw = base64.b64decode(token[len(_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise TokenError("malformed session token") from None
    if len(raw) < 2 or raw[0] != _VERSION or len(raw) < 2 + raw[1] + 12 + 16:
        raise TokenError("malformed session token")
    return raw


def open_token(token: str, keys: Mapping[str, bytes]) -> SessionClaims:
    raw = _decode(token)
    length = raw[1]
    key_id = raw[2 : 2 + length].decode("ascii", "replace")
    key = keys.get(key_id)
    if key is None:
        raise TokenError("session token sealed by an unknown key")
    header, rest = raw[: 2 + length], raw[2 + length :]
    try:
        payload = AESGCM(key).decrypt(rest[:12], rest[12:], header)
        values = json.loads(zlib.decompress(payload))
        return SessionClaims(**values)
    except (InvalidTag, ValueError, TypeError, zlib.error):
        raise TokenError("session token does not open") from None


def expired(claims: SessionClaims, now: float | None = None) -> bool:
    return (time.time() if now is None else now) >= claims.expires_at
