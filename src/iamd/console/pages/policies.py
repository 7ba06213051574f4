"""Policies: AWS managed and customer managed, the JSON editor with Access Analyzer findings
as one types, versions and the default version.

https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_policy-validator.html
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, unquote

from iamd.console.http import Response, json_response, redirect
from iamd.console.page import Page
from iamd.console.pages.common import listing, pretty, validate
from iamd.console.routing import Router
from iamd.errors import AWSError
from iamd.policy import PolicyKind

SCOPES = (("All", "All"), ("AWS", "AWS managed"), ("Local", "Customer managed"))
KINDS = {"identity": PolicyKind.IDENTITY, "trust": PolicyKind.TRUST,
         "resource": PolicyKind.RESOURCE, "boundary": PolicyKind.BOUNDARY}  # fmt: skip
STARTER = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "s3:GetObject",
      "Resource": "arn:aws:s3:::example-bucket/*"
    }
  ]
}"""


def register(router: Router) -> None:
    router.get("/console/policies")(list_policies)
    router.get("/console/policies/new")(new_policy_form)
    router.post("/console/policies/new")(create_policy)
    router.get("/console/policies/view")(show_policy)
    router.post("/console/policies/versions")(create_version)
    router.post("/console/policies/default")(set_default)
    router.post("/console/api/validate")(validate_api)


def _view(arn: str) -> str:
    return f"/console/policies/view?arn={quote(arn, safe='')}"


def list_policies(page: Page) -> Response:
    scope = page.request.arg("scope", "All")
    if scope not in {"All", "AWS", "Local"}:
        scope = "All"
    found = listing(page, "ListPolicies", "Policies", "PolicyName", {"Scope": scope})
    return page.render("policies/list.html", listing=found, scope=scope, scopes=SCOPES)


def new_policy_form(page: Page, error: AWSError | None = None,
                    findings: list[Any] | None = None, status: int = 200) -> Response:  # fmt: skip
    r = page.request
    return page.render(
        "policies/new.html",
        status,
        error=error,
        findings=findings or [],
        document=r.field("document") or STARTER,
        name=r.field("name"),
        description=r.field("description"),
    )


def create_policy(page: Page) -> Response:
    r = page.request
    document = r.field("document")
    findings, failed = validate(document, PolicyKind.IDENTITY)
    if failed:
        return new_policy_form(page, None, findings, 400)
    try:
        created = page.call(
            "iam",
            "CreatePolicy",
            {
                "PolicyName": r.field("name").strip(),
                "PolicyDocument": document,
                "Description": r.field("description") or None,
            },
        )["Policy"]
    except AWSError as error:
        return new_policy_form(page, error, findings, error.status)
    return redirect(_view(created["Arn"]), f"Policy {created['PolicyName']} created.")


def show_policy(page: Page, error: AWSError | None = None, draft: str | None = None,
                findings: list[Any] | None = None, status: int = 200) -> Response:  # fmt: skip
    arn = page.request.arg("arn") or page.request.field("arn")
    policy = page.call("iam", "GetPolicy", {"PolicyArn": arn})["Policy"]
    versions = page.call("iam", "ListPolicyVersions", {"PolicyArn": arn})["Versions"]
    wanted = page.request.arg("version") or policy["DefaultVersionId"]
    version = page.call("iam", "GetPolicyVersion", {"PolicyArn": arn, "VersionId": wanted})[
        "PolicyVersion"
    ]
    text = version.get("Document", "")
    document = pretty(unquote(text) if text.startswith("%") else text)
    return page.render(
        "policies/show.html",
        status,
        policy=policy,
        versions=versions,
        version=version,
        document=document,
        draft=draft if draft is not None else document,
        error=error,
        findings=findings or [],
        aws_managed=arn.startswith("arn:aws:iam::aws:"),
    )


def create_version(page: Page) -> Response:
    r = page.request
    arn, document = r.field("arn"), r.field("document")
    findings, failed = validate(document, PolicyKind.IDENTITY)
    if failed:
        return show_policy(page, None, document, findings, 400)
    try:
        page.call(
            "iam",
            "CreatePolicyVersion",
            {
                "PolicyArn": arn,
                "PolicyDocument": document,
                "SetAsDefault": r.field("default") == "on",
            },
        )
    except AWSError as error:
        if error.code == "AccessDenied":
            raise
        return show_policy(page, error, document, findings, error.status)
    return redirect(_view(arn), "New version saved.")


def set_default(page: Page) -> Response:
    r = page.request
    arn, version = r.field("arn"), r.field("version")
    page.call("iam", "SetDefaultPolicyVersion", {"PolicyArn": arn, "VersionId": version})
    return redirect(_view(arn), f"{version} is now the default version.")


def validate_api(page: Page) -> Response:
    """The editor's live findings: ``{"document": text, "kind": "identity"}`` in, findings out.
    Validation is local (no AWS call to authorize), like ValidatePolicy's use in AWS's editor."""
    body = page.request.json()
    if not isinstance(body, dict) or not isinstance(body.get("document"), str):
        return json_response({"error": 'Expected {"document": "..."}'}, 400)
    kind = KINDS.get(str(body.get("kind", "identity")), PolicyKind.IDENTITY)
    findings, _ = validate(body["document"], kind)
    return json_response({"findings": findings})
