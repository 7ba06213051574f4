"""The audit trail in arrival order, for exporting it, and its pruning after the retention period.

``seq`` is the nanosecond clock when the recorder wrote the row, so "rows with ``seq`` up to
T" is "everything written by T": an export that stops at T and the next that starts after T
together see every event exactly once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from iamd.store.repos.base import Repo, utc
from iamd.store.schema import accounts, audit_events


@dataclass(frozen=True, slots=True)
class ArrivedEvent:
    seq: int
    account_id: str
    event_time: datetime
    body: str


class AuditHistory(Repo):
    def arrived(self, after_seq: int, upto_seq: int, chunk: int = 2000) -> Iterator[ArrivedEvent]:
        """Events written after ``after_seq`` and by ``upto_seq``, in the order written.

        One query, streamed in chunks: ``seq`` has no index, so paging would sort the table
        once per page.
        """
        c = audit_events.c
        query = (
            select(c.seq, c.account_id, c.event_time, c.body)
            .where(c.seq > after_seq, c.seq <= upto_seq)
            .order_by(c.seq, c.event_id)
        )
        result = self.conn.execution_options(yield_per=chunk).execute(query)
        for r in result:
            yield ArrivedEvent(int(r[0]), str(r[1]), utc(r[2]) or r[2], str(r[3]))

    def prune(self, before: datetime, limit: int) -> int:
        """Delete up to ``limit`` events older than ``before``; how many went.

        Per account, so the (account_id, event_time) index finds them without a table scan.
        """
        c = audit_events.c
        owners = [str(r[0]) for r in self.conn.execute(select(accounts.c.account_id))]
        removed = 0
        for account in [*owners, ""]:
            if removed >= limit:
                break
            doomed = (
                select(c.event_id)
                .where(c.account_id == account, c.event_time < before)
                .limit(limit - removed)
            )
            ids = [str(r[0]) for r in self.conn.execute(doomed)]
            if ids:
                self.conn.execute(delete(audit_events).where(c.event_id.in_(ids)))
                removed += len(ids)
        return removed
