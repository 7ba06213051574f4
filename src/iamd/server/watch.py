"""Follows the change feed, so a process learns of other processes' writes within a second."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from iamd.store import Store

log = logging.getLogger("iamd.watch")


class ChangeWatcher:
    def __init__(self, store: Store, on_change: Callable[[], None], interval: float) -> None:
        self.store = store
        self.on_change = on_change
        self.interval = interval
        self._stop = threading.Event()
        with store.read() as tx:
            self._seen = tx.changes.latest()
        self._thread = threading.Thread(target=self._run, name="iamd-change-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def poll(self) -> bool:
        """Look once; True (and caches dropped) if anything changed since the last look."""
        with self.store.read() as tx:
            latest = tx.changes.latest()
        if latest == self._seen:
            return False
        self._seen = latest
        self.on_change()
        return True

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.poll()
            except Exception:
                log.exception("change feed poll failed; caches dropped to stay safe")
                self.on_change()
