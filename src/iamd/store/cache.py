"""A process-wide cache of hot reads, dropped on every change.

Read-only calls (GetUser, the authorization target of most calls) look the same rows up again
and again.  Every write records itself in the change feed; this process drops the cache at once
after its own writes and within a second of another process's, the same guarantee the policy
cache gives.  A value loaded while a change lands is not kept (the generation check).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")
_MISSING = object()


class ReadCache:
    def __init__(self, max_entries: int = 50_000) -> None:
        self.max_entries = max_entries
        self._values: dict[Hashable, Any] = {}
        self._generation = 0
        self._lock = threading.Lock()

    def invalidate(self) -> None:
        with self._lock:
            self._generation += 1
            self._values = {}

    def get(self, key: Hashable, load: Callable[[], T]) -> T:
        value = self._values.get(key, _MISSING)
        if value is not _MISSING:
            return value  # type: ignore[no-any-return]
        generation = self._generation
        value = load()
        with self._lock:
            if generation == self._generation:
                if len(self._values) >= self.max_entries:
                    self._values = {}
                self._values[key] = value
        return value
