"""Checks on aws:ResourceTag conditions over actions that never carry that key.

When an action does not support ``aws:ResourceTag/...``, the key is missing from its requests:
a condition on it is false, so an Allow grants nothing and a Deny denies nothing for that
action.  Which actions support the key comes from the Service Authorization Reference.
https://docs.aws.amazon.com/IAM/latest/UserGuide/access_tags.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html
"""

from __future__ import annotations

from collections.abc import Iterator

from iamd.catalog.actions import expand_action
from iamd.policy import ConditionClause, Effect, Statement
from iamd.policy.conditions.registry import OPERATORS
from iamd.policy.errors import pointer_join
from iamd.validation.context import CheckContext, finding
from iamd.validation.findings import Finding

RESOURCE_TAG = "aws:ResourceTag/${TagKey}"
_PREFIX = "aws:resourcetag/"
_EXPANSION_LIMIT = 3000


def _tag_clause(statement: Statement) -> ConditionClause | None:
    """A clause that is false when the key is missing: not negated, not IfExists, not Null."""
    for clause in statement.conditions:
        if not clause.key.lower().startswith(_PREFIX) or clause.if_exists:
            continue
        spec = OPERATORS[clause.base.lower()]
        if spec.family is not None and not spec.negated:
            return clause
    return None


def check(ctx: CheckContext) -> Iterator[Finding]:
    for statement in ctx.policy.statements:
        clause = _tag_clause(statement)
        if clause is None:
            continue
        allow = statement.effect is Effect.ALLOW
        if statement.not_action is not None:
            yield finding(
                "ALLOW_NOTACTION_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE"
                if allow
                else "DENY_NOTACTION_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE",
                f"With NotAction, the condition on {clause.key} "
                + ("allows only" if allow else "denies only")
                + " the actions that support it; others, and actions added later, are "
                + ("never allowed" if allow else "never denied")
                + ". List the actions in Action instead.",
                pointer_join(statement.pointer, "NotAction"),
            )
            continue
        yield from _listed(statement, clause, allow)


def _listed(statement: Statement, clause: ConditionClause, allow: bool) -> Iterator[Finding]:
    if statement.action is None or any(a == "*" or a.startswith("*:") for a in statement.action):
        return
    unsupported: dict[str, list[str]] = {}
    total = 0
    for pattern in statement.action:
        named = expand_action(pattern)
        total += len(named)
        if total > _EXPANSION_LIMIT:
            return
        for action in named:
            if not action.supports_condition_key(RESOURCE_TAG):
                unsupported.setdefault(action.service, []).append(action.name)
    if not unsupported:
        return
    services = ", ".join(sorted(unsupported))
    examples = "; ".join(
        f"{service}:{', '.join(sorted(set(names))[:3])}"
        for service, names in sorted(unsupported.items())
    )
    if allow:
        code = "ALLOW_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE"
        effect = "never allowed"
    else:
        code = "DENY_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE"
        effect = "never denied"
    yield finding(
        code,
        f"Some actions of {services} do not support {clause.key} ({examples}); by this "
        f"statement they are {effect}. Move them to a statement without this condition.",
        clause.pointer,
    )
