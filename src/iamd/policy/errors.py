"""Errors raised while reading a policy document.

Every problem carries a JSON pointer into the document so that a caller (the CLI, the IAM
service's ``MalformedPolicyDocument`` error, Access Analyzer's ``ValidatePolicy``) can point at
the exact element.  Parsing collects all of them instead of stopping at the first, because a
user fixing a policy wants the whole list at once.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PolicyError:
    """One problem in a policy document, at ``pointer`` (RFC 6901)."""

    pointer: str
    message: str

    def __str__(self) -> str:
        return f"{self.pointer or '/'}: {self.message}"


class MalformedPolicyError(ValueError):
    """A policy document that iamd refuses to evaluate.

    ``str()`` gives the first message alone, which is the form AWS returns in a
    ``MalformedPolicyDocument`` error; ``errors`` holds all of them.
    """

    def __init__(self, errors: list[PolicyError]) -> None:
        if not errors:
            raise ValueError("MalformedPolicyError needs at least one error")
        super().__init__(errors[0].message)
        self.errors = errors


def pointer_join(base: str, *parts: str | int) -> str:
    """Extend a JSON pointer, escaping ``~`` and ``/`` as RFC 6901 requires."""
    out = base
    for part in parts:
        text = str(part).replace("~", "~0").replace("/", "~1")
        out = f"{out}/{text}"
    return out
