"""The gateway's caches of what it reads from the backend (bucket policies, resource policies,
resource tags, KMS aliases): entries kept ``ttl`` seconds, at most ``max_entries`` of them
(emptied when full: cheap, and the next reads fill it again).

A read from the backend takes a while, and a call through the gateway may change what it reads
meanwhile (a PutBucketPolicy while a GetBucketPolicy is out). Every change bumps a generation;
a reader notes the generation before it reads and stores its answer only if none passed by, so
an answer from before a change is never kept after it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from enum import Enum
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")

MAX_ENTRIES = 10_000


class Missing(Enum):
    """What :meth:`Expiring.get` answers for no fresh entry (None may be a cached value)."""

    MISSING = 0


MISSING = Missing.MISSING


class Expiring(Generic[K, V]):
    def __init__(self, ttl: float, max_entries: int = MAX_ENTRIES) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self.generation = 0
        """Bumped by every change; pass the value read before a backend read to :meth:`put`."""
        self._entries: dict[K, tuple[float, V]] = {}

    def get(self, key: K) -> V | Missing:
        hit = self._entries.get(key)
        if hit is None or hit[0] <= time.monotonic():
            return MISSING
        return hit[1]

    def put(self, key: K, value: V, since: int) -> None:
        """Keep ``value``, read when the generation was ``since``, unless a change came after."""
        if since != self.generation:
            return
        if len(self._entries) >= self.max_entries and key not in self._entries:
            self._entries.clear()
        self._entries[key] = (time.monotonic() + self.ttl, value)

    def drop(self, keys: Iterable[K] = (), where: Callable[[K], bool] | None = None) -> None:
        """Forget ``keys`` and every key ``where`` holds for: something changed."""
        self.generation += 1
        for key in keys:
            self._entries.pop(key, None)
        if where is not None:
            for key in [k for k in self._entries if where(k)]:
                del self._entries[key]

    def clear(self) -> None:
        self.generation += 1
        self._entries.clear()
