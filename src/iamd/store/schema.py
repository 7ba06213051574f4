"""The relational schema of iamd's state, in SQLAlchemy Core.

One table per IAM entity family, with the constraints AWS enforces (names unique per account,
case-insensitively) held by the database itself, so two processes sharing PostgreSQL cannot
both create ``Alice`` and ``alice``.  Secrets live only in ``*_sealed`` columns (see
:mod:`iamd.store.seal`); no column holds a secret in clear.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

TS = DateTime(timezone=True)


def _id(prefix_comment: str) -> Column[str]:
    return Column("id", String(32), primary_key=True, comment=prefix_comment)


accounts = Table(
    "accounts",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("alias", String(63), unique=True),
    Column("password_policy", Text),
    Column("create_date", TS, nullable=False),
)

users = Table(
    "users",
    metadata,
    _id("AIDA..."),
    Column("account_id", String(12), nullable=False),
    Column("name", String(64), nullable=False),
    Column("name_lower", String(64), nullable=False),
    Column("path", String(512), nullable=False),
    Column("arn", String(2048), nullable=False, unique=True),
    Column("create_date", TS, nullable=False),
    Column("permissions_boundary", String(2048)),
    Column("password_last_used", TS),
    UniqueConstraint("account_id", "name_lower"),
)

groups = Table(
    "groups",
    metadata,
    _id("AGPA..."),
    Column("account_id", String(12), nullable=False),
    Column("name", String(128), nullable=False),
    Column("name_lower", String(128), nullable=False),
    Column("path", String(512), nullable=False),
    Column("arn", String(2048), nullable=False, unique=True),
    Column("create_date", TS, nullable=False),
    UniqueConstraint("account_id", "name_lower"),
)

group_members = Table(
    "group_members",
    metadata,
    Column("group_id", String(32), ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Index("ix_group_members_user", "user_id"),
)

roles = Table(
    "roles",
    metadata,
    _id("AROA..."),
    Column("account_id", String(12), nullable=False),
    Column("name", String(64), nullable=False),
    Column("name_lower", String(64), nullable=False),
    Column("path", String(512), nullable=False),
    Column("arn", String(2048), nullable=False, unique=True),
    Column("create_date", TS, nullable=False),
    Column("assume_role_policy", Text, nullable=False),
    Column("description", String(1000)),
    Column("max_session_duration", Integer, nullable=False),
    Column("permissions_boundary", String(2048)),
    Column("last_used_date", TS),
    Column("last_used_region", String(64)),
    Column("service_linked", Boolean, nullable=False, default=False),
    UniqueConstraint("account_id", "name_lower"),
)

policies = Table(
    "policies",
    metadata,
    _id("ANPA..."),
    Column("account_id", String(12), nullable=False, comment="'aws' for AWS managed policies"),
    Column("name", String(128), nullable=False),
    Column("name_lower", String(128), nullable=False),
    Column("path", String(512), nullable=False),
    Column("arn", String(2048), nullable=False, unique=True),
    Column("create_date", TS, nullable=False),
    Column("update_date", TS, nullable=False),
    Column("default_version_id", String(16), nullable=False),
    Column("next_version", Integer, nullable=False),
    Column("description", String(1000)),
    Column("is_attachable", Boolean, nullable=False, default=True),
    UniqueConstraint("account_id", "name_lower"),
)

policy_versions = Table(
    "policy_versions",
    metadata,
    Column(
        "policy_id", String(32), ForeignKey("policies.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("version_id", String(16), primary_key=True),
    Column("document", Text, nullable=False),
    Column("create_date", TS, nullable=False),
)

inline_policies = Table(
    "inline_policies",
    metadata,
    Column("owner_kind", String(8), primary_key=True, comment="user, group or role"),
    Column("owner_id", String(32), primary_key=True),
    Column("name", String(128), primary_key=True),
    Column("document", Text, nullable=False),
)

attachments = Table(
    "attachments",
    metadata,
    Column("owner_kind", String(8), primary_key=True, comment="user, group or role"),
    Column("owner_id", String(32), primary_key=True),
    Column("policy_arn", String(2048), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Index("ix_attachments_policy", "policy_arn"),
)

access_keys = Table(
    "access_keys",
    metadata,
    Column("id", String(32), primary_key=True, comment="the access key id, AKIA..."),
    Column("account_id", String(12), nullable=False),
    Column(
        "user_id",
        String(32),
        ForeignKey("users.id", ondelete="CASCADE"),
        comment="NULL for the account's root credentials",
    ),
    Column("secret_sealed", LargeBinary, nullable=False),
    Column("status", String(8), nullable=False),
    Column("create_date", TS, nullable=False),
    Column("last_used_date", TS),
    Column("last_used_region", String(64)),
    Column("last_used_service", String(64)),
    Index("ix_access_keys_user", "user_id"),
)

login_profiles = Table(
    "login_profiles",
    metadata,
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("password_hash", String(512), nullable=False),
    Column("password_reset_required", Boolean, nullable=False),
    Column("create_date", TS, nullable=False),
    Column("password_changed", TS, comment="for the password policy's MaxPasswordAge"),
    Column("previous_hashes", Text, comment="JSON list, for PasswordReusePrevention"),
)

mfa_devices = Table(
    "mfa_devices",
    metadata,
    Column("serial", String(2048), primary_key=True, comment="the device ARN"),
    Column("account_id", String(12), nullable=False),
    Column("name", String(226), nullable=False),
    Column("path", String(512), nullable=False),
    Column("seed_sealed", LargeBinary, nullable=False),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="SET NULL")),
    Column("enable_date", TS),
    Column("create_date", TS, nullable=False),
    Column("last_counter", BigInteger, comment="TOTP time step last accepted: codes never reuse"),
    Index("ix_mfa_devices_user", "user_id"),
)

instance_profiles = Table(
    "instance_profiles",
    metadata,
    _id("AIPA..."),
    Column("account_id", String(12), nullable=False),
    Column("name", String(128), nullable=False),
    Column("name_lower", String(128), nullable=False),
    Column("path", String(512), nullable=False),
    Column("arn", String(2048), nullable=False, unique=True),
    Column("create_date", TS, nullable=False),
    UniqueConstraint("account_id", "name_lower"),
)

instance_profile_roles = Table(
    "instance_profile_roles",
    metadata,
    Column(
        "profile_id",
        String(32),
        ForeignKey("instance_profiles.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("role_id", String(32), ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True),
)

oidc_providers = Table(
    "oidc_providers",
    metadata,
    Column("arn", String(2048), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("url", String(255), nullable=False),
    Column("client_ids", Text, nullable=False, comment="JSON list"),
    Column("thumbprints", Text, nullable=False, comment="JSON list"),
    Column("create_date", TS, nullable=False),
)

saml_providers = Table(
    "saml_providers",
    metadata,
    Column("arn", String(2048), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("name", String(128), nullable=False),
    Column("metadata_document", Text, nullable=False),
    Column("create_date", TS, nullable=False),
    Column("valid_until", TS),
)

tags = Table(
    "tags",
    metadata,
    Column("resource_kind", String(32), primary_key=True),
    Column("resource_id", String(2048), primary_key=True),
    Column("key", String(128), primary_key=True),
    Column("value", String(256), nullable=False),
    Column("seq", BigInteger, nullable=False, comment="keeps tags in the order they were added"),
)

ssh_public_keys = Table(
    "ssh_public_keys",
    metadata,
    Column("id", String(128), primary_key=True, comment="APKA..."),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("body", Text, nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("status", String(8), nullable=False),
    Column("upload_date", TS, nullable=False),
    Index("ix_ssh_public_keys_user", "user_id"),
)

service_specific_credentials = Table(
    "service_specific_credentials",
    metadata,
    Column("id", String(128), primary_key=True, comment="ACCA..."),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("service_name", String(128), nullable=False),
    Column("service_user_name", String(200), nullable=False),
    Column("password_sealed", LargeBinary, nullable=False),
    Column("status", String(8), nullable=False),
    Column("create_date", TS, nullable=False),
    Index("ix_service_specific_credentials_user", "user_id"),
)

signing_certificates = Table(
    "signing_certificates",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE")),
    Column("account_id", String(12), nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(8), nullable=False),
    Column("upload_date", TS, nullable=False),
    Index("ix_signing_certificates_user", "user_id"),
)

server_certificates = Table(
    "server_certificates",
    metadata,
    _id("ASCA..."),
    Column("account_id", String(12), nullable=False),
    Column("name", String(128), nullable=False),
    Column("name_lower", String(128), nullable=False),
    Column("path", String(512), nullable=False),
    Column("arn", String(2048), nullable=False, unique=True),
    Column("body", Text, nullable=False),
    Column("chain", Text),
    Column("private_key_sealed", LargeBinary, nullable=False),
    Column("upload_date", TS, nullable=False),
    Column("expiration", TS),
    UniqueConstraint("account_id", "name_lower"),
)

service_linked_role_deletions = Table(
    "service_linked_role_deletions",
    metadata,
    Column("task_id", String(256), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("role_name", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", Text),
    Column("create_date", TS, nullable=False),
)

meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

changes = Table(
    "changes",
    metadata,
    Column(
        "seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("kind", String(32), nullable=False),
    Column("key", String(2048), nullable=False),
    Column("at", TS, nullable=False),
)

server_keys = Table(
    "server_keys",
    metadata,
    Column("key_id", String(64), primary_key=True),
    Column("purpose", String(32), nullable=False),
    Column("key_sealed", LargeBinary, nullable=False),
    Column("create_date", TS, nullable=False),
    Column("retired_date", TS),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("event_time", TS, nullable=False),
    Column("seq", BigInteger, nullable=False, comment="arrival order within one second"),
    Column("account_id", String(12), nullable=False),
    Column("event_name", String(128), nullable=False),
    Column("event_source", String(64), nullable=False),
    Column("username", String(2048)),
    Column("principal_arn", String(2048)),
    Column("access_key_id", String(128)),
    Column("read_only", Boolean, nullable=False),
    Column("error_code", String(128)),
    Column("body", Text, nullable=False, comment="the CloudTrail event as JSON, secrets redacted"),
    Index("ix_audit_events_account_time", "account_id", "event_time"),
)
