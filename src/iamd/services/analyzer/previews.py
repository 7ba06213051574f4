"""Access previews: the findings a proposed trust policy would produce, before it is applied.

Each preview finding says how it relates to the analyzer's current findings (``changeType``):
NEW access (ACTIVE, or ARCHIVED when an archive rule matches it), UNCHANGED access (the
existing finding's status), or CHANGED: access that would go (RESOLVED) or a resolved finding
that would come back.  iamd holds IAM roles, so ``iamRole`` configurations are the ones it
previews; a configuration without ``trustPolicy`` previews the role's current one.  The
preview is computed when created, so it is COMPLETED at once (FAILED with
INVALID_CONFIGURATION for a trust policy that cannot be analysed).
https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-preview-access-apis.html
https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_AccessPreviewFinding.html
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from iamd.services.analyzer.common import (
    REGISTRY,
    analyzer_arn_target,
    analyzer_by_arn,
    now,
    paginate,
)
from iamd.services.analyzer.errors import (
    ConflictException,
    ResourceNotFoundException,
    ValidationException,
)
from iamd.services.analyzer.external import EXTERNAL_TYPES, observe_trust
from iamd.services.analyzer.filters import Attributes, check_filter, matches, matches_attributes
from iamd.services.analyzer.refresh import refresh
from iamd.services.call import Call
from iamd.store import Tx
from iamd.store.repos.access_previews import AccessPreview, AccessPreviews
from iamd.store.repos.analyzer_findings import AnalyzerFindings, StoredFinding
from iamd.store.repos.analyzers import Analyzer, Analyzers

PREVIEW = "AWS::AccessAnalyzer::AccessPreview"
PREVIEW_KEYS = frozenset({"changeType", "existingFindingId", "existingFindingStatus"})


def _role_arn(call: Call, key: str, value: Any) -> str:
    if not isinstance(value, dict) or set(value) != {"iamRole"}:
        raise ValidationException(
            f"iamd previews IAM role trust policies only: the configuration for {key} must be "
            "an iamRole configuration.",
            reason="notSupported",
            field="configurations",
        )
    parts = key.split(":", 5)
    if len(parts) != 6 or parts[2] != "iam" or not parts[5].startswith("role/"):
        raise ValidationException(f"{key} is not an IAM role ARN.", field="configurations")
    if parts[4] != call.account_id:
        raise ValidationException(
            f"{key} is not a role of the analyzer's account.", field="configurations"
        )
    return key


def _current_trust(tx: Tx, account: str, arn: str) -> str | None:
    name = arn.rsplit("/", 1)[-1]
    role = tx.roles.get(account, name)
    return role.assume_role_policy if role is not None and role.arn == arn else None


def _preview_finding(
    preview_id: str,
    base: StoredFinding,
    change: str,
    status: str,
    existing: StoredFinding | None,
    when: datetime,
) -> dict[str, Any]:
    d = base.details
    out: dict[str, Any] = {
        "id": str(uuid.uuid5(uuid.UUID(preview_id), base.id)),
        "principal": d.get("principal", {}),
        "action": d.get("action", []),
        "condition": d.get("condition", {}),
        "resource": base.resource,
        "isPublic": bool(d.get("isPublic")),
        "resourceType": base.resource_type,
        "createdAt": when.isoformat(),
        "changeType": change,
        "status": status,
        "resourceOwnerAccount": base.resource_owner_account,
        "resourceControlPolicyRestriction": "NOT_APPLICABLE",
    }
    if existing is not None:
        out["existingFindingId"] = existing.id
        out["existingFindingStatus"] = existing.status
    return out


def _preview_findings(
    tx: Tx, analyzer: Analyzer, preview_id: str, proposed: dict[str, str | None], when: datetime
) -> list[dict[str, Any]] | None:
    """The preview's findings, or None when a proposed policy cannot be analysed."""
    repo = tx.repo(AnalyzerFindings)
    rules = tx.repo(Analyzers).rules(analyzer.arn)
    out: list[dict[str, Any]] = []
    for arn, document in proposed.items():
        stored = {f.id: f for f in repo.of_resource(analyzer.arn, arn)}
        observed, error = observe_trust(arn, analyzer.account_id, document or "{}")
        if error is not None and document is not None:
            return None
        seen = set()
        for item in observed:
            if item.id in seen:
                continue
            seen.add(item.id)
            base = StoredFinding(
                analyzer.arn,
                item.id,
                item.finding_type,
                item.resource,
                item.resource_type,
                item.resource_owner_account,
                "ACTIVE",
                dict(item.details),
                when,
                when,
                when,
            )
            existing = stored.get(item.id)
            archived = any(matches(base, rule.filter) for rule in rules)
            fresh = "ARCHIVED" if archived else "ACTIVE"
            if existing is None:
                out.append(_preview_finding(preview_id, base, "NEW", fresh, None, when))
            elif existing.status == "RESOLVED":
                out.append(_preview_finding(preview_id, base, "CHANGED", fresh, existing, when))
            else:
                out.append(
                    _preview_finding(preview_id, base, "UNCHANGED", existing.status, existing, when)
                )
        for old in stored.values():
            if old.id not in seen and old.status != "RESOLVED":
                out.append(_preview_finding(preview_id, old, "CHANGED", "RESOLVED", old, when))
    return out


