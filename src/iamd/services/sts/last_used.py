"""RoleLastUsed, written at most once a minute per role so AssumeRole stays off the disk."""

from __future__ import annotations

import threading
import time

from iamd.store import Store

_written: dict[str, float] = {}
_lock = threading.Lock()
INTERVAL = 60.0


def touch_role(store: Store, role_id: str, region: str) -> None:
    now = time.monotonic()
    with _lock:
        last = _written.get(role_id)
        if last is not None and now - last < INTERVAL:
            return
        _written[role_id] = now
    with store.write() as tx:
        tx.roles.touch(role_id, region)
