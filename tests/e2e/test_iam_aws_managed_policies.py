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


def test_each_account_sees_only_its_own_use_of_an_aws_managed_policy(
    server: LiveServer, iam: Any, unique: Callable[[str], str]
) -> None:
    """AWS managed policies are shared by every account, but AttachmentCount,
    PermissionsBoundaryUsageCount, OnlyAttached and ListEntitiesForPolicy are about the
    caller's account: another account's users are not even named.

    https://docs.aws.amazon.com/IAM/latest/APIReference/API_Policy.html
    https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListEntitiesForPolicy.html
    """
    import uuid

    import boto3

    from support.live import NO_RETRIES

    arn = "arn:aws:iam::aws:policy/AmazonTextractFullAccess"  # used by no other test
    other = f"5555{uuid.uuid4().int % 10**8:08d}"
    key, secret = f"AKIAOTHER{uuid.uuid4().hex[:11].upper()}", uuid.uuid4().hex * 2
    with server.app.store.write() as tx:
        tx.accounts.create(other)
        tx.access_keys.create(other, None, key, secret[:40])
    theirs = boto3.client(
        "iam",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret[:40],
        config=NO_RETRIES,
    )
    hidden = unique("theirs")
    theirs.create_user(UserName=hidden)
    theirs.attach_user_policy(UserName=hidden, PolicyArn=arn)
    theirs.create_user(UserName=unique("bounded"), PermissionsBoundary=arn)

    def counts(client: Any) -> tuple[int, int]:
        policy = client.get_policy(PolicyArn=arn)["Policy"]
        return policy["AttachmentCount"], policy["PermissionsBoundaryUsageCount"]

    def attached_names(client: Any) -> list[str]:
        return [
            p["PolicyName"]
            for page in client.get_paginator("list_policies").paginate(OnlyAttached=True)
            for p in page["Policies"]
        ]

    assert counts(theirs) == (1, 1) and counts(iam) == (0, 0)
    assert "AmazonTextractFullAccess" in attached_names(theirs)
    assert "AmazonTextractFullAccess" not in attached_names(iam)
    assert iam.list_entities_for_policy(PolicyArn=arn)["PolicyUsers"] == []
    mine = unique("mine")
    iam.create_role(RoleName=mine, AssumeRolePolicyDocument=_TRUST)
    iam.attach_role_policy(RoleName=mine, PolicyArn=arn)
    assert counts(iam) == (1, 0) and counts(theirs) == (1, 1)
    listed = [p for p in iam.list_policies(OnlyAttached=True)["Policies"] if p["Arn"] == arn]
    assert [(p["AttachmentCount"], p["PermissionsBoundaryUsageCount"]) for p in listed] == [(1, 0)]
    entities = iam.list_entities_for_policy(PolicyArn=arn)
    assert [r["RoleName"] for r in entities["PolicyRoles"]] == [mine]
    assert entities["PolicyUsers"] == []


_TRUST = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
    '"Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
)
