"""IAM Access Analyzer: analyzers, their findings (external and unused access) with status,
and archiving.  Calls the access-analyzer service as the signed-in principal.

https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-findings-view.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-unused-access.html
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from iamd.console.http import Response, redirect
from iamd.console.page import Page
from iamd.console.routing import Router
from iamd.errors import AWSError

SERVICE = "access-analyzer"
STATUSES = ("ACTIVE", "ARCHIVED", "RESOLVED")
TYPES = (("ACCOUNT", "External access"), ("ACCOUNT_UNUSED_ACCESS", "Unused access"))


def register(router: Router) -> None:
    router.get("/console/analyzer")(analyzer_page)
    router.post("/console/analyzer")(create_analyzer)
    router.post("/console/analyzer/findings")(update_finding)


def _here(analyzer: str, status: str) -> str:
    return f"/console/analyzer?analyzer={quote(analyzer, safe='')}&status={status}"


def analyzer_page(page: Page, error: AWSError | None = None, status_code: int = 200) -> Response:
    if not page.has(SERVICE, "ListFindingsV2"):
        return page.render("analyzer.html", unavailable=True)
    listed, list_error = page.try_call(SERVICE, "ListAnalyzers", {})
    analyzers: list[dict[str, Any]] = (listed or {}).get("analyzers", [])
    chosen = page.request.arg("analyzer") or (analyzers[0]["arn"] if analyzers else "")
    status = page.request.arg("status", "ACTIVE")
    if status not in STATUSES:
        status = "ACTIVE"
    findings: list[dict[str, Any]] = []
    find_error = None
    if chosen:
        params = {"analyzerArn": chosen, "filter": {"status": {"eq": [status]}}, "maxResults": 100}
        found, find_error = page.try_call(SERVICE, "ListFindingsV2", params)
        findings = (found or {}).get("findings", [])
    return page.render(
        "analyzer.html",
        status_code,
        unavailable=False,
        analyzers=analyzers,
        chosen=chosen,
        finding_status=status,
        statuses=STATUSES,
        types=TYPES,
        findings=findings,
        error=error or list_error or find_error,
    )


def create_analyzer(page: Page) -> Response:
    kind = page.request.field("type")
    if kind not in dict(TYPES):
        kind = "ACCOUNT"
    name = page.request.field("name").strip() or kind.lower().replace("_", "-")
    params: dict[str, Any] = {"analyzerName": name, "type": kind}
    if kind == "ACCOUNT_UNUSED_ACCESS":
        params["configuration"] = {"unusedAccess": {"unusedAccessAge": 90}}
    try:
        created = page.call(SERVICE, "CreateAnalyzer", params)
    except AWSError as error:
        return analyzer_page(page, error, error.status)
    return redirect(_here(created["arn"], "ACTIVE"), f"Analyzer {name} created.")


def update_finding(page: Page) -> Response:
    r = page.request
    analyzer, finding = r.field("analyzer"), r.field("id")
    status = "ARCHIVED" if r.field("action") == "archive" else "ACTIVE"
    page.call(SERVICE, "UpdateFindings", {"analyzerArn": analyzer, "ids": [finding],
                                           "status": status})  # fmt: skip
    return redirect(_here(analyzer, status), f"Finding {finding} is now {status.lower()}.")
