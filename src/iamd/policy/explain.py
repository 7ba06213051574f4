"""A human-readable trace of a decision: for every statement, what matched and what did not.

The trace is built off the fast path, statement by statement, only when someone asks (the CLI's
``--explain``, a denial that needs detail).  It shows the action, resource, principal and each
condition, with the context values used and the values of the policy variables substituted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from iamd.policy.compiler import CompiledStatement, compile_policy
from iamd.policy.conditions import compile_clause
from iamd.policy.decision import Decision, PolicyType
from iamd.policy.evaluator import Evaluator, PolicySet
from iamd.policy.model import ConditionClause, Policy
from iamd.policy.principal import PrincipalMatch, match_principal
from iamd.policy.request import Request
from iamd.policy.variables import Context, Literal, Variable, parse_template, resolve_variable


@dataclass(frozen=True, slots=True)
class ConditionTrace:
    operator: str
    key: str
    values: tuple[str, ...]
    resolved: tuple[str | None, ...]
    """Each value with its policy variables substituted (``None``: a variable did not resolve)."""
    context_value: str | tuple[str, ...] | None
    matched: bool


@dataclass(frozen=True, slots=True)
class StatementTrace:
    policy_type: PolicyType
    policy_name: str
    index: int
    sid: str | None
    effect: str
    action_matched: bool
    resource_matched: bool
    resources: tuple[tuple[str, str | None], ...]
    """Each Resource/NotResource entry with its substituted form."""
    principal: str | None
    """``None`` where the policy type names no principal; else the match level."""
    conditions: tuple[ConditionTrace, ...]

    @property
    def matched(self) -> bool:
        principal_ok = self.principal is None or self.principal != PrincipalMatch.NONE.name
        return (
            self.action_matched
            and self.resource_matched
            and principal_ok
            and all(c.matched for c in self.conditions)
        )


@dataclass(frozen=True)
class Trace:
    request: Request
    decision: Decision
    statements: list[StatementTrace] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.decision.as_dict(),
            "principal": self.request.principal.arn,
            "action": self.request.action,
            "resource": self.request.resource,
            "trace": [
                {
                    "policy_type": s.policy_type.value,
                    "policy": s.policy_name,
                    "index": s.index,
                    "sid": s.sid,
                    "effect": s.effect,
                    "matched": s.matched,
                    "action_matched": s.action_matched,
                    "resource_matched": s.resource_matched,
                    "resources": [{"value": v, "resolved": r} for v, r in s.resources],
                    "principal": s.principal,
                    "conditions": [
                        {
                            "operator": c.operator,
                            "key": c.key,
                            "values": list(c.values),
                            "resolved": list(c.resolved),
                            "context_value": c.context_value,
                            "matched": c.matched,
                        }
                        for c in s.conditions
                    ],
                }
                for s in self.statements
            ],
        }

    def render(self, colour: bool = False) -> str:
        """The trace as text; ``colour`` adds ANSI colours for a terminal."""

        def paint(text: str, ok: bool) -> str:
            if not colour:
                return text
            return f"\x1b[{'32' if ok else '31'}m{text}\x1b[0m"

        def mark(ok: bool) -> str:
            return paint("yes" if ok else "no", ok)

        d = self.decision
        lines = [
            f"Decision: {paint(d.outcome.value, d.allowed)}"
            + (f" (decided by the {d.decided_by.phrase})" if d.decided_by else ""),
        ]
        message = d.message(self.request.principal.arn, self.request.action, self.request.resource)
        if message:
            lines.append(f"  {message}")
        for s in self.statements:
            label = s.sid or f"#{s.index}"
            head = f"{s.policy_type.phrase} {s.policy_name} statement {label} ({s.effect})"
            lines.append(f"- {head}: {paint('matches', True) if s.matched else 'does not match'}")
            lines.append(f"    action: {mark(s.action_matched)}")
            resolved = ", ".join(
                v if r is None or r == v else f"{v} -> {r}" for v, r in s.resources
            )
            lines.append(f"    resource: {mark(s.resource_matched)} [{resolved or '*'}]")
            if s.principal is not None:
                ok = s.principal != PrincipalMatch.NONE.name
                lines.append(f"    principal: {paint(s.principal.lower(), ok)}")
            for c in s.conditions:
                shown = ", ".join(
                    v if r == v else f"{v} -> {r if r is not None else '(unresolved)'}"
                    for v, r in zip(c.values, c.resolved, strict=True)
                )
                context = "(missing)" if c.context_value is None else c.context_value
                lines.append(
                    f"    condition {c.operator} {c.key} [{shown}] "
                    f"with {context}: {mark(c.matched)}"
                )
        return "\n".join(lines)


def _substitute(text: str, context: Context, variables: bool) -> str | None:
    """The text with its variables replaced (wildcards kept), for display."""
    if not variables:
        return text
    out = []
    for part in parse_template(text):
        if isinstance(part, str):
            out.append(part)
        elif isinstance(part, Literal):
            out.append(part.text)
        elif isinstance(part, Variable):
            value = resolve_variable(part, context)
            if value is None:
                return None
            out.append(value)
    return "".join(out)


def _condition_trace(clause: ConditionClause, request: Request, variables: bool) -> ConditionTrace:
    context = request.context
    return ConditionTrace(
        operator=clause.operator,
        key=clause.key,
        values=clause.values,
        resolved=tuple(_substitute(v, context, variables) for v in clause.values),
        context_value=context.get(clause.key.lower()),
        matched=compile_clause(clause, variables)(context),
    )


def _statement_trace(
    policy_type: PolicyType,
    policy: Policy,
    compiled: CompiledStatement,
    request: Request,
    has_boundary: bool,
) -> StatementTrace:
    s = compiled.statement
    variables = policy.supports_variables
    context = request.context
    entries = s.resource if s.resource is not None else s.not_resource
    resource_ok = compiled.resource_test is None or compiled.resource_test(
        request.resource, context
    )
    principal: str | None = None
    if compiled.principal is not None:
        principal = match_principal(compiled.principal, request.principal).name
    elif compiled.not_principal is not None:
        excluded = match_principal(compiled.not_principal, request.principal)
        applies = excluded is PrincipalMatch.NONE or (compiled.deny and has_boundary)
        principal = PrincipalMatch.DIRECT.name if applies else PrincipalMatch.NONE.name
    elif policy_type is PolicyType.RESOURCE:
        principal = PrincipalMatch.NONE.name
    return StatementTrace(
        policy_type=policy_type,
        policy_name=policy.name,
        index=s.index,
        sid=s.sid,
        effect=s.effect.value,
        action_matched=compiled.covers_action(request.action),
        resource_matched=resource_ok,
        resources=tuple((e, _substitute(e, context, variables)) for e in entries or ()),
        principal=principal,
        conditions=tuple(_condition_trace(c, request, variables) for c in s.conditions),
    )


def explain(policies: PolicySet | Evaluator, request: Request) -> Trace:
    """Decide ``request`` and trace every statement of every policy that took part."""
    evaluator = policies if isinstance(policies, Evaluator) else Evaluator(policies)
    policy_set = evaluator.policies
    decision = evaluator.evaluate(request)
    groups: list[tuple[PolicyType, Policy]] = []
    groups += [(PolicyType.SCP, p) for level in policy_set.scp for p in level]
    groups += [(PolicyType.RCP, p) for level in policy_set.rcp for p in level]
    groups += [(PolicyType.IDENTITY, p) for p in policy_set.identity]
    if policy_set.boundary is not None:
        groups.append((PolicyType.BOUNDARY, policy_set.boundary))
    sessions = (
        [policy_set.session] if isinstance(policy_set.session, Policy) else policy_set.session
    )
    groups += [(PolicyType.SESSION, p) for p in sessions or []]
    if policy_set.resource is not None:
        groups.append((PolicyType.RESOURCE, policy_set.resource))
    has_boundary = policy_set.boundary is not None
    trace = Trace(request=request, decision=decision)
    for policy_type, policy in groups:
        for compiled in compile_policy(policy).statements:
            trace.statements.append(
                _statement_trace(policy_type, policy, compiled, request, has_boundary)
            )
    return trace
