"""iamd itself, through the same public workload API the CLI and the corpus test use.

The module is not called ``iamd.py`` so that it can never shadow the real package when
``bench/`` is on ``sys.path``.
"""

from __future__ import annotations

from collections.abc import Sequence
from time import perf_counter_ns

from iamd.policy.decision import Decision
from iamd.policy.workload import load_workload
from peers import Document, EngineInfo, Pass


class IamdEngine:
    """Times ``Evaluator.evaluate(request)``: the whole decision, nothing else.

    ``load_workload`` parses and compiles every policy set and builds every ``Request`` up front
    (that is the "build before timing" step); the timed call is exactly what the authorize step
    of the server makes per API call.
    """

    def __init__(self, doc: Document, positions: Sequence[int]) -> None:
        workload = load_workload(doc)
        self._calls = [
            (
                workload.evaluators[workload.requests[i].policy_set].evaluate,
                workload.requests[i].request,
            )
            for i in positions
        ]
        self.info = EngineInfo(
            name="iamd",
            positions=list(positions),
            notes=["decides all layers (identity, boundary, session, resource, SCP, RCP)"],
        )

    def run_pass(self) -> Pass:
        """One pass; the loop is kept bare so the timed region holds only ``evaluate``."""
        clock = perf_counter_ns
        times: list[int] = []
        decisions: list[Decision] = []
        add_time = times.append
        add_decision = decisions.append
        for evaluate, request in self._calls:
            start = clock()
            decision = evaluate(request)
            end = clock()
            add_time(end - start)
            add_decision(decision)
        outcomes = [decision.outcome.value for decision in decisions]
        return Pass(times, outcomes, sum(times))

    def close(self) -> None:
        """Nothing to release: iamd runs in-process."""


def build(doc: Document, positions: Sequence[int]) -> list[IamdEngine]:
    """The iamd engine over ``positions`` (the benchmark always passes every request)."""
    return [IamdEngine(doc, positions)]
