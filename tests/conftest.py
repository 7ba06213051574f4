"""Shared test fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The project's shared/ folder, which CI checks out beside the repository."""
    assert SHARED.is_dir(), f"shared/ is expected beside the repository at {SHARED}"
    return SHARED
