"""Roles: trust policies, session duration, boundaries, tags and last use.

https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html
"""

from __future__ import annotations

from typing import Any

from iamd.errors import DeleteConflict, EntityAlreadyExists, LimitExceeded
from iamd.policy import PolicyKind
from iamd.services.call import Call
from iamd.services.iam.common import (
    MAX_ROLES,
    REGISTRY,
    account_target,
    check_tag_quota,
    entity_target,
    find_role,
    modifiable_role_or_404,
    new_entity_target,
    paginate,
    policy_or_404,
    register_tag_operations,
    role_or_404,
    tag_dicts,
    tags_from,
)
from iamd.services.iam.documents import check_size, checked_policy, encoded
from iamd.services.iam.last_used import role_last_used
from iamd.services.iam.users import boundary_dict
from iamd.store import ConflictError, Tx
from iamd.store.records import Role, Tag

_role = entity_target("role", "RoleName", find_role)
TRUST_POLICY_SIZE = 2048


def role_dict(
    role: Role,
    tags: list[Tag] | None = None,
    full: bool = False,
    last_used: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """``full`` for GetRole's shape: boundary and ``RoleLastUsed`` (from ``last_used``)."""
    out: dict[str, Any] = {
        "Path": role.path,
        "RoleName": role.name,
        "RoleId": role.id,
        "Arn": role.arn,
        "CreateDate": role.create_date,
        "AssumeRolePolicyDocument": encoded(role.assume_role_policy),
        "MaxSessionDuration": role.max_session_duration,
    }
    if role.description is not None:
        out["Description"] = role.description
    if full and role.permissions_boundary:
        out["PermissionsBoundary"] = boundary_dict(role.permissions_boundary)
    if tags:
        out["Tags"] = tag_dicts(tags)
    if full:
        out["RoleLastUsed"] = last_used or {}
    return out


def _trust_policy(document: str) -> str:
    check_size(
        document,
        TRUST_POLICY_SIZE,
        f"Cannot exceed quota for ACLSizePerRole: {TRUST_POLICY_SIZE}",
    )
    checked_policy(document, PolicyKind.TRUST, "AssumeRolePolicyDocument")
    return document


@REGISTRY.operation("CreateRole", target=new_entity_target("role", "RoleName"))
def create_role(call: Call) -> dict[str, Any]:
    tags = tags_from(call.params)
    check_tag_quota([], tags)
    document = _trust_policy(call.params["AssumeRolePolicyDocument"])
    with call.store.write() as tx:
        if len(tx.roles.all(call.account_id)) >= MAX_ROLES:
            raise LimitExceeded(f"Cannot exceed quota for RolesPerAccount: {MAX_ROLES}")
        boundary = call.param("PermissionsBoundary")
        if boundary:
            policy_or_404(tx, boundary)
        try:
            role = tx.roles.create(
                call.account_id,
                call.params["RoleName"],
                call.param("Path") or "/",
                document,
                description=call.param("Description"),
                max_session_duration=call.param("MaxSessionDuration") or 3600,
                boundary=boundary,
            )
        except ConflictError as exc:
            raise EntityAlreadyExists(str(exc)) from None
        tx.tags.put("role", role.id, tags)
        tx.changes.record("role", role.id)
    return {"Role": role_dict(role, tags)}


@REGISTRY.operation("GetRole", target=_role)
def get_role(call: Call) -> dict[str, Any]:
    with call.store.read() as tx:
        role = role_or_404(tx, call.account_id, call.params["RoleName"])
        tags = tx.tags.all("role", role.id)
        last_used = role_last_used(tx, role)
    return {"Role": role_dict(role, tags, full=True, last_used=last_used)}


@REGISTRY.operation("ListRoles", target=account_target("role"))
def list_roles(call: Call) -> dict[str, Any]:
    prefix = call.param("PathPrefix") or "/"
    roles = call.store.cached(
        ("roles", call.account_id, prefix), lambda tx: tx.roles.all(call.account_id, prefix)
    )
    page, more = paginate(call, roles, key=lambda r: r.name.lower())
    return {"Roles": [role_dict(r) for r in page], **more}


def _update(call: Call, **values: Any) -> Role:
    with call.store.write() as tx:
        role = modifiable_role_or_404(tx, call.account_id, call.params["RoleName"])
        changes = {k: v for k, v in values.items() if v is not None}
        if changes:
            tx.roles.update(role.id, **changes)
        tx.changes.record("role", role.id)
        updated = tx.roles.get_by_id(role.id)
    assert updated is not None
    return updated


@REGISTRY.operation("UpdateRole", target=_role)
def update_role(call: Call) -> dict[str, Any]:
    _update(
        call,
        description=call.param("Description"),
        max_session_duration=call.param("MaxSessionDuration"),
    )
    return {}


@REGISTRY.operation("UpdateRoleDescription", target=_role)
def update_role_description(call: Call) -> dict[str, Any]:
    role = _update(call, description=call.params["Description"])
    with call.store.read() as tx:
        tags = tx.tags.all("role", role.id)
        last_used = role_last_used(tx, role)
    return {"Role": role_dict(role, tags, full=True, last_used=last_used)}


@REGISTRY.operation("UpdateAssumeRolePolicy", target=_role)
def update_assume_role_policy(call: Call) -> dict[str, Any]:
    _update(call, assume_role_policy=_trust_policy(call.params["PolicyDocument"]))
    return {}


def _delete_conflict(tx: Tx, role: Role) -> str | None:
    if tx.policies.list_inline("role", role.id):
        return "Cannot delete entity, must delete policies first."
    if tx.policies.attached("role", role.id):
        return "Cannot delete entity, must detach all policies first."
    if tx.instance_profiles.of_role(role.id):
        return "Cannot delete entity, must remove roles from instance profile first."
    return None


@REGISTRY.operation("DeleteRole", target=_role)
def delete_role(call: Call) -> dict[str, Any]:
    with call.store.write() as tx:
        role = modifiable_role_or_404(tx, call.account_id, call.params["RoleName"])
        problem = _delete_conflict(tx, role)
        if problem:
            raise DeleteConflict(problem)
        tx.tags.drop("role", role.id)
        tx.roles.delete(role.id)
        tx.changes.record("role", role.id)
    return {}


register_tag_operations(
    "Role",
    "role",
    lambda call, tx: role_or_404(tx, call.account_id, call.params["RoleName"]).id,
    _role,
)


@REGISTRY.operation("PutRolePermissionsBoundary", target=_role)
def put_role_permissions_boundary(call: Call) -> dict[str, Any]:
    with call.store.read() as tx:
        policy_or_404(tx, call.params["PermissionsBoundary"])
    _update(call, permissions_boundary=call.params["PermissionsBoundary"])
    return {}


@REGISTRY.operation("DeleteRolePermissionsBoundary", target=_role)
def delete_role_permissions_boundary(call: Call) -> dict[str, Any]:
    with call.store.write() as tx:
        role = modifiable_role_or_404(tx, call.account_id, call.params["RoleName"])
        tx.roles.update(role.id, permissions_boundary=None)
        tx.changes.record("role", role.id)
    return {}
