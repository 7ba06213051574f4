"""The audit trail: CloudTrail-format events, one row per AWS call, newest first on reading.

The body column holds the whole event as JSON (already redacted by :mod:`iamd.audit.events`);
the other columns are the attributes LookupEvents filters on.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select

from iamd.store.repos.audit_lookup import AuditLookup
from iamd.store.repos.base import Repo, seq, utc
from iamd.store.repos.trail_usage import TrailUsage
from iamd.store.schema import audit_events


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """What to select: a time range and any of the LookupEvents attributes."""

    account_id: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    event_id: str | None = None
    event_name: str | None = None
    event_source: str | None = None
    username: str | None = None
    access_key_id: str | None = None
    read_only: bool | None = None
    error_code: str | None = None


@dataclass(frozen=True, slots=True)
class StoredEvent:
    event_id: str
    event_time: datetime
    body: str

    @property
    def event(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.body)
        return loaded


def row_of(event: Mapping[str, Any]) -> dict[str, Any]:
    """The column values for one event dict (as built by :func:`iamd.audit.events.build`)."""
    identity = event.get("userIdentity") or {}
    issuer = (identity.get("sessionContext") or {}).get("sessionIssuer") or {}
    return {
        "event_id": event["eventID"],
        "event_time": datetime.fromisoformat(event["eventTime"].replace("Z", "+00:00")),
        "seq": seq(),
        "account_id": event.get("recipientAccountId") or "",
        "event_name": event["eventName"],
        "event_source": event["eventSource"],
        "username": identity.get("userName") or issuer.get("userName"),
        "principal_arn": identity.get("arn"),
        "access_key_id": identity.get("accessKeyId"),
        "read_only": bool(event.get("readOnly")),
        "error_code": event.get("errorCode"),
        "body": json.dumps(event, separators=(",", ":")),
    }


class AuditEvents(Repo):
    def insert_many(self, events: Iterable[Mapping[str, Any]]) -> int:
        events = list(events)
        rows = [row_of(event) for event in events]
        if rows:
            self.conn.execute(audit_events.insert(), rows)
            # Last-use answers are folded from the same events in the same transaction.
            TrailUsage(self.conn, self.sealer).absorb(events)
            # So are the resources LookupEvents filters on.
            AuditLookup(self.conn, self.sealer).insert_resources(events)
        return len(rows)

    def list(
        self, where: AuditFilter = AuditFilter(), limit: int = 50, offset: int = 0
    ) -> list[StoredEvent]:
        query = self._filtered(
            select(audit_events.c.event_id, audit_events.c.event_time, audit_events.c.body), where
        )
        query = query.order_by(audit_events.c.event_time.desc(), audit_events.c.seq.desc())
        rows = self.conn.execute(query.limit(limit).offset(offset))
        return [StoredEvent(str(r[0]), utc(r[1]) or r[1], str(r[2])) for r in rows]

    def count(self, where: AuditFilter = AuditFilter()) -> int:
        query = self._filtered(select(func.count()).select_from(audit_events), where)
        return int(self.conn.execute(query).scalar_one())

    def _filtered(self, query: Select[Any], where: AuditFilter) -> Select[Any]:
        c = audit_events.c
        clauses: list[ColumnElement[bool]] = []
        if where.account_id is not None:
            clauses.append(c.account_id == where.account_id)
        if where.start is not None:
            clauses.append(c.event_time >= where.start)
        if where.end is not None:
            clauses.append(c.event_time <= where.end)
        for column, value in (
            (c.event_id, where.event_id),
            (c.event_name, where.event_name),
            (c.event_source, where.event_source),
            (c.username, where.username),
            (c.access_key_id, where.access_key_id),
            (c.error_code, where.error_code),
        ):
            if value is not None:
                clauses.append(column == value)
        if where.read_only is not None:
            clauses.append(c.read_only == where.read_only)
        return query.where(*clauses) if clauses else query
