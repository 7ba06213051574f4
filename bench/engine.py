"""The policy-engine benchmark: iamd and its peers, side by side, on one workload, in one run.

    python bench/engine.py --workload ../shared/workloads/engine-sample.json

A figure for iamd alone says little on a noisy 2-core machine, so every engine is measured in
the same process run, on the same requests, with passes interleaved (pass 1 of every engine, then
pass 2, ... with the order rotated each pass) so that a noisy stretch hits them all alike.  For
each engine it prints decisions per second, the median and p99 microseconds per decision, how
many decisions disagree with the workload's expected ones, and iamd's speed-up over it
(peer median / iamd median, on the same requests).

What is timed is evaluation only: policies are parsed/compiled and requests built before timing,
and each decision is wrapped alone in ``time.perf_counter_ns`` (node's ``hrtime`` for
iam-simulate).  The garbage collector is off during a pass (collected between passes), as
``timeit`` does, so a collection caused by one engine's garbage is not billed to another.
Figures are medians across ``--repeat`` timed passes, after ``--warmup`` untimed ones.

Peers are run as external libraries (see ``bench/peers``): principalmapper, moto, cedarpy and,
when node/npm are present, @cloud-copilot/iam-simulate.  A peer that cannot run is reported as
skipped with its reason; the rest still run.  This is a benchmark, not a test: it exits 0 even
when an engine disagrees, and says so.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from peers import (
    ALLOWED,
    ERROR,
    Document,
    Engine,
    Pass,
    PeerUnavailableError,
    cedar,
    iam_simulate,
    iamd_engine,
    moto_iam,
    pmapper,
)

DEFAULT_WORKLOAD = (
    Path(__file__).resolve().parents[2] / "shared" / "workloads" / "engine-sample.json"
)
PEERS: dict[str, Callable[[Document, Sequence[int]], Sequence[Engine]]] = {
    "pmapper": pmapper.build,
    "moto": moto_iam.build,
    "cedarpy": cedar.build,
    "iam-simulate": iam_simulate.build,
}
DEFAULT_PEERS = ",".join(PEERS)
TARGET_MEDIAN_US = 5.0
TARGET_RATIO = 30.0


# --- statistics ---------------------------------------------------------------------------


def percentile(sorted_values: Sequence[int], fraction: float) -> float:
    """Nearest-rank percentile of already sorted values (the p99 of 10,000 is the 9,900th)."""
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return float(sorted_values[rank - 1])


@dataclass(slots=True)
class PassFigures:
    """What one pass says: median and p99 per decision, and evaluation-only throughput."""

    median_ns: float
    p99_ns: float | None
    decisions_per_s: float


def pass_figures(result: Pass, count: int) -> PassFigures:
    """Figures of one pass; a batch-only pass has a mean and no p99."""
    throughput = count / (result.total_ns / 1e9) if result.total_ns else math.inf
    if not result.times_ns:
        return PassFigures(result.total_ns / max(count, 1), None, throughput)
    ordered = sorted(result.times_ns)
    return PassFigures(float(statistics.median(ordered)), percentile(ordered, 0.99), throughput)


def timer_overhead_ns(samples: int = 20_000) -> float:
    """Median cost of two back-to-back ``perf_counter_ns`` calls: the floor of every figure."""
    clock = time.perf_counter_ns
    spans = []
    for _ in range(samples):
        start = clock()
        end = clock()
        spans.append(end - start)
    return float(statistics.median(spans))


# --- one engine's report --------------------------------------------------------------------


@dataclass(slots=True)
class EngineReport:
    """Everything printed for one engine, computed from its passes and the expected decisions."""

    name: str
    requests: int
    three_way: bool
    per_decision: bool
    median_us: float
    p99_us: float | None
    decisions_per_s: float
    disagreements: int | None
    """Three-way disagreements on the requests the engine evaluates faithfully (None if the
    engine only answers allowed / not allowed)."""
    allow_deny_disagreements: int
    """Disagreements on allowed-ness alone, on the same requests (comparable across engines)."""
    unfaithful: int
    unfaithful_disagreements: int
    errors: int
    not_run: int
    consistent: bool
    """Whether every pass gave the same answers (a non-deterministic engine is flagged)."""
    iamd_median_us: float | None = None
    """iamd's median on this engine's requests (the denominator of ``ratio``)."""
    ratio: float | None = None
    notes: list[str] = field(default_factory=list)
    top_disagreements: list[tuple[str, str, str, int]] = field(default_factory=list)

    @property
    def correct(self) -> bool:
        """Three-way exact on every request it was given, none unsupported, none skipped."""
        return (
            self.three_way
            and self.disagreements == 0
            and self.unfaithful == 0
            and self.unfaithful_disagreements == 0
            and self.errors == 0
            and self.not_run == 0
        )

    def as_json(self) -> dict[str, Any]:
        """The JSON summary entry; numbers rounded to what the measurement can support."""
        return {
            "requests": self.requests,
            "decisions_per_s": round(self.decisions_per_s),
            "median_us": round(self.median_us, 3),
            "p99_us": None if self.p99_us is None else round(self.p99_us, 3),
            "per_decision": self.per_decision,
            "three_way": self.three_way,
            "disagreements": self.disagreements,
            "allow_deny_disagreements": self.allow_deny_disagreements,
            "unfaithful_requests": self.unfaithful,
            "unfaithful_disagreements": self.unfaithful_disagreements,
            "errors": self.errors,
            "not_run": self.not_run,
            "consistent_across_passes": self.consistent,
            "iamd_median_us_same_requests": (
                None if self.iamd_median_us is None else round(self.iamd_median_us, 3)
            ),
            "ratio": None if self.ratio is None else round(self.ratio, 1),
        }


def score(
    engine: Engine, passes: list[Pass], raw_requests: Sequence[Document]
) -> tuple[int | None, int, int, int, list[tuple[str, str, str, int]]]:
    """Disagreements of an engine's answers (from its first timed pass) with ``expected``.

    Returns (three-way disagreements or None, allow/deny disagreements, disagreements on
    unfaithful requests, errors, the most common (action, expected, got) disagreements).
    """
    info = engine.info
    three: int | None = 0 if info.three_way else None
    allow_deny = 0
    unfaithful = 0
    errors = 0
    where: Counter[tuple[str, str, str]] = Counter()
    for position, got in zip(info.positions, passes[0].outcomes, strict=True):
        raw = raw_requests[position]
        expected = raw.get("expected")
        if expected is None:
            continue
        errors += got == ERROR
        ad_wrong = got == ERROR or (got == ALLOWED) != (expected == ALLOWED)
        wrong = ad_wrong if not info.three_way else got != expected
        if position in info.unfaithful:
            unfaithful += wrong
            continue
        allow_deny += ad_wrong
        if three is not None:
            three += wrong
        if wrong:
            where[(raw["action"], expected, got)] += 1
    top = [(a, e, g, n) for (a, e, g), n in where.most_common(3)]
    return three, allow_deny, unfaithful, errors, top


def report(engine: Engine, passes: list[Pass], raw_requests: Sequence[Document]) -> EngineReport:
    """An engine's report: medians across passes of each pass's figures, plus its score."""
    info = engine.info
    count = len(info.positions)
    figures = [pass_figures(p, count) for p in passes]
    p99s = [f.p99_ns for f in figures if f.p99_ns is not None]
    three, allow_deny, unfaithful_wrong, errors, top = score(engine, passes, raw_requests)
    notes = list(info.notes)
    if info.eval_errors:
        notes.append(f"{info.eval_errors} decisions reported an evaluation error (policy skipped)")
    return EngineReport(
        name=info.name,
        requests=count,
        three_way=info.three_way,
        per_decision=info.per_decision,
        median_us=statistics.median(f.median_ns for f in figures) / 1000,
        p99_us=statistics.median(p99s) / 1000 if p99s else None,
        decisions_per_s=statistics.median(f.decisions_per_s for f in figures),
        disagreements=three,
        allow_deny_disagreements=allow_deny,
        unfaithful=len(info.unfaithful),
        unfaithful_disagreements=unfaithful_wrong,
        errors=errors,
        not_run=info.not_run,
        consistent=all(p.outcomes == passes[0].outcomes for p in passes[1:]),
        notes=notes,
        top_disagreements=top,
    )


def iamd_median_on(iamd: Engine, iamd_passes: list[Pass], positions: Sequence[int]) -> float:
    """iamd's median µs on exactly the requests a peer ran, so a ratio compares like with like."""
    index_of = {position: index for index, position in enumerate(iamd.info.positions)}
    picks = [index_of[p] for p in positions if p in index_of]
    medians = [statistics.median(p.times_ns[i] for i in picks) for p in iamd_passes]
    return statistics.median(medians) / 1000


