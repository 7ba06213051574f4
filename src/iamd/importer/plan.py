"""What to call to bring the target account up to the file: the plan, entity by entity.

The target's current state is one ``GetAccountAuthorizationDetails`` snapshot (plus
``ListInstanceProfiles``), so the plan is a pure comparison: an entity missing from the target is
created with everything it has; an existing one gets only the calls for what differs (a policy
document, a missing attachment, a tag value...).  Import never deletes: what the target has
beyond the file stays.  Names compare case-insensitively, as IAM's do.

Order matters and is kept: managed policies first (attachments and permissions boundaries name
them), then groups, users (memberships name groups), roles, and instance profiles (which name
roles).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from iamd.importer.source import Source, document

KINDS = ("policy", "group", "user", "role", "instance-profile")
SERVICE_LINKED_PATH = "/aws-service-role/"


@dataclass(frozen=True)
class Call:
    """One IAM call: the operation's AWS name and its parameters."""

    operation: str
    params: dict[str, Any]

    def describe(self) -> str:
        shown = {k: v for k, v in self.params.items() if not k.endswith("Document")}
        inner = ", ".join(f"{k}={v}" for k, v in shown.items())
        return f"{self.operation}({inner})"


@dataclass
class EntityPlan:
    kind: str
    name: str
    status: str
    """``create``, ``update``, ``unchanged`` or ``skip``."""
    calls: list[Call] = field(default_factory=list)
    note: str = ""


