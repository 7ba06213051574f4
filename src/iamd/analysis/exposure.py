"""Who outside the zone of trust a resource-based policy lets in.

This is the core of IAM Access Analyzer's external-access findings: for each Allow statement of
a resource-based policy (a role's trust policy, a bucket policy, a key policy ...), which
principals outside the analyzer's account (or organization) it names, with which actions, and
under which conditions.  https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-findings.html
(how findings work), https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-resources.html
(resource types) and https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_ExternalAccessDetails.html
(the ``principal``, ``action``, ``condition`` and ``isPublic`` of a finding).

The rules, erring towards reporting whenever the policy is not clear-cut:

- Deny statements grant nothing; service principals are not reported (AWS services act for
  the account); a principal in the resource's own account is inside the zone of trust.
- ``"Principal": "*"`` (or ``{"AWS": "*"}``, or an Allow with ``NotPrincipal``) is public,
  unless a condition the caller cannot influence narrows it (see
  :mod:`iamd.analysis.restrictions`): then the finding names the narrowed principal (the
  accounts of ``aws:PrincipalAccount`` / ``aws:PrincipalArn``) or keeps ``{"AWS": "*"}`` with
  the condition, and is not public.  A narrowing to the resource's own account, or to the
  analyzer's trusted organization, is no finding at all.
- Federated principals (SAML and OIDC providers, Amazon Cognito, web identity providers) are
  reported as ``federated``; a web identity provider (Cognito, Google, Facebook, Amazon, an
  OIDC provider) with no condition on its own keys is public: anyone with an account there
  can use it.
- A Deny statement without conditions that covers the principal, the resources and an action
  removes that action; a Deny that covers everything with a single negated restricting clause
  (``StringNotEquals aws:PrincipalOrgID``) narrows the Allow like the positive clause would.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from iamd.analysis.documents import load_policy
from iamd.analysis.patterns import (
    ActionSet,
    ResourceSet,
    action_glob,
    action_overlaps,
    actions_covered,
    names_everyone,
    resources_covered,
)
from iamd.analysis.resource_types import services_for
from iamd.analysis.restrictions import (
    ACCOUNT_KEYS,
    ARN_KEYS,
    ORG_KEYS,
    SERVICE_KEYS,
    Restriction,
    account_of,
    deny_restriction,
    restriction,
)
from iamd.catalog.actions import actions_for_service
from iamd.policy import Effect, PolicyKind, Statement

_WEB_IDENTITY = frozenset(
    {
        "cognito-identity.amazonaws.com",
        "accounts.google.com",
        "graph.facebook.com",
        "www.amazon.com",
        "appleid.apple.com",
    }
)


@dataclass(frozen=True, slots=True)
class Exposure:
    """One principal outside the zone of trust and what one statement lets it do."""

    statement_index: int
    statement_id: str | None
    principal: dict[str, str]
    """Access Analyzer's finding ``principal`` map: ``{"AWS": "444455556666"}``,
    ``{"AWS": "*"}``, ``{"Federated": "cognito-identity.amazonaws.com"}``."""
    actions: tuple[str, ...]
    """The actions granted, sorted: as written, or the catalog's actions if ``NotAction``."""
    conditions: dict[str, str]
    """Access Analyzer's finding ``condition`` map: each key as written, values joined by ``,``."""
    is_public: bool
    kind: str
    """``public``, ``cross-account`` or ``federated``."""


def exposures(
    document: str | Mapping[str, Any],
    account_id: str,
    *,
    resource_type: str = "AWS::IAM::Role",
    trusted_org_id: str | None = None,
) -> list[Exposure]:
    """Every external principal ``document`` lets in, one entry per statement and principal.

    Raises :class:`iamd.analysis.errors.InvalidPolicyDocumentError` for a malformed document.
    """
    policy = load_policy(document, resource_policy=True)
    denies = [s for s in policy.statements if s.effect is Effect.DENY]
    out: list[Exposure] = []
    for statement in policy.statements:
        if statement.effect is not Effect.ALLOW:
            continue
        out.extend(
            _statement_exposures(statement, denies, account_id, resource_type, trusted_org_id)
        )
    return out


def _statement_exposures(
    statement: Statement,
    denies: list[Statement],
    account_id: str,
    resource_type: str,
    trusted_org_id: str | None,
) -> list[Exposure]:
    actions = _granted_actions(statement, resource_type)
    restrictions = _restrictions(statement, denies)
    if _inside_zone(restrictions, account_id, trusted_org_id):
        return []
    conditions = _condition_map(statement, restrictions)
    out: list[Exposure] = []
    for principal, public, kind in _principals(statement, restrictions, account_id):
        remaining = _after_denies(actions, statement, principal, denies)
        if not remaining:
            continue
        out.append(
            Exposure(
                statement_index=statement.index,
                statement_id=statement.sid,
                principal=principal,
                actions=remaining,
                conditions=conditions,
                is_public=public,
                kind=kind,
            )
        )
    return out


def _granted_actions(statement: Statement, resource_type: str) -> tuple[str, ...]:
    if statement.action is not None:
        return tuple(sorted(set(statement.action)))
    assert statement.not_action is not None
    services = services_for(resource_type)
    if services is None:
        return ("*",)
    excluded = [action_glob(p) for p in statement.not_action]
    names: set[str] = set()
    for service in services:
        for info in actions_for_service(service):
            name = info.qualified_name
            literal = action_glob(name)
            if not any(action_overlaps(pattern, literal) for pattern in excluded):
                names.add(name)
    return tuple(sorted(names))


