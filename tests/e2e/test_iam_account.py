"""The account over the wire with boto3: its alias, GetAccountSummary, and service-linked roles.

https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateAccountAlias.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/FindingYourAWSId.html
https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountSummary.html
https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateServiceLinkedRole.html
https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteServiceLinkedRole.html
"""

from __future__ import annotations

import gzip
import json
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import botocore
import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from iamd.services.iam.common import protected_role_error
from iamd.services.iam.service_linked_roles import role_name_for
from iamd.store.records import Role
from iamd.store.repos.providers import SamlProviders
from support.live import LiveServer


def error_of(call: Callable[[], Any]) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as info:
        call()
    response = info.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def allow(actions: list[str], resource: str = "*", condition: Any = None) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": actions, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


# Account alias -------------------------------------------------------------------------


def test_alias_lifecycle_and_replacement(iam: Any, unique: Callable[[str], str]) -> None:
    """An account has one alias; creating another overwrites it (FindingYourAWSId.html)."""
    first, second = unique("corp"), unique("corp")
    iam.create_account_alias(AccountAlias=first)
    assert iam.list_account_aliases()["AccountAliases"] == [first]
    iam.create_account_alias(AccountAlias=second)
    listed = iam.list_account_aliases()
    assert listed["AccountAliases"] == [second] and not listed["IsTruncated"]
    assert error_of(lambda: iam.delete_account_alias(AccountAlias=first)) == (
        "NoSuchEntity",
        f"The account alias {first} cannot be found.",
        404,
    )
    iam.delete_account_alias(AccountAlias=second)
    assert iam.list_account_aliases()["AccountAliases"] == []
    assert error_of(lambda: iam.delete_account_alias(AccountAlias=second))[0] == "NoSuchEntity"
    for bad in ("Upper-case", "double--dash", "-leading", "trailing-"):
        code, message, status = error_of(lambda bad=bad: iam.create_account_alias(AccountAlias=bad))
        assert (code, status) == ("ValidationError", 400) and "regular expression" in message


def test_alias_is_unique_across_accounts(
    server: LiveServer, iam: Any, unique: Callable[[str], str]
) -> None:
    taken = unique("taken")
    with server.app.store.write() as tx:
        if tx.accounts.get("999988887777") is None:
            tx.accounts.create("999988887777")
        tx.accounts.update("999988887777", alias=taken)
    assert error_of(lambda: iam.create_account_alias(AccountAlias=taken)) == (
        "EntityAlreadyExists",
        f"The account alias {taken} already exists.",
        409,
    )
    assert taken not in iam.list_account_aliases()["AccountAliases"]


def test_alias_calls_are_authorized(
    user_client: Callable[..., Any], unique: Callable[[str], str]
) -> None:
    nobody = user_client()
    code, message, _ = error_of(lambda: nobody.create_account_alias(AccountAlias=unique("x")))
    assert code == "AccessDenied" and "iam:CreateAccountAlias on resource: *" in message
    assert error_of(lambda: nobody.list_account_aliases())[0] == "AccessDenied"
    admin = user_client(
        allow(["iam:CreateAccountAlias", "iam:ListAccountAliases", "iam:DeleteAccountAlias"])
    )
    alias = unique("mine")
    admin.create_account_alias(AccountAlias=alias)
    assert admin.list_account_aliases()["AccountAliases"] == [alias]
    admin.delete_account_alias(AccountAlias=alias)


# GetAccountSummary ---------------------------------------------------------------------


def model_summary_keys() -> set[str]:
    """Every key botocore's IAM model allows in SummaryMap (summaryKeyType)."""
    path = Path(botocore.__file__).parent / "data" / "iam" / "2010-05-08" / "service-2.json.gz"
    with gzip.open(path) as handle:
        model = json.load(handle)
    return set(model["shapes"]["summaryKeyType"]["enum"])


# AWS's values in a fresh account, as recorded by LocalStack's AWS-validated snapshot
# (tests/aws/services/iam/test_iam_account_summary.snapshot.json).
AWS_QUOTAS = {
    "AccessKeysPerUserQuota": 2,
    "AssumeRolePolicySizeQuota": 2048,
    "AttachedPoliciesPerGroupQuota": 10,
    "AttachedPoliciesPerRoleQuota": 10,
    "AttachedPoliciesPerUserQuota": 10,
    "GlobalEndpointTokenVersion": 1,
    "GroupPolicySizeQuota": 5120,
    "GroupsPerUserQuota": 10,
    "GroupsQuota": 300,
    "InstanceProfilesQuota": 1000,
    "PoliciesQuota": 1500,
    "PolicySizeQuota": 6144,
    "PolicyVersionsInUseQuota": 10000,
    "RolePolicySizeQuota": 10240,
    "RolesQuota": 1000,
    "ServerCertificatesQuota": 20,
    "SigningCertificatesPerUserQuota": 2,
    "UserPolicySizeQuota": 2048,
    "UsersQuota": 5000,
    "VersionsPerPolicyQuota": 5,
}


