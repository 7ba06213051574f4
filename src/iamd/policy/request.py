"""The request the engine decides: who, what action, on which resource, in what context."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from iamd.policy.variables import ContextValue


class PrincipalKind(StrEnum):
    ROOT = "root"
    USER = "user"
    ROLE = "role"
    ASSUMED_ROLE = "assumed-role"
    FEDERATED_USER = "federated-user"
    SERVICE = "service"
    FEDERATED = "federated"
    ANONYMOUS = "anonymous"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class PrincipalInfo:
    """What resource-policy matching needs to know about the caller, derived once."""

    arn: str
    kind: PrincipalKind
    account: str | None
    name: str
    """User name, role name (for sessions too), or federated user name."""

    @classmethod
    def parse(cls, principal: str | None) -> PrincipalInfo:
        if not principal or principal == "*":
            return cls("", PrincipalKind.ANONYMOUS, None, "")
        if not principal.startswith("arn:"):
            kind = (
                PrincipalKind.SERVICE
                if principal.endswith(".amazonaws.com")
                else (PrincipalKind.FEDERATED if "." in principal else PrincipalKind.OTHER)
            )
            return cls(principal, kind, None, principal)
        fields = principal.split(":", 5)
        if len(fields) != 6:
            return cls(principal, PrincipalKind.OTHER, None, "")
        service, account, resource = fields[2], fields[4], fields[5]
        if service == "iam" and resource == "root":
            return cls(principal, PrincipalKind.ROOT, account, "")
        head, _, rest = resource.partition("/")
        if service == "iam" and head == "user":
            return cls(principal, PrincipalKind.USER, account, rest.rsplit("/", 1)[-1])
        if service == "iam" and head == "role":
            return cls(principal, PrincipalKind.ROLE, account, rest.rsplit("/", 1)[-1])
        if service == "iam" and head in ("oidc-provider", "saml-provider"):
            return cls(principal, PrincipalKind.FEDERATED, account, rest)
        if service == "sts" and head == "assumed-role":
            return cls(principal, PrincipalKind.ASSUMED_ROLE, account, rest.split("/", 1)[0])
        if service == "sts" and head == "federated-user":
            return cls(principal, PrincipalKind.FEDERATED_USER, account, rest)
        return cls(principal, PrincipalKind.OTHER, account or None, "")


def normalize_context(context: Mapping[str, str | Sequence[str]]) -> dict[str, ContextValue]:
    """Lower-case the keys (condition keys are case-insensitive) and freeze list values."""
    out: dict[str, ContextValue] = {}
    for key, value in context.items():
        if isinstance(value, str):
            out[key.lower()] = value
        else:
            out[key.lower()] = tuple(str(v) for v in value)
    return out


@dataclass(frozen=True, slots=True)
class Request:
    """One authorization question.  Build it with :meth:`build`, which normalises the context."""

    principal: PrincipalInfo
    action: str
    resource: str
    resource_account: str | None
    context: Mapping[str, ContextValue]
    same_account: bool
    """The caller and the resource are in one account (decided once, at build time)."""

    @classmethod
    def build(
        cls,
        principal: str | None,
        action: str,
        resource: str = "*",
        context: Mapping[str, str | Sequence[str]] | None = None,
        resource_account: str | None = None,
    ) -> Request:
        info = PrincipalInfo.parse(principal)
        if resource_account is None:
            resource_account = _account_of(resource) or info.account
        return cls(
            principal=info,
            action=action,
            resource=resource,
            resource_account=resource_account,
            context=normalize_context(context or {}),
            same_account=info.account is not None and info.account == resource_account,
        )


def _account_of(arn: str) -> str | None:
    fields = arn.split(":", 5)
    if len(fields) == 6 and fields[4]:
        return fields[4]
    return None
