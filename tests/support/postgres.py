"""PostgreSQL for tests: a throw-away schema in the ``test`` database at 127.0.0.1:5432.

CI runs on a machine where PostgreSQL is up; there a missing server fails the run.  A developer
machine without it skips the PostgreSQL half of the suite.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text

BASE_URL = os.environ.get("IAMD_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def available() -> bool:
    try:
        engine = create_engine(BASE_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


def require() -> None:
    if available():
        return
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is not reachable at {BASE_URL}, and CI needs it")
    pytest.skip(f"PostgreSQL is not reachable at {BASE_URL}")


@contextmanager
def schema_url() -> Iterator[str]:
    """A URL whose connections use a fresh schema, dropped afterwards."""
    require()
    name = f"iamd_test_{secrets.token_hex(6)}"
    admin = create_engine(BASE_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        yield f"{BASE_URL}?options=-csearch_path%3D{name}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()
