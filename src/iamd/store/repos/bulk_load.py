"""Many users and credentials in one statement per table, for benchmarks and imports.

The entity repositories insert one row at a time inside a savepoint (to turn a duplicate
name into AWS's error); loading a hundred thousand users that way is minutes, not seconds.
These inserts are plain multi-row INSERTs, with secrets sealed exactly as the repositories
seal them.  A duplicate fails the whole transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert

from iamd.store.ids import new_id, new_secret
from iamd.store.repos.base import Repo
from iamd.store.schema import access_keys, login_profiles, mfa_devices, users


@dataclass(frozen=True, slots=True)
class NewUser:
    name: str
    password_hash: str | None = None
    keys: int = 0
    mfa: bool = False


class BulkLoad(Repo):
    def users(
        self, account_id: str, wanted: Sequence[NewUser], when: datetime
    ) -> list[tuple[str, list[str]]]:
        """Create users with their passwords, active keys and enabled MFA devices; returns
        ``(user id, [access key ids])`` in order."""
        user_rows, key_rows, profile_rows, mfa_rows = [], [], [], []
        out: list[tuple[str, list[str]]] = []
        for item in wanted:
            user_id = new_id("user")
            user_rows.append(
                {
                    "id": user_id,
                    "account_id": account_id,
                    "name": item.name,
                    "name_lower": item.name.lower(),
                    "path": "/",
                    "arn": f"arn:aws:iam::{account_id}:user/{item.name}",
                    "create_date": when,
                }
            )
            key_ids = []
            for _ in range(item.keys):
                key_id = new_id("access-key")
                key_ids.append(key_id)
                key_rows.append(
                    {
                        "id": key_id,
                        "account_id": account_id,
                        "user_id": user_id,
                        "secret_sealed": self.sealer.seal(new_secret().encode(), key_id),
                        "status": "Active",
                        "create_date": when,
                    }
                )
            if item.password_hash is not None:
                profile_rows.append(
                    {
                        "user_id": user_id,
                        "password_hash": item.password_hash,
                        "password_reset_required": False,
                        "create_date": when,
                        "password_changed": when,
                    }
                )
            if item.mfa:
                serial = f"arn:aws:iam::{account_id}:mfa/{item.name}"
                mfa_rows.append(
                    {
                        "serial": serial,
                        "account_id": account_id,
                        "name": item.name,
                        "path": "/",
                        "seed_sealed": self.sealer.seal(b"JBSWY3DPEHPK3PXP", serial),
                        "user_id": user_id,
                        "enable_date": when,
                        "create_date": when,
                    }
                )
            out.append((user_id, key_ids))
        for table, rows in (
            (users, user_rows),
            (access_keys, key_rows),
            (login_profiles, profile_rows),
            (mfa_devices, mfa_rows),
        ):
            if rows:
                self.conn.execute(insert(table), rows)
        return out
