"""Action, resource and principal elements as sets, with sound inclusion and disjointness tests.

The custom policy checks must never answer PASS by luck, so every question here is answered
over the *patterns*, exactly as the engine reads them, never by trying sample strings:

- an action ``vendor:name`` is two wildcard patterns matched apart (the engine's vendor
  wildcard never crosses the colon), both ignoring case;
- a resource ARN is six fields matched apart, the first five without colons, the middle four
  ignoring case, and the resource type that opens the sixth (``user/``) literal text, as
  :mod:`iamd.policy.arn` matches them; a short ARN is padded (identity-side) or dropped
  (resource-based), as :mod:`iamd.policy.compiler` does;
- ``NotAction`` / ``NotResource`` are complements;
- a policy variable is an opaque token (:class:`iamd.catalog.globs.Opaque`), covered only by
  ``*`` or by the same variable.

Each test is *sound* in the direction its name states (``covered`` and ``disjoint`` are only
ever ``True`` when that is certain) and incomplete: ``False`` means "not proven".
"""

from __future__ import annotations

from dataclasses import dataclass

from iamd.catalog.globs import STAR, Glob, Opaque, contains, from_parts, glob, overlaps
from iamd.policy import PolicyKind, PrincipalSpec, Statement
from iamd.policy.arn import FIELDS, split_template
from iamd.policy.variables import Part, Variable, parse_template

# --- actions -------------------------------------------------------------------------------

ActionGlob = tuple[Glob, Glob]
"""``(vendor, name)``, lower case."""

_ALL_ACTIONS: ActionGlob = ((STAR,), (STAR,))


def action_glob(text: str) -> ActionGlob:
    if text == "*":
        return _ALL_ACTIONS
    vendor, _, name = text.partition(":")
    return glob(vendor.lower()), glob(name.lower())


def action_overlaps(a: ActionGlob, b: ActionGlob) -> bool:
    return overlaps(a[0], b[0]) and overlaps(a[1], b[1])


def action_contains(outer: ActionGlob, inner: ActionGlob) -> bool:
    return contains(outer[0], inner[0]) and contains(outer[1], inner[1])


@dataclass(frozen=True, slots=True)
class ActionSet:
    """The actions of an ``Action`` (``negated=False``) or ``NotAction`` element."""

    negated: bool
    patterns: tuple[ActionGlob, ...]

    @classmethod
    def of(cls, statement: Statement) -> ActionSet:
        if statement.action is not None:
            return cls(False, tuple(action_glob(a) for a in statement.action))
        assert statement.not_action is not None
        return cls(True, tuple(action_glob(a) for a in statement.not_action))

    def cells(self) -> list[ActionSet]:
        """One set per entry of an ``Action`` element; a ``NotAction`` set is one cell."""
        if self.negated:
            return [self]
        return [ActionSet(False, (p,)) for p in self.patterns]


def actions_covered(cell: ActionSet, outer: ActionSet) -> bool:
    """Every action in ``cell`` is in ``outer``."""
    if not cell.negated:
        if outer.negated:
            return all(not action_overlaps(p, q) for p in cell.patterns for q in outer.patterns)
        return all(any(action_contains(q, p) for q in outer.patterns) for p in cell.patterns)
    if outer.negated:  # complement(P) within complement(Q) iff every Q inside the union of P
        return all(any(action_contains(p, q) for p in cell.patterns) for q in outer.patterns)
    return any(q == _ALL_ACTIONS for q in outer.patterns)


def actions_disjoint(cell: ActionSet, other: ActionSet) -> bool:
    """No action is in both."""
    if not cell.negated:
        if other.negated:
            return all(any(action_contains(q, p) for q in other.patterns) for p in cell.patterns)
        return all(not action_overlaps(p, q) for p in cell.patterns for q in other.patterns)
    if other.negated:
        return False
    return all(any(action_contains(p, q) for p in cell.patterns) for q in other.patterns)


# --- resources -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ResourceGlob:
    """One ARN pattern as six field patterns, or ``*`` (every resource, ARN or not)."""

    everything: bool
    fields: tuple[Glob, ...] = ()


_EVERYTHING = ResourceGlob(True)


def _field_glob(parts: list[Part], fold: bool) -> Glob:
    out = from_parts(parts)
    if fold:
        return tuple(t.lower() if isinstance(t, str) else t for t in out)
    return out


def _resource_type(service: list[Part], resource: list[Part]) -> tuple[str, list[Part]]:
    """The literal resource type opening the sixth field, as :mod:`iamd.policy.arn` splits it."""
    service_text = [p.lower() for p in service if isinstance(p, str)]
    if service_text == ["s3"] or not resource or not isinstance(resource[0], str):
        return "", resource
    first = resource[0]
    cuts = [i for i in (first.find("/"), first.find(":")) if i >= 0]
    if not cuts:
        return "", resource
    end = min(cuts) + 1
    rest: list[Part] = [first[end:]] if first[end:] else []
    return first[:end], rest + resource[1:]


