"""Every store test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from iamd.store import Store
from support import postgres as pg


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