def test_summary_has_every_key_and_awss_quotas(iam: Any) -> None:
    summary = iam.get_account_summary()["SummaryMap"]
    assert set(summary) == model_summary_keys()
    assert {k: summary[k] for k in AWS_QUOTAS} == AWS_QUOTAS
    assert summary["AccountAccessKeysPresent"] == 1  # the server's root keys
    assert summary["AccountMFAEnabled"] == 0 and summary["AccountPasswordPresent"] == 0


def _server_certificate() -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "summary.example.com")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode(), pem_key.decode()


def test_summary_counts_follow_the_account(
    server: LiveServer, iam: Any, unique: Callable[[str], str]
) -> None:
    before = iam.get_account_summary()["SummaryMap"]
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "ec2.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
    document = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}],
        }
    )
    iam.create_user(UserName=unique("u"))
    iam.create_group(GroupName=unique("g"))
    iam.create_role(RoleName=unique("r"), AssumeRolePolicyDocument=trust)
    arn = iam.create_policy(PolicyName=unique("p"), PolicyDocument=document)["Policy"]["Arn"]
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=document)
    iam.create_instance_profile(InstanceProfileName=unique("ip"))
    iam.create_open_id_connect_provider(Url=f"https://{unique('summary')}.example.com")
    with server.app.store.write() as tx:
        tx.repo(SamlProviders).create(server.account_id, unique("saml"), "<md/>", None)
    body, key = _server_certificate()
    iam.upload_server_certificate(
        ServerCertificateName=unique("c"), CertificateBody=body, PrivateKey=key
    )
    iam.create_virtual_mfa_device(VirtualMFADeviceName=unique("mfa"))
    after = iam.get_account_summary()["SummaryMap"]
    deltas = {k: after[k] - before[k] for k in after if not k.endswith("Quota")}
    assert {k: v for k, v in deltas.items() if v} == {
        "Users": 1,
        "Groups": 1,
        "Roles": 1,
        "Policies": 1,
        "PolicyVersionsInUse": 2,
        "InstanceProfiles": 1,
        "Providers": 2,
        "ServerCertificates": 1,
        "MFADevices": 1,
    }


def test_summary_is_authorized(user_client: Callable[..., Any]) -> None:
    nobody = user_client()
    code, message, _ = error_of(lambda: nobody.get_account_summary())
    assert code == "AccessDenied" and "iam:GetAccountSummary on resource: *" in message
    reader = user_client(allow(["iam:GetAccountSummary"]))
    assert reader.get_account_summary()["SummaryMap"]["UsersQuota"] == 5000


# Service-linked roles ------------------------------------------------------------------


def test_role_names_follow_aws() -> None:
    """Names AWS gives these services' roles, as its users meet them (e.g. "Service role name
    AWSServiceRoleForEC2Spot has been taken" in terraform-aws-modules issues)."""
    assert role_name_for("elasticbeanstalk.amazonaws.com") == "AWSServiceRoleForElasticBeanstalk"
    assert role_name_for("es.amazonaws.com") == "AWSServiceRoleForAmazonElasticsearchService"
    assert role_name_for("spot.amazonaws.com") == "AWSServiceRoleForEC2Spot"
    assert role_name_for("autoscaling.amazonaws.com") == "AWSServiceRoleForAutoScaling"
    assert (
        role_name_for("dynamodb.application-autoscaling.amazonaws.com")
        == "AWSServiceRoleForApplicationAutoScaling_DynamoDBTable"
    )
    assert role_name_for("new-thing.amazonaws.com") == "AWSServiceRoleForNewThing"
    assert role_name_for("edge.new-thing.amazonaws.com") == "AWSServiceRoleForNewThing_Edge"


def test_service_linked_role_lifecycle(server: LiveServer, iam: Any) -> None:
    service = "elasticbeanstalk.amazonaws.com"
    role = iam.create_service_linked_role(
        AWSServiceName=service, Description="Lets Beanstalk manage environments"
    )["Role"]
    name = "AWSServiceRoleForElasticBeanstalk"
    assert role["RoleName"] == name and role["RoleId"].startswith("AROA")
    assert role["Path"] == f"/aws-service-role/{service}/"
    assert role["Arn"] == f"arn:aws:iam::{server.account_id}:role/aws-service-role/{service}/{name}"
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    ]
    assert role["Description"] == "Lets Beanstalk manage environments"
    assert iam.get_role(RoleName=name)["Role"]["Arn"] == role["Arn"]
    assert error_of(lambda: iam.create_service_linked_role(AWSServiceName=service)) == (
        "InvalidInput",
        f"Service role name {name} has been taken in this account, please try a different suffix.",
        400,
    )
    suffixed = iam.create_service_linked_role(AWSServiceName=service, CustomSuffix="blue")["Role"]
    assert suffixed["RoleName"] == f"{name}_blue"

    task = iam.delete_service_linked_role(RoleName=name)["DeletionTaskId"]
    assert re.fullmatch(rf"task/aws-service-role/{re.escape(service)}/{name}/[0-9a-f-]{{36}}", task)
    assert iam.get_service_linked_role_deletion_status(DeletionTaskId=task)["Status"] == (
        "SUCCEEDED"
    )
    assert error_of(lambda: iam.get_role(RoleName=name))[0] == "NoSuchEntity"
    iam.delete_service_linked_role(RoleName=f"{name}_blue")


