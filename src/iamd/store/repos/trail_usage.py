"""When each credential and entity was last used, folded from the audit trail as it is written.

The trail is the record of truth, but finding "the last event signed with key K" in millions
of events is a scan.  So every batch of events written to ``audit_events`` is folded, in the
same transaction, into one row per (subject, scope) holding the latest time, region and
service: the answers (credential report, Access Advisor, RoleLastUsed, GetAccessKeyLastUsed)
are then indexed reads that agree with the trail by construction.

Subjects: ``key:<access key id>`` (long-term keys only: session keys are per session),
``user:<user id>``, ``role:<role id>`` (a session of the role made the call), ``root``, and
``login:<user id>`` / ``login:root`` for successful console sign-ins.  Scopes: ``*`` (any
service), a service namespace (``iam``), or an action (``iam:GetUser``).

AWS counts attempted access, denied calls included, but not calls that failed to
authenticate ("The data does not include unauthenticated attempts"):
https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_access-advisor.html
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.dialects import postgresql, sqlite

from iamd.store.repos.base import Repo, utc
from iamd.store.schema import audit_events, trail_usage

log = logging.getLogger("iamd")

ANY = "*"
AUTHENTICATION_FAILURES = frozenset(
    {
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "IncompleteSignature",
        "MissingAuthenticationToken",
        "ExpiredToken",
        "InvalidAccessKeyId",
    }
)
SIGN_IN_EVENTS = frozenset({"ConsoleLogin"})
LONG_TERM_KEY_PREFIX = "AKIA"

Fact = tuple[str, str, str, datetime, str | None, str]
"""(account id, subject, scope, time, region, service)."""


@dataclass(frozen=True, slots=True)
class Usage:
    last_time: datetime
    region: str | None
    service: str | None


def event_actions(event: Mapping[str, Any]) -> list[str]:
    """The IAM actions a call needed: ``service:eventName`` for iamd's own services, and for a
    gateway call the actions it was authorized for (``additionalEventData.iamActions``), since
    an operation's name is not always its action (ListObjectsV2 is ``s3:ListBucket``, Lambda's
    Invoke ``lambda:InvokeFunction``, a CopyObject needs two)."""
    extra = event.get("additionalEventData")
    named = extra.get("iamActions") if isinstance(extra, Mapping) else None
    if isinstance(named, list) and named and all(isinstance(a, str) for a in named):
        return list(named)
    service = str(event.get("eventSource") or "").split(".", 1)[0]
    return [f"{service}:{event.get('eventName')}"]


def facts_of(event: Mapping[str, Any]) -> list[Fact]:
    """What one CloudTrail event says about who used what, when and where."""
    if event.get("errorCode") in AUTHENTICATION_FAILURES:
        return []
    sign_in = event.get("eventName") in SIGN_IN_EVENTS
    if sign_in and not _signed_in(event):
        return []  # a wrong password did not authenticate anyone
    account = event.get("recipientAccountId") or ""
    identity = event.get("userIdentity") or {}
    when = datetime.fromisoformat(str(event["eventTime"]).replace("Z", "+00:00"))
    region = event.get("awsRegion")
    service = str(event.get("eventSource") or "").split(".", 1)[0]
    kind = identity.get("type")
    facts: list[Fact] = []
    key = identity.get("accessKeyId") or ""
    if key.startswith(LONG_TERM_KEY_PREFIX):
        facts.append((account, f"key:{key}", ANY, when, region, service))
    entity = None
    issuer = (identity.get("sessionContext") or {}).get("sessionIssuer") or {}
    if issuer.get("type") == "Role" and issuer.get("principalId"):
        # A role session, whichever way it was obtained (AssumeRole, web identity, SAML).
        entity = f"role:{issuer['principalId']}"
    elif kind == "IAMUser" and identity.get("principalId"):
        entity = f"user:{identity['principalId']}"
    elif kind == "Root":
        entity = "root"
    if entity is None:
        return facts
    for scope in (ANY, service, *event_actions(event)):
        facts.append((account, entity, scope, when, region, service))
    if sign_in:
        login = "login:root" if entity == "root" else f"login:{entity.split(':', 1)[1]}"
        facts.append((account, login, ANY, when, region, service))
    return facts


def _signed_in(event: Mapping[str, Any]) -> bool:
    if event.get("errorCode") or event.get("errorMessage"):
        return False
    response = event.get("responseElements") or {}
    outcome = response.get("ConsoleLogin", response.get("consoleLogin", "Success"))
    return str(outcome) == "Success"


def representatives(events: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The latest event of each group of events that say the same thing but for their time.

    The recorder writes batches of a hundred events, mostly the same caller making the same
    call: grouping on a few fields first keeps the per-event cost of folding to a handful of
    dictionary reads (the audit writer shares the GIL with the request path).  eventTime is
    ``YYYY-MM-DDTHH:MM:SSZ``, so comparing the text compares the times.
    """
    best: dict[tuple[Any, ...], Mapping[str, Any]] = {}
    for event in events:
        identity = event.get("userIdentity") or {}
        context = identity.get("sessionContext")
        issuer = context.get("sessionIssuer") if context else None
        sign_in = event.get("eventName") in SIGN_IN_EVENTS
        key = (
            event.get("recipientAccountId"),
            event.get("errorCode"),
            identity.get("type"),
            identity.get("accessKeyId"),
            identity.get("principalId"),
            issuer.get("principalId") if issuer else None,
            event.get("eventSource"),
            event.get("eventName"),
            event.get("awsRegion"),
            (str(event.get("errorMessage")), str(event.get("responseElements")))
            if sign_in
            else None,
        )
        found = best.get(key)
        if found is None or str(event.get("eventTime")) >= str(found.get("eventTime")):
            best[key] = event
    return list(best.values())


