"""Virtual MFA devices: create one (a TOTP seed and its QR code), enable it for a user with two
consecutive codes, resync, deactivate, delete, tag, and list.

https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateVirtualMFADevice.html
https://docs.aws.amazon.com/IAM/latest/APIReference/API_EnableMFADevice.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_enable_virtual.html
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from iamd.auth.mfa import consecutive_step, new_seed, time_step
from iamd.errors import (
    AWSError,
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
    check_tag_quota,
    entity_target,
    find_user,
    new_entity_target,
    paginate,
    register_tag_operations,
    request_tag_context,
    resource_tag_context,
    tag_dicts,
    tags_from,
    user_or_404,
)
from iamd.services.iam.users import user_dict
from iamd.services.registry import Target
from iamd.store import ConflictError, Tx
from iamd.store.records import User
from iamd.store.repos.mfa_devices import MfaDevice, MfaDevices

KIND = "mfa"
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
MAX_DEVICES_PER_USER = 8
MAX_VIRTUAL_DEVICES = MAX_USERS
"""AWS: virtual MFA devices in an account, assigned or not, equal the account's user quota."""
ENABLE_WINDOW = 2
"""Steps either side of now for the second code of EnableMFADevice: people type slowly."""
RESYNC_WINDOW = 20
"""Steps either side of now for ResyncMFADevice, whose purpose is a clock that has drifted."""

_user_or_self = entity_target("user", "UserName", find_user, default_self=True)


def _invalid_code() -> AWSError:
    return AWSError(
        "Authentication code for device is not valid.",
        code="InvalidAuthenticationCode",
        status=403,
        sender=True,
    )


def _no_device(serial: str) -> NoSuchEntity:
    return NoSuchEntity(f"VirtualMFADevice with serial number {serial} doesn't exist.")


def _not_users_device() -> NoSuchEntity:
    return NoSuchEntity("MFA Device invalid for user.")


def _device_or_404(tx: Tx, call: Call) -> MfaDevice:
    serial = call.params["SerialNumber"]
    device = tx.repo(MfaDevices).get(serial)
    if device is None or device.account_id != call.account_id:
        raise _no_device(serial)
    return device


def _device_target(call: Call, tx: Tx) -> Target:
    """The device's ARN (its serial number) with its tags as resource tags."""
    serial = call.param("SerialNumber") or ""
    context = request_tag_context(call.params)
    keys = call.param("TagKeys")
    if keys:
        context["aws:TagKeys"] = list(keys)
    device = tx.repo(MfaDevices).get(serial)
    if device is not None and device.account_id == call.account_id:
        context.update(resource_tag_context(tx.tags.all(KIND, serial)))
    return Target(serial or f"arn:aws:iam::{call.account_id}:mfa/", context)


def _owner(call: Call, tx: Tx) -> User | None:
    """The user named, else the calling user; ``None`` for the root user, who has no IAM user."""
    name = call.param("UserName")
    if name:
        return user_or_404(tx, call.account_id, name)
    if call.caller.user_id:
        user = tx.users.get_by_id(call.caller.user_id)
        if user is None:
            raise NoSuchEntity("The user with name unknown cannot be found.")
        return user
    if call.caller.is_root:
        return None
    raise ValidationError("Must specify userName when calling with non-User credentials")


def _otpauth_uri(name: str, account: str, seed: str) -> str:
    """The provisioning URI AWS documents for ``QRCodePNG``."""
    label = quote(f"{name}@{account}", safe="@+=,")
    return f"otpauth://totp/{label}?secret={seed}"


def qr_png(text: str) -> bytes:
    # Imported here so that only this operation needs the QR package installed.
    import segno

    buffer = io.BytesIO()
    segno.make(text, error="m", micro=False).save(buffer, kind="png", scale=4, border=4)
    return buffer.getvalue()


def _now(call: Call) -> datetime:
    return call.now or datetime.now(UTC)


def delete_conflicts(tx: Tx, user: User) -> str | None:
    """Why DeleteUser must refuse ``user`` as far as MFA goes, or ``None``."""
    if tx.repo(MfaDevices).of_user(user.id):
        return "Cannot delete entity, must delete MFA device first."
    return None


# Devices -------------------------------------------------------------------------------


@REGISTRY.operation(
    "CreateVirtualMFADevice", target=new_entity_target(KIND, "VirtualMFADeviceName")
)
def create_virtual_mfa_device(call: Call) -> dict[str, Any]:
    tags = tags_from(call.params)
    check_tag_quota([], tags)
    name = call.params["VirtualMFADeviceName"]
    seed = new_seed()
    with call.store.write() as tx:
        devices = tx.repo(MfaDevices)
        if devices.count(call.account_id) >= MAX_VIRTUAL_DEVICES:
            raise LimitExceeded(f"Cannot exceed quota for MFADevicesPerAccount: {MAX_USERS}")
        try:
            device = devices.create(call.account_id, name, call.param("Path") or "/", seed)
        except ConflictError as exc:
            raise EntityAlreadyExists(str(exc)) from None
        tx.tags.put(KIND, device.serial, tags)
        tx.changes.record(KIND, device.serial)
    out: dict[str, Any] = {
        "SerialNumber": device.serial,
        "Base32StringSeed": seed.encode("ascii"),
        "QRCodePNG": qr_png(_otpauth_uri(name, call.account_id, seed)),
    }
    if tags:
        out["Tags"] = tag_dicts(tags)
    return {"VirtualMFADevice": out}


