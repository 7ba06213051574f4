"""Checks on Action and NotAction: services and actions that exist, wildcards, redundancy.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence

from iamd.catalog import globs
from iamd.catalog.actions import actions_for_service, expand_action, lookup_action
from iamd.catalog.services import (
    match_services,
    rcp_supported_services,
    service_exists,
    service_prefixes,
)
from iamd.policy import PolicyKind
from iamd.policy.wildcard import compile_glob, has_wildcards
from iamd.validation.checks._redundancy import covered
from iamd.validation.context import CheckContext, finding
from iamd.validation.findings import Finding

ELEMENTS = ("Action", "NotAction")


def check(ctx: CheckContext) -> Iterator[Finding]:
    for statement in ctx.policy.statements:
        for element in ELEMENTS:
            entries = list(ctx.entries(statement, element))
            for pointer, text in entries:
                yield from _entry(ctx, pointer, text)
            yield from _redundant(entries)


def _suggest(word: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(word.lower(), choices, n=1, cutoff=0.75)
    return f" Did you mean {close[0]}?" if close else ""


def _entry(ctx: CheckContext, pointer: str, text: str) -> Iterator[Finding]:
    if text == "*":
        return
    service, _, name = text.partition(":")
    if has_wildcards(service):
        yield finding(
            "WILDCARD_IN_SERVICE_NAME",
            f"Avoid wildcards in the service name of {text}: they can grant access to other "
            "services with similar names, now or later.",
            pointer,
        )
        if not match_services(service):
            yield finding(
                "INVALID_SERVICE_IN_ACTION",
                f"The service pattern {service} in {text} matches no service.",
                pointer,
            )
        elif not expand_action(text):
            yield finding(
                "INVALID_ACTION", f"The action pattern {text} matches no action.", pointer
            )
        return
    if not service_exists(service):
        yield finding(
            "INVALID_SERVICE_IN_ACTION",
            f"The service {service} in {text} does not exist."
            + _suggest(service, sorted(service_prefixes())),
            pointer,
        )
        return
    if ctx.kind is PolicyKind.RCP and service.lower() not in rcp_supported_services():
        yield finding(
            "UNSUPPORTED_ACTION_IN_POLICY",
            f"Resource control policies do not support actions of the service {service}.",
            pointer,
        )
    if not has_wildcards(name):
        if lookup_action(text) is None:
            names = [a.name for a in actions_for_service(service)]
            close = difflib.get_close_matches(name, names, n=1, cutoff=0.75)
            hint = f" Did you mean {service.lower()}:{close[0]}?" if close else ""
            yield finding("INVALID_ACTION", f"The action {text} does not exist.{hint}", pointer)
    elif not expand_action(text):
        yield finding("INVALID_ACTION", f"The action pattern {text} matches no action.", pointer)


def _covers(outer: str, inner: str) -> bool:
    """Whether every action ``inner`` names is also named by ``outer``."""
    if outer == "*":
        return True
    if not has_wildcards(inner):
        return compile_glob(outer, fold=True).fullmatch(inner) is not None
    if globs.contains(globs.glob(outer), globs.glob(inner), fold=True):
        return True
    if outer.partition(":")[0] == "*" or inner.partition(":")[0] == "*":
        return False  # expanding across every service is not worth it for a suggestion
    named = expand_action(inner)
    return bool(named) and set(named) <= set(expand_action(outer))


def _group(text: str) -> str | None:
    service = text.partition(":")[0]
    return None if text == "*" or has_wildcards(service) else service.lower()


def _redundant(entries: list[tuple[str, str]]) -> Iterator[Finding]:
    """An entry is redundant when another one already names every action it names.

    Entries that name no action are left to the invalid-action findings.
    """
    texts = [text for _, text in entries]
    pairs = covered(
        texts,
        literal=lambda t: not has_wildcards(t),
        key=str.lower,
        group=_group,
        covers=_covers,
    )
    for i, j in pairs:
        text, other = texts[i], texts[j]
        if text != "*" and not expand_action(text):
            continue
        yield finding(
            "REDUNDANT_ACTION",
            f"The action {text} is redundant: {other} already includes it. Remove {text}.",
            entries[i][0],
        )
