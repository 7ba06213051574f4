"""The calls one principal made in a time window, from the audit trail (policy generation).

Matching is on the caller's ARN: a user's own, or, for a role, the prefix its sessions share
(``arn:aws:sts::ACCOUNT:assumed-role/NAME/``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select

from iamd.store.repos.base import Repo
from iamd.store.repos.trail_usage import event_actions
from iamd.store.schema import audit_events


@dataclass(frozen=True, slots=True)
class TrailCall:
    event_source: str
    event_name: str
    error_code: str | None
    event: dict[str, Any]

    @property
    def actions(self) -> list[str]:
        """``iam:ListUsers`` from ``iam.amazonaws.com`` and ``ListUsers``; a gateway call's
        authorized actions (see :func:`~iamd.store.repos.trail_usage.event_actions`)."""
        return event_actions(self.event)


def _prefixed(column: Any, prefix: str) -> ColumnElement[bool]:
    """``column LIKE 'prefix%'`` as a range, free of LIKE's escaping rules."""
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return and_(column >= prefix, column < upper)


class TrailCalls(Repo):
    def calls(
        self,
        account_id: str,
        *,
        principal_arn: str | None,
        session_prefix: str | None,
        start: datetime,
        end: datetime,
        limit: int = 100_000,
    ) -> list[TrailCall]:
        """Calls in ``[start, end]`` by ``principal_arn`` or by an ARN starting with
        ``session_prefix``, oldest first."""
        c = audit_events.c
        who: list[ColumnElement[bool]] = []
        if principal_arn:
            who.append(c.principal_arn == principal_arn)
        if session_prefix:
            who.append(_prefixed(c.principal_arn, session_prefix))
        if not who:
            return []
        rows = self.conn.execute(
            select(c.event_source, c.event_name, c.error_code, c.body)
            .where(
                c.account_id == account_id, c.event_time >= start, c.event_time <= end, or_(*who)
            )
            .order_by(c.event_time, c.seq)
            .limit(limit)
        )
        return [TrailCall(str(r[0]), str(r[1]), r[2], json.loads(r[3])) for r in rows]
