"""CloudTrail events (eventVersion 1.08) built from what the request pipeline knows.

Building is pure and cheap (dicts only, no I/O), so it runs on the request path; serializing
and writing happen in :class:`iamd.audit.recorder.Recorder`'s thread.  No secret ever enters an
event: secret parameters and response fields are dropped or replaced with :data:`HIDDEN`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from iamd.errors import AWSError
from iamd.services.caller import Caller

EVENT_VERSION = "1.08"
HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"
READ_PREFIXES = (
    "Get",
    "List",
    "Simulate",
    "Generate",
    # CloudTrail (DescribeTrails, LookupEvents) and Access Analyzer (ValidatePolicy,
    # CheckNoNewAccess ...) read without changing anything; IAM and STS have no operation
    # starting so.
    "Describe",
    "Lookup",
    "Validate",
    "Check",
)

DROPPED = frozenset({"SecretAccessKey"})
"""Left out entirely, as CloudTrail leaves CreateAccessKey's secret out."""
SECRETS = frozenset(
    {
        "Password",
        "OldPassword",
        "NewPassword",
        "SessionToken",
        "TokenCode",
        "AuthenticationCode1",
        "AuthenticationCode2",
        "PrivateKey",
        "WebIdentityToken",
        "SAMLAssertion",
        "Base32StringSeed",
        "QRCodePNG",
        "ServicePassword",
        "ServiceCredentialSecret",
    }
)
"""Parameter and response members whose value is replaced with :data:`HIDDEN`."""


