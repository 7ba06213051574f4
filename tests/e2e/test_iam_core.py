"""IAM over the wire with boto3: users, groups, roles, policies, errors, pagination, and every
call authorized by the policy engine."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from support.live import LiveServer

READ_ONLY_USERS = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["iam:GetUser", "iam:ListUsers"], "Resource": "*"}],
}


def error_of(call: Callable[[], Any]) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as info:
        call()
    response = info.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def test_user_lifecycle(iam: Any, unique: Callable[[str], str]) -> None:
    name = unique("alice")
    created = iam.create_user(UserName=name, Path="/eng/", Tags=[{"Key": "team", "Value": "web"}])
    user = created["User"]
    assert user["Arn"].endswith(f":user/eng/{name}") and user["UserId"].startswith("AIDA")
    fetched = iam.get_user(UserName=name)["User"]
    assert fetched["Tags"] == [{"Key": "team", "Value": "web"}]
    iam.update_user(UserName=name, NewPath="/ops/")
    assert iam.get_user(UserName=name)["User"]["Path"] == "/ops/"
    assert name in [u["UserName"] for u in iam.list_users(PathPrefix="/ops/")["Users"]]
    iam.delete_user(UserName=name)
    assert error_of(lambda: iam.get_user(UserName=name)) == (
        "NoSuchEntity",
        f"The user with name {name} cannot be found.",
        404,
    )


def test_aws_errors(iam: Any, unique: Callable[[str], str]) -> None:
    name = unique("bob")
    iam.create_user(UserName=name)
    code, message, status = error_of(lambda: iam.create_user(UserName=name.upper()))
    assert (code, status) == ("EntityAlreadyExists", 409)
    code, message, status = error_of(lambda: iam.create_user(UserName="no spaces allowed"))
    assert (code, status) == ("ValidationError", 400)
    assert "failed to satisfy constraint: Member must satisfy regular expression pattern" in message
    bad = json.dumps({"Statement": [{"Effect": "Allow", "Action": "s3get", "Resource": "*"}]})
    code, message, _ = error_of(
        lambda: iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=bad)
    )
    assert code == "MalformedPolicyDocument" and "prefaced by a vendor" in message
    iam.create_access_key(UserName=name)
    code, message, status = error_of(lambda: iam.delete_user(UserName=name))
    assert (code, message, status) == (
        "DeleteConflict",
        "Cannot delete entity, must delete access keys first.",
        409,
    )


def test_pagination(iam: Any, unique: Callable[[str], str]) -> None:
    prefix = f"/{unique('page')}/"
    names = sorted(unique("u") for _ in range(7))
    for name in names:
        iam.create_user(UserName=name, Path=prefix)
    first = iam.list_users(PathPrefix=prefix, MaxItems=3)
    assert first["IsTruncated"] and [u["UserName"] for u in first["Users"]] == names[:3]
    second = iam.list_users(PathPrefix=prefix, MaxItems=3, Marker=first["Marker"])
    assert [u["UserName"] for u in second["Users"]] == names[3:6]
    paginator = iam.get_paginator("list_users")
    seen = [
        u["UserName"]
        for page in paginator.paginate(PathPrefix=prefix, PaginationConfig={"PageSize": 2})
        for u in page["Users"]
    ]
    assert seen == names


def test_calls_are_authorized_by_the_callers_policies(
    server: LiveServer, iam: Any, user_client: Callable[..., Any]
) -> None:
    reader = user_client(READ_ONLY_USERS)
    assert reader.get_user()["User"]["UserName"] == reader.user_name
    reader.list_users()
    code, message, status = error_of(lambda: reader.create_user(UserName="nope"))
    assert (code, status) == ("AccessDenied", 403)
    assert message == (
        f"User: arn:aws:iam::{server.account_id}:user/{reader.user_name} is not authorized to "
        f"perform: iam:CreateUser on resource: arn:aws:iam::{server.account_id}:user/nope "
        "because no identity-based policy allows the iam:CreateUser action"
    )
    # Revoking the policy takes effect on the very next call.
    iam.delete_user_policy(UserName=reader.user_name, PolicyName="p")
    assert error_of(lambda: reader.list_users())[0] == "AccessDenied"


def test_explicit_deny_and_conditions(server: LiveServer, user_client: Callable[..., Any]) -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
            {
                "Effect": "Deny",
                "Action": "iam:DeleteUser",
                "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}},
            },
            {
                "Effect": "Deny",
                "Action": "iam:CreateUser",
                "Resource": "*",
                "Condition": {"Null": {"aws:RequestTag/owner": "true"}},
            },
        ],
    }
    admin = user_client(policy)
    code, message, _ = error_of(lambda: admin.create_user(UserName="untagged"))
    assert code == "AccessDenied" and message.endswith(
        "with an explicit deny in an identity-based policy"
    )
    admin.create_user(UserName=f"tagged-{admin.user_name}", Tags=[{"Key": "owner", "Value": "me"}])
    assert (
        error_of(lambda: admin.delete_user(UserName=f"tagged-{admin.user_name}"))[0]
        == "AccessDenied"
    )


def test_groups_grant_their_members(
    iam: Any, user_client: Callable[..., Any], unique: Callable[[str], str]
) -> None:
    member = user_client()
    assert error_of(lambda: member.list_roles())[0] == "AccessDenied"
    group = unique("readers")
    iam.create_group(GroupName=group)
    policy = iam.create_policy(
        PolicyName=unique("ListRoles"),
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}],
            }
        ),
    )["Policy"]
    iam.attach_group_policy(GroupName=group, PolicyArn=policy["Arn"])
    iam.add_user_to_group(GroupName=group, UserName=member.user_name)
    member.list_roles()
    assert [u["UserName"] for u in iam.get_group(GroupName=group)["Users"]] == [member.user_name]
    iam.remove_user_from_group(GroupName=group, UserName=member.user_name)
    assert error_of(lambda: member.list_roles())[0] == "AccessDenied"


def test_roles_and_policy_versions(iam: Any, unique: Callable[[str], str]) -> None:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    name = unique("app")
    role = iam.create_role(
        RoleName=name, AssumeRolePolicyDocument=json.dumps(trust), MaxSessionDuration=7200
    )["Role"]
    assert role["RoleId"].startswith("AROA")
    fetched = iam.get_role(RoleName=name)["Role"]
    assert fetched["AssumeRolePolicyDocument"] == trust and fetched["MaxSessionDuration"] == 7200
    assert (
        error_of(lambda: iam.update_role(RoleName=name, MaxSessionDuration=50000))[0]
        == "ValidationError"
    )
    doc = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
    }
    arn = iam.create_policy(PolicyName=unique("pol"), PolicyDocument=json.dumps(doc))["Policy"][
        "Arn"
    ]
    for _ in range(4):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(doc), SetAsDefault=True)
    code, _, _ = error_of(
        lambda: iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(doc))
    )
    assert code == "LimitExceeded"
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v5"
    assert (
        error_of(lambda: iam.delete_policy_version(PolicyArn=arn, VersionId="v5"))[0]
        == "DeleteConflict"
    )
    iam.attach_role_policy(RoleName=name, PolicyArn=arn)
    assert iam.list_entities_for_policy(PolicyArn=arn)["PolicyRoles"][0]["RoleName"] == name
    assert error_of(lambda: iam.delete_role(RoleName=name))[0] == "DeleteConflict"


def test_unknown_and_unsigned_requests(server: LiveServer) -> None:
    stranger = server.client("iam", "AKIAUNKNOWNKEY000000", "x" * 40)
    assert error_of(lambda: stranger.list_users()) == (
        "InvalidClientTokenId",
        "The security token included in the request is invalid.",
        403,
    )
    import urllib.request

    request = urllib.request.Request(
        server.url, data=b"Action=ListUsers&Version=2010-05-08", method="POST"
    )
    try:
        urllib.request.urlopen(request)
        raise AssertionError("unsigned request accepted")
    except urllib.error.HTTPError as exc:
        assert exc.code == 403
        assert b"<Code>MissingAuthenticationToken</Code>" in exc.read()
        assert exc.headers["x-amzn-RequestId"]


def test_not_implemented_operations_answer_501(iam: Any) -> None:
    """Organizations access reports need AWS Organizations, which iamd does not have."""
    code, message, status = error_of(lambda: iam.get_organizations_access_report(JobId="j" * 36))
    assert status == 501 and code == "NotImplemented" and "GetOrganizationsAccessReport" in message
