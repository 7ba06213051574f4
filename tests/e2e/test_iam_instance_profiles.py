"""Instance profiles over the wire with boto3: the one role each holds, AWS's errors, tags,
pagination and authorization.

https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateInstanceProfile.html
https://docs.aws.amazon.com/IAM/latest/APIReference/API_AddRoleToInstanceProfile.html
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from support.live import LiveServer

TRUST = json.dumps(
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


def error_of(call: Callable[[], Any]) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as info:
        call()
    response = info.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def test_lifecycle_with_its_role(
    server: LiveServer, iam: Any, unique: Callable[[str], str]
) -> None:
    name, role = unique("web"), unique("web-role")
    created = iam.create_instance_profile(
        InstanceProfileName=name, Path="/app/", Tags=[{"Key": "team", "Value": "web"}]
    )["InstanceProfile"]
    assert created["Arn"] == f"arn:aws:iam::{server.account_id}:instance-profile/app/{name}"
    assert created["InstanceProfileId"].startswith("AIPA") and created["Roles"] == []
    assert created["Path"] == "/app/" and created["Tags"] == [{"Key": "team", "Value": "web"}]
    role_arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]

    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=role)
    fetched = iam.get_instance_profile(InstanceProfileName=name.upper())["InstanceProfile"]
    assert fetched["InstanceProfileName"] == name
    assert [(r["RoleName"], r["Arn"]) for r in fetched["Roles"]] == [(role, role_arn)]
    assert fetched["Roles"][0]["AssumeRolePolicyDocument"] == json.loads(TRUST)
    assert fetched["Tags"] == [{"Key": "team", "Value": "web"}]
    for_role = iam.list_instance_profiles_for_role(RoleName=role)["InstanceProfiles"]
    assert [p["InstanceProfileName"] for p in for_role] == [name]
    assert [r["RoleName"] for r in for_role[0]["Roles"]] == [role]
    listed = iam.list_instance_profiles(PathPrefix="/app/")["InstanceProfiles"]
    mine = [p for p in listed if p["InstanceProfileName"] == name]
    assert len(mine) == 1 and [r["RoleName"] for r in mine[0]["Roles"]] == [role]
    assert "Tags" not in mine[0]  # listings leave tags out
    assert iam.list_instance_profiles(PathPrefix="/elsewhere/")["InstanceProfiles"] == []

    in_profile = "Cannot delete entity, must remove roles from instance profile first."
    assert error_of(lambda: iam.delete_instance_profile(InstanceProfileName=name)) == (
        "DeleteConflict",
        in_profile,
        409,
    )
    assert error_of(lambda: iam.delete_role(RoleName=role)) == ("DeleteConflict", in_profile, 409)
    iam.remove_role_from_instance_profile(InstanceProfileName=name, RoleName=role)
    assert iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]["Roles"] == []
    assert iam.list_instance_profiles_for_role(RoleName=role)["InstanceProfiles"] == []
    iam.delete_instance_profile(InstanceProfileName=name)
    iam.delete_role(RoleName=role)
    assert error_of(lambda: iam.get_instance_profile(InstanceProfileName=name)) == (
        "NoSuchEntity",
        f"Instance Profile {name} cannot be found.",
        404,
    )


def test_aws_errors(iam: Any, unique: Callable[[str], str]) -> None:
    name, first, second = unique("batch"), unique("r1"), unique("r2")
    iam.create_instance_profile(InstanceProfileName=name)
    for role in (first, second):
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)
    assert error_of(lambda: iam.create_instance_profile(InstanceProfileName=name.upper())) == (
        "EntityAlreadyExists",
        f"Instance Profile {name.upper()} already exists.",
        409,
    )
    assert error_of(
        lambda: iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=f"{first}-x")
    ) == ("NoSuchEntity", f"The role with name {first}-x cannot be found.", 404)
    assert error_of(
        lambda: iam.add_role_to_instance_profile(InstanceProfileName=f"{name}-x", RoleName=first)
    ) == ("NoSuchEntity", f"Instance Profile {name}-x cannot be found.", 404)
    code, message, status = error_of(
        lambda: iam.remove_role_from_instance_profile(InstanceProfileName=name, RoleName=first)
    )
    assert (code, status) == ("NoSuchEntity", 404) and first in message
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=first)
    quota = (
        "LimitExceeded",
        "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1",
        409,
    )
    assert (
        error_of(
            lambda: iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=second)
        )
        == quota
    )
    assert (
        error_of(lambda: iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=first))
        == quota
    )
    assert error_of(lambda: iam.create_instance_profile(InstanceProfileName="no spaces"))[0] == (
        "ValidationError"
    )
    assert error_of(lambda: iam.list_instance_profiles_for_role(RoleName=f"{first}-x")) == (
        "NoSuchEntity",
        f"The role with name {first}-x cannot be found.",
        404,
    )


def test_tags(iam: Any, unique: Callable[[str], str]) -> None:
    name = unique("tagged")
    iam.create_instance_profile(InstanceProfileName=name)
    iam.tag_instance_profile(
        InstanceProfileName=name, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    )
    iam.tag_instance_profile(InstanceProfileName=name, Tags=[{"Key": "a", "Value": "3"}])
    assert iam.list_instance_profile_tags(InstanceProfileName=name)["Tags"] == [
        {"Key": "a", "Value": "3"},
        {"Key": "b", "Value": "2"},
    ]
    page = iam.list_instance_profile_tags(InstanceProfileName=name, MaxItems=1)
    assert page["IsTruncated"] and page["Tags"] == [{"Key": "a", "Value": "3"}]
    rest = iam.list_instance_profile_tags(InstanceProfileName=name, Marker=page["Marker"])
    assert rest["Tags"] == [{"Key": "b", "Value": "2"}] and not rest["IsTruncated"]
    iam.untag_instance_profile(InstanceProfileName=name, TagKeys=["a"])
    assert iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]["Tags"] == [
        {"Key": "b", "Value": "2"}
    ]
    many = [{"Key": f"k{i}", "Value": "v"} for i in range(50)]
    assert error_of(lambda: iam.tag_instance_profile(InstanceProfileName=name, Tags=many)) == (
        "LimitExceeded",
        "The number of tags has reached the maximum limit of 50.",
        409,
    )
    reserved = [{"Key": "aws:owner", "Value": "x"}]
    assert error_of(lambda: iam.tag_instance_profile(InstanceProfileName=name, Tags=reserved))[
        0
    ] == ("InvalidInput")
    assert error_of(lambda: iam.list_instance_profile_tags(InstanceProfileName=f"{name}-gone")) == (
        "NoSuchEntity",
        f"Instance Profile {name}-gone cannot be found.",
        404,
    )


def test_pagination(iam: Any, unique: Callable[[str], str]) -> None:
    prefix = f"/{unique('page')}/"
    names = sorted(unique("p") for _ in range(5))
    for name in names:
        iam.create_instance_profile(InstanceProfileName=name, Path=prefix)
    first = iam.list_instance_profiles(PathPrefix=prefix, MaxItems=2)
    assert (
        first["IsTruncated"]
        and [p["InstanceProfileName"] for p in first["InstanceProfiles"]] == names[:2]
    )
    second = iam.list_instance_profiles(PathPrefix=prefix, MaxItems=2, Marker=first["Marker"])
    assert [p["InstanceProfileName"] for p in second["InstanceProfiles"]] == names[2:4]
    seen = [
        p["InstanceProfileName"]
        for page in iam.get_paginator("list_instance_profiles").paginate(
            PathPrefix=prefix, PaginationConfig={"PageSize": 2}
        )
        for p in page["InstanceProfiles"]
    ]
    assert seen == names
    role = unique("shared")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)
    for name in names:
        iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=role)
    for_role = [
        p["InstanceProfileName"]
        for page in iam.get_paginator("list_instance_profiles_for_role").paginate(
            RoleName=role, PaginationConfig={"PageSize": 2}
        )
        for p in page["InstanceProfiles"]
    ]
    assert for_role == names


def test_authorization(
    server: LiveServer, iam: Any, user_client: Callable[..., Any], unique: Callable[[str], str]
) -> None:
    """Each call is authorized against the profile's ARN and its tags
    (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html)."""
    web, data = unique("web"), unique("data")
    iam.create_instance_profile(InstanceProfileName=web, Tags=[{"Key": "team", "Value": "web"}])
    iam.create_instance_profile(InstanceProfileName=data, Tags=[{"Key": "team", "Value": "data"}])
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "iam:GetInstanceProfile",
                "Resource": "*",
                "Condition": {"StringEquals": {"iam:ResourceTag/team": "web"}},
            },
            {
                "Effect": "Allow",
                "Action": "iam:CreateInstanceProfile",
                "Resource": f"arn:aws:iam::{server.account_id}:instance-profile/web/*",
            },
        ],
    }
    member = user_client(policy)
    assert member.get_instance_profile(InstanceProfileName=web)["InstanceProfile"]["Tags"] == [
        {"Key": "team", "Value": "web"}
    ]
    code, message, status = error_of(lambda: member.get_instance_profile(InstanceProfileName=data))
    assert (code, status) == ("AccessDenied", 403)
    assert message.startswith(
        f"User: arn:aws:iam::{server.account_id}:user/{member.user_name} is not authorized to "
        "perform: iam:GetInstanceProfile on resource: "
        f"arn:aws:iam::{server.account_id}:instance-profile/{data}"
    )
    member.create_instance_profile(InstanceProfileName=unique("mine"), Path="/web/")
    assert (
        error_of(lambda: member.create_instance_profile(InstanceProfileName=unique("x")))[0]
        == "AccessDenied"
    )
    assert error_of(lambda: member.list_instance_profiles())[0] == "AccessDenied"
    # Tags changed by another call count on the very next authorization.
    iam.tag_instance_profile(InstanceProfileName=data, Tags=[{"Key": "team", "Value": "web"}])
    member.get_instance_profile(InstanceProfileName=data)
    iam.untag_instance_profile(InstanceProfileName=data, TagKeys=["team"])
    assert error_of(lambda: member.get_instance_profile(InstanceProfileName=data))[0] == (
        "AccessDenied"
    )


def test_adding_a_role_needs_pass_role(
    iam: Any, user_client: Callable[..., Any], unique: Callable[[str], str]
) -> None:
    """AddRoleToInstanceProfile hands the role to EC2, so AWS also checks iam:PassRole.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-ec2_instance-profiles.html
    """
    trust = (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
        '"Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
    )
    role, profile = unique("r"), unique("ip")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)
    iam.create_instance_profile(InstanceProfileName=profile)
    only_profiles = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "iam:AddRoleToInstanceProfile", "Resource": "*"}
        ],
    }
    without = user_client(only_profiles)
    with pytest.raises(ClientError) as info:
        without.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)
    assert "iam:PassRole" in info.value.response["Error"]["Message"]
    with_pass = user_client(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "iam:AddRoleToInstanceProfile", "Resource": "*"},
                {
                    "Effect": "Allow",
                    "Action": "iam:PassRole",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
                },
            ],
        }
    )
    with_pass.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)
    assert (
        iam.get_instance_profile(InstanceProfileName=profile)["InstanceProfile"]["Roles"][0][
            "RoleName"
        ]
        == role
    )
