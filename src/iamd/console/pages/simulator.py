"""The policy simulator: pick a principal or paste policies, then actions, resources and
context; each decision is shown with the statements that decided it and why.

It calls SimulatePrincipalPolicy / SimulateCustomPolicy as the signed-in principal, so the
console can simulate only what its user may (iam:SimulatePrincipalPolicy on that principal).
https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_testing-policies.html
"""

from __future__ import annotations

from typing import Any

from iamd.console.http import Response
from iamd.console.page import Page
from iamd.console.routing import Router
from iamd.errors import AWSError


def register(router: Router) -> None:
    router.get("/console/simulator")(simulator)
    router.post("/console/simulator")(simulator)


def _lines(text: str) -> list[str]:
    return [part.strip() for part in text.replace(",", "\n").splitlines() if part.strip()]


def _context(text: str) -> list[dict[str, Any]]:
    """``key=value`` lines (``key=a,b`` for several values) as ContextEntries."""
    entries = []
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            continue
        values = [v.strip() for v in value.split(",")]
        entries.append(
            {
                "ContextKeyName": key.strip(),
                "ContextKeyValues": values,
                "ContextKeyType": "stringList" if len(values) > 1 else "string",
            }
        )
    return entries


def explain(result: dict[str, Any]) -> str:
    """One sentence for a decision, in the simulator's own terms."""
    decision = result.get("EvalDecision")
    matched = result.get("MatchedStatements", [])
    names = ", ".join(sorted({m.get("SourcePolicyId", "?") for m in matched}))
    missing = result.get("MissingContextValues", [])
    if decision == "allowed":
        text = f"Allowed: a statement in {names} allows it and nothing denies it."
    elif decision == "explicitDeny":
        text = f"Explicitly denied by a Deny statement in {names}."
    else:
        text = "Implicitly denied: no statement in the policies allows this action."
        details = result.get("EvalDecisionDetails") or {}
        refused = [k for k, v in details.items() if v != "allowed"]
        if refused and names:
            text = f"Implicitly denied: allowed by {names}, but not by {', '.join(refused)}."
    if missing:
        text += f" Context keys the policies use but you did not give: {', '.join(missing)}."
    return text


def simulator(page: Page) -> Response:
    r = page.request
    users = page.try_call("iam", "ListUsers", {"MaxItems": 200})[0] or {}
    roles = page.try_call("iam", "ListRoles", {"MaxItems": 200})[0] or {}
    principals = [u["Arn"] for u in users.get("Users", [])] + [
        x["Arn"] for x in roles.get("Roles", [])
    ]
    results: list[dict[str, Any]] = []
    error: AWSError | None = None
    if r.method == "POST":
        params: dict[str, Any] = {
            "ActionNames": _lines(r.field("actions")),
            "ResourceArns": _lines(r.field("resources")) or None,
            "ContextEntries": _context(r.field("context")) or None,
        }
        try:
            if r.field("mode") == "custom":
                params["PolicyInputList"] = [r.field("policy")]
                answer = page.call("iam", "SimulateCustomPolicy", params)
            else:
                params["PolicySourceArn"] = r.field("principal")
                answer = page.call("iam", "SimulatePrincipalPolicy", params)
            results = [
                {**item, "explanation": explain(item)}
                for item in answer.get("EvaluationResults", [])
            ]
        except AWSError as failure:
            error = failure
    return page.render(
        "simulator.html",
        400 if error and error.code != "AccessDenied" else 403 if error else 200,
        principals=principals,
        results=results,
        error=error,
        form=r.form,
    )
