"""Access Analyzer analyzers and their archive rules.

Configurations and filters are stored as the JSON AWS's API carries, so a rule reads back
exactly as it was written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update

from iamd.store.repos.base import Repo, utc
from iamd.store.schema import (
    access_previews,
    analyzed_resources,
    analyzer_archive_rules,
    analyzer_findings,
    analyzers,
    finding_recommendations,
)


@dataclass(frozen=True, slots=True)
class Analyzer:
    arn: str
    account_id: str
    region: str
    name: str
    type: str
    status: str
    configuration: dict[str, Any] | None
    create_date: datetime
    last_resource_analyzed: str | None
    last_resource_analyzed_at: datetime | None


@dataclass(frozen=True, slots=True)
class ArchiveRule:
    analyzer_arn: str
    name: str
    filter: dict[str, Any]
    create_date: datetime
    update_date: datetime


def analyzer_arn(region: str, account_id: str, name: str) -> str:
    return f"arn:aws:access-analyzer:{region}:{account_id}:analyzer/{name}"


def _analyzer(row: Any) -> Analyzer:
    m = row._mapping
    return Analyzer(
        arn=m["arn"],
        account_id=m["account_id"],
        region=m["region"],
        name=m["name"],
        type=m["type"],
        status=m["status"],
        configuration=json.loads(m["configuration"]) if m["configuration"] else None,
        create_date=utc(m["create_date"]) or m["create_date"],
        last_resource_analyzed=m["last_resource_analyzed"],
        last_resource_analyzed_at=utc(m["last_resource_analyzed_at"]),
    )


def _rule(row: Any) -> ArchiveRule:
    m = row._mapping
    return ArchiveRule(
        analyzer_arn=m["analyzer_arn"],
        name=m["name"],
        filter=json.loads(m["filter"]),
        create_date=utc(m["create_date"]) or m["create_date"],
        update_date=utc(m["update_date"]) or m["update_date"],
    )


class Analyzers(Repo):
    def create(
        self,
        region: str,
        account_id: str,
        name: str,
        type_: str,
        configuration: dict[str, Any] | None,
        when: datetime,
    ) -> Analyzer:
        arn = analyzer_arn(region, account_id, name)
        values: dict[str, Any] = {
            "arn": arn,
            "account_id": account_id,
            "region": region,
            "name": name,
            "type": type_,
            "status": "ACTIVE",
            "configuration": json.dumps(configuration) if configuration else None,
            "create_date": when,
        }
        self.insert(analyzers, f"Analyzer {name} already exists.", **values)
        found = self.get(arn)
        assert found is not None
        return found

    def get(self, arn: str) -> Analyzer | None:
        row = self.conn.execute(select(analyzers).where(analyzers.c.arn == arn)).first()
        return _analyzer(row) if row else None

    def all(self, account_id: str, region: str, type_: str | None = None) -> list[Analyzer]:
        query = select(analyzers).where(
            analyzers.c.account_id == account_id, analyzers.c.region == region
        )
        if type_ is not None:
            query = query.where(analyzers.c.type == type_)
        rows = self.conn.execute(query.order_by(analyzers.c.create_date, analyzers.c.name))
        return [_analyzer(r) for r in rows]

    def set_configuration(self, arn: str, configuration: dict[str, Any] | None) -> None:
        self.conn.execute(
            update(analyzers)
            .where(analyzers.c.arn == arn)
            .values(configuration=json.dumps(configuration) if configuration else None)
        )

    def mark_analyzed(self, arn: str, resource: str, when: datetime) -> None:
        self.conn.execute(
            update(analyzers)
            .where(analyzers.c.arn == arn)
            .values(last_resource_analyzed=resource, last_resource_analyzed_at=when)
        )

    def delete(self, arn: str) -> None:
        """The analyzer and everything it owns (SQLite may not enforce the cascade)."""
        children = (
            analyzer_findings,
            analyzed_resources,
            analyzer_archive_rules,
            access_previews,
            finding_recommendations,
        )
        for table in children:
            self.conn.execute(delete(table).where(table.c.analyzer_arn == arn))
        self.conn.execute(delete(analyzers).where(analyzers.c.arn == arn))

    # Archive rules -------------------------------------------------------------------

    def add_rule(self, arn: str, name: str, filter_: dict[str, Any], when: datetime) -> None:
        self.insert(
            analyzer_archive_rules,
            f"Archive rule {name} already exists.",
            analyzer_arn=arn,
            name=name,
            filter=json.dumps(filter_),
            create_date=when,
            update_date=when,
        )

    def rule(self, arn: str, name: str) -> ArchiveRule | None:
        row = self.conn.execute(
            select(analyzer_archive_rules).where(
                analyzer_archive_rules.c.analyzer_arn == arn,
                analyzer_archive_rules.c.name == name,
            )
        ).first()
        return _rule(row) if row else None

    def rules(self, arn: str) -> list[ArchiveRule]:
        rows = self.conn.execute(
            select(analyzer_archive_rules)
            .where(analyzer_archive_rules.c.analyzer_arn == arn)
            .order_by(analyzer_archive_rules.c.name)
        )
        return [_rule(r) for r in rows]

    def update_rule(self, arn: str, name: str, filter_: dict[str, Any], when: datetime) -> None:
        self.conn.execute(
            update(analyzer_archive_rules)
            .where(
                analyzer_archive_rules.c.analyzer_arn == arn,
                analyzer_archive_rules.c.name == name,
            )
            .values(filter=json.dumps(filter_), update_date=when)
        )

    def delete_rule(self, arn: str, name: str) -> bool:
        done = self.conn.execute(
            delete(analyzer_archive_rules).where(
                analyzer_archive_rules.c.analyzer_arn == arn,
                analyzer_archive_rules.c.name == name,
            )
        )
        return bool(done.rowcount)
