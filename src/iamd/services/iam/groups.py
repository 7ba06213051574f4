"""Groups and membership.

https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateGroup.html
"""

from __future__ import annotations

from typing import Any

from iamd.errors import DeleteConflict, EntityAlreadyExists, LimitExceeded, NoSuchEntity
from iamd.services.call import Call
from iamd.services.iam.common import (
    MAX_GROUPS,
    MAX_GROUPS_PER_USER,
    REGISTRY,
    account_target,
    entity_target,
    find_group,
    find_user,
    group_or_404,
    new_entity_target,
    paginate,
    user_or_404,
)
from iamd.services.iam.users import user_dict
from iamd.store import ConflictError
from iamd.store.records import Group

_group = entity_target("group", "GroupName", find_group)
_user = entity_target("user", "UserName", find_user)


def group_dict(group: Group) -> dict[str, Any]:
    return {
        "Path": group.path,
        "GroupName": group.name,
        "GroupId": group.id,
        "Arn": group.arn,
        "CreateDate": group.create_date,
    }


@REGISTRY.operation("CreateGroup", target=new_entity_target("group", "GroupName"))
def create_group(call: Call) -> dict[str, Any]:
    with call.store.write() as tx:
        if len(tx.groups.all(call.account_id)) >= MAX_GROUPS:
            raise LimitExceeded(f"Cannot exceed quota for GroupsPerAccount: {MAX_GROUPS}")
        try:
            group = tx.groups.create(
                call.account_id, call.params["GroupName"], call.param("Path") or "/"
            )
        except ConflictError as exc:
            raise EntityAlreadyExists(str(exc)) from None
        tx.changes.record("group", group.id)
    return {"Group": group_dict(group)}


@REGISTRY.operation("GetGroup", target=_group)
def get_group(call: Call) -> dict[str, Any]:
    with call.store.read() as tx:
        group = group_or_404(tx, call.account_id, call.params["GroupName"])
        members = tx.groups.members(group.id)
    page, more = paginate(call, members, key=lambda u: u.id)
    return {"Group": group_dict(group), "Users": [user_dict(u) for u in page], **more}


@REGISTRY.operation("ListGroups", target=account_target("group"))
def list_groups(call: Call) -> dict[str, Any]:
    with call.store.read() as tx:
        groups = tx.groups.all(call.account_id, call.param("PathPrefix") or "/")
    page, more = paginate(call, groups, key=lambda g: g.name.lower())
    return {"Groups": [group_dict(g) for g in page], **more}


@REGISTRY.operation("UpdateGroup", target=_group)
def update_group(call: Call) -> dict[str, Any]:
    with call.store.write() as tx:
        group = group_or_404(tx, call.account_id, call.params["GroupName"])
        try:
            tx.groups.rename(group, call.param("NewGroupName"), call.param("NewPath"))
        except ConflictError as exc:
            raise EntityAlreadyExists(str(exc)) from None
        tx.changes.record("group", group.id)
    return {}


@REGISTRY.operation("DeleteGroup", target=_group)
def delete_group(call: Call) -> dict[str, Any]:
    with call.store.write() as tx:
        group = group_or_404(tx, call.account_id, call.params["GroupName"])
        if tx.groups.members(group.id):
            raise DeleteConflict("Cannot delete entity, must remove users from group first.")
        if tx.policies.list_inline("group", group.id):
            raise DeleteConflict("Cannot delete entity, must delete policies first.")
        if tx.policies.attached("group", group.id):
            raise DeleteConflict("Cannot delete entity, must detach all policies first.")
        tx.groups.delete(group.id)
        tx.changes.record("group", group.id)
    return {}


@REGISTRY.operation("AddUserToGroup", target=_group)
def add_user_to_group(call: Call) -> dict[str, Any]:
    with call.store.write() as tx:
        group = group_or_404(tx, call.account_id, call.params["GroupName"])
        user = user_or_404(tx, call.account_id, call.params["UserName"])
        current = tx.groups.of_user(user.id)
        if group.id not in {g.id for g in current} and len(current) >= MAX_GROUPS_PER_USER:
            raise LimitExceeded(f"Cannot exceed quota for GroupsPerUser: {MAX_GROUPS_PER_USER}")
        tx.groups.add_member(group.id, user.id)
        tx.changes.record("user", user.id)
    return {}


@REGISTRY.operation("RemoveUserFromGroup", target=_group)
def remove_user_from_group(call: Call) -> dict[str, Any]:
    with call.store.write() as tx:
        group = group_or_404(tx, call.account_id, call.params["GroupName"])
        user = user_or_404(tx, call.account_id, call.params["UserName"])
        if not tx.groups.remove_member(group.id, user.id):
            raise NoSuchEntity(f"User {user.name} is not in group {group.name}.")
        tx.changes.record("user", user.id)
    return {}


@REGISTRY.operation("ListGroupsForUser", target=_user)
def list_groups_for_user(call: Call) -> dict[str, Any]:
    with call.store.read() as tx:
        user = user_or_404(tx, call.account_id, call.params["UserName"])
        groups = tx.groups.of_user(user.id)
    page, more = paginate(call, groups, key=lambda g: g.id)
    return {"Groups": [group_dict(g) for g in page], **more}