def test_service_linked_role_errors(iam: Any, unique: Callable[[str], str]) -> None:
    assert error_of(
        lambda: iam.create_service_linked_role(AWSServiceName="es.amazonaws.com", CustomSuffix="x")
    ) == ("InvalidInput", "Custom suffix is not allowed for es.amazonaws.com", 400)
    code, message, status = error_of(
        lambda: iam.create_service_linked_role(AWSServiceName="not-a-service")
    )
    assert (code, status) == ("InvalidInput", 400) and "not-a-service" in message
    plain = unique("plain")
    iam.create_role(
        RoleName=plain,
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "ec2.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )
    code, message, _ = error_of(lambda: iam.delete_service_linked_role(RoleName=plain))
    assert code == "InvalidInput" and plain in message
    assert iam.get_role(RoleName=plain)["Role"]["RoleName"] == plain
    ghost = error_of(lambda: iam.delete_service_linked_role(RoleName=unique("ghost")))
    assert ghost[0] == "NoSuchEntity"
    unknown = "task/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS/" + str(uuid.uuid4())
    status = iam.get_service_linked_role_deletion_status
    assert error_of(lambda: status(DeletionTaskId=unknown))[0] == "NoSuchEntity"
    assert error_of(lambda: status(DeletionTaskId="garbage"))[0] == "InvalidInput"


def test_protected_role_error_names_the_role() -> None:
    def role(linked: bool) -> Role:
        now = datetime.now(UTC)
        return Role(
            "AROAEXAMPLE",
            "111122223333",
            "AWSServiceRoleForECS",
            "/aws-service-role/ecs/",
            "arn",
            now,
            "{}",
            None,
            3600,
            None,
            None,
            None,
            linked,
        )

    error = protected_role_error(role(True))
    assert error is not None
    assert (error.code, error.status) == ("UnmodifiableEntity", 400)
    assert error.message == (
        "Cannot perform the operation on the protected role 'AWSServiceRoleForECS' - this role "
        "is only modifiable by AWS"
    )
    assert protected_role_error(role(False)) is None


def test_delete_role_refuses_a_service_linked_role(iam: Any) -> None:
    name = iam.create_service_linked_role(AWSServiceName="ecs.amazonaws.com")["Role"]["RoleName"]
    try:
        assert error_of(lambda: iam.delete_role(RoleName=name)) == (
            "UnmodifiableEntity",
            f"Cannot perform the operation on the protected role '{name}' - this role is only "
            "modifiable by AWS",
            400,
        )
    finally:
        if iam.list_roles(PathPrefix="/aws-service-role/ecs.amazonaws.com/")["Roles"]:
            iam.delete_service_linked_role(RoleName=name)


def test_service_linked_roles_are_authorized_by_service_name(
    server: LiveServer, user_client: Callable[..., Any]
) -> None:
    """iam:AWSServiceName is the condition key AWS documents for CreateServiceLinkedRole."""
    admin = user_client(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "iam:CreateServiceLinkedRole",
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": {"iam:AWSServiceName": "autoscaling.amazonaws.com"}
                    },
                },
                {
                    "Effect": "Allow",
                    "Action": [
                        "iam:DeleteServiceLinkedRole",
                        "iam:GetServiceLinkedRoleDeletionStatus",
                    ],
                    "Resource": f"arn:aws:iam::{server.account_id}:role/aws-service-role/*",
                },
            ],
        }
    )
    role = admin.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com")["Role"]
    code, message, _ = error_of(
        lambda: admin.create_service_linked_role(AWSServiceName="spot.amazonaws.com")
    )
    assert code == "AccessDenied" and message.endswith(
        f"iam:CreateServiceLinkedRole on resource: arn:aws:iam::{server.account_id}:role/"
        "aws-service-role/spot.amazonaws.com/AWSServiceRoleForEC2Spot because no "
        "identity-based policy allows the iam:CreateServiceLinkedRole action"
    )
    task = admin.delete_service_linked_role(RoleName=role["RoleName"])["DeletionTaskId"]
    assert admin.get_service_linked_role_deletion_status(DeletionTaskId=task)["Status"] == (
        "SUCCEEDED"
    )
    nobody = user_client()
    assert (
        error_of(lambda: nobody.get_service_linked_role_deletion_status(DeletionTaskId=task))[0]
        == "AccessDenied"
    )


def test_sts_token_version_preference(iam: Any) -> None:
    """https://docs.aws.amazon.com/IAM/latest/APIReference/API_SetSecurityTokenServicePreferences.html"""
    iam.set_security_token_service_preferences(GlobalEndpointTokenVersion="v2Token")
    assert iam.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"] == 2
    iam.set_security_token_service_preferences(GlobalEndpointTokenVersion="v1Token")
    assert iam.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"] == 1
