"""Small builders shared by the policy unit tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from iamd.policy import Evaluator, PolicyKind, PolicySet, Request, parse_policy

ACCOUNT = "111122223333"
OTHER = "444455556666"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"


def allow(action: Any = "*", resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any = "*", resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def doc(*statements: dict[str, Any], version: str | None = "2012-10-17") -> dict[str, Any]:
    out: dict[str, Any] = {"Statement": list(statements)}
    if version:
        out["Version"] = version
    return out


def decide(
    identity: Sequence[dict[str, Any]] = (),
    *,
    action: str = "s3:GetObject",
    resource: str = "arn:aws:s3:::bucket/key",
    principal: str = ALICE,
    context: dict[str, Any] | None = None,
    resource_account: str | None = ACCOUNT,
    boundary: dict[str, Any] | None = None,
    session: dict[str, Any] | None = None,
    resource_policy: dict[str, Any] | None = None,
    scp: Sequence[Sequence[dict[str, Any]]] = (),
    rcp: Sequence[Sequence[dict[str, Any]]] = (),
) -> str:
    """The decision's outcome as AWS names it, for compact assertions."""
    policy_set = PolicySet(
        identity=[parse_policy(d, PolicyKind.IDENTITY, f"id{i}") for i, d in enumerate(identity)],
        boundary=parse_policy(boundary, PolicyKind.BOUNDARY, "pb") if boundary else None,
        session=parse_policy(session, PolicyKind.SESSION, "session") if session else None,
        resource=(
            parse_policy(resource_policy, PolicyKind.RESOURCE, "rp") if resource_policy else None
        ),
        scp=[[parse_policy(d, PolicyKind.SCP, "scp") for d in level] for level in scp],
        rcp=[[parse_policy(d, PolicyKind.RCP, "rcp") for d in level] for level in rcp],
    )
    request = Request.build(principal, action, resource, context or {}, resource_account)
    return Evaluator(policy_set).evaluate(request).outcome.value


def cond(operator: str, key: str, values: Any, *, context: dict[str, Any] | None = None) -> bool:
    """Whether one condition clause holds: an Allow statement gated by it decides."""
    statement = allow(Condition={operator: {key: values}})
    return decide([doc(statement)], context=context) == "Allowed"
