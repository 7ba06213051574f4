"""A store on the embedded SQLite or on PostgreSQL, for tests that run on both."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from iamd.store import Store
from support import postgres as pg

KINDS = ["sqlite", "postgresql"]
MASTER_KEY = bytes(range(32))


@contextmanager
def opened_store(kind: str, data_dir: Path) -> Iterator[Store]:
    """A fresh, migrated store of ``kind`` (a PostgreSQL schema of its own), closed after."""
    with ExitStack() as stack:
        url = None if kind == "sqlite" else stack.enter_context(pg.schema_url())
        opened = Store.open(url, data_dir, MASTER_KEY)
        try:
            yield opened
        finally:
            opened.close()
