"""Virtual MFA devices over the wire with boto3: a real TOTP seed and QR code, enabling with two
consecutive codes, AWS's errors, listing, tags, quotas and authorization.

https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateVirtualMFADevice.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_enable_virtual.html
"""

from __future__ import annotations

import base64
import struct
import time
import zlib
from collections.abc import Callable
from typing import Any

import pyotp
import pytest
import segno
from botocore.exceptions import ClientError

from support.live import LiveServer


def error_of(call: Callable[[], Any]) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as info:
        call()
    response = info.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def codes(seed: str, steps_back: int = 0) -> tuple[str, str]:
    """Two consecutive codes, as a person reads them off an authenticator app."""
    totp = pyotp.TOTP(seed)
    step = int(time.time()) // 30 - steps_back
    return totp.generate_otp(step - 1), totp.generate_otp(step)


def new_device(iam: Any, name: str, **kwargs: Any) -> tuple[str, str]:
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=name, **kwargs)
    created = device["VirtualMFADevice"]
    return created["SerialNumber"], created["Base32StringSeed"].decode()


def enable(iam: Any, user: str, serial: str, seed: str) -> None:
    first, second = codes(seed)
    iam.enable_mfa_device(
        UserName=user, SerialNumber=serial, AuthenticationCode1=first, AuthenticationCode2=second
    )


