"""Wildcard matching takes time polynomial in pattern and subject sizes, not length ** stars.

A glob with ``*`` and ``?`` can always be matched in O(len(pattern) x len(subject)) (the
reference's dynamic programme does it), or faster with greedy segment placement.  A
backtracking regular expression built from the same glob can instead take
O(len(subject) ** stars): ``*a*a*a*a*a*a*a*a*b`` against 60 ``a``s runs for seconds, and a few
more stars for hours.  Policies are written by account users and request values (S3 object
keys, ``s3:prefix``, action names) by callers, so such a pair stalls a worker of the
authorization service: a denial of service.

Each case runs in a child process with a time limit, because a regular expression stuck in
``re``'s C code cannot be interrupted from the test process.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Any

import pytest

STARS = "*a" * 12 + "b"
SUBJECT = "a" * 100
LIMIT_SECONDS = 5.0
"""Generous: a non-backtracking matcher decides each case in well under a millisecond, and the
rest is interpreter start-up and import."""

CASES: dict[str, tuple[dict[str, Any], str, str, dict[str, str]]] = {
    "Resource": (
        {"Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{STARS}"},
        "s3:GetObject",
        f"arn:aws:s3:::{SUBJECT}",
        {},
    ),
    "Action": (
        {"Action": f"s3:{STARS}", "Resource": "*"},
        f"s3:{SUBJECT}",
        "*",
        {},
    ),
    "StringLike": (
        {"Action": "*", "Resource": "*", "Condition": {"StringLike": {"s3:prefix": STARS}}},
        "s3:ListBucket",
        "*",
        {"s3:prefix": SUBJECT},
    ),
}


@pytest.mark.parametrize("element", sorted(CASES))
def test_wildcard_matching_is_not_exponential(element: str) -> None:
    """One evaluation of a 12-star pattern against a 100-character subject finishes in time."""
    statement, action, resource, context = CASES[element]
    document = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", **statement}}
    program = textwrap.dedent(
        f"""
        from iamd.policy import Evaluator, PolicySet, Request, parse_policy
        evaluator = Evaluator(PolicySet(identity=[parse_policy({document!r})]))
        request = Request.build(
            "arn:aws:iam::111111111111:user/alice", {action!r}, {resource!r}, {context!r}
        )
        print(evaluator.evaluate(request).outcome.value)
        """
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", program],
            capture_output=True,
            text=True,
            timeout=LIMIT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(
            f"{element} {STARS!r} against {len(SUBJECT)} characters took more than "
            f"{LIMIT_SECONDS} s: the matcher backtracks, in time growing as length ** stars"
        )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ImplicitlyDenied"
