"""Instance profiles and the role each holds (AWS allows one)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select

from iamd.store.ids import new_id
from iamd.store.records import InstanceProfile, Role
from iamd.store.repos.base import Repo, now, to_record
from iamd.store.schema import instance_profile_roles, instance_profiles, roles


def instance_profile_arn(account_id: str, path: str, name: str) -> str:
    return f"arn:aws:iam::{account_id}:instance-profile{path}{name}"


class InstanceProfiles(Repo):
    def create(self, account_id: str, name: str, path: str = "/") -> InstanceProfile:
        values: dict[str, Any] = {
            "id": new_id("instance-profile"),
            "account_id": account_id,
            "name": name,
            "name_lower": name.lower(),
            "path": path,
            "arn": instance_profile_arn(account_id, path, name),
            "create_date": now(),
        }
        self.insert(instance_profiles, f"Instance Profile {name} already exists.", **values)
        return to_record(InstanceProfile, values)

    def get(self, account_id: str, name: str) -> InstanceProfile | None:
        row = self.conn.execute(
            select(instance_profiles).where(
                instance_profiles.c.account_id == account_id,
                instance_profiles.c.name_lower == name.lower(),
            )
        ).first()
        return to_record(InstanceProfile, row._mapping) if row else None

    def all(self, account_id: str, path_prefix: str = "/") -> list[InstanceProfile]:
        rows = self.conn.execute(
            select(instance_profiles)
            .where(
                instance_profiles.c.account_id == account_id,
                instance_profiles.c.path.startswith(path_prefix),
            )
            .order_by(instance_profiles.c.name_lower)
        )
        return [to_record(InstanceProfile, r._mapping) for r in rows]

    def count(self, account_id: str) -> int:
        query = (
            select(func.count())
            .select_from(instance_profiles)
            .where(instance_profiles.c.account_id == account_id)
        )
        return int(self.conn.execute(query).scalar_one())

    def delete(self, profile_id: str) -> None:
        self.conn.execute(delete(instance_profiles).where(instance_profiles.c.id == profile_id))

    def add_role(self, profile_id: str, role_id: str) -> None:
        self.conn.execute(
            instance_profile_roles.insert().values(profile_id=profile_id, role_id=role_id)
        )

    def remove_role(self, profile_id: str, role_id: str) -> bool:
        result = self.conn.execute(
            delete(instance_profile_roles).where(
                instance_profile_roles.c.profile_id == profile_id,
                instance_profile_roles.c.role_id == role_id,
            )
        )
        return bool(result.rowcount)

    def roles(self, profile_id: str) -> list[Role]:
        rows = self.conn.execute(
            select(roles)
            .join(instance_profile_roles, instance_profile_roles.c.role_id == roles.c.id)
            .where(instance_profile_roles.c.profile_id == profile_id)
            .order_by(roles.c.name_lower)
        )
        return [to_record(Role, r._mapping) for r in rows]

    def roles_of(self, profile_ids: list[str]) -> dict[str, list[Role]]:
        """The roles of several profiles in one query, for a page of a listing."""
        found: dict[str, list[Role]] = {profile_id: [] for profile_id in profile_ids}
        if not profile_ids:
            return found
        rows = self.conn.execute(
            select(instance_profile_roles.c.profile_id, roles)
            .join(roles, instance_profile_roles.c.role_id == roles.c.id)
            .where(instance_profile_roles.c.profile_id.in_(profile_ids))
            .order_by(roles.c.name_lower)
        )
        for row in rows:
            found[row.profile_id].append(to_record(Role, row._mapping))
        return found

    def of_role(self, role_id: str) -> list[InstanceProfile]:
        rows = self.conn.execute(
            select(instance_profiles)
            .join(
                instance_profile_roles,
                instance_profile_roles.c.profile_id == instance_profiles.c.id,
            )
            .where(instance_profile_roles.c.role_id == role_id)
            .order_by(instance_profiles.c.name_lower)
        )
        return [to_record(InstanceProfile, r._mapping) for r in rows]
