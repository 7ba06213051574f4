"""The AWS policy language: parse, validate, compile, evaluate, explain.

Pure: no I/O and no imports from the rest of iamd, so it can be used as a library::

    from iamd.policy import Evaluator, PolicySet, Request, parse_policy

    policy = parse_policy(text)
    evaluator = Evaluator(PolicySet(identity=[policy]))
    decision = evaluator.evaluate(Request.build(principal_arn, "s3:GetObject", object_arn))
"""

from iamd.policy.decision import Decision, Outcome, PolicyType, StatementRef
from iamd.policy.errors import MalformedPolicyError, PolicyError
from iamd.policy.evaluator import Evaluator, PolicySet, evaluate
from iamd.policy.model import (
    ConditionClause,
    Effect,
    Policy,
    PolicyKind,
    PrincipalSpec,
    Statement,
)
from iamd.policy.parser import load_json, parse_policy
from iamd.policy.request import PrincipalInfo, PrincipalKind, Request

__all__ = [
    "ConditionClause",
    "Decision",
    "Effect",
    "Evaluator",
    "MalformedPolicyError",
    "Outcome",
    "Policy",
    "PolicyError",
    "PolicyKind",
    "PolicySet",
    "PolicyType",
    "PrincipalInfo",
    "PrincipalKind",
    "PrincipalSpec",
    "Request",
    "Statement",
    "StatementRef",
    "evaluate",
    "load_json",
    "parse_policy",
]
