"""Checks on policy variables: where they may appear, in which Version, and how they are written.

``${...}`` is a variable only in Version 2012-10-17, and only in Resource, NotResource and the
values of String and ARN conditions; anywhere else it is literal text.
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
"""

from __future__ import annotations

from collections.abc import Iterator

from iamd.policy.model import VERSION_2012
from iamd.validation.checks.conditions import family_of
from iamd.validation.context import CheckContext, finding
from iamd.validation.findings import Finding

_ESCAPES = ("*", "?", "$")


def check(ctx: CheckContext) -> Iterator[Finding]:
    for pointer, text in _places(ctx, ("Action", "NotAction")):
        if _variables(text):
            yield finding(
                "VARIABLE_UNSUPPORTED_IN_ELEMENT",
                f"{text!r}: policy variables are supported in the Resource and Condition "
                "elements only.",
                pointer,
            )
    yield from _principals(ctx)
    for pointer, text in _supported_places(ctx):
        if "${" not in text:
            continue
        if ctx.policy.version != VERSION_2012:
            if _variables(text):
                yield finding(
                    "VARIABLE_UNSUPPORTED_IN_VERSION",
                    f"{text!r} is read literally: to use policy variables, set "
                    '"Version": "2012-10-17".',
                    pointer,
                )
            continue
        yield from _syntax(pointer, text)


def _places(ctx: CheckContext, elements: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    for statement in ctx.policy.statements:
        for element in elements:
            yield from ctx.entries(statement, element)


def _supported_places(ctx: CheckContext) -> Iterator[tuple[str, str]]:
    yield from _places(ctx, ("Resource", "NotResource"))
    for statement in ctx.policy.statements:
        for clause in statement.conditions:
            if family_of(clause) not in ("String", "Arn"):
                continue
            pointers = ctx.value_pointers(clause.pointer, len(clause.values))
            yield from zip(pointers, clause.values, strict=True)


def _principals(ctx: CheckContext) -> Iterator[Finding]:
    for statement in ctx.policy.statements:
        for element in ("Principal", "NotPrincipal"):
            spec = statement.principal if element == "Principal" else statement.not_principal
            if spec is None:
                continue
            for kind, value in spec.all_values():
                if _variables(value):
                    yield finding(
                        "VARIABLE_UNSUPPORTED_IN_ELEMENT",
                        f'"{kind}": {value!r}: policy variables are supported in the Resource '
                        "and Condition elements only.",
                        f"{statement.pointer}/{element}",
                    )


def _variables(text: str) -> list[str]:
    """The insides of the complete ``${...}`` in ``text``, escapes such as ``${*}`` left out."""
    out = []
    start = text.find("${")
    while start >= 0:
        end = text.find("}", start + 2)
        if end < 0:
            break
        inner = text[start + 2 : end]
        if inner not in _ESCAPES:
            out.append(inner)
        start = text.find("${", end + 1)
    return out


def _syntax(pointer: str, text: str) -> Iterator[Finding]:
    start = text.find("${")
    while start >= 0:
        end = text.find("}", start + 2)
        if end < 0:
            yield finding(
                "MISSING_BRACE_IN_VARIABLE",
                f"The policy variable in {text!r} has no closing brace: add }} after it.",
                pointer,
            )
            return
        inner = text[start + 2 : end]
        start = text.find("${", end + 1)
        if inner in _ESCAPES:
            continue
        name, comma, default = inner.partition(",")
        if not name.strip():
            yield finding(
                "EMPTY_VARIABLE",
                f"Empty policy variable in {text!r}: name a key inside ${{}}.",
                pointer,
            )
        elif " " in name or "\t" in name:
            yield finding(
                "UNSUPPORTED_SPACE_IN_VARIABLE",
                f"The policy variable ${{{inner}}} has a space in its name: remove it.",
                pointer,
            )
        elif comma:
            value = default.strip()
            if len(value) < 2 or value[0] != "'" or value[-1] != "'":
                yield finding(
                    "MISSING_QUOTE_IN_VARIABLE",
                    f"The default value of ${{{inner}}} must begin and end with a single quote.",
                    pointer,
                )
