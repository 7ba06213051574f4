"""Decision cases written from AWS's documentation; each file names the page that decides it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from iamd.policy import Evaluator, Request
from iamd.policy.workload import policy_set_from_json

CASES = Path(__file__).parent / "cases"


def _load() -> list[Any]:
    params = []
    for path in sorted(CASES.glob("*.json")):
        body = json.loads(path.read_text())
        assert body["source"].startswith("https://docs.aws.amazon.com/"), path
        for case in body["cases"]:
            params.append(pytest.param(case, id=f"{path.stem}: {case['name']}"))
    return params


@pytest.mark.parametrize("case", _load())
def test_case(case: dict[str, Any]) -> None:
    policies = policy_set_from_json("case", case["policies"])
    r = case["request"]
    request = Request.build(
        r["principal"], r["action"], r["resource"], r.get("context", {}), r["resource_account"]
    )
    assert Evaluator(policies).evaluate(request).outcome.value == case["expected"]
