"""Access Analyzer findings and the resources each analyzer has analysed.

A finding's type-specific fields (principal, actions, condition for external access; the
unused-access details) are one JSON column: they are read and written whole, never queried.
The analysed-resource rows remember a fingerprint of the policy last analysed, so a read of
findings re-analyses only the resources whose policy changed since.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, delete, select, update

from iamd.store.repos.base import ConflictError, Repo, utc
from iamd.store.schema import analyzed_resources, analyzer_findings


@dataclass(frozen=True, slots=True)
class StoredFinding:
    analyzer_arn: str
    id: str
    finding_type: str
    resource: str
    resource_type: str
    resource_owner_account: str
    status: str
    details: dict[str, Any]
    created_at: datetime
    analyzed_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class AnalyzedResource:
    analyzer_arn: str
    resource_arn: str
    resource_type: str
    fingerprint: str
    created_at: datetime
    analyzed_at: datetime
    updated_at: datetime


def _dt(value: Any) -> datetime:
    out = utc(value)
    assert out is not None
    return out


def _finding(row: Any) -> StoredFinding:
    m = row._mapping
    return StoredFinding(
        analyzer_arn=m["analyzer_arn"],
        id=m["id"],
        finding_type=m["finding_type"],
        resource=m["resource"],
        resource_type=m["resource_type"],
        resource_owner_account=m["resource_owner_account"],
        status=m["status"],
        details=json.loads(m["details"]),
        created_at=_dt(m["created_at"]),
        analyzed_at=_dt(m["analyzed_at"]),
        updated_at=_dt(m["updated_at"]),
    )


def _resource(row: Any) -> AnalyzedResource:
    m = row._mapping
    return AnalyzedResource(
        analyzer_arn=m["analyzer_arn"],
        resource_arn=m["resource_arn"],
        resource_type=m["resource_type"],
        fingerprint=m["fingerprint"],
        created_at=_dt(m["created_at"]),
        analyzed_at=_dt(m["analyzed_at"]),
        updated_at=_dt(m["updated_at"]),
    )


def _finding_values(finding: StoredFinding) -> dict[str, Any]:
    return {
        "finding_type": finding.finding_type,
        "resource": finding.resource,
        "resource_type": finding.resource_type,
        "resource_owner_account": finding.resource_owner_account,
        "status": finding.status,
        "details": json.dumps(finding.details, sort_keys=True),
        "created_at": finding.created_at,
        "analyzed_at": finding.analyzed_at,
        "updated_at": finding.updated_at,
    }


def _resource_values(resource: AnalyzedResource) -> dict[str, Any]:
    return {
        "resource_type": resource.resource_type,
        "fingerprint": resource.fingerprint,
        "analyzed_at": resource.analyzed_at,
        "updated_at": resource.updated_at,
    }


def _keyed_update(table: Table, key: str, columns: Iterable[str]) -> Any:
    """``UPDATE table SET col = :col ... WHERE analyzer_arn = :k_arn AND key = :k_key``, for
    executemany."""
    return (
        update(table)
        .where(table.c.analyzer_arn == bindparam("k_arn"), table.c[key] == bindparam("k_key"))
        .values({name: bindparam(name) for name in columns})
    )


class AnalyzerFindings(Repo):
    def all(self, analyzer_arn: str) -> list[StoredFinding]:
        rows = self.conn.execute(
            select(analyzer_findings)
            .where(analyzer_findings.c.analyzer_arn == analyzer_arn)
            .order_by(analyzer_findings.c.created_at, analyzer_findings.c.id)
        )
        return [_finding(r) for r in rows]

    def get(self, analyzer_arn: str, finding_id: str) -> StoredFinding | None:
        row = self.conn.execute(
            select(analyzer_findings).where(
                analyzer_findings.c.analyzer_arn == analyzer_arn,
                analyzer_findings.c.id == finding_id,
            )
        ).first()
        return _finding(row) if row else None

    def of_resource(self, analyzer_arn: str, resource: str) -> list[StoredFinding]:
        rows = self.conn.execute(
            select(analyzer_findings).where(
                analyzer_findings.c.analyzer_arn == analyzer_arn,
                analyzer_findings.c.resource == resource,
            )
        )
        return [_finding(r) for r in rows]

    def save(self, findings: list[StoredFinding]) -> None:
        """Insert new findings and overwrite stored ones with the same id, in bulk."""
        self._save(
            analyzer_findings,
            "id",
            [(f.analyzer_arn, f.id, _finding_values(f)) for f in findings],
        )

    def set_status(
        self, analyzer_arn: str, ids: Iterable[str], status: str, when: datetime
    ) -> None:
        wanted = list(ids)
        if not wanted:
            return
        self.conn.execute(
            update(analyzer_findings)
            .where(
                analyzer_findings.c.analyzer_arn == analyzer_arn,
                analyzer_findings.c.id.in_(wanted),
            )
            .values(status=status, updated_at=when)
        )

    # Analysed resources --------------------------------------------------------------

    def resources(self, analyzer_arn: str) -> list[AnalyzedResource]:
        rows = self.conn.execute(
            select(analyzed_resources)
            .where(analyzed_resources.c.analyzer_arn == analyzer_arn)
            .order_by(analyzed_resources.c.resource_arn)
        )
        return [_resource(r) for r in rows]

    def resource(self, analyzer_arn: str, resource_arn: str) -> AnalyzedResource | None:
        row = self.conn.execute(
            select(analyzed_resources).where(
                analyzed_resources.c.analyzer_arn == analyzer_arn,
                analyzed_resources.c.resource_arn == resource_arn,
            )
        ).first()
        return _resource(row) if row else None

    def save_resources(self, resources: list[AnalyzedResource]) -> None:
        """Record resources as analysed; ``created_at`` is kept for ones already known."""
        rows = []
        for r in resources:
            rows.append((r.analyzer_arn, r.resource_arn, _resource_values(r), r.created_at))
        self._save(
            analyzed_resources,
            "resource_arn",
            [(arn, key, values) for arn, key, values, _ in rows],
            created={(arn, key): when for arn, key, _, when in rows},
        )

    def _save(
        self,
        table: Table,
        key: str,
        rows: list[tuple[str, str, dict[str, Any]]],
        created: dict[tuple[str, str], datetime] | None = None,
    ) -> None:
        if not rows:
            return
        known: set[tuple[str, str]] = set()
        for arn in {r[0] for r in rows}:
            keys = [r[1] for r in rows if r[0] == arn]
            for start in range(0, len(keys), 500):
                found = self.conn.execute(
                    select(table.c[key]).where(
                        table.c.analyzer_arn == arn, table.c[key].in_(keys[start : start + 500])
                    )
                )
                known |= {(arn, str(k[0])) for k in found}
        old = [r for r in rows if (r[0], r[1]) in known]
        new = [r for r in rows if (r[0], r[1]) not in known]
        if old:
            columns = list(old[0][2])
            self.conn.execute(
                _keyed_update(table, key, columns),
                [{"k_arn": a, "k_key": k, **values} for a, k, values in old],
            )
        if not new:
            return
        inserts = []
        for arn, k, values in new:
            extra = {"created_at": created[(arn, k)]} if created is not None else {}
            inserts.append({"analyzer_arn": arn, key: k, **values, **extra})
        try:
            with self.unique(f"{table.name} rows"):
                self.conn.execute(table.insert(), inserts)
        except ConflictError:
            # A concurrent refresh wrote some of them first (the same analysis): row by row.
            for row in inserts:
                where = (table.c.analyzer_arn == row["analyzer_arn"], table.c[key] == row[key])
                changed = self.conn.execute(update(table).where(*where).values(**row))
                if not changed.rowcount:
                    self.conn.execute(table.insert().values(**row))

    def drop_resource(self, analyzer_arn: str, resource_arn: str) -> None:
        self.conn.execute(
            delete(analyzed_resources).where(
                analyzed_resources.c.analyzer_arn == analyzer_arn,
                analyzed_resources.c.resource_arn == resource_arn,
            )
        )
