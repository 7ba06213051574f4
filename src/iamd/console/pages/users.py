"""Users: list and search, create, groups, policies, console password, access keys, MFA,
and deleting a user with what AWS requires removed first.

https://docs.aws.amazon.com/IAM/latest/UserGuide/id_users_manage.html#id_users_deleting
"""

from __future__ import annotations

import base64
import csv
import io
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from iamd.console.http import Response, redirect
from iamd.console.page import Page
from iamd.console.pages.common import listing, resolve_policy
from iamd.console.routing import Router
from iamd.errors import AWSError

CHANGE_PASSWORD_POLICY = "arn:aws:iam::aws:policy/IAMUserChangePassword"
"""What AWS's console attaches when it makes a user choose a new password at first sign-in."""


def register(router: Router) -> None:
    router.get("/console/users")(list_users)
    router.get("/console/users/new")(new_user_form)
    router.post("/console/users/new")(create_user)
    router.get("/console/users/{name}")(show_user)
    router.post("/console/users/{name}/groups")(add_to_group)
    router.post("/console/users/{name}/groups/remove")(remove_from_group)
    router.post("/console/users/{name}/policies")(attach_policy)
    router.post("/console/users/{name}/policies/detach")(detach_policy)
    router.post("/console/users/{name}/password")(set_password)
    router.post("/console/users/{name}/password/delete")(delete_password)
    router.post("/console/users/{name}/access-keys")(create_access_key)
    router.post("/console/users/{name}/access-keys/update")(update_access_key)
    router.post("/console/users/{name}/access-keys/delete")(delete_access_key)
    router.post("/console/users/{name}/mfa")(create_mfa)
    router.post("/console/users/{name}/mfa/enable")(enable_mfa)
    router.post("/console/users/{name}/mfa/deactivate")(deactivate_mfa)
    router.get("/console/users/{name}/delete")(delete_form)
    router.post("/console/users/{name}/delete")(delete_user)


def _here(name: str, tab: str = "") -> str:
    return f"/console/users/{quote(name, safe='')}" + (f"?tab={tab}" if tab else "")


def list_users(page: Page) -> Response:
    found = listing(page, "ListUsers", "Users", "UserName", {})
    return page.render("users/list.html", listing=found)


def new_user_form(page: Page, error: AWSError | None = None, status: int = 200) -> Response:
    groups, _ = page.try_call("iam", "ListGroups", {"MaxItems": 1000})
    return page.render(
        "users/new.html",
        status,
        error=error,
        groups=(groups or {}).get("Groups", []),
        form=page.request.form,
    )


def create_user(page: Page) -> Response:
    r = page.request
    name = r.field("name").strip()
    try:
        page.call("iam", "CreateUser", {"UserName": name, "Path": r.field("path") or None})
        password = r.field("password")
        if password:
            reset = r.field("reset") == "on"
            page.call(
                "iam",
                "CreateLoginProfile",
                {"UserName": name, "Password": password, "PasswordResetRequired": reset},
            )
            if reset:
                page.call(
                    "iam",
                    "AttachUserPolicy",
                    {"UserName": name, "PolicyArn": CHANGE_PASSWORD_POLICY},
                )
        for group in r.fields("group"):
            page.call("iam", "AddUserToGroup", {"UserName": name, "GroupName": group})
        for policy in r.fields("policy"):
            page.call(
                "iam",
                "AttachUserPolicy",
                {"UserName": name, "PolicyArn": resolve_policy(page, policy)},
            )
    except AWSError as error:
        return new_user_form(page, error, error.status)
    return redirect(_here(name), f"User {name} created.")


def show_user(page: Page, name: str, secret: dict[str, Any] | None = None,
              mfa: dict[str, Any] | None = None) -> Response:  # fmt: skip
    user = page.call("iam", "GetUser", {"UserName": name})["User"]
    tab = page.request.arg("tab", "permissions")
    if secret is not None:
        tab = "credentials"
    if mfa is not None:
        tab = "credentials"
    parts: dict[str, Any] = {}
    if tab == "permissions":
        parts["attached"] = page.try_call("iam", "ListAttachedUserPolicies", {"UserName": name})
        parts["inline"] = page.try_call("iam", "ListUserPolicies", {"UserName": name})
    elif tab == "groups":
        parts["groups"] = page.try_call("iam", "ListGroupsForUser", {"UserName": name})
        parts["all_groups"] = page.try_call("iam", "ListGroups", {"MaxItems": 1000})
    elif tab == "credentials":
        parts["profile"] = page.try_call("iam", "GetLoginProfile", {"UserName": name})
        parts["keys"] = page.try_call("iam", "ListAccessKeys", {"UserName": name})
        parts["mfa"] = page.try_call("iam", "ListMFADevices", {"UserName": name})
    return page.render("users/show.html", user=user, tab=tab, parts=parts, secret=secret, mfa=mfa)


