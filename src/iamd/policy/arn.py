"""ARN patterns, as the Resource element and the Arn* condition operators match them.

An ARN has six colon-separated fields: ``arn:partition:service:region:account:resource``.  Each
of the first five is matched on its own, so a wildcard there never crosses a colon; in the
resource field ``*`` spans anything, ``/`` and ``:`` included.  In the Resource element the
partition, service, region and account fields ignore case, and the resource type that opens the
resource field (``user/``, ``function:``) is literal text, because AWS does not allow wildcards
there (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html).  S3 bucket and
object ARNs have no resource type.

Policy text is split into fields before variables are resolved, so a colon inside
``${aws:username}`` never splits a field.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from iamd.policy import wildcard
from iamd.policy.variables import (
    Context,
    Literal,
    Part,
    has_variables,
    resolve_variable,
)

FIELDS = 6
_SEGMENT_STAR = "[^:]*"
_SEGMENT_QMARK = "[^:]"


def split_template(parts: tuple[Part, ...]) -> list[list[Part]]:
    """Split a template at the colons of its plain text into at most six fields."""
    fields: list[list[Part]] = [[]]
    for part in parts:
        if isinstance(part, str) and len(fields) < FIELDS:
            chunks = part.split(":", FIELDS - len(fields))
            for index, chunk in enumerate(chunks):
                if index:
                    fields.append([])
                if chunk:
                    fields[-1].append(chunk)
        else:
            fields[-1].append(part)
    return fields


def _pieces(parts: list[Part], context: Context | None) -> list[wildcard.Piece] | None:
    out: list[wildcard.Piece] = []
    for part in parts:
        if isinstance(part, str):
            out.append((part, True))
        elif isinstance(part, Literal):
            out.append((part.text, False))
        else:
            if context is None:
                return None
            value = resolve_variable(part, context)
            if value is None:
                return None
            out.append((value, False))
    return out


def _split_resource_type(resource: list[Part], service: list[str]) -> tuple[str, list[Part]]:
    """The literal resource type (``user/``) opening the resource field, and the rest."""
    if [p.lower() for p in service] == ["s3"] or not resource or not isinstance(resource[0], str):
        return "", resource
    first = resource[0]
    cut = [i for i in (first.find("/"), first.find(":")) if i >= 0]
    if not cut:
        return "", resource
    end = min(cut) + 1
    rest: list[Part] = [first[end:]] if first[end:] else []
    return first[:end], rest + resource[1:]


class ResourcePattern:
    """One entry of a Resource or NotResource element, compiled."""

    __slots__ = ("_dynamic", "_fields", "_regex", "_type", "dynamic", "text", "valid")

    def __init__(self, text: str, parts: tuple[Part, ...]) -> None:
        self.text = text
        self.dynamic = has_variables(parts)
        fields = split_template(parts)
        self.valid = len(fields) == FIELDS
        self._fields = fields
        self._regex: re.Pattern[str] | None = None
        self._type = ""
        if not self.valid:
            return
        service_text = [p for p in fields[2] if isinstance(p, str)]
        self._type, resource = _split_resource_type(fields[5], service_text)
        self._fields = [*fields[:5], resource]
        if not self.dynamic:
            self._regex = re.compile(self.regex_source(), re.DOTALL)

    def regex_source(self) -> str:
        """The full-match source of a static pattern; fields 1-4 ignore case."""
        head = []
        for index, parts in enumerate(self._fields[:5]):
            pieces = _pieces(parts, None) or []
            source = wildcard.to_regex(pieces, star=_SEGMENT_STAR, qmark=_SEGMENT_QMARK)
            head.append(source if index == 0 else f"(?i:{source})")
        tail = wildcard.to_regex(_pieces(self._fields[5], None) or [])
        return ":".join(head) + ":" + re.escape(self._type) + tail

    def matches(self, arn: str, context: Context) -> bool | None:
        """Whether ``arn`` falls in the pattern; ``None`` if a variable does not resolve."""
        if not self.valid:
            return False
        if self._regex is not None:
            return self._regex.fullmatch(arn) is not None
        fields = arn.split(":", FIELDS - 1)
        if len(fields) != FIELDS:
            return False
        for index in range(5):
            pieces = _pieces(self._fields[index], context)
            if pieces is None:
                return None
            if not wildcard.match_pieces(pieces, fields[index], fold=index > 0):
                return False
        if not fields[5].startswith(self._type):
            return False
        pieces = _pieces(self._fields[5], context)
        if pieces is None:
            return None
        return wildcard.match_pieces(pieces, fields[5][len(self._type) :])


def static_regex(pattern: ResourcePattern) -> str | None:
    """The regex source of a static pattern, for merging several into one alternation."""
    if pattern.dynamic or not pattern.valid:
        return None
    return pattern.regex_source()


def arn_condition_test(parts: tuple[Part, ...]) -> Callable[[str, Context], bool | None]:
    """A test for one ArnLike/ArnEquals value: six fields, each matched alone, case-sensitive."""
    fields = split_template(parts)
    if len(fields) != FIELDS:
        return lambda value, context: None
    if not has_variables(parts):
        head = [
            wildcard.to_regex(_pieces(f, None) or [], star=_SEGMENT_STAR, qmark=_SEGMENT_QMARK)
            for f in fields[:5]
        ]
        source = ":".join(head) + ":" + wildcard.to_regex(_pieces(fields[5], None) or [])
        fullmatch = re.compile(source, re.DOTALL).fullmatch

        def static(value: str, context: Context) -> bool | None:
            if value.count(":") < FIELDS - 1:
                return None
            return fullmatch(value) is not None

        return static

    def dynamic(value: str, context: Context) -> bool | None:
        actual = value.split(":", FIELDS - 1)
        if len(actual) != FIELDS:
            return None
        for index in range(FIELDS):
            pieces = _pieces(fields[index], context)
            if pieces is None:
                return None
            if not wildcard.match_pieces(pieces, actual[index]):
                return False
        return True

    return dynamic
