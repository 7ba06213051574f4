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
READ_PREFIXES = ("Get", "List", "Simulate", "Generate")

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
) -> dict[str, Any]:
    """One event.  ``identity`` comes from :func:`user_identity` or :func:`unknown_identity`."""
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
    event["eventType"] = "AwsApiCall"
    event["managementEvent"] = True
    event["recipientAccountId"] = account_id
    event["eventCategory"] = "Management"
    return event


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
