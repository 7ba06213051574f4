"""IAM Access Analyzer's custom policy checks: CheckNoNewAccess, CheckAccessNotGranted and
CheckNoPublicAccess.

https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-custom-policy-checks.html and
the API reference (https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_CheckNoNewAccess.html,
``API_CheckAccessNotGranted.html``, ``API_CheckNoPublicAccess.html``).  Messages and reasons
are AWS's, as its documented examples show them.

Every PASS is a proof, never a sample: statements are compared as sets of (principal, action,
resource, context) with the sound tests of :mod:`iamd.analysis.patterns` and
:mod:`iamd.analysis.implication`.  What cannot be proven is a FAIL that names the statements
involved, as AWS's reasons do.  The proofs are cell by cell: each entry of a statement's
Principal, Action and Resource elements must be covered by a single statement of the other
policy (several statements may share the work between cells, not within one).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import product
from typing import Any

from iamd.analysis.documents import load_policy
from iamd.analysis.errors import AnalysisInputError, InvalidParameterError
from iamd.analysis.implication import alternatives, implies
from iamd.analysis.patterns import (
    ActionSet,
    PrincipalSet,
    ResourceGlob,
    ResourceSet,
    action_glob,
    actions_covered,
    actions_disjoint,
    principals_covered,
    principals_disjoint,
    resource_glob,
    resources_covered,
    resources_disjoint,
)
from iamd.analysis.resource_types import CHECKABLE, services_for
from iamd.analysis.restrictions import deny_restriction, restriction
from iamd.policy import ConditionClause, Effect, Policy, PolicyKind, Statement

IDENTITY_POLICY = "IDENTITY_POLICY"
RESOURCE_POLICY = "RESOURCE_POLICY"
POLICY_TYPES = (IDENTITY_POLICY, RESOURCE_POLICY)
MAX_ACCESS_ENTRIES = 100
MAX_CELLS = 20_000
"""Entry combinations one statement may have before the checks stop trying to prove it: a
bound on the work a caller can ask for with one document."""
"""At most 100 actions and 100 resources per access object (``AccessActionsList``)."""

PASS = "PASS"
FAIL = "FAIL"

NO_NEW_ACCESS_PASS = (
    "The modified permissions do not grant new access compared to your existing policy."
)
NO_NEW_ACCESS_FAIL = "The modified permissions grant new access compared to your existing policy."
NOT_GRANTED_PASS = (
    "The policy document does not grant access to perform the listed actions or resources."
)
NOT_GRANTED_FAIL = (
    "The policy document grants access to perform one or more of the listed actions or resources."
)
NO_PUBLIC_PASS = "The resource policy does not grant public access for the given resource type."
NO_PUBLIC_FAIL = "The resource policy grants public access for the given resource type."


@dataclass(frozen=True, slots=True)
class Reason:
    description: str
    statement_index: int | None
    statement_id: str | None


@dataclass(frozen=True, slots=True)
class CheckResult:
    result: str
    """``PASS`` or ``FAIL``."""
    message: str
    reasons: tuple[Reason, ...]


def _reason(prefix: str, statement: Statement) -> Reason:
    """``<prefix> the statement with sid: X.`` or ``... with index: 0.``, as AWS words it."""
    where = f"sid: {statement.sid}" if statement.sid else f"index: {statement.index}"
    return Reason(f"{prefix} {where}.", statement.index, statement.sid)


@dataclass(frozen=True, slots=True)
class _View:
    """A statement read as sets: who, what, on which resources, under which conditions."""

    statement: Statement
    principals: PrincipalSet
    actions: ActionSet
    resources: ResourceSet
    conditions: tuple[ConditionClause, ...]

    @classmethod
    def of(cls, statement: Statement, policy: Policy) -> _View:
        return cls(
            statement=statement,
            principals=PrincipalSet.of(statement),
            actions=ActionSet.of(statement),
            resources=ResourceSet.of(statement, policy.kind, policy.supports_variables),
            conditions=statement.conditions,
        )

    def same_as(self, other: _View, same_version: bool) -> bool:
        """The same statement, up to its Sid and place: it allows or denies exactly the same."""
        a, b = self.statement, other.statement
        return (
            same_version
            and (a.effect, a.action, a.not_action, a.resource, a.not_resource)
            == (b.effect, b.action, b.not_action, b.resource, b.not_resource)
            and (a.principal, a.not_principal) == (b.principal, b.not_principal)
            and _clauses(a) == _clauses(b)
        )


def _clauses(statement: Statement) -> frozenset[tuple[str, str, tuple[str, ...]]]:
    return frozenset((c.operator.lower(), c.key.lower(), c.values) for c in statement.conditions)


def _views(policy: Policy, effect: Effect) -> list[_View]:
    return [_View.of(s, policy) for s in policy.statements if s.effect is effect]


def _policy_type(policy_type: str) -> bool:
    """Whether ``policy_type`` names a resource policy; anything else is AWS's enum error."""
    if policy_type not in POLICY_TYPES:
        raise AnalysisInputError(
            f"1 validation error detected: Value '{policy_type}' at 'policyType' failed to "
            f"satisfy constraint: Member must satisfy enum value set: [{', '.join(POLICY_TYPES)}]"
        )
    return policy_type == RESOURCE_POLICY


