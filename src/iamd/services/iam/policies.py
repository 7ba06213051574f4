"""Managed policies and their versions, inline policies, and attachments.

https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicy.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-versioning.html
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from iamd.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    InvalidInput,
    LimitExceeded,
    NoSuchEntity,
)
from iamd.policy import PolicyKind
from iamd.services.call import Call
from iamd.services.iam.common import (
    INLINE_SIZE,
    MANAGED_POLICY_SIZE,
    MAX_ATTACHED_POLICIES,
    MAX_MANAGED_POLICIES,
    MAX_POLICY_VERSIONS,
    REGISTRY,
    account_target,
    check_tag_quota,
    entity_target,
    find_group,
    find_role,
    find_user,
    group_or_404,
    paginate,
    policy_or_404,
    register_tag_operations,
    request_tag_context,
    resource_tag_context,
    role_or_404,
    tag_dicts,
    tags_from,
    user_or_404,
)
from iamd.services.iam.documents import check_size, checked_policy, encoded
from iamd.services.registry import Target
from iamd.store import ConflictError, Tx
from iamd.store.records import ManagedPolicy, PolicyVersion

OWNERS: dict[str, tuple[str, Callable[[Tx, str, str], Any]]] = {
    "user": ("UserName", user_or_404),
    "group": ("GroupName", group_or_404),
    "role": ("RoleName", role_or_404),
}
_FINDERS = {"user": find_user, "group": find_group, "role": find_role}


def policy_dict(
    policy: ManagedPolicy,
    tx: Tx,
    account_id: str,
    full: bool = True,
    usage: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """The API's Policy; ``usage`` is the policy's entry of :meth:`Policies.usage` when the
    caller already has it (a page of ListPolicies counts all of its policies at once)."""
    if usage is None:
        usage = tx.policies.usage(account_id, [policy.arn]).get(policy.arn, (0, 0))
    out: dict[str, Any] = {
        "PolicyName": policy.name,
        "PolicyId": policy.id,
        "Arn": policy.arn,
        "Path": policy.path,
        "DefaultVersionId": policy.default_version_id,
        "AttachmentCount": usage[0],
        "PermissionsBoundaryUsageCount": usage[1],
        "IsAttachable": policy.is_attachable,
        "CreateDate": policy.create_date,
        "UpdateDate": policy.update_date,
    }
    if full and policy.description:
        out["Description"] = policy.description
    if full:
        tags = tx.tags.all("policy", policy.id)
        if tags:
            out["Tags"] = tag_dicts(tags)
    return out


def version_dict(version: PolicyVersion, default_id: str, document: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "VersionId": version.version_id,
        "IsDefaultVersion": version.version_id == default_id,
        "CreateDate": version.create_date,
    }
    if document:
        out["Document"] = encoded(version.document)
    return out


def _policy_target(call: Call, tx: Tx) -> Target:
    arn = call.param("PolicyArn") or ""
    context = request_tag_context(call.params)
    policy = tx.policies.get(arn)
    if policy is not None:
        context.update(resource_tag_context(tx.tags.all("policy", policy.id)))
    # AWS managed policies are readable (and attachable) from every account, as if its own.
    owner = call.account_id if arn.startswith("arn:aws:iam::aws:") else None
    return Target(arn, context, owner)


def _new_policy_target(call: Call, tx: Tx) -> Target:
    path = call.param("Path") or "/"
    return Target(
        f"arn:aws:iam::{call.account_id}:policy{path}{call.params['PolicyName']}",
        request_tag_context(call.params),
    )


def _managed_document(document: str) -> str:
    check_size(
        document, MANAGED_POLICY_SIZE, f"Cannot exceed quota for PolicySize: {MANAGED_POLICY_SIZE}"
    )
    checked_policy(document, PolicyKind.IDENTITY)
    return document


@REGISTRY.operation("CreatePolicy", target=_new_policy_target)
def create_policy(call: Call) -> dict[str, Any]:
    tags = tags_from(call.params)
    check_tag_quota([], tags)
    document = _managed_document(call.params["PolicyDocument"])
    with call.store.write() as tx:
        if tx.policies.count(call.account_id) >= MAX_MANAGED_POLICIES:
            raise LimitExceeded(
                f"Cannot exceed quota for PoliciesPerAccount: {MAX_MANAGED_POLICIES}"
            )
        try:
            policy = tx.policies.create(
                call.account_id,
                call.params["PolicyName"],
                call.param("Path") or "/",
                document,
                call.param("Description"),
            )
        except ConflictError as exc:
            raise EntityAlreadyExists(str(exc)) from None
        tx.tags.put("policy", policy.id, tags)
        tx.changes.record("policy", policy.arn)
        return {"Policy": policy_dict(policy, tx, call.account_id)}


@REGISTRY.operation("GetPolicy", target=_policy_target)
def get_policy(call: Call) -> dict[str, Any]:
    with call.store.read() as tx:
        policy = policy_or_404(tx, call.params["PolicyArn"])
        return {"Policy": policy_dict(policy, tx, call.account_id)}


@REGISTRY.operation("ListPolicies", target=account_target("policy"))
def list_policies(call: Call) -> dict[str, Any]:
    scope = call.param("Scope") or "All"
    owners = {"All": [call.account_id, "aws"], "AWS": ["aws"], "Local": [call.account_id]}[scope]
    only_attached = bool(call.param("OnlyAttached"))
    with call.store.read() as tx:
        policies = tx.policies.all(owners, call.param("PathPrefix") or "/")
        if only_attached:
            used = tx.policies.usage(call.account_id)
            policies = [p for p in policies if used.get(p.arn, (0, 0))[0]]
        page, more = paginate(call, policies, key=lambda p: p.name.lower() + "\0" + p.arn)
        usage = tx.policies.usage(call.account_id, [p.arn for p in page])
        return {
            "Policies": [
                policy_dict(p, tx, call.account_id, full=False, usage=usage.get(p.arn, (0, 0)))
                for p in page
            ],
            **more,
        }


@REGISTRY.operation("DeletePolicy", target=_policy_target)
def delete_policy(call: Call) -> dict[str, Any]:
    with call.store.write() as tx:
        policy = policy_or_404(tx, call.params["PolicyArn"])
        if policy.aws_managed:
            raise InvalidInput("Cannot delete an AWS managed policy.")
        if tx.policies.attachments_of(policy.arn):
            raise DeleteConflict("Cannot delete a policy attached to entities.")
        if len(tx.policies.versions(policy.id)) > 1:
            raise DeleteConflict(
                "This policy has more than one version. Before you delete a policy, you must "
                "delete the policy's versions. The default version is deleted with the policy."
            )
        tx.tags.drop("policy", policy.id)
        tx.policies.delete(policy.id)
        tx.changes.record("policy", policy.arn)
    return {}


@REGISTRY.operation("CreatePolicyVersion", target=_policy_target)
def create_policy_version(call: Call) -> dict[str, Any]:
    document = _managed_document(call.params["PolicyDocument"])
    with call.store.write() as tx:
        policy = policy_or_404(tx, call.params["PolicyArn"])
        if len(tx.policies.versions(policy.id)) >= MAX_POLICY_VERSIONS:
            raise LimitExceeded(
                "A managed policy can have up to 5 versions. Before you create a new version, "
                "you must delete an existing version."
            )
        make_default = bool(call.param("SetAsDefault"))
        version = tx.policies.add_version(policy, document, make_default)
        tx.changes.record("policy", policy.arn)
        default = version.version_id if make_default else policy.default_version_id
    return {"PolicyVersion": version_dict(version, default, document=False)}


def _version_or_404(tx: Tx, policy: ManagedPolicy, version_id: str) -> PolicyVersion:
    version = tx.policies.version(policy.id, version_id)
    if version is None:
        raise NoSuchEntity(
            f"Policy {policy.arn} version {version_id} does not exist or is not attachable."
        )
    return version


@REGISTRY.operation("GetPolicyVersion", target=_policy_target)
def get_policy_version(call: Call) -> dict[str, Any]:
    with call.store.read() as tx:
        policy = policy_or_404(tx, call.params["PolicyArn"])
        version = _version_or_404(tx, policy, call.params["VersionId"])
    return {"PolicyVersion": version_dict(version, policy.default_version_id)}


@REGISTRY.operation("ListPolicyVersions", target=_policy_target)
def list_policy_versions(call: Call) -> dict[str, Any]:
    with call.store.read() as tx:
        policy = policy_or_404(tx, call.params["PolicyArn"])
        versions = tx.policies.versions(policy.id)
    page, more = paginate(call, versions, key=lambda v: v.version_id)
    return {
        "Versions": [version_dict(v, policy.default_version_id, document=False) for v in page],
        **more,
    }


@REGISTRY.operation("DeletePolicyVersion", target=_policy_target)
def delete_policy_version(call: Call) -> dict[str, Any]:
    with call.store.write() as tx:
        policy = policy_or_404(tx, call.params["PolicyArn"])
        version = _version_or_404(tx, policy, call.params["VersionId"])
        if version.version_id == policy.default_version_id:
            raise DeleteConflict("Cannot delete the default version of a policy.")
        tx.policies.delete_version(policy.id, version.version_id)
        tx.changes.record("policy", policy.arn)
    return {}


@REGISTRY.operation("SetDefaultPolicyVersion", target=_policy_target)
def set_default_policy_version(call: Call) -> dict[str, Any]:
    with call.store.write() as tx:
        policy = policy_or_404(tx, call.params["PolicyArn"])
        version = _version_or_404(tx, policy, call.params["VersionId"])
        tx.policies.set_default(policy.id, version.version_id)
        tx.changes.record("policy", policy.arn)
    return {}


register_tag_operations(
    "Policy",
    "policy",
    lambda call, tx: policy_or_404(tx, call.params["PolicyArn"]).id,
    _policy_target,
)


@REGISTRY.operation("ListEntitiesForPolicy", target=_policy_target)
def list_entities_for_policy(call: Call) -> dict[str, Any]:
    wanted = call.param("EntityFilter")
    out: dict[str, list[dict[str, str]]] = {
        "PolicyGroups": [],
        "PolicyUsers": [],
        "PolicyRoles": [],
    }
    with call.store.read() as tx:
        policy = policy_or_404(tx, call.params["PolicyArn"])
        # An AWS managed policy is attached in many accounts; each sees only its own entities.
        mine = call.account_id
        for kind, owner_id in tx.policies.attachments_of(policy.arn):
            if wanted and wanted.lower() != kind:
                continue
            if kind == "user":
                user = tx.users.get_by_id(owner_id)
                if user is not None and user.account_id == mine:
                    out["PolicyUsers"].append({"UserName": user.name, "UserId": user.id})
            elif kind == "group":
                group = tx.groups.get_by_id(owner_id)
                if group is not None and group.account_id == mine:
                    out["PolicyGroups"].append({"GroupName": group.name, "GroupId": group.id})
            elif kind == "role":
                role = tx.roles.get_by_id(owner_id)
                if role is not None and role.account_id == mine:
                    out["PolicyRoles"].append({"RoleName": role.name, "RoleId": role.id})
    return {**out, "IsTruncated": False}


# Inline policies and attachments, the same for users, groups and roles -----------------


def _register_owner_operations(kind: str, noun: str) -> None:
    param, lookup = OWNERS[kind]
    target = entity_target(kind, param, _FINDERS[kind])

    def put(call: Call) -> dict[str, Any]:
        document = call.params["PolicyDocument"]
        name = call.params[param]
        check_size(
            document,
            INLINE_SIZE[kind],
            f"Maximum policy size of {INLINE_SIZE[kind]} bytes exceeded for {kind} {name}",
        )
        checked_policy(document, PolicyKind.IDENTITY, call.params["PolicyName"])
        with call.store.write() as tx:
            owner = lookup(tx, call.account_id, name)
            tx.policies.put_inline(kind, owner.id, call.params["PolicyName"], document)
            tx.changes.record(kind, owner.id)
        return {}

    def get(call: Call) -> dict[str, Any]:
        with call.store.read() as tx:
            owner = lookup(tx, call.account_id, call.params[param])
            policy = tx.policies.get_inline(kind, owner.id, call.params["PolicyName"])
        if policy is None:
            raise NoSuchEntity(
                f"The {kind} policy with name {call.params['PolicyName']} cannot be found."
            )
        return {
            param: owner.name,
            "PolicyName": policy.name,
            "PolicyDocument": encoded(policy.document),
        }

    def list_inline(call: Call) -> dict[str, Any]:
        with call.store.read() as tx:
            owner = lookup(tx, call.account_id, call.params[param])
            names = [p.name for p in tx.policies.list_inline(kind, owner.id)]
        page, more = paginate(call, names, key=lambda n: n)
        return {"PolicyNames": page, **more}

    def delete(call: Call) -> dict[str, Any]:
        with call.store.write() as tx:
            owner = lookup(tx, call.account_id, call.params[param])
            if not tx.policies.delete_inline(kind, owner.id, call.params["PolicyName"]):
                raise NoSuchEntity(
                    f"The {kind} policy with name {call.params['PolicyName']} cannot be found."
                )
            tx.changes.record(kind, owner.id)
        return {}

    def attach(call: Call) -> dict[str, Any]:
        with call.store.write() as tx:
            owner = lookup(tx, call.account_id, call.params[param])
            policy = policy_or_404(tx, call.params["PolicyArn"])
            attached = tx.policies.attached(kind, owner.id)
            if policy.arn not in attached and len(attached) >= MAX_ATTACHED_POLICIES:
                raise LimitExceeded(
                    f"Cannot exceed quota for PoliciesPer{noun}: {MAX_ATTACHED_POLICIES}"
                )
            tx.policies.attach(kind, owner.id, policy.arn)
            tx.changes.record(kind, owner.id)
        return {}

    def detach(call: Call) -> dict[str, Any]:
        with call.store.write() as tx:
            owner = lookup(tx, call.account_id, call.params[param])
            if not tx.policies.detach(kind, owner.id, call.params["PolicyArn"]):
                raise NoSuchEntity(f"Policy {call.params['PolicyArn']} was not found.")
            tx.changes.record(kind, owner.id)
        return {}

    def list_attached(call: Call) -> dict[str, Any]:
        prefix = call.param("PathPrefix") or "/"
        with call.store.read() as tx:
            owner = lookup(tx, call.account_id, call.params[param])
            policies = [tx.policies.get(arn) for arn in tx.policies.attached(kind, owner.id)]
        found = [p for p in policies if p is not None and p.path.startswith(prefix)]
        page, more = paginate(call, found, key=lambda p: p.arn)
        return {
            "AttachedPolicies": [{"PolicyName": p.name, "PolicyArn": p.arn} for p in page],
            **more,
        }

    for name, handler in (
        (f"Put{noun}Policy", put),
        (f"Get{noun}Policy", get),
        (f"List{noun}Policies", list_inline),
        (f"Delete{noun}Policy", delete),
        (f"Attach{noun}Policy", attach),
        (f"Detach{noun}Policy", detach),
        (f"ListAttached{noun}Policies", list_attached),
    ):
        REGISTRY.operation(name, target=target)(handler)


for _kind, _noun in (("user", "User"), ("group", "Group"), ("role", "Role")):
    _register_owner_operations(_kind, _noun)
