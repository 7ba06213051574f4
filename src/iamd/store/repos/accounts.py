"""The account record: alias and password policy."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from iamd.store.records import Account
from iamd.store.repos.base import Repo, now, to_record
from iamd.store.schema import accounts


class Accounts(Repo):
    def get(self, account_id: str) -> Account | None:
        row = self.conn.execute(select(accounts).where(accounts.c.account_id == account_id)).first()
        return to_record(Account, row._mapping) if row else None

    def first(self) -> Account | None:
        row = self.conn.execute(select(accounts).order_by(accounts.c.create_date)).first()
        return to_record(Account, row._mapping) if row else None

    def create(self, account_id: str) -> Account:
        values: dict[str, Any] = {"account_id": account_id, "create_date": now()}
        self.insert(accounts, f"Account {account_id} already exists.", **values)
        return to_record(Account, values)

    def update(self, account_id: str, **values: Any) -> None:
        with self.unique("The account alias already exists."):
            self.conn.execute(
                update(accounts).where(accounts.c.account_id == account_id).values(**values)
            )
