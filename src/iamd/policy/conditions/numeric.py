"""Numeric operators.  Values are integers or decimals; anything else in a policy is an error.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Numeric
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable

from iamd.policy.conditions.base import Comparator, Family
from iamd.policy.variables import Context, Part, resolve_literal

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
MAX_DIGITS = 64
"""Longer numbers are not numbers AWS compares (and Python refuses very long int strings)."""


def parse_number(text: str) -> int | float | None:
    """An integer where possible (exact for large values), else a float; ``None`` if invalid."""
    text = text.strip()
    if len(text) > MAX_DIGITS or not _NUMBER.fullmatch(text):
        return None
    if "." in text:
        return float(text)
    return int(text)


def _validate(value: str) -> str | None:
    return None if parse_number(value) is not None else f"Invalid number {value!r}"


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "NumericEquals": operator.eq,
    "NumericNotEquals": operator.eq,
    "NumericLessThan": operator.lt,
    "NumericLessThanEquals": operator.le,
    "NumericGreaterThan": operator.gt,
    "NumericGreaterThanEquals": operator.ge,
}


def _build(base: str, templates: tuple[tuple[Part, ...], ...]) -> Comparator:
    compare = _COMPARE[base]
    numbers = [parse_number(resolve_literal(t, {}) or "") for t in templates]
    bounds = [n for n in numbers if n is not None]

    def comparator(value: str, context: Context) -> bool | None:
        number = parse_number(value)
        if number is None:
            return None
        # The request value is on the left: NumericLessThan means value < policy value.
        return any(compare(number, bound) for bound in bounds)

    return comparator


FAMILY = Family(name="Numeric", variables=False, validate=_validate, build=_build)
OPERATORS = tuple((name, name == "NumericNotEquals") for name in _COMPARE)
