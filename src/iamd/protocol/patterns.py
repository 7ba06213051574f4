"""botocore model patterns (Java regular expressions) compiled for Python's ``re``.

AWS checks ``pattern`` constraints with Java's ``String.matches``: the whole value must match,
``\\w``/``\\d``/``\\s`` are ASCII-only, and ``\\p{L}``-style Unicode categories are allowed.
Python's ``re`` differs on exactly those points, so a pattern is translated before compiling:

* the match is made with ``fullmatch`` and ``re.ASCII`` (Java's ASCII ``\\w``);
* ``\\p{X}`` / ``\\P{X}`` become explicit code-point ranges, from one pass over ``unicodedata``
  made on first need (it takes about 0.1 s, and only the tag patterns need it);
* ``\\u10000``-style escapes with five or six hex digits, which the models use to mean a
  supplementary code point, become ``\\U00010000``.

A pattern that still cannot be compiled the same way (nested classes, intersections) yields
None; the validator then skips that one constraint rather than rejecting valid input.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
import warnings

_CATEGORY = re.compile(r"[A-Z][a-z]?")
_WIDE_U = re.compile(r"\\u([0-9A-Fa-f]{5,6})(?![0-9A-Fa-f])")


@functools.cache
def _category_runs() -> dict[str, list[tuple[int, int]]]:
    """Runs of consecutive code points per Unicode category ("Lu", ...), from one pass."""
    runs: dict[str, list[tuple[int, int]]] = {}
    cat = unicodedata.category
    current = cat("\0")
    start = 0
    for cp in range(1, sys.maxunicode + 1):
        c = cat(chr(cp))
        if c != current:
            runs.setdefault(current, []).append((start, cp - 1))
            current, start = c, cp
    runs.setdefault(current, []).append((start, sys.maxunicode))
    return runs


@functools.cache
def _category_ranges(category: str) -> str:
    """Character-class body (no brackets) matching every code point of a Unicode category.

    ``category`` is a major class ("L") or a full category ("Lu"), as in Java's ``\\p{...}``.
    """
    runs = sorted(
        run
        for name, found in _category_runs().items()
        if name == category or (len(category) == 1 and name[0] == category)
        for run in found
    )
    if not runs:
        raise _UntranslatableError(f"unknown category {category!r}")
    merged: list[list[int]] = []
    for first, last in runs:
        if merged and merged[-1][1] + 1 >= first:
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    return "".join(_range(first, last) for first, last in merged)


def _range(first: int, last: int) -> str:
    if first == last:
        return f"\\U{first:08X}"
    return f"\\U{first:08X}-\\U{last:08X}"


class _UntranslatableError(ValueError):
    pass


def translate(pattern: str) -> str:
    """The Python spelling of a Java pattern (to be used with ``fullmatch`` and ``re.ASCII``)."""
    pattern = _WIDE_U.sub(_wide_escape, pattern)
    out: list[str] = []
    in_class = False
    i = 0
    n = len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            if nxt in "pP":
                name, i = _category_name(pattern, i + 2)
                body = _category_ranges(name)
                if in_class:
                    if nxt == "P":
                        raise _UntranslatableError("negated category inside a class")
                    out.append(body)
                else:
                    out.append(("[^" if nxt == "P" else "[") + body + "]")
                continue
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            if ch == "[" or (ch == "&" and pattern.startswith("&&", i)):
                raise _UntranslatableError("nested class or intersection")
            if ch == "]":
                in_class = False
        elif ch == "[":
            in_class = True
            out.append(ch)
            if pattern.startswith("^", i + 1):
                out.append("^")
                i += 1
            if pattern.startswith("]", i + 1):
                # A "]" right after "[" or "[^" is a literal in Java as in Python.
                out.append("\\]")
                i += 1
            i += 1
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _wide_escape(match: re.Match[str]) -> str:
    value = int(match.group(1), 16)
    if 0x10000 <= value <= sys.maxunicode:
        return f"\\U{value:08X}"
    return match.group(0)


def _category_name(pattern: str, i: int) -> tuple[str, int]:
    """Reads the category after ``\\p`` at ``i``: ``{L}``, ``{IsL}`` or a single letter."""
    if pattern.startswith("{", i):
        end = pattern.find("}", i)
        if end < 0:
            raise _UntranslatableError("unterminated \\p{")
        name = pattern[i + 1 : end]
        i = end + 1
    else:
        name = pattern[i : i + 1]
        i += 1
    if name.startswith("Is"):
        name = name[2:]
    if not _CATEGORY.fullmatch(name):
        raise _UntranslatableError(f"unsupported property {name!r}")
    return name, i


@functools.cache
def compile_pattern(pattern: str) -> re.Pattern[str] | None:
    """The compiled form of a model pattern, or None when it cannot be reproduced faithfully.

    Use ``.fullmatch``: Java's ``matches`` requires the whole value to match.
    """
    try:
        translated = translate(pattern)
        with warnings.catch_warnings():
            # FutureWarning ("possible nested set") means Python would read it differently.
            warnings.simplefilter("error")
            return re.compile(translated, re.ASCII)
    except (_UntranslatableError, re.error, FutureWarning):
        return None
