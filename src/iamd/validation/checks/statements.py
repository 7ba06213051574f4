"""Checks across statements: the same statement written twice.
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_statement.html
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from iamd.policy import Statement
from iamd.validation.context import CheckContext, finding
from iamd.validation.findings import Finding


def _folded(values: tuple[str, ...] | None) -> frozenset[str] | None:
    return None if values is None else frozenset(v.lower() for v in values)


def _exact(values: tuple[str, ...] | None) -> frozenset[str] | None:
    return None if values is None else frozenset(values)


def signature(statement: Statement) -> tuple[Any, ...]:
    """What a statement grants or denies, with its Sid and the order of its lists left out."""
    conditions = frozenset(
        (c.base.lower(), c.qualifier, c.if_exists, c.key.lower(), frozenset(c.values))
        for c in statement.conditions
    )
    return (
        statement.effect,
        _folded(statement.action),
        _folded(statement.not_action),
        _exact(statement.resource),
        _exact(statement.not_resource),
        statement.principal,
        statement.not_principal,
        conditions,
    )


def check(ctx: CheckContext) -> Iterator[Finding]:
    seen: dict[tuple[Any, ...], Statement] = {}
    for statement in ctx.policy.statements:
        key = signature(statement)
        first = seen.get(key)
        if first is None:
            seen[key] = statement
            continue
        yield finding(
            "REDUNDANT_STATEMENT",
            f"Statement {statement.label} grants exactly what statement {first.label} does. "
            "Remove one of them.",
            statement.pointer,
        )
