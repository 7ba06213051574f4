"""Which services and actions a permissions policy allows, expanded with the service catalog.

Access Advisor lists "the services that are allowed by an IAM entity's policies" and only
applies permissions-policy logic: Allow statements' ``Action`` and ``NotAction`` patterns,
expanded against the catalog's actions, without evaluating resources or conditions.
https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetServiceLastAccessedDetails.html
"""

from __future__ import annotations

import json
from collections import defaultdict
from functools import cache, lru_cache
from typing import Any

from iamd.catalog.actions import actions_for_service, expand_action
from iamd.catalog.services import service_prefixes

Grants = dict[str, frozenset[str]]
"""Service namespace -> the action names (AWS's spelling) allowed in it."""


@cache
def _all_actions() -> Grants:
    return {s: frozenset(a.name for a in actions_for_service(s)) for s in service_prefixes()}


def _expand(patterns: tuple[str, ...]) -> Grants:
    found: dict[str, set[str]] = defaultdict(set)
    for pattern in patterns:
        if pattern == "*":
            return _all_actions()
        for action in expand_action(pattern):
            found[action.service].add(action.name)
    return {s: frozenset(names) for s, names in found.items()}


@lru_cache(maxsize=4096)
def granted(document: str) -> Grants:
    """The services and actions a policy document's Allow statements name."""
    try:
        parsed = json.loads(document)
    except ValueError:
        return {}
    statements = parsed.get("Statement", []) if isinstance(parsed, dict) else []
    if isinstance(statements, dict):
        statements = [statements]
    out: dict[str, set[str]] = defaultdict(set)
    for statement in statements:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        if "Action" in statement:
            grants = _expand(_patterns(statement["Action"]))
        elif "NotAction" in statement:
            excluded = _expand(_patterns(statement["NotAction"]))
            grants = {
                service: names - excluded.get(service, frozenset())
                for service, names in _all_actions().items()
            }
        else:
            continue
        for service, names in grants.items():
            if names:
                out[service].update(names)
    return {s: frozenset(names) for s, names in out.items()}


def merge(documents: list[str]) -> Grants:
    out: dict[str, set[str]] = defaultdict(set)
    for document in documents:
        for service, names in granted(document).items():
            out[service].update(names)
    return {s: frozenset(names) for s, names in out.items()}


def _patterns(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return ()
