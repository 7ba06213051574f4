"""Throttling of failed sign-ins, kept in the database so every iamd process sees it.

Two counters per attempt: the principal being guessed at (``user:ACCOUNT:name`` or
``root:ACCOUNT``) and the address guessing (``ip:ADDRESS``).  Once either reaches its limit
within the window, further attempts are refused without checking the password (so guessing
costs the guesser time, and does not cost the server a scrypt hash each try) until the window
that began with the first failure has passed.  A successful sign-in clears the principal's count.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from iamd.store import Store
from iamd.store.repos.console_auth import SignInFailures

WINDOW = timedelta(minutes=15)
PRINCIPAL_LIMIT = 5
ADDRESS_LIMIT = 20


def principal_key(account_id: str, user_name: str | None) -> str:
    if user_name is None:
        return f"root:{account_id}"
    return f"user:{account_id}:{user_name.lower()}"


def address_key(source_ip: str) -> str:
    return f"ip:{source_ip}"


class Throttle:
    def __init__(
        self,
        store: Store,
        window: timedelta = WINDOW,
        principal_limit: int = PRINCIPAL_LIMIT,
        address_limit: int = ADDRESS_LIMIT,
    ) -> None:
        self.store = store
        self.window = window
        self.limits = {"ip": address_limit}
        self.principal_limit = principal_limit

    def _limit(self, key: str) -> int:
        return self.limits.get(key.split(":", 1)[0], self.principal_limit)

    def blocked_for(self, keys: list[str], now: datetime | None = None) -> timedelta | None:
        """How long until these keys may try again, or ``None`` when they may try now."""
        now = now or datetime.now(UTC)
        longest: timedelta | None = None
        with self.store.read() as tx:
            repo = tx.repo(SignInFailures)
            for key in keys:
                found = repo.get(key)
                if found is None:
                    continue
                failures, first, _last = found
                remaining = first + self.window - now
                if failures >= self._limit(key) and remaining > timedelta(0):
                    longest = remaining if longest is None else max(longest, remaining)
        return longest

    def fail(self, keys: list[str], now: datetime | None = None) -> None:
        now = now or datetime.now(UTC)
        with self.store.write() as tx:
            repo = tx.repo(SignInFailures)
            for key in keys:
                found = repo.get(key)
                restart = found is None or found[1] + self.window <= now
                repo.record(key, now, restart)

    def succeed(self, key: str) -> None:
        with self.store.write() as tx:
            tx.repo(SignInFailures).clear(key)
