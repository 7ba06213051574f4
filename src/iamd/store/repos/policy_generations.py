"""Access Analyzer policy generation jobs.

A job's request (the window and trails asked for) and its result (the actions and resources
seen) are JSON, written once each; the status moves IN_PROGRESS -> SUCCEEDED | FAILED |
CANCELED, and only from IN_PROGRESS, so a cancel and a finishing worker cannot both win.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from iamd.store.repos.base import Repo, utc
from iamd.store.schema import policy_generations


@dataclass(frozen=True, slots=True)
class PolicyGeneration:
    job_id: str
    account_id: str
    principal_arn: str
    status: str
    started_on: datetime
    completed_on: datetime | None
    request: dict[str, Any]
    result: dict[str, Any] | None
    error: dict[str, Any] | None


def _job(row: Any) -> PolicyGeneration:
    m = row._mapping
    return PolicyGeneration(
        job_id=m["job_id"],
        account_id=m["account_id"],
        principal_arn=m["principal_arn"],
        status=m["status"],
        started_on=utc(m["started_on"]) or m["started_on"],
        completed_on=utc(m["completed_on"]),
        request=json.loads(m["request"]),
        result=json.loads(m["result"]) if m["result"] else None,
        error=json.loads(m["error"]) if m["error"] else None,
    )


class PolicyGenerations(Repo):
    def create(
        self,
        job_id: str,
        account_id: str,
        principal_arn: str,
        request: dict[str, Any],
        when: datetime,
    ) -> None:
        self.conn.execute(
            policy_generations.insert().values(
                job_id=job_id,
                account_id=account_id,
                principal_arn=principal_arn,
                status="IN_PROGRESS",
                started_on=when,
                request=json.dumps(request),
            )
        )

    def get(self, job_id: str) -> PolicyGeneration | None:
        row = self.conn.execute(
            select(policy_generations).where(policy_generations.c.job_id == job_id)
        ).first()
        return _job(row) if row else None

    def all(self, account_id: str, principal_arn: str | None = None) -> list[PolicyGeneration]:
        c = policy_generations.c
        query = select(policy_generations).where(c.account_id == account_id)
        if principal_arn is not None:
            query = query.where(c.principal_arn == principal_arn)
        rows = self.conn.execute(query.order_by(c.started_on.desc(), c.job_id))
        return [_job(r) for r in rows]

    def running(self, account_id: str) -> int:
        c = policy_generations.c
        query = select(func.count()).where(c.account_id == account_id, c.status == "IN_PROGRESS")
        return int(self.conn.execute(query).scalar_one())

    def started_since(self, account_id: str, since: datetime) -> int:
        c = policy_generations.c
        query = select(func.count()).where(c.account_id == account_id, c.started_on >= since)
        return int(self.conn.execute(query).scalar_one())

    def finish(
        self,
        job_id: str,
        status: str,
        when: datetime,
        result: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
    ) -> bool:
        """Move an IN_PROGRESS job to ``status``; False when it had already left that state."""
        c = policy_generations.c
        done = self.conn.execute(
            update(policy_generations)
            .where(c.job_id == job_id, c.status == "IN_PROGRESS")
            .values(
                status=status,
                completed_on=when,
                result=json.dumps(result) if result is not None else None,
                error=json.dumps(error) if error is not None else None,
            )
        )
        return bool(done.rowcount)
