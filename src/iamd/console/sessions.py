"""Console sessions: an opaque cookie naming a server-side row, with its own CSRF token.

The cookie is 256 random bits; the database keeps only its SHA-256, so neither a database dump
nor a log line can be replayed as a session.  A session passes through stages (``mfa`` when a
code is still owed, ``new-password`` when the password must change, then ``active``); it gets a
fresh cookie each time it moves up, so a cookie planted before sign-in is worthless after.
Sign-out deletes the row: the cookie stops working everywhere at once, not just in this browser.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from iamd.store import Store
from iamd.store.repos.console_sessions import ConsoleSession, ConsoleSessions

COOKIE = "iamd_console"
TTL = timedelta(hours=12)
"""AWS's default console session for IAM users."""
PENDING_TTL = timedelta(minutes=10)
"""A half-finished sign-in (MFA or new password still owed)."""

ACTIVE = "active"
MFA = "mfa"
NEW_PASSWORD = "new-password"


def _id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def same(a: str, b: str) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(a.encode(), b.encode())


class Sessions:
    def __init__(self, store: Store, ttl: timedelta = TTL) -> None:
        self.store = store
        self.ttl = ttl

    def start(self, account_id: str, kind: str, user_id: str | None, stage: str, mfa: bool) -> str:
        """A new session; returns the cookie value."""
        token = new_token()
        now = datetime.now(UTC)
        lifetime = self.ttl if stage == ACTIVE else min(self.ttl, PENDING_TTL)
        with self.store.write() as tx:
            repo = tx.repo(ConsoleSessions)
            repo.delete_expired(now)
            repo.create(
                id=_id(token),
                account_id=account_id,
                kind=kind,
                user_id=user_id,
                stage=stage,
                mfa=mfa,
                csrf=new_token(),
                created=now,
                expires=now + lifetime,
                role_label=None,
                role_color=None,
            )
        return token

    def load(self, token: str | None) -> ConsoleSession | None:
        if not token:
            return None
        session_id = _id(token)
        with self.store.read() as tx:
            session = tx.repo(ConsoleSessions).get(session_id)
        if session is None:
            return None
        if session.expires <= datetime.now(UTC):
            self.end(token)
            return None
        return session

    def promote(self, token: str, session: ConsoleSession, stage: str, mfa: bool) -> str:
        """Move a session up a stage under a new cookie; the old cookie stops working."""
        self.end(token)
        return self.start(session.account_id, session.kind, session.user_id, stage, mfa)

    def set_role(
        self, token: str, role_token: str | None, label: str | None, color: str | None
    ) -> None:
        with self.store.write() as tx:
            tx.repo(ConsoleSessions).set_role(_id(token), role_token, label, color)

    def end(self, token: str) -> None:
        with self.store.write() as tx:
            tx.repo(ConsoleSessions).delete(_id(token))
