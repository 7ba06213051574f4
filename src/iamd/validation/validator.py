"""The linter's pipeline: decode -> JSON -> positions -> parse -> checks -> located findings.

A policy that iamd's parser refuses still gets every other check on the statements that did
parse, so one typo does not hide the rest of the report.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

from iamd.policy import MalformedPolicyError, Policy, PolicyKind, Statement, parse_policy
from iamd.policy.model import VERSION_2008, VERSION_2012
from iamd.validation import positions
from iamd.validation.checks import CHECKS
from iamd.validation.context import CheckContext, finding
from iamd.validation.findings import Finding, Span
from iamd.validation.parse_errors import classify

Check = Callable[[CheckContext], Iterable[Finding]]


def validate_policy(
    source: str | bytes,
    kind: PolicyKind = PolicyKind.IDENTITY,
    name: str = "policy",
    checks: Sequence[Check] = CHECKS,
) -> list[Finding]:
    """Every finding for one policy document, located in ``source`` and in reading order."""
    if isinstance(source, bytes):
        try:
            source = source.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            return [finding("JSON_SYNTAX_ERROR", f"The policy is not UTF-8 text: {exc}.", "")]
    try:
        document = json.loads(source)
    except json.JSONDecodeError as exc:
        where = positions.SourceMap(source).position(exc.pos)
        syntax = finding(
            "JSON_SYNTAX_ERROR",
            f"Fix the JSON syntax error at line {exc.lineno} column {exc.colno}: {exc.msg}.",
            "",
        )
        return [replace(syntax, span=Span(where, where))]
    except RecursionError:
        return [finding("JSON_SYNTAX_ERROR", "The JSON is nested too deeply.", "")]
    source_map = positions.index(source)
    found = [
        finding("JSON_SYNTAX_ERROR", f"Duplicate key {key!r}: JSON keys must be unique.", where)
        for where, key in source_map.duplicates
    ]
    found += _lint(document, kind, name, _size(source), checks)
    located = [replace(f, span=source_map.span(f.pointer)) for f in found]
    return sort_findings(located)


def validate_document(
    document: Any,
    kind: PolicyKind = PolicyKind.IDENTITY,
    name: str = "policy",
    checks: Sequence[Check] = CHECKS,
) -> list[Finding]:
    """Findings for a JSON value already loaded (no text, so no spans)."""
    text = json.dumps(document, separators=(",", ":"))
    return sort_findings(_lint(document, kind, name, _size(text), checks))


def sort_findings(found: Iterable[Finding]) -> list[Finding]:
    def key(f: Finding) -> tuple[int, int, int, str]:
        if f.span is None:
            return (1, 0, f.type.rank, f.code)
        return (0, f.span.start.offset, f.type.rank, f.code)

    return sorted(found, key=key)


def _size(text: str) -> int:
    return sum(1 for c in text if not c.isspace())


def _lint(
    document: Any, kind: PolicyKind, name: str, size: int, checks: Sequence[Check]
) -> list[Finding]:
    if not isinstance(document, dict):  # parse_policy would read a JSON string as policy text
        return [finding("JSON_SYNTAX_ERROR", "The policy must be a JSON object.", "")]
    found: list[Finding] = []
    policy: Policy | None
    try:
        policy = parse_policy(document, kind, name)
    except MalformedPolicyError as exc:
        found += [classify(error, document, kind) for error in exc.errors]
        policy = _recover(document, kind, name)
    if policy is None:
        return found
    context = CheckContext(policy=policy, document=document, size=size)
    for check in checks:
        found += check(context)
    return found


def _recover(document: Any, kind: PolicyKind, name: str) -> Policy | None:
    """The statements that parse on their own, when the whole document does not."""
    if not isinstance(document, dict):
        return None
    version = document.get("Version")
    if version not in (VERSION_2012, VERSION_2008):
        version = None
    raw = document.get("Statement")
    if isinstance(raw, dict):
        items: list[tuple[str, Any]] = [("/Statement", raw)]
    elif isinstance(raw, list):
        items = [(f"/Statement/{i}", s) for i, s in enumerate(raw)]
    else:
        return None
    statements: list[Statement] = []
    for index, (pointer, item) in enumerate(items):
        wrapper: dict[str, Any] = {"Statement": [item]}
        if version is not None:
            wrapper["Version"] = version
        try:
            [statement] = parse_policy(wrapper, kind, name).statements
        except (MalformedPolicyError, ValueError):
            continue
        statements.append(_relocate(statement, index, pointer))
    policy_id = document.get("Id")
    return Policy(
        kind=kind,
        version=version,
        id=policy_id if isinstance(policy_id, str) else None,
        statements=tuple(statements),
        name=name,
        document=document,
    )


def _relocate(statement: Statement, index: int, pointer: str) -> Statement:
    """Move a statement parsed alone (at ``/Statement/0``) back to its place in the document."""
    old = statement.pointer

    def move(p: str) -> str:
        return pointer + p[len(old) :] if p.startswith(old) else p

    conditions = tuple(replace(c, pointer=move(c.pointer)) for c in statement.conditions)
    return replace(statement, index=index, pointer=pointer, conditions=conditions)
