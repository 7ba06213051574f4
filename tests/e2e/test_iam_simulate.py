"""The IAM policy simulator over the wire with boto3: SimulatePrincipalPolicy,
SimulateCustomPolicy and the two GetContextKeys operations, decided by iamd's engine and shaped
as AWS answers them."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from support.live import LiveServer

CLI_EXAMPLE = (
    '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*",'
    '"Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}'
)
"""The policy of AWS's simulate-custom-policy example, byte for byte."""


def error_of(call: Callable[[], Any]) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as info:
        call()
    response = info.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: str | list[str], resource: str | list[str] = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: str | list[str], resource: str | list[str] = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def user_arn(server: LiveServer, name: str) -> str:
    return f"arn:aws:iam::{server.account_id}:user/{name}"


def only(response: dict[str, Any]) -> dict[str, Any]:
    (result,) = response["EvaluationResults"]
    assert isinstance(result, dict)
    return result


# SimulateCustomPolicy -----------------------------------------------------------------


def test_custom_policy_matches_the_aws_cli_example(iam: Any) -> None:
    """AWS's own example: same decision, SourcePolicyId ``PolicyInputList.1``, and the statement
    at columns 38..167 of the one-line document.
    https://docs.aws.amazon.com/cli/latest/reference/iam/simulate-custom-policy.html"""
    context = {
        "ContextKeyName": "aws:CurrentTime",
        "ContextKeyValues": ["2019-04-25T11:00:00Z"],
        "ContextKeyType": "date",
    }
    result = only(
        iam.simulate_custom_policy(
            PolicyInputList=[CLI_EXAMPLE],
            ActionNames=["dynamodb:CreateBackup"],
            ContextEntries=[context],
        )
    )
    assert result == {
        "EvalActionName": "dynamodb:CreateBackup",
        "EvalResourceName": "*",
        "EvalDecision": "allowed",
        "MatchedStatements": [
            {
                "SourcePolicyId": "PolicyInputList.1",
                "SourcePolicyType": "IAM Policy",
                "StartPosition": {"Line": 1, "Column": 38},
                "EndPosition": {"Line": 1, "Column": 167},
            }
        ],
        "MissingContextValues": [],
    }
    earlier = {**context, "ContextKeyValues": ["2014-04-25T11:00:00Z"]}
    denied = only(
        iam.simulate_custom_policy(
            PolicyInputList=[CLI_EXAMPLE],
            ActionNames=["dynamodb:CreateBackup"],
            ContextEntries=[earlier],
        )
    )
    assert (denied["EvalDecision"], denied["MatchedStatements"]) == ("implicitDeny", [])


def test_missing_context_values_name_the_keys_a_policy_needs(iam: Any) -> None:
    """Without ``aws:CurrentTime`` the example policy cannot grant, and the simulator says which
    key was missing (as the key is spelled in the policy).
    https://docs.aws.amazon.com/IAM/latest/APIReference/API_EvaluationResult.html"""
    result = only(
        iam.simulate_custom_policy(
            PolicyInputList=[CLI_EXAMPLE], ActionNames=["dynamodb:CreateBackup"]
        )
    )
    assert result["EvalDecision"] == "implicitDeny"
    assert result["MissingContextValues"] == ["aws:CurrentTime"]
    # A statement for another action needs nothing from this request.
    other = only(
        iam.simulate_custom_policy(PolicyInputList=[CLI_EXAMPLE], ActionNames=["s3:GetObject"])
    )
    assert other["MissingContextValues"] == []


def test_explicit_deny_reports_only_the_deny(iam: Any) -> None:
    """ "Even if multiple statements allow the operation on the resource, if only one statement
    denies that operation, then the explicit deny overrides any allow. In addition, the deny
    statement is the only entry included in the result."
    https://docs.aws.amazon.com/IAM/latest/APIReference/API_EvaluationResult.html"""
    first = json.dumps(policy(allow("s3:*")))
    second = json.dumps(policy(allow("s3:GetObject"), deny("s3:DeleteBucket")))
    response = iam.simulate_custom_policy(
        PolicyInputList=[first, second], ActionNames=["s3:GetObject", "s3:DeleteBucket"]
    )
    get, delete = response["EvaluationResults"]
    assert get["EvalDecision"] == "allowed"
    assert [m["SourcePolicyId"] for m in get["MatchedStatements"]] == [
        "PolicyInputList.1",
        "PolicyInputList.2",
    ]
    assert delete["EvalDecision"] == "explicitDeny"
    (matched,) = delete["MatchedStatements"]
    assert matched["SourcePolicyId"] == "PolicyInputList.2"
    # json.dumps puts the second statement right after '}, ' on line 1.
    assert matched["StartPosition"] == {"Line": 1, "Column": second.index("}, {") + 2}
    assert matched["EndPosition"] == {"Line": 1, "Column": len(second) - 1}


