"""Policy variables: ``${aws:username}``, ``${key, 'default'}`` and the ``${*}`` escapes.

A string from a policy is split once, at compile time, into a template: literal text (in which
``*`` and ``?`` keep their wildcard meaning where the element supports wildcards), escaped
characters (``${*}``, ``${?}``, ``${$}``: always literal) and variables.  Resolving a template
against a request never parses text again.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

ContextValue = str | tuple[str, ...]
Context = Mapping[str, ContextValue]
"""A request context: condition-key names in lower case mapped to one value or a tuple."""

_ESCAPES = {"*": "*", "?": "?", "$": "$"}


@dataclass(frozen=True, slots=True)
class Literal:
    """Characters that match themselves, never as wildcards (escapes and resolved variables)."""

    text: str


@dataclass(frozen=True, slots=True)
class Variable:
    """A ``${key}`` reference; ``key`` is lower case because context keys are case-insensitive."""

    key: str
    default: str | None
    raw: str


Part = str | Literal | Variable
"""A plain ``str`` part is policy text whose ``*`` and ``?`` may act as wildcards."""


def parse_template(text: str) -> tuple[Part, ...]:
    """Split ``text`` into parts; a ``${`` without its ``}`` stays plain text, as AWS treats it."""
    if "${" not in text:
        return (text,)
    parts: list[Part] = []
    plain_start = 0
    index = 0
    while True:
        start = text.find("${", index)
        if start < 0:
            break
        end = text.find("}", start + 2)
        if end < 0:
            break
        inner = text[start + 2 : end]
        if start > plain_start:
            parts.append(text[plain_start:start])
        if inner in _ESCAPES:
            parts.append(Literal(_ESCAPES[inner]))
        else:
            parts.append(_parse_variable(inner, text[start : end + 1]))
        index = plain_start = end + 1
    if plain_start < len(text):
        parts.append(text[plain_start:])
    return tuple(parts)


def _parse_variable(inner: str, raw: str) -> Variable:
    name, sep, rest = inner.partition(",")
    default: str | None = None
    if sep:
        rest = rest.strip()
        if len(rest) >= 2 and rest[0] == "'" and rest[-1] == "'":
            default = rest[1:-1]
        else:
            # Not AWS's default syntax: keep the whole text as the key so it never resolves.
            name = inner
    return Variable(key=name.strip().lower(), default=default, raw=raw)


def has_variables(parts: tuple[Part, ...]) -> bool:
    """True when resolving needs the request context."""
    return any(isinstance(p, Variable) for p in parts)


def resolve_variable(var: Variable, context: Context) -> str | None:
    """The variable's value, its default, or ``None`` when it cannot be resolved.

    A multi-valued key cannot be substituted into a single string, so it does not resolve.
    """
    value = context.get(var.key)
    if isinstance(value, str):
        return value
    return var.default


def resolve_literal(parts: tuple[Part, ...], context: Context) -> str | None:
    """Resolve a template in which wildcards carry no meaning (``StringEquals``, ``Bool``)."""
    out: list[str] = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        elif isinstance(part, Literal):
            out.append(part.text)
        else:
            value = resolve_variable(part, context)
            if value is None:
                return None
            out.append(value)
    return "".join(out)


def variable_keys(parts: tuple[Part, ...]) -> list[str]:
    """The context keys a template refers to, for explanations and context-key listings."""
    return [p.key for p in parts if isinstance(p, Variable)]
