"""Users: CreateUser, GetUser, ListUsers, UpdateUser, DeleteUser, tags and boundaries.

https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateUser.html
"""

from __future__ import annotations

from typing import Any

from iamd.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    LimitExceeded,
    NoSuchEntity,
    ValidationError,
)
from iamd.services.call import Call
from iamd.services.iam.common import (
    MAX_USERS,
    REGISTRY,
    account_target,
    cached_user,
    check_tag_quota,
    entity_target,
    find_user,
    new_entity_target,
    paginate,
    policy_or_404,
    register_tag_operations,
    tag_dicts,
    tags_from,
    user_or_404,
)
from iamd.store import ConflictError, Tx
from iamd.store.records import Tag, User

_user = entity_target("user", "UserName", find_user)
_self_or_user = entity_target("user", "UserName", find_user, default_self=True)


def boundary_dict(arn: str | None) -> dict[str, str] | None:
    if not arn:
        return None
    return {"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": arn}


def user_dict(user: User, tags: list[Tag] | None = None, full: bool = False) -> dict[str, Any]:
    """The ``User`` shape; ``full`` adds what GetUser returns beyond ListUsers."""
    out: dict[str, Any] = {
        "Path": user.path,
        "UserName": user.name,
        "UserId": user.id,
        "Arn": user.arn,
        "CreateDate": user.create_date,
    }
    if user.password_last_used:
        out["PasswordLastUsed"] = user.password_last_used
    if full and user.permissions_boundary:
        out["PermissionsBoundary"] = boundary_dict(user.permissions_boundary)
    if tags:
        out["Tags"] = tag_dicts(tags)
    return out


def _checked_boundary(tx: Tx, arn: str | None) -> str | None:
    if arn:
        policy_or_404(tx, arn)
    return arn


@REGISTRY.operation("CreateUser", target=new_entity_target("user", "UserName"))
def create_user(call: Call) -> dict[str, Any]:
    tags = tags_from(call.params)
    check_tag_quota([], tags)
    with call.store.write() as tx:
        if tx.users.count(call.account_id) >= MAX_USERS:
            raise LimitExceeded(f"Cannot exceed quota for UsersPerAccount: {MAX_USERS}")
        boundary = _checked_boundary(tx, call.param("PermissionsBoundary"))
        try:
            user = tx.users.create(
                call.account_id, call.params["UserName"], call.param("Path") or "/", boundary
            )
        except ConflictError as exc:
            raise EntityAlreadyExists(str(exc)) from None
        tx.tags.put("user", user.id, tags)
        tx.changes.record("user", user.id)
    return {"User": user_dict(user, tags, full=True)}


@REGISTRY.operation("GetUser", target=_self_or_user)
def get_user(call: Call) -> dict[str, Any]:
    name = call.param("UserName")
    if name is None:
        return _get_self(call)
    user, tags = cached_user(call, name)
    return {"User": user_dict(user, tags, full=True)}


def _get_self(call: Call) -> dict[str, Any]:
    """GetUser without a name: the caller itself (the root user gets the account's identity)."""
    with call.store.read() as tx:
        if call.caller.is_root:
            account = tx.accounts.get(call.account_id)
            return {
                "User": {
                    "UserId": call.account_id,
                    "Arn": f"arn:aws:iam::{call.account_id}:root",
                    "CreateDate": account.create_date if account else None,
                }
            }
        if call.caller.user_id is None:
            raise ValidationError("Must specify userName when calling with non-User credentials")
        user = tx.users.get_by_id(call.caller.user_id)
        if user is None:
            raise NoSuchEntity("The user with name unknown cannot be found.")
        tags = tx.tags.all("user", user.id)
    return {"User": user_dict(user, tags, full=True)}


@REGISTRY.operation("ListUsers", target=account_target("user"))
def list_users(call: Call) -> dict[str, Any]:
    prefix = call.param("PathPrefix") or "/"
    users = call.store.cached(
        ("users", call.account_id, prefix), lambda tx: tx.users.all(call.account_id, prefix)
    )
    page, more = paginate(call, users, key=lambda u: u.name.lower())
    return {"Users": [user_dict(u) for u in page], **more}


@REGISTRY.operation("UpdateUser", target=_user)
def update_user(call: Call) -> dict[str, Any]:
    with call.store.write() as tx:
        user = user_or_404(tx, call.account_id, call.params["UserName"])
        try:
            updated = tx.users.rename(user, call.param("NewUserName"), call.param("NewPath"))
        except ConflictError as exc:
            raise EntityAlreadyExists(str(exc)) from None
        tx.changes.record("user", updated.id)
    return {}


def _delete_conflict(tx: Tx, user: User) -> str | None:
    # Other credential families each know what of theirs blocks a deletion.
    from iamd.services.iam import login_profiles, mfa

    problem = login_profiles.delete_conflicts(tx, user)
    if problem:
        return problem
    if tx.access_keys.of_user(user.id):
        return "Cannot delete entity, must delete access keys first."
    if tx.policies.list_inline("user", user.id):
        return "Cannot delete entity, must delete policies first."
    if tx.policies.attached("user", user.id):
        return "Cannot delete entity, must detach all policies first."
    if tx.groups.of_user(user.id):
        return "Cannot delete entity, must remove user from all groups first."
    return mfa.delete_conflicts(tx, user)


@REGISTRY.operation("DeleteUser", target=_user)
def delete_user(call: Call) -> dict[str, Any]:
    with call.store.write() as tx:
        user = user_or_404(tx, call.account_id, call.params["UserName"])
        problem = _delete_conflict(tx, user)
        if problem:
            raise DeleteConflict(problem)
        tx.tags.drop("user", user.id)
        tx.users.delete(user.id)
        tx.changes.record("user", user.id)
    return {}


register_tag_operations(
    "User",
    "user",
    lambda call, tx: user_or_404(tx, call.account_id, call.params["UserName"]).id,
    _user,
)


@REGISTRY.operation("PutUserPermissionsBoundary", target=_user)
def put_user_permissions_boundary(call: Call) -> dict[str, Any]:
    with call.store.write() as tx:
        user = user_or_404(tx, call.account_id, call.params["UserName"])
        tx.users.set_boundary(user.id, _checked_boundary(tx, call.params["PermissionsBoundary"]))
        tx.changes.record("user", user.id)
    return {}


@REGISTRY.operation("DeleteUserPermissionsBoundary", target=_user)
def delete_user_permissions_boundary(call: Call) -> dict[str, Any]:
    with call.store.write() as tx:
        user = user_or_404(tx, call.account_id, call.params["UserName"])
        tx.users.set_boundary(user.id, None)
        tx.changes.record("user", user.id)
    return {}
