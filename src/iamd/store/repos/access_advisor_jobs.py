"""Access Advisor report jobs (GenerateServiceLastAccessedDetails), shared by every process."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update

from iamd.store.repos.base import Repo, to_record
from iamd.store.schema import access_advisor_jobs

IN_PROGRESS = "IN_PROGRESS"
COMPLETED = "COMPLETED"
FAILED = "FAILED"


@dataclass(frozen=True, slots=True)
class AdvisorJob:
    job_id: str
    account_id: str
    owner_arn: str
    entity_arn: str
    granularity: str
    status: str
    created: datetime
    completed: datetime | None
    result: str | None
    error: str | None


class AccessAdvisorJobs(Repo):
    def create(
        self,
        job_id: str,
        account_id: str,
        owner_arn: str,
        entity_arn: str,
        granularity: str,
        now: datetime,
    ) -> None:
        self.conn.execute(
            access_advisor_jobs.insert().values(
                job_id=job_id,
                account_id=account_id,
                owner_arn=owner_arn,
                entity_arn=entity_arn,
                granularity=granularity,
                status=IN_PROGRESS,
                created=now,
            )
        )

    def get(self, job_id: str) -> AdvisorJob | None:
        row = self.conn.execute(
            select(access_advisor_jobs).where(access_advisor_jobs.c.job_id == job_id)
        ).first()
        return to_record(AdvisorJob, row._mapping) if row else None

    def finish(
        self, job_id: str, now: datetime, result: str | None, error: str | None = None
    ) -> None:
        self.conn.execute(
            update(access_advisor_jobs)
            .where(access_advisor_jobs.c.job_id == job_id)
            .values(
                status=FAILED if error else COMPLETED, completed=now, result=result, error=error
            )
        )

    def purge(self, account_id: str, before: datetime) -> None:
        c = access_advisor_jobs.c
        self.conn.execute(
            delete(access_advisor_jobs).where(c.account_id == account_id, c.created < before)
        )
