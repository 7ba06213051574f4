"""Recommendations for unused-permission findings: which of the principal's own policies to
replace, and with what.

For each inline or attached managed policy of the user or role that allows the finding's
unused access, the steps are DETACH_POLICY (the policy's ARN, or an inline policy's name) and,
unless nothing would be left, CREATE_POLICY with the policy minus that access: an action
entry of a wholly unused service is removed; an entry of a partly unused service is replaced by
the actions it names that were used.  Entries whose service part is a wildcard (``*``,
``*:Get*``) are kept: narrowing them would list every other service's actions.  Group
policies are not changed (they grant other members too).  Generated at once, so SUCCEEDED.
https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_GetFindingRecommendation.html
https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_UnusedPermissionsRecommendedStep.html
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from iamd.catalog.actions import expand_action
from iamd.services.analyzer.common import (
    REGISTRY,
    analyzer_arn_target,
    analyzer_by_arn,
    now,
    paginate,
)
from iamd.services.analyzer.errors import ResourceNotFoundException, ValidationException
from iamd.services.analyzer.refresh import refresh
from iamd.services.call import Call
from iamd.store import Tx
from iamd.store.repos.analyzer_findings import AnalyzerFindings, StoredFinding
from iamd.store.repos.finding_recommendations import FindingRecommendations, Recommendation

RECOMMENDATION = "AWS::AccessAnalyzer::FindingRecommendation"

Unused = tuple[str, frozenset[str] | None]
"""(service, the unused actions lower-cased, or None when the whole service is unused)."""


def unused_of(finding: StoredFinding) -> Unused:
    details = finding.details["unusedPermissionDetails"]
    actions = details.get("actions")
    if not actions:
        return details["serviceNamespace"], None
    return details["serviceNamespace"], frozenset(a["action"].lower() for a in actions)


def _narrow(pattern: str, unused: Unused) -> list[str]:
    """What to keep of one Action entry."""
    service, actions = unused
    prefix, sep, _ = pattern.partition(":")
    if not sep or prefix.lower() != service:
        return [pattern]  # another service, or a service wildcard: left alone
    if actions is None:
        return []
    named = [a.qualified_name for a in expand_action(pattern)]
    kept = [a for a in named if a.lower() not in actions]
    return [pattern] if len(kept) == len(named) else kept


def refine(document: dict[str, Any], unused: Unused) -> dict[str, Any] | None:
    """The policy without the unused access; the same dict when it grants none of it, None
    when nothing would be left."""
    statements = document.get("Statement")
    listed = statements if isinstance(statements, list) else [statements]
    out: list[Any] = []
    changed = False
    for statement in listed:
        if not isinstance(statement, dict):
            out.append(statement)
            continue
        action = statement.get("Action")
        if statement.get("Effect") != "Allow" or action is None:
            out.append(statement)
            continue
        entries = [action] if isinstance(action, str) else list(action)
        kept = [k for entry in entries for k in _narrow(entry, unused)]
        if kept == entries:
            out.append(statement)
            continue
        changed = True
        if kept:
            out.append({**statement, "Action": kept[0] if len(kept) == 1 else kept})
    if not changed:
        return document
    if not any(s.get("Effect") == "Allow" for s in out if isinstance(s, dict)):
        return None
    return {**document, "Statement": out}


def _owned_policies(tx: Tx, finding: StoredFinding) -> list[tuple[str, str, Any]]:
    """(policy id for the step, document text, update time) of the principal's own policies."""
    kind = "role" if finding.resource_type == "AWS::IAM::Role" else "user"
    name = finding.resource.rsplit("/", 1)[-1]
    entity = (tx.roles if kind == "role" else tx.users).get(finding.resource_owner_account, name)
    if entity is None:
        return []
    found: list[tuple[str, str, Any]] = [
        (inline.name, inline.document, None) for inline in tx.policies.list_inline(kind, entity.id)
    ]
    for arn in tx.policies.attached(kind, entity.id):
        policy = tx.policies.get(arn)
        document = tx.policies.default_document(arn)
        if policy is not None and document is not None:
            found.append((arn, document, policy.update_date))
    return found


