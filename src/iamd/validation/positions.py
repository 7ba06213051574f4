"""Where each JSON value sits in the source text, keyed by JSON pointer.

``json`` does not report positions, so this is a small second pass over text that ``json`` has
already accepted: a scanner that records, for every value, its span and (for object members)
the span of its key.  Keys are decoded with ``json.loads`` itself, so their escapes read exactly
as the document's do.  Duplicate keys are recorded too, since ``json.loads`` keeps only the
last.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import re
from dataclasses import dataclass, field

from iamd.policy.errors import pointer_join
from iamd.validation.findings import Position, Span

_WHITESPACE = " \t\n\r"
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")
_LITERALS = ("true", "false", "null", "NaN", "Infinity", "-Infinity")
_MAX_DEPTH = 500


@dataclass(frozen=True, slots=True)
class Node:
    value: tuple[int, int]
    """Offsets of the value: first character and just past the last."""
    key: tuple[int, int] | None = None
    """Offsets of the member's key (with its quotes), for object members."""


@dataclass(slots=True)
class SourceMap:
    text: str
    nodes: dict[str, Node] = field(default_factory=dict)
    duplicates: list[tuple[str, str]] = field(default_factory=list)
    """``(pointer, key)`` for each key that repeats an earlier key of the same object."""
    _lines: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lines = [0] + [m.end() for m in re.finditer("\n", self.text)]

    def position(self, offset: int) -> Position:
        line = bisect.bisect_right(self._lines, offset)
        return Position(line=line, column=offset - self._lines[line - 1] + 1, offset=offset)

    def span(self, pointer: str) -> Span | None:
        """The span of the element at ``pointer``, from its key when it is a member.

        A pointer that names nothing in the text (an element that is missing) falls back to
        its nearest ancestor that exists.
        """
        node = self._nearest(pointer)
        if node is None:
            return None
        start = node.key[0] if node.key else node.value[0]
        return Span(self.position(start), self.position(node.value[1]))

    def _nearest(self, pointer: str) -> Node | None:
        while True:
            node = self.nodes.get(pointer)
            if node is not None or not pointer:
                return node
            pointer = pointer.rsplit("/", 1)[0]


def index(text: str) -> SourceMap:
    """Index a JSON text that ``json.loads`` accepted; an unexpected shape yields a partial map."""
    source = SourceMap(text)
    with contextlib.suppress(ValueError, IndexError, RecursionError):
        _Scanner(text, source).value(_skip(text, 0), "", None, 0)
    return source


def _string_end(text: str, pos: int) -> int:
    """Just past the closing quote of the JSON string that opens at ``pos``."""
    index = pos + 1
    while True:
        char = text[index]
        if char == "\\":
            index += 2
        elif char == '"':
            return index + 1
        else:
            index += 1


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _WHITESPACE:
        pos += 1
    return pos


class _Scanner:
    def __init__(self, text: str, source: SourceMap) -> None:
        self.text = text
        self.source = source

    def value(self, pos: int, pointer: str, key: tuple[int, int] | None, depth: int) -> int:
        if depth > _MAX_DEPTH:
            raise ValueError("too deep")
        text = self.text
        char = text[pos]
        if char == "{":
            end = self.members(pos, pointer, depth)
        elif char == "[":
            end = self.items(pos, pointer, depth)
        elif char == '"':
            end = _string_end(text, pos)
        else:
            match = _NUMBER.match(text, pos)
            if match:
                end = match.end()
            else:
                literal = next((w for w in _LITERALS if text.startswith(w, pos)), None)
                if literal is None:
                    raise ValueError(f"unexpected character at {pos}")
                end = pos + len(literal)
        self.source.nodes[pointer] = Node(value=(pos, end), key=key)
        return end

    def members(self, pos: int, pointer: str, depth: int) -> int:
        text = self.text
        seen: set[str] = set()
        pos = _skip(text, pos + 1)
        if text[pos] == "}":
            return pos + 1
        while True:
            key_start = pos
            pos = _string_end(text, pos)
            name = json.loads(text[key_start:pos])
            key_span = (key_start, pos)
            pos = _skip(text, pos)
            pos = _skip(text, pos + 1)  # the colon
            member = pointer_join(pointer, name)
            if name in seen:
                self.source.duplicates.append((member, name))
            seen.add(name)
            pos = _skip(text, self.value(pos, member, key_span, depth + 1))
            if text[pos] == "}":
                return pos + 1
            pos = _skip(text, pos + 1)  # the comma

    def items(self, pos: int, pointer: str, depth: int) -> int:
        text = self.text
        pos = _skip(text, pos + 1)
        if text[pos] == "]":
            return pos + 1
        index = 0
        while True:
            pos = _skip(text, self.value(pos, pointer_join(pointer, index), None, depth + 1))
            index += 1
            if text[pos] == "]":
                return pos + 1
            pos = _skip(text, pos + 1)
