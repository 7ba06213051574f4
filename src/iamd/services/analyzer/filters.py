"""Finding filters: ``{key: {eq|neq|contains|exists}}``, as ListFindings, ListFindingsV2 and
archive rules take them.

A finding is seen as a map from filter key to its values (a finding can have several
``condition.*`` or ``principal.*`` keys, each with one value).  Within one criterion every
operator given must hold; across keys, every criterion must hold.  ``eq`` holds when a value is
one of the listed ones, ``neq`` when none is, ``contains`` when a value contains one of the
listed strings, ``exists`` when the key is (or is not) there.
https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-filter-keys.html
https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_Criterion.html
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from iamd.services.analyzer.errors import ValidationException
from iamd.store.repos.analyzer_findings import StoredFinding

KEYS = frozenset(
    {
        "id",
        "resource",
        "resourceType",
        "resourceOwnerAccount",
        "isPublic",
        "findingType",
        "resourceControlPolicyRestriction",
        "status",
        "error",
    }
)
PREFIXES = ("principal.", "condition.")
OPERATORS = ("eq", "neq", "contains", "exists")

Attributes = dict[str, list[str]]


def check_filter(
    raw: Mapping[str, Any] | None,
    *,
    archive_rule: bool = False,
    extra: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """The filter as given, or ValidationException naming the key AWS would refuse.

    Archive rules cannot filter on ``status`` (the rule sets it); ``extra`` adds keys (access
    preview findings have ``changeType`` and the like)."""
    if not raw:
        return {}
    for key, criterion in raw.items():
        known = key in KEYS or key in extra or (key.startswith(PREFIXES) and "." in key[:-1])
        if not known or (archive_rule and key == "status"):
            raise ValidationException(f"Invalid filter key: {key}", field="filter")
        if not isinstance(criterion, Mapping) or not any(
            criterion.get(op) is not None for op in OPERATORS
        ):
            raise ValidationException(
                f"Filter criterion for {key} must have at least one of eq, neq, contains, exists.",
                field="filter",
            )
        for op in ("eq", "neq", "contains"):
            values = criterion.get(op)
            if values is not None and not 1 <= len(values) <= 20:
                raise ValidationException(
                    f"Filter criterion {op} for {key} must have 1 to 20 values.", field="filter"
                )
    return dict(raw)


def attributes(finding: StoredFinding) -> Attributes:
    """A finding's filterable values, by filter key."""
    out: Attributes = {
        "id": [finding.id],
        "resource": [finding.resource],
        "resourceType": [finding.resource_type],
        "resourceOwnerAccount": [finding.resource_owner_account],
        "status": [finding.status],
        "findingType": [finding.finding_type],
    }
    details = finding.details
    if finding.finding_type == "ExternalAccess":
        out["resourceControlPolicyRestriction"] = ["NOT_APPLICABLE"]  # iamd has no RCPs
    if "isPublic" in details:
        out["isPublic"] = ["true" if details["isPublic"] else "false"]
    if details.get("error"):
        out["error"] = [str(details["error"])]
    for name, value in (details.get("principal") or {}).items():
        out[f"principal.{name}"] = [str(value)]
    for name, value in (details.get("condition") or {}).items():
        out[f"condition.{name}"] = [str(value)]
    return out


def _holds(values: list[str] | None, criterion: Mapping[str, Any]) -> bool:
    exists = criterion.get("exists")
    if exists is not None and exists != (values is not None):
        return False
    present = values or []
    eq = criterion.get("eq")
    if eq is not None and not any(v in eq for v in present):
        return False
    neq = criterion.get("neq")
    if neq is not None and any(v in neq for v in present):
        return False
    contains = criterion.get("contains")
    return contains is None or any(part in v for v in present for part in contains)


def matches(finding: StoredFinding, filter_: Mapping[str, Any] | None) -> bool:
    return matches_attributes(attributes(finding), filter_)


def matches_attributes(found: Attributes, filter_: Mapping[str, Any] | None) -> bool:
    if not filter_:
        return True
    return all(_holds(found.get(key), criterion) for key, criterion in filter_.items())