@dataclass
class Target:
    """What the target account has now, by lower-cased name."""

    account: str
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    roles: dict[str, dict[str, Any]] = field(default_factory=dict)
    policies: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Customer managed policies, by ARN."""
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_snapshot(
        cls, account: str, details: dict[str, list[dict[str, Any]]], profiles: list[dict[str, Any]]
    ) -> Target:
        return cls(
            account=account,
            users={u["UserName"].lower(): u for u in details.get("UserDetailList", [])},
            groups={g["GroupName"].lower(): g for g in details.get("GroupDetailList", [])},
            roles={r["RoleName"].lower(): r for r in details.get("RoleDetailList", [])},
            policies={p["Arn"]: p for p in details.get("Policies", [])},
            profiles={p["InstanceProfileName"].lower(): p for p in profiles},
        )


RoleLookup = Callable[[str], dict[str, Any]]
"""GetRole's ``Role`` for a name: description and maximum session duration are not in the
snapshot."""


def make_plan(
    source: Source, target: Target, get_role: RoleLookup | None = None
) -> list[EntityPlan]:
    plans: list[EntityPlan] = []
    plans += [_policy(p, target) for p in source.policies]
    plans += [_group(g, target) for g in source.groups]
    plans += [_user(u, target) for u in source.users]
    plans += [_role(r, target, get_role) for r in source.roles]
    plans += _profiles(source, target)
    return plans


def _status(exists: bool, calls: list[Call]) -> str:
    if not exists:
        return "create"
    return "update" if calls else "unchanged"


def _docs_equal(a: Any, b: Any) -> bool:
    try:
        return document(a) == document(b)
    except ValueError:
        return False


def _dumps(value: dict[str, Any]) -> str:
    return json.dumps(value, indent=2)


def _version_number(version: dict[str, Any]) -> int:
    digits = str(version.get("VersionId", "v0")).lstrip("vV")
    return int(digits) if digits.isdigit() else 0


# Managed policies ----------------------------------------------------------------------------


def _policy_arn(target: Target, policy: dict[str, Any]) -> str:
    return f"arn:aws:iam::{target.account}:policy{policy.get('Path') or '/'}{policy['PolicyName']}"


def _policy(policy: dict[str, Any], target: Target) -> EntityPlan:
    name = policy["PolicyName"]
    arn = _policy_arn(target, policy)
    versions = sorted(policy.get("PolicyVersionList") or [], key=_version_number)
    if not versions:
        return EntityPlan("policy", name, "skip", note="no policy version in the file")
    default = next((v for v in versions if v.get("IsDefaultVersion")), versions[-1])
    existing = target.policies.get(arn)
    calls: list[Call] = []
    if existing is None:
        create: dict[str, Any] = {
            "PolicyName": name,
            "Path": policy.get("Path") or "/",
            "PolicyDocument": _dumps(versions[0]["Document"]),
        }
        if policy.get("Description"):
            create["Description"] = policy["Description"]
        calls.append(Call("CreatePolicy", create))
        for version in versions[1:]:
            calls.append(
                Call(
                    "CreatePolicyVersion",
                    {
                        "PolicyArn": arn,
                        "PolicyDocument": _dumps(version["Document"]),
                        "SetAsDefault": version is default,
                    },
                )
            )
        note = f"{len(versions)} version{'s' if len(versions) > 1 else ''}"
        return EntityPlan("policy", name, "create", calls, note)
    have = existing.get("PolicyVersionList") or []
    current_default = next((v for v in have if v.get("IsDefaultVersion")), None)
    if current_default is not None and _docs_equal(
        current_default["Document"], default["Document"]
    ):
        return EntityPlan("policy", name, "unchanged")
    match = next((v for v in have if _docs_equal(v["Document"], default["Document"])), None)
    if match is not None:
        calls.append(
            Call("SetDefaultPolicyVersion", {"PolicyArn": arn, "VersionId": match["VersionId"]})
        )
    else:
        if len(have) >= 5:  # IAM keeps five versions: make room with the oldest non-default one
            oldest = min((v for v in have if not v.get("IsDefaultVersion")), key=_version_number)
            calls.append(
                Call("DeletePolicyVersion", {"PolicyArn": arn, "VersionId": oldest["VersionId"]})
            )
        calls.append(
            Call(
                "CreatePolicyVersion",
                {
                    "PolicyArn": arn,
                    "PolicyDocument": _dumps(default["Document"]),
                    "SetAsDefault": True,
                },
            )
        )
    return EntityPlan("policy", name, "update", calls, "default version differs")


# Shared pieces of users, groups and roles -----------------------------------------------------


def _inline_calls(
    operation: str, owner: tuple[str, str], wanted: list[dict[str, Any]], have: list[dict[str, Any]]
) -> list[Call]:
    current = {p["PolicyName"].lower(): p["PolicyDocument"] for p in have}
    calls = []
    for policy in wanted:
        present = current.get(policy["PolicyName"].lower())
        if present is None or not _docs_equal(present, policy["PolicyDocument"]):
            calls.append(
                Call(
                    operation,
                    {
                        owner[0]: owner[1],
                        "PolicyName": policy["PolicyName"],
                        "PolicyDocument": _dumps(policy["PolicyDocument"]),
                    },
                )
            )
    return calls


def _attach_calls(
    operation: str, owner: tuple[str, str], wanted: list[dict[str, Any]], have: list[dict[str, Any]]
) -> list[Call]:
    current = {p["PolicyArn"] for p in have}
    return [
        Call(operation, {owner[0]: owner[1], "PolicyArn": p["PolicyArn"]})
        for p in wanted
        if p["PolicyArn"] not in current
    ]


def _boundary(entity: dict[str, Any]) -> str | None:
    boundary = entity.get("PermissionsBoundary") or {}
    arn = boundary.get("PermissionsBoundaryArn")
    return str(arn) if arn else None


def _missing_tags(wanted: list[dict[str, str]], have: list[dict[str, str]]) -> list[dict[str, str]]:
    current = {t["Key"]: t["Value"] for t in have}
    return [t for t in wanted if current.get(t["Key"]) != t["Value"]]


# Groups, users, roles ------------------------------------------------------------------------


def _group(group: dict[str, Any], target: Target) -> EntityPlan:
    name = group["GroupName"]
    existing = target.groups.get(name.lower())
    path = group.get("Path") or "/"
    owner = ("GroupName", name)
    calls: list[Call] = []
    if existing is None:
        calls.append(Call("CreateGroup", {"GroupName": name, "Path": path}))
        existing = {}
    elif existing.get("Path") != path:
        calls.append(Call("UpdateGroup", {"GroupName": name, "NewPath": path}))
    calls += _inline_calls(
        "PutGroupPolicy", owner, group["GroupPolicyList"], existing.get("GroupPolicyList") or []
    )
    calls += _attach_calls(
        "AttachGroupPolicy",
        owner,
        group.get("AttachedManagedPolicies") or [],
        existing.get("AttachedManagedPolicies") or [],
    )
    return EntityPlan("group", name, _status(bool(existing), calls), calls)


def _user(user: dict[str, Any], target: Target) -> EntityPlan:
    name = user["UserName"]
    existing = target.users.get(name.lower())
    path = user.get("Path") or "/"
    owner = ("UserName", name)
    boundary = _boundary(user)
    tags = user.get("Tags") or []
    calls: list[Call] = []
    if existing is None:
        create: dict[str, Any] = {"UserName": name, "Path": path}
        if boundary:
            create["PermissionsBoundary"] = boundary
        if tags:
            create["Tags"] = tags
        calls.append(Call("CreateUser", create))
        existing = {}
    else:
        if existing.get("Path") != path:
            calls.append(Call("UpdateUser", {"UserName": name, "NewPath": path}))
        if boundary and boundary != _boundary(existing):
            calls.append(
                Call(
                    "PutUserPermissionsBoundary",
                    {"UserName": name, "PermissionsBoundary": boundary},
                )
            )
        changed = _missing_tags(tags, existing.get("Tags") or [])
        if changed:
            calls.append(Call("TagUser", {"UserName": name, "Tags": changed}))
    calls += _inline_calls(
        "PutUserPolicy", owner, user["UserPolicyList"], existing.get("UserPolicyList") or []
    )
    member_of = {g.lower() for g in existing.get("GroupList") or []}
    calls += [
        Call("AddUserToGroup", {"GroupName": group, "UserName": name})
        for group in user.get("GroupList") or []
        if group.lower() not in member_of
    ]
    calls += _attach_calls(
        "AttachUserPolicy",
        owner,
        user.get("AttachedManagedPolicies") or [],
        existing.get("AttachedManagedPolicies") or [],
    )
    return EntityPlan("user", name, _status(bool(existing), calls), calls)


def _role(role: dict[str, Any], target: Target, get_role: RoleLookup | None) -> EntityPlan:
    name = role["RoleName"]
    path = role.get("Path") or "/"
    if path.startswith(SERVICE_LINKED_PATH):
        return EntityPlan("role", name, "skip", note="service-linked: its service creates it")
    existing = target.roles.get(name.lower())
    owner = ("RoleName", name)
    boundary = _boundary(role)
    tags = role.get("Tags") or []
    trust = role["AssumeRolePolicyDocument"]
    calls: list[Call] = []
    note = ""
    if existing is None:
        create: dict[str, Any] = {
            "RoleName": name,
            "Path": path,
            "AssumeRolePolicyDocument": _dumps(trust),
        }
        for key in ("Description", "MaxSessionDuration"):
            if role.get(key):
                create[key] = role[key]
        if boundary:
            create["PermissionsBoundary"] = boundary
        if tags:
            create["Tags"] = tags
        calls.append(Call("CreateRole", create))
        existing = {}
    else:
        if existing.get("Path") != path:
            note = f"path {existing.get('Path')} kept: IAM cannot move a role"
        if not _docs_equal(existing["AssumeRolePolicyDocument"], trust):
            calls.append(
                Call("UpdateAssumeRolePolicy", {"RoleName": name, "PolicyDocument": _dumps(trust)})
            )
        calls += _role_settings(role, get_role)
        if boundary and boundary != _boundary(existing):
            calls.append(
                Call(
                    "PutRolePermissionsBoundary",
                    {"RoleName": name, "PermissionsBoundary": boundary},
                )
            )
        changed = _missing_tags(tags, existing.get("Tags") or [])
        if changed:
            calls.append(Call("TagRole", {"RoleName": name, "Tags": changed}))
    calls += _inline_calls(
        "PutRolePolicy", owner, role["RolePolicyList"], existing.get("RolePolicyList") or []
    )
    calls += _attach_calls(
        "AttachRolePolicy",
        owner,
        role.get("AttachedManagedPolicies") or [],
        existing.get("AttachedManagedPolicies") or [],
    )
    return EntityPlan("role", name, _status(bool(existing), calls), calls, note)


def _role_settings(role: dict[str, Any], get_role: RoleLookup | None) -> list[Call]:
    """UpdateRole for a description or session duration the file has (AWS's
    authorization details carry neither; a file enriched from GetRole may)."""
    wanted = {k: role[k] for k in ("Description", "MaxSessionDuration") if role.get(k)}
    if not wanted or get_role is None:
        return []
    current = get_role(role["RoleName"])
    if all(current.get(k) == v for k, v in wanted.items()):
        return []
    return [Call("UpdateRole", {"RoleName": role["RoleName"], **wanted})]


# Instance profiles ---------------------------------------------------------------------------


def _profiles(source: Source, target: Target) -> list[EntityPlan]:
    wanted: dict[str, dict[str, Any]] = {}
    members: dict[str, list[str]] = {}
    for role in source.roles:
        if (role.get("Path") or "/").startswith(SERVICE_LINKED_PATH):
            continue
        for profile in role.get("InstanceProfileList") or []:
            key = profile["InstanceProfileName"].lower()
            wanted.setdefault(key, profile)
            names = members.setdefault(key, [])
            for member in profile.get("Roles") or [{"RoleName": role["RoleName"]}]:
                if member["RoleName"].lower() not in {n.lower() for n in names}:
                    names.append(member["RoleName"])
    plans = []
    for key, profile in wanted.items():
        name = profile["InstanceProfileName"]
        existing = target.profiles.get(key)
        calls: list[Call] = []
        if existing is None:
            create: dict[str, Any] = {
                "InstanceProfileName": name,
                "Path": profile.get("Path") or "/",
            }
            if profile.get("Tags"):
                create["Tags"] = profile["Tags"]
            calls.append(Call("CreateInstanceProfile", create))
        have = {r["RoleName"].lower() for r in (existing or {}).get("Roles") or []}
        calls += [
            Call("AddRoleToInstanceProfile", {"InstanceProfileName": name, "RoleName": role})
            for role in members[key]
            if role.lower() not in have
        ]
        plans.append(
            EntityPlan("instance-profile", name, _status(existing is not None, calls), calls)
        )
    return plans
