"""Access Analyzer access previews: proposed resource configurations and the findings they
would produce, computed once when the preview is created."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from iamd.store.repos.base import Repo, utc
from iamd.store.schema import access_previews


@dataclass(frozen=True, slots=True)
class AccessPreview:
    id: str
    analyzer_arn: str
    configurations: dict[str, Any]
    status: str
    status_reason: str | None
    created_at: datetime
    findings: list[dict[str, Any]]


def _preview(row: Any) -> AccessPreview:
    m = row._mapping
    return AccessPreview(
        id=m["id"],
        analyzer_arn=m["analyzer_arn"],
        configurations=json.loads(m["configurations"]),
        status=m["status"],
        status_reason=m["status_reason"],
        created_at=utc(m["created_at"]) or m["created_at"],
        findings=json.loads(m["findings"]),
    )


class AccessPreviews(Repo):
    def create(self, preview: AccessPreview) -> None:
        self.conn.execute(
            access_previews.insert().values(
                id=preview.id,
                analyzer_arn=preview.analyzer_arn,
                configurations=json.dumps(preview.configurations),
                status=preview.status,
                status_reason=preview.status_reason,
                created_at=preview.created_at,
                findings=json.dumps(preview.findings, default=str),
            )
        )

    def get(self, analyzer_arn: str, preview_id: str) -> AccessPreview | None:
        row = self.conn.execute(
            select(access_previews).where(
                access_previews.c.analyzer_arn == analyzer_arn, access_previews.c.id == preview_id
            )
        ).first()
        return _preview(row) if row else None

    def all(self, analyzer_arn: str) -> list[AccessPreview]:
        rows = self.conn.execute(
            select(access_previews)
            .where(access_previews.c.analyzer_arn == analyzer_arn)
            .order_by(access_previews.c.created_at, access_previews.c.id)
        )
        return [_preview(r) for r in rows]
