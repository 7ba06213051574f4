"""Compiles parsed statements into matchers, once per distinct document.

A compiled statement answers three questions with pre-built objects: does it cover an action
(one case-insensitive regex over all its Action entries), does it cover a resource (one regex
over its static ARNs, plus resolvers for ARNs with policy variables), and do its conditions hold
(one predicate per clause).  Compiled policies are cached by their content, so a policy attached
to a thousand principals is compiled once.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from iamd.policy import wildcard
from iamd.policy.arn import FIELDS, ResourcePattern, split_template, static_regex
from iamd.policy.conditions import Predicate, compile_clause
from iamd.policy.model import Effect, Policy, PolicyKind, PrincipalSpec, Statement
from iamd.policy.variables import Context, parse_template

ResourceTest = Callable[[str, Context], bool]


@dataclass(frozen=True, slots=True)
class CompiledStatement:
    statement: Statement
    deny: bool
    covers_action: Callable[[str], bool]
    resource_test: ResourceTest | None
    """``None`` when the statement covers every resource."""
    condition_test: Predicate | None
    """``None`` when the statement has no conditions."""
    principal: PrincipalSpec | None
    not_principal: PrincipalSpec | None

    def applies(self, resource: str, context: Context) -> bool:
        """Resource and conditions (the action was checked when the plan was built)."""
        if self.resource_test is not None and not self.resource_test(resource, context):
            return False
        return self.condition_test is None or self.condition_test(context)


@dataclass(frozen=True, slots=True)
class CompiledPolicy:
    policy: Policy
    statements: tuple[CompiledStatement, ...]


def _action_regex(patterns: tuple[str, ...]) -> re.Pattern[str]:
    sources = []
    for pattern in patterns:
        if pattern == "*":
            sources.append(".*")
            continue
        vendor, _, name = pattern.partition(":")
        sources.append(
            wildcard.to_regex([(vendor, True)], star="[^:]*", qmark="[^:]")
            + ":"
            + wildcard.to_regex([(name, True)])
        )
    return re.compile("|".join(f"(?:{s})" for s in sources), re.IGNORECASE | re.DOTALL)


def _action_test(statement: Statement) -> Callable[[str], bool]:
    if statement.action is not None:
        fullmatch = _action_regex(statement.action).fullmatch
        return lambda action: fullmatch(action) is not None
    assert statement.not_action is not None
    excluded = _action_regex(statement.not_action).fullmatch
    return lambda action: excluded(action) is None


def _expand_short(text: str, kind: PolicyKind, variables: bool) -> str | None:
    """Pad an ARN with fewer than six fields with ``*`` fields, as AWS reads it, or drop it.

    Resource-based policies do not expand a short ARN that has no wildcard: it matches nothing.
    """
    parts = parse_template(text) if variables else (text,)
    count = len(split_template(parts))
    if count >= FIELDS:
        return text
    if kind is PolicyKind.RESOURCE and "*" not in text:
        return None
    return text + ":*" * (FIELDS - count)


def _resource_test(statement: Statement, kind: PolicyKind, variables: bool) -> ResourceTest | None:
    negated = statement.resource is None
    values = statement.not_resource if negated else statement.resource
    assert values is not None
    if "*" in values:
        if negated:
            return lambda resource, context: False
        return None
    static: list[str] = []
    dynamic: list[ResourcePattern] = []
    expanded_any = False
    for value in values:
        text = _expand_short(value, kind, variables)
        if text is None:
            continue
        expanded_any = expanded_any or text != value
        parts = parse_template(text) if variables else (text,)
        pattern = ResourcePattern(text, parts)
        source = static_regex(pattern)
        if source is not None:
            static.append(source)
        elif pattern.valid:
            dynamic.append(pattern)
    fullmatch = (
        re.compile("|".join(f"(?:{s})" for s in static), re.DOTALL).fullmatch if static else None
    )

    def any_match(resource: str, context: Context) -> bool | None:
        """True if some entry covers ``resource``; None if undecidable (unresolved variable)."""
        if fullmatch is not None and fullmatch(resource) is not None:
            return True
        undecided = False
        for pattern in dynamic:
            result = pattern.matches(resource, context)
            if result:
                return True
            if result is None:
                undecided = True
        return None if undecided else False

    if not negated:
        if not dynamic and fullmatch is not None:
            return lambda resource, context: fullmatch(resource) is not None
        return lambda resource, context: any_match(resource, context) is True
    # NotResource: the statement applies only when no entry covers the resource, and only when
    # that is certain: an unresolved variable, or a short ARN that had to be padded, never widens
    # a NotResource statement.
    if expanded_any:
        return lambda resource, context: False
    return lambda resource, context: any_match(resource, context) is False


def _condition_test(statement: Statement, variables: bool) -> Predicate | None:
    predicates = [compile_clause(clause, variables) for clause in statement.conditions]
    if not predicates:
        return None
    if len(predicates) == 1:
        return predicates[0]
    frozen = tuple(predicates)

    def all_hold(context: Context) -> bool:
        for predicate in frozen:
            if not predicate(context):
                return False
        return True

    return all_hold


def compile_statement(statement: Statement, kind: PolicyKind, variables: bool) -> CompiledStatement:
    return CompiledStatement(
        statement=statement,
        deny=statement.effect is Effect.DENY,
        covers_action=_action_test(statement),
        resource_test=(
            None
            if statement.resource is None and statement.not_resource is None
            else _resource_test(statement, kind, variables)
        ),
        condition_test=_condition_test(statement, variables),
        principal=statement.principal,
        not_principal=statement.not_principal,
    )


_CACHE: OrderedDict[tuple[str, str], CompiledPolicy] = OrderedDict()
CACHE_SIZE = 4096


def compile_policy(policy: Policy) -> CompiledPolicy:
    """Compile ``policy``, reusing the result for any policy with the same kind and content."""
    key = (policy.kind.value, _content_key(policy))
    hit = _CACHE.get(key)
    if hit is not None and hit.policy.name == policy.name:
        _CACHE.move_to_end(key)
        return hit
    if hit is not None:
        return CompiledPolicy(policy=policy, statements=hit.statements)
    compiled = CompiledPolicy(
        policy=policy,
        statements=tuple(
            compile_statement(s, policy.kind, policy.supports_variables) for s in policy.statements
        ),
    )
    _CACHE[key] = compiled
    if len(_CACHE) > CACHE_SIZE:
        _CACHE.popitem(last=False)
    return compiled


def _content_key(policy: Policy) -> str:
    if policy.document is not None:
        try:
            return json.dumps(policy.document, sort_keys=True, separators=(",", ":"))
        except (TypeError, ValueError):
            pass
    return repr((policy.version, policy.statements))