def steps_for(tx: Tx, finding: StoredFinding) -> list[dict[str, Any]]:
    unused = unused_of(finding)
    steps: list[dict[str, Any]] = []
    for policy_id, text, updated in _owned_policies(tx, finding):
        try:
            document = json.loads(text)
        except ValueError:
            continue
        refined = refine(document, unused)
        if refined is document:
            continue
        detach: dict[str, Any] = {
            "recommendedAction": "DETACH_POLICY",
            "existingPolicyId": policy_id,
        }
        if updated is not None:
            detach["policyUpdatedAt"] = updated.isoformat()
        steps.append({"unusedPermissionsRecommendedStep": detach})
        if refined is not None:
            create = {
                "recommendedAction": "CREATE_POLICY",
                "recommendedPolicy": json.dumps(refined, separators=(",", ":")),
                "existingPolicyId": policy_id,
            }
            steps.append({"unusedPermissionsRecommendedStep": create})
    return steps


def _finding(call: Call) -> tuple[str, StoredFinding]:
    with call.store.read() as tx:
        analyzer = analyzer_by_arn(tx, call, call.params["analyzerArn"])
    refresh(call.store, analyzer, now(call))
    with call.store.read() as tx:
        finding = tx.repo(AnalyzerFindings).get(analyzer.arn, call.params["id"])
    if finding is None:
        raise ResourceNotFoundException(
            f"Finding {call.params['id']} not found.",
            resource_id=call.params["id"],
            resource_type="AWS::AccessAnalyzer::Finding",
        )
    return analyzer.arn, finding


@REGISTRY.operation("GenerateFindingRecommendation", target=analyzer_arn_target())
def generate_finding_recommendation(call: Call) -> dict[str, Any]:
    analyzer_arn, finding = _finding(call)
    if finding.finding_type != "UnusedPermission":
        raise ValidationException(
            "Recommendations are available for UnusedPermission findings only.",
            reason="notSupported",
            field="id",
        )
    when = now(call)
    with call.store.write() as tx:
        tx.repo(FindingRecommendations).put(
            Recommendation(
                analyzer_arn=analyzer_arn,
                finding_id=finding.id,
                resource_arn=finding.resource,
                status="SUCCEEDED",
                started_at=when,
                completed_at=when,
                steps=steps_for(tx, finding),
                error=None,
            )
        )
    return {}


def _step_out(step: dict[str, Any]) -> dict[str, Any]:
    inner = dict(step["unusedPermissionsRecommendedStep"])
    if "policyUpdatedAt" in inner:
        inner["policyUpdatedAt"] = datetime.fromisoformat(inner["policyUpdatedAt"])
    return {"unusedPermissionsRecommendedStep": inner}


@REGISTRY.operation("GetFindingRecommendation", target=analyzer_arn_target())
def get_finding_recommendation(call: Call) -> dict[str, Any]:
    with call.store.read() as tx:
        analyzer = analyzer_by_arn(tx, call, call.params["analyzerArn"])
        rec = tx.repo(FindingRecommendations).get(analyzer.arn, call.params["id"])
    if rec is None:
        raise ResourceNotFoundException(
            f"No recommendation for finding {call.params['id']}: call "
            "GenerateFindingRecommendation first.",
            resource_id=call.params["id"],
            resource_type=RECOMMENDATION,
        )
    numbered = list(enumerate(rec.steps))
    page, more = paginate(call, numbered, key=lambda item: f"{item[0]:08d}")
    out: dict[str, Any] = {
        "startedAt": rec.started_at,
        "resourceArn": rec.resource_arn,
        "recommendedSteps": [_step_out(s) for _, s in page],
        "recommendationType": "UnusedPermissionRecommendation",
        "status": rec.status,
        **more,
    }
    if rec.completed_at is not None:
        out["completedAt"] = rec.completed_at
    if rec.error is not None:
        out["error"] = rec.error
    return out