@REGISTRY.operation("CreateAccessPreview", target=analyzer_arn_target())
def create_access_preview(call: Call) -> dict[str, Any]:
    configurations = call.params["configurations"]
    arns = [_role_arn(call, key, value) for key, value in configurations.items()]
    when = now(call)
    with call.store.read() as tx:
        analyzer = analyzer_by_arn(tx, call, call.params["analyzerArn"])
    if analyzer.type not in EXTERNAL_TYPES:
        raise ValidationException(
            "Access previews are for external access analyzers.",
            reason="notSupported",
            field="analyzerArn",
        )
    refresh(call.store, analyzer, when)
    preview_id = str(uuid.uuid4())
    with call.store.write() as tx:
        proposed = {
            arn: configurations[arn]["iamRole"].get("trustPolicy")
            or _current_trust(tx, call.account_id, arn)
            for arn in arns
        }
        found = _preview_findings(tx, analyzer, preview_id, proposed, when)
        tx.repo(AccessPreviews).create(
            AccessPreview(
                id=preview_id,
                analyzer_arn=analyzer.arn,
                configurations=configurations,
                status="COMPLETED" if found is not None else "FAILED",
                status_reason=None if found is not None else "INVALID_CONFIGURATION",
                created_at=when,
                findings=found or [],
            )
        )
    return {"id": preview_id}


def _preview_or_404(call: Call) -> AccessPreview:
    with call.store.read() as tx:
        analyzer = analyzer_by_arn(tx, call, call.params["analyzerArn"])
        preview = tx.repo(AccessPreviews).get(analyzer.arn, call.params["accessPreviewId"])
    if preview is None:
        raise ResourceNotFoundException(
            f"Access preview {call.params['accessPreviewId']} not found.",
            resource_id=call.params["accessPreviewId"],
            resource_type=PREVIEW,
        )
    return preview


def _summary(preview: AccessPreview) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": preview.id,
        "analyzerArn": preview.analyzer_arn,
        "createdAt": preview.created_at,
        "status": preview.status,
    }
    if preview.status_reason:
        out["statusReason"] = {"code": preview.status_reason}
    return out


@REGISTRY.operation("GetAccessPreview", target=analyzer_arn_target())
def get_access_preview(call: Call) -> dict[str, Any]:
    preview = _preview_or_404(call)
    return {"accessPreview": {**_summary(preview), "configurations": preview.configurations}}


@REGISTRY.operation("ListAccessPreviews", target=analyzer_arn_target())
def list_access_previews(call: Call) -> dict[str, Any]:
    with call.store.read() as tx:
        analyzer = analyzer_by_arn(tx, call, call.params["analyzerArn"])
        previews = tx.repo(AccessPreviews).all(analyzer.arn)
    page, more = paginate(call, previews, key=lambda p: f"{p.created_at.isoformat()}|{p.id}")
    return {"accessPreviews": [_summary(p) for p in page], **more}


def _attributes(finding: dict[str, Any]) -> Attributes:
    out: Attributes = {
        key: [str(finding[key])]
        for key in (
            "id",
            "resource",
            "resourceType",
            "resourceOwnerAccount",
            "status",
            "changeType",
            "existingFindingId",
            "existingFindingStatus",
        )
        if key in finding
    }
    out["isPublic"] = ["true" if finding.get("isPublic") else "false"]
    for name, value in (finding.get("principal") or {}).items():
        out[f"principal.{name}"] = [str(value)]
    for name, value in (finding.get("condition") or {}).items():
        out[f"condition.{name}"] = [str(value)]
    return out


@REGISTRY.operation("ListAccessPreviewFindings", target=analyzer_arn_target())
def list_access_preview_findings(call: Call) -> dict[str, Any]:
    preview = _preview_or_404(call)
    if preview.status != "COMPLETED":
        raise ConflictException(
            f"Access preview {preview.id} is {preview.status}, not COMPLETED.",
            resource_id=preview.id,
            resource_type=PREVIEW,
        )
    filter_ = check_filter(call.param("filter"), extra=PREVIEW_KEYS)
    chosen = [f for f in preview.findings if matches_attributes(_attributes(f), filter_)]
    page, more = paginate(call, chosen, key=lambda f: str(f["id"]))
    out = []
    for f in page:
        out.append({**f, "createdAt": datetime.fromisoformat(f["createdAt"])})
    return {"findings": out, **more}
