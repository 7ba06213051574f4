"""Checks on the document as a whole: Version, Sids, size, keys that differ only in case.

These read the JSON as written, so they also cover statements the parser refused.
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_sid.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from iamd.policy import PolicyKind
from iamd.policy.errors import pointer_join
from iamd.validation.context import CheckContext, finding
from iamd.validation.findings import Finding

_SID = re.compile(r"[A-Za-z0-9]*")
_IAM_STORED = (PolicyKind.IDENTITY, PolicyKind.BOUNDARY, PolicyKind.TRUST)
"""Policies IAM itself stores, whose Sids may hold only ASCII letters and digits."""

_QUOTAS = {
    PolicyKind.IDENTITY: (6144, "POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA", "managed policy"),
    PolicyKind.BOUNDARY: (6144, "POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA", "managed policy"),
    PolicyKind.TRUST: (2048, "POLICY_SIZE_EXCEEDS_ROLE_TRUST_POLICY_QUOTA", "role trust policy"),
    PolicyKind.SCP: (5120, "POLICY_SIZE_EXCEEDS_SCP_QUOTA", "service control policy"),
}
"""Default quotas in characters, white space excluded.  The role trust policy quota can be
raised to 4,096; the check uses the default."""


def raw_statements(document: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(pointer, statement)`` for each statement object in the document as written."""
    if not isinstance(document, dict):
        return
    raw = document.get("Statement")
    if isinstance(raw, dict):
        yield "/Statement", raw
    elif isinstance(raw, list):
        for index, item in enumerate(raw):
            if isinstance(item, dict):
                yield f"/Statement/{index}", item


def check(ctx: CheckContext) -> Iterator[Finding]:
    document = ctx.document
    if isinstance(document, dict) and "Version" not in document:
        yield finding(
            "MISSING_VERSION",
            'Add "Version": "2012-10-17". Without it the policy is read with the 2008 rules: '
            "policy variables such as ${aws:username} are literal text.",
            "",
        )
    yield from _size(ctx)
    for pointer, statement in raw_statements(document):
        yield from _sid(ctx, pointer, statement)
        yield from _conditions(pointer, statement)


def _size(ctx: CheckContext) -> Iterator[Finding]:
    quota = _QUOTAS.get(ctx.kind)
    if quota is None:
        return
    limit, code, what = quota
    if ctx.size > limit:
        yield finding(
            code,
            f"The policy has {ctx.size} characters without white space; the {what} quota is "
            f"{limit}. Split it into several granular policies.",
            "",
        )


def _sid(ctx: CheckContext, pointer: str, statement: dict[str, Any]) -> Iterator[Finding]:
    sid = statement.get("Sid")
    if not isinstance(sid, str):
        return
    where = pointer_join(pointer, "Sid")
    if sid == "":
        yield finding(
            "EMPTY_SID_VALUE", "Add a value to the empty string in the Sid element.", where
        )
    elif ctx.kind in _IAM_STORED and not _SID.fullmatch(sid):
        yield finding(
            "UNSUPPORTED_SID",
            f"The Sid {sid!r} may use only the characters [a-z, A-Z, 0-9] in an IAM policy.",
            where,
        )


def _conditions(pointer: str, statement: dict[str, Any]) -> Iterator[Finding]:
    block = statement.get("Condition")
    where = pointer_join(pointer, "Condition")
    if block == {}:
        yield finding(
            "EMPTY_OBJECT_CONDITION",
            "This condition block is empty and does not affect the policy. Remove it or "
            "specify conditions.",
            where,
        )
        return
    if not isinstance(block, dict):
        return
    yield from _case_duplicates(where, block, "condition operator")
    for operator, keys in block.items():
        if isinstance(keys, dict):
            yield from _case_duplicates(pointer_join(where, operator), keys, "condition key")


def _case_duplicates(pointer: str, mapping: dict[str, Any], what: str) -> Iterator[Finding]:
    """Keys equal but for case: AWS reads condition keys and operators without case."""
    first: dict[str, str] = {}
    for key in mapping:
        lowered = key.lower()
        if lowered in first:
            yield finding(
                "DUPLICATE_KEYS_WITH_DIFFERENT_CASE",
                f"The {what} {key!r} appears more than once with different capitalization "
                f"({first[lowered]!r}) in the same condition block. Remove the duplicate.",
                pointer_join(pointer, key),
            )
        else:
            first[lowered] = key