def add_to_group(page: Page, name: str) -> Response:
    group = page.request.field("group")
    page.call("iam", "AddUserToGroup", {"UserName": name, "GroupName": group})
    return redirect(_here(name, "groups"), f"Added {name} to {group}.")


def remove_from_group(page: Page, name: str) -> Response:
    group = page.request.field("group")
    page.call("iam", "RemoveUserFromGroup", {"UserName": name, "GroupName": group})
    return redirect(_here(name, "groups"), f"Removed {name} from {group}.")


def attach_policy(page: Page, name: str) -> Response:
    arn = resolve_policy(page, page.request.field("policy"))
    page.call("iam", "AttachUserPolicy", {"UserName": name, "PolicyArn": arn})
    return redirect(_here(name), f"Attached {arn}.")


def detach_policy(page: Page, name: str) -> Response:
    arn = page.request.field("arn")
    page.call("iam", "DetachUserPolicy", {"UserName": name, "PolicyArn": arn})
    return redirect(_here(name), f"Detached {arn}.")


def set_password(page: Page, name: str) -> Response:
    r = page.request
    params = {
        "UserName": name,
        "Password": r.field("password"),
        "PasswordResetRequired": r.field("reset") == "on",
    }
    operation = "UpdateLoginProfile" if r.field("exists") == "1" else "CreateLoginProfile"
    page.call("iam", operation, params)
    return redirect(_here(name, "credentials"), "Console password set.")


def delete_password(page: Page, name: str) -> Response:
    page.call("iam", "DeleteLoginProfile", {"UserName": name})
    return redirect(_here(name, "credentials"), "Console access removed.")


def create_access_key(page: Page, name: str) -> Response:
    key = page.call("iam", "CreateAccessKey", {"UserName": name})["AccessKey"]
    return show_user(page, name, secret={**key, "csv": access_key_csv(key)})


