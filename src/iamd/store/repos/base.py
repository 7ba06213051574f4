"""What every repository shares: a connection in a transaction, and mapping errors."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Table
from sqlalchemy.exc import IntegrityError

from iamd.store.seal import Sealer

R = TypeVar("R")


class ConflictError(Exception):
    """A write that breaks a uniqueness rule (the entity already exists)."""


class MissingError(Exception):
    """A write that names an entity that is not there."""


def utc(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; every datetime leaving the store is UTC-aware."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def to_record(cls: type[R], mapping: Mapping[Any, Any]) -> R:
    """Build a record from a row (or a dict of inserted values), making datetimes UTC-aware."""
    values = {}
    for field in fields(cls):  # type: ignore[arg-type]
        value = mapping.get(field.name)
        values[field.name] = utc(value) if isinstance(value, datetime) else value
    return cls(**values)


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def seq() -> int:
    """A monotonic-enough ordering key for rows that keep insertion order."""
    return time.time_ns()


class Repo:
    def __init__(self, conn: Connection, sealer: Sealer) -> None:
        self.conn = conn
        self.sealer = sealer

    @contextmanager
    def unique(self, what: str) -> Iterator[None]:
        """Turn a uniqueness violation into :class:`ConflictError` inside a savepoint."""
        savepoint = self.conn.begin_nested()
        try:
            yield
        except IntegrityError:
            savepoint.rollback()
            raise ConflictError(what) from None
        else:
            savepoint.commit()

    def insert(self, table: Table, what: str, **values: Any) -> None:
        with self.unique(what):
            self.conn.execute(table.insert().values(**values))
