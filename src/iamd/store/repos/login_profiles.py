"""Login profiles: a user's console password, stored only as a hash.

The hashes of earlier passwords are kept (newest first) so the account password policy's
``PasswordReusePrevention`` can refuse a recent one; no more are kept than the policy can ask
for (24).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update

from iamd.store.repos.base import Repo, now, to_record
from iamd.store.schema import login_profiles

MAX_PREVIOUS = 24


@dataclass(frozen=True, slots=True)
class LoginProfile:
    user_id: str
    password_hash: str
    password_reset_required: bool
    create_date: datetime
    password_changed: datetime | None
    previous_hashes: tuple[str, ...]

    def __repr__(self) -> str:
        return f"LoginProfile(user_id={self.user_id!r})"


def _record(mapping: Any) -> LoginProfile:
    values = dict(mapping)
    values["previous_hashes"] = tuple(json.loads(values.get("previous_hashes") or "[]"))
    values["password_reset_required"] = bool(values["password_reset_required"])
    return to_record(LoginProfile, values)


class LoginProfiles(Repo):
    def get(self, user_id: str) -> LoginProfile | None:
        row = self.conn.execute(
            select(login_profiles).where(login_profiles.c.user_id == user_id)
        ).first()
        return _record(row._mapping) if row else None

    def create(self, user_id: str, password_hash: str, reset_required: bool) -> LoginProfile:
        """Raises :class:`ConflictError` when the user already has one."""
        created = now()
        values: dict[str, Any] = {
            "user_id": user_id,
            "password_hash": password_hash,
            "password_reset_required": reset_required,
            "create_date": created,
            "password_changed": created,
            "previous_hashes": "[]",
        }
        self.insert(login_profiles, f"Login Profile for user {user_id} already exists.", **values)
        return _record(values)

    def set_password(
        self, profile: LoginProfile, password_hash: str, reset_required: bool | None = None
    ) -> None:
        """Replace the password, remembering the one it replaces for reuse prevention."""
        previous = [profile.password_hash, *profile.previous_hashes][:MAX_PREVIOUS]
        values: dict[str, Any] = {
            "password_hash": password_hash,
            "password_changed": now(),
            "previous_hashes": json.dumps(previous),
        }
        if reset_required is not None:
            values["password_reset_required"] = reset_required
        self.conn.execute(
            update(login_profiles)
            .where(login_profiles.c.user_id == profile.user_id)
            .values(**values)
        )

    def set_reset_required(self, user_id: str, reset_required: bool) -> None:
        self.conn.execute(
            update(login_profiles)
            .where(login_profiles.c.user_id == user_id)
            .values(password_reset_required=reset_required)
        )

    def delete(self, user_id: str) -> bool:
        result = self.conn.execute(
            delete(login_profiles).where(login_profiles.c.user_id == user_id)
        )
        return bool(result.rowcount)