@REGISTRY.operation("EnableMFADevice", target=_user_or_self)
def enable_mfa_device(call: Call) -> dict[str, Any]:
    with call.store.write() as tx:
        user = user_or_404(tx, call.account_id, call.params["UserName"])
        device = _device_or_404(tx, call)
        devices = tx.repo(MfaDevices)
        if device.assigned:
            raise EntityAlreadyExists("MFA Device is already in use.")
        if len(devices.of_user(user.id)) >= MAX_DEVICES_PER_USER:
            raise LimitExceeded(
                f"Cannot exceed quota for MFADevicesPerUser: {MAX_DEVICES_PER_USER}"
            )
        seed = devices.seed(device.serial)
        step = None
        if seed is not None:
            step = consecutive_step(
                seed,
                call.params["AuthenticationCode1"],
                call.params["AuthenticationCode2"],
                time_step(_now(call)),
                ENABLE_WINDOW,
            )
        # Codes of steps already spent (before a deactivation) stay spent.
        if step is None or (device.last_counter is not None and step <= device.last_counter):
            raise _invalid_code()
        if not devices.enable(device.serial, user.id, step):
            raise EntityAlreadyExists("MFA Device is already in use.")
        tx.changes.record(KIND, device.serial)
    return {}


def _users_device(call: Call, tx: Tx) -> tuple[User | None, MfaDevice]:
    """The device named, which must be enabled for the user named (or the caller)."""
    owner = _owner(call, tx)
    device = _device_or_404(tx, call)
    if owner is None or device.user_id != owner.id:
        raise _not_users_device()
    return owner, device


@REGISTRY.operation("DeactivateMFADevice", target=_user_or_self)
def deactivate_mfa_device(call: Call) -> dict[str, Any]:
    with call.store.write() as tx:
        _, device = _users_device(call, tx)
        tx.repo(MfaDevices).deactivate(device.serial)
        tx.changes.record(KIND, device.serial)
    return {}


@REGISTRY.operation("ResyncMFADevice", target=_user_or_self)
def resync_mfa_device(call: Call) -> dict[str, Any]:
    with call.store.write() as tx:
        _, device = _users_device(call, tx)
        devices = tx.repo(MfaDevices)
        seed = devices.seed(device.serial)
        step = None
        if seed is not None:
            step = consecutive_step(
                seed,
                call.params["AuthenticationCode1"],
                call.params["AuthenticationCode2"],
                time_step(_now(call)),
                RESYNC_WINDOW,
            )
        if step is None or not devices.advance_counter(device.serial, step):
            raise _invalid_code()
        tx.changes.record(KIND, device.serial)
    return {}


@REGISTRY.operation("DeleteVirtualMFADevice", target=_device_target)
def delete_virtual_mfa_device(call: Call) -> dict[str, Any]:
    with call.store.write() as tx:
        device = _device_or_404(tx, call)
        if device.assigned:
            raise DeleteConflict("MFA VirtualDevice in use. Must deactivate first.")
        tx.tags.drop(KIND, device.serial)
        tx.repo(MfaDevices).delete(device.serial)
        tx.changes.record(KIND, device.serial)
    return {}


# Reads ---------------------------------------------------------------------------------


@REGISTRY.operation("GetMFADevice", target=_user_or_self)
def get_mfa_device(call: Call) -> dict[str, Any]:
    with call.store.read() as tx:
        owner, device = _users_device(call, tx)
    assert owner is not None
    return {
        "UserName": owner.name,
        "SerialNumber": device.serial,
        "EnableDate": device.enable_date,
    }


@REGISTRY.operation("ListMFADevices", target=_user_or_self)
def list_mfa_devices(call: Call) -> dict[str, Any]:
    with call.store.read() as tx:
        owner = _owner(call, tx)
        if owner is None:  # the root user: its devices are managed in the console, not here
            return {"MFADevices": [], "IsTruncated": False}
        devices = tx.repo(MfaDevices).of_user(owner.id)
    page, more = paginate(call, devices, key=lambda d: d.serial)
    listed = [
        {"UserName": owner.name, "SerialNumber": d.serial, "EnableDate": d.enable_date}
        for d in page
    ]
    return {"MFADevices": listed, **more}


@REGISTRY.operation("ListVirtualMFADevices", target=account_target(KIND))
def list_virtual_mfa_devices(call: Call) -> dict[str, Any]:
    status = call.param("AssignmentStatus") or "Any"
    assigned = {"Assigned": True, "Unassigned": False}.get(status)
    with call.store.read() as tx:
        devices = tx.repo(MfaDevices).all(call.account_id, assigned)
        page, more = paginate(call, devices, key=lambda d: d.serial)
        items = []
        for device in page:
            item: dict[str, Any] = {"SerialNumber": device.serial}
            user = tx.users.get_by_id(device.user_id) if device.user_id else None
            if user is not None:
                item["User"] = user_dict(user)
                item["EnableDate"] = device.enable_date
            items.append(item)
    return {"VirtualMFADevices": items, **more}


# Tags ----------------------------------------------------------------------------------


register_tag_operations(
    "MFADevice", KIND, lambda call, tx: _device_or_404(tx, call).serial, _device_target
)
