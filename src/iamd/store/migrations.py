"""Schema migrations: numbered steps, applied once, in order, under a lock.

A fresh database gets the current schema in one step and is stamped with the latest version;
an older one gets each pending step.  Several iamd processes starting at once on PostgreSQL
serialise on an advisory lock, so each step runs exactly once.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Column, Connection, Engine, Integer, MetaData, Table, inspect, select, text

from iamd.store.db import WRITE_OPTION
from iamd.store.schema import metadata

_version_meta = MetaData()
schema_version = Table("schema_version", _version_meta, Column("version", Integer, nullable=False))

Migration = Callable[[Connection], None]

# Step N brings a database from version N-1 to N.  Append; never edit a released step.
MIGRATIONS: list[Migration] = [
    lambda conn: metadata.create_all(conn),
    # 2: the audit trail.
    lambda conn: metadata.tables["audit_events"].create(conn, checkfirst=True),
    # 3: the security tools (report jobs, analyzers, findings, trail export state).
    lambda conn: _create_step_tables(conn, 3),
]
LATEST = len(MIGRATIONS)
_LOCK_ID = 0x1A3D_0001


def _create_step_tables(conn: Connection, step: int) -> None:
    """Create the tables that schema.py marks as added by ``step`` (``info={"step": N}``).

    New tables, and new indexes on existing tables (marked the same way); a step that changes
    an existing table's columns gets its own function.
    """
    for table in metadata.sorted_tables:
        if table.info.get("step") == step:
            table.create(conn, checkfirst=True)
            continue
        for index in table.indexes:
            if index.info.get("step") == step:
                index.create(conn, checkfirst=True)


def current_version(conn: Connection) -> int:
    if not inspect(conn).has_table("schema_version"):
        return 0
    row = conn.execute(select(schema_version.c.version)).first()
    return int(row[0]) if row else 0


def migrate(engine: Engine) -> int:
    """Bring the schema up to date; returns the version now in place.

    An up-to-date database is only read, so a tool opening the store beside a busy server
    never competes for the write lock.  Otherwise the work runs in a write transaction from its
    first statement (SQLite's BEGIN IMMEDIATE), which waits for a busy writer instead of
    failing on a read-to-write upgrade.
    """
    with engine.connect() as conn, conn.begin():
        if current_version(conn) == LATEST:
            return LATEST
    with engine.connect() as raw:
        conn = raw.execution_options(**{WRITE_OPTION: True})
        with conn.begin():
            return _migrate(conn, engine.dialect.name)


def _migrate(conn: Connection, dialect: str) -> int:
    if dialect == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
    version = current_version(conn)
    if version == 0:
        _version_meta.create_all(conn)
        metadata.create_all(conn)
        conn.execute(schema_version.insert().values(version=LATEST))
        return LATEST
    if version > LATEST:
        raise RuntimeError(
            f"the database is at schema version {version}, newer than this iamd ({LATEST})"
        )
    for step in range(version, LATEST):
        MIGRATIONS[step](conn)
    conn.execute(schema_version.update().values(version=LATEST))
    return LATEST