def access_key_csv(key: dict[str, Any]) -> str:
    """The ``<user>_accessKeys.csv`` AWS's console offers, as a data: URL."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Access key ID", "Secret access key"])
    writer.writerow([key["AccessKeyId"], key["SecretAccessKey"]])
    return "data:text/csv;base64," + base64.b64encode(out.getvalue().encode()).decode()


def update_access_key(page: Page, name: str) -> Response:
    r = page.request
    status = "Active" if r.field("status") == "Active" else "Inactive"
    params = {"UserName": name, "AccessKeyId": r.field("key"), "Status": status}
    page.call("iam", "UpdateAccessKey", params)
    return redirect(_here(name, "credentials"), f"Access key made {status.lower()}.")


def delete_access_key(page: Page, name: str) -> Response:
    key = page.request.field("key")
    page.call("iam", "DeleteAccessKey", {"UserName": name, "AccessKeyId": key})
    return redirect(_here(name, "credentials"), f"Access key {key} deleted.")


def create_mfa(page: Page, name: str) -> Response:
    device_name = page.request.field("device").strip() or name
    device = page.call("iam", "CreateVirtualMFADevice", {"VirtualMFADeviceName": device_name})[
        "VirtualMFADevice"
    ]
    png = device.get("QRCodePNG", b"")
    return show_user(
        page,
        name,
        mfa={
            "serial": device["SerialNumber"],
            "qr": "data:image/png;base64," + base64.b64encode(png).decode(),
            "seed": _text(device.get("Base32StringSeed", b"")),
        },
    )


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, (bytes, bytearray)) else str(value)


def enable_mfa(page: Page, name: str) -> Response:
    r = page.request
    params = {
        "UserName": name,
        "SerialNumber": r.field("serial"),
        "AuthenticationCode1": r.field("code1").strip(),
        "AuthenticationCode2": r.field("code2").strip(),
    }
    page.call("iam", "EnableMFADevice", params)
    return redirect(_here(name, "credentials"), "MFA device assigned.")


def deactivate_mfa(page: Page, name: str) -> Response:
    serial = page.request.field("serial")
    page.call("iam", "DeactivateMFADevice", {"UserName": name, "SerialNumber": serial})
    return redirect(_here(name, "credentials"), "MFA device removed.")


def _dependents(page: Page, name: str) -> list[tuple[str, list[str]]]:
    """What DeleteUser refuses to delete a user with, in the order AWS's docs list it."""
    profile, _ = page.try_call("iam", "GetLoginProfile", {"UserName": name})
    checks: list[tuple[str, list[str]]] = [
        ("Console password (login profile)", ["password"] if profile else []),
        ("Access keys", [k["AccessKeyId"] for k in page.call(
            "iam", "ListAccessKeys", {"UserName": name})["AccessKeyMetadata"]]),
        ("Signing certificates", [c["CertificateId"] for c in page.call(
            "iam", "ListSigningCertificates", {"UserName": name})["Certificates"]]),
        ("SSH public keys", [k["SSHPublicKeyId"] for k in page.call(
            "iam", "ListSSHPublicKeys", {"UserName": name})["SSHPublicKeys"]]),
        ("Service-specific credentials", [c["ServiceSpecificCredentialId"] for c in page.call(
            "iam", "ListServiceSpecificCredentials", {"UserName": name}
        )["ServiceSpecificCredentials"]]),
        ("MFA devices", [d["SerialNumber"] for d in page.call(
            "iam", "ListMFADevices", {"UserName": name})["MFADevices"]]),
        ("Inline policies", page.call("iam", "ListUserPolicies", {"UserName": name})[
            "PolicyNames"]),
        ("Attached managed policies", [p["PolicyArn"] for p in page.call(
            "iam", "ListAttachedUserPolicies", {"UserName": name})["AttachedPolicies"]]),
        ("Group memberships", [g["GroupName"] for g in page.call(
            "iam", "ListGroupsForUser", {"UserName": name})["Groups"]]),
    ]  # fmt: skip
    return checks


def delete_form(page: Page, name: str, error: AWSError | None = None) -> Response:
    page.call("iam", "GetUser", {"UserName": name})
    return page.render(
        "users/delete.html",
        403 if error else 200,
        name=name,
        dependents=_dependents(page, name),
        error=error,
    )


_REMOVE: dict[str, Callable[[str, str], tuple[str, dict[str, str]]]] = {
    "Console password (login profile)": lambda n, v: ("DeleteLoginProfile", {"UserName": n}),
    "Access keys": lambda n, v: ("DeleteAccessKey", {"UserName": n, "AccessKeyId": v}),
    "Signing certificates": lambda n, v: (
        "DeleteSigningCertificate", {"UserName": n, "CertificateId": v}),
    "SSH public keys": lambda n, v: ("DeleteSSHPublicKey", {"UserName": n, "SSHPublicKeyId": v}),
    "Service-specific credentials": lambda n, v: (
        "DeleteServiceSpecificCredential", {"UserName": n, "ServiceSpecificCredentialId": v}),
    "MFA devices": lambda n, v: ("DeactivateMFADevice", {"UserName": n, "SerialNumber": v}),
    "Inline policies": lambda n, v: ("DeleteUserPolicy", {"UserName": n, "PolicyName": v}),
    "Attached managed policies": lambda n, v: (
        "DetachUserPolicy", {"UserName": n, "PolicyArn": v}),
    "Group memberships": lambda n, v: ("RemoveUserFromGroup", {"UserName": n, "GroupName": v}),
}  # fmt: skip


def delete_user(page: Page, name: str) -> Response:
    """DeleteUser; with ``remove_all`` first remove what AWS requires gone, as its console
    does, each removal an ordinary call the signed-in principal must be allowed to make."""
    try:
        if page.request.field("remove_all") == "on":
            for what, values in _dependents(page, name):
                for value in values:
                    operation, params = _REMOVE[what](name, value)
                    page.call("iam", operation, params)
        page.call("iam", "DeleteUser", {"UserName": name})
    except AWSError as error:
        if error.code == "NoSuchEntity":
            raise
        return delete_form(page, name, error)
    return redirect("/console/users", f"User {name} deleted.")
