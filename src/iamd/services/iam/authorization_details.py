"""GetAccountAuthorizationDetails: every user, group, role and managed policy of the account with
the policies that apply to each, in one paginated snapshot.

https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountAuthorizationDetails.html

This output is what offline analysis reads (``iamd analyze``, and tools written for AWS), so it
follows AWS's shape to the letter, including its unevenness: a user without inline policies has
no ``UserPolicyList`` at all while groups and roles carry empty lists, ``RoleLastUsed`` is always
present (empty when unused), and an instance profile's roles carry only their identity and
trust policy.  Customer managed policies are all listed; AWS managed policies only when the
account uses them (attached, or as a permissions boundary), with the count of that use.

``MaxItems`` counts entities of every kind together, in the order users, groups, roles,
policies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from iamd.services.call import Call
from iamd.services.iam.common import REGISTRY, paginate, star_target, tag_dicts
from iamd.services.iam.documents import encoded
from iamd.services.iam.last_used import role_last_used
from iamd.services.iam.policies import version_dict
from iamd.services.iam.users import boundary_dict
from iamd.store import Tx
from iamd.store.records import Group, InstanceProfile, ManagedPolicy, Role, User

ALL_FILTERS = ("User", "Group", "Role", "LocalManagedPolicy", "AWSManagedPolicy")


@dataclass(frozen=True, slots=True)
class _Item:
    """One entity of the snapshot, with the key that orders (and paginates) it."""

    key: str
    entity: User | Group | Role | ManagedPolicy


def _inline(tx: Tx, kind: str, owner_id: str) -> list[dict[str, str]]:
    return [
        {"PolicyName": p.name, "PolicyDocument": encoded(p.document)}
        for p in tx.policies.list_inline(kind, owner_id)
    ]


def _attached(tx: Tx, kind: str, owner_id: str) -> list[dict[str, str]]:
    out = []
    for arn in tx.policies.attached(kind, owner_id):
        policy = tx.policies.get(arn)
        if policy is not None:
            out.append({"PolicyName": policy.name, "PolicyArn": policy.arn})
    return out


def user_detail(tx: Tx, user: User) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Path": user.path,
        "UserName": user.name,
        "UserId": user.id,
        "Arn": user.arn,
        "CreateDate": user.create_date,
    }
    inline = _inline(tx, "user", user.id)
    if inline:
        out["UserPolicyList"] = inline
    out["GroupList"] = [g.name for g in tx.groups.of_user(user.id)]
    out["AttachedManagedPolicies"] = _attached(tx, "user", user.id)
    out["PermissionsBoundary"] = boundary_dict(user.permissions_boundary)
    out["Tags"] = tag_dicts(tx.tags.all("user", user.id))
    return out


def group_detail(tx: Tx, group: Group) -> dict[str, Any]:
    return {
        "Path": group.path,
        "GroupName": group.name,
        "GroupId": group.id,
        "Arn": group.arn,
        "CreateDate": group.create_date,
        "GroupPolicyList": _inline(tx, "group", group.id),
        "AttachedManagedPolicies": _attached(tx, "group", group.id),
    }


def _profile_role(role: Role) -> dict[str, Any]:
    return {
        "Path": role.path,
        "RoleName": role.name,
        "RoleId": role.id,
        "Arn": role.arn,
        "CreateDate": role.create_date,
        "AssumeRolePolicyDocument": encoded(role.assume_role_policy),
    }


def _profile(tx: Tx, profile: InstanceProfile) -> dict[str, Any]:
    return {
        "Path": profile.path,
        "InstanceProfileName": profile.name,
        "InstanceProfileId": profile.id,
        "Arn": profile.arn,
        "CreateDate": profile.create_date,
        "Roles": [_profile_role(r) for r in tx.instance_profiles.roles(profile.id)],
    }


def role_detail(tx: Tx, role: Role) -> dict[str, Any]:
    last_used = role_last_used(tx, role)
    return {
        "Path": role.path,
        "RoleName": role.name,
        "RoleId": role.id,
        "Arn": role.arn,
        "CreateDate": role.create_date,
        "AssumeRolePolicyDocument": encoded(role.assume_role_policy),
        "InstanceProfileList": [_profile(tx, p) for p in tx.instance_profiles.of_role(role.id)],
        "RolePolicyList": _inline(tx, "role", role.id),
        "AttachedManagedPolicies": _attached(tx, "role", role.id),
        "PermissionsBoundary": boundary_dict(role.permissions_boundary),
        "Tags": tag_dicts(tx.tags.all("role", role.id)),
        "RoleLastUsed": last_used,
    }


def policy_detail(tx: Tx, policy: ManagedPolicy, usage: tuple[int, int]) -> dict[str, Any]:
    attachments, boundaries = usage
    out: dict[str, Any] = {
        "PolicyName": policy.name,
        "PolicyId": policy.id,
        "Arn": policy.arn,
        "Path": policy.path,
        "DefaultVersionId": policy.default_version_id,
        "AttachmentCount": attachments,
        "PermissionsBoundaryUsageCount": boundaries,
        "IsAttachable": policy.is_attachable,
        "Description": policy.description or None,
        "CreateDate": policy.create_date,
        "UpdateDate": policy.update_date,
        "PolicyVersionList": [
            version_dict(v, policy.default_version_id) for v in tx.policies.versions(policy.id)
        ],
    }
    return out


class _Snapshot:
    """The account's entities, listed once, with the account's own use of each managed policy
    (an AWS managed policy's attachment and boundary counts are per account)."""

    def __init__(self, tx: Tx, account_id: str, wanted: set[str]) -> None:
        self.tx = tx
        self.account_id = account_id
        self.wanted = wanted
        self.users = tx.users.all(account_id)
        self.groups = tx.groups.all(account_id)
        self.roles = tx.roles.all(account_id)
        self._use: dict[str, tuple[int, int]] | None = None

    def _count_use(self) -> dict[str, tuple[int, int]]:
        attachments: dict[str, int] = {}
        owners: list[tuple[str, User | Group | Role]] = [
            *(("user", u) for u in self.users),
            *(("group", g) for g in self.groups),
            *(("role", r) for r in self.roles),
        ]
        for kind, owner in owners:
            for arn in self.tx.policies.attached(kind, owner.id):
                attachments[arn] = attachments.get(arn, 0) + 1
        boundaries: dict[str, int] = {}
        bounded: list[User | Role] = [*self.users, *self.roles]
        for entity in bounded:
            if entity.permissions_boundary:
                arn = entity.permissions_boundary
                boundaries[arn] = boundaries.get(arn, 0) + 1
        return {
            arn: (attachments.get(arn, 0), boundaries.get(arn, 0))
            for arn in attachments.keys() | boundaries.keys()
        }

    def usage(self, policy: ManagedPolicy) -> tuple[int, int]:
        if self._use is None:
            self._use = self._count_use()
        return self._use.get(policy.arn, (0, 0))

    def _policies(self) -> list[ManagedPolicy]:
        found: list[ManagedPolicy] = []
        if "LocalManagedPolicy" in self.wanted:
            found += self.tx.policies.all([self.account_id])
        if "AWSManagedPolicy" in self.wanted:
            if self._use is None:
                self._use = self._count_use()
            for arn in self._use:
                policy = self.tx.policies.get(arn)
                if policy is not None and policy.aws_managed:
                    found.append(policy)
        return found

    def items(self) -> list[_Item]:
        items: list[_Item] = []
        if "User" in self.wanted:
            items += [_Item(f"1{u.name.lower()}", u) for u in self.users]
        if "Group" in self.wanted:
            items += [_Item(f"2{g.name.lower()}", g) for g in self.groups]
        if "Role" in self.wanted:
            items += [_Item(f"3{r.name.lower()}", r) for r in self.roles]
        items += [_Item(f"4{p.name.lower()}\0{p.arn}", p) for p in self._policies()]
        # Sorted here, not by the database: pagination compares keys as Python does, and a
        # PostgreSQL collation may order names differently.
        return sorted(items, key=lambda item: item.key)


@REGISTRY.operation("GetAccountAuthorizationDetails", target=star_target)
def get_account_authorization_details(call: Call) -> dict[str, Any]:
    wanted = set(call.param("Filter") or ALL_FILTERS)
    out: dict[str, Any] = {
        "UserDetailList": [],
        "GroupDetailList": [],
        "RoleDetailList": [],
        "Policies": [],
    }
    with call.store.read() as tx:
        snapshot = _Snapshot(tx, call.account_id, wanted)
        page, more = paginate(call, snapshot.items(), key=lambda item: item.key)
        for item in page:
            entity = item.entity
            if isinstance(entity, User):
                out["UserDetailList"].append(user_detail(tx, entity))
            elif isinstance(entity, Group):
                out["GroupDetailList"].append(group_detail(tx, entity))
            elif isinstance(entity, Role):
                out["RoleDetailList"].append(role_detail(tx, entity))
            else:
                out["Policies"].append(policy_detail(tx, entity, snapshot.usage(entity)))
    return {**out, **more}
