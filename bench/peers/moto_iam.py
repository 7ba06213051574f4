"""moto's IAM policy evaluator (``moto.iam.access_control``), as a peer.

moto enforces IAM (when ``INITIAL_NO_AUTH_ACTION_COUNT`` is set) in
``IAMRequestBase.check_action_permitted``: for each of the caller's policies it calls
``IAMPolicy(policy).is_action_permitted(action, resource)``; a ``DENIED`` result raises
AccessDenied at once, and the request is allowed if any policy said ``PERMITTED``.  This adapter
times that same loop over the identity policies, with the ``IAMPolicy`` objects (which parse the
JSON document) built before timing.  The request context is not passed, exactly as moto's own
enforcement does not pass it.

Mapping to the workload's outcomes: ``DENIED`` -> ExplicitlyDenied, any ``PERMITTED`` ->
Allowed, otherwise ImplicitlyDenied.  Note that moto also returns ``DENIED`` for an *Allow*
statement whose (StringEquals) condition fails, so its "explicit deny" is not always one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from time import perf_counter_ns
from typing import Any

from peers import (
    ALLOWED,
    ERROR,
    EXPLICIT_DENY,
    IMPLICIT_DENY,
    Document,
    EngineInfo,
    Pass,
    PeerUnavailableError,
    policy_set_layers,
    requests_of,
)


class MotoEngine:
    """Times moto's per-request policy loop (the body of ``check_action_permitted``)."""

    def __init__(self, doc: Document, positions: Sequence[int]) -> None:
        try:
            from moto.iam.access_control import IAMPolicy, PermissionResult
        except ImportError as error:
            raise PeerUnavailableError(f"moto not importable: {error}") from error
        self._denied = PermissionResult.DENIED
        self._permitted = PermissionResult.PERMITTED

        policies: dict[str, list[Any]] = {}
        unmodelled: dict[str, list[str]] = {}
        for name, policy_set in doc["policy_sets"].items():
            policies[name] = [
                IAMPolicy({"policy_document": json.dumps(p)})
                for p in policy_set.get("identity") or []
            ]
            unmodelled[name] = policy_set_layers(policy_set)
        self._calls: list[tuple[list[Any], str, str]] = []
        unfaithful: set[int] = set()
        for position, raw in zip(positions, requests_of(doc, positions), strict=True):
            name = raw["policy_set"]
            if unmodelled[name]:
                unfaithful.add(position)
            self._calls.append((policies[name], raw["action"], raw.get("resource", "*")))

        notes = [
            "identity policies only; the context is not passed (as in moto's own enforcement), "
            "so conditions other than a failing StringEquals never change the answer",
            "moto returns DENIED for an Allow statement whose StringEquals condition fails, so "
            "some of its 'explicit denies' are not",
        ]
        if unfaithful:
            notes.append(
                f"{len(unfaithful)} requests use boundary/session/resource/SCP/RCP layers, "
                "which moto's evaluator does not model"
            )
        self.info = EngineInfo(
            name="moto",
            positions=list(positions),
            unfaithful=frozenset(unfaithful),
            notes=notes,
        )

    def run_pass(self) -> Pass:
        """One pass; moto's early exit on the first ``DENIED`` policy is kept."""
        clock = perf_counter_ns
        denied, permitted_result = self._denied, self._permitted
        times: list[int] = []
        outcomes: list[str] = []
        for policies, action, resource in self._calls:
            outcome = IMPLICIT_DENY
            start = clock()
            try:
                permitted = False
                for policy in policies:
                    result = policy.is_action_permitted(action, resource)
                    if result is denied:
                        outcome = EXPLICIT_DENY
                        break
                    if result is permitted_result:
                        permitted = True
                else:
                    if permitted:
                        outcome = ALLOWED
            except Exception:
                outcome = ERROR
            end = clock()
            times.append(end - start)
            outcomes.append(outcome)
        return Pass(times, outcomes, sum(times))

    def close(self) -> None:
        """Nothing to release: moto runs in-process."""


def build(doc: Document, positions: Sequence[int]) -> list[MotoEngine]:
    """The moto engine over ``positions``; raises :class:`PeerUnavailableError` if not installed."""
    return [MotoEngine(doc, positions)]
