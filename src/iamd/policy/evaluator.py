"""AWS's policy evaluation logic over every policy type.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html

1. An explicit deny in any policy (SCP, RCP, resource-based, identity-based, permissions
   boundary, session) denies.
2. Every SCP level must allow the action (RCP levels allow by default: AWS attaches
   ``RCPFullAWSAccess`` to every level).
3. Within one account an allow in an identity-based policy *or* in the resource-based policy
   suffices.  An identity-based allow is limited by the permissions boundary and the session
   policy.  A resource-based allow that names the caller itself (the user, the role session, or
   ``*``) is not limited by an implicit deny in either; one that names only the role behind a
   session is limited by both; one that names only the account grants nothing by itself.
4. Across accounts both sides must allow: the identity side (with boundary and session policy)
   and the resource-based policy.

Evaluation is planned per action: the statements whose Action element covers the action are
selected once and cached, so a request checks only resources and conditions of its candidates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from iamd.policy import service_rules
from iamd.policy.compiler import CompiledPolicy, CompiledStatement, ResourceTest, compile_policy
from iamd.policy.conditions import Predicate
from iamd.policy.decision import Decision, Outcome, PolicyType, StatementRef
from iamd.policy.model import Policy
from iamd.policy.principal import PrincipalMatch, match_principal
from iamd.policy.request import PrincipalKind, Request
from iamd.policy.variables import Context

DENY, ALLOW, NONE = 2, 1, 0

Entry = tuple[ResourceTest | None, Predicate | None, StatementRef, Decision]


@dataclass(frozen=True)
class PolicySet:
    """Every policy that applies to one principal's request, by type."""

    identity: Sequence[Policy] = ()
    boundary: Policy | None = None
    session: Policy | Sequence[Policy] | None = None
    """The session policy; an inline one and managed ones together allow what any allows."""
    resource: Policy | None = None
    scp: Sequence[Sequence[Policy]] = ()
    """One list of policies per organization level, root first."""
    rcp: Sequence[Sequence[Policy]] = ()
    """Customer RCPs per level; ``RCPFullAWSAccess`` is implied at every level."""


@dataclass(frozen=True, slots=True)
class _Slice:
    denies: tuple[Entry, ...]
    allows: tuple[Entry, ...]

    def scan(self, resource: str, context: Context) -> tuple[int, StatementRef | None]:
        """DENY with the first deny that applies, else ALLOW with the first allow, else NONE."""
        for resource_test, condition_test, ref, _ in self.denies:
            if (resource_test is None or resource_test(resource, context)) and (
                condition_test is None or condition_test(context)
            ):
                return DENY, ref
        for resource_test, condition_test, ref, _ in self.allows:
            if (resource_test is None or resource_test(resource, context)) and (
                condition_test is None or condition_test(context)
            ):
                return ALLOW, ref
        return NONE, None


@dataclass(frozen=True, slots=True)
class _Plan:
    identity: _Slice
    boundary: _Slice | None
    session: _Slice | None
    resource: tuple[tuple[CompiledStatement, StatementRef], ...] | None
    scp: tuple[_Slice, ...]
    rcp: tuple[_Slice, ...]
    simple: bool
    """Identity policies only: the decision is the identity policies' alone."""


@dataclass(frozen=True, slots=True)
class _Group:
    policy_type: PolicyType
    members: tuple[tuple[CompiledStatement, StatementRef], ...]

    def slice(self, action: str) -> _Slice:
        denies: list[Entry] = []
        allows: list[Entry] = []
        for compiled, ref in self.members:
            if not compiled.covers_action(action):
                continue
            outcome = Outcome.EXPLICIT_DENY if compiled.deny else Outcome.ALLOWED
            entry: Entry = (
                compiled.resource_test,
                compiled.condition_test,
                ref,
                Decision(outcome, self.policy_type, (ref,)),
            )
            (denies if compiled.deny else allows).append(entry)
        return _Slice(tuple(denies), tuple(allows))


def _group(policy_type: PolicyType, policies: Sequence[Policy]) -> _Group:
    members: list[tuple[CompiledStatement, StatementRef]] = []
    for policy in policies:
        compiled: CompiledPolicy = compile_policy(policy)
        for statement in compiled.statements:
            s = statement.statement
            ref = StatementRef(policy_type, policy.name, s.index, s.sid, s.effect)
            members.append((statement, ref))
    return _Group(policy_type, tuple(members))