def resource_glob(text: str, kind: PolicyKind, variables: bool) -> tuple[ResourceGlob, bool] | None:
    """The pattern of one Resource entry and whether it was a short ARN padded with ``*``.

    ``None`` when the engine drops the entry (a short ARN without a wildcard in a
    resource-based policy matches nothing).
    """
    if text == "*":
        return _EVERYTHING, False
    parts = parse_template(text) if variables else (text,)
    padded = False
    if len(split_template(parts)) < FIELDS:
        if kind is PolicyKind.RESOURCE and "*" not in text:
            return None
        text = text + ":*" * (FIELDS - len(split_template(parts)))
        parts = parse_template(text) if variables else (text,)
        padded = True
    fields = split_template(parts)
    type_prefix, rest = _resource_type(fields[2], fields[5])
    head = [_field_glob(f, fold=0 < i < 5) for i, f in enumerate(fields[:5])]
    last = tuple(type_prefix) + _field_glob(rest, fold=False)
    return ResourceGlob(False, (*head, last)), padded


def resource_overlaps(a: ResourceGlob, b: ResourceGlob) -> bool:
    if a.everything or b.everything:
        return True
    return all(
        overlaps(x, y, fold=0 < i < 5)
        for i, (x, y) in enumerate(zip(a.fields, b.fields, strict=True))
    )


def resource_contains(outer: ResourceGlob, inner: ResourceGlob) -> bool:
    if outer.everything:
        return True
    if inner.everything:
        return False
    return all(
        contains(x, y, fold=0 < i < 5)
        for i, (x, y) in enumerate(zip(outer.fields, inner.fields, strict=True))
    )


@dataclass(frozen=True, slots=True)
class ResourceSet:
    """The resources of a statement.

    ``never``: the statement applies to no resource (a ``NotResource`` with a padded short
    ARN, which the engine refuses to widen; a ``NotResource: "*"``; a Resource element whose
    every entry was dropped).  ``variables``: some entry holds a policy variable.
    """

    negated: bool
    patterns: tuple[ResourceGlob, ...]
    never: bool = False
    variables: bool = False

    @classmethod
    def of(cls, statement: Statement, kind: PolicyKind, variables: bool) -> ResourceSet:
        if statement.resource is None and statement.not_resource is None:
            return cls(False, (_EVERYTHING,))  # a trust policy: the role itself
        negated = statement.resource is None
        values = statement.not_resource if negated else statement.resource
        assert values is not None
        has_variables = variables and any(
            isinstance(p, Variable) for v in values for p in parse_template(v)
        )
        if negated and "*" in values:
            return cls(True, (_EVERYTHING,), never=True)
        if not negated and "*" in values:
            return cls(False, (_EVERYTHING,), variables=has_variables)
        patterns: list[ResourceGlob] = []
        padded_any = False
        for value in values:
            found = resource_glob(value, kind, variables)
            if found is None:
                continue
            patterns.append(found[0])
            padded_any = padded_any or found[1]
        never = (negated and padded_any) or (not negated and not patterns)
        return cls(negated, tuple(patterns), never=never, variables=has_variables)

    def cells(self) -> list[ResourceSet]:
        if self.negated or self.never:
            return [self]
        return [ResourceSet(False, (p,), variables=self.variables) for p in self.patterns]


def resources_covered(cell: ResourceSet, outer: ResourceSet, *, outer_exact: bool) -> bool:
    """Every resource of ``cell`` is in ``outer`` (for every value of the variables).

    ``outer_exact`` says that ``outer`` must be read as the engine reads it at its narrowest:
    a ``NotResource`` with a variable applies only where the variable resolves, so it covers
    nothing certain.
    """
    if cell.never:
        return True
    if outer.never:
        return False
    if not cell.negated:
        if outer.negated:
            if outer_exact and outer.variables:
                return False
            return all(not resource_overlaps(p, q) for p in cell.patterns for q in outer.patterns)
        return all(any(resource_contains(q, p) for q in outer.patterns) for p in cell.patterns)
    if outer.negated:
        # ``cell`` applies only where all of its entries resolve and none matches; an entry of
        # ``outer`` with a variable then resolves too if ``cell`` has the very same entry.
        return all(
            any(p == q for p in cell.patterns)
            if outer_exact and _has_variable(q)
            else any(resource_contains(p, q) for p in cell.patterns)
            for q in outer.patterns
        )
    return any(q.everything for q in outer.patterns)


