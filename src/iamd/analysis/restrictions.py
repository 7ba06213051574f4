"""Condition clauses that keep outsiders out: the ones a caller cannot choose.

IAM Access Analyzer does not count a statement as public when it is limited by a condition
whose value the caller cannot influence: who the caller is (``aws:PrincipalAccount``,
``aws:PrincipalArn``, ``aws:PrincipalOrgID``, ``aws:userid`` ...), on whose behalf a service
acts (``aws:SourceAccount``, ``aws:SourceArn`` ...) or where the request comes from
(``aws:SourceVpc``, ``aws:SourceVpce``, ``aws:SourceIp``).  Such a statement is reported with
the narrowed principal and the condition instead (https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-findings.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-filter-keys.html,
which lists the ``condition.*`` keys findings carry).

A clause narrows only when it must hold and names exact values: a positive operator without
``IfExists`` (a missing key then fails it), no ``ForAllValues`` (true of a missing key), no
wildcard, no policy variable, no network wider than a /8 (IPv4) or /16 (IPv6).  Anything else
is treated as not narrowing, so the analyses err towards reporting access.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from iamd.policy import ConditionClause

ACCOUNT_KEYS = frozenset(
    {"aws:principalaccount", "aws:sourceaccount", "aws:sourceowner", "kms:calleraccount"}
)
"""Keys whose values are account IDs."""

ARN_KEYS = frozenset({"aws:principalarn", "aws:sourcearn"})
ORG_KEYS = frozenset({"aws:principalorgid", "aws:sourceorgid"})
SERVICE_KEYS = frozenset({"aws:principalisawsservice", "aws:principalservicename"})
"""Keys that hold only for AWS service principals (``Bool true`` / a service name)."""

RESTRICTING_KEYS = frozenset(
    ACCOUNT_KEYS
    | ARN_KEYS
    | ORG_KEYS
    | {
        "aws:principalorgpaths",
        "aws:sourceorgpaths",
        "aws:sourcevpc",
        "aws:sourcevpcarn",
        "aws:sourcevpce",
        "aws:sourceip",
        "aws:vpcsourceip",
        "aws:userid",
        "aws:principalisawsservice",
        "aws:principalservicename",
        "cognito-identity.amazonaws.com:aud",
    }
)

_POSITIVE = frozenset(
    {"StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike", "IpAddress"}
)
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
    "NotIpAddress": "IpAddress",
}


@dataclass(frozen=True, slots=True)
class Restriction:
    """``key`` (lower case) must take one of ``values`` for the statement to apply."""

    key: str
    written_key: str
    values: tuple[str, ...]


def _exact(values: tuple[str, ...], base: str) -> bool:
    for value in values:
        if "${" in value or "*" in value or "?" in value:
            return False
        if base == "IpAddress" and not _narrow_network(value):
            return False
    return True


def _narrow_network(text: str) -> bool:
    try:
        network = ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return False
    return network.prefixlen >= (8 if network.version == 4 else 16)


def _is_restricting_key(key: str, federated_keys: frozenset[str]) -> bool:
    return key in RESTRICTING_KEYS or key in federated_keys


def restriction(
    clause: ConditionClause, federated_keys: frozenset[str] = frozenset()
) -> Restriction | None:
    """The restriction an Allow statement's clause imposes, or ``None`` if it does not narrow."""
    key = clause.key.lower()
    if not _is_restricting_key(key, federated_keys):
        return None
    if clause.if_exists or clause.qualifier == "ForAllValues":
        return None
    if key == "aws:principalisawsservice":
        if clause.base == "Bool" and all(v.lower() == "true" for v in clause.values):
            return Restriction(key, clause.key, ("true",))
        return None
    if clause.base not in _POSITIVE or not _exact(clause.values, clause.base):
        return None
    return Restriction(key, clause.key, clause.values)


def deny_restriction(clause: ConditionClause) -> Restriction | None:
    """The restriction a Deny with this single negated clause imposes on everything it covers.

    ``Deny ... StringNotEquals aws:PrincipalOrgID o-1`` denies every caller outside ``o-1``
    and every caller without the key (a negated operator holds when the key is missing, with or
    without ``IfExists``), so what remains allowed carries the positive restriction.
    """
    key = clause.key.lower()
    if key not in RESTRICTING_KEYS or clause.qualifier is not None:
        return None
    positive = _NEGATED.get(clause.base)
    if positive is None or not _exact(clause.values, positive):
        return None
    return Restriction(key, clause.key, clause.values)


def account_of(value: str) -> str | None:
    """The account of a 12-digit ID or an ARN (``arn:aws:iam::111122223333:root``)."""
    if len(value) == 12 and value.isdigit():
        return value
    fields = value.split(":", 5)
    if len(fields) == 6 and fields[0] == "arn" and len(fields[4]) == 12 and fields[4].isdigit():
        return fields[4]
    return None
