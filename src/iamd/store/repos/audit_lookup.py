"""CloudTrail's event history over the audit trail: the resources of each event, and one page
of LookupEvents.

An event's ``resources`` live inside its JSON body; to filter on them without reading bodies,
each one is also a row of ``audit_event_resources`` (type and the name LookupEvents shows),
written in the same transaction as the event.

Pages are read newest first by ``(event_time, seq)`` and continue *after* the last event
returned (a keyset, not an offset), so events written while a client pages through never
shift, repeat or hide the events of later pages.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select

from iamd.store.repos.base import Repo, utc
from iamd.store.schema import audit_event_resources, audit_events

ACCESS_KEY = "AWS::IAM::AccessKey"
POLICY = "AWS::IAM::Policy"

ATTRIBUTE_COLUMNS = {
    "EventId": audit_events.c.event_id,
    "EventName": audit_events.c.event_name,
    "EventSource": audit_events.c.event_source,
    "Username": audit_events.c.username,
    "AccessKeyId": audit_events.c.access_key_id,
}
RESOURCE_COLUMNS = {
    "ResourceType": audit_event_resources.c.resource_type,
    "ResourceName": audit_event_resources.c.resource_name,
}


def resource_name(resource: Mapping[str, Any]) -> str:
    """The name LookupEvents shows for one of an event's ``resources``: an IAM entity's name,
    a policy's ARN, an access key's id."""
    arn = str(resource.get("ARN", ""))
    if resource.get("type") in (POLICY, ACCESS_KEY) or not arn.startswith("arn:"):
        return arn
    return arn.rsplit("/", 1)[-1]


@dataclass(frozen=True, slots=True)
class Lookup:
    """One page's question: the account, the time range, at most one attribute, the cursor."""

    account_id: str
    start: datetime
    end: datetime
    attribute: tuple[str, str] | None = None
    after: tuple[datetime, int] | None = None
    limit: int = 50


@dataclass(frozen=True, slots=True)
class FoundEvent:
    event_time: datetime
    seq: int
    body: str


class AuditLookup(Repo):
    def insert_resources(self, events: Iterable[Mapping[str, Any]]) -> int:
        """Index the ``resources`` of events being written (call in the same transaction)."""
        rows = []
        for event in events:
            for position, resource in enumerate(event.get("resources") or ()):
                rows.append(
                    {
                        "event_id": event["eventID"],
                        "position": position,
                        "account_id": event.get("recipientAccountId") or "",
                        "resource_type": str(resource.get("type", ""))[:128],
                        "resource_name": resource_name(resource)[:2048],
                    }
                )
        if rows:
            self.conn.execute(audit_event_resources.insert(), rows)
        return len(rows)

    def page(self, lookup: Lookup) -> list[FoundEvent]:
        """Up to ``lookup.limit`` events, newest first."""
        e = audit_events.c
        clauses: list[ColumnElement[bool]] = [
            e.account_id == lookup.account_id,
            e.event_time >= lookup.start,
            e.event_time <= lookup.end,
        ]
        if lookup.attribute is not None:
            clauses.append(_attribute_clause(lookup.account_id, *lookup.attribute))
        if lookup.after is not None:
            time, seq = lookup.after
            clauses.append(e.event_time <= time)  # lets the time index bound the scan
            clauses.append(or_(e.event_time < time, and_(e.event_time == time, e.seq < seq)))
        # ix_audit_events_account_time_seq serves this order: read narrow rows
        # (id, time, seq), then read only the page's bodies.  Sorting whole rows cost tens of
        # milliseconds when thousands of events share a second.
        keys = (
            select(e.event_id, e.event_time, e.seq)
            .where(*clauses)
            .order_by(e.event_time.desc(), e.seq.desc())
            .limit(lookup.limit)
        )
        order = [(str(r[0]), utc(r[1]) or r[1], int(r[2])) for r in self.conn.execute(keys)]
        if not order:
            return []
        ids = [event_id for event_id, _, _ in order]
        found = self.conn.execute(select(e.event_id, e.body).where(e.event_id.in_(ids)))
        bodies = {str(row[0]): str(row[1]) for row in found}
        return [FoundEvent(time, seq, bodies[event_id]) for event_id, time, seq in order]


def _attribute_clause(account_id: str, key: str, value: str) -> ColumnElement[bool]:
    column = ATTRIBUTE_COLUMNS.get(key)
    if column is not None:
        return column == value
    if key == "ReadOnly":
        return audit_events.c.read_only == (value == "true")
    r = audit_event_resources.c
    # Driven by the resources index (account, type or name), not a probe per event.
    return audit_events.c.event_id.in_(
        select(r.event_id).where(r.account_id == account_id, RESOURCE_COLUMNS[key] == value)
    )
