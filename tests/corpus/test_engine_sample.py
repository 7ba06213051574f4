"""The shared engine sample must agree 100% with its expected decisions."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from iamd.policy.workload import load_workload


def test_engine_sample_agrees_with_every_expected_decision(shared_dir: Path) -> None:
    document = json.loads((shared_dir / "workloads" / "engine-sample.json").read_text())
    workload = load_workload(document)
    assert len(workload.requests) == 10_000
    wrong = Counter()
    for item, decision in workload.decide():
        if decision.outcome.value != item.expected:
            wrong[(item.id, item.expected, decision.outcome.value)] += 1
    assert not wrong, f"{len(wrong)} disagreements, first: {list(wrong)[:5]}"
