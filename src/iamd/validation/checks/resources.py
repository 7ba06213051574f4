"""Checks on Resource and NotResource: ARN structure, resource types, redundancy, mismatches.

Each ARN is compared field by field with the ARN formats of the Service Authorization Reference
(through :mod:`iamd.catalog.resources`).
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from iamd.catalog import globs
from iamd.catalog.actions import ActionInfo, expand_action
from iamd.catalog.arns import ACCOUNT, PARTITION, REGION, RESOURCE, SERVICE, ArnPattern
from iamd.catalog.partitions import PARTITIONS, is_partition, looks_like_region
from iamd.catalog.resources import (
    ResourceTypeInfo,
    arn_services,
    resource_type,
    resource_types_for_arn_service,
)
from iamd.policy import Statement
from iamd.policy.wildcard import has_wildcards
from iamd.validation.checks._redundancy import covered
from iamd.validation.context import CheckContext, finding
from iamd.validation.findings import Finding

ELEMENTS = ("Resource", "NotResource")
_ACCOUNT = re.compile(r"\d{12}")
_EXPANSION_LIMIT = 3000
"""Statements whose actions expand to more than this are not checked for mismatches."""


Entry = tuple[str, str, ArnPattern | None]
"""(pointer, text, pattern); the pattern is ``None`` for ``"*"`` and for malformed entries."""


def check(ctx: CheckContext) -> Iterator[Finding]:
    for statement in ctx.policy.statements:
        for element in ELEMENTS:
            entries = list(ctx.entries(statement, element))
            patterns: list[Entry] = []
            for pointer, text in entries:
                pattern = None if text == "*" else ArnPattern.parse(text, variables=ctx.variables)
                patterns.append((pointer, text, pattern))
                if text != "*":
                    yield from _arn(pointer, text, pattern)
            yield from _redundant(patterns)
        yield from _mismatch(ctx, statement)


def _arn(pointer: str, text: str, pattern: ArnPattern | None) -> Iterator[Finding]:
    if pattern is None:
        yield finding(
            "MISSING_ARN_FIELD",
            f"The resource {text} must have all six fields: "
            "arn:partition:service:region:account:resource. It matches no resource as written.",
            pointer,
        )
        return
    partition = pattern.literal_field(PARTITION)
    if partition is not None and not is_partition(partition):
        yield finding(
            "INVALID_PARTITION",
            f"The partition {partition!r} in {text} does not exist. Use one of: "
            + ", ".join(sorted(PARTITIONS))
            + ".",
            pointer,
        )
    service_glob = pattern.field(SERVICE)
    service = pattern.literal_field(SERVICE)
    if globs.has_wildcard(service_glob) and not pattern.is_star_field(SERVICE):
        yield finding(
            "WILDCARD_IN_SERVICE_NAME",
            f"Avoid wildcards in the service name of {text}: they can name the resources of "
            "other services with similar names, now or later.",
            pointer,
        )
    if service is not None and service != service.lower():
        yield finding(
            "INVALID_ARN_SERVICE_CASE",
            f"Write the service {service!r} in {text} in lower case: ARNs match it as written.",
            pointer,
        )
    types: tuple[ResourceTypeInfo, ...] = ()
    if service is not None and service.lower() in arn_services():
        known = resource_types_for_arn_service(service)
        types = tuple(t for t in known if t.can_name(pattern))
        if not types:
            formats = ", ".join(sorted({t.arn_format for t in known})[:6])
            yield finding(
                "INVALID_ARN_RESOURCE",
                f"The resource part of {text} matches no resource type of {service.lower()}. "
                f"Expected formats include: {formats}.",
                pointer,
            )
            return
    yield from _region(pointer, text, pattern, types)
    yield from _account(pointer, text, pattern, types)


def _region(
    pointer: str, text: str, pattern: ArnPattern, types: tuple[ResourceTypeInfo, ...]
) -> Iterator[Finding]:
    region = pattern.literal_field(REGION)
    if types and all(t.region_field == "" for t in types):
        if region != "" and not pattern.is_star_field(REGION):
            yield finding(
                "ARN_REGION_NOT_ALLOWED",
                f"ARNs of this resource type have no Region; remove it from {text}.",
                pointer,
            )
        return
    if types and region == "" and all(t.region_field for t in types):
        yield finding("MISSING_ARN_REGION", f"Add a Region to the resource ARN {text}.", pointer)
    elif region and not looks_like_region(region) and all(t.region_field != region for t in types):
        yield finding(
            "INVALID_ARN_REGION",
            f"The Region {region!r} in {text} is not a Region code such as us-east-1.",
            pointer,
        )


def _account(
    pointer: str, text: str, pattern: ArnPattern, types: tuple[ResourceTypeInfo, ...]
) -> Iterator[Finding]:
    account_glob = pattern.field(ACCOUNT)
    account = pattern.literal_field(ACCOUNT)
    if types and all(t.account_field == "" for t in types):
        if account != "" and not pattern.is_star_field(ACCOUNT):
            yield finding(
                "ARN_ACCOUNT_NOT_ALLOWED",
                f"ARNs of this resource type have no account ID; remove it from {text}.",
                pointer,
            )
        return
    if account is None:
        literal_chars = [t for t in account_glob if isinstance(t, str)]
        valid = all(c.isdigit() for c in literal_chars)
    else:
        valid = (
            account == ""
            or _ACCOUNT.fullmatch(account) is not None
            or account == "aws"
            or any(t.account_field == account for t in types)
        )
    if not valid:
        yield finding(
            "INVALID_ARN_ACCOUNT",
            f"The account ID in {text} is not valid. Provide a 12-digit account ID.",
            pointer,
        )


def _literal(entry: Entry) -> bool:
    pattern = entry[2]
    if pattern is None:
        return entry[1] != "*"
    return all(globs.is_literal(f) for f in pattern.fields)


def _key(entry: Entry) -> str:
    """Literal entries that match the same ARNs have the same key (fields 1-4 ignore case)."""
    pattern = entry[2]
    if pattern is None:
        return entry[1]
    fields = [globs.text_of(f) for f in pattern.fields]
    return ":".join([fields[0], *(f.lower() for f in fields[1:RESOURCE]), fields[RESOURCE]])


def _group(entry: Entry) -> str | None:
    """The literal service field an entry is confined to; ``None`` when it could be any."""
    pattern = entry[2]
    if pattern is None:
        return None if entry[1] == "*" else ""
    service = pattern.literal_field(SERVICE)
    return service.lower() if service is not None else None


def _contains(outer: Entry, inner: Entry) -> bool:
    if outer[1] == "*":
        return True
    outer_pattern, inner_pattern = outer[2], inner[2]
    if outer_pattern is None or inner_pattern is None:
        return False
    return all(  # the resource field first: it tells most entries apart
        globs.contains(outer_pattern.field(i), inner_pattern.field(i), fold=0 < i < RESOURCE)
        for i in (RESOURCE, 0, 1, 2, 3, 4)
    )


def _redundant(entries: list[Entry]) -> Iterator[Finding]:
    """A resource is redundant when another entry already matches everything it matches."""
    pairs = covered(entries, literal=_literal, key=_key, group=_group, covers=_contains)
    for i, j in pairs:
        yield finding(
            "REDUNDANT_RESOURCE",
            f"The resource {entries[i][1]} is redundant: {entries[j][1]} already matches it. "
            "Review the use of wildcards (*).",
            entries[i][0],
        )


def _statement_actions(statement: Statement) -> list[tuple[str, tuple[ActionInfo, ...]]] | None:
    """Each Action entry with the actions it names; ``None`` when the check cannot apply."""
    if statement.action is None or statement.resource is None:
        return None
    out: list[tuple[str, tuple[ActionInfo, ...]]] = []
    total = 0
    for text in statement.action:
        if text == "*" or text.partition(":")[0] == "*":
            return None
        named = expand_action(text)
        total += len(named)
        if total > _EXPANSION_LIMIT:
            return None
        out.append((text, named))
    return out


def _accepted(action: ActionInfo) -> list[ResourceTypeInfo] | None:
    """The resource types an action takes; ``None`` if the reference names an unknown type."""
    out = []
    for entry in action.resource_types:
        info = resource_type(action.service, entry.name)
        if info is None:
            return None
        out.append(info)
    return out


def _mismatch(ctx: CheckContext, statement: Statement) -> Iterator[Finding]:
    """Resources that none of the statement's actions apply to, and actions with no resource.

    An action that takes no resource type is granted only with ``"Resource": "*"``.
    https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
    """
    listed = _statement_actions(statement)
    if not listed:
        return
    resources = list(ctx.entries(statement, "Resource"))
    patterns = {
        text: ArnPattern.parse(text, variables=ctx.variables)
        for _, text in resources
        if text != "*"
    }
    star = any(text == "*" for _, text in resources)
    accepted: dict[ActionInfo, list[ResourceTypeInfo] | None] = {}
    for _, named in listed:
        for action in named:
            accepted[action] = _accepted(action)
    # Resources that no action applies to.
    known = accepted and all(types is not None for types in accepted.values())
    candidates = {t for types in accepted.values() for t in types or ()}
    for pointer, text in resources:
        pattern = patterns.get(text)
        if pattern is None or not known:
            continue
        if not any(t.can_name(pattern) for t in candidates):
            sample = ", ".join(sorted({a.qualified_name for a in accepted})[:3])
            yield finding(
                "RESOURCE_MISMATCH",
                f"The resource {text} matches no resource type that the statement's actions "
                f"({sample}{', ...' if len(accepted) > 3 else ''}) take, so the statement "
                "grants nothing on it.",
                pointer,
            )
    if star:
        return
    # Actions, written without wildcards, that no resource applies to.
    action_pointers = {text: p for p, text in ctx.entries(statement, "Action")}
    for text, named in listed:
        if has_wildcards(text) or len(named) != 1:
            continue
        types = accepted.get(named[0])
        if types is None:
            continue
        applies = any(
            pattern is not None and any(t.can_name(pattern) for t in types)
            for pattern in patterns.values()
        )
        if not applies:
            needs = (
                ", ".join(t.arn_format for t in types[:3]) if types else '"*" (no resource type)'
            )
            yield finding(
                "RESOURCE_MISMATCH",
                f"The action {text} applies to none of the statement's resources; it takes "
                f"{needs}.",
                action_pointers.get(text, statement.pointer),
            )
