"""The parsed form of an AWS policy document.

These are plain, immutable records of what the document says, with every element normalised to
a tuple of strings and every node carrying its JSON pointer.  Meaning (matching, evaluation) lives
in the compiler and the evaluator; this module only describes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Effect(StrEnum):
    ALLOW = "Allow"
    DENY = "Deny"


class PolicyKind(StrEnum):
    """Where a policy is attached; it decides which elements are required or forbidden."""

    IDENTITY = "identity"
    RESOURCE = "resource"
    TRUST = "trust"
    BOUNDARY = "boundary"
    SESSION = "session"
    SCP = "scp"
    RCP = "rcp"

    @property
    def has_principal(self) -> bool:
        """Resource-based kinds name principals; identity-side kinds must not."""
        return self in (PolicyKind.RESOURCE, PolicyKind.TRUST, PolicyKind.RCP)


VERSION_2012 = "2012-10-17"
VERSION_2008 = "2008-10-17"


@dataclass(frozen=True, slots=True)
class ConditionClause:
    """One operator applied to one key: ``{"StringLike": {"s3:prefix": ["a/*", "b/*"]}}``."""

    operator: str
    """The operator as written, e.g. ``ForAnyValue:StringLikeIfExists``."""
    base: str
    """The canonical base operator, e.g. ``StringLike``."""
    qualifier: str | None
    """``ForAllValues``, ``ForAnyValue`` or ``None``."""
    if_exists: bool
    key: str
    """The condition key as written; lookups use ``key.lower()``."""
    values: tuple[str, ...]
    pointer: str


@dataclass(frozen=True, slots=True)
class PrincipalSpec:
    """A ``Principal`` or ``NotPrincipal`` element."""

    wildcard: bool = False
    """``"Principal": "*"``."""
    aws: tuple[str, ...] = ()
    service: tuple[str, ...] = ()
    federated: tuple[str, ...] = ()
    canonical_user: tuple[str, ...] = ()

    def all_values(self) -> list[tuple[str, str]]:
        """``(type, value)`` pairs, for explanations and linting."""
        out: list[tuple[str, str]] = []
        if self.wildcard:
            out.append(("*", "*"))
        out += [("AWS", v) for v in self.aws]
        out += [("Service", v) for v in self.service]
        out += [("Federated", v) for v in self.federated]
        out += [("CanonicalUser", v) for v in self.canonical_user]
        return out


@dataclass(frozen=True, slots=True)
class Statement:
    index: int
    sid: str | None
    effect: Effect
    action: tuple[str, ...] | None
    not_action: tuple[str, ...] | None
    resource: tuple[str, ...] | None
    not_resource: tuple[str, ...] | None
    principal: PrincipalSpec | None
    not_principal: PrincipalSpec | None
    conditions: tuple[ConditionClause, ...]
    pointer: str

    @property
    def label(self) -> str:
        """How explanations name the statement: its Sid, else its index."""
        return self.sid if self.sid else f"#{self.index}"


@dataclass(frozen=True, slots=True)
class Policy:
    kind: PolicyKind
    version: str | None
    id: str | None
    statements: tuple[Statement, ...]
    name: str = "policy"
    """A label for explanations: a policy name, an ARN or a file name."""
    document: object = field(default=None, compare=False, hash=False, repr=False)
    """The JSON value as given, for tools that report on the source."""

    @property
    def supports_variables(self) -> bool:
        """Policy variables exist only in version 2012-10-17; older text is taken literally."""
        return self.version == VERSION_2012
