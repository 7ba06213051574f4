"""Privilege-escalation paths: how a principal that is not admin can become one.

The search is a breadth-first walk *backwards* from the goal.  The goal is every admin
(:mod:`iamd.analysis.admin`) and every principal that can make itself admin in one call
(attach or put a policy on itself or its group, rewrite a policy that applies to it, join a
more powerful group).  Each round then finds the principals with an edge into the principals
reached in the round before: ``P -> T`` when P can obtain T's credentials or session
(:mod:`iamd.analysis.methods`).  A principal is reached once, at its shortest distance, so
every reported path is a shortest one.

Asking the engine about all 5,000 x 5,000 pairs would take minutes.  Instead each
principal's allow statements are indexed once by the escalation actions they cover and the
resource patterns they name (:class:`Capabilities`); a pair is put to the engine only when the
index says an allow could apply, and only for targets new in the round.  The engine has the
last word on every edge: denies, boundaries, conditions and trust policies all count, so a
candidate the index let through but the engine refuses is no edge.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from iamd.analysis.account import Account
from iamd.analysis.admin import AdminVerdict, admin_verdict, could_become_admin
from iamd.analysis.methods import (
    ACTIONS,
    COMPUTE,
    GROUP_JOIN,
    REGION,
    SELF_GRANT_GROUP,
    SELF_GRANT_ROLE,
    SELF_GRANT_USER,
    USER_TAKEOVER,
    ComputeMethod,
)
from iamd.analysis.principals import ActionFilter, PolicyLibrary, Principal, group_policies
from iamd.policy import (
    Effect,
    Evaluator,
    Outcome,
    Policy,
    PolicyKind,
    PolicySet,
    PolicyType,
    Request,
    Statement,
    StatementRef,
    parse_policy,
)
from iamd.policy.compiler import compile_policy
from iamd.policy.principal import PrincipalMatch, match_principal
from iamd.policy.wildcard import to_regex

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class Step:
    """One move: ``source`` uses ``method`` on ``target`` and then controls ``gains``."""

    source: str
    method: str
    target: str
    gains: str
    statements: tuple[StatementRef, ...]
    """The statements that allowed it (identity, boundary and trust policy)."""
    assumes: str | None = None
    """What must exist for the step to work, when the file cannot show it."""
    grants: bool = False
    """The step makes ``target`` (another principal) admin; a later step takes it over."""

    @property
    def made_admin(self) -> bool:
        """The step grants admin rights (rather than handing over another principal)."""
        return self.gains == self.source

    def render(self) -> str:
        if self.grants:
            return f"-[{self.method} on {short(self.target)}]"
        if self.made_admin:
            return f"-[{self.method} on {short(self.target)}]-> admin"
        return f"-[{self.method}]-> {short(self.gains)}"


@dataclass(frozen=True, slots=True)
class EscalationPath:
    principal: str
    steps: tuple[Step, ...]
    admin: str
    """The principal that is (or is made) admin at the end of the path."""

    def render(self) -> str:
        parts = [short(self.principal)] + [s.render() for s in self.steps]
        text = " ".join(parts)
        return text if self.steps[-1].made_admin else text + " (admin)"


def short(arn: str) -> str:
    """``arn:aws:iam::123456789012:user/dev/alice`` -> ``user/dev/alice``."""
    parts = arn.split(":", 5)
    return parts[5] if len(parts) == 6 else arn


# --- the capability index ---------------------------------------------------------------------

_ANY = None


class Capabilities:
    """Per action, the principals with an allow statement covering it, and where it applies.

    A superset of what the engine allows (conditions, denies and boundaries are not looked
    at): it only decides which pairs are worth asking the engine about.
    """

    def __init__(self, principals: Iterable[Principal], actions: Iterable[str]) -> None:
        self.filter = ActionFilter(actions)
        self.actions = self.filter.actions or frozenset()
        self._covered: dict[int, tuple[frozenset[str], tuple[str, ...] | None]] = {}
        self.index: dict[str, dict[int, list[str] | None]] = {a: {} for a in self.actions}
        self._matchers: dict[tuple[str, ...], re.Pattern[str]] = {}
        for position, principal in enumerate(principals):
            self._add(position, principal)

    def _statement(self, statement: Statement) -> tuple[frozenset[str], tuple[str, ...] | None]:
        key = id(statement)
        found = self._covered.get(key)
        if found is not None:
            return found
        patterns = statement.action if statement.action is not None else statement.not_action
        assert patterns is not None
        hit: frozenset[str] = frozenset().union(*(self.filter.covered(p) for p in patterns))
        covered = hit if statement.action is not None else self.actions - hit
        resources: tuple[str, ...] | None
        if statement.resource is None or any(r == "*" or "${" in r for r in statement.resource):
            resources = _ANY
        else:
            resources = statement.resource
        found = (covered, resources)
        self._covered[key] = found
        return found

    def _add(self, position: int, principal: Principal) -> None:
        for policy in principal.policies:
            for statement in policy.statements:
                if statement.effect is not Effect.ALLOW:
                    continue
                covered, resources = self._statement(statement)
                for action in covered:
                    slot = self.index[action]
                    if position in slot and slot[position] is _ANY:
                        continue
                    if resources is _ANY:
                        slot[position] = _ANY
                    else:
                        slot.setdefault(position, [])
                        current = slot[position]
                        assert current is not None
                        current.extend(resources)

    def holders(self, action: str) -> Mapping[int, list[str] | None]:
        return self.index.get(action.lower(), {})

    def has(self, action: str, position: int) -> bool:
        return position in self.index.get(action.lower(), {})

    def covers(self, patterns: list[str] | None, arn: str) -> bool:
        if patterns is _ANY:
            return True
        key = tuple(patterns)
        matcher = self._matchers.get(key)
        if matcher is None:
            source = "|".join(f"(?:{to_regex([(p, True)])})" for p in key)
            matcher = re.compile(source, re.IGNORECASE | re.DOTALL)
            self._matchers[key] = matcher
        return matcher.fullmatch(arn) is not None

    def may(self, action: str, position: int, arn: str) -> bool:
        slot = self.index.get(action.lower(), {})
        return position in slot and self.covers(slot[position], arn)


def _resource_type(arn: str) -> tuple[str, ...]:
    """``arn:aws:lambda:r:a:function:f`` -> ``("aws", "lambda", "function")``."""
    parts = arn.split(":", 5)
    if len(parts) != 6:
        return (arn,)
    head = parts[5].split("/", 1)[0].split(":", 1)[0]
    return (parts[1], parts[2], head)


def _granted_resources(p: Principal, action: str, action_filter: ActionFilter) -> list[str]:
    """The Resource patterns of ``p``'s allow statements whose Action names ``action``."""
    lowered = action.lower()
    out: list[str] = []
    for policy in p.policies:
        for statement in policy.statements:
            if statement.effect is not Effect.ALLOW or statement.action is None:
                continue
            if statement.resource and any(
                lowered in action_filter.covered(a) for a in statement.action
            ):
                out.extend(statement.resource)
    return out


