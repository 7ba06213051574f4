"""How useful and how fast are the custom policy checks?  PASS rate on safe refinements.

    python bench/custom_checks.py [--examples 300]

CheckNoNewAccess is sound (it never answers PASS for a change that adds access; the tests in
``tests/unit/analysis/test_checks_soundness.py`` check that against the engine), so what is
left to measure is how often it *proves* a safe change safe.  This generates changes that only
take access away (``tests/unit/analysis/refinements.py``: narrower actions and resources,
added or stronger conditions, dropped or split statements, added denies), runs the check on
each, and prints the PASS rate and the median time per check.

There is no offline peer: AWS's own CheckNoNewAccess is a remote API.  The comparison point
is the baseline any tool gets for free, "PASS only if every new Allow statement is one the
existing policy already has", measured on the same pairs in the same run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from hypothesis import HealthCheck, given, settings

from iamd.analysis.access_checks import check_no_new_access
from unit.analysis.checks_alphabet import policies
from unit.analysis.refinements import split_by_values
from unit.analysis.test_checks_pass_rate import refinement_pairs


def _baseline(new: dict[str, Any], existing: dict[str, Any]) -> bool:
    def key(statement: dict[str, Any]) -> str:
        return json.dumps({k: v for k, v in statement.items() if k != "Sid"}, sort_keys=True)

    known = {key(s) for s in existing["Statement"]}
    return new.get("Version") == existing.get("Version") and all(
        key(s) in known for s in new["Statement"]
    )


def _union_pairs(resource_policy: bool) -> Any:
    """Safe pairs whose proof needs two existing statements at once: the new policy merges
    what the existing one splits by condition values."""

    def pair(document: dict[str, Any]) -> Any:
        split = split_by_values(document)
        return None if split is None else (document, split)

    return policies(resource_policy).map(pair).filter(lambda p: p is not None)


def measure(resource_policy: bool, examples: int, union: bool = False) -> dict[str, Any]:
    pairs: list[tuple[dict[str, Any], dict[str, Any]]] = []
    strategy = _union_pairs(resource_policy) if union else refinement_pairs(resource_policy)

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(pair: tuple[dict[str, Any], dict[str, Any]]) -> None:
        pairs.append(pair)

    collect()
    kind = "RESOURCE_POLICY" if resource_policy else "IDENTITY_POLICY"
    passes = 0
    times: list[float] = []
    for new, existing in pairs:
        start = time.perf_counter_ns()
        result = check_no_new_access(new, existing, kind)
        times.append((time.perf_counter_ns() - start) / 1000)
        passes += result.result == "PASS"
    baseline = sum(_baseline(new, existing) for new, existing in pairs)
    return {
        "policy_type": kind + (" (union)" if union else ""),
        "pairs": len(pairs),
        "pass_rate": passes / len(pairs),
        "baseline_pass_rate": baseline / len(pairs),
        "median_us": statistics.median(times),
        "p99_us": sorted(times)[int(len(times) * 0.99) - 1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--examples", type=int, default=300)
    args = parser.parse_args()
    rows = [
        measure(False, args.examples),
        measure(True, args.examples),
        measure(False, max(args.examples // 3, 20), union=True),
    ]
    header = ("policy type", "pairs", "iamd PASS", "baseline", "median µs", "p99 µs")
    print("{:24} {:>6} {:>10} {:>9} {:>10} {:>8}".format(*header))
    for row in rows:
        print(
            f"{row['policy_type']:24} {row['pairs']:6d} {row['pass_rate']:10.1%} "
            f"{row['baseline_pass_rate']:9.1%} {row['median_us']:10.0f} {row['p99_us']:8.0f}"
        )
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
