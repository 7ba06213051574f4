"""Switch role: assume a role in the console with sts:AssumeRole, through the same trust-policy
checks as the API, then act as the role under a coloured banner until switching back.

https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-console.html
"""

from __future__ import annotations

import re

from iamd.console.http import Response, redirect
from iamd.console.page import Page
from iamd.console.principal import pack_role
from iamd.console.routing import Router
from iamd.errors import AWSError
from iamd.store.repos.console_auth import ConsoleAccounts

COLORS = ("red", "orange", "yellow", "green", "blue")
_LABEL = re.compile(r"^[\w+=,.@ -]{1,64}$")


def register(router: Router) -> None:
    router.get("/console/switch-role")(switch_form)
    router.post("/console/switch-role")(switch)
    router.post("/console/switch-role/back")(switch_back)


def switch_form(page: Page, error: AWSError | None = None, status: int = 200) -> Response:
    r = page.request
    return page.render(
        "switch_role.html",
        status,
        error=error,
        colors=COLORS,
        account=r.field("account") or r.arg("account") or page.base.account_id,
        role=r.field("role") or r.arg("roleName"),
        label=r.field("label") or r.arg("displayName"),
        color=r.field("color") or "blue",
    )


def switch(page: Page) -> Response:
    r = page.request
    if page.base.is_root:
        # "You cannot switch roles when you sign in as the AWS account root user."
        error = AWSError("You cannot switch roles when you sign in as the AWS account root user.",
                         code="AccessDenied", status=403, sender=True)  # fmt: skip
        return switch_form(page, error, 403)
    account_text = r.field("account").strip()
    with page.console.store.read() as tx:
        account = tx.repo(ConsoleAccounts).resolve(account_text) or account_text
    role_name = r.field("role").strip()
    if role_name.startswith("arn:"):
        role_arn = role_name
        role_name = role_name.rsplit("/", 1)[-1]
    else:
        role_arn = f"arn:aws:iam::{account}:role/{role_name}"
    label = r.field("label").strip() or f"{role_name} @ {account}"
    if not _LABEL.match(label):
        label = role_name[:64]
    color = r.field("color") if r.field("color") in COLORS else "blue"
    try:
        # AssumeRole as the signed-in user, never as a role already switched to.
        page.caller = page.base
        result = page.call(
            "sts", "AssumeRole", {"RoleArn": role_arn, "RoleSessionName": page.base.name}
        )
    except AWSError as error:
        return switch_form(page, error, error.status)
    credentials = result["Credentials"]
    packed = pack_role(credentials["AccessKeyId"], credentials["SessionToken"])
    page.console.sessions.set_role(page.token, packed, label, color)
    return redirect("/console/", f"You are now acting as {label}.")


def switch_back(page: Page) -> Response:
    page.console.sessions.set_role(page.token, None, None, None)
    return redirect("/console/", f"Back to {page.base.name}.")
