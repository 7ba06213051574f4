"""String operators: StringEquals, StringNotEquals, the IgnoreCase pair, StringLike, StringNotLike.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_String
"""

from __future__ import annotations

import re

from iamd.policy import wildcard
from iamd.policy.conditions.base import Comparator, Family, combine
from iamd.policy.variables import (
    Context,
    Literal,
    Part,
    has_variables,
    resolve_literal,
    resolve_variable,
)


def _validate(value: str) -> str | None:
    return None


def _pieces(parts: tuple[Part, ...], context: Context) -> list[wildcard.Piece] | None:
    out: list[wildcard.Piece] = []
    for part in parts:
        if isinstance(part, str):
            out.append((part, True))
        elif isinstance(part, Literal):
            out.append((part.text, False))
        else:
            value = resolve_variable(part, context)
            if value is None:
                return None
            out.append((value, False))
    return out


def _static_like(templates: tuple[tuple[Part, ...], ...]) -> re.Pattern[str]:
    sources = []
    for parts in templates:
        pieces = [(p, True) if isinstance(p, str) else (p.text, False) for p in parts]  # type: ignore[union-attr]
        sources.append(wildcard.to_regex(pieces))
    return re.compile("|".join(f"(?:{s})" for s in sources), re.DOTALL)


def _build(base: str, templates: tuple[tuple[Part, ...], ...]) -> Comparator:
    like = base in ("StringLike", "StringNotLike")
    fold = "IgnoreCase" in base
    static = not any(has_variables(t) for t in templates)
    if like and static:
        pattern = _static_like(templates)
        fullmatch = pattern.fullmatch
        return lambda value, context: fullmatch(value) is not None
    if not like and static:
        literals = [resolve_literal(t, {}) or "" for t in templates]
        if fold:
            folded = frozenset(v.lower() for v in literals)
            return lambda value, context: value.lower() in folded
        exact = frozenset(literals)
        return lambda value, context: value in exact
    tests = [_dynamic_test(t, like, fold) for t in templates]
    return combine(tests)


def _dynamic_test(parts: tuple[Part, ...], like: bool, fold: bool) -> Comparator:
    if like:

        def like_test(value: str, context: Context) -> bool | None:
            pieces = _pieces(parts, context)
            if pieces is None:
                return None
            return wildcard.match_pieces(pieces, value)

        return like_test

    def equals_test(value: str, context: Context) -> bool | None:
        resolved = resolve_literal(parts, context)
        if resolved is None:
            return None
        if fold:
            return resolved.lower() == value.lower()
        return resolved == value

    return equals_test


FAMILY = Family(name="String", variables=True, validate=_validate, build=_build)
OPERATORS = (
    ("StringEquals", False),
    ("StringNotEquals", True),
    ("StringEqualsIgnoreCase", False),
    ("StringNotEqualsIgnoreCase", True),
    ("StringLike", False),
    ("StringNotLike", True),
)