# --- running ------------------------------------------------------------------------------


def log(quiet: bool, message: str) -> None:
    """Progress goes to stderr (and nowhere with --json), so stdout holds only the report."""
    if not quiet:
        print(message, file=sys.stderr, flush=True)


def timed_pass(engine: Engine) -> Pass:
    """One pass with the collector off, so no engine pays for another's garbage."""
    gc.collect()
    gc.disable()
    try:
        return engine.run_pass()
    finally:
        gc.enable()


def build_engines(
    doc: Document, args: argparse.Namespace, quiet: bool
) -> tuple[list[Engine], dict[str, str]]:
    """iamd over every request, then each requested peer over its share; skips are recorded."""
    total = len(doc["requests"])
    engines: list[Engine] = []
    skipped: dict[str, str] = {}
    started = time.perf_counter()
    engines.extend(iamd_engine.build(doc, range(total)))
    log(quiet, f"built iamd over {total} requests in {time.perf_counter() - started:.2f} s")
    peer_share = total if args.limit is None else min(args.limit, total)
    for name in args.peers:
        share = peer_share
        if name == "iam-simulate":
            share = min(share, args.iam_simulate_limit)
        started = time.perf_counter()
        try:
            built = PEERS[name](doc, range(share))
        except PeerUnavailableError as why:
            skipped[name] = str(why)
            log(quiet, f"skipped {name}: {why}")
            continue
        except Exception as error:  # a peer's own bug must not cost the other figures
            skipped[name] = f"setup failed: {error!r}"
            log(quiet, f"skipped {name}: setup failed: {error!r}")
            continue
        engines.extend(built)
        log(quiet, f"built {name} over {share} requests in {time.perf_counter() - started:.2f} s")
        if args.cedar_out and name == "cedarpy":
            shared = getattr(built[0], "shared", None)
            if isinstance(shared, cedar.CedarEngines):
                Path(args.cedar_out).write_text(shared.cedar_text() + "\n")
                log(quiet, f"wrote the Cedar translation to {args.cedar_out}")
    return engines, skipped