def latest(facts: Iterable[Fact]) -> list[dict[str, Any]]:
    """One row per (account, subject, scope): the latest fact (the later one on a tie)."""
    best: dict[tuple[str, str, str], Fact] = {}
    for fact in facts:
        key = (fact[0], fact[1], fact[2])
        found = best.get(key)
        if found is None or fact[3] >= found[3]:
            best[key] = fact
    return [
        {
            "account_id": _clip(f[0], 12),
            "subject": _clip(f[1], 160),
            "scope": _clip(f[2], 300),
            "last_time": f[3],
            "region": _clip(f[4], 64) if f[4] is not None else None,
            "service": _clip(f[5], 64),
        }
        for _, f in sorted(best.items())  # a fixed order: concurrent writers cannot deadlock
    ]


def _clip(value: str, size: int) -> str:
    """Fit a column; the region and names come from what the client signed."""
    return str(value).replace("\x00", "")[:size]


class TrailUsage(Repo):
    def absorb(self, events: Iterable[Mapping[str, Any]]) -> int:
        """Fold events into the table; only ever moves a row's time forward.

        Never fails the write of the events themselves: a failure here is logged and the
        fold's own savepoint rolled back.
        """
        try:
            facts: list[Fact] = []
            for event in representatives(events):
                try:
                    facts.extend(facts_of(event))
                except (KeyError, TypeError, ValueError):
                    continue  # an event without a usable time says nothing about use
            rows = latest(facts)
        except Exception:
            log.exception("could not fold audit events into trail_usage")
            return 0
        if not rows:
            return 0
        dialect = self.conn.dialect.name
        # PostgreSQL aborts the whole transaction on a failed statement: fold in a savepoint
        # there.  SQLite fails only the statement, and a savepoint would cost every batch.
        savepoint = self.conn.begin_nested() if dialect == "postgresql" else None
        try:
            self.conn.execute(_upsert(dialect), rows)
        except Exception:
            if savepoint is not None:
                savepoint.rollback()
            log.exception("could not fold audit events into trail_usage")
            return 0
        if savepoint is not None:
            savepoint.commit()
        return len(rows)

    def rebuild(self, chunk: int = 5000) -> int:
        """Fold the whole trail again (for events written before this table existed)."""
        c = audit_events.c
        last: tuple[Any, int, str] | None = None
        total = 0
        while True:
            query = select(c.event_time, c.seq, c.event_id, c.body).order_by(
                c.event_time, c.seq, c.event_id
            )
            if last is not None:
                query = query.where(
                    (c.event_time > last[0])
                    | and_(c.event_time == last[0], c.seq > last[1])
                    | and_(c.event_time == last[0], c.seq == last[1], c.event_id > last[2])
                )
            rows = self.conn.execute(query.limit(chunk)).all()
            if not rows:
                return total
            self.absorb(json.loads(r[3]) for r in rows)
            total += len(rows)
            last = (rows[-1][0], rows[-1][1], rows[-1][2])

    def get(self, account_id: str, subject: str, scope: str = ANY) -> Usage | None:
        row = self.conn.execute(
            select(trail_usage.c.last_time, trail_usage.c.region, trail_usage.c.service).where(
                trail_usage.c.account_id == account_id,
                trail_usage.c.subject == subject,
                trail_usage.c.scope == scope,
            )
        ).first()
        return Usage(utc(row[0]) or row[0], row[1], row[2]) if row else None

    def by_prefix(self, account_id: str, prefix: str, scope: str = ANY) -> dict[str, Usage]:
        """Every subject starting with ``prefix`` (``key:``), by the rest of its name."""
        c = trail_usage.c
        rows = self.conn.execute(
            select(c.subject, c.last_time, c.region, c.service).where(
                c.account_id == account_id, prefixed(c.subject, prefix), c.scope == scope
            )
        )
        return {r[0][len(prefix) :]: Usage(utc(r[1]) or r[1], r[2], r[3]) for r in rows}

    def scopes_of(self, account_id: str, subjects: list[str]) -> dict[str, dict[str, Usage]]:
        """Every scope of the given subjects: ``{subject: {scope: usage}}``."""
        out: dict[str, dict[str, Usage]] = {s: {} for s in subjects}
        c = trail_usage.c
        for start in range(0, len(subjects), 500):
            part = subjects[start : start + 500]
            rows = self.conn.execute(
                select(c.subject, c.scope, c.last_time, c.region, c.service).where(
                    c.account_id == account_id, c.subject.in_(part)
                )
            )
            for r in rows:
                out[r[0]][r[1]] = Usage(utc(r[2]) or r[2], r[3], r[4])
        return out


@cache
def _upsert(dialect: str) -> Any:
    """INSERT ... ON CONFLICT DO UPDATE that only moves a row's time forward (built once)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(trail_usage)
    return statement.on_conflict_do_update(
        index_elements=["account_id", "subject", "scope"],
        set_={
            "last_time": statement.excluded.last_time,
            "region": statement.excluded.region,
            "service": statement.excluded.service,
        },
        where=trail_usage.c.last_time <= statement.excluded.last_time,
    )


def prefixed(column: Any, prefix: str) -> ColumnElement[bool]:
    """``column LIKE 'prefix%'`` as a range, so the primary key's index serves it."""
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return and_(column >= prefix, column < upper)