def _restrictions(statement: Statement, denies: list[Statement]) -> list[Restriction]:
    federated = frozenset(
        clause.key.lower()
        for clause in statement.conditions
        if statement.principal is not None
        and any(
            clause.key.lower().startswith(_provider_host(v) + ":")
            for v in statement.principal.federated
        )
    )
    found = [r for c in statement.conditions if (r := restriction(c, federated)) is not None]
    for deny in denies:
        if len(deny.conditions) != 1 or not _covers_all_callers(deny):
            continue
        if not _deny_covers_statement(deny, statement):
            continue
        implied = deny_restriction(deny.conditions[0])
        if implied is not None:
            found.append(implied)
    return found


def _inside_zone(
    restrictions: list[Restriction], account_id: str, trusted_org_id: str | None
) -> bool:
    """Whether one restriction alone keeps every caller inside the zone of trust (or limits
    it to AWS services acting for the account, which findings do not report)."""
    for item in restrictions:
        if item.key in SERVICE_KEYS:
            return True
        if item.key in ACCOUNT_KEYS and all(v == account_id for v in item.values):
            return True
        if item.key in ARN_KEYS and all(account_of(v) == account_id for v in item.values):
            return True
        if (
            item.key in ORG_KEYS
            and trusted_org_id is not None
            and all(v == trusted_org_id for v in item.values)
        ):
            return True
    return False


def _condition_map(statement: Statement, restrictions: list[Restriction]) -> dict[str, str]:
    merged: dict[str, list[str]] = {}
    written: dict[str, str] = {}
    pairs = [(c.key, c.values) for c in statement.conditions]
    pairs += [(r.written_key, r.values) for r in restrictions]
    for key, values in pairs:
        lowered = key.lower()
        written.setdefault(lowered, key)
        bucket = merged.setdefault(lowered, [])
        bucket.extend(v for v in values if v not in bucket)
    return {written[k]: ",".join(v) for k, v in merged.items()}


def _principals(
    statement: Statement, restrictions: list[Restriction], account_id: str
) -> Iterable[tuple[dict[str, str], bool, str]]:
    """``(principal map, is public, kind)`` for each external principal of an Allow."""
    spec = statement.principal
    everyone = statement.not_principal is not None or (spec is not None and names_everyone(spec))
    if everyone:
        yield from _narrowed_everyone(restrictions, account_id)
    if spec is None:
        return
    if everyone:
        return
    for value in spec.aws:
        account = account_of(value)
        if account == account_id:
            continue
        shown = account if account is not None and value.endswith(":root") else value
        yield {"AWS": shown}, False, "cross-account"
    for value in spec.federated:
        public = _is_web_identity(value) and not _has_provider_condition(statement, value)
        yield {"Federated": value}, public, "federated"
    for value in spec.canonical_user:
        yield {"CanonicalUser": value}, False, "cross-account"


def _narrowed_everyone(
    restrictions: list[Restriction], account_id: str
) -> Iterable[tuple[dict[str, str], bool, str]]:
    if not restrictions:
        yield {"AWS": "*"}, True, "public"
        return
    for item in restrictions:
        if item.key in ACCOUNT_KEYS:
            for value in item.values:
                if value != account_id:
                    yield {"AWS": value}, False, "cross-account"
            return
    for item in restrictions:
        if item.key in ARN_KEYS and item.key == "aws:principalarn":
            for value in item.values:
                if account_of(value) != account_id:
                    yield {"AWS": value}, False, "cross-account"
            return
    yield {"AWS": "*"}, False, "cross-account"


def _provider_host(value: str) -> str:
    """``arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com`` -> the host."""
    if value.startswith("arn:") and ":oidc-provider/" in value:
        return value.split(":oidc-provider/", 1)[1].lower()
    return value.lower()


def _is_web_identity(value: str) -> bool:
    return value.lower() in _WEB_IDENTITY or ":oidc-provider/" in value


def _has_provider_condition(statement: Statement, value: str) -> bool:
    prefix = _provider_host(value) + ":"
    return any(c.key.lower().startswith(prefix) for c in statement.conditions)


def _covers_all_callers(deny: Statement) -> bool:
    return deny.principal is not None and names_everyone(deny.principal)


def _deny_covers_principal(deny: Statement, principal: dict[str, str]) -> bool:
    if _covers_all_callers(deny):
        return True
    spec = deny.principal
    if spec is None:
        return False
    kind, value = next(iter(principal.items()))
    if kind == "AWS":
        account = account_of(value)
        return value in spec.aws or (
            account is not None
            and any(v == account or v == f"arn:aws:iam::{account}:root" for v in spec.aws)
        )
    if kind == "Federated":
        return value in spec.federated
    return value in spec.canonical_user


def _deny_covers_resources(deny: Statement, allow: Statement) -> bool:
    wanted = ResourceSet.of(allow, PolicyKind.RESOURCE, variables=True)
    covering = ResourceSet.of(deny, PolicyKind.RESOURCE, variables=True)
    return resources_covered(wanted, covering, outer_exact=True)


def _deny_covers_action(deny: Statement, action: str) -> bool:
    return actions_covered(ActionSet(False, (action_glob(action),)), ActionSet.of(deny))


def _deny_covers_statement(deny: Statement, allow: Statement) -> bool:
    """Whether ``deny`` applies to every action and resource ``allow`` grants."""
    return _deny_covers_resources(deny, allow) and actions_covered(
        ActionSet.of(allow), ActionSet.of(deny)
    )


def _after_denies(
    actions: tuple[str, ...],
    allow: Statement,
    principal: dict[str, str],
    denies: list[Statement],
) -> tuple[str, ...]:
    relevant = [
        d
        for d in denies
        if not d.conditions
        and d.not_principal is None
        and _deny_covers_principal(d, principal)
        and _deny_covers_resources(d, allow)
    ]
    if not relevant:
        return actions
    return tuple(a for a in actions if not any(_deny_covers_action(d, a) for d in relevant))