def _has_variable(pattern: ResourceGlob) -> bool:
    return any(isinstance(t, Opaque) for field in pattern.fields for t in field)


def resources_disjoint(cell: ResourceSet, other: ResourceSet) -> bool:
    """No resource is in both (``other`` read at its widest)."""
    if cell.never or other.never:
        return True
    if not cell.negated:
        if other.negated:
            return all(any(resource_contains(q, p) for q in other.patterns) for p in cell.patterns)
        return all(not resource_overlaps(p, q) for p in cell.patterns for q in other.patterns)
    if other.negated:
        return False
    return all(any(resource_contains(p, q) for p in cell.patterns) for q in other.patterns)


# --- principals ----------------------------------------------------------------------------

PrincipalValue = tuple[str, str]
"""``(type, value)``: ``("AWS", "111122223333")``, ``("Service", "s3.amazonaws.com")``."""


@dataclass(frozen=True, slots=True)
class PrincipalSet:
    """Who a statement applies to: everyone, the listed principals, or all but them."""

    everyone: bool
    negated: bool
    values: tuple[PrincipalValue, ...]

    @classmethod
    def of(cls, statement: Statement) -> PrincipalSet:
        if statement.not_principal is not None:
            return cls(False, True, _values(statement.not_principal))
        spec = statement.principal
        if spec is None:  # an identity policy: whoever it is attached to
            return cls(True, False, ())
        if names_everyone(spec):
            return cls(True, False, ())
        return cls(False, False, _values(spec))

    def cells(self) -> list[PrincipalSet]:
        if self.everyone or self.negated:
            return [self]
        return [PrincipalSet(False, False, (v,)) for v in self.values]

    def label(self) -> str:
        if self.everyone:
            return "*"
        return ", ".join(f"{t}:{v}" for t, v in self.values)


def names_everyone(spec: PrincipalSpec) -> bool:
    """``"*"``, or ``"*"`` under any principal type: the engine matches every caller."""
    return spec.wildcard or any(
        "*" in group for group in (spec.aws, spec.service, spec.federated, spec.canonical_user)
    )


def _values(spec: PrincipalSpec) -> tuple[PrincipalValue, ...]:
    out: list[PrincipalValue] = [("AWS", v) for v in spec.aws]
    out += [("Service", v) for v in spec.service]
    out += [("Federated", v) for v in spec.federated]
    out += [("CanonicalUser", v) for v in spec.canonical_user]
    return tuple(out)


def _account_key(value: PrincipalValue) -> str | None:
    """An account-wide AWS principal (``111122223333`` or ``...:root``) as its account."""
    kind, text = value
    if kind != "AWS":
        return None
    if len(text) == 12 and text.isdigit():
        return text
    fields = text.split(":")
    if len(fields) == 6 and fields[2] == "iam" and fields[5] == "root":
        return fields[4]
    return None


def _same_principal(a: PrincipalValue, b: PrincipalValue) -> bool:
    if a == b:
        return True
    account = _account_key(a)
    return account is not None and account == _account_key(b)


def _caller_accounts(value: PrincipalValue) -> str | None:
    """The account of every caller ``value`` can match, ``""`` for callers without one, and
    ``None`` when that is not known (an AWS unique ID)."""
    kind, text = value
    if kind in ("Service", "CanonicalUser"):
        return ""
    if kind == "Federated" and not text.startswith("arn:"):
        return ""
    if len(text) == 12 and text.isdigit():
        return text
    fields = text.split(":", 5)
    if len(fields) == 6 and fields[0] == "arn" and fields[4]:
        return fields[4]
    return None


def principals_covered(cell: PrincipalSet, outer: PrincipalSet) -> bool:
    """Every caller ``cell`` names is named by ``outer`` at least as directly."""
    if outer.everyone:
        return True
    if cell.negated and outer.negated:
        # Both apply to whoever they do not name: every caller ``outer`` excludes must be
        # excluded by ``cell`` too, so each name of ``outer`` must be one of ``cell``'s.
        return all(any(_same_principal(w, v) for v in cell.values) for w in outer.values)
    if outer.negated or cell.everyone or cell.negated:
        return False
    return all(any(_same_principal(v, w) for w in outer.values) for v in cell.values)


def principals_disjoint(cell: PrincipalSet, other: PrincipalSet) -> bool:
    """No caller is named by both (``other`` read at its widest)."""
    if cell.everyone or cell.negated or other.everyone or other.negated:
        return False
    mine = {_caller_accounts(v) for v in cell.values}
    theirs = {_caller_accounts(v) for v in other.values}
    if None in mine or None in theirs:
        return False
    return not (mine & theirs)