def build(
    *,
    service: str,
    operation: str,
    identity: dict[str, Any],
    account_id: str,
    region: str,
    source_ip: str,
    user_agent: str,
    request_id: str,
    params: Mapping[str, Any] | None = None,
    result: Mapping[str, Any] | None = None,
    error: AWSError | None = None,
    now: datetime | None = None,
    resources: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """One event.  ``identity`` comes from :func:`user_identity` or :func:`unknown_identity`;
    ``resources`` from :func:`resources`."""
    read_only = service == "sts" or operation.startswith(READ_PREFIXES)
    response = None
    if error is None and result is not None and (not read_only or "Credentials" in result):
        response = _clean(result)
    event: dict[str, Any] = {
        "eventVersion": EVENT_VERSION,
        "userIdentity": identity,
        "eventTime": (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": f"{service}.amazonaws.com",
        "eventName": operation,
        "awsRegion": region,
        "sourceIPAddress": source_ip,
        "userAgent": user_agent,
    }
    if error is not None:
        event["errorCode"] = error.code
        event["errorMessage"] = error.message
    event["requestParameters"] = _clean(params) if params else None
    event["responseElements"] = response
    event["requestID"] = request_id
    event["eventID"] = str(uuid.uuid4())
    event["readOnly"] = read_only
    if resources:
        event["resources"] = resources
    event["eventType"] = "AwsApiCall"
    event["managementEvent"] = True
    event["recipientAccountId"] = account_id
    event["eventCategory"] = "Management"
    return event


# IAM entities a call acts on, as CloudTrail's event history names their types:
# name parameter -> (answer member, resource type, ARN resource prefix).
_NAMED = {
    "UserName": ("User", "AWS::IAM::User", "user"),
    "RoleName": ("Role", "AWS::IAM::Role", "role"),
    "GroupName": ("Group", "AWS::IAM::Group", "group"),
    "InstanceProfileName": ("InstanceProfile", "AWS::IAM::InstanceProfile", "instance-profile"),
}
_ANSWERED = {entity: (kind, param) for param, (entity, kind, _) in _NAMED.items()}
ACCESS_KEY = "AWS::IAM::AccessKey"
POLICY = "AWS::IAM::Policy"


def resources(
    service: str,
    account_id: str,
    params: Mapping[str, Any] | None,
    result: Mapping[str, Any] | None,
) -> list[dict[str, str]]:
    """The event's ``resources[{ARN, accountId, type}]``: the IAM entities the call names.

    An entity's ARN comes from the answer when it carries one (``User.Arn``); otherwise it is
    built from the name and the ``Path`` parameter, or ``/``.  An access key's "ARN" is its
    id, which is how CloudTrail's event history names access keys.  Runs on the request path:
    it only looks at the few members that can name a resource.
    """
    if service not in ("iam", "sts") or (not params and not result):
        return []
    params = params or {}
    result = result or {}
    found: dict[tuple[str, str], dict[str, str]] = {}
    answered: dict[str, str] = {}  # resource type -> ARN from the answer
    for entity in result.keys() & _ANSWERED.keys():
        value = result[entity]
        arn = value.get("Arn") if isinstance(value, Mapping) else None
        if isinstance(arn, str):
            answered[_ANSWERED[entity][0]] = arn
    for param in params.keys() & _NAMED.keys():
        name = params[param]
        _, kind, prefix = _NAMED[param]
        arn = answered.pop(kind, None)
        if arn is None or not arn.endswith("/" + str(name)):
            path = params.get("Path")
            arn = (
                f"arn:aws:iam::{account_id}:{prefix}{path if isinstance(path, str) else '/'}{name}"
            )
        _add(found, account_id, kind, arn)
    for kind, arn in answered.items():
        _add(found, account_id, kind, arn)
    if service == "sts" and isinstance(params.get("RoleArn"), str):
        _add(found, account_id, "AWS::IAM::Role", params["RoleArn"])
    if isinstance(params.get("PolicyArn"), str):
        _add(found, account_id, POLICY, params["PolicyArn"])
    policy = result.get("Policy")
    if isinstance(policy, Mapping) and isinstance(policy.get("Arn"), str):
        _add(found, account_id, POLICY, policy["Arn"])
    key = result.get("AccessKey")
    if service == "iam" and isinstance(params.get("AccessKeyId"), str):
        _add(found, account_id, ACCESS_KEY, params["AccessKeyId"])
    if isinstance(key, Mapping):
        if isinstance(key.get("AccessKeyId"), str):
            _add(found, account_id, ACCESS_KEY, key["AccessKeyId"])
        if isinstance(key.get("UserName"), str) and "UserName" not in params:
            user = f"arn:aws:iam::{account_id}:user/{key['UserName']}"
            _add(found, account_id, "AWS::IAM::User", user)
    return list(found.values())


def _add(found: dict[tuple[str, str], dict[str, str]], account: str, kind: str, arn: str) -> None:
    if (kind, arn) not in found:
        found[(kind, arn)] = {"ARN": arn, "accountId": account, "type": kind}


def user_identity(caller: Caller) -> dict[str, Any]:
    """CloudTrail's ``userIdentity`` for an authenticated caller."""
    identity: dict[str, Any] = {
        "type": caller.kind,
        "principalId": caller.principal_id,
        "arn": caller.arn,
        "accountId": caller.account_id,
    }
    if caller.access_key_id:
        identity["accessKeyId"] = caller.access_key_id
    if caller.kind == "IAMUser" and caller.name:
        identity["userName"] = caller.name
    if caller.token_issue_time is None:
        return identity
    context: dict[str, Any] = {}
    if caller.role_id is not None and caller.role_arn:
        context["sessionIssuer"] = {
            "type": "Role",
            "principalId": caller.role_id,
            "arn": caller.role_arn,
            "accountId": caller.account_id,
            "userName": caller.role_arn.rsplit("/", 1)[-1],
        }
    elif caller.kind == "FederatedUser" and caller.user_id:
        context["sessionIssuer"] = {
            "type": "IAMUser",
            "principalId": caller.user_id,
            "accountId": caller.account_id,
        }
    context["attributes"] = {
        "creationDate": caller.token_issue_time,
        "mfaAuthenticated": "true" if caller.mfa_authenticated else "false",
    }
    if caller.source_identity:
        context["sourceIdentity"] = caller.source_identity
    identity["sessionContext"] = context
    return identity


def federated_identity(operation: str, result: Mapping[str, Any] | None) -> dict[str, Any]:
    """The unsigned AssumeRoleWithWebIdentity / AssumeRoleWithSAML caller, from the answer."""
    result = result or {}
    if operation == "AssumeRoleWithSAML":
        identity: dict[str, Any] = {"type": "SAMLUser"}
        subject, provider = result.get("Subject"), result.get("Issuer")
        if subject:
            identity["principalId"] = f"{result.get('NameQualifier', '')}:{subject}"
            identity["userName"] = subject
    else:
        identity = {"type": "WebIdentityUser"}
        subject, provider = result.get("SubjectFromWebIdentityToken"), result.get("Provider")
        if subject:
            identity["principalId"] = f"{provider}:{result.get('Audience', '')}:{subject}"
            identity["userName"] = subject
    if provider:
        identity["identityProvider"] = provider
    return identity


def unknown_identity(access_key_id: str | None) -> dict[str, Any]:
    """A caller that did not authenticate: an unknown key, or no credential at all."""
    if not access_key_id:
        return {"type": "AWSAccount", "accountId": "ANONYMOUS_PRINCIPAL"}
    return {"type": "Unknown", "accessKeyId": access_key_id}


def lower_camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _clean(value: Any) -> Any:
    """A JSON-ready copy with CloudTrail's lower-camel member names and no secrets."""
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            name = str(key)
            if name in DROPPED:
                continue
            out[lower_camel(name)] = HIDDEN if name in SECRETS else _clean(item)
        return out
    if isinstance(value, (list, tuple)):
        return [_clean(item) for item in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return HIDDEN  # blobs (QR codes, certificates' keys) are never logged
    return str(value)
