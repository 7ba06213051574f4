"""What every condition-operator family provides.

A family turns the policy's values for one key into a *comparator*: a function from one
context value to ``True`` (it matches one of the policy values), ``False`` (it matches none) or
``None`` (the comparison is undefined: the context value is not of the operator's type, or a
policy variable could not be resolved).  The generic code in :mod:`.clause` applies negation,
``IfExists``, the set qualifiers and the missing-key rule to comparators, once for all families.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from iamd.policy.variables import Context, Part

Comparator = Callable[[str, Context], bool | None]


@dataclass(frozen=True, slots=True)
class Family:
    """One family of operators (String, Numeric, Date, ...)."""

    name: str
    variables: bool
    """Whether policy variables may appear in this family's values."""
    validate: Callable[[str], str | None]
    """Checks one static policy value; returns an error message or ``None``."""
    build: Callable[[str, tuple[tuple[Part, ...], ...]], Comparator]
    """``build(base_operator, value_templates)`` returns the comparator."""


def combine(tests: list[Callable[[str, Context], bool | None]]) -> Comparator:
    """OR several per-value tests: True wins, then undefined, then False."""

    def comparator(value: str, context: Context) -> bool | None:
        undefined = False
        for test in tests:
            result = test(value, context)
            if result:
                return True
            if result is None:
                undefined = True
        return None if undefined else False

    return comparator
