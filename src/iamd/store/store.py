"""The store's front door: open the database, then work in read or write transactions.

    with store.write() as tx:
        user = tx.users.create(account_id, "alice")
        tx.changes.record("user", user.id)

A write transaction commits when the block ends without an exception and rolls back otherwise,
so a failed request leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Connection, Engine

from iamd.store.db import WRITE_OPTION, database_url, open_engine
from iamd.store.migrations import migrate
from iamd.store.repos.access_keys import AccessKeys
from iamd.store.repos.accounts import Accounts
from iamd.store.repos.base import Repo
from iamd.store.repos.changes import Changes
from iamd.store.repos.groups import Groups
from iamd.store.repos.instance_profiles import InstanceProfiles
from iamd.store.repos.policies import Policies
from iamd.store.repos.roles import Roles
from iamd.store.repos.tags import Tags
from iamd.store.repos.users import Users
from iamd.store.seal import Sealer

R = TypeVar("R", bound=Repo)


class Tx:
    """One transaction, with every repository bound to its connection."""

    def __init__(self, conn: Connection, sealer: Sealer) -> None:
        self.conn = conn
        self._sealer = sealer
        self._repos: dict[type[Repo], Repo] = {}

    def repo(self, cls: type[R]) -> R:
        """Any repository class, bound to this transaction (for families without a property)."""
        found = self._repos.get(cls)
        if found is None:
            found = self._repos[cls] = cls(self.conn, self._sealer)
        return found  # type: ignore[return-value]

    @cached_property
    def users(self) -> Users:
        return Users(self.conn, self._sealer)

    @cached_property
    def groups(self) -> Groups:
        return Groups(self.conn, self._sealer)

    @cached_property
    def roles(self) -> Roles:
        return Roles(self.conn, self._sealer)

    @cached_property
    def policies(self) -> Policies:
        return Policies(self.conn, self._sealer)

    @cached_property
    def tags(self) -> Tags:
        return Tags(self.conn, self._sealer)

    @cached_property
    def access_keys(self) -> AccessKeys:
        return AccessKeys(self.conn, self._sealer)

    @cached_property
    def accounts(self) -> Accounts:
        return Accounts(self.conn, self._sealer)

    @cached_property
    def instance_profiles(self) -> InstanceProfiles:
        return InstanceProfiles(self.conn, self._sealer)

    @cached_property
    def changes(self) -> Changes:
        return Changes(self.conn, self._sealer)


class Store:
    def __init__(self, engine: Engine, sealer: Sealer) -> None:
        self.engine = engine
        self.sealer = sealer

    @classmethod
    def open(cls, url: str | None, data_dir: Path, master_key: bytes) -> Store:
        engine = open_engine(database_url(url, data_dir))
        migrate(engine)
        return cls(engine, Sealer(master_key))

    @contextmanager
    def read(self) -> Iterator[Tx]:
        with self.engine.connect() as conn, conn.begin():
            yield Tx(conn, self.sealer)

    @contextmanager
    def write(self) -> Iterator[Tx]:
        with self.engine.connect() as conn:
            conn = conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():
                yield Tx(conn, self.sealer)

    def wipe(self) -> None:
        """Delete every row of iamd's state (the dev-mode reset); the schema stays."""
        from iamd.store.schema import metadata

        with self.write() as tx:
            for table in reversed(metadata.sorted_tables):
                tx.conn.execute(table.delete())

    def close(self) -> None:
        self.engine.dispose()
