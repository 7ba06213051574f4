"""Access keys: the secret is sealed at rest, bound to its key id."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update

from iamd.store.ids import new_id, new_secret
from iamd.store.records import AccessKey
from iamd.store.repos.base import Repo, now, to_record
from iamd.store.schema import access_keys


class AccessKeys(Repo):
    def _record(self, row: Any) -> AccessKey:
        mapping = dict(row._mapping)
        mapping["secret"] = self.sealer.open(mapping.pop("secret_sealed"), mapping["id"]).decode()
        return to_record(AccessKey, mapping)

    def create(
        self,
        account_id: str,
        user_id: str | None,
        key_id: str | None = None,
        secret: str | None = None,
    ) -> AccessKey:
        key_id = key_id or new_id("access-key")
        secret = secret or new_secret()
        values: dict[str, Any] = {
            "id": key_id,
            "account_id": account_id,
            "user_id": user_id,
            "secret_sealed": self.sealer.seal(secret.encode(), key_id),
            "status": "Active",
            "create_date": now(),
        }
        self.insert(access_keys, f"Access key {key_id} already exists.", **values)
        return to_record(AccessKey, {**values, "secret": secret})

    def get(self, key_id: str) -> AccessKey | None:
        row = self.conn.execute(select(access_keys).where(access_keys.c.id == key_id)).first()
        return self._record(row) if row else None

    def of_user(self, user_id: str) -> list[AccessKey]:
        rows = self.conn.execute(
            select(access_keys)
            .where(access_keys.c.user_id == user_id)
            .order_by(access_keys.c.create_date, access_keys.c.id)
        )
        return [self._record(r) for r in rows]

    def root_keys(self, account_id: str) -> list[AccessKey]:
        rows = self.conn.execute(
            select(access_keys).where(
                access_keys.c.account_id == account_id, access_keys.c.user_id.is_(None)
            )
        )
        return [self._record(r) for r in rows]

    def set_status(self, key_id: str, status: str) -> None:
        self.conn.execute(
            update(access_keys).where(access_keys.c.id == key_id).values(status=status)
        )

    def touch(self, key_id: str, service: str, region: str, when: datetime | None = None) -> None:
        self.conn.execute(
            update(access_keys)
            .where(access_keys.c.id == key_id)
            .values(
                last_used_date=when or now(), last_used_service=service, last_used_region=region
            )
        )

    def delete(self, key_id: str) -> None:
        self.conn.execute(delete(access_keys).where(access_keys.c.id == key_id))
