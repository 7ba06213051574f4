"""Request timestamps: ``X-Amz-Date`` (ISO 8601 basic format, ``20240101T000000Z``) and ``Date``.

Parsing runs on every request, and ``datetime.strptime`` alone costs about 11 µs on this project's
machine (see shared/reference/PERFORMANCE-NOTES.md). The timestamp is instead sliced by hand and
converted with ``calendar.timegm``, and the result is cached: concurrent clients mostly sign
within the same few seconds, so the cache answers nearly every request. It is bounded, so a client
sending arbitrary dates cannot grow it.
"""

from __future__ import annotations

import calendar
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

_CACHE_LIMIT = 1024
_cache: dict[str, tuple[int, datetime]] = {}


def parse_amz_date(value: str) -> tuple[int, datetime] | None:
    """Seconds since the epoch and an aware UTC datetime, or None if the value is not valid.

    Only the exact basic format that SigV4 signs is accepted (``YYYYMMDD'T'HHMMSS'Z'``), as AWS
    requires; calendar-impossible dates such as ``20240231T000000Z`` are rejected too.
    """
    hit = _cache.get(value)
    if hit is not None:
        return hit
    if (
        len(value) != 16
        or value[8] != "T"
        or value[15] != "Z"
        or not value[:8].isdigit()
        or not value[9:15].isdigit()
        or not value.isascii()
    ):
        return None
    try:
        moment = datetime(
            int(value[0:4]),
            int(value[4:6]),
            int(value[6:8]),
            int(value[9:11]),
            int(value[11:13]),
            int(value[13:15]),
            tzinfo=UTC,
        )
    except ValueError:
        return None
    epoch = calendar.timegm(
        (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)
    )
    if len(_cache) >= _CACHE_LIMIT:
        _cache.clear()  # rare, cheap to refill, and safe with concurrent readers
    parsed = _cache[value] = (epoch, moment)
    return parsed


def parse_http_date(value: str) -> tuple[int, datetime] | None:
    """An RFC 7231 ``Date`` header (``Sun, 09 Jun 2013 10:07:59 GMT``), the fallback SigV4 allows
    when ``X-Amz-Date`` is absent. Rare, so it is neither fast nor cached."""
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    # "-0000" (what Python's formatdate writes, botocore included) parses as naive: it is UTC.
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return calendar.timegm(moment.utctimetuple()), moment


_last_formatted: tuple[int, str] = (-1, "")


def format_amz_date(epoch: float) -> str:
    """The ISO 8601 basic form of a moment, truncated to the second, as AWS's messages show it.

    Every signature check and every re-signed request formats the current second: the last one
    is kept (a tuple, replaced whole, so threads never see half of it)."""
    global _last_formatted
    second = int(epoch // 1)
    last = _last_formatted
    if last[0] == second:
        return last[1]
    text = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(second))
    _last_formatted = (second, text)
    return text
