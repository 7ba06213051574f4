"""AWS managed policies come with their real documents and work like AWS's.

https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html#aws-managed-policies
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from support.live import LiveServer

READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"


def test_more_than_1400_are_listed_with_scope_aws(iam: Any) -> None:
    names = [
        p["PolicyName"]
        for page in iam.get_paginator("list_policies").paginate(Scope="AWS")
        for p in page["Policies"]
    ]
    assert len(names) > 1400
    for wanted in (
        "PowerUserAccess",
        "ReadOnlyAccess",
        "AmazonS3FullAccess",
        "AdministratorAccess",
    ):
        assert wanted in names
    assert not any(
        p["Arn"].startswith("arn:aws:iam::1") for p in iam.list_policies(Scope="AWS")["Policies"]
    )


def test_real_documents_and_paths(iam: Any) -> None:
    policy = iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")["Policy"]
    version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])
    assert version["PolicyVersion"]["Document"]["Statement"] == [
        {"Effect": "Allow", "Action": "*", "Resource": "*"}
    ]
    lambda_basic = iam.get_policy(
        PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    )
    assert lambda_basic["Policy"]["Path"] == "/service-role/"


def test_attached_aws_policy_grants_by_its_document(
    server: LiveServer, iam: Any, user_client: Callable[..., Any]
) -> None:
    reader = user_client()
    iam.attach_user_policy(UserName=reader.user_name, PolicyArn=READ_ONLY)
    reader.list_users()  # ReadOnlyAccess allows iam:List*
    try:
        reader.create_user(UserName=f"x-{reader.user_name}")
        raise AssertionError("ReadOnlyAccess must not allow iam:CreateUser")
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "AccessDenied"
    attached = iam.list_entities_for_policy(PolicyArn=READ_ONLY)["PolicyUsers"]
    assert reader.user_name in [u["UserName"] for u in attached]


def test_aws_managed_policies_cannot_be_changed(iam: Any) -> None:
    for call in (
        lambda: iam.delete_policy(PolicyArn=READ_ONLY),
        lambda: iam.create_policy_version(
            PolicyArn=READ_ONLY, PolicyDocument='{"Version":"2012-10-17","Statement":[]}'
        ),
    ):
        try:
            call()
            raise AssertionError("an AWS managed policy was changed")
        except ClientError as exc:
            assert exc.response["Error"]["Code"] in ("AccessDenied", "InvalidInput")


def test_scope_local_lists_only_customer_policies(iam: Any, unique: Callable[[str], str]) -> None:
    name = unique("Local")
    iam.create_policy(
        PolicyName=name,
        PolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}',
    )
    local = [
        p["PolicyName"]
        for page in iam.get_paginator("list_policies").paginate(Scope="Local")
        for p in page["Policies"]
    ]
    assert name in local and "ReadOnlyAccess" not in local
