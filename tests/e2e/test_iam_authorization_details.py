"""GetAccountAuthorizationDetails over the wire with boto3: AWS's exact shape for users, groups,
roles and managed policies, the Filter parameter, pagination across kinds, and authorization.

https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountAuthorizationDetails.html

The expected shapes (which lists are present when empty, which are absent, what an instance
profile's roles carry) are AWS's as recorded by LocalStack's AWS-validated snapshot
tests/aws/services/iam/test_iam_account_authorization_details.snapshot.json.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from support.live import LiveServer

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
LIST_BUCKET = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}],
}
GET_OBJECT = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}],
}
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"


def error_of(call: Callable[[], Any]) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as info:
        call()
    response = info.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def details(client: Any, **kwargs: Any) -> dict[str, Any]:
    """Every page, merged, as botocore's paginator builds it."""
    paginator = client.get_paginator("get_account_authorization_details")
    result: dict[str, Any] = paginator.paginate(**kwargs).build_full_result()
    return result


def only(items: list[dict[str, Any]], key: str, value: str) -> dict[str, Any]:
    found = [item for item in items if item[key] == value]
    assert len(found) == 1, f"{value} appears {len(found)} times"
    return found[0]


def test_user_and_group_details(server: LiveServer, iam: Any, unique: Callable[[str], str]) -> None:
    user, group, bare = unique("alice"), unique("devs"), unique("bare")
    policy = iam.create_policy(PolicyName=unique("lb"), PolicyDocument=json.dumps(LIST_BUCKET))[
        "Policy"
    ]
    iam.create_user(
        UserName=user,
        Path="/eng/",
        PermissionsBoundary=policy["Arn"],
        Tags=[{"Key": "team", "Value": "web"}],
    )
    iam.create_user(UserName=bare)
    iam.create_group(GroupName=group)
    iam.put_user_policy(UserName=user, PolicyName="inline", PolicyDocument=json.dumps(GET_OBJECT))
    iam.attach_user_policy(UserName=user, PolicyArn=policy["Arn"])
    iam.add_user_to_group(GroupName=group, UserName=user)
    iam.put_group_policy(GroupName=group, PolicyName="g", PolicyDocument=json.dumps(LIST_BUCKET))
    iam.attach_group_policy(GroupName=group, PolicyArn=policy["Arn"])

    result = details(iam, Filter=["User", "Group"])
    assert result["RoleDetailList"] == [] and result["Policies"] == []
    created = iam.get_user(UserName=user)["User"]
    assert only(result["UserDetailList"], "UserName", user) == {
        "Path": "/eng/",
        "UserName": user,
        "UserId": created["UserId"],
        "Arn": created["Arn"],
        "CreateDate": created["CreateDate"],
        "UserPolicyList": [{"PolicyName": "inline", "PolicyDocument": GET_OBJECT}],
        "GroupList": [group],
        "AttachedManagedPolicies": [
            {"PolicyName": policy["PolicyName"], "PolicyArn": policy["Arn"]}
        ],
        "PermissionsBoundary": {
            "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
            "PermissionsBoundaryArn": policy["Arn"],
        },
        "Tags": [{"Key": "team", "Value": "web"}],
    }
    plain = only(result["UserDetailList"], "UserName", bare)
    assert "UserPolicyList" not in plain and "PermissionsBoundary" not in plain
    assert plain["GroupList"] == [] and plain["AttachedManagedPolicies"] == []
    assert plain["Tags"] == []
    group_row = iam.get_group(GroupName=group)["Group"]
    assert only(result["GroupDetailList"], "GroupName", group) == {
        "Path": "/",
        "GroupName": group,
        "GroupId": group_row["GroupId"],
        "Arn": group_row["Arn"],
        "CreateDate": group_row["CreateDate"],
        "GroupPolicyList": [{"PolicyName": "g", "PolicyDocument": LIST_BUCKET}],
        "AttachedManagedPolicies": [
            {"PolicyName": policy["PolicyName"], "PolicyArn": policy["Arn"]}
        ],
    }


def test_role_details_with_instance_profile(
    server: LiveServer, iam: Any, unique: Callable[[str], str]
) -> None:
    role, profile, bare = unique("app"), unique("app-profile"), unique("bare-role")
    created = iam.create_role(
        RoleName=role,
        Path="/svc/",
        AssumeRolePolicyDocument=json.dumps(TRUST),
        Description="testing role",
        Tags=[{"Key": "somekey", "Value": "somevalue"}],
    )["Role"]
    iam.create_role(RoleName=bare, AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.put_role_policy(RoleName=role, PolicyName="inline", PolicyDocument=json.dumps(LIST_BUCKET))
    iam.attach_role_policy(RoleName=role, PolicyArn=READ_ONLY)
    made = iam.create_instance_profile(InstanceProfileName=profile)["InstanceProfile"]
    iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)

    result = details(iam, Filter=["Role"])
    assert result["UserDetailList"] == [] and result["GroupDetailList"] == []
    assert result["Policies"] == []
    identity = {
        "Path": "/svc/",
        "RoleName": role,
        "RoleId": created["RoleId"],
        "Arn": created["Arn"],
        "CreateDate": created["CreateDate"],
        "AssumeRolePolicyDocument": TRUST,
    }
    assert only(result["RoleDetailList"], "RoleName", role) == {
        **identity,
        "InstanceProfileList": [
            {
                "Path": "/",
                "InstanceProfileName": profile,
                "InstanceProfileId": made["InstanceProfileId"],
                "Arn": made["Arn"],
                "CreateDate": made["CreateDate"],
                "Roles": [identity],
            }
        ],
        "RolePolicyList": [{"PolicyName": "inline", "PolicyDocument": LIST_BUCKET}],
        "AttachedManagedPolicies": [{"PolicyName": "ReadOnlyAccess", "PolicyArn": READ_ONLY}],
        "Tags": [{"Key": "somekey", "Value": "somevalue"}],
        "RoleLastUsed": {},
    }
    plain = only(result["RoleDetailList"], "RoleName", bare)
    assert (plain["RolePolicyList"], plain["InstanceProfileList"], plain["Tags"]) == ([], [], [])
    assert plain["RoleLastUsed"] == {} and "PermissionsBoundary" not in plain


