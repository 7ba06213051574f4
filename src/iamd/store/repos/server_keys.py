"""Server keys (the session-token key ring), sealed at rest under the master key."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from iamd.store.repos.base import Repo, now, utc
from iamd.store.schema import server_keys


@dataclass(frozen=True, slots=True)
class ServerKey:
    key_id: str
    purpose: str
    key: bytes
    create_date: datetime
    retired_date: datetime | None

    def __repr__(self) -> str:
        return f"ServerKey({self.key_id!r}, {self.purpose!r})"


class ServerKeys(Repo):
    def all(self, purpose: str) -> list[ServerKey]:
        rows = self.conn.execute(
            select(server_keys)
            .where(server_keys.c.purpose == purpose)
            .order_by(server_keys.c.create_date)
        )
        return [
            ServerKey(
                key_id=r.key_id,
                purpose=r.purpose,
                key=self.sealer.open(r.key_sealed, r.key_id),
                create_date=utc(r.create_date),  # type: ignore[arg-type]
                retired_date=utc(r.retired_date),
            )
            for r in rows
        ]

    def create(self, purpose: str, key: bytes | None = None) -> ServerKey:
        """A new key: 32 random bytes, or ``key`` (the OIDC issuer's PEM private key)."""
        key_id = f"{purpose}-{secrets.token_hex(8)}"
        key = secrets.token_bytes(32) if key is None else key
        when = now()
        self.conn.execute(
            server_keys.insert().values(
                key_id=key_id,
                purpose=purpose,
                key_sealed=self.sealer.seal(key, key_id),
                create_date=when,
            )
        )
        return ServerKey(key_id, purpose, key, when, None)

    def retire(self, key_id: str) -> None:
        self.conn.execute(
            update(server_keys).where(server_keys.c.key_id == key_id).values(retired_date=now())
        )