def png_modules(png: bytes) -> list[list[bool]]:
    """The dark/light modules of a QR code drawn in a greyscale PNG, read back from pixels."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, header = 8, [], b""
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind, data = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = data
        elif kind == b"IDAT":
            chunks.append(data)
        pos += 12 + length
    width, height, depth, color = struct.unpack(">IIBB", header[:10])
    assert color == 0 and depth in (1, 8), "greyscale"
    raw = zlib.decompress(b"".join(chunks))
    stride = (width * depth + 7) // 8
    rows: list[bytearray] = []
    previous = bytearray(stride)
    for y in range(height):
        kind_byte, line = (
            raw[y * (stride + 1)],
            bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]),
        )
        for i in range(stride):
            left = line[i - 1] if i else 0
            up, corner = previous[i], previous[i - 1] if i else 0
            if kind_byte == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind_byte == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind_byte == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind_byte == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + pred) & 0xFF
        rows.append(line)
        previous = line

    def dark(x: int, y: int) -> bool:
        if depth == 8:
            return rows[y][x] < 128
        return not (rows[y][x // 8] >> (7 - x % 8)) & 1

    xs = [x for y in range(height) for x in range(width) if dark(x, y)]
    ys = [y for y in range(height) for x in range(width) if dark(x, y)]
    left, top, right = min(xs), min(ys), max(xs)
    # The finder pattern's top-left corner is 7 dark modules wide.
    run = next(x for x in range(left, right + 1) if not dark(x, top)) - left
    scale = run // 7
    size = (right - left + 1) // scale
    return [
        [dark(left + c * scale + scale // 2, top + r * scale + scale // 2) for c in range(size)]
        for r in range(size)
    ]


def test_create_returns_a_seed_and_the_qr_code_of_its_otpauth_uri(
    server: LiveServer, iam: Any, unique: Callable[[str], str]
) -> None:
    """QRCodePNG encodes otpauth://totp/$virtualMFADeviceName@$AccountName?secret=$Base32String
    (https://docs.aws.amazon.com/IAM/latest/APIReference/API_VirtualMFADevice.html)."""
    name = unique("phone")
    created = iam.create_virtual_mfa_device(
        VirtualMFADeviceName=name, Path="/eng/", Tags=[{"Key": "team", "Value": "web"}]
    )["VirtualMFADevice"]
    assert created["SerialNumber"] == f"arn:aws:iam::{server.account_id}:mfa/eng/{name}"
    seed = created["Base32StringSeed"].decode()
    assert len(seed) == 64 and len(base64.b32decode(seed)) == 40
    assert created["Tags"] == [{"Key": "team", "Value": "web"}]
    uri = f"otpauth://totp/{name}@{server.account_id}?secret={seed}"
    expected = [[bool(m) for m in row] for row in segno.make(uri, error="m").matrix]
    assert png_modules(created["QRCodePNG"]) == expected
    # A second device has its own seed.
    _, other_seed = new_device(iam, unique("phone"))
    assert other_seed != seed


def test_enable_list_get_deactivate_delete(
    server: LiveServer, iam: Any, unique: Callable[[str], str]
) -> None:
    user = unique("alice")
    iam.create_user(UserName=user)
    serial, seed = new_device(iam, user)
    unassigned = iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"]
    assert serial in [d["SerialNumber"] for d in unassigned]
    assert iam.list_mfa_devices(UserName=user)["MFADevices"] == []

    enable(iam, user, serial, seed)
    listed = iam.list_mfa_devices(UserName=user)["MFADevices"]
    assert [(d["UserName"], d["SerialNumber"]) for d in listed] == [(user, serial)]
    assert abs(listed[0]["EnableDate"].timestamp() - time.time()) < 120
    fetched = iam.get_mfa_device(SerialNumber=serial, UserName=user)
    assert (fetched["UserName"], fetched["SerialNumber"]) == (user, serial)
    assigned = {
        d["SerialNumber"]: d
        for d in iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
    }
    assert assigned[serial]["User"]["UserName"] == user
    assert assigned[serial]["User"]["Arn"] == f"arn:aws:iam::{server.account_id}:user/{user}"
    assert "Base32StringSeed" not in assigned[serial] and "QRCodePNG" not in assigned[serial]
    everything = iam.list_virtual_mfa_devices()["VirtualMFADevices"]  # defaults to Any
    assert serial in [d["SerialNumber"] for d in everything]
    unassigned = iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"]
    assert serial not in [d["SerialNumber"] for d in unassigned]

    assert error_of(lambda: iam.delete_virtual_mfa_device(SerialNumber=serial)) == (
        "DeleteConflict",
        "MFA VirtualDevice in use. Must deactivate first.",
        409,
    )
    iam.deactivate_mfa_device(UserName=user, SerialNumber=serial)
    assert iam.list_mfa_devices(UserName=user)["MFADevices"] == []
    iam.delete_virtual_mfa_device(SerialNumber=serial)
    assert error_of(lambda: iam.delete_virtual_mfa_device(SerialNumber=serial)) == (
        "NoSuchEntity",
        f"VirtualMFADevice with serial number {serial} doesn't exist.",
        404,
    )
    iam.delete_user(UserName=user)


def test_enable_errors(server: LiveServer, iam: Any, unique: Callable[[str], str]) -> None:
    """Errors of https://docs.aws.amazon.com/IAM/latest/APIReference/API_EnableMFADevice.html"""
    user, other = unique("bob"), unique("carol")
    iam.create_user(UserName=user)
    iam.create_user(UserName=other)
    serial, seed = new_device(iam, user)
    first, second = codes(seed)

    def attempt(name: str, code1: str, code2: str, number: str = serial) -> Any:
        return lambda: iam.enable_mfa_device(
            UserName=name, SerialNumber=number, AuthenticationCode1=code1, AuthenticationCode2=code2
        )

    invalid = ("InvalidAuthenticationCode", "Authentication code for device is not valid.", 403)
    assert error_of(attempt(user, "000000", "000000")) == invalid
    assert error_of(attempt(user, second, first)) == invalid  # consecutive, but reversed
    assert error_of(attempt(user, *codes(seed, steps_back=10))) == invalid  # long expired
    assert error_of(attempt("nobody-" + user, first, second)) == (
        "NoSuchEntity",
        f"The user with name nobody-{user} cannot be found.",
        404,
    )
    missing = f"arn:aws:iam::{server.account_id}:mfa/missing-{user}"
    assert error_of(attempt(user, first, second, missing)) == (
        "NoSuchEntity",
        f"VirtualMFADevice with serial number {missing} doesn't exist.",
        404,
    )
    assert error_of(attempt(user, "abcdef", second))[0] == "ValidationError"
    iam.enable_mfa_device(
        UserName=user, SerialNumber=serial, AuthenticationCode1=first, AuthenticationCode2=second
    )
    in_use = ("EntityAlreadyExists", "MFA Device is already in use.", 409)
    assert error_of(attempt(user, *codes(seed))) == in_use
    assert error_of(attempt(other, *codes(seed))) == in_use
    # Deactivating a device through a user it is not enabled for.
    assert error_of(lambda: iam.deactivate_mfa_device(UserName=other, SerialNumber=serial)) == (
        "NoSuchEntity",
        "MFA Device invalid for user.",
        404,
    )
    assert error_of(lambda: iam.get_mfa_device(UserName=other, SerialNumber=serial))[0] == (
        "NoSuchEntity"
    )


def test_codes_are_never_accepted_twice(iam: Any, unique: Callable[[str], str]) -> None:
    user = unique("dave")
    iam.create_user(UserName=user)
    serial, seed = new_device(iam, user)
    first, second = codes(seed)
    iam.enable_mfa_device(
        UserName=user, SerialNumber=serial, AuthenticationCode1=first, AuthenticationCode2=second
    )
    iam.deactivate_mfa_device(UserName=user, SerialNumber=serial)
    code, message, _ = error_of(
        lambda: iam.enable_mfa_device(
            UserName=user,
            SerialNumber=serial,
            AuthenticationCode1=first,
            AuthenticationCode2=second,
        )
    )
    assert (code, message) == (
        "InvalidAuthenticationCode",
        "Authentication code for device is not valid.",
    )


def test_resync(iam: Any, unique: Callable[[str], str]) -> None:
    """https://docs.aws.amazon.com/IAM/latest/APIReference/API_ResyncMFADevice.html"""
    user = unique("erin")
    iam.create_user(UserName=user)
    serial, seed = new_device(iam, user)

    def resync(pair: tuple[str, str]) -> Any:
        return iam.resync_mfa_device(
            UserName=user,
            SerialNumber=serial,
            AuthenticationCode1=pair[0],
            AuthenticationCode2=pair[1],
        )

    assert error_of(lambda: resync(codes(seed)))[:2] == (
        "NoSuchEntity",
        "MFA Device invalid for user.",
    )
    enable(iam, user, serial, seed)
    # A device whose clock runs five minutes ahead resyncs.
    ahead = pyotp.TOTP(seed)
    step = int(time.time()) // 30 + 10
    drifted = (ahead.generate_otp(step - 1), ahead.generate_otp(step))
    resync(drifted)
    invalid = ("InvalidAuthenticationCode", "Authentication code for device is not valid.")
    assert error_of(lambda: resync(drifted))[:2] == invalid  # spent: never twice
    assert error_of(lambda: resync(("000000", "111111")))[:2] == invalid
    far = int(time.time()) // 30 + 60  # half an hour off is beyond any resync
    assert (
        error_of(lambda: resync((ahead.generate_otp(far - 1), ahead.generate_otp(far))))[:2]
        == invalid
    )


def test_eight_devices_per_user(iam: Any, unique: Callable[[str], str]) -> None:
    """https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html: eight MFA
    devices in use per user."""
    user = unique("frank")
    iam.create_user(UserName=user)
    for _ in range(8):
        enable(iam, user, *new_device(iam, unique("key")))
    serial, seed = new_device(iam, unique("key"))
    first, second = codes(seed)
    code, message, status = error_of(
        lambda: iam.enable_mfa_device(
            UserName=user,
            SerialNumber=serial,
            AuthenticationCode1=first,
            AuthenticationCode2=second,
        )
    )
    assert (code, status) == ("LimitExceeded", 409) and "MFADevicesPerUser: 8" in message
    paginator = iam.get_paginator("list_mfa_devices")
    pages = list(paginator.paginate(UserName=user, PaginationConfig={"PageSize": 3}))
    assert len(pages) == 3
    assert len({d["SerialNumber"] for p in pages for d in p["MFADevices"]}) == 8


def test_duplicates_tags_and_pagination(
    server: LiveServer, iam: Any, unique: Callable[[str], str]
) -> None:
    name = unique("dup")
    serial, _ = new_device(iam, name)
    assert error_of(lambda: iam.create_virtual_mfa_device(VirtualMFADeviceName=name)) == (
        "EntityAlreadyExists",
        "MFADevice entity at the same path and name already exists.",
        409,
    )
    iam.tag_mfa_device(
        SerialNumber=serial, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    )
    iam.tag_mfa_device(SerialNumber=serial, Tags=[{"Key": "a", "Value": "3"}])
    assert iam.list_mfa_device_tags(SerialNumber=serial)["Tags"] == [
        {"Key": "a", "Value": "3"},
        {"Key": "b", "Value": "2"},
    ]
    first = iam.list_mfa_device_tags(SerialNumber=serial, MaxItems=1)
    assert first["IsTruncated"] and first["Tags"] == [{"Key": "a", "Value": "3"}]
    rest = iam.list_mfa_device_tags(SerialNumber=serial, Marker=first["Marker"])
    assert rest["Tags"] == [{"Key": "b", "Value": "2"}] and not rest["IsTruncated"]
    iam.untag_mfa_device(SerialNumber=serial, TagKeys=["a"])
    assert iam.list_mfa_device_tags(SerialNumber=serial)["Tags"] == [{"Key": "b", "Value": "2"}]
    many = [{"Key": f"k{i}", "Value": "v"} for i in range(50)]
    code, message, _ = error_of(lambda: iam.tag_mfa_device(SerialNumber=serial, Tags=many))
    assert (code, message) == (
        "LimitExceeded",
        "The number of tags has reached the maximum limit of 50.",
    )
    missing = f"arn:aws:iam::{server.account_id}:mfa/{name}-gone"
    assert error_of(lambda: iam.list_mfa_device_tags(SerialNumber=missing))[0] == "NoSuchEntity"
    # Pagination of the account's devices: each appears exactly once, in order.
    mine = sorted([serial] + [new_device(iam, unique("page"))[0] for _ in range(4)])
    first_page = iam.list_virtual_mfa_devices(MaxItems=2)
    assert first_page["IsTruncated"] and len(first_page["VirtualMFADevices"]) == 2
    seen = [
        d["SerialNumber"]
        for page in iam.get_paginator("list_virtual_mfa_devices").paginate(
            PaginationConfig={"PageSize": 2}
        )
        for d in page["VirtualMFADevices"]
    ]
    assert len(seen) == len(set(seen))
    assert [s for s in seen if s in mine] == mine


def test_self_service_with_awss_example_policy(
    server: LiveServer, iam: Any, user_client: Callable[..., Any], unique: Callable[[str], str]
) -> None:
    """The self-service policy of
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_iam_mfa-selfmanage.html
    (its device and user statements)."""
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["iam:CreateVirtualMFADevice", "iam:DeleteVirtualMFADevice"],
                "Resource": "arn:aws:iam::*:mfa/${aws:username}",
            },
            {
                "Effect": "Allow",
                "Action": [
                    "iam:DeactivateMFADevice",
                    "iam:EnableMFADevice",
                    "iam:ListMFADevices",
                    "iam:ResyncMFADevice",
                ],
                "Resource": "arn:aws:iam::*:user/${aws:username}",
            },
        ],
    }
    me = user_client(policy)
    created = me.create_virtual_mfa_device(VirtualMFADeviceName=me.user_name)["VirtualMFADevice"]
    serial, seed = created["SerialNumber"], created["Base32StringSeed"].decode()
    enable(me, me.user_name, serial, seed)
    assert [d["SerialNumber"] for d in me.list_mfa_devices()["MFADevices"]] == [serial]
    # Someone else's device and someone else's user are out of reach.
    code, message, status = error_of(
        lambda: me.create_virtual_mfa_device(VirtualMFADeviceName=f"{me.user_name}-2")
    )
    assert (code, status) == ("AccessDenied", 403)
    assert message.startswith(
        f"User: arn:aws:iam::{server.account_id}:user/{me.user_name} is not authorized to "
        "perform: iam:CreateVirtualMFADevice on resource: "
        f"arn:aws:iam::{server.account_id}:mfa/{me.user_name}-2"
    )
    other = unique("other")
    iam.create_user(UserName=other)
    assert error_of(lambda: me.list_mfa_devices(UserName=other))[0] == "AccessDenied"
    assert error_of(lambda: me.list_virtual_mfa_devices())[0] == "AccessDenied"
    assert error_of(lambda: me.list_mfa_device_tags(SerialNumber=serial))[0] == "AccessDenied"
    me.deactivate_mfa_device(SerialNumber=serial)  # UserName defaults to the caller
    me.delete_virtual_mfa_device(SerialNumber=serial)


