"""Turns the parser's errors into findings with Access Analyzer's issue codes.

:func:`iamd.policy.parse_policy` refuses a document iamd cannot evaluate and says why, in AWS's
``MalformedPolicyDocument`` words, at a JSON pointer.  Each such error is an ERROR finding: a
policy iamd refuses cannot be used with iamd, even where Access Analyzer would only warn (an
empty ``Action`` list, ``ForAllValues:Null``).  The code is chosen from the message and the
place, so that the finding reads like Access Analyzer's for the same mistake.
https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html
"""

from __future__ import annotations

import re
from typing import Any

from iamd.policy import PolicyError, PolicyKind
from iamd.policy.conditions.registry import QUALIFIERS, parse_operator
from iamd.validation.context import finding, resolve
from iamd.validation.findings import Finding, FindingType

_TYPE_MESSAGES = (
    ("Invalid boolean", "TYPE_MISMATCH_BOOLEAN"),
    ("Invalid Null value", "TYPE_MISMATCH_BOOLEAN"),
    ("Invalid date", "TYPE_MISMATCH_DATE"),
    ("Invalid IP address", "TYPE_MISMATCH_IP_RANGE"),
    ("Invalid number", "TYPE_MISMATCH_NUMBER"),
    ("Invalid base64", "TYPE_MISMATCH_STRING"),
)
_ELEMENTS = {"Action", "NotAction", "Resource", "NotResource", "Principal", "NotPrincipal"}


def classify(error: PolicyError, document: Any, kind: PolicyKind) -> Finding:
    """One parser error as an ERROR finding."""
    code = _code(error, document, kind)
    return finding(code, error.message, error.pointer, FindingType.ERROR)


def _segments(pointer: str) -> list[str]:
    return [s.replace("~1", "/").replace("~0", "~") for s in pointer.split("/")[1:]]


def _code(error: PolicyError, document: Any, kind: PolicyKind) -> str:
    message, pointer = error.message, error.pointer
    segments = _segments(pointer)
    raw = resolve(document, pointer)
    element = next((s for s in segments if s in _ELEMENTS or s == "Condition"), None)
    if message.startswith("Syntax errors in policy"):
        return "JSON_SYNTAX_ERROR"
    if message.startswith("Unknown field"):
        return "INVALID_POLICY_ELEMENT"
    if "legacy parsing" in message:
        return "INVALID_VERSION"
    if message.startswith("Missing required field Statement"):
        return "MISSING_STATEMENT"
    if message.startswith("Missing required field Effect"):
        return "MISSING_EFFECT"
    if message.startswith("Missing required field Principal"):
        return "MISSING_PRINCIPAL"
    if message.startswith("Invalid effect"):
        return "INVALID_EFFECT"
    if "(SID)" in message:
        return "UNIQUE_SIDS_REQUIRED"
    if message.startswith("Statement cannot contain both"):
        return "UNSUPPORTED_ELEMENT_COMBINATION"
    if message == "Policy statement must contain actions.":
        return "MISSING_ACTION"
    if message == "Policy statement must contain resources.":
        return "MISSING_RESOURCE"
    if message.startswith("Has prohibited field"):
        return "ROLE_TRUST_POLICY_SYNTAX_ERROR_RESOURCE"
    if message.startswith("Resource ") and "ARN format" in message:
        text = raw if isinstance(raw, str) else ""
        return "MISSING_ARN_FIELD" if text.startswith("arn:") else "INVALID_ARN_PREFIX"
    if message.startswith("Policy document should not specify a principal"):
        return "SCP_SYNTAX_ERROR_PRINCIPAL" if kind is PolicyKind.SCP else "UNSUPPORTED_PRINCIPAL"
    if message.startswith("Invalid principal in policy"):
        return _principal_code(message, raw, segments, kind)
    if message.startswith("Actions/Conditions must be prefaced by a vendor"):
        if element == "Condition":
            return "INVALID_CONDITION_KEY_FORMAT"
        if isinstance(raw, str) and "${" in raw:
            return "VARIABLE_UNSUPPORTED_IN_ELEMENT"
        return "INVALID_ACTION"
    if message.startswith("Invalid Condition type"):
        return _operator_code(segments[-1] if segments else "")
    if message.endswith("must map condition keys to values."):
        return "EMPTY_OBJECT_CONDITION" if raw == {} else "DATA_TYPE_MISMATCH"
    if message.startswith("Condition values must not be an empty list"):
        return _empty_condition_code(segments)
    if raw == [] and element in _ELEMENTS:
        return {
            "Action": "EMPTY_ARRAY_ACTION",
            "NotAction": "EMPTY_ARRAY_ACTION",
            "Resource": "EMPTY_ARRAY_RESOURCE",
            "NotResource": "EMPTY_ARRAY_RESOURCE",
        }.get(element, "EMPTY_ARRAY_PRINCIPAL")
    if element == "Condition":
        if isinstance(raw, str) and "${" in raw:
            return "INVALID_VARIABLE_FOR_OPERATOR"
        for prefix, code in _TYPE_MESSAGES:
            if message.startswith(prefix):
                return code
    if re.search(r"must be (a string|strings|an object|a JSON object)|values must be", message):
        return "DATA_TYPE_MISMATCH"
    return "MALFORMED_POLICY_DOCUMENT"


def _principal_code(message: str, raw: Any, segments: list[str], kind: PolicyKind) -> str:
    if raw == {}:
        return "EMPTY_OBJECT_PRINCIPAL"
    if raw == []:
        return "EMPTY_ARRAY_PRINCIPAL"
    if ":" not in message:  # the element itself, or a key that names no principal type
        if segments and segments[-1] not in ("Principal", "NotPrincipal"):
            return "INVALID_PRINCIPAL_KEY"
        return "INVALID_PRINCIPAL_FORMAT"
    if isinstance(raw, str) and "*" in raw:
        if kind is PolicyKind.TRUST:
            return "ROLE_TRUST_POLICY_UNSUPPORTED_WILDCARD_IN_PRINCIPAL"
        return "UNSUPPORTED_WILDCARD_IN_PRINCIPAL"
    return "INVALID_PRINCIPAL_FORMAT"


def _operator_code(operator: str) -> str:
    """Why an operator name is refused: ``NullIfExists`` and ``ForAnyValue:Null`` have codes."""
    prefix, sep, name = operator.partition(":")
    if not sep:
        name = prefix
    lowered = name.lower()
    if lowered == "nullifexists":
        return "NULL_WITH_IF_EXISTS"
    if sep and prefix.lower() in QUALIFIERS and lowered in ("null", "nullifexists"):
        return "NULL_WITH_QUALIFIER"
    return "INVALID_CONDITION_OPERATOR"


def _empty_condition_code(segments: list[str]) -> str:
    operator = segments[-2] if len(segments) >= 2 else ""
    parsed = parse_operator(operator)
    if parsed is not None and parsed.qualifier == "ForAllValues":
        return "EMPTY_ARRAY_CONDITION_FORALLVALUES"
    if parsed is not None and parsed.qualifier == "ForAnyValue":
        return "EMPTY_ARRAY_CONDITION_FORANYVALUE"
    if parsed is not None and parsed.if_exists:
        return "EMPTY_ARRAY_CONDITION_IFEXISTS"
    return "EMPTY_ARRAY_CONDITION"
