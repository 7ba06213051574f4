"""Per-shape plans, built once by shape name, for shapes that may refer to themselves.

The query parser, and the json readers and writers, each compile a botocore shape into a
function once and keep it.  A recursive shape (a structure holding a list of itself) would
recurse forever while being built, so a shape met again before its plan is finished gets a
forwarder that looks the finished plan up on first use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Plan = Callable[[Any], Any]


class PlanCache:
    def __init__(self) -> None:
        self._plans: dict[str, Plan] = {}
        self._building: set[str] = set()

    def get(self, name: str, build: Callable[[], Plan]) -> Plan:
        """The plan of the shape ``name``, built by ``build`` the first time."""
        found = self._plans.get(name)
        if found is not None:
            return found
        if name in self._building:
            plans = self._plans

            def deferred(value: Any) -> Any:
                return plans[name](value)

            return deferred
        self._building.add(name)
        try:
            built = build()
        finally:
            self._building.discard(name)
        self._plans[name] = built
        return built