def run(
    engines: Sequence[Engine], repeat: int, warmup: int, quiet: bool, failed: dict[str, str]
) -> list[list[Pass]]:
    """Warm-up passes, then ``repeat`` timed passes, interleaved across engines.

    A peer that fails mid-run (its child process died, it raised) is dropped and recorded in
    ``failed``, so the others' figures survive; iamd failing is a real error and propagates.
    """
    passes: list[list[Pass]] = [[] for _ in engines]
    alive = list(range(len(engines)))

    def attempt(index: int) -> Pass | None:
        try:
            return timed_pass(engines[index])
        except Exception as error:
            if index == 0:
                raise
            failed[engines[index].info.name] = f"failed during a pass: {error!r}"
            log(quiet, f"dropped {engines[index].info.name}: {error!r}")
            alive.remove(index)
            return None

    for round_ in range(warmup):
        for index in list(alive):
            attempt(index)
        log(quiet, f"warm-up pass {round_ + 1}/{warmup} done")
    for round_ in range(repeat):
        shift = round_ % len(alive)
        for index in alive[shift:] + alive[:shift]:
            result = attempt(index)
            if result is not None:
                passes[index].append(result)
        log(quiet, f"timed pass {round_ + 1}/{repeat} done")
    return passes


# --- printing -----------------------------------------------------------------------------


def _us(value: float | None) -> str:
    """Microseconds with precision that shrinks as values grow (noise is relative)."""
    if value is None:
        return "-"
    if value < 10:
        return f"{value:.2f}"
    if value < 1000:
        return f"{value:.1f}"
    return f"{value:,.0f}"


def _count(value: int | None) -> str:
    """A count, or n/a where the engine cannot be scored that way."""
    return "n/a" if value is None else str(value)


