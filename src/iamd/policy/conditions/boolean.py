"""Bool and BinaryEquals.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Boolean
"""

from __future__ import annotations

import base64
import binascii

from iamd.policy.conditions.base import Comparator, Family, combine
from iamd.policy.variables import Context, Part, has_variables, resolve_literal

_BOOLS = ("true", "false")


def _validate_bool(value: str) -> str | None:
    return None if value.lower() in _BOOLS else f"Invalid boolean {value!r}: use true or false"


def _build_bool(base: str, templates: tuple[tuple[Part, ...], ...]) -> Comparator:
    if not any(has_variables(t) for t in templates):
        wanted = frozenset((resolve_literal(t, {}) or "").lower() for t in templates)

        def static(value: str, context: Context) -> bool | None:
            lowered = value.lower()
            if lowered not in _BOOLS:
                return None
            return lowered in wanted

        return static

    def one(parts: tuple[Part, ...]) -> Comparator:
        def test(value: str, context: Context) -> bool | None:
            resolved = resolve_literal(parts, context)
            lowered = value.lower()
            if resolved is None or lowered not in _BOOLS or resolved.lower() not in _BOOLS:
                return None
            return resolved.lower() == lowered

        return test

    return combine([one(t) for t in templates])


def _decode(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def _validate_binary(value: str) -> str | None:
    return None if _decode(value) is not None else f"Invalid base64 value {value!r}"


def _build_binary(base: str, templates: tuple[tuple[Part, ...], ...]) -> Comparator:
    wanted = {_decode(resolve_literal(t, {}) or "") for t in templates}

    def comparator(value: str, context: Context) -> bool | None:
        decoded = _decode(value)
        if decoded is None:
            return None
        return decoded in wanted

    return comparator


BOOL = Family(name="Bool", variables=True, validate=_validate_bool, build=_build_bool)
BINARY = Family(name="Binary", variables=False, validate=_validate_binary, build=_build_binary)
BOOL_OPERATORS = (("Bool", False),)
BINARY_OPERATORS = (("BinaryEquals", False),)
