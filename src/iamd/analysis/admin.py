"""Is a principal admin-equivalent?  Decided by the engine, boundaries and denies included.

"Admin" here is what the escalation search aims at: a principal the engine allows to do
anything (``*`` on ``*``), or anything in IAM (``iam:*`` on ``*``, which grants the rest).  The
engine answers for concrete actions only, so each level is a set of probes that must all be
allowed on every resource (``*``): probes across many services for the first, every IAM action
that hands out permissions for the second.  A deny of any probe (a boundary, an explicit deny,
a condition the analysis cannot meet) means "not admin".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from iamd.analysis.principals import Principal
from iamd.policy import Evaluator, Policy, PolicyKind, StatementRef, parse_policy


class AdminLevel(StrEnum):
    FULL = "full"
    """Every action on every resource."""
    IAM = "iam"
    """Every IAM action on every resource: enough to grant itself the rest."""


IAM_PROBES = (
    "iam:AttachUserPolicy",
    "iam:AttachGroupPolicy",
    "iam:AttachRolePolicy",
    "iam:PutUserPolicy",
    "iam:PutGroupPolicy",
    "iam:PutRolePolicy",
    "iam:CreatePolicyVersion",
    "iam:CreateAccessKey",
    "iam:CreateUser",
    "iam:CreateRole",
    "iam:UpdateAssumeRolePolicy",
    "iam:PassRole",
    "iam:DeleteUserPermissionsBoundary",
    "iam:DeleteRolePermissionsBoundary",
)
FULL_PROBES = (
    *IAM_PROBES,
    "sts:AssumeRole",
    "ec2:RunInstances",
    "ec2:TerminateInstances",
    "s3:GetObject",
    "s3:PutBucketPolicy",
    "kms:Decrypt",
    "kms:PutKeyPolicy",
    "lambda:CreateFunction",
    "dynamodb:DeleteTable",
    "secretsmanager:GetSecretValue",
    "organizations:LeaveOrganization",
    "cloudtrail:StopLogging",
    "rds:DeleteDBInstance",
)
PROBES = frozenset(FULL_PROBES)

ALLOW_ALL: Policy = parse_policy(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
    PolicyKind.IDENTITY,
    "a new policy that allows everything",
)


@dataclass(frozen=True, slots=True)
class AdminVerdict:
    level: AdminLevel
    statements: tuple[StatementRef, ...]
    """The statements that allowed the probes (identity policies and boundary)."""


def _probe(
    principal: Principal, evaluator: Evaluator, probes: Iterable[str]
) -> tuple[StatementRef, ...] | None:
    refs: dict[StatementRef, None] = {}
    for action in probes:
        decision = evaluator.evaluate(principal.request(action, "*"))
        if not decision.allowed:
            return None
        refs.update(dict.fromkeys(decision.statements))
    return tuple(refs)


def admin_verdict(
    principal: Principal,
    evaluator: Evaluator | None = None,
    wide: Callable[[Principal], Evaluator] | None = None,
) -> AdminVerdict | None:
    """The principal's admin level with the statements behind it, or ``None``.

    ``evaluator`` needs to know the IAM probes only; ``wide`` gives one that knows every
    probe (the analysis narrows policies to the actions it asks about, and the full probes
    are asked only of the few principals that pass the IAM ones).
    """
    evaluator = evaluator or principal.evaluator
    # IAM first: cheaper, and a principal without it is not a full admin either.
    iam = _probe(principal, evaluator, IAM_PROBES)
    if iam is None:
        return None
    full_evaluator = wide(principal) if wide is not None else evaluator
    full = _probe(principal, full_evaluator, FULL_PROBES)
    if full is not None:
        return AdminVerdict(AdminLevel.FULL, full)
    return AdminVerdict(AdminLevel.IAM, iam)


def could_become_admin(principal: Principal, extra: Iterable[Policy] = (ALLOW_ALL,)) -> bool:
    """Whether attaching ``extra`` would give the principal every IAM action (and so, in one
    more call, everything): its boundary and its explicit denies still apply, and they are
    what usually stops an escalation."""
    return _probe(principal, principal.with_policies(extra), IAM_PROBES) is not None
