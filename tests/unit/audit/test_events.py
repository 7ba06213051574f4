"""CloudTrail event shape per identity type, and that no secret ever reaches an event."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from iamd.audit import events as audit
from iamd.errors import AccessDenied
from iamd.services.caller import Caller

ACCOUNT = "123456789012"


def user() -> Caller:
    return Caller(
        kind="IAMUser",
        arn=f"arn:aws:iam::{ACCOUNT}:user/alice",
        account_id=ACCOUNT,
        principal_id="AIDAALICE",
        name="alice",
        access_key_id="AKIAALICE",
        user_id="AIDAALICE",
    )


def role_session(mfa: bool = True) -> Caller:
    return Caller(
        kind="AssumedRole",
        arn=f"arn:aws:sts::{ACCOUNT}:assumed-role/deploy/ci",
        account_id=ACCOUNT,
        principal_id="AROADEPLOY:ci",
        name="ci",
        access_key_id="ASIASESSION",
        role_id="AROADEPLOY",
        role_arn=f"arn:aws:iam::{ACCOUNT}:role/team/deploy",
        session_name="ci",
        mfa_authenticated=mfa,
        token_issue_time="2026-01-02T03:04:05Z",
        source_identity="bob",
    )


def event(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "service": "iam",
        "operation": "GetUser",
        "identity": audit.user_identity(user()),
        "account_id": ACCOUNT,
        "region": "us-east-1",
        "source_ip": "10.0.0.1",
        "user_agent": "Boto3/1.0",
        "request_id": "req-1",
        "params": {"UserName": "alice"},
        "now": datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=UTC),
    }
    values.update(overrides)
    return audit.build(**values)


def test_top_level_fields() -> None:
    e = event(result={"User": {"UserName": "alice"}})
    assert e["eventVersion"] == "1.08"
    assert e["eventTime"] == "2026-01-02T03:04:05Z"
    assert e["eventSource"] == "iam.amazonaws.com"
    assert e["eventName"] == "GetUser"
    assert e["awsRegion"] == "us-east-1"
    assert e["sourceIPAddress"] == "10.0.0.1"
    assert e["userAgent"] == "Boto3/1.0"
    assert e["requestParameters"] == {"userName": "alice"}
    assert e["responseElements"] is None  # reads carry no response
    assert e["requestID"] == "req-1"
    assert len(e["eventID"]) == 36
    assert e["readOnly"] is True
    assert e["eventType"] == "AwsApiCall"
    assert e["managementEvent"] is True
    assert e["eventCategory"] == "Management"
    assert e["recipientAccountId"] == ACCOUNT
    assert "errorCode" not in e
    json.dumps(e)


def test_write_keeps_response_and_lower_camel_names() -> None:
    created = datetime(2026, 1, 1, tzinfo=UTC)
    e = event(
        operation="CreateUser",
        params={"UserName": "bob", "Tags": [{"Key": "team", "Value": "a"}]},
        result={"User": {"UserName": "bob", "CreateDate": created}},
    )
    assert e["readOnly"] is False
    assert e["requestParameters"] == {"userName": "bob", "tags": [{"key": "team", "value": "a"}]}
    assert e["responseElements"] == {
        "user": {"userName": "bob", "createDate": "2026-01-01T00:00:00Z"}
    }


def test_error_fields() -> None:
    e = event(operation="CreateUser", error=AccessDenied("User: x is not authorized"))
    assert e["errorCode"] == "AccessDenied"
    assert e["errorMessage"] == "User: x is not authorized"
    assert e["responseElements"] is None


def test_iam_user_identity() -> None:
    assert audit.user_identity(user()) == {
        "type": "IAMUser",
        "principalId": "AIDAALICE",
        "arn": f"arn:aws:iam::{ACCOUNT}:user/alice",
        "accountId": ACCOUNT,
        "accessKeyId": "AKIAALICE",
        "userName": "alice",
    }


def test_root_identity() -> None:
    root = Caller(
        kind="Root",
        arn=f"arn:aws:iam::{ACCOUNT}:root",
        account_id=ACCOUNT,
        principal_id=ACCOUNT,
        name="",
        access_key_id="AKIAROOT",
    )
    identity = audit.user_identity(root)
    assert identity["type"] == "Root"
    assert identity["principalId"] == ACCOUNT
    assert "userName" not in identity and "sessionContext" not in identity


def test_assumed_role_identity() -> None:
    identity = audit.user_identity(role_session())
    assert identity["type"] == "AssumedRole"
    assert identity["principalId"] == "AROADEPLOY:ci"
    assert identity["accessKeyId"] == "ASIASESSION"
    assert "userName" not in identity
    assert identity["sessionContext"] == {
        "sessionIssuer": {
            "type": "Role",
            "principalId": "AROADEPLOY",
            "arn": f"arn:aws:iam::{ACCOUNT}:role/team/deploy",
            "accountId": ACCOUNT,
            "userName": "deploy",
        },
        "attributes": {"creationDate": "2026-01-02T03:04:05Z", "mfaAuthenticated": "true"},
        "sourceIdentity": "bob",
    }
    no_mfa = audit.user_identity(role_session(mfa=False))
    assert no_mfa["sessionContext"]["attributes"]["mfaAuthenticated"] == "false"


def test_federated_user_identity() -> None:
    fed = Caller(
        kind="FederatedUser",
        arn=f"arn:aws:sts::{ACCOUNT}:federated-user/carol",
        account_id=ACCOUNT,
        principal_id=f"{ACCOUNT}:carol",
        name="carol",
        access_key_id="ASIAFED",
        user_id="AIDAALICE",
        token_issue_time="2026-01-02T03:04:05Z",
    )
    identity = audit.user_identity(fed)
    assert identity["type"] == "FederatedUser"
    assert identity["sessionContext"]["sessionIssuer"]["type"] == "IAMUser"
    assert identity["sessionContext"]["sessionIssuer"]["principalId"] == "AIDAALICE"


def test_web_identity_and_saml_identities() -> None:
    web = audit.federated_identity(
        "AssumeRoleWithWebIdentity",
        {"SubjectFromWebIdentityToken": "sub-1", "Provider": "issuer.example", "Audience": "app"},
    )
    assert web == {
        "type": "WebIdentityUser",
        "principalId": "issuer.example:app:sub-1",
        "userName": "sub-1",
        "identityProvider": "issuer.example",
    }
    saml = audit.federated_identity(
        "AssumeRoleWithSAML", {"Subject": "dana", "Issuer": "https://idp", "NameQualifier": "q"}
    )
    assert saml["type"] == "SAMLUser" and saml["userName"] == "dana"
    assert audit.federated_identity("AssumeRoleWithSAML", None) == {"type": "SAMLUser"}


def test_failed_authentication_identities() -> None:
    assert audit.unknown_identity("AKIAUNKNOWN") == {
        "type": "Unknown",
        "accessKeyId": "AKIAUNKNOWN",
    }
    assert audit.unknown_identity(None)["type"] == "AWSAccount"


SECRET_PARAMS = {
    "Password": "pw-secret-1",
    "OldPassword": "pw-secret-2",
    "NewPassword": "pw-secret-3",
    "TokenCode": "908172",
    "AuthenticationCode1": "837465",
    "AuthenticationCode2": "564738",
    "PrivateKey": "-----BEGIN PRIVATE KEY-----secret",
    "WebIdentityToken": "eyJ.secret.jwt",
    "SAMLAssertion": "PHNhbWw+secret",
}


def test_no_secret_from_request_or_response_in_event() -> None:
    secret, token = "wJalrXUtnFEMI/K7MDENG/secretkey", "FwoGZXIvYXdzEBsessiontoken"
    responses: list[dict[str, Any]] = [
        {"AccessKey": {"AccessKeyId": "AKIANEW", "SecretAccessKey": secret, "Status": "Active"}},
        {
            "Credentials": {
                "AccessKeyId": "ASIANEW",
                "SecretAccessKey": secret,
                "SessionToken": token,
                "Expiration": datetime(2026, 1, 1, tzinfo=UTC),
            },
            "AssumedRoleUser": {"Arn": "arn:aws:sts::1:assumed-role/r/s"},
        },
        {"VirtualMFADevice": {"Base32StringSeed": b"SEEDSECRET", "QRCodePNG": b"\x89PNGsecret"}},
        {"ServiceSpecificCredential": {"ServicePassword": "svc-secret-pw"}},
    ]
    for operation, response in zip(
        [
            "CreateAccessKey",
            "AssumeRole",
            "CreateVirtualMFADevice",
            "CreateServiceSpecificCredential",
        ],
        responses,
        strict=True,
    ):
        service = "sts" if operation == "AssumeRole" else "iam"
        e = event(service=service, operation=operation, params=SECRET_PARAMS, result=response)
        text = json.dumps(e)
        for value in [secret, token, "SEEDSECRET", "PNGsecret", "svc-secret-pw"]:
            assert value not in text, (operation, value)
        for value in SECRET_PARAMS.values():
            assert value not in text, (operation, value)
        assert e["requestParameters"]["password"] == audit.HIDDEN
    sts = event(service="sts", operation="AssumeRole", result=responses[1])
    credentials = sts["responseElements"]["credentials"]
    assert credentials["accessKeyId"] == "ASIANEW"
    assert "secretAccessKey" not in credentials
    assert credentials["sessionToken"] == audit.HIDDEN
    assert credentials["expiration"] == "2026-01-01T00:00:00Z"
    assert sts["readOnly"] is True


def test_reads_from_sts_without_credentials_have_no_response() -> None:
    e = event(service="sts", operation="GetCallerIdentity", params=None, result={"Account": "1"})
    assert e["responseElements"] is None and e["requestParameters"] is None
