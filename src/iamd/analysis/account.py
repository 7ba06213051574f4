"""A whole account as ``aws iam get-account-authorization-details`` prints it, as typed records.

The file is AWS's ``GetAccountAuthorizationDetailsResponse`` (botocore's ``iam`` model):
``UserDetailList``, ``GroupDetailList``, ``RoleDetailList`` and ``Policies`` (each with its
``PolicyVersionList``).  Real files vary, and the loader takes them as they come:

- policy documents are JSON objects (the CLI decodes them), JSON text, or URL-encoded JSON
  text (the raw API answer, and what older CLI versions and some exporters print);
- optional members are often absent: a user without inline policies has no
  ``UserPolicyList``, a role without a boundary no ``PermissionsBoundary``;
- AWS managed policies are listed only when the export asked for them: an attached ARN with
  no entry is resolved through ``managed`` (the CLI passes the catalog's documents), and
  otherwise noted in :attr:`Account.notes` and left out.

A document that is not valid JSON, or not a policy, is noted and skipped: one broken policy
should not stop the analysis of the other thousands.
https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountAuthorizationDetails.html
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from iamd.analysis.errors import AnalysisInputError
from iamd.policy import load_json

ManagedLookup = Callable[[str], str | None]
"""An AWS managed policy's ARN -> its default version's document (JSON text), or None."""


class AccountFileError(AnalysisInputError):
    """The input is not an authorization-details document at all."""


@dataclass(frozen=True, slots=True)
class InlinePolicy:
    name: str
    document: Any
    """The decoded JSON value, or ``None`` when the document could not be read."""


@dataclass(frozen=True, slots=True)
class PolicyVersion:
    version_id: str
    is_default: bool
    document: Any


@dataclass(frozen=True, slots=True)
class ManagedPolicy:
    arn: str
    name: str
    path: str
    default_version_id: str
    versions: tuple[PolicyVersion, ...]
    attachment_count: int | None = None

    @property
    def aws_managed(self) -> bool:
        """AWS's own policies (``arn:aws:iam::aws:policy/...``) nobody can change."""
        return _field(self.arn, 4) == "aws"

    @property
    def document(self) -> Any:
        """The default version's document (what IAM enforces), or ``None``."""
        for version in self.versions:
            if version.is_default or version.version_id == self.default_version_id:
                return version.document
        return None


@dataclass(frozen=True, slots=True)
class User:
    name: str
    arn: str
    id: str
    path: str
    inline: tuple[InlinePolicy, ...]
    attached: tuple[str, ...]
    groups: tuple[str, ...]
    boundary: str | None
    tags: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Group:
    name: str
    arn: str
    id: str
    path: str
    inline: tuple[InlinePolicy, ...]
    attached: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Role:
    name: str
    arn: str
    id: str
    path: str
    trust: Any
    """The trust policy (``AssumeRolePolicyDocument``), decoded; ``None`` if unreadable."""
    inline: tuple[InlinePolicy, ...]
    attached: tuple[str, ...]
    boundary: str | None
    tags: Mapping[str, str]
    instance_profiles: tuple[str, ...]
    """ARNs of the instance profiles that carry the role (EC2 can run as it)."""


@dataclass(frozen=True, slots=True)
class Account:
    account_id: str
    partition: str
    users: tuple[User, ...]
    groups: Mapping[str, Group]
    """By group name (what ``GroupList`` names)."""
    roles: tuple[Role, ...]
    policies: Mapping[str, ManagedPolicy]
    """By ARN."""
    notes: tuple[str, ...] = field(default=())
    """What the loader had to leave out, and why."""

    @property
    def principal_count(self) -> int:
        return len(self.users) + len(self.roles)


def _field(arn: str, index: int) -> str:
    parts = arn.split(":", 5)
    return parts[index] if len(parts) == 6 else ""


def decode_document(value: Any) -> Any:
    """A policy document as the file holds it -> its JSON value.

    Raises ``ValueError`` for text that is neither JSON nor URL-encoded JSON.
    """
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("%") or (not text.startswith("{") and "%7B" in text[:8].upper()):
        text = unquote(text)
    return load_json(text)


class _Reader:
    def __init__(self, managed: ManagedLookup | None) -> None:
        self.managed = managed
        self.notes: list[str] = []

    def document(self, value: Any, where: str) -> Any:
        if value is None:
            return None
        try:
            decoded = decode_document(value)
        except (ValueError, RecursionError):
            self.notes.append(f"{where}: the policy document is not valid JSON; skipped")
            return None
        if not isinstance(decoded, dict):
            self.notes.append(f"{where}: the policy document is not a JSON object; skipped")
            return None
        return decoded

    def inline(self, items: Any, owner: str) -> tuple[InlinePolicy, ...]:
        out = []
        for item in _list(items):
            name = str(item.get("PolicyName", ""))
            out.append(
                InlinePolicy(name, self.document(item.get("PolicyDocument"), f"{owner} {name}"))
            )
        return tuple(out)

    def policy(self, item: Mapping[str, Any]) -> ManagedPolicy | None:
        arn = item.get("Arn")
        if not isinstance(arn, str):
            self.notes.append("a managed policy without an Arn; skipped")
            return None
        default = str(item.get("DefaultVersionId", ""))
        versions = tuple(
            PolicyVersion(
                version_id=str(v.get("VersionId", "")),
                is_default=bool(v.get("IsDefaultVersion"))
                or (str(v.get("VersionId", "")) == default and default != ""),
                document=self.document(v.get("Document"), f"{arn} {v.get('VersionId', '')}"),
            )
            for v in _list(item.get("PolicyVersionList"))
        )
        count = item.get("AttachmentCount")
        return ManagedPolicy(
            arn=arn,
            name=str(item.get("PolicyName", arn.rsplit("/", 1)[-1])),
            path=str(item.get("Path", "/")),
            default_version_id=default,
            versions=versions,
            attachment_count=count if isinstance(count, int) else None,
        )