def test_tag_conditions_on_devices(
    iam: Any, user_client: Callable[..., Any], unique: Callable[[str], str]
) -> None:
    """Resource tags of a device are its aws:ResourceTag/* keys, request tags aws:RequestTag/*."""
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "iam:ListMFADeviceTags",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:ResourceTag/team": "web"}},
            },
            {
                "Effect": "Allow",
                "Action": "iam:CreateVirtualMFADevice",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:RequestTag/team": "web"}},
            },
        ],
    }
    member = user_client(policy)
    web, _ = new_device(iam, unique("web"), Tags=[{"Key": "team", "Value": "web"}])
    data, _ = new_device(iam, unique("data"), Tags=[{"Key": "team", "Value": "data"}])
    assert member.list_mfa_device_tags(SerialNumber=web)["Tags"] == [
        {"Key": "team", "Value": "web"}
    ]
    assert error_of(lambda: member.list_mfa_device_tags(SerialNumber=data))[0] == "AccessDenied"
    member.create_virtual_mfa_device(
        VirtualMFADeviceName=unique("mine"), Tags=[{"Key": "team", "Value": "web"}]
    )
    assert (
        error_of(lambda: member.create_virtual_mfa_device(VirtualMFADeviceName=unique("x")))[0]
        == "AccessDenied"
    )


def test_list_mfa_devices_defaults_to_the_caller(
    iam: Any, user_client: Callable[..., Any], unique: Callable[[str], str]
) -> None:
    """Without UserName, the user is the one signing the request
    (https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListMFADevices.html)."""
    everything = {"Effect": "Allow", "Action": "*", "Resource": "*"}
    admin = user_client({"Version": "2012-10-17", "Statement": [everything]})
    serial, seed = new_device(iam, unique("own"))
    enable(iam, admin.user_name, serial, seed)
    listed = admin.list_mfa_devices()["MFADevices"]
    assert [(d["UserName"], d["SerialNumber"]) for d in listed] == [(admin.user_name, serial)]
    fetched = admin.get_mfa_device(SerialNumber=serial)
    assert fetched["UserName"] == admin.user_name
    # The root user has no IAM user, hence no devices enabled through this API.
    assert iam.list_mfa_devices()["MFADevices"] == []
