"""Decisions explain themselves: outcome, deciding policy type, statements, AWS's message.

https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html
"""

from __future__ import annotations

from iamd.policy import Evaluator, Outcome, PolicyKind, PolicySet, PolicyType, Request, parse_policy
from iamd.policy.explain import explain

from .helpers import ACCOUNT, ALICE, allow, deny, doc

BOB = f"arn:aws:iam::{ACCOUNT}:user/bob"
OBJECT = "arn:aws:s3:::b/k"


def _set(**kinds: dict[str, object]) -> PolicySet:
    return PolicySet(
        identity=[parse_policy(kinds["identity"], PolicyKind.IDENTITY, "AppAccess")]
        if "identity" in kinds
        else [],
        boundary=parse_policy(kinds["boundary"], PolicyKind.BOUNDARY, "Boundary")
        if "boundary" in kinds
        else None,
        scp=[[parse_policy(kinds["scp"], PolicyKind.SCP, "Guardrail")]] if "scp" in kinds else [],
    )


def test_implicit_deny_message_names_the_missing_identity_allow() -> None:
    decision = Evaluator(_set()).evaluate(Request.build(BOB, "s3:GetObject", OBJECT))
    assert decision.outcome is Outcome.IMPLICIT_DENY
    assert decision.decided_by is PolicyType.IDENTITY
    assert decision.message(BOB, "s3:GetObject", OBJECT) == (
        "User: arn:aws:iam::111122223333:user/bob is not authorized to perform: s3:GetObject "
        "on resource: arn:aws:s3:::b/k because no identity-based policy allows the "
        "s3:GetObject action"
    )


def test_explicit_deny_records_the_statement_and_the_policy_type() -> None:
    policies = _set(identity=doc(allow(), deny("s3:GetObject", Sid="NoReads")))
    decision = Evaluator(policies).evaluate(Request.build(BOB, "s3:GetObject", OBJECT))
    assert decision.outcome is Outcome.EXPLICIT_DENY
    [statement] = decision.statements
    assert (statement.policy_name, statement.index, statement.sid) == ("AppAccess", 1, "NoReads")
    assert decision.message(BOB, "s3:GetObject", OBJECT).endswith(
        "with an explicit deny in an identity-based policy"
    )


def test_each_policy_type_has_its_own_wording() -> None:
    boundary = Evaluator(_set(identity=doc(allow()), boundary=doc(allow("sqs:*"))))
    decision = boundary.evaluate(Request.build(BOB, "s3:GetObject", OBJECT))
    assert decision.message(BOB, "s3:GetObject", OBJECT).endswith(
        "because no permissions boundary allows the s3:GetObject action"
    )
    scp = Evaluator(_set(identity=doc(allow()), scp=doc(allow(), deny("s3:*"))))
    decision = scp.evaluate(Request.build(BOB, "s3:GetObject", OBJECT))
    assert decision.decided_by is PolicyType.SCP
    assert decision.message(BOB, "s3:GetObject", OBJECT).endswith(
        "with an explicit deny in a service control policy"
    )


def test_allowed_decision_names_the_granting_statement() -> None:
    decision = Evaluator(_set(identity=doc(allow(Sid="Reads")))).evaluate(
        Request.build(ALICE, "s3:GetObject", OBJECT)
    )
    assert decision.allowed
    assert [s.sid for s in decision.statements] == ["Reads"]
    assert decision.message(ALICE, "s3:GetObject", OBJECT) == ""


def test_trace_shows_every_statement_and_substituted_variables() -> None:
    policies = _set(
        identity=doc(
            allow("s3:GetObject", "arn:aws:s3:::b/${aws:username}/*", Sid="Home"),
            deny(
                "s3:*", Condition={"StringNotEquals": {"aws:PrincipalTag/team": "${aws:username}"}}
            ),
        )
    )
    request = Request.build(
        ALICE,
        "s3:GetObject",
        "arn:aws:s3:::b/alice/x",
        {"aws:username": "alice", "aws:PrincipalTag/team": "alice"},
    )
    trace = explain(policies, request)
    assert trace.decision.allowed
    home, guard = trace.statements
    assert home.matched and home.resources == (
        ("arn:aws:s3:::b/${aws:username}/*", "arn:aws:s3:::b/alice/*"),
    )
    assert not guard.matched
    [condition] = guard.conditions
    assert condition.resolved == ("alice",) and condition.context_value == "alice"
    text = trace.render()
    assert "statement Home (Allow): matches" in text
    assert "-> arn:aws:s3:::b/alice/*" in text
    body = trace.as_dict()
    assert body["decision"] == "Allowed" and len(body["trace"]) == 2
