"""IAM roles."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update

from iamd.store.ids import new_id
from iamd.store.records import Role
from iamd.store.repos.base import Repo, now, to_record
from iamd.store.schema import roles


def role_arn(account_id: str, path: str, name: str) -> str:
    return f"arn:aws:iam::{account_id}:role{path}{name}"


class Roles(Repo):
    def create(
        self,
        account_id: str,
        name: str,
        path: str,
        assume_role_policy: str,
        description: str | None = None,
        max_session_duration: int = 3600,
        boundary: str | None = None,
        service_linked: bool = False,
    ) -> Role:
        values: dict[str, Any] = {
            "id": new_id("role"),
            "account_id": account_id,
            "name": name,
            "name_lower": name.lower(),
            "path": path,
            "arn": role_arn(account_id, path, name),
            "create_date": now(),
            "assume_role_policy": assume_role_policy,
            "description": description,
            "max_session_duration": max_session_duration,
            "permissions_boundary": boundary,
            "service_linked": service_linked,
        }
        self.insert(roles, f"Role with name {name} already exists.", **values)
        return to_record(Role, values)

    def get(self, account_id: str, name: str) -> Role | None:
        row = self.conn.execute(
            select(roles).where(
                roles.c.account_id == account_id, roles.c.name_lower == name.lower()
            )
        ).first()
        return to_record(Role, row._mapping) if row else None

    def get_by_id(self, role_id: str) -> Role | None:
        row = self.conn.execute(select(roles).where(roles.c.id == role_id)).first()
        return to_record(Role, row._mapping) if row else None

    def all(self, account_id: str, path_prefix: str = "/") -> list[Role]:
        rows = self.conn.execute(
            select(roles)
            .where(roles.c.account_id == account_id, roles.c.path.startswith(path_prefix))
            .order_by(roles.c.name_lower)
        )
        return [to_record(Role, r._mapping) for r in rows]

    def update(self, role_id: str, **values: Any) -> None:
        """Set columns: assume_role_policy, description, max_session_duration, ..."""
        self.conn.execute(update(roles).where(roles.c.id == role_id).values(**values))

    def touch(self, role_id: str, region: str, when: datetime | None = None) -> None:
        self.update(role_id, last_used_date=when or now(), last_used_region=region)

    def delete(self, role_id: str) -> None:
        self.conn.execute(delete(roles).where(roles.c.id == role_id))
