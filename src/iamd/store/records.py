"""The records repositories return: plain, immutable rows of IAM state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Tag:
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class User:
    id: str
    account_id: str
    name: str
    path: str
    arn: str
    create_date: datetime
    permissions_boundary: str | None
    password_last_used: datetime | None


@dataclass(frozen=True, slots=True)
class Group:
    id: str
    account_id: str
    name: str
    path: str
    arn: str
    create_date: datetime


@dataclass(frozen=True, slots=True)
class Role:
    id: str
    account_id: str
    name: str
    path: str
    arn: str
    create_date: datetime
    assume_role_policy: str
    description: str | None
    max_session_duration: int
    permissions_boundary: str | None
    last_used_date: datetime | None
    last_used_region: str | None
    service_linked: bool


@dataclass(frozen=True, slots=True)
class ManagedPolicy:
    id: str
    account_id: str
    name: str
    path: str
    arn: str
    create_date: datetime
    update_date: datetime
    default_version_id: str
    next_version: int
    description: str | None
    is_attachable: bool

    @property
    def aws_managed(self) -> bool:
        return self.account_id == "aws"


@dataclass(frozen=True, slots=True)
class PolicyVersion:
    policy_id: str
    version_id: str
    document: str
    create_date: datetime


@dataclass(frozen=True, slots=True)
class InlinePolicy:
    owner_kind: str
    owner_id: str
    name: str
    document: str


@dataclass(frozen=True, slots=True)
class AccessKey:
    id: str
    account_id: str
    user_id: str | None
    """``None`` for the account's root credentials."""
    secret: str
    """Opened from its sealed form on read; never logged."""
    status: str
    create_date: datetime
    last_used_date: datetime | None
    last_used_region: str | None
    last_used_service: str | None

    def __repr__(self) -> str:
        return f"AccessKey(id={self.id!r}, user_id={self.user_id!r}, status={self.status!r})"


@dataclass(frozen=True, slots=True)
class Account:
    account_id: str
    alias: str | None
    password_policy: str | None
    create_date: datetime


@dataclass(frozen=True, slots=True)
class InstanceProfile:
    id: str
    account_id: str
    name: str
    path: str
    arn: str
    create_date: datetime
