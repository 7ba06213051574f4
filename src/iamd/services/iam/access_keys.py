"""Access keys: at most two per user, Active or Inactive, with last-use tracking.

https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateAccessKey.html
"""

from __future__ import annotations

from typing import Any

from iamd.errors import LimitExceeded, NoSuchEntity, ValidationError
from iamd.services.call import Call
from iamd.services.iam.common import (
    MAX_ACCESS_KEYS,
    REGISTRY,
    entity_target,
    find_user,
    paginate,
    user_or_404,
)
from iamd.services.iam.last_used import access_key_last_used
from iamd.services.registry import Target
from iamd.store import Tx
from iamd.store.records import AccessKey, User

_self_or_user = entity_target("user", "UserName", find_user, default_self=True)


def _owner(call: Call, tx: Tx) -> User | None:
    """The user named, else the caller itself; ``None`` for the root user's own keys."""
    name = call.param("UserName")
    if name:
        return user_or_404(tx, call.account_id, name)
    if call.caller.user_id:
        user = tx.users.get_by_id(call.caller.user_id)
        if user is None:
            raise NoSuchEntity("The user with name unknown cannot be found.")
        return user
    if not call.caller.is_root:
        raise ValidationError("Must specify userName when calling with non-User credentials")
    return None


def _key_of(tx: Tx, call: Call, owner: User | None) -> AccessKey:
    key_id = call.params["AccessKeyId"]
    key = tx.access_keys.get(key_id)
    owner_id = owner.id if owner else None
    if key is None or key.user_id != owner_id or key.account_id != call.account_id:
        raise NoSuchEntity(f"The Access Key with id {key_id} cannot be found.")
    return key


@REGISTRY.operation("CreateAccessKey", target=_self_or_user)
def create_access_key(call: Call) -> dict[str, Any]:
    with call.store.write() as tx:
        owner = _owner(call, tx)
        existing = (
            tx.access_keys.of_user(owner.id) if owner else tx.access_keys.root_keys(call.account_id)
        )
        if len(existing) >= MAX_ACCESS_KEYS:
            raise LimitExceeded(f"Cannot exceed quota for AccessKeysPerUser: {MAX_ACCESS_KEYS}")
        key = tx.access_keys.create(call.account_id, owner.id if owner else None)
        tx.changes.record("access-key", key.id)
    out: dict[str, Any] = {
        "AccessKeyId": key.id,
        "Status": key.status,
        "SecretAccessKey": key.secret,
        "CreateDate": key.create_date,
    }
    if owner:
        out["UserName"] = owner.name
    return {"AccessKey": out}


@REGISTRY.operation("ListAccessKeys", target=_self_or_user)
def list_access_keys(call: Call) -> dict[str, Any]:
    with call.store.read() as tx:
        owner = _owner(call, tx)
        keys = (
            tx.access_keys.of_user(owner.id) if owner else tx.access_keys.root_keys(call.account_id)
        )
    page, more = paginate(call, keys, key=lambda k: k.id)
    metadata = []
    for key in page:
        item: dict[str, Any] = {
            "AccessKeyId": key.id,
            "Status": key.status,
            "CreateDate": key.create_date,
        }
        if owner:
            item["UserName"] = owner.name
        metadata.append(item)
    return {"AccessKeyMetadata": metadata, **more}


@REGISTRY.operation("UpdateAccessKey", target=_self_or_user)
def update_access_key(call: Call) -> dict[str, Any]:
    with call.store.write() as tx:
        owner = _owner(call, tx)
        key = _key_of(tx, call, owner)
        tx.access_keys.set_status(key.id, call.params["Status"])
        tx.changes.record("access-key", key.id)
    return {}


@REGISTRY.operation("DeleteAccessKey", target=_self_or_user)
def delete_access_key(call: Call) -> dict[str, Any]:
    with call.store.write() as tx:
        owner = _owner(call, tx)
        key = _key_of(tx, call, owner)
        tx.access_keys.delete(key.id)
        tx.changes.record("access-key", key.id)
    return {}


def _last_used_target(call: Call, tx: Tx) -> Target:
    key = tx.access_keys.get(call.param("AccessKeyId") or "")
    if key is not None and key.user_id:
        user = tx.users.get_by_id(key.user_id)
        if user is not None:
            return Target(user.arn)
    return Target(f"arn:aws:iam::{call.account_id}:user/")


@REGISTRY.operation("GetAccessKeyLastUsed", target=_last_used_target)
def get_access_key_last_used(call: Call) -> dict[str, Any]:
    with call.store.read() as tx:
        key = tx.access_keys.get(call.params["AccessKeyId"])
        if key is None or key.account_id != call.account_id:
            raise NoSuchEntity(
                f"The Access Key with id {call.params['AccessKeyId']} cannot be found."
            )
        user = tx.users.get_by_id(key.user_id) if key.user_id else None
        last = access_key_last_used(tx, call.account_id, key.id)
    out: dict[str, Any] = {"AccessKeyLastUsed": last}
    if user:
        out["UserName"] = user.name
    return out
