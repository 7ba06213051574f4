"""External-access findings on the account's IAM roles, from their trust policies.

Analysis is lazy: before findings are read, each role whose trust policy differs from the one
last analysed (by hash) is analysed again with :func:`iamd.analysis.exposure.exposures`, and
roles deleted since have their findings resolved.  One finding per (role, principal, actions,
condition), with an id derived from exactly those, so the same access keeps its id.
https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-findings.html
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from iamd.analysis.errors import AnalysisInputError
from iamd.analysis.exposure import exposures
from iamd.services.analyzer.lifecycle import Observed, Plan, finding_id, plan
from iamd.store import Tx
from iamd.store.records import Role
from iamd.store.repos.analyzer_findings import AnalyzedResource, AnalyzerFindings, StoredFinding
from iamd.store.repos.analyzers import Analyzer, Analyzers

ROLE = "AWS::IAM::Role"
EXTERNAL_TYPES = ("ACCOUNT", "ORGANIZATION")


@dataclass
class ExternalPlan:
    findings: Plan = field(default_factory=Plan)
    resources: list[AnalyzedResource] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.findings or self.resources or self.dropped)


def fingerprint(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def observe_role(role: Role) -> tuple[list[Observed], str | None]:
    """The external access a role's trust policy grants, or the analysis error."""
    return observe_trust(role.arn, role.account_id, role.assume_role_policy)


def observe_trust(arn: str, account_id: str, document: str) -> tuple[list[Observed], str | None]:
    """The external access a trust policy would grant the role ``arn``."""
    try:
        found = exposures(document, account_id, resource_type=ROLE)
    except AnalysisInputError as exc:
        return [], exc.message
    out = []
    for exposure in found:
        actions = sorted(set(exposure.actions))
        principal = dict(sorted(exposure.principal.items()))
        condition = dict(sorted(exposure.conditions.items()))
        out.append(
            Observed(
                id=finding_id(arn, principal, actions, condition),
                finding_type="ExternalAccess",
                resource=arn,
                resource_type=ROLE,
                resource_owner_account=account_id,
                details={
                    "principal": principal,
                    "action": actions,
                    "condition": condition,
                    "isPublic": exposure.is_public,
                },
            )
        )
    return out, None


def external_plan(
    tx: Tx, analyzer: Analyzer, now: datetime, force: frozenset[str] = frozenset()
) -> ExternalPlan:
    """What to write so the analyzer's findings match the roles as they are now.

    ``force`` names resources to analyse again even if unchanged (StartResourceScan)."""
    repo = tx.repo(AnalyzerFindings)
    analysed = {r.resource_arn: r for r in repo.resources(analyzer.arn)}
    rules = tx.repo(Analyzers).rules(analyzer.arn)
    out = ExternalPlan()
    roles = {role.arn: role for role in tx.roles.all(analyzer.account_id)}
    stored_by_resource: dict[str, list[StoredFinding]] | None = None
    for role in roles.values():
        print_ = fingerprint(role.assume_role_policy)
        before = analysed.get(role.arn)
        if before is not None and before.fingerprint == print_ and role.arn not in force:
            continue
        if stored_by_resource is None:
            stored_by_resource = {}
            for finding in repo.all(analyzer.arn):
                stored_by_resource.setdefault(finding.resource, []).append(finding)
        observed, _error = observe_role(role)
        stored = stored_by_resource.get(role.arn, [])
        out.findings.findings += plan(analyzer.arn, observed, stored, rules, now).findings
        out.resources.append(
            AnalyzedResource(
                analyzer_arn=analyzer.arn,
                resource_arn=role.arn,
                resource_type=ROLE,
                fingerprint=print_,
                created_at=before.created_at if before else role.create_date,
                analyzed_at=now,
                updated_at=_updated(before, print_, now),
            )
        )
    gone = [arn for arn in analysed if arn not in roles]
    if gone:
        for arn in gone:
            stored = repo.of_resource(analyzer.arn, arn)
            out.findings.findings += plan(analyzer.arn, [], stored, rules, now).findings
            out.dropped.append(arn)
    return out


def _updated(before: AnalyzedResource | None, print_: str, now: datetime) -> datetime:
    """When the resource's policy last changed, as far as the analyzer has seen."""
    if before is None or before.fingerprint != print_:
        return now
    return before.updated_at


def apply_external(tx: Tx, analyzer: Analyzer, todo: ExternalPlan, now: datetime) -> None:
    repo = tx.repo(AnalyzerFindings)
    repo.save(todo.findings.findings)
    repo.save_resources(todo.resources)
    for arn in todo.dropped:
        repo.drop_resource(analyzer.arn, arn)
    if todo.resources:
        tx.repo(Analyzers).mark_analyzed(analyzer.arn, todo.resources[-1].resource_arn, now)
