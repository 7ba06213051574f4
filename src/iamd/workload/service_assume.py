"""AssumeRole on behalf of an AWS service: how iamd decides a workload endpoint's request.

In AWS nobody signs a request as ``ec2.amazonaws.com``.  Whoever launches an instance with an
instance profile (or runs an ECS task with a task role) must be allowed ``iam:PassRole`` on the
role with ``iam:PassedToService`` naming the service; the service then assumes the role itself,
as the service principal, so the role's trust policy must trust that service.
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-ec2.html
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html

An AssumeRole that names a :class:`~iamd.workload.delegation.Delegation` is decided the same
way, in one call:

1. the caller must be allowed ``iam:PassRole`` on the role with ``iam:PassedToService`` = the
   service (and ``iam:AssociatedResourceArn`` = the instance or task, when named); the root
   user may pass any role of its account;
2. the role's trust policy is evaluated with the *service* as the principal, never the caller,
   so a role that does not trust ``ec2.amazonaws.com`` cannot be had this way;
3. for EC2, the role must be the role of the named instance profile.

The caller needs no ``sts:AssumeRole`` permission of its own (it does not assume the role), but
an explicit deny of it on the role still refuses.  The session is an ordinary role session
(``assumed-role/ROLE/SESSION``).  Session policies, tags, MFA, an external id and a source
identity are refused: AWS services pass none of them, and each would need its own checks.

Without the hook in AssumeRole's target function, ``ProvidedContexts`` is ignored and the call
is an ordinary AssumeRole by the caller, which the trust policy refuses: it fails closed.
"""

from __future__ import annotations

from iamd.errors import ValidationError
from iamd.policy import Evaluator, MalformedPolicyError, PolicyKind, PolicySet, Request
from iamd.policy import parse_policy as _parse_policy
from iamd.services.call import Call
from iamd.services.iam.common import cached_role
from iamd.services.registry import ContextValue, Target
from iamd.store import Tx
from iamd.store.records import Role, Tag
from iamd.workload.delegation import EC2, Delegation, requested

_NOT_WITH_SERVICE = (
    "Policy",
    "PolicyArns",
    "Tags",
    "TransitiveTagKeys",
    "ExternalId",
    "SerialNumber",
    "TokenCode",
    "SourceIdentity",
)
NOBODY = _parse_policy({"Version": "2012-10-17", "Statement": []}, PolicyKind.TRUST, "none")
"""Refuses: stands in for a trust policy that does not let the service in."""


def _role(call: Call) -> tuple[Role, list[Tag]] | None:
    arn = call.params["RoleArn"]
    fields = arn.split(":", 5)
    if len(fields) != 6 or fields[2] != "iam" or fields[4] != call.account_id:
        return None
    if not fields[5].startswith("role/"):
        return None
    try:
        role, tags = cached_role(call, fields[5].rsplit("/", 1)[-1])
    except Exception:  # NoSuchEntity: refused like any role that does not trust the service
        return None
    return (role, tags) if role.arn == arn else None


def _in_profile(tx: Tx, call: Call, role: Role, profile_arn: str | None) -> bool:
    if not profile_arn:
        return False
    fields = profile_arn.split(":", 5)
    if len(fields) != 6 or fields[4] != call.account_id:
        return False
    profile = tx.instance_profiles.get(call.account_id, fields[5].rsplit("/", 1)[-1])
    if profile is None or profile.arn != profile_arn:
        return False
    return any(r.id == role.id for r in tx.instance_profiles.roles(profile.id))


def service_trusts(
    role: Role, delegation: Delegation, account_id: str, context: dict[str, ContextValue]
) -> bool:
    """Whether the role's trust policy lets the service itself assume the role."""
    try:
        trust = _parse_policy(
            role.assume_role_policy, PolicyKind.TRUST, f"{role.name} trust policy"
        )
    except MalformedPolicyError:
        return False
    keys: dict[str, ContextValue] = {
        **context,
        "aws:SourceAccount": account_id,
        "aws:PrincipalServiceName": delegation.service,
    }
    if delegation.source_arn:
        keys["aws:SourceArn"] = delegation.source_arn
    request = Request.build(delegation.service, "sts:AssumeRole", role.arn, keys, account_id)
    return Evaluator(PolicySet(resource=trust)).evaluate(request).allowed


def delegated_target(call: Call, tx: Tx) -> Target | None:
    """AssumeRole's authorization target when the request names a service delegation, else
    ``None`` (an ordinary AssumeRole).  AssumeRole's target function calls it first."""
    delegation = requested(call.params)
    if delegation is None:
        return None
    for name in _NOT_WITH_SERVICE:
        if call.param(name):
            raise ValidationError(f"{name} cannot be passed to a session for {delegation.service}.")
    caller = call.caller
    if caller.source_identity or any(k in caller.tags for k in caller.transitive_tag_keys):
        raise ValidationError(
            "A session that carries a source identity or transitive tags cannot hand a role "
            f"to {delegation.service}."
        )
    arn = call.params["RoleArn"]
    context: dict[str, ContextValue] = {"sts:RoleSessionName": call.params["RoleSessionName"]}
    found = _role(call)
    if found is None:
        return Target(arn, context, resource_policy=NOBODY)
    role, tags = found
    for tag in tags:
        context[f"aws:ResourceTag/{tag.key}"] = tag.value
        context[f"iam:ResourceTag/{tag.key}"] = tag.value
    passed: dict[str, ContextValue] = {"iam:PassedToService": delegation.service}
    if delegation.source_arn:
        passed["iam:AssociatedResourceArn"] = delegation.source_arn
    checks: list[tuple[str, Target]] = [("iam:PassRole", Target(role.arn, passed))]
    trusted = service_trusts(role, delegation, call.account_id, context)
    if delegation.service == EC2:
        trusted = trusted and _in_profile(tx, call, role, delegation.instance_profile_arn)
    if not trusted:
        # After the PassRole check, so that only a caller who may hand the role over learns
        # that the service may not have it.
        checks.append(("sts:AssumeRole", Target(role.arn, context, resource_policy=NOBODY)))
    return Target(role.arn, context, self_service=True, also=tuple(checks))