_IMPLICIT = {t: Decision(Outcome.IMPLICIT_DENY, t) for t in PolicyType}
_NO_PERMISSION_NEEDED = Decision(Outcome.ALLOWED, None)


@dataclass
class Evaluator:
    """A compiled policy set.  Build once, then call :meth:`evaluate` for each request."""

    policies: PolicySet
    plan_cache_size: int = 4096
    _plans: dict[str, _Plan] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        p = self.policies
        self._identity = _group(PolicyType.IDENTITY, p.identity)
        self._boundary = _group(PolicyType.BOUNDARY, [p.boundary]) if p.boundary else None
        sessions = [p.session] if isinstance(p.session, Policy) else list(p.session or [])
        self._session = _group(PolicyType.SESSION, sessions) if sessions else None
        self._resource = _group(PolicyType.RESOURCE, [p.resource]) if p.resource else None
        self._scp = tuple(_group(PolicyType.SCP, level) for level in p.scp)
        self._rcp = tuple(_group(PolicyType.RCP, level) for level in p.rcp)
        self._simple = not (self._boundary or self._session or self._resource or p.scp or p.rcp)
        self._has_resource_policy = p.resource is not None

    def _plan(self, action: str) -> _Plan:
        plan = _Plan(
            identity=self._identity.slice(action),
            boundary=self._boundary.slice(action) if self._boundary else None,
            session=self._session.slice(action) if self._session else None,
            resource=(
                tuple(m for m in self._resource.members if m[0].covers_action(action))
                if self._resource
                else None
            ),
            scp=tuple(g.slice(action) for g in self._scp),
            rcp=tuple(g.slice(action) for g in self._rcp),
            simple=self._simple and not service_rules.is_special(action),
        )
        if len(self._plans) >= self.plan_cache_size:
            self._plans.clear()
        self._plans[action] = plan
        return plan

    def evaluate(self, request: Request) -> Decision:
        """Decide ``request``.  Never raises for a well-formed request; fails closed."""
        plan = self._plans.get(request.action) or self._plan(request.action)
        if plan.simple and request.same_account:
            resource = request.resource
            context = request.context
            identity = plan.identity
            for resource_test, condition_test, _, decision in identity.denies:
                if (resource_test is None or resource_test(resource, context)) and (
                    condition_test is None or condition_test(context)
                ):
                    return decision
            for resource_test, condition_test, _, decision in identity.allows:
                if (resource_test is None or resource_test(resource, context)) and (
                    condition_test is None or condition_test(context)
                ):
                    return decision
            return _IMPLICIT[PolicyType.IDENTITY]
        return self._evaluate_full(plan, request)

    def _evaluate_full(self, plan: _Plan, request: Request) -> Decision:
        resource = request.resource
        context = request.context
        caller = request.principal
        action = request.action
        authenticated = caller.kind is not PrincipalKind.ANONYMOUS
        if authenticated and action.lower() in service_rules.NO_PERMISSION_NEEDED:
            return _NO_PERMISSION_NEEDED

        denied: list[StatementRef] = []
        scp_results = [s.scan(resource, context) for s in plan.scp]
        if caller.kind is PrincipalKind.SERVICE:
            scp_results = []  # SCPs restrict the organization's own principals only.
        rcp_results = [s.scan(resource, context) for s in plan.rcp]
        identity, identity_ref = plan.identity.scan(resource, context)
        boundary = plan.boundary.scan(resource, context) if plan.boundary else None
        session = plan.session.scan(resource, context) if plan.session else None
        res_deny, res_allows = self._resource_scan(plan, request)

        first_deny: PolicyType | None = None
        for policy_type, results in (
            (PolicyType.SCP, scp_results),
            (PolicyType.RCP, rcp_results),
            (PolicyType.IDENTITY, [(identity, identity_ref)]),
            (PolicyType.BOUNDARY, [boundary] if boundary else []),
            (PolicyType.SESSION, [session] if session else []),
        ):
            for verdict, ref in results:
                if verdict == DENY and ref is not None:
                    denied.append(ref)
                    first_deny = first_deny or policy_type
        if res_deny is not None:
            denied.append(res_deny)
            first_deny = first_deny or PolicyType.RESOURCE
        if first_deny is not None:
            return Decision(Outcome.EXPLICIT_DENY, first_deny, tuple(denied))

        if any(verdict == NONE for verdict, _ in scp_results):
            return _IMPLICIT[PolicyType.SCP]

        boundary_ok = boundary is None or boundary[0] == ALLOW
        session_ok = session is None or session[0] == ALLOW
        identity_ok = identity == ALLOW and boundary_ok and session_ok
        direct = res_allows.get(PrincipalMatch.DIRECT)
        via_role = res_allows.get(PrincipalMatch.SESSION_ROLE)
        account = res_allows.get(PrincipalMatch.ACCOUNT)

        if caller.kind in (PrincipalKind.ANONYMOUS, PrincipalKind.SERVICE):
            if direct is not None:
                return Decision(Outcome.ALLOWED, PolicyType.RESOURCE, (direct,))
            return _IMPLICIT[PolicyType.RESOURCE]

        if service_rules.immutable(action, resource):
            return _IMPLICIT[PolicyType.IDENTITY]

        if request.same_account:
            if direct is not None:
                return Decision(Outcome.ALLOWED, PolicyType.RESOURCE, (direct,))
            if via_role is not None and boundary_ok and session_ok:
                return Decision(Outcome.ALLOWED, PolicyType.RESOURCE, (via_role,))
            trust = service_rules.trust(action, resource, self._has_resource_policy)
            if trust is service_rules.Trust.EXPLICIT and account is None:
                # The trust or key policy does not delegate to this account's IAM policies.
                return _IMPLICIT[PolicyType.RESOURCE]
            if identity_ok:
                granted = tuple(r for r in (identity_ref, boundary and boundary[1]) if r)
                return Decision(Outcome.ALLOWED, PolicyType.IDENTITY, granted)
            return _IMPLICIT[self._missing_allow(identity, boundary_ok, session_ok)]

        resource_ref = direct or via_role or account
        if not identity_ok:
            return _IMPLICIT[self._missing_allow(identity, boundary_ok, session_ok)]
        if resource_ref is None:
            return _IMPLICIT[PolicyType.RESOURCE]
        refs = tuple(r for r in (identity_ref, resource_ref) if r)
        return Decision(Outcome.ALLOWED, PolicyType.RESOURCE, refs)

    @staticmethod
    def _missing_allow(identity: int, boundary_ok: bool, session_ok: bool) -> PolicyType:
        if identity != ALLOW:
            return PolicyType.IDENTITY
        if not boundary_ok:
            return PolicyType.BOUNDARY
        return PolicyType.SESSION if not session_ok else PolicyType.IDENTITY

    def _resource_scan(
        self, plan: _Plan, request: Request
    ) -> tuple[StatementRef | None, dict[PrincipalMatch, StatementRef]]:
        """The resource-based policy's deny, if any, and its allows by how directly they match."""
        allows: dict[PrincipalMatch, StatementRef] = {}
        if not plan.resource:
            return None, allows
        caller = request.principal
        has_boundary = plan.boundary is not None
        for compiled, ref in plan.resource:
            if not compiled.applies(request.resource, request.context):
                continue
            if compiled.not_principal is not None:
                excluded = match_principal(compiled.not_principal, caller) > PrincipalMatch.NONE
                # AWS: a Deny with NotPrincipal always applies to a caller with a boundary.
                applies = not excluded or (compiled.deny and has_boundary)
                level = PrincipalMatch.DIRECT if applies else PrincipalMatch.NONE
            elif compiled.principal is not None:
                level = match_principal(compiled.principal, caller)
            else:
                level = PrincipalMatch.NONE
            if level is PrincipalMatch.NONE:
                continue
            if compiled.deny:
                return ref, allows
            allows.setdefault(level, ref)
        return None, allows


def evaluate(policies: PolicySet, request: Request) -> Decision:
    """One-off evaluation; keep an :class:`Evaluator` to reuse the compiled plans."""
    return Evaluator(policies).evaluate(request)
