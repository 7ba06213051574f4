"""Shared pieces of the STS handlers: issuing credentials, durations, session tags.

https://docs.aws.amazon.com/STS/latest/APIReference/welcome.html
"""

from __future__ import annotations

import json
import time
import zlib
from datetime import UTC, datetime
from typing import Any

from iamd.auth import session_tokens
from iamd.auth.session_tokens import SessionClaims
from iamd.errors import InvalidInput, PackedPolicyTooLarge, ValidationError
from iamd.services.call import Call
from iamd.services.registry import Registry
from iamd.store.ids import new_id, new_secret

REGISTRY = Registry("sts")

MAX_SESSION_TAGS = 50
CHAINED_MAX_SECONDS = 3600
PACKED_LIMIT = 2048
"""Bytes of compressed session policies and tags, the basis of PackedPolicySize."""


def check_duration(call: Call, default: int, low: int, high: int, message: str) -> int:
    seconds = call.param("DurationSeconds")
    if seconds is None:
        return min(default, high)
    if seconds < low or seconds > high:
        raise ValidationError(message)
    return int(seconds)


def session_tags(call: Call) -> tuple[dict[str, str], list[str]]:
    """Session tags and transitive keys, merged with the caller's transitive tags.

    https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html
    """
    raw = call.param("Tags") or []
    tags: dict[str, str] = {}
    seen: set[str] = set()
    for item in raw:
        key = item["Key"]
        if key.lower() in seen:
            raise InvalidInput(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive."
            )
        seen.add(key.lower())
        tags[key] = item.get("Value", "")
    if len(tags) > MAX_SESSION_TAGS:
        raise ValidationError(f"Cannot exceed quota for SessionTagsPerSession: {MAX_SESSION_TAGS}")
    transitive = list(call.param("TransitiveTagKeys") or [])
    lowered = {k.lower() for k in tags}
    for key in transitive:
        if key.lower() not in lowered:
            raise InvalidInput(
                f"The specified transitive tag key {key} must be included in the requested tags."
            )
    # Transitive tags of the calling session carry through the chain and cannot be overridden.
    caller = call.caller
    for key in caller.transitive_tag_keys:
        if key.lower() in lowered and tags.get(key) != caller.tags.get(key):
            raise InvalidInput(
                "One of the specified transitive tag keys can't be set because it conflicts "
                "with a transitive tag key from the calling session."
            )
        if key in caller.tags:
            tags.setdefault(key, caller.tags[key])
            if key not in transitive:
                transitive.append(key)
    return tags, transitive


def packed_size(policies: list[str], tags: dict[str, str]) -> int:
    """PackedPolicySize: how full, in percent, the packed policies and tags are."""
    packed = zlib.compress(json.dumps([policies, tags], separators=(",", ":")).encode(), 9)
    percent = (len(packed) * 100 + PACKED_LIMIT - 1) // PACKED_LIMIT
    if percent > 100:
        raise PackedPolicyTooLarge(
            f"Packed size of consumed policies exceeds 100% of limit (packed size: {percent}%)."
        )
    return percent


def issue(call: Call, **claims: Any) -> tuple[SessionClaims, dict[str, Any]]:
    """Seal a new session and return its claims and the ``Credentials`` output shape."""
    assert call.key_ring is not None
    now = time.time()
    duration = claims.pop("duration")
    session = SessionClaims(
        access_key_id=new_id("session-key"),
        secret_access_key=new_secret(),
        account_id=claims.pop("account_id", call.account_id),
        issued_at=now,
        expires_at=now + duration,
        **claims,
    )
    key_id, key = call.key_ring.current()
    token = session_tokens.seal(session, key_id, key)
    credentials = {
        "AccessKeyId": session.access_key_id,
        "SecretAccessKey": session.secret_access_key,
        "SessionToken": token,
        "Expiration": datetime.fromtimestamp(int(session.expires_at), UTC),
    }
    return session, credentials
