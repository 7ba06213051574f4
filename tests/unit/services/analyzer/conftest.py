"""Access Analyzer handlers called through the registry, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from iamd.store import Store
from support import postgres as pg
from support.analyzer_calls import Invoke, invoker


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    key = bytes(range(32))
    if request.param == "sqlite":
        opened = Store.open(None, tmp_path, key)
        yield opened
        opened.close()
        return
    with pg.schema_url() as url:
        opened = Store.open(url, tmp_path, key)
        yield opened
        opened.close()


@pytest.fixture
def invoke(store: Store) -> Invoke:
    return invoker(store)
