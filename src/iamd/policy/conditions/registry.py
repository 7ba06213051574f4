"""The one registry of condition-operator names.

Names are looked up case-insensitively; anything not listed here is a parse error, never an
operator that silently matches.  ``IfExists`` and the ``ForAllValues:``/``ForAnyValue:``
qualifiers are split off here, once, for every family.
"""

from __future__ import annotations

from dataclasses import dataclass

from iamd.policy.conditions import arn, boolean, date, ip, numeric, string
from iamd.policy.conditions.base import Family

QUALIFIERS = {"forallvalues": "ForAllValues", "foranyvalue": "ForAnyValue"}
NULL = "Null"


@dataclass(frozen=True, slots=True)
class OperatorSpec:
    name: str
    family: Family | None
    """``None`` for ``Null``, which tests presence rather than comparing values."""
    negated: bool


def _build_registry() -> dict[str, OperatorSpec]:
    table: dict[str, OperatorSpec] = {}
    groups = (
        (string.FAMILY, string.OPERATORS),
        (numeric.FAMILY, numeric.OPERATORS),
        (date.FAMILY, date.OPERATORS),
        (boolean.BOOL, boolean.BOOL_OPERATORS),
        (boolean.BINARY, boolean.BINARY_OPERATORS),
        (ip.FAMILY, ip.OPERATORS),
        (arn.FAMILY, arn.OPERATORS),
    )
    for family, operators in groups:
        for name, negated in operators:
            table[name.lower()] = OperatorSpec(name=name, family=family, negated=negated)
    table[NULL.lower()] = OperatorSpec(name=NULL, family=None, negated=False)
    return table


OPERATORS = _build_registry()


@dataclass(frozen=True, slots=True)
class ParsedOperator:
    spec: OperatorSpec
    qualifier: str | None
    if_exists: bool


def parse_operator(text: str) -> ParsedOperator | None:
    """Split ``ForAnyValue:StringLikeIfExists`` into its parts; ``None`` if it is not valid."""
    qualifier: str | None = None
    name = text
    if ":" in text:
        prefix, _, name = text.partition(":")
        qualifier = QUALIFIERS.get(prefix.lower())
        if qualifier is None:
            return None
    if_exists = False
    lowered = name.lower()
    spec = OPERATORS.get(lowered)
    if spec is None and lowered.endswith("ifexists"):
        spec = OPERATORS.get(lowered[: -len("ifexists")])
        if_exists = True
    if spec is None:
        return None
    if spec.family is None and (if_exists or qualifier):
        return None  # Null takes neither IfExists nor a set qualifier.
    return ParsedOperator(spec=spec, qualifier=qualifier, if_exists=if_exists)
