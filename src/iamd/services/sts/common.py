"""Shared pieces of the STS handlers: issuing credentials, durations, session tags.

https://docs.aws.amazon.com/STS/latest/APIReference/welcome.html
"""

from __future__ import annotations

import base64
import json
import secrets
import time
import zlib
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from iamd.auth import session_tokens
from iamd.auth.mfa import check_code, verify_code
from iamd.auth.session_tokens import SessionClaims
from iamd.errors import (
    AccessDenied,
    AWSError,
    InvalidInput,
    MalformedPolicyDocument,
    NoSuchEntity,
    PackedPolicyTooLarge,
    ValidationError,
)
from iamd.policy import MalformedPolicyError, Policy, PolicyKind, parse_policy
from iamd.services.call import Call
from iamd.services.iam.common import cached_role
from iamd.services.registry import Registry
from iamd.store import Tx
from iamd.store.records import Role, Tag
from iamd.store.repos.mfa_devices import MfaDevices

REGISTRY = Registry("sts", explains_denials=False)

MAX_SESSION_TAGS = 50
MFA_MISSING = (
    "MultiFactorAuthentication failed, must provide both MFA serial number and one time pass code."
)
MFA_INVALID = "MultiFactorAuthentication failed with invalid MFA one time pass code. "
"""AWS's message, trailing space included (clients compare it whole)."""
MFA_UNKNOWN_DEVICE = (
    "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA "
    "serial number is valid and associated with this user."
)
TRANSITIVE_CONFLICT = (
    "One of the specified transitive tag keys can't be set because it conflicts with a "
    "transitive tag key from the calling session."
)
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
    caller = call.caller
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
    # Transitive tags of the calling session carry through the chain and cannot be passed again,
    # not even with the same value ("If you pass a session tag with the same key as an inherited
    # tag, the operation fails": API_AssumeRole, Tags).
    for key in caller.transitive_tag_keys:
        if key.lower() in lowered:
            raise AWSError(
                TRANSITIVE_CONFLICT, code="InvalidParameterValue", status=400, sender=True
            )
        if key in caller.tags:
            tags.setdefault(key, caller.tags[key])
            if key not in transitive:
                transitive.append(key)
    return tags, transitive


def inherited_tags(call: Call) -> bool:
    """Whether the calling session passes transitive session tags on to the new session."""
    caller = call.caller
    return any(key in caller.tags for key in caller.transitive_tag_keys)


def mfa_params(call: Call) -> tuple[str, str] | None:
    """``(SerialNumber, TokenCode)`` when the request authenticates with MFA; AWS's error when
    only one of the two is given."""
    serial, code = call.param("SerialNumber"), call.param("TokenCode")
    if not serial and not code:
        return None
    if not serial or not code:
        raise AccessDenied(MFA_MISSING)
    return serial, code


def check_mfa(call: Call, tx: Tx, serial: str, code: str, *, consume: bool) -> None:
    """Refuse, with AWS's message, unless ``code`` is a fresh code of the caller's own enabled
    device ``serial``.  With ``consume`` the code is used up (``tx`` must be a write
    transaction); without, it is only checked, so that a call refused later keeps it good."""
    user_id = call.caller.user_id
    device = tx.repo(MfaDevices).get(serial)
    if user_id is None or device is None or device.user_id != user_id or device.enable_date is None:
        raise AccessDenied(MFA_UNKNOWN_DEVICE)
    check = verify_code if consume else check_code
    if not check(tx, serial, user_id, code, datetime.now(UTC)):
        raise AccessDenied(MFA_INVALID)


def packed_size(policies: list[str], tags: dict[str, str]) -> int:
    """PackedPolicySize: how full, in percent, the packed policies and tags are."""
    packed = zlib.compress(json.dumps([policies, tags], separators=(",", ":")).encode(), 9)
    percent = (len(packed) * 100 + PACKED_LIMIT - 1) // PACKED_LIMIT
    if percent > 100:
        if tags:
            # AWS's words (aws/containers-roadmap#2413, configure-aws-credentials#1803).
            raise PackedPolicyTooLarge(
                f"Packed size of session tags consumes {percent}% of allotted space."
            )
        raise PackedPolicyTooLarge(
            f"Packed size of consumed policies exceeds 100% of limit (packed size: {percent}%)."
        )
    return percent


def session_key_id(account_id: str) -> str:
    """``ASIA`` and 16 base32 characters that encode the account, as AWS's key ids do, so
    GetAccessKeyInfo names the right account for any session key iamd issued."""
    from iamd.services.sts.access_key_info import key_id_for_account

    return key_id_for_account("ASIA", account_id)


def session_secret() -> str:
    """40 characters of base64 (240 random bits): the alphabet of AWS's secret keys."""
    return base64.b64encode(secrets.token_bytes(30)).decode("ascii")


def issue(call: Call, **claims: Any) -> tuple[SessionClaims, dict[str, Any]]:
    """Seal a new session and return its claims and the ``Credentials`` output shape."""
    assert call.key_ring is not None
    now = time.time()
    duration = claims.pop("duration")
    account = claims.pop("account_id", call.account_id)
    session = SessionClaims(
        access_key_id=session_key_id(account),
        secret_access_key=session_secret(),
        account_id=account,
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


def role_of(call: Call) -> tuple[Role, list[Tag]] | None:
    """The role ``RoleArn`` names in the caller's account, with its tags, or ``None``: AWS
    answers AccessDenied for a role that does not exist, never revealing which it is."""
    arn = call.params["RoleArn"]
    fields = arn.split(":", 5)
    if len(fields) != 6 or fields[2] != "iam" or fields[4] != call.account_id:
        return None
    if not fields[5].startswith("role/"):
        return None
    try:
        role, tags = cached_role(call, fields[5].rsplit("/", 1)[-1])
    except NoSuchEntity:
        return None
    return (role, tags) if role.arn == arn else None


@lru_cache(maxsize=10_000)
def _parsed_trust(role_id: str, document: str) -> Policy | None:
    try:
        return parse_policy(document, PolicyKind.TRUST, f"{role_id} trust policy")
    except MalformedPolicyError:
        return None


def trust_policy(role: Role) -> Policy | None:
    """The role's trust policy, parsed once per document (parsing it on every AssumeRole was
    a tenth of the call); ``None``, trusting no one, if it does not parse."""
    return _parsed_trust(role.id, role.assume_role_policy)


def session_policies(call: Call) -> tuple[list[str], list[str]]:
    """The inline ``Policy`` and the documents of ``PolicyArns``, and those ARNs.  A read
    transaction is opened only when there are ARNs to look up."""
    documents: list[str] = []
    inline = call.param("Policy")
    if inline is not None:
        try:
            parse_policy(inline, PolicyKind.SESSION, "Policy")
        except MalformedPolicyError as exc:
            raise MalformedPolicyDocument(exc.errors[0].message) from None
        documents.append(inline)
    arns = [item["arn"] for item in call.param("PolicyArns") or []]
    if arns:
        with call.store.read() as tx:
            for arn in arns:
                document = tx.policies.default_document(arn)
                if document is None:
                    raise ValidationError(f"Policy {arn} does not exist or is not attachable.")
                documents.append(document)
    return documents, arns
