"""Console sessions: one row per signed-in browser, found by the SHA-256 of its cookie.

The cookie itself is never stored, so a copy of the database cannot be replayed as a session.
A switched role's STS session token is sealed like every other secret at rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update

from iamd.store.repos.base import Repo, to_record
from iamd.store.schema import console_sessions


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    id: str
    account_id: str
    kind: str
    user_id: str | None
    stage: str
    mfa: bool
    csrf: str
    created: datetime
    expires: datetime
    role_label: str | None
    role_color: str | None
    role_token: str | None = None

    def __repr__(self) -> str:
        return f"ConsoleSession(kind={self.kind!r}, stage={self.stage!r})"


_COLUMNS = [c for c in console_sessions.c if c.name != "role_token_sealed"]


class ConsoleSessions(Repo):
    def create(self, **values: Any) -> None:
        self.insert(console_sessions, "console session exists", role_token_sealed=None, **values)

    def get(self, session_id: str) -> ConsoleSession | None:
        row = self.conn.execute(
            select(*_COLUMNS, console_sessions.c.role_token_sealed).where(
                console_sessions.c.id == session_id
            )
        ).first()
        if row is None:
            return None
        values = dict(row._mapping)
        sealed = values.pop("role_token_sealed")
        values["mfa"] = bool(values["mfa"])
        session = to_record(ConsoleSession, values)
        if sealed is None:
            return session
        token = self.sealer.open(sealed, session_id).decode()
        return ConsoleSession(**{**_fields(session), "role_token": token})

    def update(self, session_id: str, **values: Any) -> None:
        self.conn.execute(
            update(console_sessions).where(console_sessions.c.id == session_id).values(**values)
        )

    def set_role(
        self, session_id: str, token: str | None, label: str | None, color: str | None
    ) -> None:
        sealed = None if token is None else self.sealer.seal(token.encode(), session_id)
        self.update(session_id, role_token_sealed=sealed, role_label=label, role_color=color)

    def delete(self, session_id: str) -> None:
        self.conn.execute(delete(console_sessions).where(console_sessions.c.id == session_id))

    def delete_expired(self, now: datetime) -> int:
        result = self.conn.execute(delete(console_sessions).where(console_sessions.c.expires < now))
        return int(result.rowcount or 0)


def _fields(session: ConsoleSession) -> dict[str, Any]:
    return {name: getattr(session, name) for name in ConsoleSession.__slots__}
