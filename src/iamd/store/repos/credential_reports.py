"""The account's credential report job: one row per account, shared by every iamd process.

The row is the job's state (INPROGRESS while some process builds it, COMPLETE with the CSV),
so several processes on one PostgreSQL database agree on it.  A generation owns the row
through its ``token``: a builder finishes only the generation it started, so a reclaimed
(stale) generation cannot overwrite a newer one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update

from iamd.store.repos.base import ConflictError, Repo, utc
from iamd.store.schema import credential_reports

INPROGRESS = "INPROGRESS"
COMPLETE = "COMPLETE"


@dataclass(frozen=True, slots=True)
class ReportJob:
    account_id: str
    state: str
    token: str
    started_at: datetime
    generated_at: datetime | None


class CredentialReports(Repo):
    def get(self, account_id: str) -> ReportJob | None:
        c = credential_reports.c
        row = self.conn.execute(
            select(c.account_id, c.state, c.token, c.started_at, c.generated_at).where(
                c.account_id == account_id
            )
        ).first()
        if row is None:
            return None
        return ReportJob(row[0], row[1], row[2], utc(row[3]) or row[3], utc(row[4]))

    def content(self, account_id: str, token: str) -> str | None:
        c = credential_reports.c
        return self.conn.execute(
            select(c.content).where(c.account_id == account_id, c.token == token)
        ).scalar_one_or_none()

    def claim(self, account_id: str, token: str, now: datetime, replacing: str | None) -> bool:
        """Start a generation; ``False`` when another process claimed the row first.

        ``replacing`` is the token of the row this caller saw (``None``: it saw no row).
        """
        values = {
            "state": INPROGRESS,
            "token": token,
            "started_at": now,
            "generated_at": None,
            "content": None,
        }
        if replacing is None:
            try:
                self.insert(credential_reports, "report", account_id=account_id, **values)
            except ConflictError:
                return False
            return True
        c = credential_reports.c
        done = self.conn.execute(
            update(credential_reports)
            .where(c.account_id == account_id, c.token == replacing)
            .values(**values)
        )
        return done.rowcount == 1

    def complete(self, account_id: str, token: str, content: str, generated_at: datetime) -> bool:
        c = credential_reports.c
        done = self.conn.execute(
            update(credential_reports)
            .where(c.account_id == account_id, c.token == token)
            .values(state=COMPLETE, content=content, generated_at=generated_at)
        )
        return done.rowcount == 1

    def abandon(self, account_id: str, token: str) -> None:
        """A generation that failed: no report, so the next Generate starts afresh."""
        c = credential_reports.c
        self.conn.execute(
            delete(credential_reports).where(c.account_id == account_id, c.token == token)
        )
