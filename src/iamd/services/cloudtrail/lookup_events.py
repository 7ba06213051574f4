# ruff: noqa: N818  (error classes carry AWS's own error-code names)
"""LookupEvents: CloudTrail's event history, read from iamd's audit trail.

https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html

At most one lookup attribute (EventId, EventName, ReadOnly, Username, ResourceType,
ResourceName, EventSource or AccessKeyId), a time range (the last 90 days by default), pages of
1-50 events (50 by default), newest first.  Only the caller's account's events are visible.
Events are written by a background recorder; the ones still queued are written before reading,
so a caller sees its own earlier calls.

The ``NextToken`` names the last event returned (its time and arrival order) and the question
it answers: pages never shift under concurrent writes, and a token offered with a different
question is ``InvalidNextTokenException``, as AWS says ("a token that was previously used in a
request with different parameters").
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from iamd.audit.recorder import flush_pending
from iamd.errors import SenderError
from iamd.services.call import Call
from iamd.services.cloudtrail.common import REGISTRY
from iamd.services.registry import Target
from iamd.store import Tx
from iamd.store.repos.audit_lookup import AuditLookup, Lookup, resource_name

MAX_RESULTS = 50
HISTORY = timedelta(days=90)
ATTRIBUTE_KEYS = frozenset(
    {
        "EventId",
        "EventName",
        "ReadOnly",
        "Username",
        "ResourceType",
        "ResourceName",
        "EventSource",
        "AccessKeyId",
    }
)
MAX_ATTRIBUTE_VALUE = 2000


class InvalidLookupAttributesException(SenderError):
    code = "InvalidLookupAttributesException"


class InvalidTimeRangeException(SenderError):
    code = "InvalidTimeRangeException"


class InvalidMaxResultsException(SenderError):
    code = "InvalidMaxResultsException"


class InvalidNextTokenException(SenderError):
    code = "InvalidNextTokenException"


class InvalidEventCategoryException(SenderError):
    code = "InvalidEventCategoryException"


def lookup_target(call: Call, tx: Tx) -> Target:
    # cloudtrail:LookupEvents supports no resource type: it is authorized on "*".
    # https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscloudtrail.html
    return Target("*")


@REGISTRY.operation("LookupEvents", target=lookup_target)
def lookup_events(call: Call) -> dict[str, Any]:
    attribute = _attribute(call.param("LookupAttributes"))
    start, end = _time_range(call)
    limit = _max_results(call.param("MaxResults"))
    category = call.param("EventCategory")
    if category is not None and category != "insight":
        raise InvalidEventCategoryException(
            f"Event category {category} is not valid. The only valid value is insight."
        )
    question = _fingerprint(attribute, call.param("StartTime"), call.param("EndTime"), category)
    after = _cursor(call.param("NextToken"), question)
    if category == "insight":
        return {"Events": []}  # iamd records management events only: there are no Insights
    flush_pending(call.store)
    lookup = Lookup(call.account_id, start, end, attribute, after, limit + 1)
    with call.store.read() as tx:
        found = tx.repo(AuditLookup).page(lookup)
    result: dict[str, Any] = {"Events": [_event(row.body) for row in found[:limit]]}
    if len(found) > limit:
        last = found[limit - 1]
        result["NextToken"] = _token(last.event_time, last.seq, question)
    return result


# --- input -------------------------------------------------------------------------------


def _attribute(attributes: list[dict[str, str]] | None) -> tuple[str, str] | None:
    if not attributes:
        return None
    if len(attributes) > 1:
        raise InvalidLookupAttributesException("You can specify only one lookup attribute.")
    key = attributes[0].get("AttributeKey")
    value = attributes[0].get("AttributeValue")
    if key not in ATTRIBUTE_KEYS:
        raise InvalidLookupAttributesException(f"Lookup attribute key {key} is not valid.")
    if not value or len(value) > MAX_ATTRIBUTE_VALUE:
        raise InvalidLookupAttributesException(
            f"Lookup attribute value for {key} must be 1 to {MAX_ATTRIBUTE_VALUE} characters."
        )
    if key == "ReadOnly" and value not in ("true", "false"):
        raise InvalidLookupAttributesException(
            "The value of the ReadOnly lookup attribute must be true or false."
        )
    return key, value


def _time_range(call: Call) -> tuple[datetime, datetime]:
    now = call.now or datetime.now(UTC)
    start = _utc(call.param("StartTime")) or now - HISTORY
    end = _utc(call.param("EndTime")) or now
    if start > end:
        raise InvalidTimeRangeException("Start time must be earlier than end time.")
    return start, end


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _max_results(value: int | None) -> int:
    if value is None:
        return MAX_RESULTS
    if not 1 <= value <= MAX_RESULTS:
        raise InvalidMaxResultsException(
            f"A max results value of {value} is invalid. Specify a value from 1 to {MAX_RESULTS}."
        )
    return value


# --- the page token ------------------------------------------------------------------------


def _fingerprint(
    attribute: tuple[str, str] | None,
    start: datetime | None,
    end: datetime | None,
    category: str | None,
) -> str:
    question = [
        list(attribute) if attribute else None,
        start.timestamp() if start is not None else None,
        end.timestamp() if end is not None else None,
        category,
    ]
    digest = hashlib.sha256(json.dumps(question).encode()).hexdigest()
    return digest[:16]


def _token(event_time: datetime, seq: int, question: str) -> str:
    micros = int(event_time.timestamp() * 1_000_000)
    raw = json.dumps([micros, seq, question], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor(token: str | None, question: str) -> tuple[datetime, int] | None:
    if token is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        micros, seq, asked = json.loads(raw)
        if not (type(micros) is int and type(seq) is int and isinstance(asked, str)):
            raise ValueError(token)
        when = datetime.fromtimestamp(micros / 1_000_000, UTC)
    except (binascii.Error, ValueError, TypeError, OverflowError, OSError):
        raise InvalidNextTokenException("Invalid NextToken.") from None
    if asked != question:
        raise InvalidNextTokenException(
            "The NextToken was issued for a request with different parameters."
        )
    return when, seq


# --- output ------------------------------------------------------------------------------


def _event(body: str) -> dict[str, Any]:
    """CloudTrail's ``Event``: the summary fields, and the whole record as ``CloudTrailEvent``."""
    event = json.loads(body)
    identity = event.get("userIdentity") or {}
    issuer = (identity.get("sessionContext") or {}).get("sessionIssuer") or {}
    out: dict[str, Any] = {
        "EventId": event.get("eventID"),
        "EventName": event.get("eventName"),
        "ReadOnly": "true" if event.get("readOnly") else "false",
        "AccessKeyId": identity.get("accessKeyId"),
        "EventTime": datetime.fromisoformat(str(event["eventTime"]).replace("Z", "+00:00")),
        "EventSource": event.get("eventSource"),
        "Username": identity.get("userName") or issuer.get("userName"),
        "Resources": [
            {"ResourceType": r.get("type"), "ResourceName": resource_name(r)}
            for r in event.get("resources") or ()
        ],
        "CloudTrailEvent": body,
    }
    return {k: v for k, v in out.items() if v is not None}
