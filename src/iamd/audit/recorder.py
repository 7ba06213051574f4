"""Records audit events without ever blocking or failing a request.

:meth:`Recorder.record` only appends to a bounded in-memory queue (and counts what it drops
when the queue is full); a background thread writes batches to the store, one transaction per
batch.  :meth:`Recorder.flush` waits until everything recorded so far is written.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import Any

from iamd.store import Store
from iamd.store.repos.audit_events import AuditEvents

log = logging.getLogger("iamd")

MAX_QUEUE = 100_000
BATCH = 100
"""Small batches keep each burst of the writer's work (it holds the GIL) under a millisecond or
two, so requests on the event loop are not held up behind it."""
INTERVAL = 0.2
PAUSE = 0.001


class Recorder:
    def __init__(
        self,
        store: Store,
        max_queue: int = MAX_QUEUE,
        batch: int = BATCH,
        interval: float = INTERVAL,
    ) -> None:
        self.store = store
        self.max_queue = max_queue
        self.batch = batch
        self.interval = interval
        self.dropped = 0
        """Events lost because the queue was full (the store could not keep up)."""
        self.failed = 0
        """Events lost because writing them failed."""
        self._queue: deque[dict[str, Any]] = deque()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._write_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def record(self, event: dict[str, Any]) -> None:
        """Queue one event; never blocks, never raises."""
        if len(self._queue) >= self.max_queue:
            self.dropped += 1
            return
        self._queue.append(event)
        if len(self._queue) >= self.batch:
            self._wake.set()

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="iamd-audit", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Write what is queued, then end the thread."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.flush()

    def flush(self) -> None:
        """Write every event recorded before this call (tests and shutdown)."""
        while self._write_batch():
            pass

    @property
    def pending(self) -> int:
        return len(self._queue)

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            while self._write_batch():
                time.sleep(PAUSE)

    def _write_batch(self) -> bool:
        """Write up to one batch; ``False`` when the queue was empty."""
        with self._write_lock:
            events: list[dict[str, Any]] = []
            while self._queue and len(events) < self.batch:
                events.append(self._queue.popleft())
            if not events:
                return False
            try:
                with self.store.write() as tx:
                    tx.repo(AuditEvents).insert_many(events)
            except Exception:  # the audit trail must never take the server down
                self.failed += len(events)
                log.exception("could not write %d audit events", len(events))
            return True
