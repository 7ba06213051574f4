"""The request context AWS builds for every call: who, from where, when, how.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
"""

from __future__ import annotations

from datetime import datetime

from iamd.services.caller import Caller

ContextValue = str | list[str]

_PRINCIPAL_TYPE = {
    "Root": "Account",
    "IAMUser": "User",
    "AssumedRole": "AssumedRole",
    "WebIdentityUser": "AssumedRole",
    "SAMLUser": "AssumedRole",
    "FederatedUser": "FederatedUser",
}


def principal_context(caller: Caller) -> dict[str, ContextValue]:
    """The keys that depend only on the caller; cached with the caller."""
    context: dict[str, ContextValue] = {
        "aws:PrincipalArn": caller.arn,
        "aws:PrincipalAccount": caller.account_id,
        "aws:PrincipalType": _PRINCIPAL_TYPE.get(caller.kind, caller.kind),
        "aws:userid": caller.principal_id,
    }
    if caller.kind == "IAMUser":
        context["aws:username"] = caller.name
    if caller.role_arn:
        # For a role session aws:PrincipalArn is the role's ARN, not the session's.
        context["aws:PrincipalArn"] = caller.role_arn
    if caller.federated_provider:
        context["aws:FederatedProvider"] = caller.federated_provider
    for key, value in caller.tags.items():
        context[f"aws:PrincipalTag/{key}"] = value
    if caller.mfa_authenticated is not None:
        context["aws:MultiFactorAuthPresent"] = "true" if caller.mfa_authenticated else "false"
        if caller.mfa_auth_age is not None:
            context["aws:MultiFactorAuthAge"] = str(caller.mfa_auth_age)
    if caller.token_issue_time:
        context["aws:TokenIssueTime"] = caller.token_issue_time
    if caller.source_identity:
        context["aws:SourceIdentity"] = caller.source_identity
    return context


def request_context(
    caller_context: dict[str, ContextValue],
    *,
    now: datetime,
    source_ip: str,
    secure: bool,
    region: str,
    extra: dict[str, ContextValue],
) -> dict[str, ContextValue]:
    context = dict(caller_context)
    context["aws:CurrentTime"] = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    context["aws:EpochTime"] = str(int(now.timestamp()))
    context["aws:SourceIp"] = source_ip
    context["aws:SecureTransport"] = "true" if secure else "false"
    context["aws:RequestedRegion"] = region
    context.update(extra)
    return context
