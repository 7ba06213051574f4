"""The key ring that seals session tokens, shared by every process through the database.

The newest key seals new tokens; a key older than ``ROTATE_AFTER`` is replaced by a fresh one,
and every key stays valid for opening tokens, so a rotation never cuts a live session short.
A token naming a key this process has not seen makes it reload the ring (another process
rotated).
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from iamd.store import Store
from iamd.store.repos.server_keys import ServerKey, ServerKeys

PURPOSE = "session-token"
ROTATE_AFTER = timedelta(days=7)
RELOAD_INTERVAL = 1.0


class KeyRing:
    """The keys of one purpose: ``session-token`` by default (``authz-message`` seals the
    authorization messages DecodeAuthorizationMessage opens)."""

    def __init__(self, store: Store, purpose: str = PURPOSE) -> None:
        self.store = store
        self.purpose = purpose
        self._keys: dict[str, bytes] = {}
        self._current: ServerKey | None = None
        self._loaded_at = 0.0
        self._lock = threading.Lock()

    def _load(self) -> None:
        with self.store.read() as tx:
            keys = tx.repo(ServerKeys).all(self.purpose)
        with self._lock:
            self._keys = {k.key_id: k.key for k in keys}
            live = [k for k in keys if k.retired_date is None]
            self._current = live[-1] if live else None
            self._loaded_at = time.monotonic()

    def current(self) -> tuple[str, bytes]:
        """The key that seals new tokens, creating or rotating it when due."""
        if self._current is None:
            self._load()
        current = self._current
        if current is None or datetime.now(UTC) - current.create_date > ROTATE_AFTER:
            with self.store.write() as tx:
                fresh = tx.repo(ServerKeys).create(self.purpose)
                tx.changes.record("server-key", fresh.key_id)
            self._load()
            current = self._current
        assert current is not None
        return current.key_id, current.key

    def keys(self, wanted: str | None = None) -> dict[str, bytes]:
        """Every key; reloads (at most once a second) when ``wanted`` is not among them."""
        if not self._keys or (
            wanted is not None
            and wanted not in self._keys
            and time.monotonic() - self._loaded_at > RELOAD_INTERVAL
        ):
            self._load()
        return self._keys

    def get(self, key_id: str) -> bytes | None:
        return self.keys(key_id).get(key_id)
