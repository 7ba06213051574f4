"""Reading and triaging findings: ListFindings(V2), GetFinding(V2), UpdateFindings,
GetFindingsStatistics, and the analysed resources behind them.

Every read first brings the analyzer up to date (:mod:`.refresh`), so a trust policy changed a
moment ago is reflected at once.  ListFindings and GetFinding (the first API version) cover
external access only; unused-access findings are read with the V2 operations, as on AWS.
https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_ListFindingsV2.html
https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_GetFindingV2.html
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime
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
from iamd.services.analyzer.filters import check_filter, matches
from iamd.services.analyzer.refresh import refresh
from iamd.services.call import Call
from iamd.store.repos.analyzer_findings import AnalyzerFindings, StoredFinding
from iamd.store.repos.analyzers import Analyzer

FINDING = "AWS::AccessAnalyzer::Finding"
NO_RCP = "NOT_APPLICABLE"
"""iamd has no AWS Organizations, so no resource control policy restricts a finding."""
SORT_KEYS: dict[str, Callable[[StoredFinding], Any]] = {
    "id": lambda f: f.id,
    "resource": lambda f: f.resource,
    "resourceType": lambda f: f.resource_type,
    "resourceOwnerAccount": lambda f: f.resource_owner_account,
    "status": lambda f: f.status,
    "findingType": lambda f: f.finding_type,
    "createdAt": lambda f: f.created_at,
    "updatedAt": lambda f: f.updated_at,
    "analyzedAt": lambda f: f.analyzed_at,
    "isPublic": lambda f: bool(f.details.get("isPublic")),
}


def _fresh(call: Call, *, external_only: bool = False) -> tuple[Analyzer, list[StoredFinding]]:
    """The analyzer named by ``analyzerArn`` and its findings, brought up to date."""
    with call.store.read() as tx:
        analyzer = analyzer_by_arn(tx, call, call.params["analyzerArn"])
    if external_only and analyzer.type not in EXTERNAL_TYPES:
        raise ValidationException(
            f"{call.operation} supports external access analyzers only; use "
            f"{call.operation}V2 for unused access findings.",
            reason="notSupported",
            field="analyzerArn",
        )
    refresh(call.store, analyzer, now(call))
    with call.store.read() as tx:
        found = tx.repo(AnalyzerFindings).all(analyzer.arn)
    return analyzer, found


def _selected(call: Call, found: list[StoredFinding]) -> list[StoredFinding]:
    filter_ = check_filter(call.param("filter"))
    chosen = [f for f in found if matches(f, filter_)]
    sort = call.param("sort") or {}
    name = sort.get("attributeName")
    if name:
        key = SORT_KEYS.get(name)
        if key is None:
            raise ValidationException(f"Invalid sort attribute: {name}", field="sort")
        chosen.sort(key=lambda f: (key(f), f.id), reverse=sort.get("orderBy") == "DESC")
    return chosen


def _times(f: StoredFinding) -> dict[str, Any]:
    return {"createdAt": f.created_at, "analyzedAt": f.analyzed_at, "updatedAt": f.updated_at}


def finding_v1(f: StoredFinding) -> dict[str, Any]:
    d = f.details
    out: dict[str, Any] = {
        "id": f.id,
        "principal": d.get("principal", {}),
        "action": d.get("action", []),
        "resource": f.resource,
        "isPublic": bool(d.get("isPublic")),
        "resourceType": f.resource_type,
        "condition": d.get("condition", {}),
        **_times(f),
        "status": f.status,
        "resourceOwnerAccount": f.resource_owner_account,
        "resourceControlPolicyRestriction": NO_RCP,
    }
    if d.get("error"):
        out["error"] = d["error"]
    return out


def summary_v2(f: StoredFinding) -> dict[str, Any]:
    return {
        "id": f.id,
        "resource": f.resource,
        "resourceType": f.resource_type,
        "resourceOwnerAccount": f.resource_owner_account,
        "status": f.status,
        "findingType": f.finding_type,
        **_times(f),
    }


def _timestamps(value: Any) -> Any:
    """Stored details keep times as ISO text; the API returns timestamps."""
    if isinstance(value, dict):
        return {
            k: datetime.fromisoformat(v) if k == "lastAccessed" else _timestamps(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_timestamps(v) for v in value]
    return value


def finding_details(f: StoredFinding) -> list[dict[str, Any]]:
    if f.finding_type == "ExternalAccess":
        d = f.details
        return [
            {
                "externalAccessDetails": {
                    "action": d.get("action", []),
                    "condition": d.get("condition", {}),
                    "isPublic": bool(d.get("isPublic")),
                    "principal": d.get("principal", {}),
                    "resourceControlPolicyRestriction": NO_RCP,
                }
            }
        ]
    return [_timestamps(f.details)]


def _one(found: list[StoredFinding], finding_id: str) -> StoredFinding:
    for f in found:
        if f.id == finding_id:
            return f
    raise ResourceNotFoundException(
        f"Finding {finding_id} not found.", resource_id=finding_id, resource_type=FINDING
    )


@REGISTRY.operation("ListFindings", target=analyzer_arn_target())
def list_findings(call: Call) -> dict[str, Any]:
    _, found = _fresh(call, external_only=True)
    page, more = paginate(call, _selected(call, found), key=lambda f: f.id)
    return {"findings": [finding_v1(f) for f in page], **more}


@REGISTRY.operation("ListFindingsV2", target=analyzer_arn_target())
def list_findings_v2(call: Call) -> dict[str, Any]:
    _, found = _fresh(call)
    page, more = paginate(call, _selected(call, found), key=lambda f: f.id)
    return {"findings": [summary_v2(f) for f in page], **more}


@REGISTRY.operation("GetFinding", target=analyzer_arn_target())
def get_finding(call: Call) -> dict[str, Any]:
    _, found = _fresh(call, external_only=True)
    return {"finding": finding_v1(_one(found, call.params["id"]))}


@REGISTRY.operation("GetFindingV2", target=analyzer_arn_target())
def get_finding_v2(call: Call) -> dict[str, Any]:
    _, found = _fresh(call)
    f = _one(found, call.params["id"])
    numbered = list(enumerate(finding_details(f)))
    page, more = paginate(call, numbered, key=lambda item: f"{item[0]:08d}")
    return {**summary_v2(f), "findingDetails": [d for _, d in page], **more}


@REGISTRY.operation("UpdateFindings", target=analyzer_arn_target())
def update_findings(call: Call) -> dict[str, Any]:
    ids = call.param("ids")
    resource = call.param("resourceArn")
    if not ids and not resource:
        raise ValidationException("Either ids or resourceArn must be given.", field="ids")
    analyzer, found = _fresh(call)
    if ids:
        chosen = [_one(found, i) for i in ids]
    else:
        chosen = [f for f in found if f.resource == resource]
    with call.store.write() as tx:
        tx.repo(AnalyzerFindings).set_status(
            analyzer.arn,
            [f.id for f in chosen if f.status != "RESOLVED"],
            call.params["status"],
            now(call),
        )
    return {}


def _external_statistics(found: list[StoredFinding]) -> dict[str, Any]:
    by_type: dict[str, dict[str, int]] = {}
    for f in found:
        if f.status != "ACTIVE":
            continue
        entry = by_type.setdefault(
            f.resource_type,
            {"totalActivePublic": 0, "totalActiveCrossAccount": 0, "totalActiveErrors": 0},
        )
        if f.details.get("error"):
            entry["totalActiveErrors"] += 1
        elif f.details.get("isPublic"):
            entry["totalActivePublic"] += 1
        else:
            entry["totalActiveCrossAccount"] += 1
    return {"resourceTypeStatistics": by_type}


def _unused_statistics(found: list[StoredFinding]) -> dict[str, Any]:
    active = [f for f in found if f.status == "ACTIVE"]
    kinds = Counter(f.finding_type for f in active)
    out: dict[str, Any] = {
        "unusedAccessTypeStatistics": [
            {"unusedAccessType": kind, "total": total} for kind, total in sorted(kinds.items())
        ]
    }
    if active:
        out["topAccounts"] = [
            {
                "account": active[0].resource_owner_account,
                "numberOfActiveFindings": len(active),
                "details": dict(sorted(kinds.items())),
            }
        ]
    return out


@REGISTRY.operation("GetFindingsStatistics", target=analyzer_arn_target())
def get_findings_statistics(call: Call) -> dict[str, Any]:
    analyzer, found = _fresh(call)
    counts = Counter(f.status for f in found)
    totals = {
        "totalActiveFindings": counts["ACTIVE"],
        "totalArchivedFindings": counts["ARCHIVED"],
        "totalResolvedFindings": counts["RESOLVED"],
    }
    if analyzer.type in EXTERNAL_TYPES:
        entry = {"externalAccessFindingsStatistics": {**_external_statistics(found), **totals}}
    else:
        entry = {"unusedAccessFindingsStatistics": {**_unused_statistics(found), **totals}}
    last = max((f.updated_at for f in found), default=now(call))
    return {"findingsStatistics": [entry], "lastUpdatedAt": last}
