"""Turns one condition clause into a predicate over the request context.

Here, once for all operator families, live AWS's rules for combining values and keys:
several values for a key are ORed (a negated operator matches only if none matches), a missing
key fails a positive operator and satisfies a negated one or an ``IfExists`` one, a multi-valued
key needs a set qualifier, ``ForAllValues`` is true of a missing or empty key and ``ForAnyValue``
false (``IfExists`` does not change that).  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html
"""

from __future__ import annotations

from collections.abc import Callable

from iamd.policy.conditions.base import Comparator
from iamd.policy.conditions.registry import ParsedOperator, parse_operator
from iamd.policy.model import ConditionClause
from iamd.policy.variables import Context, Part, parse_template

Predicate = Callable[[Context], bool]


def templates_for(clause: ConditionClause, variables: bool) -> tuple[tuple[Part, ...], ...]:
    """Each value as a template; policy variables only where the version and family allow."""
    if not variables:
        return tuple((v,) for v in clause.values)
    return tuple(parse_template(v) for v in clause.values)


def compile_clause(clause: ConditionClause, variables: bool) -> Predicate:
    """A predicate that is true when the request satisfies ``clause``."""
    parsed = parse_operator(clause.operator)
    if parsed is None:  # The parser rejects these; refuse rather than guess.
        raise ValueError(f"unknown condition operator {clause.operator!r}")
    key = clause.key.lower()
    family = parsed.spec.family
    if family is None:
        return _null(key, clause.values)
    comparator = family.build(
        parsed.spec.name, templates_for(clause, variables and family.variables)
    )
    return _apply(parsed, key, comparator)


def _null(key: str, values: tuple[str, ...]) -> Predicate:
    wants_absent = any(v.lower() == "true" for v in values)
    wants_present = any(v.lower() == "false" for v in values)

    def predicate(context: Context) -> bool:
        return wants_present if key in context else wants_absent

    return predicate


def _apply(parsed: ParsedOperator, key: str, comparator: Comparator) -> Predicate:
    negated = parsed.spec.negated
    # The answer a comparator must give for one value to count as a match.
    wanted: bool = not negated
    if parsed.qualifier == "ForAllValues":

        def for_all(context: Context) -> bool:
            value = context.get(key)
            if value is None:
                return True
            values = (value,) if isinstance(value, str) else value
            return all(comparator(v, context) is wanted for v in values)

        return for_all
    if parsed.qualifier == "ForAnyValue":

        def for_any(context: Context) -> bool:
            value = context.get(key)
            if value is None:
                # Even with IfExists: AWS denies an Allow gated by ForAnyValue:...IfExists on a
                # missing key (https://repost.aws/questions/QU9HFmDzP0QGuU-fd7rS6B7w).
                return False
            values = (value,) if isinstance(value, str) else value
            return any(comparator(v, context) is wanted for v in values)

        return for_any
    missing = parsed.if_exists or negated

    def single(context: Context) -> bool:
        value = context.get(key)
        if value is None:
            return missing
        if not isinstance(value, str):
            return False  # A multi-valued key needs ForAllValues or ForAnyValue.
        return comparator(value, context) is wanted

    return single
