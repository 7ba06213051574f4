"""Everything the credential report says about an account, in a handful of set-based reads.

One SELECT per table for the whole account (users, passwords, MFA devices, access keys,
signing certificates, last uses), never one per user, joined in memory by user id: a report
of 100,000 users is seven queries and one pass.  (One SELECT joining and pivoting it all in
the database measured slower on SQLite: its index lookups per row cost more than these hash
joins.)  Times come back as UTC text (:data:`Stamp`), which the report reformats without
building a datetime for each of its cells.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, String, func, select, type_coerce

from iamd.store.repos.base import Repo, utc
from iamd.store.repos.trail_usage import ANY, prefixed
from iamd.store.schema import (
    access_keys,
    accounts,
    login_profiles,
    mfa_devices,
    signing_certificates,
    trail_usage,
    users,
)

Stamp = datetime | str
"""A time as UTC text (``2014-09-01 22:28:48.000000``, see :func:`_stamp_column`), or a
datetime from a driver that cannot format it."""


class UserRow(NamedTuple):
    id: str
    name: str
    arn: str
    create_date: Stamp


class Credential(NamedTuple):
    """An access key or a signing certificate: its id, whether active, and when created."""

    id: str
    active: bool
    created: Stamp


class LastUse(NamedTuple):
    time: Stamp
    region: str | None
    service: str | None


@dataclass
class AccountCredentials:
    account_id: str
    account_created: datetime | None
    password_policy: str | None
    users: list[UserRow] = field(default_factory=list)
    password_changed: dict[str, Stamp] = field(default_factory=dict)
    """By user id: when the password was last set, for users with a password."""
    mfa_users: set[str] = field(default_factory=set)
    keys: dict[str | None, list[Credential]] = field(default_factory=lambda: defaultdict(list))
    """By user id (``None``: the root user), oldest first."""
    certificates: dict[str | None, list[Credential]] = field(
        default_factory=lambda: defaultdict(list)
    )
    key_usage: dict[str, LastUse] = field(default_factory=dict)
    """By access key id, from the trail."""
    sign_ins: dict[str, LastUse] = field(default_factory=dict)
    """By user id, or ``root``: the last successful console sign-in, from the trail."""


class CredentialFacts(Repo):
    def collect(self, account_id: str) -> AccountCredentials:
        account = self.conn.execute(
            select(accounts.c.create_date, accounts.c.password_policy).where(
                accounts.c.account_id == account_id
            )
        ).first()
        out = AccountCredentials(
            account_id=account_id,
            account_created=utc(account[0]) if account else None,
            password_policy=account[1] if account else None,
        )
        ts = _stamp_column(self.conn.dialect.name)
        u = users.c
        out.users = [
            UserRow(*row)
            for row in self.conn.execute(
                select(u.id, u.name, u.arn, ts(u.create_date))
                .where(u.account_id == account_id)
                .order_by(u.name_lower, u.id)
            ).all()
        ]
        p = login_profiles.c
        for user_id, changed, created in self.conn.execute(
            select(p.user_id, ts(p.password_changed), ts(p.create_date))
            .join(users, users.c.id == p.user_id)
            .where(u.account_id == account_id)
        ).all():
            out.password_changed[user_id] = changed or created
        m = mfa_devices.c
        out.mfa_users = {
            row[0]
            for row in self.conn.execute(
                select(m.user_id).where(m.account_id == account_id, m.user_id.is_not(None))
            ).all()
        }
        keys, certificates = out.keys, out.certificates
        k = access_keys.c
        for owner, key_id, status, created in self.conn.execute(
            select(k.user_id, k.id, k.status, ts(k.create_date))
            .where(k.account_id == account_id)
            .order_by(k.user_id, k.create_date, k.id)
        ).all():
            keys[owner].append(Credential(key_id, status == "Active", created))
        s = signing_certificates.c
        for owner, cert_id, status, created in self.conn.execute(
            select(s.user_id, s.id, s.status, ts(s.upload_date))
            .where(s.account_id == account_id)
            .order_by(s.user_id, s.upload_date, s.id)
        ).all():
            certificates[owner].append(Credential(cert_id, status == "Active", created))
        t = trail_usage.c
        for prefix, target in (("key:", out.key_usage), ("login:", out.sign_ins)):
            for subject, last, region, service in self.conn.execute(
                select(t.subject, ts(t.last_time), t.region, t.service).where(
                    t.account_id == account_id, prefixed(t.subject, prefix), t.scope == ANY
                )
            ).all():
                target[subject[len(prefix) :]] = LastUse(last, region, service)
        return out


def _stamp_column(dialect: str) -> Callable[[Any], ColumnElement[Any]]:
    """A time column as UTC text, ``2014-09-01 22:28:48[.ffffff]``: SQLite's stored text as
    it is, PostgreSQL's formatted by the server (cheaper than a datetime per cell)."""
    if dialect == "sqlite":
        return lambda column: type_coerce(column, String)
    if dialect == "postgresql":
        return lambda column: func.to_char(func.timezone("UTC", column), "YYYY-MM-DD HH24:MI:SS")
    return lambda column: column
