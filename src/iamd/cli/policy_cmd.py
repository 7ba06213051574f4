"""``iamd policy``: validate and simulate policies offline, with no server."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from iamd.cli import validate_cmd
from iamd.policy import MalformedPolicyError
from iamd.policy.parser import load_json
from iamd.policy.workload import load_workload


def register(commands: Any) -> None:
    policy = commands.add_parser("policy", help="validate and simulate IAM policies")
    sub = policy.add_subparsers(dest="policy_command", required=True, metavar="SUBCOMMAND")
    simulate = sub.add_parser("simulate", help="decide requests against policies")
    simulate.add_argument("--workload", type=Path, help="an iamd-workload/1 file")
    simulate.add_argument(
        "--bench", action="store_true", help="with --workload: time the evaluation alone"
    )
    simulate.set_defaults(handler=run_simulate)
    validate_cmd.register(sub)


def _read_json(path: Path) -> Any:
    return load_json(path.read_bytes())


def run_simulate(args: argparse.Namespace) -> int:
    if args.workload is None:
        print("iamd policy simulate: --workload is required", file=sys.stderr)
        return 2
    return _simulate_workload(args.workload, args.bench)


def _simulate_workload(path: Path, bench: bool) -> int:
    try:
        workload = load_workload(_read_json(path))
    except MalformedPolicyError as exc:
        for error in exc.errors:
            print(f"{path}: {error}", file=sys.stderr)
        return 1
    except (OSError, ValueError, KeyError) as exc:
        print(f"{path}: {exc}", file=sys.stderr)
        return 1
    if bench:
        return _bench(workload)
    out = sys.stdout
    for item, decision in workload.decide():
        out.write(json.dumps({"id": item.id, "decision": decision.outcome.value}) + "\n")
    return 0


def _bench(workload: Any) -> int:
    """Decisions per second and per-decision latency, for the evaluation alone."""
    items = [(workload.evaluators[i.policy_set], i.request) for i in workload.requests]
    for evaluator, request in items:  # warm the per-action plans
        evaluator.evaluate(request)
    clock = time.perf_counter_ns
    samples: list[int] = []
    for _ in range(3):
        for evaluator, request in items:
            start = clock()
            evaluator.evaluate(request)
            samples.append(clock() - start)
    samples.sort()
    total = sum(samples) / 1e9
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    print(
        json.dumps(
            {
                "decisions": len(samples),
                "decisions_per_second": round(len(samples) / total),
                "median_us": round(statistics.median(samples) / 1000, 3),
                "p99_us": round(p99 / 1000, 3),
            }
        )
    )
    return 0
