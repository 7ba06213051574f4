"""``iamd import``'s pure half: reading the file, moving it to the target account, planning.

Input shape: https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountAuthorizationDetails.html
(the API returns documents URL-encoded; the aws CLI prints them decoded).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest

from iamd.importer.apply import apply_plan, method_name
from iamd.importer.plan import Call, Target, make_plan
from iamd.importer.source import SourceError, load

SOURCE = "999988887777"
TARGET = "111122223333"


def doc(action: str, resource: str = "*") -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}],
    }


def role(name: str, path: str = "/", trust: Any = None) -> dict[str, Any]:
    return {
        "Path": path,
        "RoleName": name,
        "Arn": f"arn:aws:iam::{SOURCE}:role{path}{name}",
        "AssumeRolePolicyDocument": trust or doc("sts:AssumeRole"),
        "InstanceProfileList": [],
        "RolePolicyList": [],
        "AttachedManagedPolicies": [],
        "Tags": [],
    }


def test_arns_and_bare_principals_of_the_source_account_move_to_the_target() -> None:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": [f"arn:aws:iam::{SOURCE}:root", SOURCE, "444455556666"]},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": SOURCE}},
            }
        ],
    }
    encoded = quote(json.dumps(trust))  # as the API returns it
    source = load({"RoleDetailList": [role("r", trust=encoded)]}, TARGET)
    assert source.account == SOURCE
    moved = source.roles[0]
    assert moved["Arn"] == f"arn:aws:iam::{TARGET}:role/r"
    statement = moved["AssumeRolePolicyDocument"]["Statement"][0]
    assert statement["Principal"]["AWS"] == [f"arn:aws:iam::{TARGET}:root", TARGET, "444455556666"]
    # Only ARNs and principals are moved; a condition's account value is data, left as is.
    assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == SOURCE


def test_not_authorization_details_is_refused() -> None:
    with pytest.raises(SourceError):
        load({"Users": []}, TARGET)


def test_aws_managed_policies_are_not_imported() -> None:
    source = load(
        {
            "Policies": [
                {"PolicyName": "ReadOnlyAccess", "Arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
            ],
            "UserDetailList": [{"UserName": "u", "Arn": f"arn:aws:iam::{SOURCE}:user/u"}],
        },
        TARGET,
    )
    assert source.policies == [] and source.aws_managed == [
        "arn:aws:iam::aws:policy/ReadOnlyAccess"
    ]


def test_an_existing_policy_gets_a_new_default_version_making_room_for_it() -> None:
    arn = f"arn:aws:iam::{TARGET}:policy/p"
    wanted = {
        "PolicyName": "p",
        "Path": "/",
        "Arn": f"arn:aws:iam::{SOURCE}:policy/p",
        "PolicyVersionList": [
            {"VersionId": "v9", "IsDefaultVersion": True, "Document": doc("s3:*")}
        ],
    }
    have = {
        "Arn": arn,
        "PolicyVersionList": [
            {"VersionId": f"v{i}", "IsDefaultVersion": i == 5, "Document": doc(f"iam:Get{i}")}
            for i in range(1, 6)
        ],
    }
    source = load({"Policies": [wanted]}, TARGET)
    [plan] = make_plan(source, Target(TARGET, policies={arn: have}))
    assert plan.status == "update"
    assert [c.operation for c in plan.calls] == ["DeletePolicyVersion", "CreatePolicyVersion"]
    assert plan.calls[0].params["VersionId"] == "v1"
    assert plan.calls[1].params["SetAsDefault"] is True

    have["PolicyVersionList"][0]["Document"] = doc("s3:*")  # the document is there already
    [plan] = make_plan(source, Target(TARGET, policies={arn: have}))
    assert [c.operation for c in plan.calls] == ["SetDefaultPolicyVersion"]


def test_roles_keep_their_path_and_service_linked_roles_are_skipped() -> None:
    source = load(
        {
            "RoleDetailList": [
                role("moved", path="/new/"),
                role("AWSServiceRoleForSupport", path="/aws-service-role/support.amazonaws.com/"),
            ]
        },
        TARGET,
    )
    existing = {**role("moved", path="/old/"), "Arn": f"arn:aws:iam::{TARGET}:role/old/moved"}
    plans = make_plan(source, Target(TARGET, roles={"moved": existing}))
    assert [(p.name, p.status) for p in plans] == [
        ("moved", "unchanged"),
        ("AWSServiceRoleForSupport", "skip"),
    ]
    assert "cannot move a role" in plans[0].note


def test_a_failed_call_stops_only_its_entity() -> None:
    class Client:
        def __init__(self) -> None:
            self.calls: list[str] = []

        def __getattr__(self, name: str) -> Any:
            def call(**params: Any) -> None:
                self.calls.append(name)
                if name == "create_group":
                    raise RuntimeError("boom")

            return call

    source = load(
        {
            "GroupDetailList": [
                {
                    "GroupName": "g",
                    "Path": "/",
                    "Arn": f"arn:aws:iam::{SOURCE}:group/g",
                    "GroupPolicyList": [{"PolicyName": "p", "PolicyDocument": doc("iam:*")}],
                    "AttachedManagedPolicies": [],
                }
            ],
            "UserDetailList": [
                {"UserName": "u", "Path": "/", "Arn": f"arn:aws:iam::{SOURCE}:user/u"}
            ],
        },
        TARGET,
    )
    client = Client()
    lines: list[str] = []
    summary = apply_plan(client, make_plan(source, Target(TARGET)), echo=lines.append)
    assert client.calls == ["create_group", "create_user"]
    assert summary.counts[("group", "failed")] == 1 and summary.counts[("user", "create")] == 1
    assert summary.failures == ["group g: CreateGroup failed: boom"]


def test_method_names_are_boto3s() -> None:
    assert method_name("CreatePolicyVersion") == "create_policy_version"
    assert method_name("PutUserPermissionsBoundary") == "put_user_permissions_boundary"
    assert Call("TagUser", {"UserName": "u"}).describe() == "TagUser(UserName=u)"
