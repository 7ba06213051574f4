"""Shared test fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from iamd.store import Store
from support.stores import KINDS, opened_store

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The project's shared/ folder, which CI checks out beside the repository."""
    assert SHARED.is_dir(), f"shared/ is expected beside the repository at {SHARED}"
    return SHARED


@pytest.fixture(params=KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh store, once on SQLite and once on PostgreSQL."""
    with opened_store(request.param, tmp_path) as opened:
        yield opened
