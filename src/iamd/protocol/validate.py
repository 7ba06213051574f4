"""Input validation against an operation's input shape, with AWS's exact ``ValidationError`` text.

AWS validates every request against its model before the service sees it and reports every
violated constraint in one message::

    2 validation errors detected: Value '' at 'userName' failed to satisfy constraint: Member
    must have length greater than or equal to 1; Value '' at 'userName' failed to satisfy
    constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+

Paths use the members' lowerCamelCase names joined with dots; a list element adds its 1-based
index and ``member`` (``tags.6.member.value``), as AWS's messages show.  A missing required
member reads ``Value null at ...``; the value of a ``sensitive`` shape is never echoed
(``Value at 'password' ...``).

Checks are compiled once per shape into small closures that return None when the value is valid,
so a valid request costs a few dictionary lookups and no string building.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from iamd.errors import ValidationError
from iamd.protocol.models import Shape, lower_camel
from iamd.protocol.patterns import compile_pattern


class _Missing:
    def __repr__(self) -> str:
        return "null"


MISSING: Any = _Missing()
"""The value of a violation where the member was absent (AWS writes ``Value null``)."""

NOT_NULL = "Member must not be null"


@dataclass(frozen=True, slots=True)
class Violation:
    """One violated constraint: where (dotted path), the offending value, and AWS's wording."""

    path: str
    value: Any
    constraint: str
    sensitive: bool = False

    def under(self, segment: str) -> Violation:
        """The same violation seen from the parent: ``segment`` is prefixed to the path."""
        path = f"{segment}.{self.path}" if self.path else segment
        return Violation(path, self.value, self.constraint, self.sensitive)

    def describe(self) -> str:
        if self.value is MISSING:
            head = "Value null"
        elif self.sensitive:
            head = "Value"
        else:
            head = f"Value '{render_value(self.value)}'"
        return f"{head} at '{self.path}' failed to satisfy constraint: {self.constraint}"


class InvalidValueError(Exception):
    """Raised by the parser when a wire value cannot be read as its shape's type.

    Carries a :class:`Violation` whose path grows as the exception unwinds through the
    enclosing structures and lists; only the failing request pays for building it.
    """

    def __init__(self, violation: Violation) -> None:
        super().__init__(violation.describe())
        self.violation = violation


def validation_message(violations: Sequence[Violation]) -> str:
    """AWS's message for one or more violations."""
    count = len(violations)
    noun = "error" if count == 1 else "errors"
    details = "; ".join(v.describe() for v in violations)
    return f"{count} validation {noun} detected: {details}"


def validation_error(violations: Sequence[Violation]) -> ValidationError:
    return ValidationError(validation_message(violations))


def render_value(value: Any) -> str:
    """A value as AWS's (Java) services print it in messages: ``[a, b]``, ``{k=v}``, ``true``."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(render_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={render_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


Checker = Callable[[Any], "list[Violation] | None"]
"""A compiled check: None when the value is valid, else its violations (paths relative)."""


def _utf16_length(value: str) -> int:
    """Java's ``String.length()``: supplementary characters count twice."""
    if value.isascii():
        return len(value)
    return len(value) + sum(1 for ch in value if ord(ch) > 0xFFFF)


def _length_constraints(metadata: dict[str, Any]) -> tuple[int | None, int | None]:
    low = metadata.get("min")
    high = metadata.get("max")
    return (int(low) if low is not None else None, int(high) if high is not None else None)


def describe_constraints(shape: Shape) -> list[str]:
    """Every constraint a scalar shape declares, worded as AWS lists them for map entries."""
    metadata = shape.metadata
    kind = "value" if shape.type_name in ("integer", "long") else "length"
    found = []
    if metadata.get("max") is not None:
        found.append(f"Member must have {kind} less than or equal to {metadata['max']}")
    if metadata.get("min") is not None:
        found.append(f"Member must have {kind} greater than or equal to {metadata['min']}")
    if metadata.get("pattern") is not None:
        found.append(f"Member must satisfy regular expression pattern: {metadata['pattern']}")
    if metadata.get("enum"):
        found.append(f"Member must satisfy enum value set: [{', '.join(metadata['enum'])}]")
    return found


