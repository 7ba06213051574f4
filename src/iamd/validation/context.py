"""What every check receives: the parsed policy, the JSON as written, and small helpers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from iamd.policy import Policy, PolicyKind, Statement
from iamd.policy.errors import pointer_join
from iamd.policy.variables import Part, parse_template
from iamd.validation.codes import issue
from iamd.validation.findings import Finding, FindingType


def finding(
    code: str, message: str, pointer: str, finding_type: FindingType | None = None
) -> Finding:
    """A finding whose type is the code's own unless ``finding_type`` says otherwise."""
    return Finding(
        code=code, type=finding_type or issue(code).type, message=message, pointer=pointer
    )


def resolve(document: Any, pointer: str) -> Any:
    """The value at an RFC 6901 pointer, or ``None`` when there is none."""
    if not pointer:
        return document
    value = document
    for raw in pointer[1:].split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(value, dict):
            if token not in value:
                return None
            value = value[token]
        elif isinstance(value, list):
            if not token.isdigit() or int(token) >= len(value):
                return None
            value = value[int(token)]
        else:
            return None
    return value


@dataclass(frozen=True, slots=True)
class CheckContext:
    policy: Policy
    """The statements that parsed; when some did not, the others are still here."""
    document: Any
    """The JSON value as written."""
    size: int
    """Characters in the text, white space excluded, as IAM counts them for its quotas."""

    @property
    def kind(self) -> PolicyKind:
        return self.policy.kind

    @property
    def variables(self) -> bool:
        """Whether ``${...}`` is a policy variable here (Version 2012-10-17) or literal text."""
        return self.policy.supports_variables

    def raw(self, pointer: str) -> Any:
        return resolve(self.document, pointer)

    def entries(self, statement: Statement, *path: str) -> Iterator[tuple[str, str]]:
        """``(pointer, text)`` for each entry of a string-or-list element of a statement,
        e.g. ``entries(statement, "Resource")`` or ``entries(statement, "Principal", "AWS")``."""
        where = pointer_join(statement.pointer, *path)
        raw = self.raw(where)
        if isinstance(raw, str):
            yield where, raw
        elif isinstance(raw, list):
            for index, item in enumerate(raw):
                if isinstance(item, str):
                    yield pointer_join(where, index), item

    def value_pointers(self, clause_pointer: str, count: int) -> list[str]:
        """The pointers of a condition clause's values: one per value when they are a list."""
        raw = self.raw(clause_pointer)
        if isinstance(raw, list):
            return [pointer_join(clause_pointer, i) for i in range(count)]
        return [clause_pointer] * count

    def template(self, text: str) -> tuple[Part, ...]:
        """``text`` split into literal text and variables, as this policy's Version reads it."""
        return parse_template(text) if self.variables else (text,)
