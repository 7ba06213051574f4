"""Access Analyzer handlers called through the registry, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest

from iamd.store import Store
from support.analyzer_calls import Invoke, invoker


@pytest.fixture
def invoke(store: Store) -> Invoke:
    return invoker(store)
