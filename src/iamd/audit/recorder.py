"""Records audit events without ever blocking or failing a request.

:meth:`Recorder.record` only appends to a bounded in-memory queue (and counts what it drops
when the queue is full); a background thread writes batches to the store, one transaction per
batch.  :meth:`Recorder.flush` waits until everything recorded so far is written.  What is
queued may be the event or a function that builds it: the hot paths (every API and gateway
call) queue the function, so building the event (tens of microseconds of dict work) happens in
the writer's batches instead of between a request and its answer.

The same thread enforces the retention period (``--audit-retention-days``, 90 by default like
CloudTrail's event history; 0 keeps events forever): between batches it deletes events older
than the period, a few hundred per transaction, so pruning a long backlog never holds the
database for long.  Dropped events are logged as a warning (at most every ``WARN_EVERY``
seconds); :meth:`Recorder.metrics` is what ``GET /_iamd/metrics`` shows.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from iamd.store import Store
from iamd.store.repos.audit_events import AuditEvents
from iamd.store.repos.audit_history import AuditHistory

log = logging.getLogger("iamd")

MAX_QUEUE = 100_000
BATCH = 100
"""Small batches keep each burst of the writer's work (it holds the GIL) under a millisecond or
two, so requests on the event loop are not held up behind it."""
INTERVAL = 0.2
PAUSE = 0.001
RETENTION_DAYS = 90
PRUNE_BATCH = 500
PRUNE_EVERY = 600.0
"""Seconds between pruning rounds once nothing is left to prune."""
WARN_EVERY = 10.0

Pending = dict[str, Any] | Callable[[], dict[str, Any]]
"""An event, or a function building it (called once, in the writer thread)."""


_RECORDERS: weakref.WeakSet[Recorder] = weakref.WeakSet()


def flush_pending(store: Store) -> None:
    """Write every event recorded so far for ``store``: a reader of the trail (LookupEvents)
    then sees the caller's own earlier calls, as it would on AWS after the delivery delay."""
    for recorder in list(_RECORDERS):
        if recorder.store is store:
            recorder.flush()


class Recorder:
    def __init__(
        self,
        store: Store,
        max_queue: int = MAX_QUEUE,
        batch: int = BATCH,
        interval: float = INTERVAL,
        retention_days: int = RETENTION_DAYS,
    ) -> None:
        self.store = store
        self.retention = timedelta(days=retention_days) if retention_days > 0 else None
        self.max_queue = max_queue
        self.batch = batch
        self.interval = interval
        self.dropped = 0
        """Events lost because the queue was full (the store could not keep up)."""
        self.failed = 0
        """Events lost because writing them failed."""
        self.recorded = 0
        """Events written to the store."""
        self.pruned = 0
        """Events deleted after the retention period."""
        self._next_prune = 0.0
        self._dropped_warned = 0
        self._warned_at = 0.0
        self._queue: deque[Pending] = deque()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._write_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        _RECORDERS.add(self)

    def record(self, event: Pending) -> None:
        """Queue one event (or its builder, which must only read what no later request
        changes); never blocks, never raises."""
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

    def metrics(self) -> dict[str, int]:
        return {
            "recorded": self.recorded,
            "queued": len(self._queue),
            "dropped": self.dropped,
            "failed": self.failed,
            "pruned": self.pruned,
        }

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            while self._write_batch():
                time.sleep(PAUSE)
            self._warn_dropped()
            if self.retention is not None and time.monotonic() >= self._next_prune:
                self.prune_once()

    def prune_once(self, now: datetime | None = None) -> int:
        """Delete one batch of events older than the retention period; how many went.

        A full batch means more may be waiting: the next round comes at once (after the
        events queued meanwhile are written); otherwise in ``PRUNE_EVERY`` seconds.
        """
        if self.retention is None:
            return 0
        before = (now or datetime.now(UTC)) - self.retention
        try:
            with self.store.write() as tx:
                removed = tx.repo(AuditHistory).prune(before, PRUNE_BATCH)
        except Exception:  # pruning is retried next round; it never stops recording
            log.exception("could not prune audit events older than %s", before)
            removed = 0
        self.pruned += removed
        self._next_prune = time.monotonic() + (0.0 if removed >= PRUNE_BATCH else PRUNE_EVERY)
        return removed

    def _warn_dropped(self) -> None:
        dropped = self.dropped
        if dropped > self._dropped_warned and time.monotonic() - self._warned_at >= WARN_EVERY:
            log.warning(
                "%d audit events dropped: the queue of %d was full (the database cannot keep "
                "up); %d dropped since start",
                dropped - self._dropped_warned,
                self.max_queue,
                dropped,
            )
            self._dropped_warned = dropped
            self._warned_at = time.monotonic()

    def _write_batch(self) -> bool:
        """Write up to one batch; ``False`` when the queue was empty."""
        with self._write_lock:
            events: list[dict[str, Any]] = []
            taken = 0
            while self._queue and taken < self.batch:
                item = self._queue.popleft()
                taken += 1
                if not callable(item):
                    events.append(item)
                    continue
                try:
                    events.append(item())
                except Exception:  # a builder's fault loses its event, never the batch
                    self.failed += 1
                    log.exception("could not build an audit event")
            if not taken:
                return False
            if not events:
                return True
            try:
                with self.store.write() as tx:
                    tx.repo(AuditEvents).insert_many(events)
                self.recorded += len(events)
            except Exception:  # the audit trail must never take the server down
                self.failed += len(events)
                log.exception("could not write %d audit events", len(events))
            return True
