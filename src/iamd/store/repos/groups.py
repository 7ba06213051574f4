"""IAM groups and their members."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from iamd.store.ids import new_id
from iamd.store.records import Group, User
from iamd.store.repos.base import Repo, now, seq, to_record
from iamd.store.schema import group_members, groups, users


def group_arn(account_id: str, path: str, name: str) -> str:
    return f"arn:aws:iam::{account_id}:group{path}{name}"


class Groups(Repo):
    def create(self, account_id: str, name: str, path: str = "/") -> Group:
        values = {
            "id": new_id("group"),
            "account_id": account_id,
            "name": name,
            "name_lower": name.lower(),
            "path": path,
            "arn": group_arn(account_id, path, name),
            "create_date": now(),
        }
        self.insert(groups, f"Group with name {name} already exists.", **values)
        return to_record(Group, values)

    def get(self, account_id: str, name: str) -> Group | None:
        row = self.conn.execute(
            select(groups).where(
                groups.c.account_id == account_id, groups.c.name_lower == name.lower()
            )
        ).first()
        return to_record(Group, row._mapping) if row else None

    def get_by_id(self, group_id: str) -> Group | None:
        row = self.conn.execute(select(groups).where(groups.c.id == group_id)).first()
        return to_record(Group, row._mapping) if row else None

    def all(self, account_id: str, path_prefix: str = "/") -> list[Group]:
        rows = self.conn.execute(
            select(groups)
            .where(groups.c.account_id == account_id, groups.c.path.startswith(path_prefix))
            .order_by(groups.c.name_lower)
        )
        return [to_record(Group, r._mapping) for r in rows]

    def rename(self, group: Group, name: str | None, path: str | None) -> Group:
        new_name = name or group.name
        new_path = path or group.path
        with self.unique(f"Group with name {new_name} already exists."):
            self.conn.execute(
                update(groups)
                .where(groups.c.id == group.id)
                .values(
                    name=new_name,
                    name_lower=new_name.lower(),
                    path=new_path,
                    arn=group_arn(group.account_id, new_path, new_name),
                )
            )
        updated = self.get_by_id(group.id)
        assert updated is not None
        return updated

    def delete(self, group_id: str) -> None:
        self.conn.execute(delete(groups).where(groups.c.id == group_id))

    def add_member(self, group_id: str, user_id: str) -> bool:
        """Add a user; False if already a member (AWS treats that as success)."""
        exists = self.conn.execute(
            select(group_members.c.user_id).where(
                group_members.c.group_id == group_id, group_members.c.user_id == user_id
            )
        ).first()
        if exists:
            return False
        self.conn.execute(
            group_members.insert().values(group_id=group_id, user_id=user_id, seq=seq())
        )
        return True

    def remove_member(self, group_id: str, user_id: str) -> bool:
        result = self.conn.execute(
            delete(group_members).where(
                group_members.c.group_id == group_id, group_members.c.user_id == user_id
            )
        )
        return bool(result.rowcount)

    def members(self, group_id: str) -> list[User]:
        rows = self.conn.execute(
            select(users)
            .join(group_members, group_members.c.user_id == users.c.id)
            .where(group_members.c.group_id == group_id)
            .order_by(group_members.c.seq)
        )
        return [to_record(User, r._mapping) for r in rows]

    def of_user(self, user_id: str) -> list[Group]:
        rows = self.conn.execute(
            select(groups)
            .join(group_members, group_members.c.group_id == groups.c.id)
            .where(group_members.c.user_id == user_id)
            .order_by(group_members.c.seq)
        )
        return [to_record(Group, r._mapping) for r in rows]
