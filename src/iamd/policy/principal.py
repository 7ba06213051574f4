"""Does a Principal (or NotPrincipal) element name the caller, and how directly?

How directly matters: a resource policy that names a user or a role session by ARN grants past
an implicit deny in a permissions boundary or session policy; one that names only the account
delegates to the account's own IAM policies; one that names the role behind a session is
limited by that session's policies.
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
"""

from __future__ import annotations

from enum import IntEnum

from iamd.policy.model import PrincipalSpec
from iamd.policy.request import PrincipalInfo, PrincipalKind


class PrincipalMatch(IntEnum):
    """Ordered from no match to the most direct one."""

    NONE = 0
    ACCOUNT = 1
    """The policy names the caller's account (``123456789012`` or ``...:root``)."""
    SESSION_ROLE = 2
    """The policy names the role (or IAM user) behind the caller's session."""
    DIRECT = 3
    """The policy names the caller itself, or everyone (``*``)."""


def _account_of(value: str) -> str | None:
    if len(value) == 12 and value.isdigit():
        return value
    fields = value.split(":")
    if len(fields) == 6 and fields[2] == "iam" and fields[5] == "root":
        return fields[4]
    return None


def _aws_match(value: str, caller: PrincipalInfo) -> PrincipalMatch:
    if value == "*" or value == caller.arn:
        return PrincipalMatch.DIRECT
    account = _account_of(value)
    if account is not None:
        return PrincipalMatch.ACCOUNT if account == caller.account else PrincipalMatch.NONE
    fields = value.split(":", 5)
    if len(fields) != 6 or fields[4] != caller.account:
        return PrincipalMatch.NONE
    resource = fields[5]
    behind = {PrincipalKind.ASSUMED_ROLE: "role/", PrincipalKind.FEDERATED_USER: "user/"}
    prefix = behind.get(caller.kind)
    if prefix and resource.startswith(prefix) and resource.rsplit("/", 1)[-1] == caller.name:
        return PrincipalMatch.SESSION_ROLE
    return PrincipalMatch.NONE


def match_principal(spec: PrincipalSpec, caller: PrincipalInfo) -> PrincipalMatch:
    """The most direct way in which ``spec`` names ``caller``."""
    if spec.wildcard:
        return PrincipalMatch.DIRECT
    if caller.kind is PrincipalKind.ANONYMOUS:
        return PrincipalMatch.DIRECT if "*" in spec.aws else PrincipalMatch.NONE
    best = PrincipalMatch.NONE
    for value in spec.aws:
        best = max(best, _aws_match(value, caller))
    for group in (spec.service, spec.federated, spec.canonical_user):
        if caller.arn in group or "*" in group:
            return PrincipalMatch.DIRECT
    return best