def test_resource_arns_give_one_result_per_action_with_resource_specific_results(
    iam: Any,
) -> None:
    """One EvaluationResult per action whatever the number of ARNs; the top-level decision is
    the most restrictive, EvalResourceName the resource type's ARN format, and each resource has
    its own entry in ResourceSpecificResults.  Within one account EvalDecisionDetails is present
    and empty when resources are named.
    https://docs.aws.amazon.com/IAM/latest/APIReference/API_EvaluationResult.html"""
    document = json.dumps(
        policy(
            allow("s3:GetObject", "arn:aws:s3:::reports/*"),
            deny("s3:GetObject", "arn:aws:s3:::reports/secret/*"),
        )
    )
    resources = [
        "arn:aws:s3:::reports/q1.csv",
        "arn:aws:s3:::reports/secret/plan",
        "arn:aws:s3:::other/x",
    ]
    result = only(
        iam.simulate_custom_policy(
            PolicyInputList=[document], ActionNames=["s3:GetObject"], ResourceArns=resources
        )
    )
    assert result["EvalDecision"] == "explicitDeny"
    assert result["EvalResourceName"] == "arn:${Partition}:s3:::${BucketName}/${ObjectName}"
    assert result["EvalDecisionDetails"] == {}
    specific = {
        r["EvalResourceName"]: r["EvalResourceDecision"] for r in result["ResourceSpecificResults"]
    }
    assert specific == {
        resources[0]: "allowed",
        resources[1]: "explicitDeny",
        resources[2]: "implicitDeny",
    }
    # The top level keeps only the statements behind the reported decision: the deny.
    assert len(result["MatchedStatements"]) == 1
    assert result["MatchedStatements"][0]["StartPosition"]["Column"] > 60


