"""Date operators over ISO 8601 dates and epoch seconds.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Date
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from datetime import UTC, datetime

from iamd.policy.conditions.base import Comparator, Family
from iamd.policy.variables import Context, Part, resolve_literal

_EPOCH = re.compile(r"-?\d+")
_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?"
    r"(Z|[+-]\d{2}:?\d{2})?",
    re.IGNORECASE,
)
_cache: dict[str, float | None] = {}


def parse_date(text: str) -> float | None:
    """Seconds since the epoch (UTC), or ``None`` if ``text`` is no date AWS accepts."""
    hit = _cache.get(text)
    if hit is not None or text in _cache:
        return hit
    result = _parse(text.strip())
    if len(_cache) > 4096:
        _cache.clear()
    _cache[text] = result
    return result


def _parse(text: str) -> float | None:
    if _EPOCH.fullmatch(text):
        if len(text) > 15:  # beyond any date a datetime can hold
            return None
        return float(int(text))
    match = _ISO.fullmatch(text)
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            tzinfo=UTC,
        )
    except ValueError:
        return None
    seconds = moment.timestamp()
    if fraction:
        seconds += float("0." + fraction)
    if zone and zone.upper() != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        seconds -= sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
    return seconds


def _validate(value: str) -> str | None:
    return None if parse_date(value) is not None else f"Invalid date {value!r}"


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "DateEquals": operator.eq,
    "DateNotEquals": operator.eq,
    "DateLessThan": operator.lt,
    "DateLessThanEquals": operator.le,
    "DateGreaterThan": operator.gt,
    "DateGreaterThanEquals": operator.ge,
}


def _build(base: str, templates: tuple[tuple[Part, ...], ...]) -> Comparator:
    compare = _COMPARE[base]
    dates = [parse_date(resolve_literal(t, {}) or "") for t in templates]
    bounds = [d for d in dates if d is not None]

    def comparator(value: str, context: Context) -> bool | None:
        moment = parse_date(value)
        if moment is None:
            return None
        return any(compare(moment, bound) for bound in bounds)

    return comparator


FAMILY = Family(name="Date", variables=False, validate=_validate, build=_build)
OPERATORS = tuple((name, name == "DateNotEquals") for name in _COMPARE)