# --- CheckNoNewAccess ----------------------------------------------------------------------


def check_no_new_access(
    new_document: str | Mapping[str, Any],
    existing_document: str | Mapping[str, Any],
    policy_type: str,
) -> CheckResult:
    """PASS when everything ``new_document`` allows is provably allowed by the existing one."""
    resource_policy = _policy_type(policy_type)
    new = load_policy(new_document, resource_policy=resource_policy)
    existing = load_policy(existing_document, resource_policy=resource_policy)
    same_version = new.supports_variables == existing.supports_variables
    existing_allows = _views(existing, Effect.ALLOW)
    existing_denies = _views(existing, Effect.DENY)
    new_denies = _views(new, Effect.DENY)
    reasons = [
        _reason("New access in the statement with", view.statement)
        for view in _views(new, Effect.ALLOW)
        if not _no_new_access(view, existing_allows, existing_denies, new_denies, same_version)
    ]
    if reasons:
        return CheckResult(FAIL, NO_NEW_ACCESS_FAIL, tuple(reasons))
    return CheckResult(PASS, NO_NEW_ACCESS_PASS, ())


@dataclass(frozen=True, slots=True)
class _Cells:
    """A statement's entries per dimension.  Every test here is per dimension, so a cell
    (one principal, action and resource entry) is decided by looking up three tables instead
    of comparing patterns once per cell."""

    principals: list[PrincipalSet]
    actions: list[ActionSet]
    resources: list[ResourceSet]

    @classmethod
    def of(cls, view: _View) -> _Cells | None:
        """``None`` above :data:`MAX_CELLS`, which the checks leave unproven."""
        cells = cls(view.principals.cells(), view.actions.cells(), view.resources.cells())
        if len(cells.principals) * len(cells.actions) * len(cells.resources) > MAX_CELLS:
            return None
        return cells

    def indices(self) -> Iterable[tuple[int, int, int]]:
        return product(
            range(len(self.principals)), range(len(self.actions)), range(len(self.resources))
        )

    def covered_by(self, other: _View) -> tuple[list[bool], list[bool], list[bool]]:
        return (
            [principals_covered(p, other.principals) for p in self.principals],
            [actions_covered(a, other.actions) for a in self.actions],
            [resources_covered(r, other.resources, outer_exact=True) for r in self.resources],
        )

    def disjoint_from(self, other: _View) -> tuple[list[bool], list[bool], list[bool]]:
        return (
            [principals_disjoint(p, other.principals) for p in self.principals],
            [actions_disjoint(a, other.actions) for a in self.actions],
            [resources_disjoint(r, other.resources) for r in self.resources],
        )


Table = tuple[list[bool], list[bool], list[bool]]


def _all(table: Table, i: int, j: int, k: int) -> bool:
    return table[0][i] and table[1][j] and table[2][k]


def _any(table: Table, i: int, j: int, k: int) -> bool:
    return table[0][i] or table[1][j] or table[2][k]


def _no_new_access(
    view: _View,
    allows: list[_View],
    denies: list[_View],
    new_denies: list[_View],
    same_version: bool,
) -> bool:
    cells = _Cells.of(view)
    if cells is None:
        return False
    twin = any(view.same_as(e, same_version) for e in allows)
    covered = [cells.covered_by(e) for e in allows]
    overlaps = [cells.disjoint_from(d) for d in denies]
    kept = [
        [_still_denied(view, cells, old, new, same_version) for new in new_denies] for old in denies
    ]
    answers: dict[frozenset[int], bool] = {}
    for i, j, k in cells.indices():
        if cells.resources[k].never:
            continue
        if not twin:
            holders = frozenset(n for n, table in enumerate(covered) if _all(table, i, j, k))
            if holders not in answers:
                chosen = [allows[n] for n in sorted(holders)]
                answers[holders] = _conditions_covered(view.conditions, chosen, same_version)
            if not answers[holders]:
                return False
        for old, disjoint in enumerate(overlaps):
            if _any(disjoint, i, j, k):
                continue
            # The existing policy denies part of this cell: the new one must deny it too.
            if not any(table is not None and _all(table, i, j, k) for table in kept[old]):
                return False
    return True


