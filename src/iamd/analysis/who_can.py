"""Who can perform an action (on a resource)?  Every user and role the engine allows.

Groups are not principals: a group's policies reach the engine through its members, so a
group that grants the action shows up as the users in it, each decision naming the group's
policy.  When the resource is a role of the account and the action is ``sts:AssumeRole``, the
role's trust policy takes part as the resource-based policy, as AWS evaluates it.
"""

from __future__ import annotations

from dataclasses import dataclass

from iamd.analysis.principals import Principal
from iamd.policy import Decision, Evaluator, PolicySet


@dataclass(frozen=True, slots=True)
class Grantee:
    principal: Principal
    decision: Decision


def who_can(principals: list[Principal], action: str, resource: str = "*") -> list[Grantee]:
    """The principals allowed ``action`` on ``resource``, in the account file's order."""
    trusted = None
    if action.lower().startswith("sts:assumerole"):
        trusted = next((p for p in principals if p.kind == "role" and p.arn == resource), None)
    out: list[Grantee] = []
    for principal in principals:
        request = principal.request(action, resource)
        if trusted is not None and trusted.trust is not None:
            evaluator = Evaluator(
                PolicySet(
                    identity=principal.policies,
                    boundary=principal.boundary,
                    resource=trusted.trust,
                )
            )
            decision = evaluator.evaluate(request)
        else:
            decision = principal.evaluator.evaluate(request)
        if decision.allowed:
            out.append(Grantee(principal, decision))
    return out
