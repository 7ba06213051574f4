"""IAM users."""

from __future__ import annotations

from sqlalchemy import delete, func, select, update

from iamd.store.ids import new_id
from iamd.store.records import User
from iamd.store.repos.base import Repo, now, to_record
from iamd.store.schema import users


def user_arn(account_id: str, path: str, name: str) -> str:
    return f"arn:aws:iam::{account_id}:user{path}{name}"


class Users(Repo):
    def create(
        self, account_id: str, name: str, path: str = "/", boundary: str | None = None
    ) -> User:
        values = {
            "id": new_id("user"),
            "account_id": account_id,
            "name": name,
            "name_lower": name.lower(),
            "path": path,
            "arn": user_arn(account_id, path, name),
            "create_date": now(),
            "permissions_boundary": boundary,
        }
        self.insert(users, f"User with name {name} already exists.", **values)
        return to_record(User, values)

    def get(self, account_id: str, name: str) -> User | None:
        row = self.conn.execute(
            select(users).where(
                users.c.account_id == account_id, users.c.name_lower == name.lower()
            )
        ).first()
        return to_record(User, row._mapping) if row else None

    def get_by_id(self, user_id: str) -> User | None:
        row = self.conn.execute(select(users).where(users.c.id == user_id)).first()
        return to_record(User, row._mapping) if row else None

    def all(self, account_id: str, path_prefix: str = "/") -> list[User]:
        rows = self.conn.execute(
            select(users)
            .where(users.c.account_id == account_id, users.c.path.startswith(path_prefix))
            .order_by(users.c.name_lower)
        )
        return [to_record(User, r._mapping) for r in rows]

    def count(self, account_id: str) -> int:
        query = select(func.count()).select_from(users).where(users.c.account_id == account_id)
        return int(self.conn.execute(query).scalar_one())

    def rename(self, user: User, name: str | None, path: str | None) -> User:
        new_name = name or user.name
        new_path = path or user.path
        with self.unique(f"User with name {new_name} already exists."):
            self.conn.execute(
                update(users)
                .where(users.c.id == user.id)
                .values(
                    name=new_name,
                    name_lower=new_name.lower(),
                    path=new_path,
                    arn=user_arn(user.account_id, new_path, new_name),
                )
            )
        updated = self.get_by_id(user.id)
        assert updated is not None
        return updated

    def set_boundary(self, user_id: str, arn: str | None) -> None:
        self.conn.execute(
            update(users).where(users.c.id == user_id).values(permissions_boundary=arn)
        )

    def touch_password(self, user_id: str) -> None:
        self.conn.execute(
            update(users).where(users.c.id == user_id).values(password_last_used=now())
        )

    def delete(self, user_id: str) -> None:
        self.conn.execute(delete(users).where(users.c.id == user_id))
