"""The credential report: generate it and download it as AWS's CSV.

https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html
"""

from __future__ import annotations

from iamd.console.http import Response, redirect
from iamd.console.page import Page
from iamd.console.pages.dashboard import credential_rows, report_rows
from iamd.console.routing import Router

PREVIEW = (
    "user",
    "password_enabled",
    "password_last_used",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
)


def register(router: Router) -> None:
    router.get("/console/credential-report")(report_page)
    router.post("/console/credential-report")(generate)
    router.get("/console/credential-report/download")(download)


def report_page(page: Page) -> Response:
    report, error = page.try_call("iam", "GetCredentialReport")
    rows = report_rows(report) if report is not None else []
    return page.render(
        "reports/credentials.html",
        report=report,
        error=error,
        rows=rows[:200],
        total=len(rows),
        columns=PREVIEW,
    )


def generate(page: Page) -> Response:
    rows, error = credential_rows(page)
    if error is not None:
        raise error
    return redirect("/console/credential-report", f"Report generated: {len(rows or [])} rows.")


def download(page: Page) -> Response:
    report = page.call("iam", "GetCredentialReport")
    content = report.get("Content", b"")
    body = content if isinstance(content, bytes) else str(content).encode()
    response = Response(200, body, "text/csv; charset=utf-8")
    response.headers.append((b"content-disposition", b'attachment; filename="status_reports.csv"'))
    return response
