"""The store's front door: open the database, then work in read or write transactions.

    with store.write() as tx:
        user = tx.users.create(account_id, "alice")
        tx.changes.record("user", user.id)

A write transaction commits when the block ends without an exception and rolls back otherwise,
so a failed request leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine

from iamd.store.cache import ReadCache
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
T = TypeVar("T")


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

    @property
    def changed(self) -> bool:
        """Whether this transaction recorded a change (without creating the repository)."""
        return "changes" in self.__dict__ and self.changes.recorded


class _LazyTx:
    """Stands in for a :class:`Tx` until first used."""

    def __init__(self, open_tx: Callable[[], Tx]) -> None:
        self._open_tx = open_tx
        self._tx: Tx | None = None

    def __getattr__(self, name: str) -> Any:
        if self._tx is None:
            self._tx = self._open_tx()
        return getattr(self._tx, name)


class Store:
    def __init__(self, engine: Engine, sealer: Sealer) -> None:
        self.engine = engine
        self.sealer = sealer
        self.cache = ReadCache()
        self._listeners: list[Callable[[], None]] = [self.cache.invalidate]

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every committed write that recorded a change."""
        self._listeners.append(listener)

    def cached(self, key: Hashable, load: Callable[[Tx], T]) -> T:
        """``load`` in a read transaction, remembered until the next change."""

        def run() -> T:
            with self.read() as tx:
                return load(tx)

        return self.cache.get(key, run)

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
    def lazy_read(self) -> Iterator[Tx]:
        """A read transaction opened only if something in the block touches it.

        Authorization targets are usually served from the read cache; this spares those calls
        a transaction they would not use.
        """
        opened: list[Any] = []

        def open_tx() -> Tx:
            context = self.read()
            tx = context.__enter__()
            opened.append(context)
            return tx

        lazy = _LazyTx(open_tx)
        try:
            yield lazy  # type: ignore[misc]
        finally:
            for context in opened:
                context.__exit__(None, None, None)

    @contextmanager
    def write(self) -> Iterator[Tx]:
        with self.engine.connect() as conn:
            conn = conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():
                tx = Tx(conn, self.sealer)
                yield tx
        # Committed: this process's caches must not outlive what it changed (other processes
        # learn of it from the change feed).
        if tx.changed:
            for listener in self._listeners:
                listener()

    def wipe(self) -> None:
        """Delete every row of iamd's state (the dev-mode reset); the schema stays."""
        from iamd.store.schema import metadata

        with self.write() as tx:
            for table in reversed(metadata.sorted_tables):
                tx.conn.execute(table.delete())

    def close(self) -> None:
        self.engine.dispose()
