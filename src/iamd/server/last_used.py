"""Records when each access key was last used (GetAccessKeyLastUsed, the credential report).

Writing on every request would put an fsync on the hot path, so each key is written at most
once a minute per process; AWS itself reports last use with coarse granularity.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime

from iamd.store import Store

log = logging.getLogger("iamd")
INTERVAL = 60.0


class LastUsed:
    def __init__(self, store: Store, interval: float = INTERVAL) -> None:
        self.store = store
        self.interval = interval
        self._written: dict[str, float] = {}
        self._lock = threading.Lock()

    def record(self, key_id: str, service: str, region: str) -> None:
        now = time.monotonic()
        with self._lock:
            last = self._written.get(key_id)
            if last is not None and now - last < self.interval:
                return
            self._written[key_id] = now
        try:
            with self.store.write() as tx:
                tx.access_keys.touch(
                    key_id, service, region, datetime.now(UTC).replace(microsecond=0)
                )
        except Exception:  # bookkeeping must never fail the request
            log.exception("could not record last use of access key %s", key_id)
