"""ARN patterns from a policy's Resource element, split into their six fields for comparison.

``arn:partition:service:region:account-id:resource``: each of the first five fields is
compared on its own, so a wildcard there never crosses a colon; the resource field may hold
colons and slashes.  The split happens before policy variables are read, so the colon in
``${aws:username}`` never splits a field.
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
"""

from __future__ import annotations

from dataclasses import dataclass

from iamd.catalog import globs
from iamd.policy.arn import FIELDS, split_template
from iamd.policy.variables import parse_template

PARTITION, SERVICE, REGION, ACCOUNT, RESOURCE = 1, 2, 3, 4, 5


@dataclass(frozen=True, slots=True)
class ArnPattern:
    """One Resource entry as six patterns, one per field."""

    text: str
    fields: tuple[globs.Glob, ...]

    @classmethod
    def parse(cls, text: str, *, variables: bool = True) -> ArnPattern | None:
        """``None`` unless ``text`` has all six fields (``"*"`` alone is not an ARN pattern)."""
        parts = parse_template(text) if variables else (text,)
        fields = split_template(parts)
        if len(fields) != FIELDS:
            return None
        return cls(text=text, fields=tuple(globs.from_parts(f) for f in fields))

    def field(self, index: int) -> globs.Glob:
        return self.fields[index]

    def literal_field(self, index: int) -> str | None:
        """The field's text when it holds no wildcard and no variable, else ``None``."""
        value = self.fields[index]
        return globs.text_of(value) if globs.is_literal(value) else None

    def is_star_field(self, index: int) -> bool:
        """A field made only of ``*``: it matches anything, the empty field included."""
        value = self.fields[index]
        return bool(value) and all(t is globs.STAR for t in value)


def split_format(arn_format: str) -> tuple[str, ...]:
    """A reference ARN format split into six fields (placeholders hold no colon)."""
    fields = arn_format.split(":", FIELDS - 1)
    return tuple(fields) + ("",) * (FIELDS - len(fields))
