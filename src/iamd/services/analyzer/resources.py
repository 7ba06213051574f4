"""The resources an external-access analyzer has analysed, and on-demand rescans.

An analysed resource's ``isPublic``, ``actions`` and ``status`` summarise its unresolved
findings.
https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_GetAnalyzedResource.html
https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_StartResourceScan.html
"""

from __future__ import annotations

from typing import Any

from iamd.services.analyzer.common import (
    REGISTRY,
    analyzer_arn_target,
    analyzer_by_arn,
    now,
    paginate,
)
from iamd.services.analyzer.errors import ResourceNotFoundException, ValidationException
from iamd.services.analyzer.external import EXTERNAL_TYPES
from iamd.services.analyzer.refresh import refresh
from iamd.services.call import Call
from iamd.store.repos.analyzer_findings import AnalyzerFindings
from iamd.store.repos.analyzers import Analyzer

RESOURCE = "AWS::AccessAnalyzer::AnalyzedResource"


def _external(call: Call) -> Analyzer:
    with call.store.read() as tx:
        analyzer = analyzer_by_arn(tx, call, call.params["analyzerArn"])
    if analyzer.type not in EXTERNAL_TYPES:
        raise ValidationException(
            f"{call.operation} supports external access analyzers only.",
            reason="notSupported",
            field="analyzerArn",
        )
    return analyzer


def _not_found(arn: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(
        f"Resource {arn} not found.", resource_id=arn, resource_type=RESOURCE
    )


@REGISTRY.operation("ListAnalyzedResources", target=analyzer_arn_target())
def list_analyzed_resources(call: Call) -> dict[str, Any]:
    analyzer = _external(call)
    refresh(call.store, analyzer, now(call))
    wanted = call.param("resourceType")
    with call.store.read() as tx:
        found = [
            r
            for r in tx.repo(AnalyzerFindings).resources(analyzer.arn)
            if wanted is None or r.resource_type == wanted
        ]
    page, more = paginate(call, found, key=lambda r: r.resource_arn)
    return {
        "analyzedResources": [
            {
                "resourceArn": r.resource_arn,
                "resourceOwnerAccount": analyzer.account_id,
                "resourceType": r.resource_type,
            }
            for r in page
        ],
        **more,
    }


@REGISTRY.operation("GetAnalyzedResource", target=analyzer_arn_target())
def get_analyzed_resource(call: Call) -> dict[str, Any]:
    analyzer = _external(call)
    refresh(call.store, analyzer, now(call))
    arn = call.params["resourceArn"]
    with call.store.read() as tx:
        repo = tx.repo(AnalyzerFindings)
        resource = repo.resource(analyzer.arn, arn)
        findings = repo.of_resource(analyzer.arn, arn)
    if resource is None:
        raise _not_found(arn)
    open_ = [f for f in findings if f.status != "RESOLVED"]
    out: dict[str, Any] = {
        "resourceArn": arn,
        "resourceType": resource.resource_type,
        "createdAt": resource.created_at,
        "analyzedAt": resource.analyzed_at,
        "updatedAt": resource.updated_at,
        "isPublic": any(f.details.get("isPublic") for f in open_),
        "resourceOwnerAccount": analyzer.account_id,
    }
    if open_:
        out["actions"] = sorted({a for f in open_ for a in f.details.get("action", [])})
        statuses = {f.status for f in open_}
        out["status"] = "ACTIVE" if "ACTIVE" in statuses else "ARCHIVED"
    return {"resource": out}


@REGISTRY.operation("StartResourceScan", target=analyzer_arn_target())
def start_resource_scan(call: Call) -> dict[str, Any]:
    analyzer = _external(call)
    arn = call.params["resourceArn"]
    with call.store.read() as tx:
        known = any(role.arn == arn for role in tx.roles.all(analyzer.account_id))
    if not known:
        raise _not_found(arn)
    refresh(call.store, analyzer, now(call), force=frozenset({arn}))
    return {}