def test_resource_policy_across_accounts_reports_each_policy_type(iam: Any) -> None:
    """Across accounts both the identity-based policy and the resource-based policy must allow;
    EvalDecisionDetails gives each type's decision.
    https://docs.aws.amazon.com/IAM/latest/APIReference/API_EvaluationResult.html
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html"""
    caller = "arn:aws:iam::444455556666:user/bob"
    bucket_policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": caller},
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::shared/*",
                }
            ],
        }
    )
    common = {
        "ActionNames": ["s3:GetObject", "s3:PutObject"],
        "ResourceArns": ["arn:aws:s3:::shared/data"],
        "ResourcePolicy": bucket_policy,
        "ResourceOwner": "arn:aws:iam::111111111111:root",
        "CallerArn": caller,
    }
    get, put = iam.simulate_custom_policy(
        PolicyInputList=[json.dumps(policy(allow("s3:*")))], **common
    )["EvaluationResults"]
    assert get["EvalDecision"] == "allowed"
    assert get["EvalDecisionDetails"] == {"IAM Policy": "allowed", "Resource Policy": "allowed"}
    assert [m["SourcePolicyType"] for m in get["MatchedStatements"]] == [
        "IAM Policy",
        "Resource Policy",
    ]
    assert get["MatchedStatements"][1]["SourcePolicyId"] == "ResourcePolicy"
    assert put["EvalDecision"] == "implicitDeny"
    assert put["EvalDecisionDetails"] == {
        "IAM Policy": "allowed",
        "Resource Policy": "implicitDeny",
    }
    assert put["ResourceSpecificResults"][0]["EvalDecisionDetails"] == put["EvalDecisionDetails"]
    # Without an identity-based allow the bucket policy alone does not let bob in.
    alone = only(
        iam.simulate_custom_policy(
            PolicyInputList=[json.dumps(policy(allow("ec2:*")))],
            **{**common, "ActionNames": ["s3:GetObject"]},
        )
    )
    assert alone["EvalDecision"] == "implicitDeny"
    assert alone["EvalDecisionDetails"]["IAM Policy"] == "implicitDeny"


def test_resource_policy_needs_a_caller_arn(iam: Any) -> None:
    """ "CallerArn is required if you include a ResourcePolicy so that the policy's Principal
    element has a value to use in evaluating the policy."
    https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulateCustomPolicy.html"""
    resource_policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}],
        }
    )
    code, _, status = error_of(
        lambda: iam.simulate_custom_policy(
            PolicyInputList=[json.dumps(policy(allow("s3:*")))],
            ActionNames=["s3:GetObject"],
            ResourcePolicy=resource_policy,
        )
    )
    assert (code, status) == ("InvalidInput", 400)


def test_permissions_boundary_input_caps_the_identity_policy(iam: Any) -> None:
    """The boundary sets the maximum permissions; PermissionsBoundaryDecisionDetail says whether
    it allowed the request.
    https://docs.aws.amazon.com/IAM/latest/APIReference/API_PermissionsBoundaryDecisionDetail.html
    https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html"""
    response = iam.simulate_custom_policy(
        PolicyInputList=[json.dumps(policy(allow(["s3:*", "ec2:*"])))],
        PermissionsBoundaryPolicyInputList=[json.dumps(policy(allow("s3:*")))],
        ActionNames=["s3:ListBucket", "ec2:RunInstances"],
    )
    s3, ec2 = response["EvaluationResults"]
    assert s3["EvalDecision"] == "allowed"
    assert s3["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": True}
    assert ec2["EvalDecision"] == "implicitDeny"
    assert ec2["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}


def test_service_control_policies_limit_the_account(iam: Any) -> None:
    """Every level of the organization must allow the action; OrganizationsDecisionDetail says
    whether SCPs allowed it.
    https://docs.aws.amazon.com/IAM/latest/APIReference/API_OrganizationsDecisionDetail.html
    https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html"""
    full = json.dumps(policy(allow("*")))
    s3_only = json.dumps(policy(allow("s3:*")))
    response = iam.simulate_custom_policy(
        PolicyInputList=[full],
        OrderedOrganizationPolicyInputList=[
            {"ServiceControlPolicyInputList": [full]},
            {"ServiceControlPolicyInputList": [s3_only]},
        ],
        ActionNames=["s3:GetObject", "iam:CreateUser"],
    )
    s3, created = response["EvaluationResults"]
    assert s3["EvalDecision"] == "allowed"
    assert s3["OrganizationsDecisionDetail"] == {"AllowedByOrganizations": True}
    assert created["EvalDecision"] == "implicitDeny"
    assert created["OrganizationsDecisionDetail"] == {"AllowedByOrganizations": False}
    # SCP statements never appear among the matched statements.
    assert all(m["SourcePolicyId"] == "PolicyInputList.1" for m in s3["MatchedStatements"])


def test_context_entry_types(iam: Any) -> None:
    """Each ContextKeyType gives the key its type; the List forms give several values, which
    ForAnyValue/ForAllValues compare.
    https://docs.aws.amazon.com/IAM/latest/APIReference/API_ContextEntry.html
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html"""
    document = json.dumps(
        policy(
            allow(
                "s3:GetObject",
                Condition={
                    "IpAddress": {"aws:SourceIp": "10.0.0.0/8"},
                    "Bool": {"aws:SecureTransport": "true"},
                    "NumericLessThan": {"s3:max-keys": "10"},
                    "ForAnyValue:StringEquals": {"aws:TagKeys": ["team"]},
                },
            )
        )
    )

    def decide(overrides: dict[str, tuple[list[str], str]] | None = None) -> str:
        values = {
            "aws:SourceIp": (["10.1.2.3"], "ip"),
            "aws:SecureTransport": (["True"], "boolean"),
            "s3:max-keys": (["5"], "numeric"),
            "aws:TagKeys": (["env", "team"], "stringList"),
        }
        values.update(overrides or {})
        entries = [
            {"ContextKeyName": name, "ContextKeyValues": vals, "ContextKeyType": kind}
            for name, (vals, kind) in values.items()
        ]
        return str(
            only(
                iam.simulate_custom_policy(
                    PolicyInputList=[document],
                    ActionNames=["s3:GetObject"],
                    ContextEntries=entries,
                )
            )["EvalDecision"]
        )

    assert decide() == "allowed"
    assert decide({"aws:SourceIp": (["192.168.0.1"], "ip")}) == "implicitDeny"
    assert decide({"aws:SecureTransport": (["false"], "boolean")}) == "implicitDeny"
    assert decide({"s3:max-keys": (["50"], "numeric")}) == "implicitDeny"
    assert decide({"aws:TagKeys": (["env"], "stringList")}) == "implicitDeny"
    assert decide({"aws:TagKeys": (["team"], "string")}) == "allowed"
    code, _, _ = error_of(lambda: decide({"aws:SourceIp": (["not-an-ip"], "ip")}))
    assert code == "InvalidInput"
    code, _, _ = error_of(lambda: decide({"aws:SourceIp": (["10.0.0.1", "10.0.0.2"], "ip")}))
    assert code == "InvalidInput"


def test_malformed_input_policy_is_invalid_input(iam: Any) -> None:
    """A policy in PolicyInputList that does not parse is rejected, not ignored.
    https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulateCustomPolicy.html"""
    bad = json.dumps(policy({"Effect": "Allow", "Action": "s3get", "Resource": "*"}))
    code, message, status = error_of(
        lambda: iam.simulate_custom_policy(PolicyInputList=[bad], ActionNames=["s3:GetObject"])
    )
    assert (code, status) == ("InvalidInput", 400)
    assert "prefaced by a vendor" in message
    code, _, _ = error_of(
        lambda: iam.simulate_custom_policy(
            PolicyInputList=["{not json"], ActionNames=["s3:GetObject"]
        )
    )
    assert code == "InvalidInput"


def test_pagination_over_evaluation_results(iam: Any) -> None:
    """MaxItems and Marker page through EvaluationResults, as the paginator expects.
    https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulateCustomPolicy.html"""
    actions = [
        f"s3:{name}"
        for name in ("GetObject", "PutObject", "ListBucket", "DeleteObject", "GetBucketTagging")
    ]
    document = json.dumps(policy(allow("s3:Get*")))
    first = iam.simulate_custom_policy(PolicyInputList=[document], ActionNames=actions, MaxItems=2)
    assert first["IsTruncated"] is True
    assert [r["EvalActionName"] for r in first["EvaluationResults"]] == actions[:2]
    second = iam.simulate_custom_policy(
        PolicyInputList=[document], ActionNames=actions, MaxItems=2, Marker=first["Marker"]
    )
    assert [r["EvalActionName"] for r in second["EvaluationResults"]] == actions[2:4]
    paginator = iam.get_paginator("simulate_custom_policy")
    pages = paginator.paginate(
        PolicyInputList=[document], ActionNames=actions, PaginationConfig={"PageSize": 2}
    )
    decisions = [r["EvalDecision"] for page in pages for r in page["EvaluationResults"]]
    assert decisions == ["allowed", "implicitDeny", "implicitDeny", "implicitDeny", "allowed"]


# SimulatePrincipalPolicy ---------------------------------------------------------------


def test_principal_policy_reads_the_users_and_its_groups_policies(
    server: LiveServer, iam: Any, unique: Callable[[str], str]
) -> None:
    """A user's simulation includes the policies of its groups; a managed policy is named by
    its name, and a statement's position is where AWS reports it in the stored document (the
    CLI example: line 3 column 19 to line 9 column 10 for a four-space-indented document).
    https://docs.aws.amazon.com/cli/latest/reference/iam/simulate-principal-policy.html"""
    user, group = unique("alejandro"), unique("devs")
    iam.create_user(UserName=user)
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=user)
    document = json.dumps(
        policy(
            {
                "Sid": "ListRepos",
                "Effect": "Allow",
                "Action": "codecommit:ListRepositories",
                "Resource": "*",
            }
        ),
        indent=4,
    )
    name = unique("Grant-Access-To-CodeCommit-ListRepo")
    arn = iam.create_policy(PolicyName=name, PolicyDocument=document)["Policy"]["Arn"]
    iam.attach_user_policy(UserName=user, PolicyArn=arn)
    iam.put_group_policy(
        GroupName=group,
        PolicyName="deny-delete",
        PolicyDocument=json.dumps(policy(deny("codecommit:DeleteRepository"))),
    )
    response = iam.simulate_principal_policy(
        PolicySourceArn=user_arn(server, user),
        ActionNames=["codecommit:ListRepositories", "codecommit:DeleteRepository"],
    )
    listed, deleted = response["EvaluationResults"]
    assert listed["EvalDecision"] == "allowed"
    assert listed["MatchedStatements"] == [
        {
            "SourcePolicyId": name,
            "SourcePolicyType": "IAM Policy",
            "StartPosition": {"Line": 3, "Column": 19},
            "EndPosition": {"Line": 9, "Column": 10},
        }
    ]
    assert deleted["EvalDecision"] == "explicitDeny"
    assert deleted["MatchedStatements"][0]["SourcePolicyId"] == f"group_{group}_deny-delete"
    # The group alone has only its own policy.
    group_arn = f"arn:aws:iam::{server.account_id}:group/{group}"
    alone = iam.simulate_principal_policy(
        PolicySourceArn=group_arn, ActionNames=["codecommit:ListRepositories"]
    )
    assert only(alone)["EvalDecision"] == "implicitDeny"


def test_principal_policy_with_boundary_and_extra_policies(
    server: LiveServer, iam: Any, unique: Callable[[str], str]
) -> None:
    """A role's boundary caps its policies; PolicyInputList adds policies for the simulation and
    PermissionsBoundaryPolicyInputList replaces the entity's boundary.
    https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html"""
    boundary_name = unique("boundary")
    boundary_arn = iam.create_policy(
        PolicyName=boundary_name, PolicyDocument=json.dumps(policy(allow("s3:*")))
    )["Policy"]["Arn"]
    trust = policy(
        {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    )
    role = unique("app")
    role_arn = iam.create_role(
        RoleName=role,
        AssumeRolePolicyDocument=json.dumps(trust),
        PermissionsBoundary=boundary_arn,
    )["Role"]["Arn"]
    iam.put_role_policy(
        RoleName=role, PolicyName="all", PolicyDocument=json.dumps(policy(allow(["s3:*", "sqs:*"])))
    )
    response = iam.simulate_principal_policy(
        PolicySourceArn=role_arn, ActionNames=["s3:GetObject", "sqs:SendMessage", "sns:Publish"]
    )
    s3, sqs, sns = response["EvaluationResults"]
    assert s3["EvalDecision"] == "allowed"
    assert s3["MatchedStatements"][0]["SourcePolicyId"] == f"role_{role}_all"
    assert s3["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": True}
    assert (sqs["EvalDecision"], sqs["PermissionsBoundaryDecisionDetail"]) == (
        "implicitDeny",
        {"AllowedByPermissionsBoundary": False},
    )
    assert sns["EvalDecision"] == "implicitDeny"
    replaced = iam.simulate_principal_policy(
        PolicySourceArn=role_arn,
        ActionNames=["sqs:SendMessage", "sns:Publish"],
        PolicyInputList=[json.dumps(policy(allow("sns:Publish")))],
        PermissionsBoundaryPolicyInputList=[json.dumps(policy(allow(["sqs:*", "sns:*"])))],
    )
    sqs, sns = replaced["EvaluationResults"]
    assert sqs["EvalDecision"] == "allowed" and sns["EvalDecision"] == "allowed"
    assert sns["MatchedStatements"][0]["SourcePolicyId"] == "PolicyInputList.1"
    denied_by_boundary = iam.simulate_principal_policy(
        PolicySourceArn=role_arn,
        ActionNames=["s3:GetObject"],
        PermissionsBoundaryPolicyInputList=[json.dumps(policy(allow("*"), deny("s3:*")))],
    )
    result = only(denied_by_boundary)
    assert result["EvalDecision"] == "explicitDeny"
    assert [m["SourcePolicyType"] for m in result["MatchedStatements"]] == [
        "Permissions Boundary Policy"
    ]
    assert result["MatchedStatements"][0]["SourcePolicyId"] == (
        "PermissionsBoundaryPolicyInputList.1"
    )


def test_policy_exclusion_list(server: LiveServer, iam: Any, unique: Callable[[str], str]) -> None:
    """PolicyExclusionList leaves policies out of the simulation without detaching them; an
    identifier that matches nothing is ignored.
    https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html
    https://docs.aws.amazon.com/IAM/latest/APIReference/API_PolicyIdentifier.html"""
    user = unique("carol")
    iam.create_user(UserName=user)
    iam.put_user_policy(
        UserName=user, PolicyName="inline", PolicyDocument=json.dumps(policy(allow("s3:GetObject")))
    )
    managed = unique("managed-sqs")
    arn = iam.create_policy(PolicyName=managed, PolicyDocument=json.dumps(policy(allow("sqs:*"))))[
        "Policy"
    ]["Arn"]
    iam.attach_user_policy(UserName=user, PolicyArn=arn)

    def decisions(exclusions: list[dict[str, Any]]) -> list[str]:
        response = iam.simulate_principal_policy(
            PolicySourceArn=user_arn(server, user),
            ActionNames=["s3:GetObject", "sqs:SendMessage"],
            PolicyExclusionList=exclusions,
        )
        return [r["EvalDecision"] for r in response["EvaluationResults"]]

    assert decisions([]) == ["allowed", "allowed"]
    assert decisions([{"PolicyType": "inline"}]) == ["implicitDeny", "allowed"]
    assert decisions([{"PolicyType": "user-managed"}]) == ["allowed", "implicitDeny"]
    wildcard = arn.rsplit("/", 1)[0] + "/managed-*"
    assert decisions([{"PolicyArn": wildcard}]) == ["allowed", "implicitDeny"]
    inline = {"PolicyName": "inline", "AttachmentType": "user", "AttachmentName": user}
    assert decisions([{"InlinePolicyIdentifier": inline}]) == ["implicitDeny", "allowed"]
    assert decisions([{"PolicyType": "scp"}]) == ["allowed", "allowed"]
    code, _, _ = error_of(lambda: decisions([{"PolicyArn": "arn:aws:s3:::not-a-policy-arn"}]))
    assert code == "InvalidInput"


def test_principal_policy_errors(server: LiveServer, iam: Any) -> None:
    """An unknown entity is NoSuchEntity; an ARN that is not a user, group or role (an assumed
    role session) and another account's entity are InvalidInput, in AWS's words.
    https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html"""
    missing = f"arn:aws:iam::{server.account_id}:role/DeveloperRole"
    assert error_of(
        lambda: iam.simulate_principal_policy(PolicySourceArn=missing, ActionNames=["s3:GetObject"])
    ) == ("NoSuchEntity", "The role with name DeveloperRole cannot be found.", 404)
    session = f"arn:aws:sts::{server.account_id}:assumed-role/u-admin/botocore-session-1"
    assert error_of(
        lambda: iam.simulate_principal_policy(PolicySourceArn=session, ActionNames=["s3:GetObject"])
    ) == (
        "InvalidInput",
        f"Invalid Entity Arn: {session} does not clearly define entity type and name.",
        400,
    )
    foreign = "arn:aws:iam::999988887777:user/someone"
    assert error_of(
        lambda: iam.simulate_principal_policy(PolicySourceArn=foreign, ActionNames=["s3:GetObject"])
    ) == (
        "InvalidInput",
        f"Invalid Policy Source Arn: caller's account {server.account_id} does not have access "
        "to policies in account 999988887777",
        400,
    )


def test_simulation_is_authorized_on_the_policy_source(
    server: LiveServer, iam: Any, user_client: Callable[..., Any], unique: Callable[[str], str]
) -> None:
    """SimulatePrincipalPolicy and GetContextKeysForPrincipalPolicy act on the user, group or
    role whose policies they read; the custom variants act on "*".
    https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html"""
    target, other = unique("target"), unique("other")
    iam.create_user(UserName=target)
    iam.create_user(UserName=other)
    caller = user_client(
        policy(
            allow(
                ["iam:SimulatePrincipalPolicy", "iam:GetContextKeysForPrincipalPolicy"],
                user_arn(server, target),
            )
        )
    )
    caller.simulate_principal_policy(
        PolicySourceArn=user_arn(server, target), ActionNames=["s3:GetObject"]
    )
    caller.get_context_keys_for_principal_policy(PolicySourceArn=user_arn(server, target))
    code, message, status = error_of(
        lambda: caller.simulate_principal_policy(
            PolicySourceArn=user_arn(server, other), ActionNames=["s3:GetObject"]
        )
    )
    assert (code, status) == ("AccessDenied", 403)
    assert message == (
        f"User: {user_arn(server, caller.user_name)} is not authorized to perform: "
        f"iam:SimulatePrincipalPolicy on resource: {user_arn(server, other)} "
        "because no identity-based policy allows the iam:SimulatePrincipalPolicy action"
    )
    code, message, _ = error_of(
        lambda: caller.simulate_custom_policy(
            PolicyInputList=[CLI_EXAMPLE], ActionNames=["s3:GetObject"]
        )
    )
    assert code == "AccessDenied" and "iam:SimulateCustomPolicy on resource: *" in message
    assert (
        error_of(lambda: caller.get_context_keys_for_custom_policy(PolicyInputList=[CLI_EXAMPLE]))[
            0
        ]
        == "AccessDenied"
    )


# GetContextKeysFor*Policy --------------------------------------------------------------


def test_context_keys_for_custom_policy_matches_the_aws_cli_example(iam: Any) -> None:
    """The variable in Resource and the condition key, in document order.
    https://docs.aws.amazon.com/cli/latest/reference/iam/get-context-keys-for-custom-policy.html"""
    document = (
        '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*",'
        '"Resource":"arn:aws:dynamodb:us-west-2:123456789012:table/${aws:username}",'
        '"Condition":{"DateGreaterThan":{"aws:CurrentTime":"2015-08-16T12:00:00Z"}}}}'
    )
    keys = iam.get_context_keys_for_custom_policy(PolicyInputList=[document])["ContextKeyNames"]
    assert keys == ["aws:username", "aws:CurrentTime"]


def test_context_keys_are_listed_once_ignoring_case(iam: Any) -> None:
    """Condition key names are not case-sensitive, so ``aws:SourceIp`` and ``AWS:sourceip`` are
    one key; variables in condition values count, and a 2008-10-17 policy has no variables.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html"""
    first = json.dumps(
        policy(
            allow(
                "s3:ListBucket",
                "arn:aws:s3:::home",
                Condition={
                    "IpAddress": {"aws:SourceIp": "10.0.0.0/8"},
                    "StringLike": {"s3:prefix": "${aws:PrincipalTag/team}/*"},
                },
            )
        )
    )
    second = json.dumps(
        policy(allow("s3:GetObject", Condition={"IpAddress": {"AWS:sourceip": "10.0.0.0/8"}}))
    )
    legacy = json.dumps(
        {
            "Version": "2008-10-17",
            "Statement": [allow("s3:GetObject", "arn:aws:s3:::b/${aws:username}")],
        }
    )
    keys = iam.get_context_keys_for_custom_policy(PolicyInputList=[first, second, legacy])[
        "ContextKeyNames"
    ]
    assert keys == ["aws:SourceIp", "s3:prefix", "aws:PrincipalTag/team"]


def test_context_keys_for_principal_policy(
    server: LiveServer, iam: Any, unique: Callable[[str], str]
) -> None:
    """A user's keys include those of its groups' policies and of any given policy; the
    permissions boundary is not an identity-based policy and is left out.
    https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetContextKeysForPrincipalPolicy.html"""
    user, group = unique("saanvi"), unique("ops")
    boundary = iam.create_policy(
        PolicyName=unique("b"),
        PolicyDocument=json.dumps(
            policy(allow("*", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}))
        ),
    )["Policy"]["Arn"]
    iam.create_user(UserName=user, PermissionsBoundary=boundary)
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=user)
    iam.put_user_policy(
        UserName=user,
        PolicyName="home",
        PolicyDocument=json.dumps(policy(allow("s3:*", "arn:aws:s3:::home/${aws:username}/*"))),
    )
    iam.put_group_policy(
        GroupName=group,
        PolicyName="hours",
        PolicyDocument=json.dumps(
            policy(
                allow(
                    "ec2:*",
                    Condition={"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}},
                )
            )
        ),
    )
    extra = json.dumps(
        policy(allow("sqs:*", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))
    )
    keys = iam.get_context_keys_for_principal_policy(
        PolicySourceArn=user_arn(server, user), PolicyInputList=[extra]
    )["ContextKeyNames"]
    assert keys == ["aws:username", "aws:CurrentTime", "aws:SourceIp"]
    missing = f"arn:aws:iam::{server.account_id}:user/{unique('ghost')}"
    code, _, status = error_of(
        lambda: iam.get_context_keys_for_principal_policy(PolicySourceArn=missing)
    )
    assert (code, status) == ("NoSuchEntity", 404)
