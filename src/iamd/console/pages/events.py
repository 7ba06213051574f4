"""Event history: the audit trail through CloudTrail's LookupEvents, filtered like CloudTrail's
console (one lookup attribute and a time range), newest first.

https://docs.aws.amazon.com/awscloudtrail/latest/userguide/view-cloudtrail-events-console.html
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from iamd.console.http import Response
from iamd.console.page import Page
from iamd.console.routing import Router
from iamd.errors import AWSError

ATTRIBUTES = ("EventName", "Username", "EventSource", "ResourceName", "ResourceType",
              "AccessKeyId", "EventId", "ReadOnly")  # fmt: skip


def register(router: Router) -> None:
    router.get("/console/events")(events_page)


def _time(text: str) -> datetime | None:
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def events_page(page: Page) -> Response:
    r = page.request
    if not page.has("cloudtrail", "LookupEvents"):
        return page.render("events.html", unavailable=True)
    attribute = r.arg("attribute") if r.arg("attribute") in ATTRIBUTES else "EventName"
    value = r.arg("value").strip()
    params: dict[str, Any] = {"MaxResults": 50, "NextToken": r.arg("next") or None}
    if value:
        params["LookupAttributes"] = [{"AttributeKey": attribute, "AttributeValue": value}]
    start, end = _time(r.arg("start")), _time(r.arg("end"))
    if start:
        params["StartTime"] = start
    if end:
        params["EndTime"] = end
    error: AWSError | None = None
    events: list[dict[str, Any]] = []
    following = None
    try:
        result = page.call("cloudtrail", "LookupEvents", params)
        events = result.get("Events", [])
        following = result.get("NextToken")
    except AWSError as failure:
        if failure.code == "AccessDenied":
            raise
        error = failure
    return page.render(
        "events.html",
        400 if error else 200,
        unavailable=False,
        attributes=ATTRIBUTES,
        attribute=attribute,
        value=value,
        start=r.arg("start"),
        end=r.arg("end"),
        events=events,
        following=following,
        error=error,
    )
