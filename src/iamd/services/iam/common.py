"""Shared pieces of the IAM handlers: the registry, lookups that raise AWS's errors,
pagination, tags and quotas."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from iamd.errors import InvalidInput, LimitExceeded, NoSuchEntity, UnmodifiableEntity
from iamd.services.call import Call
from iamd.services.registry import Registry, Target
from iamd.store import Tx
from iamd.store.records import Group, ManagedPolicy, Role, Tag, User

REGISTRY = Registry("iam")
T = TypeVar("T")

# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
MAX_TAGS = 50
MAX_ATTACHED_POLICIES = 10
MAX_GROUPS_PER_USER = 10
MAX_ACCESS_KEYS = 2
MAX_POLICY_VERSIONS = 5
MAX_USERS = 5000
MAX_ROLES = 1000
MAX_GROUPS = 300
MAX_MANAGED_POLICIES = 1500
INLINE_SIZE = {"user": 2048, "group": 5120, "role": 10240}
MANAGED_POLICY_SIZE = 6144


def user_or_404(tx: Tx, account_id: str, name: str) -> User:
    user = tx.users.get(account_id, name)
    if user is None:
        raise NoSuchEntity(f"The user with name {name} cannot be found.")
    return user


def group_or_404(tx: Tx, account_id: str, name: str) -> Group:
    group = tx.groups.get(account_id, name)
    if group is None:
        raise NoSuchEntity(f"The group with name {name} cannot be found.")
    return group


def role_or_404(tx: Tx, account_id: str, name: str) -> Role:
    role = tx.roles.get(account_id, name)
    if role is None:
        raise NoSuchEntity(f"The role with name {name} cannot be found.")
    return role


def find_user(tx: Tx, account_id: str, name: str) -> User | None:
    return tx.users.get(account_id, name)


def find_group(tx: Tx, account_id: str, name: str) -> Group | None:
    return tx.groups.get(account_id, name)


def find_role(tx: Tx, account_id: str, name: str) -> Role | None:
    return tx.roles.get(account_id, name)


def protected_role_error(role: Role) -> UnmodifiableEntity | None:
    """What AWS answers when a caller (not the service) changes or deletes a service-linked
    role; ``None`` for ordinary roles."""
    if not role.service_linked:
        return None
    return UnmodifiableEntity(
        f"Cannot perform the operation on the protected role '{role.name}' - this role is "
        "only modifiable by AWS"
    )


def modifiable_role_or_404(tx: Tx, account_id: str, name: str) -> Role:
    """A role the caller may change: service-linked roles are modifiable only by AWS."""
    role = role_or_404(tx, account_id, name)
    error = protected_role_error(role)
    if error is not None:
        raise error
    return role


def policy_or_404(tx: Tx, arn: str) -> ManagedPolicy:
    policy = tx.policies.get(arn)
    if policy is None:
        raise NoSuchEntity(f"Policy {arn} does not exist or is not attachable.")
    return policy


# Pagination ----------------------------------------------------------------------------


def paginate(
    call: Call, items: Sequence[T], key: Callable[[T], str]
) -> tuple[list[T], dict[str, Any]]:
    """Apply ``Marker`` and ``MaxItems`` as AWS does; returns the page and the truncation fields.

    The marker is opaque to clients: the sort key of the next item, base64-encoded.
    """
    max_items = call.param("MaxItems") or 100
    start = 0
    marker = call.param("Marker")
    if marker:
        try:
            after = base64.urlsafe_b64decode(marker.encode()).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise InvalidInput("Invalid Marker.") from None
        start = next((i for i, item in enumerate(items) if key(item) == after), -1)
        if start < 0:  # the item was deleted since: resume at the next one in key order
            start = next((i for i, item in enumerate(items) if key(item) > after), len(items))
    page = list(items[start : start + max_items])
    if start + max_items < len(items):
        following = key(items[start + max_items])
        return page, {
            "IsTruncated": True,
            "Marker": base64.urlsafe_b64encode(following.encode()).decode(),
        }
    return page, {"IsTruncated": False}


# Tags ----------------------------------------------------------------------------------


def tags_from(params: dict[str, Any]) -> list[Tag]:
    """Validate ``Tags`` as AWS does: no duplicate keys (ignoring case), no ``aws:`` keys."""
    raw = params.get("Tags") or []
    seen: set[str] = set()
    tags = []
    for item in raw:
        key, value = item["Key"], item.get("Value", "")
        if key.lower().startswith("aws:"):
            raise InvalidInput("User is not authorized to create tags with the prefix aws:.")
        if key.lower() in seen:
            raise InvalidInput(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive."
            )
        seen.add(key.lower())
        tags.append(Tag(key, value))
    return tags


def check_tag_quota(existing: list[Tag], new: list[Tag]) -> None:
    keys = {t.key.lower() for t in existing} | {t.key.lower() for t in new}
    if len(keys) > MAX_TAGS:
        raise LimitExceeded(f"The number of tags has reached the maximum limit of {MAX_TAGS}.")


def register_tag_operations(
    noun: str,
    kind: str,
    resource_id: Callable[[Call, Tx], str],
    target: Callable[[Call, Tx], Target],
    quota: Callable[[list[Tag], list[Tag]], None] | None = None,
) -> None:
    """``Tag<noun>``, ``Untag<noun>`` and ``List<noun>Tags``, alike for every taggable entity.

    ``resource_id`` finds the entity (raising NoSuchEntity) and names its tags' key; ``kind``
    is the tags' resource kind and the change-feed kind, so a tag change drops cached
    authorization targets everywhere.  Untag calls carry the keys they remove as
    ``aws:TagKeys``, as AWS authorizes them.
    """
    check = quota or check_tag_quota

    def untag_target(call: Call, tx: Tx) -> Target:
        found = target(call, tx)
        keys = call.param("TagKeys")
        if keys:
            found.context["aws:TagKeys"] = list(keys)
        return found

    def tag(call: Call) -> dict[str, Any]:
        tags = tags_from(call.params)
        with call.store.write() as tx:
            key = resource_id(call, tx)
            check(tx.tags.all(kind, key), tags)
            tx.tags.put(kind, key, tags)
            tx.changes.record(kind, key)
        return {}

    def untag(call: Call) -> dict[str, Any]:
        with call.store.write() as tx:
            key = resource_id(call, tx)
            tx.tags.remove(kind, key, call.params["TagKeys"])
            tx.changes.record(kind, key)
        return {}

    def list_tags(call: Call) -> dict[str, Any]:
        with call.store.read() as tx:
            tags = tx.tags.all(kind, resource_id(call, tx))
        page, more = paginate(call, tags, key=lambda t: t.key)
        return {"Tags": tag_dicts(page), **more}

    REGISTRY.operation(f"Tag{noun}", target=target)(tag)
    REGISTRY.operation(f"Untag{noun}", target=untag_target)(untag)
    REGISTRY.operation(f"List{noun}Tags", target=target)(list_tags)


def tag_dicts(tags: list[Tag]) -> list[dict[str, str]]:
    return [{"Key": t.key, "Value": t.value} for t in tags]


def request_tag_context(params: dict[str, Any]) -> dict[str, str | list[str]]:
    """``aws:RequestTag/<key>`` and ``aws:TagKeys`` for a call that carries ``Tags``."""
    raw = params.get("Tags") or []
    context: dict[str, str | list[str]] = {
        f"aws:RequestTag/{t['Key']}": t.get("Value", "") for t in raw
    }
    if raw:
        context["aws:TagKeys"] = [t["Key"] for t in raw]
    return context


def resource_tag_context(tags: list[Tag]) -> dict[str, str | list[str]]:
    """``aws:ResourceTag/<key>`` and ``iam:ResourceTag/<key>`` of an existing entity."""
    context: dict[str, str | list[str]] = {}
    for tag in tags:
        context[f"aws:ResourceTag/{tag.key}"] = tag.value
        context[f"iam:ResourceTag/{tag.key}"] = tag.value
    return context


# Targets -------------------------------------------------------------------------------


def account_target(kind: str) -> Callable[[Call, Tx], Target]:
    """List and account-wide operations: ``arn:aws:iam::ACCOUNT:user/`` and the like."""

    def target(call: Call, tx: Tx) -> Target:
        prefix = call.param("PathPrefix") or "/"
        return Target(f"arn:aws:iam::{call.account_id}:{kind}{prefix}")

    return target


def star_target(call: Call, tx: Tx) -> Target:
    return Target("*")


def entity_target(
    kind: str, param: str, lookup: Callable[[Tx, str, str], Any], *, default_self: bool = False
) -> Callable[[Call, Tx], Target]:
    """An existing user, group or role named by ``param``; adds its tags as resource tags."""

    def target(call: Call, tx: Tx) -> Target:
        name = call.param(param)
        if name is None and default_self:
            return Target(call.caller.arn)
        context: dict[str, str | list[str]] = request_tag_context(call.params)
        if "PolicyArn" in call.params:
            context["iam:PolicyARN"] = call.params["PolicyArn"]
        if "PermissionsBoundary" in call.params:
            context["iam:PermissionsBoundary"] = call.params["PermissionsBoundary"]
        found = _entity_with_tags(call, kind, name, lookup) if name else None
        if found is None:
            return Target(f"arn:aws:iam::{call.account_id}:{kind}/{name or ''}", context)
        entity, tags = found
        context.update(resource_tag_context(tags))
        return Target(entity.arn, context)

    return target


def _entity_with_tags(
    call: Call, kind: str, name: str, lookup: Callable[[Tx, str, str], Any]
) -> tuple[Any, list[Tag]] | None:
    """An entity and its tags, from the read cache (dropped on every change)."""

    def load(tx: Tx) -> tuple[Any, list[Tag]] | None:
        entity = lookup(tx, call.account_id, name)
        return (entity, tx.tags.all(kind, entity.id)) if entity is not None else None

    return call.store.cached((kind, call.account_id, name.lower()), load)


def cached_user(call: Call, name: str) -> tuple[User, list[Tag]]:
    """A user and its tags for read-only calls, or NoSuchEntity."""
    found = _entity_with_tags(call, "user", name, find_user)
    if found is None:
        raise NoSuchEntity(f"The user with name {name} cannot be found.")
    return found


def cached_role(call: Call, name: str) -> tuple[Role, list[Tag]]:
    found = _entity_with_tags(call, "role", name, find_role)
    if found is None:
        raise NoSuchEntity(f"The role with name {name} cannot be found.")
    return found


def new_entity_target(kind: str, param: str) -> Callable[[Call, Tx], Target]:
    """A create call: the ARN the new entity will have, with its request tags."""

    def target(call: Call, tx: Tx) -> Target:
        path = call.param("Path") or "/"
        context = request_tag_context(call.params)
        if call.param("PermissionsBoundary"):
            context["iam:PermissionsBoundary"] = call.params["PermissionsBoundary"]
        return Target(f"arn:aws:iam::{call.account_id}:{kind}{path}{call.param(param)}", context)

    return target
