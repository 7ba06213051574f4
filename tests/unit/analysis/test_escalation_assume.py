"""The search decides sts:AssumeRole in two cheap halves (trust policy, then caller); it must
never reject what the engine, given both policies at once, allows.

Same-account role assumption: a trust policy that names the caller lets it in by itself; one
that names the account needs an identity-based allow too (and the boundary's).
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html
"""

from __future__ import annotations

import itertools
from typing import Any

from iamd.analysis.account import load_account
from iamd.analysis.analyze import SEARCH_ACTIONS, escalation_library
from iamd.analysis.escalation import EscalationSearch
from iamd.analysis.principals import build_principals
from iamd.policy import Evaluator, PolicySet
from support.analysis_builder import ACCOUNT, Account, allow, doc

TRUST_PRINCIPALS: list[Any] = [
    {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
    {"AWS": ACCOUNT},
    {"AWS": f"arn:aws:iam::{ACCOUNT}:user/caller"},
    {"AWS": f"arn:aws:iam::{ACCOUNT}:role/caller"},
    {"AWS": "*"},
    "*",
    {"AWS": "arn:aws:iam::999988887777:root"},
    {"Service": "ec2.amazonaws.com"},
]
TRUST_EXTRAS: list[dict[str, Any]] = [
    {},
    {"Condition": {"StringEquals": {"aws:PrincipalTag/team": "ops"}}},
    {"Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}},
]
IDENTITIES: list[dict[str, Any] | None] = [
    None,
    allow("sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/target"),
    doc(
        {"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "*"},
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"},
    ),
]
BOUNDARIES = [None, "sts", "s3"]


def test_the_split_decision_never_drops_what_the_engine_allows() -> None:
    checked = allowed = 0
    for principal, extra, identity, boundary, kind in itertools.product(
        TRUST_PRINCIPALS, TRUST_EXTRAS, IDENTITIES, BOUNDARIES, ("user", "role")
    ):
        a = Account()
        boundary_arn = None
        if boundary:
            boundary_arn = a.managed("Boundary", allow(f"{boundary}:*"))
        statement = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **extra}
        a.role("target", doc(statement))
        if kind == "user":
            a.user("caller", inline=identity, boundary=boundary_arn, tags={"team": "ops"})
        else:
            a.role("caller", doc(), inline=identity, boundary=boundary_arn)
        account = load_account(a.data())
        library = escalation_library()
        principals = build_principals(account, library)
        search = EscalationSearch(principals, account, library, actions=SEARCH_ACTIONS)
        target = next(p for p in principals if p.arn.endswith(":role/target"))
        caller = next(p for p in principals if p.name == "caller")
        full = Evaluator(
            PolicySet(identity=caller.policies, boundary=caller.boundary, resource=target.trust)
        )
        expected = full.evaluate(caller.request("sts:AssumeRole", target.arn)).allowed
        assert (search._assume(caller, target) is not None) == expected, (
            principal,
            extra,
            identity,
            boundary,
            kind,
        )
        checked += 1
        allowed += expected
    # The grid has both answers in it, or the comparison would prove nothing.
    assert checked == 432 and 0 < allowed < checked
