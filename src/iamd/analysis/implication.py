"""Does one statement's Condition block imply another's?

Sound and incomplete, as the checks need: ``implies(strong, weak)`` is ``True`` only when every
request context that satisfies all of ``strong``'s clauses satisfies all of ``weak``'s, under
the engine's rules (:mod:`iamd.policy.conditions.clause`).  Each clause of ``weak`` must be
implied by one clause of ``strong`` on the same key:

- the same operator and set qualifier, with a value set that is a subset (positive operators:
  fewer alternatives) or a superset (negated operators: more exclusions);
- ``IfExists`` matters only to a positive operator without a qualifier (it lets a missing key
  through), so there the strong clause may drop it but not add it;
- ``StringEquals`` implies ``StringLike`` when each of its values matches one of the patterns;
  ``ArnEquals`` and ``ArnLike`` are the same operator to the engine.

A value with a policy variable is compared as text, and only between policies of the same
version (a variable means nothing in a 2008-10-17 policy).
"""

from __future__ import annotations

import ipaddress
import operator
from collections.abc import Sequence
from dataclasses import replace

from iamd.catalog.globs import contains, glob, literal
from iamd.policy import ConditionClause
from iamd.policy.conditions.date import parse_date
from iamd.policy.conditions.numeric import parse_number

_NEGATED = frozenset(
    {
        "StringNotEquals",
        "StringNotEqualsIgnoreCase",
        "StringNotLike",
        "ArnNotEquals",
        "ArnNotLike",
        "NotIpAddress",
        "DateNotEquals",
        "NumericNotEquals",
    }
)
_SAME = {"ArnLike": "ArnEquals", "ArnNotLike": "ArnNotEquals"}


def _canonical(base: str) -> str:
    return _SAME.get(base, base)


def _fold(base: str) -> bool:
    return "IgnoreCase" in base


def _subset(small: Sequence[str], large: Sequence[str], base: str) -> bool:
    if _fold(base):
        folded = {v.lower() for v in large}
        return all(v.lower() in folded for v in small)
    if base == "Bool":
        lowered = {v.lower() for v in large}
        return all(v.lower() in lowered for v in small)
    wanted = set(large)
    return all(v in wanted for v in small)


def _equals_implies_like(strong: ConditionClause, weak: ConditionClause) -> bool:
    """``StringEquals k [v...]`` implies ``StringLike k [p...]`` if each v matches some p."""
    if any("${" in v for v in strong.values) or any("${" in p for p in weak.values):
        return False
    patterns = [glob(p) for p in weak.values]
    return all(any(contains(p, literal(v)) for p in patterns) for v in strong.values)


def _like_subsumed(strong: ConditionClause, weak: ConditionClause) -> bool:
    """``StringLike k [a*]`` implies ``StringLike k [*]``: each strong pattern inside a weak one."""
    if any("${" in v for v in strong.values) or any("${" in p for p in weak.values):
        return False
    outer = [glob(p) for p in weak.values]
    return all(any(contains(o, glob(v)) for o in outer) for v in strong.values)


_BOUNDS = ("LessThan", "LessThanEquals", "GreaterThan", "GreaterThanEquals")


def _bounded(strong: ConditionClause, weak: ConditionClause) -> bool:
    """``NumericLessThan 5`` implies ``NumericLessThanEquals 10``: every strong bound lies within
    a weak one (the values of one clause are alternatives).  ``x <= s`` implies ``x < w`` only
    when ``s < w``; every other pairing needs ``s <= w`` (mirrored for ``GreaterThan``)."""
    family = "Numeric" if strong.base.startswith("Numeric") else "Date"
    if not weak.base.startswith(family):
        return False
    strong_kind, weak_kind = strong.base[len(family) :], weak.base[len(family) :]
    if strong_kind not in _BOUNDS or weak_kind not in _BOUNDS:
        return False
    less = strong_kind.startswith("Less")
    if less != weak_kind.startswith("Less"):
        return False
    loose = weak_kind.endswith("Equals") or not strong_kind.endswith("Equals")
    if less:
        compare = operator.le if loose else operator.lt
    else:
        compare = operator.ge if loose else operator.gt
    parse = parse_number if family == "Numeric" else parse_date
    strong_bounds = [parse(v) for v in strong.values]
    weak_bounds = [parse(v) for v in weak.values]
    return all(
        any(s is not None and w is not None and compare(s, w) for w in weak_bounds)
        for s in strong_bounds
    )


def _networks(values: Sequence[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network] | None:
    out = []
    for value in values:
        try:
            out.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            return None
    return out


def _within(inner: Sequence[str], outer: Sequence[str]) -> bool:
    """Every block of ``inner`` lies inside some block of ``outer``."""
    small, large = _networks(inner), _networks(outer)
    if small is None or large is None:
        return False
    return all(
        any(s.version == b.version and s.subnet_of(b) for b in large)  # type: ignore[arg-type]
        for s in small
    )


def _exists_ok(strong: ConditionClause, weak: ConditionClause) -> bool:
    if strong.qualifier is not None or weak.base in _NEGATED:
        return True  # the engine ignores IfExists here
    return weak.if_exists or not strong.if_exists


def clause_implies(strong: ConditionClause, weak: ConditionClause, same_version: bool) -> bool:
    if strong.key.lower() != weak.key.lower() or strong.qualifier != weak.qualifier:
        return False
    if not _exists_ok(strong, weak):
        return False
    if not same_version and any("${" in v for v in (*strong.values, *weak.values)):
        return False
    sb, wb = _canonical(strong.base), _canonical(weak.base)
    if sb == wb:
        if wb == "IpAddress":
            return _within(strong.values, weak.values)
        if wb == "NotIpAddress":
            return _within(weak.values, strong.values)
        if wb in _NEGATED:
            return _subset(weak.values, strong.values, wb)
        if wb == "StringLike":
            return _subset(strong.values, weak.values, wb) or _like_subsumed(strong, weak)
        if wb.startswith(("Numeric", "Date")):
            return _subset(strong.values, weak.values, wb) or _bounded(strong, weak)
        if wb in ("Null",):
            return _subset(strong.values, weak.values, "Bool") and _subset(
                weak.values, strong.values, "Bool"
            )
        return _subset(strong.values, weak.values, wb)
    if sb == "StringEquals" and wb == "StringLike":
        return _equals_implies_like(strong, weak)
    if sb.startswith(("Numeric", "Date")) and sb not in _NEGATED and wb not in _NEGATED:
        return _bounded(strong, weak)
    return False


def implies(
    strong: Sequence[ConditionClause], weak: Sequence[ConditionClause], *, same_version: bool
) -> bool:
    """Every context satisfying all of ``strong`` satisfies all of ``weak`` (proven, or False)."""
    return all(any(clause_implies(s, w, same_version) for s in strong) for w in weak)


def alternatives(clause: ConditionClause) -> list[ConditionClause] | None:
    """One clause per value, such that a context satisfying ``clause`` satisfies one of them;
    ``None`` when the values are not alternatives (negated operators, ``ForAllValues``,
    ``Null``).  This lets a check split a statement's values among several statements."""
    if clause.base in _NEGATED or clause.base == "Null" or clause.qualifier == "ForAllValues":
        return None
    if len(clause.values) < 2:
        return None
    return [replace(clause, values=(value,)) for value in clause.values]
