"""Wildcard (``*`` and ``?``) matching, without ever handing policy text to ``re`` unescaped.

Static patterns are compiled once into a regular expression in which every character but the
two wildcards is escaped.  Patterns that contain policy variables are resolved per request, and
then matched by :func:`match_pieces`, which needs no regular expression at all: because ``?`` has
a fixed width, the segments between ``*`` can be placed greedily, leftmost first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

Piece = tuple[str, bool]
"""Text and whether its ``*`` and ``?`` are wildcards (False for resolved variables and escapes)."""

_ANY = None  # a ``?`` position inside a segment


def to_regex(pieces: Sequence[Piece], *, star: str = ".*", qmark: str = ".") -> str:
    """Regex source for a glob, every non-wildcard character escaped, in linear time.

    A naive translation (``*`` as ``.*``) backtracks: ``*a*a*a...b`` against a long run of
    ``a`` takes time exponential in the stars, a denial of service any policy author or caller
    could trigger.  Here every segment between two stars sits in an atomic group after a lazy
    star: it takes the leftmost place it fits and never gives it back.  For globs that is
    exact, because the segments have fixed widths: placing one as early as possible leaves
    the most room for the rest.  Only the last star is free, and it is anchored by the end.
    """
    segments: list[list[str]] = [[]]
    for text, wild in pieces:
        if not wild:
            segments[-1].append(re.escape(text))
            continue
        for ch in text:
            if ch == "*":
                segments.append([])
            elif ch == "?":
                segments[-1].append(qmark)
            else:
                segments[-1].append(re.escape(ch))
    parts = ["".join(segment) for segment in segments]
    if len(parts) == 1:
        return parts[0]
    middle = "".join(f"(?>{star}?{part})" for part in parts[1:-1])
    return f"{parts[0]}{middle}{star}{parts[-1]}"


def compile_glob(text: str, *, fold: bool = False) -> re.Pattern[str]:
    """A compiled full-match pattern for a plain glob such as ``s3:Get*``."""
    return re.compile(to_regex([(text, True)]), re.DOTALL | (re.IGNORECASE if fold else 0))


def has_wildcards(text: str) -> bool:
    return "*" in text or "?" in text


def _segments(pieces: Sequence[Piece], fold: bool) -> list[list[str | None]]:
    segments: list[list[str | None]] = [[]]
    for text, wild in pieces:
        if fold:
            text = text.lower()
        for ch in text:
            if wild and ch == "*":
                segments.append([])
            elif wild and ch == "?":
                segments[-1].append(_ANY)
            else:
                segments[-1].append(ch)
    return segments


def _matches_at(segment: list[str | None], subject: str, pos: int) -> bool:
    if pos + len(segment) > len(subject):
        return False
    for offset, ch in enumerate(segment):
        if ch is not _ANY and subject[pos + offset] != ch:
            return False
    return True


def _find(segment: list[str | None], subject: str, start: int, stop: int) -> int:
    """Leftmost position ``p`` in ``[start, stop]`` where ``segment`` matches, or -1."""
    if _ANY not in segment:
        literal = "".join(segment)  # type: ignore[arg-type]
        found = subject.find(literal, start, stop + len(literal))
        return found
    for pos in range(start, stop + 1):
        if _matches_at(segment, subject, pos):
            return pos
    return -1


def match_pieces(pieces: Sequence[Piece], subject: str, *, fold: bool = False) -> bool:
    """Full match of ``subject`` against a resolved glob, without regular expressions."""
    if fold:
        subject = subject.lower()
    segments = _segments(pieces, fold)
    if len(segments) == 1:
        only = segments[0]
        return len(only) == len(subject) and _matches_at(only, subject, 0)
    first, last = segments[0], segments[-1]
    if len(first) + len(last) > len(subject):
        return False
    if not _matches_at(first, subject, 0):
        return False
    end = len(subject) - len(last)
    if not _matches_at(last, subject, end):
        return False
    pos = len(first)
    for segment in segments[1:-1]:
        found = _find(segment, subject, pos, end - len(segment))
        if found < 0:
            return False
        pos = found + len(segment)
    return True
