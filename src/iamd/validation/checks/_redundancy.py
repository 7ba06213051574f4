"""Finding list entries that other entries of the same list already cover, in near-linear time.

A literal entry can be covered only by an equal literal or by a pattern; a pattern only by
another pattern.  Entries are also split into groups (a service) that cannot cover each other,
so policies with thousands of entries stay fast.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")


def covered(
    items: Sequence[T],
    *,
    literal: Callable[[T], bool],
    key: Callable[[T], str],
    group: Callable[[T], str | None],
    covers: Callable[[T, T], bool],
) -> Iterator[tuple[int, int]]:
    """``(i, j)`` for each item ``i`` that item ``j`` covers; of two equivalent items the later
    one is reported.  ``group`` is ``None`` for an item that may cover any group."""
    patterns: dict[str | None, list[int]] = {}
    for index, item in enumerate(items):
        if not literal(item):
            patterns.setdefault(group(item), []).append(index)
    loose = patterns.get(None, [])
    first: dict[str, int] = {}
    for i, item in enumerate(items):
        if literal(item):
            seen = first.setdefault(key(item), i)
            if seen != i:
                yield i, seen
                continue
        own = group(item)
        candidates = (
            sorted(j for js in patterns.values() for j in js)
            if own is None
            else sorted(loose + patterns.get(own, []))
        )
        for j in candidates:
            other = items[j]
            if j == i or not covers(other, item):
                continue
            if j > i and covers(item, other):
                continue
            yield i, j
            break
