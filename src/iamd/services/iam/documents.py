"""Policy documents arriving in IAM calls: parsed by the engine, sized as AWS counts them."""

from __future__ import annotations

from urllib.parse import quote, unquote

from iamd.errors import LimitExceeded, MalformedPolicyDocument
from iamd.policy import MalformedPolicyError, Policy, PolicyKind, parse_policy


def non_whitespace_length(document: str) -> int:
    """AWS quotas count policy characters excluding white space."""
    return sum(1 for ch in document if not ch.isspace())


def checked_policy(document: str, kind: PolicyKind, name: str = "policy") -> Policy:
    """Parse ``document`` or raise ``MalformedPolicyDocument`` with AWS's first message."""
    try:
        return parse_policy(document, kind, name)
    except MalformedPolicyError as exc:
        raise MalformedPolicyDocument(exc.errors[0].message) from None


def check_size(document: str, limit: int, message: str) -> None:
    if non_whitespace_length(document) > limit:
        raise LimitExceeded(message)


def encoded(document: str) -> str:
    """IAM returns documents URL-encoded (RFC 3986), as the query API always has."""
    return quote(document, safe="")


def decoded(document: str) -> str:
    return unquote(document)
