"""Instance profiles: the container that hands one role to an EC2 instance.

https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateInstanceProfile.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-ec2_instance-profiles.html
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from iamd.errors import DeleteConflict, EntityAlreadyExists, LimitExceeded, NoSuchEntity
from iamd.services.call import Call
from iamd.services.iam.common import (
    REGISTRY,
    account_target,
    check_tag_quota,
    entity_target,
    find_role,
    new_entity_target,
    paginate,
    register_tag_operations,
    role_or_404,
    tag_dicts,
    tags_from,
)
from iamd.services.iam.roles import role_dict
from iamd.services.registry import Target
from iamd.store import ConflictError, Tx
from iamd.store.records import InstanceProfile, Role, Tag

KIND = "instance-profile"
"""Tags and change-feed entries of a profile are keyed by its id under this kind.

Every write records a change, even a tag's: other processes cache profiles and their tags for
authorization targets (``aws:ResourceTag/*``) until the change feed tells them otherwise."""
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
MAX_INSTANCE_PROFILES = 1000
ROLES_PER_PROFILE = 1


def find_profile(tx: Tx, account_id: str, name: str) -> InstanceProfile | None:
    return tx.instance_profiles.get(account_id, name)


def profile_or_404(tx: Tx, account_id: str, name: str) -> InstanceProfile:
    profile = tx.instance_profiles.get(account_id, name)
    if profile is None:
        raise NoSuchEntity(f"Instance Profile {name} cannot be found.")
    return profile


def _with_tag_keys(base: Callable[[Call, Tx], Target]) -> Callable[[Call, Tx], Target]:
    """Untag calls carry the keys they remove as ``aws:TagKeys``, as AWS authorizes them."""

    def target(call: Call, tx: Tx) -> Target:
        found = base(call, tx)
        keys = call.param("TagKeys")
        if keys:
            found.context["aws:TagKeys"] = list(keys)
        return found

    return target


_profile = entity_target(KIND, "InstanceProfileName", find_profile)
_untag_profile = _with_tag_keys(_profile)


def profile_dict(
    profile: InstanceProfile, roles: list[Role], tags: list[Tag] | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Path": profile.path,
        "InstanceProfileName": profile.name,
        "InstanceProfileId": profile.id,
        "Arn": profile.arn,
        "CreateDate": profile.create_date,
        "Roles": [role_dict(r) for r in roles],
    }
    if tags:
        out["Tags"] = tag_dicts(tags)
    return out


@REGISTRY.operation("CreateInstanceProfile", target=new_entity_target(KIND, "InstanceProfileName"))
def create_instance_profile(call: Call) -> dict[str, Any]:
    tags = tags_from(call.params)
    check_tag_quota([], tags)
    with call.store.write() as tx:
        if tx.instance_profiles.count(call.account_id) >= MAX_INSTANCE_PROFILES:
            raise LimitExceeded(
                f"Cannot exceed quota for InstanceProfilesPerAccount: {MAX_INSTANCE_PROFILES}"
            )
        try:
            profile = tx.instance_profiles.create(
                call.account_id, call.params["InstanceProfileName"], call.param("Path") or "/"
            )
        except ConflictError as exc:
            raise EntityAlreadyExists(str(exc)) from None
        tx.tags.put(KIND, profile.id, tags)
        tx.changes.record(KIND, profile.id)
    return {"InstanceProfile": profile_dict(profile, [], tags)}


@REGISTRY.operation("GetInstanceProfile", target=_profile)
def get_instance_profile(call: Call) -> dict[str, Any]:
    with call.store.read() as tx:
        profile = profile_or_404(tx, call.account_id, call.params["InstanceProfileName"])
        roles = tx.instance_profiles.roles(profile.id)
        tags = tx.tags.all(KIND, profile.id)
    return {"InstanceProfile": profile_dict(profile, roles, tags)}


def _listing(
    call: Call, tx: Tx, profiles: list[InstanceProfile]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """One page of profiles, each with its roles; listings leave tags out, as AWS's do."""
    page, more = paginate(call, profiles, key=lambda p: p.name.lower())
    roles = tx.instance_profiles.roles_of([p.id for p in page])
    return [profile_dict(p, roles[p.id]) for p in page], more


@REGISTRY.operation("ListInstanceProfiles", target=account_target(KIND))
def list_instance_profiles(call: Call) -> dict[str, Any]:
    with call.store.read() as tx:
        profiles = tx.instance_profiles.all(call.account_id, call.param("PathPrefix") or "/")
        items, more = _listing(call, tx, profiles)
    return {"InstanceProfiles": items, **more}


@REGISTRY.operation(
    "ListInstanceProfilesForRole", target=entity_target("role", "RoleName", find_role)
)
def list_instance_profiles_for_role(call: Call) -> dict[str, Any]:
    with call.store.read() as tx:
        role = role_or_404(tx, call.account_id, call.params["RoleName"])
        items, more = _listing(call, tx, tx.instance_profiles.of_role(role.id))
    return {"InstanceProfiles": items, **more}


def _profile_and_pass_role(call: Call, tx: Tx) -> Target:
    """Adding a role hands it to EC2: AWS also requires iam:PassRole on the role.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-ec2_instance-profiles.html
    """
    target = _profile(call, tx)
    role = tx.roles.get(call.account_id, call.param("RoleName") or "")
    role_arn = role.arn if role else f"arn:aws:iam::{call.account_id}:role/{call.param('RoleName')}"
    passed = Target(role_arn, {"iam:PassedToService": "ec2.amazonaws.com"})
    return Target(
        target.resource, target.context, target.resource_account, also=(("iam:PassRole", passed),)
    )


@REGISTRY.operation("AddRoleToInstanceProfile", target=_profile_and_pass_role)
def add_role_to_instance_profile(call: Call) -> dict[str, Any]:
    with call.store.write() as tx:
        profile = profile_or_404(tx, call.account_id, call.params["InstanceProfileName"])
        role = role_or_404(tx, call.account_id, call.params["RoleName"])
        # AWS answers LimitExceeded even when the role asked for is the one already there.
        if len(tx.instance_profiles.roles(profile.id)) >= ROLES_PER_PROFILE:
            raise LimitExceeded(
                f"Cannot exceed quota for InstanceSessionsPerInstanceProfile: {ROLES_PER_PROFILE}"
            )
        tx.instance_profiles.add_role(profile.id, role.id)
        tx.changes.record(KIND, profile.id)
    return {}


@REGISTRY.operation("RemoveRoleFromInstanceProfile", target=_profile)
def remove_role_from_instance_profile(call: Call) -> dict[str, Any]:
    with call.store.write() as tx:
        profile = profile_or_404(tx, call.account_id, call.params["InstanceProfileName"])
        role = role_or_404(tx, call.account_id, call.params["RoleName"])
        if not tx.instance_profiles.remove_role(profile.id, role.id):
            raise NoSuchEntity(
                f"The role with name {role.name} is not in instance profile {profile.name}."
            )
        tx.changes.record(KIND, profile.id)
    return {}


@REGISTRY.operation("DeleteInstanceProfile", target=_profile)
def delete_instance_profile(call: Call) -> dict[str, Any]:
    with call.store.write() as tx:
        profile = profile_or_404(tx, call.account_id, call.params["InstanceProfileName"])
        if tx.instance_profiles.roles(profile.id):
            raise DeleteConflict(
                "Cannot delete entity, must remove roles from instance profile first."
            )
        tx.tags.drop(KIND, profile.id)
        tx.instance_profiles.delete(profile.id)
        tx.changes.record(KIND, profile.id)
    return {}


register_tag_operations(
    "InstanceProfile",
    KIND,
    lambda call, tx: profile_or_404(tx, call.account_id, call.params["InstanceProfileName"]).id,
    _profile,
)
