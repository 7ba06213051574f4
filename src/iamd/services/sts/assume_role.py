"""AssumeRole: the trust policy decides, with MFA, external ids, session policies and tags.

https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-api.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_monitor.html
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from iamd.errors import AccessDenied, ValidationError
from iamd.policy import PolicyKind, parse_policy
from iamd.services.call import Call
from iamd.services.registry import Target
from iamd.services.sts.common import (
    CHAINED_MAX_SECONDS,
    MFA_INVALID,
    MFA_MISSING,
    REGISTRY,
    check_duration,
    check_mfa,
    inherited_tags,
    issue,
    mfa_params,
    packed_size,
    role_of,
    session_policies,
    session_tags,
    trust_policy,
)
from iamd.services.sts.last_used import touch_role
from iamd.store import Tx
from iamd.workload.service_assume import delegated_target

# The MFA messages lived here first; they stay importable from here.
__all__ = ["MFA_INVALID", "MFA_MISSING", "assume_role"]

NOBODY = parse_policy({"Version": "2012-10-17", "Statement": []}, PolicyKind.TRUST, "none")
"""Stands in for the trust policy of a role that does not exist: it trusts no one."""
ROOT_REFUSED = "Roles may not be assumed by root accounts."
SOURCE_IDENTITY_SET = "The source identity is already set for this assume role session"
"""What AWS answers a chained AssumeRole that names another source identity."""


def _source_identity(call: Call) -> str | None:
    """The source identity the new session will carry: the caller's, which cannot change
    along a chain, else the one requested."""
    inherited = call.caller.source_identity
    wanted: str | None = call.param("SourceIdentity")
    if inherited:
        if wanted and wanted != inherited:
            raise ValidationError(SOURCE_IDENTITY_SET)
        return inherited
    return wanted


def _target(call: Call, tx: Tx) -> Target:
    """sts:AssumeRole on the role, decided with the caller's policies and the role's trust
    policy; passing session tags (or inheriting transitive ones) also needs sts:TagSession,
    and a source identity sts:SetSourceIdentity, both allowed by the trust policy too."""
    delegated = delegated_target(call, tx)
    if delegated is not None:  # an endpoint standing in for EC2 or ECS: iamd.workload
        return delegated
    if call.caller.is_root:
        raise AccessDenied(ROOT_REFUSED)
    found = role_of(call)
    context: dict[str, str | list[str]] = {
        "sts:RoleSessionName": call.params["RoleSessionName"],
    }
    if call.param("ExternalId") is not None:
        context["sts:ExternalId"] = call.params["ExternalId"]
    source_identity = _source_identity(call)
    if source_identity:
        context["sts:SourceIdentity"] = source_identity
    tags = call.param("Tags") or []
    for tag in tags:
        context[f"aws:RequestTag/{tag['Key']}"] = tag.get("Value", "")
    if tags:
        context["aws:TagKeys"] = [t["Key"] for t in tags]
    if call.param("TransitiveTagKeys"):
        context["sts:TransitiveTagKeys"] = list(call.params["TransitiveTagKeys"])
    mfa = mfa_params(call)
    if mfa is not None:
        # Checked, not used up: authorization may still refuse the call, and a refused call
        # must leave the code good.  The handler uses it up.
        check_mfa(call, tx, *mfa, consume=False)
        context["aws:MultiFactorAuthPresent"] = "true"
        context["aws:MultiFactorAuthAge"] = "0"
    if found is None:
        return Target(call.params["RoleArn"], context, resource_policy=NOBODY)
    role, role_tags = found
    for tag in role_tags:
        context[f"aws:ResourceTag/{tag.key}"] = tag.value
        context[f"iam:ResourceTag/{tag.key}"] = tag.value
    trust = trust_policy(role) or NOBODY
    also: list[tuple[str, Target]] = []
    if tags or inherited_tags(call):
        also.append(("sts:TagSession", Target(role.arn, context, resource_policy=trust)))
    if source_identity:
        also.append(("sts:SetSourceIdentity", Target(role.arn, context, resource_policy=trust)))
    return Target(role.arn, context, resource_policy=trust, also=tuple(also))


@REGISTRY.operation("AssumeRole", target=_target)
def assume_role(call: Call) -> dict[str, Any]:
    found = role_of(call)
    if found is None:  # authorization already refused roles that do not exist
        raise AccessDenied("Not authorized to perform sts:AssumeRole")
    role, role_tags = found
    caller = call.caller
    if caller.chained:
        duration = check_duration(
            call,
            3600,
            900,
            CHAINED_MAX_SECONDS,
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed "
            "by role chaining.",
        )
    else:
        duration = check_duration(
            call,
            3600,
            900,
            role.max_session_duration,
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        )
    tags, transitive = session_tags(call)
    source_identity = _source_identity(call)
    policies, arns = session_policies(call)
    packed = packed_size(policies, tags)
    mfa = mfa_params(call)
    mfa_time: float | None = None
    if mfa is not None:
        # The last refusal: everything else has been checked, so only a call that succeeds
        # uses the code up.
        with call.store.write() as tx:
            check_mfa(call, tx, *mfa, consume=True)
        mfa_time = datetime.now(UTC).timestamp()
    elif caller.mfa_authenticated:
        # A session assumed from an MFA-authenticated session keeps its MFA state.
        mfa_time = datetime.now(UTC).timestamp() - (caller.mfa_auth_age or 0)
    session = call.params["RoleSessionName"]
    session_arn = f"arn:aws:sts::{call.account_id}:assumed-role/{role.name}/{session}"
    # Session tags override the role's tags with the same key, whatever its case.
    lowered = {key.lower() for key in tags}
    principal_tags = {t.key: t.value for t in role_tags if t.key.lower() not in lowered}
    principal_tags.update(tags)
    _, credentials = issue(
        call,
        duration=duration,
        kind="AssumedRole",
        arn=session_arn,
        principal_id=f"{role.id}:{session}",
        role_id=role.id,
        role_arn=role.arn,
        role_name=role.name,
        session_name=session,
        session_policies=policies,
        session_policy_arns=arns,
        tags=principal_tags,
        transitive_tag_keys=transitive,
        mfa_authenticated=mfa_time is not None,
        mfa_auth_time=mfa_time,
        source_identity=source_identity,
        chained=caller.chained,
    )
    touch_role(call.store, role.id, call.region)
    out: dict[str, Any] = {
        "Credentials": credentials,
        "AssumedRoleUser": {"AssumedRoleId": f"{role.id}:{session}", "Arn": session_arn},
        "PackedPolicySize": packed,
    }
    if source_identity:
        out["SourceIdentity"] = source_identity
    return out
