"""Virtual MFA devices: the TOTP seed sealed at rest, the user it is enabled for, and the last
time step accepted, so that a code is never accepted twice.

The seed is bound to the device's serial number when sealed; records never carry it, so a
listing of devices cannot leak a seed into a log or a response by accident.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update

from iamd.store.repos.base import Repo, now, to_record
from iamd.store.schema import mfa_devices


def mfa_serial(account_id: str, path: str, name: str) -> str:
    return f"arn:aws:iam::{account_id}:mfa{path}{name}"


@dataclass(frozen=True, slots=True)
class MfaDevice:
    serial: str
    account_id: str
    name: str
    path: str
    user_id: str | None
    """The user the device is enabled for; ``None`` while unassigned."""
    enable_date: datetime | None
    create_date: datetime
    last_counter: int | None
    """The TOTP time step last accepted; codes of this step and earlier are refused."""

    @property
    def assigned(self) -> bool:
        return self.user_id is not None


_COLUMNS = [c for c in mfa_devices.c if c.name != "seed_sealed"]


class MfaDevices(Repo):
    def create(self, account_id: str, name: str, path: str, seed: str) -> MfaDevice:
        serial = mfa_serial(account_id, path, name)
        values: dict[str, Any] = {
            "serial": serial,
            "account_id": account_id,
            "name": name,
            "path": path,
            "seed_sealed": self.sealer.seal(seed.encode(), serial),
            "user_id": None,
            "enable_date": None,
            "create_date": now(),
            "last_counter": None,
        }
        self.insert(
            mfa_devices, "MFADevice entity at the same path and name already exists.", **values
        )
        return to_record(MfaDevice, values)

    def get(self, serial: str) -> MfaDevice | None:
        row = self.conn.execute(select(*_COLUMNS).where(mfa_devices.c.serial == serial)).first()
        return to_record(MfaDevice, row._mapping) if row else None

    def seed(self, serial: str) -> str | None:
        """The base32 seed, opened from its sealed form; only TOTP checks need it."""
        sealed = self.conn.execute(
            select(mfa_devices.c.seed_sealed).where(mfa_devices.c.serial == serial)
        ).scalar_one_or_none()
        return None if sealed is None else self.sealer.open(sealed, serial).decode()

    def all(self, account_id: str, assigned: bool | None = None) -> list[MfaDevice]:
        query = select(*_COLUMNS).where(mfa_devices.c.account_id == account_id)
        if assigned is True:
            query = query.where(mfa_devices.c.user_id.is_not(None))
        elif assigned is False:
            query = query.where(mfa_devices.c.user_id.is_(None))
        rows = self.conn.execute(query.order_by(mfa_devices.c.serial))
        return [to_record(MfaDevice, r._mapping) for r in rows]

    def of_user(self, user_id: str) -> list[MfaDevice]:
        rows = self.conn.execute(
            select(*_COLUMNS).where(mfa_devices.c.user_id == user_id).order_by(mfa_devices.c.serial)
        )
        return [to_record(MfaDevice, r._mapping) for r in rows]

    def count(self, account_id: str) -> int:
        query = (
            select(func.count())
            .select_from(mfa_devices)
            .where(mfa_devices.c.account_id == account_id)
        )
        return int(self.conn.execute(query).scalar_one())

    def enable(self, serial: str, user_id: str, counter: int, when: datetime | None = None) -> bool:
        """Assign an unassigned device; ``False`` if another request assigned it first."""
        result = self.conn.execute(
            update(mfa_devices)
            .where(mfa_devices.c.serial == serial, mfa_devices.c.user_id.is_(None))
            .values(user_id=user_id, enable_date=when or now(), last_counter=counter)
        )
        return bool(result.rowcount)

    def deactivate(self, serial: str) -> None:
        """Unassign the device; ``last_counter`` stays, so its old codes stay spent."""
        self.conn.execute(
            update(mfa_devices)
            .where(mfa_devices.c.serial == serial)
            .values(user_id=None, enable_date=None)
        )

    def advance_counter(self, serial: str, step: int) -> bool:
        """Record ``step`` as spent, only if it is later than every step spent before.

        One conditional UPDATE, so two requests racing with the same code cannot both win:
        the second finds the counter already at ``step`` and changes nothing.
        """
        result = self.conn.execute(
            update(mfa_devices)
            .where(
                mfa_devices.c.serial == serial,
                or_(mfa_devices.c.last_counter.is_(None), mfa_devices.c.last_counter < step),
            )
            .values(last_counter=step)
        )
        return bool(result.rowcount)

    def delete(self, serial: str) -> None:
        self.conn.execute(delete(mfa_devices).where(mfa_devices.c.serial == serial))
