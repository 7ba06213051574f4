"""The custom policy checks, over :mod:`iamd.analysis.access_checks`.

The analyses decide; these handlers only name the AWS error for refused input (the analysis
error says which: ValidationException for a malformed document, InvalidParameterException for
an access list or type it cannot use) and shape ``{result, message, reasons}``.
https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_CheckNoNewAccess.html
https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_CheckAccessNotGranted.html
https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_CheckNoPublicAccess.html
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from iamd.analysis.access_checks import (
    CheckResult,
    check_access_not_granted,
    check_no_new_access,
    check_no_public_access,
)
from iamd.analysis.errors import AnalysisInputError
from iamd.services.analyzer.common import REGISTRY, star_target
from iamd.services.analyzer.errors import InvalidParameterException, ValidationException
from iamd.services.call import Call


def _run(check: Callable[[], CheckResult]) -> dict[str, Any]:
    try:
        result = check()
    except AnalysisInputError as exc:
        if exc.code == "InvalidParameterException":
            raise InvalidParameterException(exc.message) from None
        raise ValidationException(exc.message, reason="other") from None
    reasons = []
    for reason in result.reasons:
        entry: dict[str, Any] = {"description": reason.description}
        if reason.statement_index is not None:
            entry["statementIndex"] = reason.statement_index
        if reason.statement_id is not None:
            entry["statementId"] = reason.statement_id
        reasons.append(entry)
    return {"result": result.result, "message": result.message, "reasons": reasons}


@REGISTRY.operation("CheckNoNewAccess", target=star_target)
def check_no_new(call: Call) -> dict[str, Any]:
    return _run(
        lambda: check_no_new_access(
            call.params["newPolicyDocument"],
            call.params["existingPolicyDocument"],
            call.params["policyType"],
        )
    )


@REGISTRY.operation("CheckAccessNotGranted", target=star_target)
def check_not_granted(call: Call) -> dict[str, Any]:
    return _run(
        lambda: check_access_not_granted(
            call.params["policyDocument"], call.params["access"], call.params["policyType"]
        )
    )


@REGISTRY.operation("CheckNoPublicAccess", target=star_target)
def check_no_public(call: Call) -> dict[str, Any]:
    return _run(
        lambda: check_no_public_access(call.params["policyDocument"], call.params["resourceType"])
    )
