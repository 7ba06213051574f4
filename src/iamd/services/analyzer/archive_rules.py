"""Archive rules: filters that archive matching findings as they are created.

A rule applies to findings created after it; ApplyArchiveRule applies it to the active
findings that exist.
https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-archive-rules.html
https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_ApplyArchiveRule.html
"""

from __future__ import annotations

from typing import Any

from iamd.services.analyzer.analyzers import MAX_ARCHIVE_RULES
from iamd.services.analyzer.common import (
    REGISTRY,
    analyzer_arn_target,
    analyzer_by_arn,
    analyzer_by_name,
    archive_rule_target,
    now,
    paginate,
)
from iamd.services.analyzer.errors import (
    ConflictException,
    ResourceNotFoundException,
    ServiceQuotaExceededException,
)
from iamd.services.analyzer.filters import check_filter, matches
from iamd.services.analyzer.refresh import refresh
from iamd.services.call import Call
from iamd.store import ConflictError, Tx
from iamd.store.repos.analyzer_findings import AnalyzerFindings
from iamd.store.repos.analyzers import Analyzer, Analyzers, ArchiveRule, analyzer_arn

RULE = "AWS::AccessAnalyzer::ArchiveRule"


def rule_dict(rule: ArchiveRule) -> dict[str, Any]:
    return {
        "ruleName": rule.name,
        "filter": rule.filter,
        "createdAt": rule.create_date,
        "updatedAt": rule.update_date,
    }


def _rule_or_404(tx: Tx, analyzer: Analyzer, name: str) -> ArchiveRule:
    rule = tx.repo(Analyzers).rule(analyzer.arn, name)
    if rule is None:
        raise ResourceNotFoundException(
            f"Archive rule {name} not found.", resource_id=name, resource_type=RULE
        )
    return rule


@REGISTRY.operation("CreateArchiveRule", target=archive_rule_target)
def create_archive_rule(call: Call) -> dict[str, Any]:
    name = call.params["ruleName"]
    filter_ = check_filter(call.params["filter"], archive_rule=True)
    with call.store.write() as tx:
        analyzer = analyzer_by_name(tx, call, call.params["analyzerName"])
        repo = tx.repo(Analyzers)
        if repo.rule(analyzer.arn, name) is not None:
            raise ConflictException(
                f"Archive rule {name} already exists.", resource_id=name, resource_type=RULE
            )
        if len(repo.rules(analyzer.arn)) >= MAX_ARCHIVE_RULES:
            raise ServiceQuotaExceededException(
                f"You can create at most {MAX_ARCHIVE_RULES} archive rules per analyzer.",
                resource_id=name,
                resource_type=RULE,
            )
        try:
            repo.add_rule(analyzer.arn, name, filter_, now(call))
        except ConflictError:
            raise ConflictException(
                f"Archive rule {name} already exists.", resource_id=name, resource_type=RULE
            ) from None
    return {}


@REGISTRY.operation("GetArchiveRule", target=archive_rule_target)
def get_archive_rule(call: Call) -> dict[str, Any]:
    with call.store.read() as tx:
        analyzer = analyzer_by_name(tx, call, call.params["analyzerName"])
        rule = _rule_or_404(tx, analyzer, call.params["ruleName"])
    return {"archiveRule": rule_dict(rule)}


@REGISTRY.operation("ListArchiveRules", target=archive_rule_target)
def list_archive_rules(call: Call) -> dict[str, Any]:
    arn = analyzer_arn(call.region, call.account_id, call.params["analyzerName"])
    with call.store.read() as tx:
        rules = tx.repo(Analyzers).rules(arn)
    page, more = paginate(call, rules, key=lambda r: r.name)
    return {"archiveRules": [rule_dict(r) for r in page], **more}


@REGISTRY.operation("UpdateArchiveRule", target=archive_rule_target)
def update_archive_rule(call: Call) -> dict[str, Any]:
    filter_ = check_filter(call.params["filter"], archive_rule=True)
    with call.store.write() as tx:
        analyzer = analyzer_by_name(tx, call, call.params["analyzerName"])
        rule = _rule_or_404(tx, analyzer, call.params["ruleName"])
        tx.repo(Analyzers).update_rule(analyzer.arn, rule.name, filter_, now(call))
    return {}


@REGISTRY.operation("DeleteArchiveRule", target=archive_rule_target)
def delete_archive_rule(call: Call) -> dict[str, Any]:
    with call.store.write() as tx:
        analyzer = analyzer_by_name(tx, call, call.params["analyzerName"])
        rule = _rule_or_404(tx, analyzer, call.params["ruleName"])
        tx.repo(Analyzers).delete_rule(analyzer.arn, rule.name)
    return {}


@REGISTRY.operation("ApplyArchiveRule", target=analyzer_arn_target())
def apply_archive_rule(call: Call) -> dict[str, Any]:
    when = now(call)
    with call.store.read() as tx:
        analyzer = analyzer_by_arn(tx, call, call.params["analyzerArn"])
        _rule_or_404(tx, analyzer, call.params["ruleName"])
    refresh(call.store, analyzer, when)
    with call.store.write() as tx:
        rule = _rule_or_404(tx, analyzer, call.params["ruleName"])
        repo = tx.repo(AnalyzerFindings)
        hits = [
            f.id for f in repo.all(analyzer.arn) if f.status == "ACTIVE" and matches(f, rule.filter)
        ]
        repo.set_status(analyzer.arn, hits, "ARCHIVED", when)
    return {}
