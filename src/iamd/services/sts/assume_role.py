"""AssumeRole: the trust policy decides, with MFA, external ids, session policies and tags.

https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-api.html
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from iamd.auth.mfa import check_code, verify_code
from iamd.errors import AccessDenied, MalformedPolicyDocument, ValidationError
from iamd.policy import MalformedPolicyError, Policy, PolicyKind, parse_policy
from iamd.services.call import Call
from iamd.services.iam.common import cached_role
from iamd.services.registry import Target
from iamd.services.sts.common import (
    CHAINED_MAX_SECONDS,
    REGISTRY,
    check_duration,
    issue,
    packed_size,
    session_tags,
)
from iamd.services.sts.last_used import touch_role
from iamd.store import Tx
from iamd.store.records import Role, Tag

NOBODY = parse_policy({"Version": "2012-10-17", "Statement": []}, PolicyKind.TRUST, "none")
"""Stands in for the trust policy of a role that does not exist: it trusts no one."""
MFA_MISSING = (
    "MultiFactorAuthentication failed, must provide both MFA serial number and one time pass code."
)
MFA_INVALID = "MultiFactorAuthentication failed with invalid MFA one time pass code. "


def _role_of(call: Call) -> tuple[Role, list[Tag]] | None:
    arn = call.params["RoleArn"]
    fields = arn.split(":", 5)
    if len(fields) != 6 or fields[2] != "iam" or fields[4] != call.account_id:
        return None
    if not fields[5].startswith("role/"):
        return None
    try:
        role, tags = cached_role(call, fields[5].rsplit("/", 1)[-1])
    except Exception:  # NoSuchEntity: AWS answers AccessDenied, never revealing the role
        return None
    return (role, tags) if role.arn == arn else None


def _trust_policy(role: Role) -> Policy:
    try:
        return parse_policy(role.assume_role_policy, PolicyKind.TRUST, f"{role.name} trust policy")
    except MalformedPolicyError:
        return NOBODY


def _mfa_context(call: Call, tx: Tx) -> dict[str, str | list[str]]:
    serial, code = call.param("SerialNumber"), call.param("TokenCode")
    user_id = call.caller.user_id
    if not serial or not code or not user_id:
        return {}
    if not check_code(tx, serial, user_id, code, datetime.now(UTC)):
        return {}
    return {"aws:MultiFactorAuthPresent": "true", "aws:MultiFactorAuthAge": "0"}


def _target(call: Call, tx: Tx) -> Target:
    found = _role_of(call)
    context: dict[str, str | list[str]] = {
        "sts:RoleSessionName": call.params["RoleSessionName"],
    }
    for param, key in (("ExternalId", "sts:ExternalId"), ("SourceIdentity", "sts:SourceIdentity")):
        if call.param(param) is not None:
            context[key] = call.params[param]
    tags = call.param("Tags") or []
    for tag in tags:
        context[f"aws:RequestTag/{tag['Key']}"] = tag.get("Value", "")
    if tags:
        context["aws:TagKeys"] = [t["Key"] for t in tags]
    if call.param("TransitiveTagKeys"):
        context["sts:TransitiveTagKeys"] = list(call.params["TransitiveTagKeys"])
    context.update(_mfa_context(call, tx))
    if found is None:
        return Target(call.params["RoleArn"], context, resource_policy=NOBODY)
    role, role_tags = found
    for tag in role_tags:
        context[f"aws:ResourceTag/{tag.key}"] = tag.value
        context[f"iam:ResourceTag/{tag.key}"] = tag.value
    return Target(role.arn, context, resource_policy=_trust_policy(role))


def _session_policies(call: Call, tx: Tx) -> tuple[list[str], list[str]]:
    documents: list[str] = []
    inline = call.param("Policy")
    if inline is not None:
        try:
            parse_policy(inline, PolicyKind.SESSION, "Policy")
        except MalformedPolicyError as exc:
            raise MalformedPolicyDocument(exc.errors[0].message) from None
        documents.append(inline)
    arns = [item["arn"] for item in call.param("PolicyArns") or []]
    for arn in arns:
        document = tx.policies.default_document(arn)
        if document is None:
            raise ValidationError(f"Policy {arn} does not exist or is not attachable.")
        documents.append(document)
    return documents, arns


@REGISTRY.operation("AssumeRole", target=_target)
def assume_role(call: Call) -> dict[str, Any]:
    found = _role_of(call)
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
    source_identity = call.param("SourceIdentity")
    if caller.source_identity:
        if source_identity and source_identity != caller.source_identity:
            raise AccessDenied("The source identity of a role session cannot be changed.")
        source_identity = caller.source_identity
    mfa = bool(call.param("SerialNumber") or call.param("TokenCode"))
    with call.store.read() as tx:
        policies, arns = _session_policies(call, tx)
    packed = packed_size(policies, tags)
    mfa_time = caller.expires_at and None
    if mfa:
        serial, code = call.param("SerialNumber"), call.param("TokenCode")
        if not serial or not code:
            raise AccessDenied(MFA_MISSING)
        with call.store.write() as tx:
            if not caller.user_id or not verify_code(
                tx, serial, caller.user_id, code, datetime.now(UTC)
            ):
                raise AccessDenied(MFA_INVALID)
        mfa_time = datetime.now(UTC).timestamp()
    elif caller.mfa_authenticated:
        # A chained session keeps the MFA state of the session that assumed it.
        mfa_time = datetime.now(UTC).timestamp() - (caller.mfa_auth_age or 0)
    session = call.params["RoleSessionName"]
    session_arn = f"arn:aws:sts::{call.account_id}:assumed-role/{role.name}/{session}"
    principal_tags = {t.key: t.value for t in role_tags}
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
