"""Who is calling: the authenticated principal a handler acts for."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Caller:
    """The principal behind a verified request.

    ``kind`` follows CloudTrail's userIdentity types: ``Root``, ``IAMUser``, ``AssumedRole``.
    """

    kind: str
    arn: str
    account_id: str
    principal_id: str
    """The user id, ``AROA...:session`` for a role session, or the account id for root."""
    name: str
    access_key_id: str
    user_id: str | None = None
    role_id: str | None = None
    session_name: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    mfa_authenticated: bool | None = None
    """``None`` for long-term keys, where AWS leaves aws:MultiFactorAuthPresent out."""
    mfa_auth_age: int | None = None
    token_issue_time: str | None = None
    source_identity: str | None = None
    role_arn: str | None = None
    """For a role session, the role's ARN (with its path); aws:PrincipalArn is this."""
    session_policies: tuple[str, ...] = ()
    """Session policy documents that limit a temporary credential."""
    chained: bool = False
    """A role session: what it assumes gets at most one hour."""
    federated_provider: str | None = None
    transitive_tag_keys: tuple[str, ...] = ()
    expires_at: float | None = None

    @property
    def is_root(self) -> bool:
        return self.kind == "Root"