def target_verdict(reports: Sequence[EngineReport]) -> dict[str, Any]:
    """iamd's targets: median <= 5 µs, zero disagreements, >= 30x the fastest correct peer."""
    iamd = reports[0]
    peers = [r for r in reports[1:] if r.per_decision]
    correct = [r for r in peers if r.correct]
    fastest_correct = min(correct, key=lambda r: r.median_us, default=None)
    fastest = min(peers, key=lambda r: r.median_us, default=None)
    verdict: dict[str, Any] = {
        "median_us_max": TARGET_MEDIAN_US,
        "median_ok": iamd.median_us <= TARGET_MEDIAN_US,
        "zero_disagreements": iamd.disagreements == 0 and iamd.errors == 0,
        "ratio_min": TARGET_RATIO,
        "fastest_correct_peer": fastest_correct.name if fastest_correct else None,
        "ratio_vs_fastest_correct": (
            round(fastest_correct.ratio, 1) if fastest_correct and fastest_correct.ratio else None
        ),
        "ratio_ok": (
            None
            if fastest_correct is None or fastest_correct.ratio is None
            else fastest_correct.ratio >= TARGET_RATIO
        ),
        "fastest_peer": fastest.name if fastest else None,
        "ratio_vs_fastest": round(fastest.ratio, 1) if fastest and fastest.ratio else None,
    }
    return verdict


def print_table(
    doc: Document,
    workload: Path,
    reports: Sequence[EngineReport],
    skipped: Mapping[str, str],
    args: argparse.Namespace,
    overhead_ns: float,
) -> None:
    """The human-readable report: header, one row per engine, notes, and the target verdict."""
    total = len(doc["requests"])
    print(
        f"iamd engine benchmark: {workload.name}, {total} requests, "
        f"{len(doc['policy_sets'])} policy set(s); oracle: {doc.get('oracle', 'unknown')}"
    )
    print(
        f"{args.repeat} timed passes (+{args.warmup} warm-up) per engine, interleaved; figures are "
        "medians across passes; evaluation only (built before timing), one perf_counter_ns pair "
        f"per decision (pair overhead ~{overhead_ns:.0f} ns, not subtracted), GC off during passes"
    )
    print(
        "wrong = three-way disagreements with `expected` on the requests an engine evaluates "
        "faithfully; a/d = allowed-vs-denied disagreements on the same requests; unfaithful = "
        "requests an engine cannot evaluate faithfully (their disagreements shown apart); "
        "decisions/s = requests / summed decision times; "
        "ratio = peer median / iamd median on the same requests"
    )
    print()
    header = (
        f"{'engine':<14}{'requests':>9}{'decisions/s':>13}{'median µs':>11}{'p99 µs':>10}"
        f"{'wrong':>7}{'a/d':>6}{'unfaithful':>12}{'ratio':>9}"
    )
    print(header)
    print("-" * len(header))
    for r in reports:
        unfaithful = f"{r.unfaithful_disagreements}/{r.unfaithful}" if r.unfaithful else "0"
        ratio = "-" if r.ratio is None else f"{r.ratio:,.1f}x"
        median = _us(r.median_us) + ("" if r.per_decision else "*")
        print(
            f"{r.name:<14}{r.requests:>9}{r.decisions_per_s:>13,.0f}{median:>11}{_us(r.p99_us):>10}"
            f"{_count(r.disagreements):>7}{r.allow_deny_disagreements:>6}{unfaithful:>12}{ratio:>9}"
        )
    if any(not r.per_decision for r in reports):
        print("* batch call: mean per decision (batch time / n); no per-decision distribution")
    for name, why in skipped.items():
        print(f"{name:<14}skipped: {why}")
    print()
    for r in reports:
        lines = list(r.notes)
        if r.errors:
            lines.append(f"{r.errors} requests raised or returned an error")
        if not r.consistent:
            lines.append("answers differed between passes")
        if r.not_run:
            lines.append(f"{r.not_run} requests of its share could not be run")
        for action, expected, got, count in r.top_disagreements:
            lines.append(f"disagrees {count}x on {action}: expected {expected}, got {got}")
        if r.ratio is not None and r.requests != reports[0].requests:
            same = _us(r.iamd_median_us)
            lines.append(f"ran the first {r.requests} requests; iamd median on those: {same} µs")
        if lines:
            print(f"{r.name}:")
            for line in lines:
                print(f"    {line.strip()}" if line.startswith(" ") else f"  - {line}")
    verdict = target_verdict(reports)
    iamd = reports[0]
    print()
    marks = {True: "met", False: "MISSED", None: "n/a"}
    print(
        f"iamd targets: median {_us(iamd.median_us)} µs <= {TARGET_MEDIAN_US:g} µs "
        f"[{marks[verdict['median_ok']]}]; disagreements {iamd.disagreements} "
        f"[{marks[verdict['zero_disagreements']]}]; "
        f"vs fastest correct peer ({verdict['fastest_correct_peer'] or 'none ran'}): "
        f"{verdict['ratio_vs_fastest_correct'] or '-'}x >= {TARGET_RATIO:g}x "
        f"[{marks[verdict['ratio_ok']]}]; vs fastest peer of any accuracy "
        f"({verdict['fastest_peer'] or 'none'}): {verdict['ratio_vs_fastest'] or '-'}x"
    )


