"""The change feed: every write records what changed, so other processes sharing the database
drop their caches of it within a second, without a restart."""

from __future__ import annotations

from sqlalchemy import delete, func, select

from iamd.store.repos.base import Repo, now
from iamd.store.schema import changes


class Changes(Repo):
    recorded = False
    """Set once this transaction records a change: its commit must drop this process's caches."""

    def record(self, kind: str, key: str) -> None:
        self.conn.execute(changes.insert().values(kind=kind, key=key, at=now()))
        self.recorded = True

    def latest(self) -> int:
        return int(
            self.conn.execute(select(func.coalesce(func.max(changes.c.seq), 0))).scalar_one()
        )

    def since(self, after: int) -> list[tuple[int, str, str]]:
        rows = self.conn.execute(
            select(changes.c.seq, changes.c.kind, changes.c.key)
            .where(changes.c.seq > after)
            .order_by(changes.c.seq)
        )
        return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]

    def prune(self, keep_after: int) -> None:
        self.conn.execute(delete(changes).where(changes.c.seq <= keep_after))
