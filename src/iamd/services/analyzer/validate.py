"""ValidatePolicy: iamd's policy linter (:mod:`iamd.validation`) in Access Analyzer's shape.

The linter already reports AWS's issue codes, finding types and JSON pointers with spans;
this module maps them to ``ValidatePolicyFinding``: the path as ``[{"value": "Statement"},
{"index": 0}, ...]``, positions with 1-based lines, 0-based columns and 0-based offsets, and
``learnMoreLink`` pointing at the check's section of AWS's policy check reference.
Messages are English whatever the ``locale``.
https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_ValidatePolicy.html
https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_Position.html
"""

from __future__ import annotations

import re
from typing import Any

from iamd.policy import PolicyKind
from iamd.services.analyzer.common import REGISTRY, paginate, star_target
from iamd.services.analyzer.errors import ValidationException
from iamd.services.call import Call
from iamd.validation import CODES, Finding, Position, Span, validate_policy
from iamd.validation.codes import REFERENCE
from iamd.validation.formats import _path as path_elements

KINDS = {
    "IDENTITY_POLICY": PolicyKind.IDENTITY,
    "RESOURCE_POLICY": PolicyKind.RESOURCE,
    "SERVICE_CONTROL_POLICY": PolicyKind.SCP,
    "RESOURCE_CONTROL_POLICY": PolicyKind.RCP,
}
TRUST_RESOURCE = "AWS::IAM::AssumeRolePolicyDocument"


def policy_kind(policy_type: str, resource_type: str | None) -> PolicyKind:
    kind = KINDS.get(policy_type)
    if kind is None:
        raise ValidationException(f"Invalid policyType: {policy_type}", field="policyType")
    if resource_type is not None and kind is not PolicyKind.RESOURCE:
        raise ValidationException(
            "validatePolicyResourceType is only for policyType RESOURCE_POLICY.",
            field="validatePolicyResourceType",
        )
    if resource_type == TRUST_RESOURCE:
        return PolicyKind.TRUST
    return kind


def learn_more(code: str) -> str:
    """The check's own section of the reference: ``...#access-analyzer-reference-policy-
    checks-security-warning-pass-role-with-star-in-resource``."""
    entry = CODES.get(code)
    if entry is None or not entry.aws:
        return REFERENCE
    slug = re.sub(r"[^a-z0-9]+", "-", entry.title.lower()).strip("-")
    kind = entry.type.value.lower().replace("_", "-")
    return f"{REFERENCE}#access-analyzer-reference-policy-checks-{kind}-{slug}"


def _position(p: Position) -> dict[str, int]:
    return {"line": p.line, "column": p.column - 1, "offset": p.offset}


def _whole(text: str) -> Span:
    lines = text.split("\n")
    return Span(Position(1, 1, 0), Position(len(lines), len(lines[-1]) + 1, len(text)))


def finding_dict(f: Finding, text: str) -> dict[str, Any]:
    span = f.span or _whole(text)
    return {
        "findingDetails": f.message,
        "findingType": f.type.value,
        "issueCode": f.code,
        "learnMoreLink": learn_more(f.code),
        "locations": [
            {
                "path": path_elements(f.pointer),
                "span": {"start": _position(span.start), "end": _position(span.end)},
            }
        ],
    }


@REGISTRY.operation("ValidatePolicy", target=star_target)
def validate(call: Call) -> dict[str, Any]:
    text = call.params["policyDocument"]
    kind = policy_kind(call.params["policyType"], call.param("validatePolicyResourceType"))
    found = [finding_dict(f, text) for f in validate_policy(text, kind)]
    numbered = list(enumerate(found))
    page, more = paginate(call, numbered, key=lambda item: f"{item[0]:08d}")
    return {"findings": [f for _, f in page], **more}