def _delegating(trust: Policy | None, request: Request) -> tuple[StatementRef, ...]:
    """The trust statements that apply to the request by naming the caller's account."""
    if trust is None:
        return ()
    out = []
    for compiled in compile_policy(trust).statements:
        spec = compiled.principal
        if compiled.deny or spec is None or not compiled.covers_action(request.action):
            continue
        if match_principal(spec, request.principal) is PrincipalMatch.NONE:
            continue
        if compiled.applies(request.resource, request.context):
            s = compiled.statement
            out.append(StatementRef(PolicyType.RESOURCE, trust.name, s.index, s.sid, s.effect))
    return tuple(out)


# --- the search --------------------------------------------------------------------------------


class EscalationSearch:
    """Admins and escalation paths of one account's principals."""

    def __init__(
        self,
        principals: list[Principal],
        account: Account,
        library: PolicyLibrary,
        *,
        actions: Iterable[str],
        max_depth: int = 6,
        progress: Progress | None = None,
        passwords: Mapping[str, bool] | None = None,
        wide: Callable[[Principal], Evaluator] | None = None,
        compute: Callable[[Principal], Principal] | None = None,
    ) -> None:
        self._rebuild_for_compute = compute
        self._compute_filter = ActionFilter(ACTIONS)
        self._compute_principals: dict[int, Principal] = {}
        self.wide = wide
        """Rebuilds a principal's evaluator for the full admin probes."""
        self.principals = principals
        self.account = account
        self.library = library
        self.max_depth = max_depth
        self.progress = progress or (lambda stage, done, total: None)
        self.passwords = passwords
        """User ARN -> has a console password, from the credential report when given."""
        self.position = {id(p): i for i, p in enumerate(principals)}
        self.by_arn = {p.arn: p for p in principals}
        self.caps = Capabilities(principals, actions)
        self._could_admin: dict[int, bool] = {}
        self._trust_evaluators: dict[int, Evaluator | None] = {}
        self._trusts: dict[tuple[int, str], bool] = {}
        self._compute: dict[tuple[int, str], tuple[StatementRef, ...] | None] = {}
        self._named: dict[int, list[Principal]] = {}
        self.admins: dict[str, AdminVerdict] = {}

    # -- helpers

    def _pos(self, principal: Principal) -> int:
        return self.position[id(principal)]

    def could_admin(self, principal: Principal) -> bool:
        key = id(principal)
        if key not in self._could_admin:
            self._could_admin[key] = could_become_admin(principal)
        return self._could_admin[key]

    def _allowed(
        self,
        principal: Principal,
        action: str,
        resource: str,
        extra: Mapping[str, str] | None = None,
    ) -> tuple[StatementRef, ...] | None:
        decision = principal.evaluator.evaluate(principal.request(action, resource, extra))
        return decision.statements if decision.allowed else None

    def _trust_evaluator(self, role: Principal) -> Evaluator | None:
        key = id(role)
        if key not in self._trust_evaluators:
            trust = role.trust
            self._trust_evaluators[key] = (
                Evaluator(PolicySet(resource=trust)) if trust is not None else None
            )
        return self._trust_evaluators[key]

    def trusts_service(self, role: Principal, service: str) -> bool:
        key = (id(role), service)
        found = self._trusts.get(key)
        if found is None:
            evaluator = self._trust_evaluator(role)
            found = evaluator is not None and (
                evaluator.evaluate(Request.build(service, "sts:AssumeRole", role.arn)).allowed
            )
            self._trusts[key] = found
        return found

    def _named_in_trust(self, role: Principal) -> list[Principal]:
        """Principals a trust policy names directly (they need no identity allow)."""
        key = id(role)
        found = self._named.get(key)
        if found is not None:
            return found
        out: dict[int, Principal] = {}
        for statement in role.trust.statements if role.trust else ():
            spec = statement.principal
            if statement.effect is not Effect.ALLOW or spec is None:
                continue
            if spec.wildcard or "*" in spec.aws:
                out = {id(p): p for p in self.principals}
                break
            for value in spec.aws:
                named = self.by_arn.get(value)
                if named is not None:
                    out[id(named)] = named
                elif ":assumed-role/" in value:
                    role_name = value.split(":assumed-role/", 1)[1].split("/", 1)[0]
                    for p in self.principals:
                        if p.kind == "role" and p.name == role_name:
                            out[id(p)] = p
        self._named[key] = list(out.values())
        return self._named[key]

    # -- the goal

    def find_admins(self) -> dict[str, AdminVerdict]:
        total = len(self.principals)
        for done, principal in enumerate(self.principals, 1):
            if self.caps.has("iam:AttachUserPolicy", self._pos(principal)):
                verdict = admin_verdict(principal, wide=self.wide)
                if verdict is not None:
                    self.admins[principal.arn] = verdict
            if done % 250 == 0 or done == total:
                self.progress("admins", done, total)
        return self.admins

    def _admin_policy_arn(self) -> str:
        return f"arn:{self.account.partition}:iam::aws:policy/AdministratorAccess"

    def self_grant(self, q: Principal) -> Step | None:
        """One call that makes ``q`` admin, if ``q`` can make it."""
        pos = self._pos(q)
        own = SELF_GRANT_USER if q.kind == "user" else SELF_GRANT_ROLE
        grants: list[tuple[str, str, dict[str, str] | None]] = []
        for action in own:
            grants.append((action, q.arn, None))
        for group_name in q.groups:
            group = self.account.groups.get(group_name)
            if group is not None:
                grants += [(action, group.arn, None) for action in SELF_GRANT_GROUP]
        for arn in q.managed:
            policy = self.account.policies.get(arn)
            if policy is not None and not policy.aws_managed:
                grants.append(("iam:CreatePolicyVersion", arn, None))
        candidates = [(a, r, e) for a, r, e in grants if self.caps.may(a, pos, r)]
        if candidates and self.could_admin(q):
            for action, resource, extra in candidates:
                if action.startswith("iam:Attach"):
                    extra = {"iam:PolicyARN": self._admin_policy_arn()}
                refs = self._allowed(q, action, resource, extra)
                if refs is not None:
                    return Step(q.arn, action, resource, q.arn, refs)
        step = self._set_default_version(q, pos)
        if step is not None:
            return step
        return self._join_group(q, pos)

    def grant_to(self, p: Principal, target: Principal) -> Step | None:
        """One call by ``p`` that makes another principal admin: a policy put on or attached to
        it (Put/AttachRolePolicy on a role ``p`` can then assume, Put/AttachUserPolicy on a
        user whose keys ``p`` can then create)."""
        if not self.could_admin(target):
            return None
        pos = self._pos(p)
        for action in SELF_GRANT_USER if target.kind == "user" else SELF_GRANT_ROLE:
            if not self.caps.may(action, pos, target.arn):
                continue
            extra = (
                {"iam:PolicyARN": self._admin_policy_arn()}
                if action.startswith("iam:Attach")
                else None
            )
            refs = self._allowed(p, action, target.arn, extra)
            if refs is not None:
                return Step(p.arn, action, target.arn, target.arn, refs, grants=True)
        return None

    def _grantors(self, target: Principal) -> set[int]:
        """Positions of the principals whose policies may let them grant ``target`` rights."""
        found: set[int] = set()
        for action in SELF_GRANT_USER if target.kind == "user" else SELF_GRANT_ROLE:
            for pos, patterns in self.caps.holders(action).items():
                if self.caps.covers(patterns, target.arn):
                    found.add(pos)
        return found

    def grant_then_take_over(
        self, reached: Mapping[str, object]
    ) -> dict[str, tuple[tuple[Step, ...], str]]:
        """Principals that can make another principal admin and then become it."""
        found: dict[str, tuple[tuple[Step, ...], str]] = {}
        for target in self.principals:
            if target.arn in reached:
                continue
            grantors = self._grantors(target)
            if not grantors:
                continue
            edges = self._user_edges(target) if target.kind == "user" else self._role_edges(target)
            for p, attempt in edges:
                if p.arn in reached or p.arn in found or self._pos(p) not in grantors:
                    continue
                grant = self.grant_to(p, target)
                if grant is None:
                    continue
                become = attempt()
                if become is not None:
                    found[p.arn] = ((grant, become), target.arn)
        return found

    def _set_default_version(self, q: Principal, pos: int) -> Step | None:
        if not self.caps.has("iam:SetDefaultPolicyVersion", pos):
            return None
        for arn in q.managed:
            policy = self.account.policies.get(arn)
            if policy is None or policy.aws_managed:
                continue
            if not self.caps.may("iam:SetDefaultPolicyVersion", pos, arn):
                continue
            for version in policy.versions:
                if version.is_default or version.document is None:
                    continue
                parsed = self.library.get(
                    version.document, PolicyKind.IDENTITY, f"{arn} {version.version_id}"
                )
                if parsed is None or not could_become_admin(q, [parsed]):
                    continue
                refs = self._allowed(q, "iam:SetDefaultPolicyVersion", arn)
                if refs is not None:
                    return Step(q.arn, "iam:SetDefaultPolicyVersion", arn, q.arn, refs)
        return None

    def _join_group(self, q: Principal, pos: int) -> Step | None:
        if q.kind != "user" or not self.caps.has(GROUP_JOIN[0], pos):
            return None
        for group in self.account.groups.values():
            if group.name in q.groups or not self.caps.may(GROUP_JOIN[0], pos, group.arn):
                continue
            policies: list[Policy] = group_policies(self.account, self.library, group.name)
            if not policies or not could_become_admin(q, policies):
                continue
            refs = self._allowed(q, GROUP_JOIN[0], group.arn)
            if refs is not None:
                return Step(q.arn, GROUP_JOIN[0], group.arn, q.arn, refs)
        return None

    # -- edges

    def _assume(self, p: Principal, role: Principal) -> tuple[StatementRef, ...] | None:
        """sts:AssumeRole, decided in two cheap halves, then confirmed by one full evaluation."""
        trust = self._trust_evaluator(role)
        if trust is None:
            return None
        request = p.request("sts:AssumeRole", role.arn)
        trust_side = trust.evaluate(request)
        if trust_side.outcome is Outcome.EXPLICIT_DENY:
            return None
        if not trust_side.allowed:
            if trust_side.decided_by is not PolicyType.IDENTITY:
                return None  # the trust policy does not let this account's principals in
            if not p.evaluator.evaluate(request).allowed:
                return None
        full = Evaluator(PolicySet(identity=p.policies, boundary=p.boundary, resource=role.trust))
        decision = full.evaluate(request)
        if not decision.allowed:
            return None
        if decision.decided_by is PolicyType.RESOURCE:
            return decision.statements
        # Allowed on the identity side: name the trust statement that delegated to the account.
        return tuple(dict.fromkeys(decision.statements + _delegating(role.trust, request)))

    def _rewrite_trust(self, p: Principal, role: Principal) -> tuple[StatementRef, ...] | None:
        refs = self._allowed(p, "iam:UpdateAssumeRolePolicy", role.arn)
        if refs is None:
            return None
        trust = parse_policy(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"AWS": p.caller}, "Action": "sts:AssumeRole"}
                ],
            },
            PolicyKind.TRUST,
            f"{role.arn} trust policy as rewritten",
        )
        full = Evaluator(PolicySet(identity=p.policies, boundary=p.boundary, resource=trust))
        if not full.evaluate(p.request("sts:AssumeRole", role.arn)).allowed:
            return None
        return refs

    def _for_compute(self, p: Principal) -> Principal:
        """``p`` with the statements of every compute call (the index holds fewer)."""
        if self._rebuild_for_compute is None:
            return p
        found = self._compute_principals.get(id(p))
        if found is None:
            found = self._rebuild_for_compute(p)
            self._compute_principals[id(p)] = found
        return found

    def _generic(self, template: str) -> str:
        account = self.account
        return template.format(p=account.partition, r=REGION, a=account.account_id)

    def _witnesses(
        self, p: Principal, method: ComputeMethod, action: str, template: str
    ) -> list[str]:
        """Resources to ask about: the method's own, and (for resources the caller creates and
        so names) one instance of each pattern the caller's grants name for the same type."""
        generic = self._generic(template)
        out = [generic]
        if method.existing is not None or generic == "*":
            return out
        kind = _resource_type(generic)
        for pattern in _granted_resources(p, action, self._compute_filter):
            witness = pattern.replace("*", "x").replace("?", "x")
            if "${" not in pattern and _resource_type(witness) == kind:
                out.append(witness)
        return out[:6]

    def compute_allowed(
        self, p: Principal, method: ComputeMethod
    ) -> tuple[StatementRef, ...] | None:
        """The statements that let ``p`` make the calls of ``method`` (PassRole aside)."""
        key = (id(p), method.name)
        if key in self._compute:
            return self._compute[key]
        wide = self._for_compute(p)
        refs: dict[StatementRef, None] = {}
        result: tuple[StatementRef, ...] | None = None
        for action, template in method.actions:
            for witness in self._witnesses(wide, method, action, template):
                found = self._allowed(wide, action, witness)
                if found is not None:
                    refs.update(dict.fromkeys(found))
                    break
            else:
                break
        else:
            result = tuple(refs)
        self._compute[key] = result
        return result

    def _user_edges(
        self, target: Principal
    ) -> Iterable[tuple[Principal, Callable[[], Step | None]]]:
        for action in USER_TAKEOVER:
            if self.passwords is not None and target.arn in self.passwords:
                has_password = self.passwords[target.arn]
                if action == "iam:CreateLoginProfile" and has_password:
                    continue
                if action == "iam:UpdateLoginProfile" and not has_password:
                    continue
            for pos, patterns in list(self.caps.holders(action).items()):
                p = self.principals[pos]
                if p is target or not self.caps.covers(patterns, target.arn):
                    continue
                yield p, _bind_simple(self, p, action, target)

    def _role_edges(
        self, target: Principal
    ) -> Iterable[tuple[Principal, Callable[[], Step | None]]]:
        seen: set[int] = set()
        holders = self.caps.holders("sts:AssumeRole")
        candidates = [
            self.principals[pos]
            for pos, patterns in holders.items()
            if self.caps.covers(patterns, target.arn)
        ]
        for p in candidates + self._named_in_trust(target):
            if p is target or id(p) in seen:
                continue
            seen.add(id(p))
            yield p, _bind_assume(self, p, target)
        for pos, patterns in list(self.caps.holders("iam:UpdateAssumeRolePolicy").items()):
            p = self.principals[pos]
            if p is not target and self.caps.covers(patterns, target.arn):
                yield p, _bind_rewrite(self, p, target)
        for method in COMPUTE:
            if method.instance_profile and not target.instance_profiles:
                continue
            if not self.trusts_service(target, method.service):
                continue
            if method.passes_role:
                key_action, key_resource = "iam:PassRole", target.arn
            else:
                key_action, template = method.actions[0]
                key_resource = self._generic(template)
            for pos, patterns in list(self.caps.holders(key_action).items()):
                p = self.principals[pos]
                if p is not target and self.caps.covers(patterns, key_resource):
                    yield p, _bind_compute(self, p, target, method)

    def compute_step(self, p: Principal, target: Principal, method: ComputeMethod) -> Step | None:
        refs: tuple[StatementRef, ...] = ()
        if method.passes_role:
            passed = self._allowed(
                p, "iam:PassRole", target.arn, {"iam:PassedToService": method.service}
            )
            if passed is None:
                return None
            refs = passed
        else:
            action, template = method.actions[0]
            if self._allowed(p, action, self._generic(template)) is None:
                return None
        calls = self.compute_allowed(p, method)
        if calls is None:
            return None
        merged = tuple(dict.fromkeys(refs + calls))
        return Step(p.arn, method.name, target.arn, target.arn, merged, method.existing)

    # -- the walk

    def run(self) -> list[EscalationPath]:
        if not self.admins:
            self.find_admins()
        reached: dict[str, tuple[tuple[Step, ...], str]] = {arn: ((), arn) for arn in self.admins}
        total = len(self.principals)
        for done, q in enumerate(self.principals, 1):
            if q.arn not in reached:
                step = self.self_grant(q)
                if step is not None:
                    reached[q.arn] = ((step,), q.arn)
            if done % 250 == 0 or done == total:
                self.progress("self-escalation", done, total)
        reached.update(self.grant_then_take_over(reached))
        frontier = [self.by_arn[arn] for arn in reached]
        depth = 0
        while frontier and depth < self.max_depth:
            depth += 1
            found: dict[str, tuple[tuple[Step, ...], str]] = {}
            for done, target in enumerate(frontier, 1):
                edges = (
                    self._user_edges(target) if target.kind == "user" else self._role_edges(target)
                )
                tail, admin = reached[target.arn]
                for p, attempt in edges:
                    if p.arn in reached or p.arn in found:
                        continue
                    step = attempt()
                    if step is not None:
                        found[p.arn] = ((step, *tail), admin)
                if done % 100 == 0 or done == len(frontier):
                    self.progress(f"paths, depth {depth}", done, len(frontier))
            reached.update(found)
            frontier = [self.by_arn[arn] for arn in found]
        return [
            EscalationPath(arn, steps, admin)
            for arn, (steps, admin) in reached.items()
            if steps and arn not in self.admins
        ]


def _bind_simple(
    search: EscalationSearch, p: Principal, action: str, target: Principal
) -> Callable[[], Step | None]:
    def attempt() -> Step | None:
        refs = search._allowed(p, action, target.arn)
        return None if refs is None else Step(p.arn, action, target.arn, target.arn, refs)

    return attempt


def _bind_assume(
    search: EscalationSearch, p: Principal, target: Principal
) -> Callable[[], Step | None]:
    def attempt() -> Step | None:
        refs = search._assume(p, target)
        return None if refs is None else Step(p.arn, "sts:AssumeRole", target.arn, target.arn, refs)

    return attempt


def _bind_rewrite(
    search: EscalationSearch, p: Principal, target: Principal
) -> Callable[[], Step | None]:
    def attempt() -> Step | None:
        refs = search._rewrite_trust(p, target)
        if refs is None:
            return None
        return Step(
            p.arn, "iam:UpdateAssumeRolePolicy+sts:AssumeRole", target.arn, target.arn, refs
        )

    return attempt


def _bind_compute(
    search: EscalationSearch, p: Principal, target: Principal, method: ComputeMethod
) -> Callable[[], Step | None]:
    return lambda: search.compute_step(p, target, method)
