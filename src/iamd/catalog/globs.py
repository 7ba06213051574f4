"""Reasoning about two wildcard patterns at once, without regular expressions.

Checking one concrete string against a pattern is :mod:`iamd.policy.wildcard`'s job.  A linter
also needs to compare two *patterns*: can ``arn:aws:s3:::logs/*`` name an object of the type
``arn:${Partition}:s3:::${BucketName}/${ObjectName}`` (do they overlap?), and does ``role/jane*``
already cover ``role/jane-admin`` (does one contain the other?).  Both questions are answered by a
search over pairs of positions, linear in the product of the two lengths.

A pattern is a tuple of tokens: a one-character ``str``, :data:`STAR` (any run of characters),
:data:`ANY` (exactly one), :data:`SEGMENT` (any run without ``/``, for reference placeholders
such as an S3 bucket name) or an :class:`Opaque` token for a policy variable, whose value is not
known while linting.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from iamd.policy.variables import Literal, Part, Variable


class Wild(Enum):
    STAR = "*"
    ANY = "?"
    SEGMENT = "+"


STAR = Wild.STAR
ANY = Wild.ANY
SEGMENT = Wild.SEGMENT


@dataclass(frozen=True, slots=True)
class Opaque:
    """A policy variable such as ``${aws:username}``: some unknown text."""

    text: str


Token = str | Wild | Opaque
Glob = tuple[Token, ...]

_MAX_STATES = 2_000_000
"""Above this many position pairs the answer is the cautious one (overlap yes, contain no)."""


def glob(text: str) -> Glob:
    """A pattern in which ``*`` and ``?`` are wildcards and every other character is literal."""
    return tuple(STAR if c == "*" else ANY if c == "?" else c for c in text)


def literal(text: str) -> Glob:
    return tuple(text)


def from_parts(parts: Iterable[Part]) -> Glob:
    """A pattern from a parsed policy string: variables become :class:`Opaque` tokens."""
    out: list[Token] = []
    for part in parts:
        if isinstance(part, str):
            out.extend(glob(part))
        elif isinstance(part, Literal):
            out.extend(part.text)
        elif isinstance(part, Variable):
            out.append(Opaque(part.raw))
    return tuple(out)


def template(text: str, *, nonempty: bool = False, segments: frozenset[str] = frozenset()) -> Glob:
    """A pattern from a reference template: ``${Name}`` and ``<name>`` stand for any text
    (at least one character with ``nonempty``); names in ``segments`` hold no ``/``."""
    out: list[Token] = []
    index = 0
    while index < len(text):
        for opener, closer in (("${", "}"), ("<", ">")):
            if text.startswith(opener, index):
                end = text.find(closer, index + len(opener))
                if end > index:
                    if nonempty:
                        out.append(ANY)
                    name = text[index + len(opener) : end]
                    out.append(SEGMENT if name in segments else STAR)
                    index = end + len(closer)
                    break
        else:
            out.append(text[index])
            index += 1
    return tuple(out)


def is_literal(pattern: Glob) -> bool:
    return all(isinstance(t, str) for t in pattern)


def has_wildcard(pattern: Glob) -> bool:
    return any(isinstance(t, Wild) for t in pattern)


def text_of(pattern: Glob) -> str:
    return "".join(
        t if isinstance(t, str) else t.value if isinstance(t, Wild) else t.text for t in pattern
    )


_RUNS = (STAR, SEGMENT)


def _fold(pattern: Glob) -> Glob:
    return tuple(t.lower() if isinstance(t, str) else t for t in pattern)


def overlaps(a: Glob, b: Glob, *, fold: bool = False) -> bool:
    """Whether some string matches both patterns.  A variable may be anything."""
    if not _ends_agree(a, b, fold):
        return False
    if fold:
        a, b = _fold(a), _fold(b)
    a = tuple(STAR if isinstance(t, Opaque) else t for t in a)
    b = tuple(STAR if isinstance(t, Opaque) else t for t in b)
    if (len(a) + 1) * (len(b) + 1) > _MAX_STATES:
        return True
    seen: set[tuple[int, int]] = set()
    stack = [(0, 0)]
    while stack:
        state = stack.pop()
        if state in seen:
            continue
        seen.add(state)
        i, j = state
        ta = a[i] if i < len(a) else None
        tb = b[j] if j < len(b) else None
        if ta is None and tb is None:
            return True
        if ta is STAR:
            stack.append((i + 1, j))
            if tb is not None:
                stack.append((i, j + 1))
        if tb is STAR:
            stack.append((i, j + 1))
            if ta is not None:
                stack.append((i + 1, j))
        if ta is SEGMENT:
            stack.append((i + 1, j))
            if tb is not None and tb != "/":
                stack.append((i, j + 1))
        if tb is SEGMENT:
            stack.append((i, j + 1))
            if ta is not None and ta != "/":
                stack.append((i + 1, j))
        both = ta is not None and tb is not None
        if both and ta not in _RUNS and tb not in _RUNS and (ta is ANY or tb is ANY or ta == tb):
            stack.append((i + 1, j + 1))
    return False


def _ends_agree(a: Glob, b: Glob, fold: bool) -> bool:
    """A quick necessary condition for overlap: the literal heads (and tails) of both patterns,
    as far as both are literal, are equal."""
    for forward in (True, False):
        left = a if forward else a[::-1]
        right = b if forward else b[::-1]
        for x, y in zip(left, right, strict=False):
            if not isinstance(x, str) or not isinstance(y, str):
                break
            if x != y and not (fold and x.lower() == y.lower()):
                return False
    return True


def _same_ends(outer: Glob, inner: Glob, fold: bool) -> bool:
    """A quick necessary condition for containment: ``outer``'s literal head and tail (up to
    its first and last wildcard) must open and close ``inner`` too."""
    for forward in (True, False):
        outer_side = outer if forward else outer[::-1]
        inner_side = inner if forward else inner[::-1]
        for index, token in enumerate(outer_side):
            if not isinstance(token, str):
                break
            if index >= len(inner_side):
                return False
            other = inner_side[index]
            if not isinstance(other, str):
                return False
            if token != other and not (fold and token.lower() == other.lower()):
                return False
    return True


def contains(outer: Glob, inner: Glob, *, fold: bool = False) -> bool:
    """Whether every string ``inner`` matches also matches ``outer``.

    Sound but not complete: ``True`` is always right; a few exotic pairs where containment holds
    only by coincidence of wildcards answer ``False``.  A variable in ``inner`` is covered only
    by a ``*`` (or the same variable) in ``outer``.
    """
    if outer == inner:
        return True
    if not _same_ends(outer, inner, fold):
        return False
    if fold:
        outer, inner = _fold(outer), _fold(inner)
    if (len(outer) + 1) * (len(inner) + 1) > _MAX_STATES:
        return False
    seen: set[tuple[int, int]] = set()
    stack = [(0, 0)]
    while stack:
        state = stack.pop()
        if state in seen:
            continue
        seen.add(state)
        i, j = state
        if i == len(outer):
            if j == len(inner):
                return True
            continue
        token = outer[i]
        other = inner[j] if j < len(inner) else None
        if token is STAR:
            stack.append((i + 1, j))
            if other is not None:
                stack.append((i, j + 1))
        elif token is SEGMENT:
            stack.append((i + 1, j))
            if other is SEGMENT or (isinstance(other, str) and other != "/"):
                stack.append((i, j + 1))
        elif other is None:
            continue
        elif token is ANY:
            if isinstance(other, str) or other is ANY:
                stack.append((i + 1, j + 1))
        elif token == other:
            stack.append((i + 1, j + 1))
    return False
