"""Service-linked role deletion tasks: what GetServiceLinkedRoleDeletionStatus reports.

iamd deletes a service-linked role at once (no AWS service holds resources through it), so a
task is written in its final state; the table keeps the record AWS clients poll for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from iamd.store.repos.base import Repo, now, to_record
from iamd.store.schema import service_linked_role_deletions


@dataclass(frozen=True, slots=True)
class DeletionTask:
    task_id: str
    account_id: str
    role_name: str
    status: str
    """SUCCEEDED, IN_PROGRESS, FAILED or NOT_STARTED, as AWS names them."""
    reason: str | None
    create_date: datetime


class ServiceLinkedRoleDeletions(Repo):
    def record(
        self,
        account_id: str,
        task_id: str,
        role_name: str,
        status: str,
        reason: str | None = None,
    ) -> DeletionTask:
        values: dict[str, Any] = {
            "task_id": task_id,
            "account_id": account_id,
            "role_name": role_name,
            "status": status,
            "reason": reason,
            "create_date": now(),
        }
        self.insert(
            service_linked_role_deletions, f"Deletion task {task_id} already exists.", **values
        )
        return to_record(DeletionTask, values)

    def get(self, task_id: str) -> DeletionTask | None:
        row = self.conn.execute(
            select(service_linked_role_deletions).where(
                service_linked_role_deletions.c.task_id == task_id
            )
        ).first()
        return to_record(DeletionTask, row._mapping) if row else None
