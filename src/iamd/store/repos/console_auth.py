"""What console sign-in keeps: the root user's password hash and recent failed attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update

from iamd.store.repos.base import Repo, now, utc
from iamd.store.schema import accounts, console_root_passwords, console_signin_failures


class RootPasswords(Repo):
    def get(self, account_id: str) -> str | None:
        found = self.conn.execute(
            select(console_root_passwords.c.password_hash).where(
                console_root_passwords.c.account_id == account_id
            )
        ).scalar_one_or_none()
        return None if found is None else str(found)

    def set(self, account_id: str, password_hash: str) -> None:
        table = console_root_passwords
        changed = self.conn.execute(
            update(table)
            .where(table.c.account_id == account_id)
            .values(password_hash=password_hash, changed=now())
        )
        if not changed.rowcount:
            self.insert(
                table,
                "root password exists",
                account_id=account_id,
                password_hash=password_hash,
                changed=now(),
            )


class SignInFailures(Repo):
    def get(self, key: str) -> tuple[int, datetime, datetime] | None:
        """``(failures, first failure, last failure)`` for ``key``."""
        table = console_signin_failures
        row = self.conn.execute(select(table).where(table.c.key == key)).first()
        if row is None:
            return None
        first, last = utc(row.first_failure), utc(row.last_failure)
        assert first is not None and last is not None
        return int(row.failures), first, last

    def record(self, key: str, when: datetime, restart: bool) -> None:
        """Count one more failure; ``restart`` begins a new window at ``when``."""
        table = console_signin_failures
        if restart:
            self.clear(key)
            self.insert(
                table, "failure exists", key=key, failures=1, first_failure=when, last_failure=when
            )
            return
        self.conn.execute(
            update(table)
            .where(table.c.key == key)
            .values(failures=table.c.failures + 1, last_failure=when)
        )

    def clear(self, key: str) -> None:
        table = console_signin_failures
        self.conn.execute(delete(table).where(table.c.key == key))


class ConsoleAccounts(Repo):
    def resolve(self, id_or_alias: str) -> str | None:
        """The account a sign-in form names, by its 12-digit id or its alias."""
        if not id_or_alias:
            return None
        column = accounts.c.account_id if id_or_alias.isdigit() else accounts.c.alias
        found = self.conn.execute(
            select(accounts.c.account_id).where(column == id_or_alias.lower())
        ).scalar_one_or_none()
        return None if found is None else str(found)
