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
Index(
    "ix_audit_events_account_time_seq",
    audit_events.c.account_id,
    audit_events.c.event_time,
    audit_events.c.seq,
    info={"step": 3},
)
"""LookupEvents pages newest first by (event_time, seq): this index serves the order."""

audit_event_resources = Table(
    "audit_event_resources",
    metadata,
    Column(
        "event_id",
        String(36),
        ForeignKey("audit_events.event_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("position", Integer, primary_key=True, comment="order in the event's resources"),
    Column("account_id", String(12), nullable=False),
    Column("resource_type", String(128), nullable=False, comment="AWS::IAM::User, ..."),
    Column("resource_name", String(2048), nullable=False, comment="as LookupEvents shows it"),
    Index("ix_audit_event_resources_type", "account_id", "resource_type"),
    Index("ix_audit_event_resources_name", "account_id", "resource_name"),
    info={"step": 3},
)

# IAM Access Analyzer (migration step 3) ----------------------------------------------------

analyzers = Table(
    "analyzers",
    metadata,
    Column("arn", String(2048), primary_key=True, comment="arn:aws:access-analyzer:R:A:analyzer/N"),
    Column("account_id", String(12), nullable=False),
    Column("region", String(64), nullable=False),
    Column("name", String(255), nullable=False),
    Column("type", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("configuration", Text, comment="JSON AnalyzerConfiguration, or NULL"),
    Column("create_date", TS, nullable=False),
    Column("last_resource_analyzed", String(2048)),
    Column("last_resource_analyzed_at", TS),
    Index("ix_analyzers_account_region", "account_id", "region"),
    info={"step": 3},
)

analyzer_archive_rules = Table(
    "analyzer_archive_rules",
    metadata,
    Column(
        "analyzer_arn",
        String(2048),
        ForeignKey("analyzers.arn", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("name", String(255), primary_key=True),
    Column("filter", Text, nullable=False, comment="JSON FilterCriteriaMap"),
    Column("create_date", TS, nullable=False),
    Column("update_date", TS, nullable=False),
    info={"step": 3},
)

analyzer_findings = Table(
    "analyzer_findings",
    metadata,
    Column(
        "analyzer_arn",
        String(2048),
        ForeignKey("analyzers.arn", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("id", String(64), primary_key=True),
    Column("finding_type", String(32), nullable=False),
    Column("resource", String(2048), nullable=False),
    Column("resource_type", String(64), nullable=False),
    Column("resource_owner_account", String(12), nullable=False),
    Column("status", String(16), nullable=False),
    Column("details", Text, nullable=False, comment="JSON: the finding's type-specific fields"),
    Column("created_at", TS, nullable=False),
    Column("analyzed_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Index("ix_analyzer_findings_resource", "analyzer_arn", "resource"),
    info={"step": 3},
)

analyzed_resources = Table(
    "analyzed_resources",
    metadata,
    Column(
        "analyzer_arn",
        String(2048),
        ForeignKey("analyzers.arn", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("resource_arn", String(2048), primary_key=True),
    Column("resource_type", String(64), nullable=False),
    Column("fingerprint", String(64), nullable=False, comment="hash of the policy analysed"),
    Column("created_at", TS, nullable=False),
    Column("analyzed_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    info={"step": 3},
)

policy_generations = Table(
    "policy_generations",
    metadata,
    Column("job_id", String(64), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("principal_arn", String(2048), nullable=False),
    Column("status", String(16), nullable=False),
    Column("started_on", TS, nullable=False),
    Column("completed_on", TS),
    Column("request", Text, nullable=False, comment="JSON: the window and trails asked for"),
    Column("result", Text, comment="JSON: the generated policy's statements"),
    Column("error", Text, comment="JSON JobError when FAILED"),
    Index("ix_policy_generations_account", "account_id", "started_on"),
    info={"step": 3},
)

access_previews = Table(
    "access_previews",
    metadata,
    Column("id", String(36), primary_key=True),
    Column(
        "analyzer_arn",
        String(2048),
        ForeignKey("analyzers.arn", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("configurations", Text, nullable=False, comment="JSON ConfigurationsMap"),
    Column("status", String(16), nullable=False),
    Column("status_reason", String(32)),
    Column("created_at", TS, nullable=False),
    Column("findings", Text, nullable=False, comment="JSON: the preview's findings"),
    Index("ix_access_previews_analyzer", "analyzer_arn", "created_at"),
    info={"step": 3},
)

finding_recommendations = Table(
    "finding_recommendations",
    metadata,
    Column(
        "analyzer_arn",
        String(2048),
        ForeignKey("analyzers.arn", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("finding_id", String(64), primary_key=True),
    Column("resource_arn", String(2048), nullable=False),
    Column("status", String(16), nullable=False),
    Column("started_at", TS, nullable=False),
    Column("completed_at", TS),
    Column("steps", Text, nullable=False, comment="JSON RecommendedStep list"),
    Column("error", Text, comment="JSON RecommendationError"),
    info={"step": 3},
)

# CloudTrail log file export: `iamd trail export` (migration step 3) -------------------------

trail_exports = Table(
    "trail_exports",
    metadata,
    Column("trail", String(128), primary_key=True),
    Column("exported_seq", BigInteger, nullable=False, comment="audit_events.seq written so far"),
    Column("bucket", String(255), nullable=False, comment="digestS3Bucket of the chain"),
    Column("update_date", TS, nullable=False),
    info={"step": 3},
)

trail_chains = Table(
    "trail_chains",
    metadata,
    Column("trail", String(128), primary_key=True),
    Column("account_id", String(12), primary_key=True),
    Column("region", String(64), primary_key=True),
    Column("digest_end", TS, nullable=False, comment="digestEndTime of the newest digest"),
    Column("digest_key", String(1024), nullable=False, comment="its S3 object key"),
    Column("digest_bucket", String(255), nullable=False),
    Column("digest_hash", String(64), nullable=False, comment="hex SHA-256 of its JSON"),
    Column("digest_signature", Text, nullable=False, comment="hex SHA256withRSA signature"),
    info={"step": 3},
)

# The web console (migration step 3) ----------------------------------------------------------

console_sessions = Table(
    "console_sessions",
    metadata,
    Column("id", String(64), primary_key=True, comment="SHA-256 of the cookie: never the cookie"),
    Column("account_id", String(12), nullable=False),
    Column("kind", String(16), nullable=False, comment="Root or IAMUser"),
    Column("user_id", String(32)),
    Column("stage", String(16), nullable=False, comment="mfa, new-password or active"),
    Column("mfa", Boolean, nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created", TS, nullable=False),
    Column("expires", TS, nullable=False),
    Column("role_token_sealed", LargeBinary, comment="switched role: its STS session, sealed"),
    Column("role_label", String(64)),
    Column("role_color", String(16)),
    Index("ix_console_sessions_expires", "expires"),
    info={"step": 3},
)

console_root_passwords = Table(
    "console_root_passwords",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("password_hash", Text, nullable=False, comment="scrypt, see iamd.auth.passwords"),
    Column("changed", TS, nullable=False),
    info={"step": 3},
)

console_signin_failures = Table(
    "console_signin_failures",
    metadata,
    Column("key", String(512), primary_key=True, comment="who or where: user:..., ip:..."),
    Column("failures", Integer, nullable=False),
    Column("first_failure", TS, nullable=False),
    Column("last_failure", TS, nullable=False),
    info={"step": 3},
)

trail_usage = Table(
    "trail_usage",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column(
        "subject",
        String(160),
        primary_key=True,
        comment="key:AKIA..., user:AIDA..., role:AROA..., root, login:AIDA..., login:root",
    ),
    Column("scope", String(300), primary_key=True, comment="'*', a service, or service:Action"),
    Column("last_time", TS, nullable=False),
    Column("region", String(64)),
    Column("service", String(64), comment="the service of the last event counted"),
    comment="the last use of each credential and entity, folded from audit_events as written",
    info={"step": 3},
)

credential_reports = Table(
    "credential_reports",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("state", String(16), nullable=False, comment="INPROGRESS or COMPLETE"),
    Column("token", String(36), nullable=False, comment="the generation that owns the row"),
    Column("started_at", TS, nullable=False),
    Column("generated_at", TS),
    Column("content", Text),
    info={"step": 3},
)

access_advisor_jobs = Table(
    "access_advisor_jobs",
    metadata,
    Column("job_id", String(36), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("owner_arn", String(2048), nullable=False, comment="only its creator may read a job"),
    Column("entity_arn", String(2048), nullable=False),
    Column("granularity", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("created", TS, nullable=False),
    Column("completed", TS),
    Column("result", Text, comment="JSON: the services and their entities"),
    Column("error", Text),
    Index("ix_access_advisor_jobs_account_created", "account_id", "created"),
    info={"step": 3},
)

# The enforcement gateway (migration step 3) --------------------------------------------------

gateway_buckets = Table(
    "gateway_buckets",
    metadata,
    Column("bucket", String(255), primary_key=True),
    Column("account_id", String(12), nullable=False, comment="who created it via the gateway"),
    Column("create_date", TS, nullable=False),
    info={"step": 3},
)