def test_managed_policies_local_and_aws(iam: Any, unique: Callable[[str], str]) -> None:
    """Customer managed policies are all listed with every version; AWS managed ones only when
    the account uses them, with the account's own attachment count."""
    name, role = unique("versions"), unique("uses-aws")
    arn = iam.create_policy(
        PolicyName=name, PolicyDocument=json.dumps(LIST_BUCKET), Description="two versions"
    )["Policy"]["Arn"]
    iam.create_policy_version(
        PolicyArn=arn, PolicyDocument=json.dumps(GET_OBJECT), SetAsDefault=True
    )
    local = details(iam, Filter=["LocalManagedPolicy"])
    assert (local["UserDetailList"], local["GroupDetailList"], local["RoleDetailList"]) == (
        [],
        [],
        [],
    )
    assert all(":iam::aws:" not in p["Arn"] for p in local["Policies"])
    mine = only(local["Policies"], "PolicyName", name)
    fetched = iam.get_policy(PolicyArn=arn)["Policy"]
    versions = mine.pop("PolicyVersionList")
    assert mine == {k: fetched[k] for k in mine}
    assert set(mine) == {
        "PolicyName",
        "PolicyId",
        "Arn",
        "Path",
        "DefaultVersionId",
        "AttachmentCount",
        "PermissionsBoundaryUsageCount",
        "IsAttachable",
        "Description",
        "CreateDate",
        "UpdateDate",
    }
    assert [(v["VersionId"], v["IsDefaultVersion"], v["Document"]) for v in versions] == [
        ("v2", True, GET_OBJECT),
        ("v1", False, LIST_BUCKET),
    ]

    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
    before = details(iam, Filter=["AWSManagedPolicy"])["Policies"]
    assert admin not in [p["Arn"] for p in before]
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.attach_role_policy(RoleName=role, PolicyArn=admin)
    after = details(iam, Filter=["AWSManagedPolicy"])["Policies"]
    assert all(":iam::aws:policy/" in p["Arn"] for p in after)
    used = only(after, "Arn", admin)
    assert used["AttachmentCount"] == 1 and used["PolicyName"] == "AdministratorAccess"
    default = [v for v in used["PolicyVersionList"] if v["IsDefaultVersion"]]
    assert default[0]["Document"]["Statement"][0]["Action"] == "*"
    iam.detach_role_policy(RoleName=role, PolicyArn=admin)
    assert admin not in [p["Arn"] for p in details(iam, Filter=["AWSManagedPolicy"])["Policies"]]


def test_no_filter_lists_every_kind_and_pages_across_kinds(
    iam: Any, unique: Callable[[str], str]
) -> None:
    names = {
        "user": unique("u"),
        "group": unique("g"),
        "role": unique("r"),
        "policy": unique("p"),
    }
    iam.create_user(UserName=names["user"])
    iam.create_group(GroupName=names["group"])
    iam.create_role(RoleName=names["role"], AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.create_policy(PolicyName=names["policy"], PolicyDocument=json.dumps(LIST_BUCKET))
    whole = iam.get_account_authorization_details(MaxItems=1000)
    assert not whole["IsTruncated"]
    kinds = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")
    total = sum(len(whole[k]) for k in kinds)
    first = iam.get_account_authorization_details(MaxItems=2)
    assert first["IsTruncated"] and first["Marker"]
    assert sum(len(first[k]) for k in kinds) == 2
    merged = details(iam, PaginationConfig={"PageSize": 3})
    assert sum(len(merged[k]) for k in kinds) == total
    only(merged["UserDetailList"], "UserName", names["user"])
    only(merged["GroupDetailList"], "GroupName", names["group"])
    only(merged["RoleDetailList"], "RoleName", names["role"])
    only(merged["Policies"], "PolicyName", names["policy"])
    assert [u["UserName"] for u in merged["UserDetailList"]] == [
        u["UserName"] for u in whole["UserDetailList"]
    ]


def test_is_authorized(user_client: Callable[..., Any]) -> None:
    nobody = user_client()
    code, message, status = error_of(lambda: nobody.get_account_authorization_details())
    assert (code, status) == ("AccessDenied", 403)
    assert "iam:GetAccountAuthorizationDetails on resource: *" in message
    auditor = user_client(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "iam:GetAccountAuthorizationDetails", "Resource": "*"}
            ],
        }
    )
    seen = details(auditor, Filter=["User"])["UserDetailList"]
    assert auditor.user_name in [u["UserName"] for u in seen]
