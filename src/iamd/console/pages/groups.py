"""Groups: the list, creating one, and a group's members and policies."""

from __future__ import annotations

from urllib.parse import quote

from iamd.console.http import Response, redirect
from iamd.console.page import Page
from iamd.console.pages.common import listing, resolve_policy
from iamd.console.routing import Router
from iamd.errors import AWSError


def register(router: Router) -> None:
    router.get("/console/groups")(list_groups)
    router.post("/console/groups")(create_group)
    router.get("/console/groups/{name}")(show_group)
    router.post("/console/groups/{name}/members")(add_member)
    router.post("/console/groups/{name}/members/remove")(remove_member)
    router.post("/console/groups/{name}/policies")(attach_policy)
    router.post("/console/groups/{name}/policies/detach")(detach_policy)


def _here(name: str) -> str:
    return f"/console/groups/{quote(name, safe='')}"


def list_groups(page: Page, error: AWSError | None = None, status: int = 200) -> Response:
    found = listing(page, "ListGroups", "Groups", "GroupName", {})
    return page.render("groups/list.html", status, listing=found, error=error)


def create_group(page: Page) -> Response:
    name = page.request.field("name").strip()
    try:
        page.call("iam", "CreateGroup", {"GroupName": name})
    except AWSError as error:
        return list_groups(page, error, error.status)
    return redirect(_here(name), f"Group {name} created.")


def show_group(page: Page, name: str) -> Response:
    group = page.call("iam", "GetGroup", {"GroupName": name, "MaxItems": 1000})
    attached = page.try_call("iam", "ListAttachedGroupPolicies", {"GroupName": name})
    inline = page.try_call("iam", "ListGroupPolicies", {"GroupName": name})
    return page.render(
        "groups/show.html",
        group=group["Group"],
        members=group.get("Users", []),
        attached=attached,
        inline=inline,
    )


def add_member(page: Page, name: str) -> Response:
    user = page.request.field("user").strip()
    page.call("iam", "AddUserToGroup", {"GroupName": name, "UserName": user})
    return redirect(_here(name), f"Added {user}.")


def remove_member(page: Page, name: str) -> Response:
    user = page.request.field("user")
    page.call("iam", "RemoveUserFromGroup", {"GroupName": name, "UserName": user})
    return redirect(_here(name), f"Removed {user}.")


def attach_policy(page: Page, name: str) -> Response:
    arn = resolve_policy(page, page.request.field("policy"))
    page.call("iam", "AttachGroupPolicy", {"GroupName": name, "PolicyArn": arn})
    return redirect(_here(name), f"Attached {arn}.")


def detach_policy(page: Page, name: str) -> Response:
    arn = page.request.field("arn")
    page.call("iam", "DetachGroupPolicy", {"GroupName": name, "PolicyArn": arn})
    return redirect(_here(name), f"Detached {arn}.")
