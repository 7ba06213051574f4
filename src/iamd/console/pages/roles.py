"""Roles: the list, the create-role wizard, and a role's tabs (permissions, trust
relationships, tags, Access Advisor, revoke sessions).

https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_revoke-sessions.html
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from functools import cache
from typing import Any
from urllib.parse import quote, unquote

from iamd.cli.revoke_cmd import POLICY_NAME as REVOKE_POLICY
from iamd.cli.revoke_cmd import revoke_policy
from iamd.console.http import Response, redirect
from iamd.console.page import Page
from iamd.console.pages import trust_templates
from iamd.console.pages.common import listing, pretty, resolve_policy, validate
from iamd.console.routing import Router
from iamd.errors import AWSError
from iamd.policy import PolicyKind

TABS = (
    ("permissions", "Permissions"),
    ("trust", "Trust relationships"),
    ("tags", "Tags"),
    ("advisor", "Access Advisor"),
    ("revoke", "Revoke sessions"),
)


def register(router: Router) -> None:
    router.get("/console/roles")(list_roles)
    router.get("/console/roles/new")(wizard_start)
    router.post("/console/roles/new")(wizard_step)
    router.get("/console/roles/{name}")(show_role)
    router.post("/console/roles/{name}/trust")(update_trust)
    router.post("/console/roles/{name}/policies")(attach_policy)
    router.post("/console/roles/{name}/policies/detach")(detach_policy)
    router.post("/console/roles/{name}/tags")(add_tag)
    router.post("/console/roles/{name}/tags/remove")(remove_tag)
    router.post("/console/roles/{name}/revoke")(revoke_sessions)


def _here(name: str, tab: str = "") -> str:
    return f"/console/roles/{quote(name, safe='')}" + (f"?tab={tab}" if tab else "")


def list_roles(page: Page) -> Response:
    return page.render(
        "roles/list.html", listing=listing(page, "ListRoles", "Roles", "RoleName", {})
    )


# The wizard ----------------------------------------------------------------------------------


def wizard_start(page: Page) -> Response:
    return _trust_step(page, {}, [], 200)


def _trust_step(page: Page, form: dict[str, str], findings: list[Any], status: int) -> Response:
    providers, _ = page.try_call("iam", "ListOpenIDConnectProviders")
    saml, _ = page.try_call("iam", "ListSAMLProviders")
    return page.render(
        "roles/wizard_trust.html",
        status,
        form=form,
        findings=findings,
        kinds=trust_templates.KINDS,
        services=trust_templates.SERVICES,
        oidc=[p["Arn"] for p in (providers or {}).get("OpenIDConnectProviderList", [])],
        saml=[p["Arn"] for p in (saml or {}).get("SAMLProviderList", [])],
        custom_default=trust_templates.build("custom", {}, page.caller.account_id),
    )


def wizard_step(page: Page) -> Response:
    """Each step posts everything chosen so far; ``goto`` goes back a step."""
    r = page.request
    form = {name: values[0] for name, values in r.form.items() if values}
    trust, selected = form.get("trust", ""), r.fields("policy")
    goto, step = r.field("goto"), r.field("step")
    if goto == "trust":
        return _trust_step(page, {**form, "kind": "custom"}, [], 200)
    if goto == "permissions":
        return _permissions_step(page, trust, selected, [])
    if step == "trust":
        trust = trust_templates.build(form.get("kind", "service"), form, page.caller.account_id)
        findings, failed = validate(trust, PolicyKind.TRUST)
        if failed:
            return _trust_step(page, {**form, "kind": "custom", "trust": trust}, findings, 400)
        return _permissions_step(page, trust, selected, findings)
    if step == "permissions":
        return _review_step(page, trust, selected, None, 200)
    if step == "review":
        return _create(page, trust, selected)
    return _trust_step(page, form, [], 200)


def _permissions_step(page: Page, trust: str, selected: list[str], findings: list[Any]) -> Response:
    # The account's own policies through ListPolicies; AWS managed ones (public, and the same
    # in every account) from the catalog, so the step does not page through ~1,500 of them.
    policies = page.all_pages("ListPolicies", {"Scope": "Local"}, "Policies")
    policies.sort(key=lambda p: str(p["PolicyName"]).lower())
    policies += aws_managed_choices()
    return page.render(
        "roles/wizard_permissions.html",
        trust=trust,
        policies=policies,
        selected=set(selected),
        findings=findings,
    )


@cache
def _catalog() -> tuple[dict[str, str], ...]:
    from iamd.catalog import managed_policies

    loaded = managed_policies.load()
    found = loaded[1] if loaded is not None else []
    return tuple({"PolicyName": p.name, "Arn": p.arn} for p in found)


def aws_managed_choices() -> list[dict[str, str]]:
    return sorted(_catalog(), key=lambda p: p["PolicyName"].lower())


def _review_step(
    page: Page, trust: str, selected: list[str], error: AWSError | None, status: int
) -> Response:
    return page.render(
        "roles/wizard_review.html",
        status,
        trust=trust,
        selected=selected,
        error=error,
        form=page.request.form,
    )


def _create(page: Page, trust: str, selected: list[str]) -> Response:
    r = page.request
    name = r.field("name").strip()
    params: dict[str, Any] = {
        "RoleName": name,
        "AssumeRolePolicyDocument": trust,
        "Description": r.field("description") or None,
        "Path": r.field("path") or None,
    }
    if r.field("max_session").isdigit():
        params["MaxSessionDuration"] = int(r.field("max_session"))
    try:
        page.call("iam", "CreateRole", params)
        for arn in selected:
            page.call("iam", "AttachRolePolicy", {"RoleName": name, "PolicyArn": arn})
    except AWSError as error:
        return _review_step(page, trust, selected, error, error.status)
    return redirect(_here(name), f"Role {name} created.")


# A role's tabs -------------------------------------------------------------------------------


def _trust_text(role: dict[str, Any]) -> str:
    text = role.get("AssumeRolePolicyDocument", "")
    return pretty(unquote(text) if text.startswith("%") else text)


def show_role(page: Page, name: str, trust: str | None = None,
              findings: list[Any] | None = None, status: int = 200) -> Response:  # fmt: skip
    role = page.call("iam", "GetRole", {"RoleName": name})["Role"]
    tab = "trust" if trust is not None else page.request.arg("tab", "permissions")
    parts: dict[str, Any] = {}
    if tab == "permissions":
        parts["attached"] = page.try_call("iam", "ListAttachedRolePolicies", {"RoleName": name})
        parts["inline"] = page.try_call("iam", "ListRolePolicies", {"RoleName": name})
    elif tab == "tags":
        parts["tags"] = page.try_call("iam", "ListRoleTags", {"RoleName": name})
    elif tab == "advisor":
        parts["advisor"] = access_advisor(page, role["Arn"])
    return page.render(
        "roles/show.html",
        status,
        role=role,
        tab=tab,
        tabs=TABS,
        parts=parts,
        trust=trust if trust is not None else _trust_text(role),
        findings=findings or [],
    )


def update_trust(page: Page, name: str) -> Response:
    document = page.request.field("document")
    findings, failed = validate(document, PolicyKind.TRUST)
    if failed:
        return show_role(page, name, document, findings, 400)
    try:
        page.call("iam", "UpdateAssumeRolePolicy", {"RoleName": name, "PolicyDocument": document})
    except AWSError as error:
        if error.code == "AccessDenied":
            raise
        finding = {"type": "ERROR", "code": error.code, "message": error.message}
        return show_role(page, name, document, [finding], error.status)
    return redirect(_here(name, "trust"), "Trust policy updated.")


def attach_policy(page: Page, name: str) -> Response:
    arn = resolve_policy(page, page.request.field("policy"))
    page.call("iam", "AttachRolePolicy", {"RoleName": name, "PolicyArn": arn})
    return redirect(_here(name), f"Attached {arn}.")


def detach_policy(page: Page, name: str) -> Response:
    arn = page.request.field("arn")
    page.call("iam", "DetachRolePolicy", {"RoleName": name, "PolicyArn": arn})
    return redirect(_here(name), f"Detached {arn}.")


def add_tag(page: Page, name: str) -> Response:
    r = page.request
    tag = {"Key": r.field("key"), "Value": r.field("value")}
    page.call("iam", "TagRole", {"RoleName": name, "Tags": [tag]})
    return redirect(_here(name, "tags"), "Tag saved.")


def remove_tag(page: Page, name: str) -> Response:
    page.call("iam", "UntagRole", {"RoleName": name, "TagKeys": [page.request.field("key")]})
    return redirect(_here(name, "tags"), "Tag removed.")


def revoke_sessions(page: Page, name: str) -> Response:
    """What AWS's "Revoke active sessions" does: the AWSRevokeOlderSessions inline policy."""
    document = revoke_policy(datetime.now(UTC))
    page.call(
        "iam",
        "PutRolePolicy",
        {"RoleName": name, "PolicyName": REVOKE_POLICY, "PolicyDocument": document},
    )
    return redirect(_here(name, "revoke"), "Sessions issued before now are revoked.")


def access_advisor(page: Page, arn: str, wait: float = 5.0) -> dict[str, Any]:
    """GenerateServiceLastAccessedDetails, then its result once the job completes."""
    if not page.has("iam", "GenerateServiceLastAccessedDetails"):
        return {"unavailable": True}
    try:
        job = page.call("iam", "GenerateServiceLastAccessedDetails", {"Arn": arn})["JobId"]
        deadline = time.monotonic() + wait
        while True:
            result = page.call("iam", "GetServiceLastAccessedDetails", {"JobId": job})
            if result.get("JobStatus") != "IN_PROGRESS" or time.monotonic() > deadline:
                break
            time.sleep(0.05)
    except AWSError as error:
        return {"error": error}
    services = sorted(
        result.get("ServicesLastAccessed", []),
        key=lambda s: (s.get("LastAuthenticated") is None, s.get("ServiceName", "")),
    )
    return {"status": result.get("JobStatus"), "services": services}
