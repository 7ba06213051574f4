"""Recommendations generated for unused-permission findings (one per finding)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from iamd.store.repos.base import Repo, utc
from iamd.store.schema import finding_recommendations


@dataclass(frozen=True, slots=True)
class Recommendation:
    analyzer_arn: str
    finding_id: str
    resource_arn: str
    status: str
    started_at: datetime
    completed_at: datetime | None
    steps: list[dict[str, Any]]
    error: dict[str, Any] | None


class FindingRecommendations(Repo):
    def put(self, rec: Recommendation) -> None:
        """Store ``rec``, replacing an earlier recommendation for the same finding."""
        c = finding_recommendations.c
        self.conn.execute(
            delete(finding_recommendations).where(
                c.analyzer_arn == rec.analyzer_arn, c.finding_id == rec.finding_id
            )
        )
        self.conn.execute(
            finding_recommendations.insert().values(
                analyzer_arn=rec.analyzer_arn,
                finding_id=rec.finding_id,
                resource_arn=rec.resource_arn,
                status=rec.status,
                started_at=rec.started_at,
                completed_at=rec.completed_at,
                steps=json.dumps(rec.steps, default=str),
                error=json.dumps(rec.error) if rec.error else None,
            )
        )

    def get(self, analyzer_arn: str, finding_id: str) -> Recommendation | None:
        c = finding_recommendations.c
        row = self.conn.execute(
            select(finding_recommendations).where(
                c.analyzer_arn == analyzer_arn, c.finding_id == finding_id
            )
        ).first()
        if row is None:
            return None
        m = row._mapping
        return Recommendation(
            analyzer_arn=m["analyzer_arn"],
            finding_id=m["finding_id"],
            resource_arn=m["resource_arn"],
            status=m["status"],
            started_at=utc(m["started_at"]) or m["started_at"],
            completed_at=utc(m["completed_at"]),
            steps=json.loads(m["steps"]),
            error=json.loads(m["error"]) if m["error"] else None,
        )
