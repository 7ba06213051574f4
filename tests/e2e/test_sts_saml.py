"""AssumeRoleWithSAML over the wire with boto3, against an IdP whose self-signed certificate
and signed responses the test makes with signxml.

AWS behaviour and messages:
- https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithSAML.html
- what the response must contain, SessionDuration, PrincipalTag, SourceIdentity:
  https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_saml_assertions.html
- saml:* condition keys:
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-saml
- "Response signature invalid", "RoleSessionName is required in AuthnResponse",
  "RoleSessionName in AuthnResponse must match ...", "Source Identity must match ...",
  "Not authorized to perform sts:AssumeRoleWithSAML" (also for missing sts:TagSession),
  "Issuer not present in specified provider", "Specified provider doesn't exist.":
  https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_saml.html
- "Token must be redeemed within 5 minutes of issuance" (ExpiredTokenException):
  https://github.com/Nike-Inc/gimme-aws-creds/issues/251
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from support.idp import AWS_SAML, SamlIdp, decode_response, encode_response
from support.live import LiveServer

IDP = SamlIdp("https://idp.example.test/saml")
DENIED = ("AccessDenied", "Not authorized to perform sts:AssumeRoleWithSAML", 403)


@pytest.fixture(scope="module")
def provider(server: LiveServer) -> str:
    arn: str = server.client("iam").create_saml_provider(
        Name="ExampleIdP", SAMLMetadataDocument=IDP.metadata()
    )["SAMLProviderArn"]
    return arn


@pytest.fixture
def sts(server: LiveServer) -> Any:
    return boto3.client(
        "sts",
        endpoint_url=server.url,
        region_name="us-east-1",
        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}),
    )


def trust(provider: str, conditions: dict[str, Any] | None = None, actions: Any = None) -> str:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Federated": provider},
        "Action": actions or "sts:AssumeRoleWithSAML",
        "Condition": conditions or {"StringEquals": {"SAML:aud": AWS_SAML}},
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def role(iam: Any, name: str, policy: str, **kwargs: Any) -> str:
    arn: str = iam.create_role(RoleName=name, AssumeRolePolicyDocument=policy, **kwargs)["Role"][
        "Arn"
    ]
    return arn


def error_of(call: Callable[[], Any]) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as info:
        call()
    response = info.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


@pytest.mark.parametrize("sign", ["assertion", "response"])
def test_assume_role_with_saml(
    server: LiveServer,
    iam: Any,
    sts: Any,
    provider: str,
    unique: Callable[[str], str],
    sign: str,
) -> None:
    name = unique("saml")
    role_arn = role(iam, name, trust(provider))
    response = IDP.response(
        sign=sign, roles=[f"{role_arn},{provider}"], session_name="alice@example.test"
    )
    out = sts.assume_role_with_saml(RoleArn=role_arn, PrincipalArn=provider, SAMLAssertion=response)
    session_arn = f"arn:aws:sts::{server.account_id}:assumed-role/{name}/alice@example.test"
    assert out["AssumedRoleUser"]["Arn"] == session_arn
    assert out["Subject"] == "_a1b2c3" and out["SubjectType"] == "persistent"
    assert out["Issuer"] == IDP.entity_id and out["Audience"] == AWS_SAML
    digest = hashlib.sha1(f"{IDP.entity_id}{server.account_id}/ExampleIdP".encode()).digest()
    assert out["NameQualifier"] == base64.b64encode(digest).decode()
    lifetime = out["Credentials"]["Expiration"].timestamp() - time.time()
    assert 3500 < lifetime <= 3600
    creds = out["Credentials"]
    me = server.client(
        "sts", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]
    ).get_caller_identity()
    assert me["Arn"] == session_arn


def test_saml_condition_keys(
    server: LiveServer, iam: Any, sts: Any, provider: str, unique: Callable[[str], str]
) -> None:
    conditions = {
        "StringEquals": {
            "SAML:aud": AWS_SAML,
            "saml:iss": IDP.entity_id,
            "saml:doc": f"{server.account_id}/ExampleIdP",
            "saml:sub_type": "persistent",
        },
        "ForAnyValue:StringEquals": {"saml:edupersonaffiliation": "faculty"},
    }
    role_arn = role(iam, unique("edu"), trust(provider, conditions))
    affiliation = "urn:oid:1.3.6.1.4.1.5923.1.1.1.1"

    def assume(values: list[str]) -> Any:
        response = IDP.response(roles=[f"{role_arn},{provider}"], attributes={affiliation: values})
        return sts.assume_role_with_saml(
            RoleArn=role_arn, PrincipalArn=provider, SAMLAssertion=response
        )

    assume(["staff", "faculty"])
    assert error_of(lambda: assume(["student"])) == DENIED


def test_session_duration_tags_and_source_identity(
    server: LiveServer, iam: Any, sts: Any, provider: str, unique: Callable[[str], str]
) -> None:
    actions = ["sts:AssumeRoleWithSAML", "sts:TagSession", "sts:SetSourceIdentity"]
    role_arn = role(iam, unique("attrs"), trust(provider, actions=actions))
    attributes = {
        "https://aws.amazon.com/SAML/Attributes/SessionDuration": ["1800"],
        "https://aws.amazon.com/SAML/Attributes/PrincipalTag:Project": ["Marketing"],
        "https://aws.amazon.com/SAML/Attributes/TransitiveTagKeys": ["Project"],
        "https://aws.amazon.com/SAML/Attributes/SourceIdentity": ["DiegoRamirez"],
    }
    response = IDP.response(roles=[f"{role_arn},{provider}"], attributes=attributes)
    out = sts.assume_role_with_saml(RoleArn=role_arn, PrincipalArn=provider, SAMLAssertion=response)
    assert out["SourceIdentity"] == "DiegoRamirez"
    expires = out["Credentials"]["Expiration"]
    assert 1700 < (expires - datetime.now(UTC)).total_seconds() <= 1800
    # Without sts:TagSession and sts:SetSourceIdentity the same response is refused.
    bare = role(iam, unique("bare"), trust(provider))
    response = IDP.response(roles=[f"{bare},{provider}"], attributes=attributes)
    assert (
        error_of(
            lambda: sts.assume_role_with_saml(
                RoleArn=bare, PrincipalArn=provider, SAMLAssertion=response
            )
        )
        == DENIED
    )


def test_refusals_leave_nothing_behind(
    server: LiveServer, iam: Any, sts: Any, provider: str, unique: Callable[[str], str]
) -> None:
    name = unique("guard")
    role_arn = role(iam, name, trust(provider), MaxSessionDuration=3600)
    pair = f"{role_arn},{provider}"

    def attempt(response: str, **kwargs: Any) -> tuple[str, str, int]:
        params = {"RoleArn": role_arn, "PrincipalArn": provider, "SAMLAssertion": response}
        params.update(kwargs)
        return error_of(lambda: sts.assume_role_with_saml(**params))

    invalid = ("InvalidIdentityToken", "Response signature invalid", 400)
    assert attempt(IDP.response(sign="none", roles=[pair])) == invalid
    assert attempt(SamlIdp(IDP.entity_id).response(roles=[pair])) == invalid
    forged = decode_response(IDP.response(roles=[pair], session_name="alice"))
    assert attempt(encode_response(forged.replace(b">alice<", b">admin<"))) == invalid

    other_role = role_arn.replace(name, unique("other"))
    assert attempt(IDP.response(roles=[f"{other_role},{provider}"])) == DENIED
    assert attempt(IDP.response(roles=[pair], session_name=None)) == (
        "InvalidIdentityToken",
        "RoleSessionName is required in AuthnResponse",
        400,
    )
    assert attempt(IDP.response(roles=[pair], session_name="has space")) == (
        "InvalidIdentityToken",
        "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}",
        400,
    )
    source = {"https://aws.amazon.com/SAML/Attributes/SourceIdentity": ["aws:root"]}
    assert attempt(IDP.response(roles=[pair], attributes=source))[1] == (
        'Source Identity must match [a-zA-Z_0-9+=,.@-]{2,64} and not begin with "aws:"'
    )
    assert attempt(IDP.response(roles=[pair], issuer="https://other.example.test"))[:2] == (
        "InvalidIdentityToken",
        "Issuer not present in specified provider",
    )
    old = time.time() - 900
    assert attempt(IDP.response(roles=[pair], issued=old, not_on_or_after=old + 3600)) == (
        "ExpiredTokenException",
        "Token must be redeemed within 5 minutes of issuance",
        400,
    )
    failed = IDP.response(roles=[pair], status="urn:oasis:names:tc:SAML:2.0:status:Responder")
    code, _, status = attempt(failed)
    assert (code, status) == ("IDPRejectedClaim", 403)
    code, _, status = attempt(IDP.response(roles=[pair], audience="https://sp.example.test"))
    assert (code, status) == ("InvalidIdentityToken", 400)
    missing = provider.replace("ExampleIdP", "NoSuchIdP")
    assert attempt(IDP.response(roles=[f"{role_arn},{missing}"]), PrincipalArn=missing)[:2] == (
        "InvalidIdentityToken",
        "Specified provider doesn't exist.",
    )
    good = IDP.response(roles=[pair])
    assert attempt(good, DurationSeconds=7200) == (
        "ValidationError",
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        400,
    )
    code, _, _ = attempt(good, Policy='{"Version": "2012-10-17", "Statement": [{"Effect": 1}]}')
    assert code == "MalformedPolicyDocument"

    assert "LastUsedDate" not in iam.get_role(RoleName=name)["Role"]["RoleLastUsed"]
    out = sts.assume_role_with_saml(RoleArn=role_arn, PrincipalArn=provider, SAMLAssertion=good)
    assert "LastUsedDate" not in iam.get_role(RoleName=name)["Role"]["RoleLastUsed"]
    # A role is used when a session of it makes a request (API_RoleLastUsed; the AWS security
    # blog "Identify unused IAM roles ... with the last used timestamp").
    credentials = out["Credentials"]
    server.client(
        "sts",
        credentials["AccessKeyId"],
        credentials["SecretAccessKey"],
        credentials["SessionToken"],
    ).get_caller_identity()
    server.app.recorder.flush()  # last use is read from the audit trail, written off the path
    assert iam.get_role(RoleName=name)["Role"]["RoleLastUsed"].get("LastUsedDate")


def test_a_session_policy_narrows_the_session(
    server: LiveServer, iam: Any, sts: Any, provider: str, unique: Callable[[str], str]
) -> None:
    name = unique("narrow")
    role_arn = role(iam, name, trust(provider))
    iam.put_role_policy(
        RoleName=name,
        PolicyName="all-iam-reads",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "iam:Get*", "Resource": "*"}],
            }
        ),
    )
    session_policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}],
        }
    )
    out = sts.assume_role_with_saml(
        RoleArn=role_arn,
        PrincipalArn=provider,
        SAMLAssertion=IDP.response(roles=[f"{role_arn},{provider}"]),
        Policy=session_policy,
    )
    assert out["PackedPolicySize"] >= 1
    creds = out["Credentials"]
    client = server.client(
        "iam", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]
    )
    code, _, _ = error_of(lambda: client.get_role(RoleName=name))
    assert code == "AccessDenied"
