"""Reading the policy documents the analyses are given.

The analyses take what AWS's APIs take: a JSON string (or an already-decoded object).  A
resource-based policy handed to Access Analyzer may omit ``Resource`` (a role's trust policy
has none; AWS's own CheckNoPublicAccess examples leave it out of a bucket policy): such a
statement is about the resource the policy is attached to, which the analyses read as
``"Resource": "*"``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from iamd.analysis.errors import InvalidPolicyDocumentError
from iamd.policy import MalformedPolicyError, Policy, PolicyKind, load_json, parse_policy


def decode(document: str | bytes | Mapping[str, Any]) -> Any:
    """The JSON value of ``document``; a string that is not JSON is an invalid document."""
    if isinstance(document, (str, bytes)):
        try:
            return load_json(document)
        except (ValueError, RecursionError):
            raise InvalidPolicyDocumentError(
                "Invalid policy document: the JSON is malformed."
            ) from None
    return document


def load_policy(document: str | bytes | Mapping[str, Any], *, resource_policy: bool) -> Policy:
    """Parse a document for analysis, as an identity policy or as a resource-based policy."""
    value = decode(document)
    if resource_policy and isinstance(value, Mapping):
        value = _with_resources(value)
    kind = PolicyKind.RESOURCE if resource_policy else PolicyKind.IDENTITY
    try:
        return parse_policy(value, kind)
    except MalformedPolicyError as exc:
        raise InvalidPolicyDocumentError(f"Invalid policy document: {exc}") from None


def _with_resources(value: Mapping[str, Any]) -> Any:
    statements = value.get("Statement")
    if isinstance(statements, dict):
        items: list[Any] = [statements]
    elif isinstance(statements, list):
        items = statements
    else:
        return value
    if not any(_lacks_resource(s) for s in items):
        return value
    fixed = copy.deepcopy(dict(value))
    target = [fixed["Statement"]] if isinstance(statements, dict) else fixed["Statement"]
    for statement in target:
        if _lacks_resource(statement):
            statement["Resource"] = "*"
    return fixed


def _lacks_resource(statement: Any) -> bool:
    return (
        isinstance(statement, dict)
        and "Resource" not in statement
        and "NotResource" not in statement
    )
