"""How a finding's status moves, alike for external and unused access.

An analysis yields the findings that hold now (each with a stable id).  Against what is stored:
a new one is ACTIVE, or ARCHIVED when an archive rule matches it; one that held before keeps
the status the user gave it (ACTIVE or ARCHIVED); a RESOLVED one that holds again is reopened
like a new one; a stored one that no longer holds becomes RESOLVED.  Nothing is written when
nothing changed, so reading findings stays a read.
https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-work-with-findings.html
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from iamd.services.analyzer.filters import matches
from iamd.store.repos.analyzer_findings import StoredFinding
from iamd.store.repos.analyzers import ArchiveRule

_NAMESPACE = uuid.UUID("6f1c9f43-8d8e-4c7e-9a51-3b8f0f0c2a10")


def finding_id(*parts: Any) -> str:
    """A finding id that depends only on what the finding is about (a UUID, as AWS's are)."""
    return str(uuid.uuid5(_NAMESPACE, repr(parts)))


@dataclass(frozen=True, slots=True)
class Observed:
    """A finding an analysis says holds now: everything but its status and times."""

    id: str
    finding_type: str
    resource: str
    resource_type: str
    resource_owner_account: str
    details: Mapping[str, Any]


@dataclass
class Plan:
    findings: list[StoredFinding] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.findings)


def _status(finding: StoredFinding, rules: Iterable[ArchiveRule]) -> str:
    return "ARCHIVED" if any(matches(finding, rule.filter) for rule in rules) else "ACTIVE"


def plan(
    analyzer_arn: str,
    observed: Iterable[Observed],
    stored: Iterable[StoredFinding],
    rules: list[ArchiveRule],
    now: datetime,
) -> Plan:
    """The findings to write so that ``stored`` reflects ``observed`` (a subset of the
    analyzer's findings: those of the resources analysed)."""
    out = Plan()
    before = {f.id: f for f in stored}
    seen: set[str] = set()
    for item in observed:
        if item.id in seen:
            continue
        seen.add(item.id)
        details = dict(item.details)
        old = before.get(item.id)
        if old is None or old.status == "RESOLVED":
            fresh = StoredFinding(
                analyzer_arn=analyzer_arn,
                id=item.id,
                finding_type=item.finding_type,
                resource=item.resource,
                resource_type=item.resource_type,
                resource_owner_account=item.resource_owner_account,
                status="ACTIVE",
                details=details,
                created_at=old.created_at if old else now,
                analyzed_at=now,
                updated_at=now,
            )
            out.findings.append(replace(fresh, status=_status(fresh, rules)))
        elif old.details != details:
            out.findings.append(replace(old, details=details, analyzed_at=now, updated_at=now))
    for old in before.values():
        if old.id not in seen and old.status != "RESOLVED":
            out.findings.append(replace(old, status="RESOLVED", analyzed_at=now, updated_at=now))
    return out
