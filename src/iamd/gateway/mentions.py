"""Whether any applicable policy names a condition key: the gateway reads tags from the backend
(a request of its own) only when some policy would look at them."""

from __future__ import annotations

from collections.abc import Iterable

from iamd.policy import Policy

_seen: dict[tuple[int, tuple[str, ...]], tuple[Policy, bool]] = {}


def _names(policy: Policy, prefixes: tuple[str, ...]) -> bool:
    cache_key = (id(policy), prefixes)
    hit = _seen.get(cache_key)
    if hit is not None and hit[0] is policy:
        return hit[1]
    found = any(
        clause.key.lower().startswith(prefixes)
        for statement in policy.statements
        for clause in statement.conditions
    )
    if len(_seen) > 10_000:
        _seen.clear()
    _seen[cache_key] = (policy, found)
    return found


def any_names(policies: Iterable[Policy | None], prefixes: tuple[str, ...]) -> bool:
    """``prefixes`` are lower-case key prefixes such as ``("s3:existingobjecttag/",)``."""
    return any(p is not None and _names(p, prefixes) for p in policies)
