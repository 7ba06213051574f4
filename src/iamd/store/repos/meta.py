"""Small facts about the store itself (which datasets are loaded)."""

from __future__ import annotations

from sqlalchemy import select, update

from iamd.store.repos.base import Repo
from iamd.store.schema import meta


class Meta(Repo):
    def get(self, key: str) -> str | None:
        row = self.conn.execute(select(meta.c.value).where(meta.c.key == key)).first()
        return str(row[0]) if row else None

    def set(self, key: str, value: str) -> None:
        changed = self.conn.execute(update(meta).where(meta.c.key == key).values(value=value))
        if not changed.rowcount:
            self.conn.execute(meta.insert().values(key=key, value=value))
