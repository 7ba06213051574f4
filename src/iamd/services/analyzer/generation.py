"""Least-privilege policies from what a principal did: the core of policy generation.

:func:`collect` reads the principal's calls in the window from the audit trail (for a role,
the calls its sessions made), allowed and denied alike (a denied call is access the workload
needed), and records for each action the resources the calls named.  Resources come from the
event (``resources``) or from the request's IAM names (``roleName`` -> the role's ARN, with
its path, looked up in the store), and only where the action takes that resource type; an
action seen without a resource it could name gets ``*``, or, when asked, the resource type's
ARN template with placeholders (``arn:aws:iam::111122223333:role/${RoleNameWithPath}``).
:func:`render` groups actions by service and resources into statements and splits them into
policies of at most 6,144 characters (a managed policy's limit).  ``iam:PassRole`` is never
generated: "IAM Access Analyzer does not identify iam:PassRole in generated policies".
https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-policy-generation.html
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from iamd.catalog.actions import lookup_action
from iamd.catalog.resources import resource_type
from iamd.store import Tx
from iamd.store.repos.trail_calls import TrailCall, TrailCalls
from iamd.store.repos.trail_usage import AUTHENTICATION_FAILURES

NEVER = frozenset({"iam:passrole"})
MAX_POLICY = 6144
MAX_CALLS = 100_000

Lookup = Callable[[Tx, str, str], Any]

_IAM_NAMES: dict[str, tuple[str, Lookup]] = {
    "userName": ("user", lambda tx, account, name: tx.users.get(account, name)),
    "roleName": ("role", lambda tx, account, name: tx.roles.get(account, name)),
    "groupName": ("group", lambda tx, account, name: tx.groups.get(account, name)),
    "instanceProfileName": (
        "instance-profile",
        lambda tx, account, name: tx.instance_profiles.get(account, name),
    ),
}
_ARN_PARAMS = {"policyArn": "policy", "roleArn": "role"}


def principal_scope(principal_arn: str) -> tuple[str | None, str | None]:
    """(the caller ARN to match, or the session ARN prefix to match) for a user or a role."""
    parts = principal_arn.split(":", 5)
    account, resource = parts[4], parts[5]
    if resource.startswith("role/"):
        name = resource.rsplit("/", 1)[-1]
        return None, f"arn:aws:sts::{account}:assumed-role/{name}/"
    return principal_arn, None


def _resources(tx: Tx, account: str, call: TrailCall, types: set[str]) -> list[str]:
    found: list[str] = []
    for item in call.event.get("resources") or []:
        arn = item.get("ARN") if isinstance(item, dict) else None
        if arn:
            found.append(str(arn))
    params = call.event.get("requestParameters") or {}
    for param, (kind, lookup) in _IAM_NAMES.items():
        name = params.get(param)
        if kind in types and isinstance(name, str):
            entity = lookup(tx, account, name)
            if entity is not None:
                found.append(entity.arn)
    for param, kind in _ARN_PARAMS.items():
        value = params.get(param)
        if kind in types and isinstance(value, str) and value.startswith("arn:"):
            found.append(value)
    return found


def collect(
    tx: Tx, account: str, principal_arn: str, start: datetime, end: datetime
) -> dict[str, Any]:
    """``{"actions": {action: {"resources": [...], "unknown": bool}}, "isComplete": bool}``."""
    exact, prefix = principal_scope(principal_arn)
    calls = tx.repo(TrailCalls).calls(
        account,
        principal_arn=exact,
        session_prefix=prefix,
        start=start,
        end=end,
        limit=MAX_CALLS + 1,
    )
    actions: dict[str, dict[str, Any]] = {}
    for call in calls[:MAX_CALLS]:
        if call.error_code in AUTHENTICATION_FAILURES:
            continue
        for action in call.actions:
            info = lookup_action(action)
            if info is None or info.qualified_name.lower() in NEVER:
                continue
            entry = actions.setdefault(info.qualified_name, {"resources": [], "unknown": False})
            types = {r.name for r in info.resource_types}
            named = _resources(tx, account, call, types) if types else []
            if named:
                entry["resources"] = sorted(set(entry["resources"]) | set(named))
            else:
                entry["unknown"] = True
    return {"actions": dict(sorted(actions.items())), "isComplete": len(calls) <= MAX_CALLS}


def _placeholders(action: str, account: str) -> list[str]:
    info = lookup_action(action)
    if info is None:
        return []
    out = []
    for entry in info.resource_types:
        found = resource_type(info.service, entry.name)
        if found is not None:
            arn = found.arn_format.replace("${Partition}", "aws").replace("${Account}", account)
            out.append(arn)
    return out


def render(result: dict[str, Any], account: str, *, placeholders: bool) -> list[str]:
    """The generated policy documents (JSON text), statements grouped by service."""
    grouped: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for action, seen in result["actions"].items():
        resources = set(seen["resources"])
        if seen["unknown"]:
            templates = _placeholders(action, account) if placeholders else []
            resources = resources | set(templates) if templates else {"*"}
        key = (action.split(":", 1)[0], tuple(sorted(resources)))
        grouped.setdefault(key, []).append(action)
    statements = [
        {
            "Effect": "Allow",
            "Action": sorted(names),
            "Resource": list(resources) if len(resources) > 1 else resources[0],
        }
        for (_, resources), names in sorted(grouped.items())
    ]
    policies: list[list[dict[str, Any]]] = [[]]
    for statement in statements:
        trial = policies[-1] + [statement]
        if policies[-1] and len(_document(trial)) > MAX_POLICY:
            policies.append([statement])
        else:
            policies[-1] = trial
    return [_document(p) for p in policies if p]


def _document(statements: list[dict[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, separators=(",", ":"))
