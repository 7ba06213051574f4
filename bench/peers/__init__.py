"""Adapters that put iamd and its peers behind one small interface for ``bench/engine.py``.

Each module here wraps one engine as an *external library* (nothing of a peer's code is copied
into the repository).  The benchmark needs the same three things from every engine, so they are
fixed here once:

* everything an engine needs is built before timing (policies parsed, requests constructed,
  entity stores loaded), because the figure we publish is the cost of *deciding*, not of loading;
* a timed pass wraps exactly one engine call per decision in ``time.perf_counter_ns`` (each engine
  runs its own tight loop, so no harness indirection lands inside the timed region, which would
  be a visible share of iamd's ~1 µs);
* answers come back as the workload's outcome strings, so disagreements are counted the same way
  for every engine, and an engine that cannot evaluate some requests faithfully says which.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

ALLOWED = "Allowed"
EXPLICIT_DENY = "ExplicitlyDenied"
IMPLICIT_DENY = "ImplicitlyDenied"
DENIED = "Denied"
"""The answer of an engine that only says allowed / not allowed (it cannot tell explicit from
implicit deny); scored on allowed-ness only."""
ERROR = "Error"
"""The engine raised or reported an error for this request; always counted as a disagreement."""

Document = Mapping[str, Any]
"""A workload document (``iamd-workload/1``) or one of its parts, as loaded from JSON."""


class PeerUnavailableError(Exception):
    """The peer cannot run here (package missing, no node/npm, install failed).

    The benchmark reports the reason and carries on with the other engines, because one missing
    peer should not cost the figures of the rest.
    """


@dataclass(slots=True)
class Pass:
    """One timed pass of an engine over its requests.

    ``times_ns`` holds one duration per decision, in request order; it is empty for an engine
    that can only be timed as a batch, whose ``total_ns`` is then the one batch call.
    """

    times_ns: list[int]
    outcomes: list[str]
    total_ns: int


@dataclass(slots=True)
class EngineInfo:
    """What the report needs to know about an engine besides its timings.

    ``positions`` are indices into the workload's ``requests`` (the engine's share of them, in
    order).  ``unfaithful`` is the subset the engine runs but cannot evaluate faithfully (a
    policy layer it does not model, a statement that could not be translated); those requests
    are timed like the others, but their disagreements are reported apart, so a peer is not
    charged for what it never claimed to do and not credited for luck either.
    """

    name: str
    positions: list[int]
    three_way: bool = True
    """False when the engine only answers allowed / not allowed."""
    per_decision: bool = True
    """False when only a batch call could be timed (no per-decision distribution)."""
    unfaithful: frozenset[int] = frozenset()
    not_run: int = 0
    """Requests of the engine's share that it could not run at all (left out of ``positions``)."""
    notes: list[str] = field(default_factory=list)
    eval_errors: int = 0
    """Decisions in the last pass for which the engine reported an evaluation error but still
    answered (Cedar skips a policy that errors); shown so a silent skip is not mistaken for a
    decision."""


class Engine(Protocol):
    """An engine ready to be timed: built, warmed by the caller, then run pass after pass."""

    info: EngineInfo

    def run_pass(self) -> Pass:
        """Decide every request of ``info.positions`` once, timing each decision."""
        ...

    def close(self) -> None:
        """Release external resources (a child process); a no-op for in-process engines."""
        ...


def policy_set_layers(policy_set: Document) -> list[str]:
    """The non-identity layers a policy set uses (boundary, session, resource, scp, rcp).

    Most peers model identity policies only, so this is how they decide which requests they
    cannot evaluate faithfully.
    """
    layers = []
    for key in ("boundary", "session", "scp", "rcp"):
        if policy_set.get(key):
            layers.append(key)
    if policy_set.get("resource"):
        layers.append("resource")
    return layers


def requests_of(doc: Document, positions: Sequence[int]) -> list[Document]:
    """The raw request objects at ``positions``, in order."""
    raw: list[Document] = doc["requests"]
    return [raw[i] for i in positions]
