"""The checks are sound; are they also useful?  A check that answers FAIL to everything would
be sound too, so this measures how often CheckNoNewAccess answers PASS on changes that only
take access away (:func:`refinements.refinements`: narrower actions and resources, added or
stronger conditions, dropped or split statements, added denies).  ``bench/custom_checks.py``
prints the same figures.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iamd.analysis.access_checks import check_no_new_access

from .checks_alphabet import (
    REQUEST_ACTIONS,
    REQUEST_RESOURCES,
    RESOURCE_CALLERS,
    SAME_ACCOUNT_USER,
    allowed,
    evaluator,
    mentioned_keys,
    policies,
    requests,
)
from .refinements import refinements

MINIMUM_PASS_RATE = 0.85


def refinement_pairs(resource_policy: bool) -> st.SearchStrategy[tuple[Any, Any]]:
    return policies(resource_policy).flatmap(
        lambda existing: st.tuples(refinements(existing), st.just(existing))
    )


def truly_safe(new: dict[str, Any], existing: dict[str, Any], resource_policy: bool) -> bool:
    """The grid finds no request the refinement allows and the original does not."""
    keys = mentioned_keys(new, existing)
    for caller in RESOURCE_CALLERS if resource_policy else (SAME_ACCOUNT_USER,):
        new_engine = evaluator(new, resource_policy, caller)
        old_engine = evaluator(existing, resource_policy, caller)
        for request in requests(caller, REQUEST_ACTIONS, REQUEST_RESOURCES, keys):
            if allowed(new_engine, request) and not allowed(old_engine, request):
                return False
    return True


def pass_rate(resource_policy: bool, examples: int) -> tuple[float, int]:
    """The share of PASS among ``examples`` generated safe refinements, and how many there were."""
    outcomes: list[bool] = []
    kind = "RESOURCE_POLICY" if resource_policy else "IDENTITY_POLICY"

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(refinement_pairs(resource_policy))
    def collect(pair: tuple[dict[str, Any], dict[str, Any]]) -> None:
        new, existing = pair
        passed = check_no_new_access(new, existing, kind).result == "PASS"
        assert passed or truly_safe(new, existing, resource_policy), "not a safe refinement"
        outcomes.append(passed)

    collect()
    return sum(outcomes) / len(outcomes), len(outcomes)


def test_identity_refinements_mostly_pass() -> None:
    rate, count = pass_rate(resource_policy=False, examples=200)
    assert count >= 100
    assert rate >= MINIMUM_PASS_RATE, f"PASS rate {rate:.0%} on {count} safe refinements"


def test_resource_policy_refinements_mostly_pass() -> None:
    rate, count = pass_rate(resource_policy=True, examples=150)
    assert count >= 100
    assert rate >= MINIMUM_PASS_RATE, f"PASS rate {rate:.0%} on {count} safe refinements"