class ValidatorCompiler:
    """Builds (once per shape name) the checker of each shape of one service model."""

    def __init__(self) -> None:
        self._cache: dict[str, Checker | None] = {}
        self._building: set[str] = set()
        self.skipped_patterns: set[str] = set()
        """Patterns that could not be compiled faithfully, so are not enforced."""

    def compile(self, shape: Shape | None) -> Checker | None:
        """The checker for a shape, or None when the shape constrains nothing."""
        if shape is None:
            return None
        name = shape.name
        if name in self._cache:
            return self._cache[name]
        if name in self._building:
            # A recursive shape: defer to the finished checker at call time.
            cache = self._cache

            def deferred(value: Any) -> list[Violation] | None:
                checker = cache.get(name)
                return checker(value) if checker is not None else None

            return deferred
        self._building.add(name)
        try:
            checker = self._build(shape)
        finally:
            self._building.discard(name)
        self._cache[name] = checker
        return checker

    def _build(self, shape: Shape) -> Checker | None:
        kind = shape.type_name
        if kind == "structure":
            return self._structure(shape)
        if kind == "list":
            return self._list(shape)
        if kind == "map":
            return self._map(shape)
        if kind == "string":
            return self._string(shape)
        if kind in ("integer", "long", "float", "double"):
            return _number(shape)
        if kind == "blob":
            return _blob(shape)
        return None

    def _structure(self, shape: Shape) -> Checker | None:
        required = set(shape.metadata.get("required", ()))
        entries: list[tuple[str, str, bool, Checker | None]] = []
        for member_name, member_shape in shape.members.items():
            sub = self.compile(member_shape)
            if sub is not None or member_name in required:
                entries.append(
                    (member_name, lower_camel(member_name), member_name in required, sub)
                )
        if not entries:
            return None

        def check_structure(value: Any) -> list[Violation] | None:
            found: list[Violation] | None = None
            get = value.get
            for member_name, label, is_required, sub in entries:
                member = get(member_name)
                if member is None:
                    if is_required:
                        found = found if found is not None else []
                        found.append(Violation(label, MISSING, NOT_NULL))
                    continue
                if sub is not None:
                    problems = sub(member)
                    if problems:
                        found = found if found is not None else []
                        found.extend(p.under(label) for p in problems)
            return found

        return check_structure

    def _list(self, shape: Shape) -> Checker | None:
        low, high = _length_constraints(shape.metadata)
        element = self.compile(shape.member)
        if low is None and high is None and element is None:
            return None

        def check_list(value: Any) -> list[Violation] | None:
            found: list[Violation] | None = None
            size = len(value)
            if low is not None and size < low:
                found = [
                    Violation("", value, f"Member must have length greater than or equal to {low}")
                ]
            if high is not None and size > high:
                found = found if found is not None else []
                found.append(
                    Violation("", value, f"Member must have length less than or equal to {high}")
                )
            if element is not None:
                for index, item in enumerate(value, 1):
                    if item is None:
                        continue
                    problems = element(item)
                    if problems:
                        found = found if found is not None else []
                        found.extend(p.under(f"{index}.member") for p in problems)
            return found

        return check_list

    def _map(self, shape: Shape) -> Checker | None:
        low, high = _length_constraints(shape.metadata)
        key_check = self.compile(shape.key)
        value_check = self.compile(shape.value)
        if low is None and high is None and key_check is None and value_check is None:
            return None
        key_summary = (
            "Map keys must satisfy constraint: [" + ", ".join(describe_constraints(shape.key)) + "]"
        )
        value_scalar = shape.value.type_name not in ("structure", "list", "map")
        value_summary = (
            "Map value must satisfy constraint: ["
            + ", ".join(describe_constraints(shape.value))
            + "]"
        )

        def check_map(value: Any) -> list[Violation] | None:
            found: list[Violation] = []
            size = len(value)
            if low is not None and size < low:
                found.append(
                    Violation("", value, f"Member must have length greater than or equal to {low}")
                )
            if high is not None and size > high:
                found.append(
                    Violation("", value, f"Member must have length less than or equal to {high}")
                )
            if key_check is not None and any(key_check(k) for k in value):
                found.append(Violation("", value, key_summary))
            if value_check is not None:
                if value_scalar:
                    if any(v is not None and value_check(v) for v in value.values()):
                        found.append(Violation("", value, value_summary))
                else:
                    for key, item in value.items():
                        problems = value_check(item) if item is not None else None
                        if problems:
                            found.extend(p.under(str(key)) for p in problems)
            return found or None

        return check_map

    def _string(self, shape: Shape) -> Checker | None:
        metadata = shape.metadata
        low, high = _length_constraints(metadata)
        if low == 0:
            low = None
        pattern_text = metadata.get("pattern")
        regex = compile_pattern(pattern_text) if pattern_text is not None else None
        if pattern_text is not None and regex is None:
            self.skipped_patterns.add(pattern_text)
        enum = metadata.get("enum")
        allowed = frozenset(enum) if enum else None
        if low is None and high is None and regex is None and allowed is None:
            return None
        sensitive = bool(metadata.get("sensitive"))
        too_short = f"Member must have length greater than or equal to {low}"
        too_long = f"Member must have length less than or equal to {high}"
        mismatch = f"Member must satisfy regular expression pattern: {pattern_text}"
        not_in_enum = f"Member must satisfy enum value set: [{', '.join(enum or ())}]"

        floor = low if low is not None else 0
        ceiling = high if high is not None else 1 << 62

        def check_string(value: Any) -> list[Violation] | None:
            size = len(value) if value.isascii() else _utf16_length(value)
            if (
                floor <= size <= ceiling
                and (regex is None or regex.fullmatch(value) is not None)
                and (allowed is None or value in allowed)
            ):
                return None
            found: list[Violation] = []
            if size < floor:
                found.append(Violation("", value, too_short, sensitive))
            if size > ceiling:
                found.append(Violation("", value, too_long, sensitive))
            if regex is not None and regex.fullmatch(value) is None:
                found.append(Violation("", value, mismatch, sensitive))
            if allowed is not None and value not in allowed:
                found.append(Violation("", value, not_in_enum, sensitive))
            return found

        return check_string


