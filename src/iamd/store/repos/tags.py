"""Tags on any taggable entity, kept in the order they were added."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from iamd.store.records import Tag
from iamd.store.repos.base import Repo, seq
from iamd.store.schema import tags


class Tags(Repo):
    def all(self, kind: str, resource_id: str) -> list[Tag]:
        rows = self.conn.execute(
            select(tags.c.key, tags.c.value)
            .where(tags.c.resource_kind == kind, tags.c.resource_id == resource_id)
            .order_by(tags.c.seq)
        )
        return [Tag(str(r[0]), str(r[1])) for r in rows]

    def put(self, kind: str, resource_id: str, new: list[Tag]) -> None:
        """Add or overwrite tags; keys are case-sensitive, as AWS stores them."""
        for tag in new:
            where = (
                tags.c.resource_kind == kind,
                tags.c.resource_id == resource_id,
                tags.c.key == tag.key,
            )
            changed = self.conn.execute(update(tags).where(*where).values(value=tag.value))
            if not changed.rowcount:
                self.conn.execute(
                    tags.insert().values(
                        resource_kind=kind,
                        resource_id=resource_id,
                        key=tag.key,
                        value=tag.value,
                        seq=seq(),
                    )
                )

    def remove(self, kind: str, resource_id: str, keys: list[str]) -> None:
        self.conn.execute(
            delete(tags).where(
                tags.c.resource_kind == kind,
                tags.c.resource_id == resource_id,
                tags.c.key.in_(keys),
            )
        )

    def drop(self, kind: str, resource_id: str) -> None:
        self.conn.execute(
            delete(tags).where(tags.c.resource_kind == kind, tags.c.resource_id == resource_id)
        )