def summary(
    workload: Path,
    doc: Document,
    reports: Sequence[EngineReport],
    skipped: Mapping[str, str],
    args: argparse.Namespace,
    overhead_ns: float,
) -> dict[str, Any]:
    """The one-line JSON summary a closing note can quote."""
    return {
        "benchmark": "iamd-engine",
        "workload": workload.name,
        "requests": len(doc["requests"]),
        "oracle": doc.get("oracle"),
        "passes": args.repeat,
        "warmup": args.warmup,
        "python": sys.version.split()[0],
        "timer_pair_overhead_ns": round(overhead_ns),
        "engines": {r.name: r.as_json() for r in reports},
        "skipped": dict(skipped),
        "target": target_verdict(reports),
    }


# --- entry point --------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options (see the module docstring for what each figure means)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--workload", type=Path, default=DEFAULT_WORKLOAD, help="iamd-workload/1 JSON"
    )
    parser.add_argument("--repeat", type=int, default=3, help="timed passes (median reported)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed passes before timing")
    parser.add_argument(
        "--limit", type=int, default=None, help="requests per peer (iamd always runs all)"
    )
    parser.add_argument(
        "--iam-simulate-limit",
        type=int,
        default=300,
        help="cap for iam-simulate, ~3 ms per decision (default 300)",
    )
    parser.add_argument(
        "--peers",
        default=DEFAULT_PEERS,
        help=f"comma-separated peers to run beside iamd, or 'none' (default {DEFAULT_PEERS})",
    )
    parser.add_argument("--json", action="store_true", help="print only the JSON summary line")
    parser.add_argument("--cedar-out", type=Path, help="write the Cedar translation to this file")
    args = parser.parse_args(argv)
    names = [] if args.peers.strip() in ("", "none") else [p.strip() for p in args.peers.split(",")]
    unknown = [n for n in names if n not in PEERS]
    if unknown:
        parser.error(f"unknown peer(s) {', '.join(unknown)}; choose from {DEFAULT_PEERS}")
    args.peers = list(dict.fromkeys(names))
    if args.repeat < 1 or args.warmup < 0:
        parser.error("--repeat must be >= 1 and --warmup >= 0")
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be >= 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Build every engine, run the interleaved passes, print the report and the JSON line.

    Exits 0 whatever the figures say: this is a benchmark, and its output is the verdict.
    """
    args = parse_args(argv)
    quiet = args.json
    doc: Document = json.loads(args.workload.read_text())
    overhead = timer_overhead_ns()
    engines, skipped = build_engines(doc, args, quiet)
    try:
        passes = run(engines, args.repeat, args.warmup, quiet, skipped)
    finally:
        for engine in engines:
            engine.close()
    kept = [(e, p) for e, p in zip(engines, passes, strict=True) if e.info.name not in skipped]
    engines = [e for e, _ in kept]
    raw_requests: list[Document] = doc["requests"]
    reports = [report(e, p, raw_requests) for e, p in kept]
    iamd, iamd_passes = engines[0], passes[0]
    for engine, r in zip(engines[1:], reports[1:], strict=True):
        r.iamd_median_us = iamd_median_on(iamd, iamd_passes, engine.info.positions)
        r.ratio = r.median_us / r.iamd_median_us if r.iamd_median_us else None
    if not args.json:
        print_table(doc, args.workload, reports, skipped, args, overhead)
        print()
    print(json.dumps(summary(args.workload, doc, reports, skipped, args, overhead)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