def _number(shape: Shape) -> Checker | None:
    low, high = _length_constraints(shape.metadata)
    if low is None and high is None:
        return None
    sensitive = bool(shape.metadata.get("sensitive"))
    too_small = f"Member must have value greater than or equal to {low}"
    too_big = f"Member must have value less than or equal to {high}"

    def check_number(value: Any) -> list[Violation] | None:
        if low is not None and value < low:
            return [Violation("", value, too_small, sensitive)]
        if high is not None and value > high:
            return [Violation("", value, too_big, sensitive)]
        return None

    return check_number


def _blob(shape: Shape) -> Checker | None:
    low, high = _length_constraints(shape.metadata)
    if not low and high is None:
        return None
    sensitive = bool(shape.metadata.get("sensitive"))
    too_short = f"Member must have length greater than or equal to {low}"
    too_long = f"Member must have length less than or equal to {high}"

    def check_blob(value: Any) -> list[Violation] | None:
        if low is not None and len(value) < low:
            return [Violation("", value, too_short, sensitive)]
        if high is not None and len(value) > high:
            return [Violation("", value, too_long, sensitive)]
        return None

    return check_blob


def check(checker: Checker | None, params: dict[str, Any]) -> None:
    """Raise AWS's ``ValidationError`` listing every violation, or return when valid."""
    if checker is None:
        return
    problems = checker(params)
    if problems:
        raise validation_error(problems)