def _list(value: Any) -> list[Mapping[str, Any]]:
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, Mapping)]


def _arns(items: Any) -> tuple[str, ...]:
    return tuple(str(i["PolicyArn"]) for i in _list(items) if isinstance(i.get("PolicyArn"), str))


def _boundary(value: Any) -> str | None:
    if isinstance(value, Mapping) and isinstance(value.get("PermissionsBoundaryArn"), str):
        return str(value["PermissionsBoundaryArn"])
    return None


def _tags(value: Any) -> dict[str, str]:
    return {str(t.get("Key")): str(t.get("Value", "")) for t in _list(value) if "Key" in t}


def load_account(data: Any, *, managed: ManagedLookup | None = None) -> Account:
    """Read an authorization-details document (already parsed from JSON) into an Account."""
    if isinstance(data, (str, bytes)):
        try:
            data = json.loads(data)
        except ValueError as exc:
            raise AccountFileError(f"the file is not JSON: {exc}") from None
    keys = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")
    if not isinstance(data, Mapping) or not any(k in data for k in keys):
        raise AccountFileError(
            "the file is not the output of aws iam get-account-authorization-details "
            "(no UserDetailList, GroupDetailList, RoleDetailList or Policies)"
        )
    reader = _Reader(managed)
    policies: dict[str, ManagedPolicy] = {}
    for item in _list(data.get("Policies")):
        policy = reader.policy(item)
        if policy is not None:
            policies[policy.arn] = policy
    users = tuple(
        User(
            name=str(u.get("UserName", "")),
            arn=str(u.get("Arn", "")),
            id=str(u.get("UserId", "")),
            path=str(u.get("Path", "/")),
            inline=reader.inline(u.get("UserPolicyList"), f"user {u.get('UserName')}"),
            attached=_arns(u.get("AttachedManagedPolicies")),
            groups=tuple(str(g) for g in u.get("GroupList") or () if isinstance(g, str)),
            boundary=_boundary(u.get("PermissionsBoundary")),
            tags=_tags(u.get("Tags")),
        )
        for u in _list(data.get("UserDetailList"))
        if isinstance(u.get("Arn"), str)
    )
    groups = {
        str(g.get("GroupName", "")): Group(
            name=str(g.get("GroupName", "")),
            arn=str(g.get("Arn", "")),
            id=str(g.get("GroupId", "")),
            path=str(g.get("Path", "/")),
            inline=reader.inline(g.get("GroupPolicyList"), f"group {g.get('GroupName')}"),
            attached=_arns(g.get("AttachedManagedPolicies")),
        )
        for g in _list(data.get("GroupDetailList"))
        if isinstance(g.get("Arn"), str)
    }
    roles = tuple(
        Role(
            name=str(r.get("RoleName", "")),
            arn=str(r.get("Arn", "")),
            id=str(r.get("RoleId", "")),
            path=str(r.get("Path", "/")),
            trust=reader.document(
                r.get("AssumeRolePolicyDocument"), f"role {r.get('RoleName')} trust policy"
            ),
            inline=reader.inline(r.get("RolePolicyList"), f"role {r.get('RoleName')}"),
            attached=_arns(r.get("AttachedManagedPolicies")),
            boundary=_boundary(r.get("PermissionsBoundary")),
            tags=_tags(r.get("Tags")),
            instance_profiles=tuple(
                str(p["Arn"])
                for p in _list(r.get("InstanceProfileList"))
                if isinstance(p.get("Arn"), str)
            ),
        )
        for r in _list(data.get("RoleDetailList"))
        if isinstance(r.get("Arn"), str)
    )
    _resolve_missing(reader, policies, users, groups.values(), roles)
    account_id, partition = _identify(users, groups.values(), roles, policies.values())
    return Account(
        account_id=account_id,
        partition=partition,
        users=users,
        groups=groups,
        roles=roles,
        policies=policies,
        notes=tuple(reader.notes),
    )


def _resolve_missing(
    reader: _Reader,
    policies: dict[str, ManagedPolicy],
    *owners: Any,
) -> None:
    """Add AWS managed policies the entities use but the file does not list."""
    wanted: set[str] = set()
    for group in owners:
        for entity in group:
            wanted.update(entity.attached)
            boundary = getattr(entity, "boundary", None)
            if boundary:
                wanted.add(boundary)
    for arn in sorted(wanted - policies.keys()):
        text = reader.managed(arn) if reader.managed and _field(arn, 4) == "aws" else None
        document = reader.document(text, arn) if text is not None else None
        if document is None:
            reader.notes.append(
                f"{arn} is attached but its document is not in the file; its grants are ignored"
            )
            continue
        policies[arn] = ManagedPolicy(
            arn=arn,
            name=arn.rsplit("/", 1)[-1],
            path="/",
            default_version_id="v1",
            versions=(PolicyVersion("v1", True, document),),
        )


def _identify(*collections: Any) -> tuple[str, str]:
    for collection in collections:
        for entity in collection:
            arn = entity.arn
            account = _field(arn, 4)
            if account and account != "aws":
                return account, _field(arn, 1) or "aws"
    return "", "aws"
