"""Actions: does ``s3:GetObject`` exist, what does it grant, on which resource types.

Lookups ignore case, as AWS matches actions.  Action patterns (``s3:Get*``, ``*:List*``) are
expanded with :func:`iamd.policy.wildcard.compile_glob`, which escapes everything but the two
wildcards, so policy text never becomes a regular expression of its own.
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from iamd.catalog import _source
from iamd.catalog.services import match_services, service_prefixes
from iamd.policy.wildcard import compile_glob, has_wildcards


@dataclass(frozen=True, slots=True)
class ActionResource:
    """One resource type an action takes; ``required`` is the reference's asterisk."""

    name: str
    required: bool
    condition_keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ActionInfo:
    service: str
    """The service prefix, lower case."""
    name: str
    """The action name as AWS spells it, e.g. ``GetObject``."""
    access_level: str
    """``List``, ``Read``, ``Write``, or a combination such as ``Permissions management, Write``."""
    resource_types: tuple[ActionResource, ...]
    """Empty when the action supports no resource-level permissions (``Resource: "*"`` only)."""
    condition_keys: tuple[str, ...]
    """Keys the action itself supports; resource types add their own."""
    dependent_actions: tuple[str, ...]

    @property
    def qualified_name(self) -> str:
        return f"{self.service}:{self.name}"

    @property
    def access_levels(self) -> tuple[str, ...]:
        return tuple(level.strip() for level in self.access_level.split(","))

    def supports_condition_key(self, template: str) -> bool:
        """Whether the reference lists ``template`` (as written there) for this action."""
        lowered = template.lower()
        if any(k.lower() == lowered for k in self.condition_keys):
            return True
        return any(k.lower() == lowered for r in self.resource_types for k in r.condition_keys)


def _action(service: str, record: dict[str, Any]) -> ActionInfo:
    return ActionInfo(
        service=service,
        name=record["name"],
        access_level=record.get("accessLevel", ""),
        resource_types=tuple(
            ActionResource(
                name=r["name"],
                required=bool(r.get("required")),
                condition_keys=tuple(r.get("conditionKeys", ())),
            )
            for r in record.get("resourceTypes", ())
        ),
        condition_keys=tuple(record.get("conditionKeys", ())),
        dependent_actions=tuple(record.get("dependentActions", ())),
    )


@cache
def _index(service: str) -> dict[str, ActionInfo]:
    if service not in service_prefixes():
        return {}
    return {key: _action(service, record) for key, record in _source.actions(service).items()}


def actions_for_service(service: str) -> tuple[ActionInfo, ...]:
    """Every action of one service, in the reference's order; empty for an unknown service."""
    return tuple(_index(service.lower()).values())


def lookup_action(action: str) -> ActionInfo | None:
    """``s3:getobject`` -> the record for ``s3:GetObject``; ``None`` if it does not exist."""
    service, sep, name = action.partition(":")
    if not sep:
        return None
    return _index(service.lower()).get(name.lower())


def action_exists(action: str) -> bool:
    return lookup_action(action) is not None


@lru_cache(maxsize=4096)
def expand_action(pattern: str) -> tuple[ActionInfo, ...]:
    """The known actions an Action-element entry names: ``s3:Get*``, ``*:List*`` or ``*``."""
    if pattern == "*":
        return tuple(a for s in sorted(service_prefixes()) for a in _index(s).values())
    service_pattern, sep, name_pattern = pattern.partition(":")
    if not sep:
        return ()
    out: list[ActionInfo] = []
    for service in match_services(service_pattern):
        index = _index(service)
        if not has_wildcards(name_pattern):
            found = index.get(name_pattern.lower())
            if found is not None:
                out.append(found)
            continue
        regex = compile_glob(name_pattern, fold=True)
        out.extend(a for key, a in index.items() if regex.fullmatch(key))
    return tuple(out)


def service_of(pattern: str) -> str:
    """The service part of an action or action pattern."""
    return pattern.partition(":")[0]


__all__ = [
    "ActionInfo",
    "ActionResource",
    "action_exists",
    "actions_for_service",
    "expand_action",
    "lookup_action",
    "service_of",
]