def _conditions_covered(
    conditions: tuple[ConditionClause, ...], holders: list[_View], same_version: bool
) -> bool:
    """Whether every context satisfying ``conditions`` satisfies some holder's conditions.

    One holder whose conditions are implied suffices.  Failing that, the values of one clause
    may be shared out: ``StringEquals k [a, b]`` is covered by one holder that allows ``k = a``
    and another that allows ``k = b`` (each also implied by the rest of ``conditions``).
    """
    if any(implies(conditions, h.conditions, same_version=same_version) for h in holders):
        return True
    for index, clause in enumerate(conditions):
        options = alternatives(clause)
        if options is None:
            continue
        rest = conditions[:index] + conditions[index + 1 :]
        if all(
            any(implies((*rest, option), h.conditions, same_version=same_version) for h in holders)
            for option in options
        ):
            return True
    return False


def _still_denied(
    view: _View, cells: _Cells, old: _View, new: _View, same_version: bool
) -> Table | None:
    """Per dimension, which entries' share of ``old``'s denial the new policy's deny ``new``
    still denies; ``None`` when its conditions may let a request through."""
    if new.same_as(old, same_version):
        return (
            [True] * len(cells.principals),
            [True] * len(cells.actions),
            [True] * len(cells.resources),
        )
    if not implies((*view.conditions, *old.conditions), new.conditions, same_version=same_version):
        return None
    whole = (
        principals_covered(old.principals, new.principals),
        actions_covered(old.actions, new.actions),
        resources_covered(old.resources, new.resources, outer_exact=True),
    )
    mine = cells.covered_by(new)
    return (
        [whole[0] or c for c in mine[0]],
        [whole[1] or c for c in mine[1]],
        [whole[2] or c for c in mine[2]],
    )


# --- CheckAccessNotGranted -----------------------------------------------------------------

_ACTION = re.compile(r"(?:\*|[A-Za-z0-9*?-]+:[^\s:]+)")


def _length_error(field: str, value: object, limit: int) -> AnalysisInputError:
    return AnalysisInputError(
        f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
        f"constraint: Member must have length less than or equal to {limit}"
    )


def _strings(item: Mapping[str, Any], field: str, index: int) -> list[str]:
    values = item.get(field)
    if values is None:
        return []
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise InvalidParameterError(f"Invalid {field}: a list of strings is required.")
    if len(values) > MAX_ACCESS_ENTRIES:
        raise _length_error(f"access.{index + 1}.member.{field}", values, MAX_ACCESS_ENTRIES)
    return values


def _access_sets(access: Sequence[Mapping[str, Any]]) -> list[tuple[ActionSet, ResourceSet]]:
    if not isinstance(access, Sequence) or isinstance(access, (str, bytes)):
        raise InvalidParameterError("Invalid access: a list of access objects is required.")
    if len(access) > 1:
        raise _length_error("access", list(access), 1)
    out: list[tuple[ActionSet, ResourceSet]] = []
    for index, item in enumerate(access):
        if not isinstance(item, Mapping):
            raise InvalidParameterError("Invalid access: a list of access objects is required.")
        actions = _strings(item, "actions", index)
        resources = _strings(item, "resources", index)
        if not actions and not resources:
            raise InvalidParameterError(
                "The access object must contain at least one action or resource."
            )
        for action in actions:
            if not _ACTION.fullmatch(action):
                raise InvalidParameterError(f"Invalid action: {action}")
        patterns: list[ResourceGlob] = []
        for resource in resources:
            found = (
                resource_glob(resource, PolicyKind.IDENTITY, variables=False)
                if resource == "*" or resource.startswith("arn:")
                else None
            )
            if found is None:
                raise InvalidParameterError(f"Invalid resource: {resource}")
            patterns.append(found[0])
        action_set = (
            ActionSet(False, tuple(action_glob(a) for a in actions))
            if actions
            else ActionSet(True, ())
        )
        resource_set = ResourceSet(False, tuple(patterns)) if patterns else ResourceSet(True, ())
        out.append((action_set, resource_set))
    return out


def check_access_not_granted(
    document: str | Mapping[str, Any],
    access: Sequence[Mapping[str, Any]],
    policy_type: str,
) -> CheckResult:
    """PASS when no statement can allow one of the listed actions on one of the resources.

    Only actions: any resource; only resources: any action (the API reference's reading).
    """
    resource_policy = _policy_type(policy_type)
    forbidden = _access_sets(access)
    if not forbidden:
        raise InvalidParameterError(
            "The access object must contain at least one action or resource."
        )
    policy = load_policy(document, resource_policy=resource_policy)
    denies = _views(policy, Effect.DENY)
    reasons = [
        _reason("One or more of the listed actions or resources in the statement with", v.statement)
        for v in _views(policy, Effect.ALLOW)
        if not all(_grants_none(v, actions, resources, denies) for actions, resources in forbidden)
    ]
    if reasons:
        return CheckResult(FAIL, NOT_GRANTED_FAIL, tuple(reasons))
    return CheckResult(PASS, NOT_GRANTED_PASS, ())


