"""What the linter reports: findings with an issue code, a type, a message and a place."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FindingType(StrEnum):
    """IAM Access Analyzer's four finding types, most severe first.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html
    """

    ERROR = "ERROR"
    SECURITY_WARNING = "SECURITY_WARNING"
    WARNING = "WARNING"
    SUGGESTION = "SUGGESTION"

    @property
    def rank(self) -> int:
        return list(FindingType).index(self)


@dataclass(frozen=True, slots=True, order=True)
class Position:
    """A place in the source text: 1-based line and column (in characters), 0-based offset."""

    line: int
    column: int
    offset: int


@dataclass(frozen=True, slots=True)
class Span:
    start: Position
    end: Position
    """Just past the last character."""


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    """The issue code: Access Analyzer's where one fits (``PASS_ROLE_WITH_STAR_IN_RESOURCE``)."""
    type: FindingType
    message: str
    pointer: str
    """RFC 6901 JSON pointer to the element, ``""`` for the whole document."""
    span: Span | None = None
    """Where the element is in the source text, when the text is known."""

    @property
    def is_error(self) -> bool:
        return self.type is FindingType.ERROR
