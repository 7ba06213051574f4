"""The dashboard: counts, and AWS's security recommendations from the credential report.

https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html
"""

from __future__ import annotations

import csv
import io
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from iamd.console.http import Response
from iamd.console.page import Page
from iamd.console.routing import Router

KEY_AGE = timedelta(days=90)
UNUSED = timedelta(days=90)


def register(router: Router) -> None:
    router.get("/console")(dashboard)


def dashboard(page: Page) -> Response:
    summary, denied = page.try_call("iam", "GetAccountSummary")
    counts = (summary or {}).get("SummaryMap", {})
    recommendations: list[dict[str, Any]] = []
    if counts and not counts.get("AccountMFAEnabled"):
        recommendations.append(
            {
                "title": "Add MFA for the root user",
                "detail": "The root user has no MFA device. Sign-ins as root need only a password.",
            }
        )
    report_error = None
    if page.has("iam", "GetCredentialReport"):
        rows, report_error = credential_rows(page)
        recommendations += from_report(rows or [], datetime.now(UTC))
    return page.render(
        "dashboard.html",
        counts=counts,
        denied=denied,
        recommendations=recommendations,
        report_error=report_error,
    )


def credential_rows(page: Page, wait: float = 5.0) -> tuple[list[dict[str, str]] | None, Any]:
    """The credential report's rows, generating it first if need be (it is quick)."""
    deadline = time.monotonic() + wait
    while True:
        generated, error = page.try_call("iam", "GenerateCredentialReport")
        if error is not None:
            return None, error
        if generated.get("State") == "COMPLETE" or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    report, error = page.try_call("iam", "GetCredentialReport")
    if error is not None:
        return None, error
    return report_rows(report), None


def report_rows(report: dict[str, Any]) -> list[dict[str, str]]:
    """The rows of a GetCredentialReport answer (its Content is the CSV)."""
    content = report.get("Content", b"")
    text = content.decode() if isinstance(content, (bytes, bytearray)) else str(content)
    return list(csv.DictReader(io.StringIO(text)))


def _date(text: str | None) -> datetime | None:
    if not text or text in ("N/A", "no_information", "not_supported"):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def from_report(rows: list[dict[str, str]], now: datetime) -> list[dict[str, Any]]:
    no_mfa, old_keys, unused = [], [], []
    for row in rows:
        user = row.get("user", "")
        if user == "<root_account>":
            continue
        if row.get("password_enabled") == "true" and row.get("mfa_active") != "true":
            no_mfa.append(user)
        for n in ("1", "2"):
            if row.get(f"access_key_{n}_active") != "true":
                continue
            rotated = _date(row.get(f"access_key_{n}_last_rotated"))
            if rotated and now - rotated > KEY_AGE:
                old_keys.append(f"{user} (key {n})")
            used = _date(row.get(f"access_key_{n}_last_used_date"))
            if (used or rotated) and now - (used or rotated or now) > UNUSED:
                unused.append(f"{user} (access key {n})")
        if row.get("password_enabled") == "true":
            used = _date(row.get("password_last_used"))
            since = (
                used
                or _date(row.get("password_last_changed"))
                or _date(row.get("user_creation_time"))
            )
            if since and now - since > UNUSED:
                unused.append(f"{user} (console password)")
    out = []
    if no_mfa:
        out.append({"title": "Users without MFA", "detail": "These users sign in to the console "
                    "with a password alone.", "who": no_mfa})  # fmt: skip
    if old_keys:
        out.append({"title": "Access keys older than 90 days", "detail": "Rotate them.",
                    "who": old_keys})  # fmt: skip
    if unused:
        out.append({"title": "Credentials unused for 90 days", "detail": "Remove what no one "
                    "uses.", "who": unused})  # fmt: skip
    return out