def _grants_none(
    view: _View, forbidden_actions: ActionSet, forbidden_resources: ResourceSet, denies: list[_View]
) -> bool:
    cells = _Cells.of(view)
    if cells is None:
        return False
    actions_apart = [actions_disjoint(a, forbidden_actions) for a in cells.actions]
    resources_apart = [resources_disjoint(r, forbidden_resources) for r in cells.resources]
    removed = [_deny_covers(view, cells, forbidden_actions, forbidden_resources, d) for d in denies]
    for i, j, k in cells.indices():
        if actions_apart[j] or resources_apart[k]:
            continue
        if not any(table is not None and _all(table, i, j, k) for table in removed):
            return False
    return True


def _deny_covers(
    view: _View,
    cells: _Cells,
    forbidden_actions: ActionSet,
    forbidden_resources: ResourceSet,
    deny: _View,
) -> Table | None:
    """Per dimension, which entries ``deny`` removes every forbidden request of; ``None`` when
    its conditions may let a request through."""
    if not implies(view.conditions, deny.conditions, same_version=True):
        return None
    all_actions = actions_covered(forbidden_actions, deny.actions)
    all_resources = resources_covered(forbidden_resources, deny.resources, outer_exact=True)
    mine = cells.covered_by(deny)
    return (
        mine[0],
        [all_actions or c for c in mine[1]],
        [all_resources or c for c in mine[2]],
    )


# --- CheckNoPublicAccess -------------------------------------------------------------------

_WEB_IDENTITY = frozenset(
    {
        "cognito-identity.amazonaws.com",
        "accounts.google.com",
        "graph.facebook.com",
        "www.amazon.com",
        "appleid.apple.com",
    }
)


def check_no_public_access(document: str | Mapping[str, Any], resource_type: str) -> CheckResult:
    """PASS when no statement lets in a caller the policy does not name (anyone at all).

    A statement is public when it names everyone (``*``, ``{"AWS": "*"}``, an Allow with
    ``NotPrincipal``) or, in a trust policy, a web identity provider with no condition on the
    provider's own keys, and reaches an action of the resource type's service, unless a
    condition the caller cannot influence narrows it (:mod:`iamd.analysis.restrictions`) or a
    Deny of the same policy provably removes it.
    """
    if resource_type not in CHECKABLE:
        raise AnalysisInputError(
            f"1 validation error detected: Value '{resource_type}' at 'resourceType' failed to "
            f"satisfy constraint: Member must satisfy enum value set: [{', '.join(CHECKABLE)}]"
        )
    policy = load_policy(document, resource_policy=True)
    services = services_for(resource_type) or ()
    reachable = ActionSet(False, tuple(action_glob(f"{s}:*") for s in services))
    denies = _views(policy, Effect.DENY)
    reasons = [
        _reason("Public access granted in the following statement with", v.statement)
        for v in _views(policy, Effect.ALLOW)
        if _is_public(v, reachable, denies)
    ]
    if reasons:
        return CheckResult(FAIL, NO_PUBLIC_FAIL, tuple(reasons))
    return CheckResult(PASS, NO_PUBLIC_PASS, ())


def _public_principal(view: _View) -> bool:
    if view.principals.everyone or view.principals.negated:
        return True
    for kind, value in view.principals.values:
        if kind != "Federated":
            continue
        host = value.split(":oidc-provider/", 1)[1] if ":oidc-provider/" in value else value
        if host.lower() in _WEB_IDENTITY or ":oidc-provider/" in value:
            prefix = host.lower() + ":"
            if not any(c.key.lower().startswith(prefix) for c in view.conditions):
                return True
    return False


def _is_public(view: _View, reachable: ActionSet, denies: list[_View]) -> bool:
    if view.resources.never or actions_disjoint(view.actions, reachable):
        return False
    if not _public_principal(view):
        return False
    if any(restriction(c) is not None for c in view.conditions):
        return False
    for deny in denies:
        if not deny.principals.everyone:
            continue
        if not (
            actions_covered(view.actions, deny.actions) or actions_covered(reachable, deny.actions)
        ):
            continue
        if not resources_covered(view.resources, deny.resources, outer_exact=True):
            continue
        if implies(view.conditions, deny.conditions, same_version=True):
            return False  # denied to everyone, whenever the allow applies
        if len(deny.conditions) == 1 and deny_restriction(deny.conditions[0]) is not None:
            return False  # what is left is restricted to callers the policy names
    return True
