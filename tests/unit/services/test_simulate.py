"""The policy simulator's pieces without a server: statement positions, context entries,
referenced keys, exclusions, and the per-action aggregation over resources."""

from __future__ import annotations

import json
from typing import Any

import pytest

from iamd.errors import InvalidInput
from iamd.policy import PolicyKind
from iamd.services.iam.simulate import Simulation, _Runner, most_restrictive, resource_name
from iamd.services.iam.simulation_support import (
    BOUNDARY_TYPE,
    IDENTITY_TYPE,
    RESOURCE_TYPE,
    Exclusions,
    SourcePolicy,
    context_from_entries,
    input_policy,
    parse_entity_arn,
    policy_keys,
    resource_owner,
    unique_keys,
)

ACCOUNT = "111122223333"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"


def identity(document: str | dict[str, Any], n: int = 1) -> SourcePolicy:
    text = document if isinstance(document, str) else json.dumps(document)
    return input_policy(text, PolicyKind.IDENTITY, f"PolicyInputList.{n}", IDENTITY_TYPE)


def doc(*statements: dict[str, Any], version: str = "2012-10-17") -> dict[str, Any]:
    return {"Version": version, "Statement": list(statements)}


def span(source: SourcePolicy, index: int) -> tuple[tuple[int, int], tuple[int, int]]:
    found = source.position(index)
    start, end = found["StartPosition"], found["EndPosition"]
    return (start["Line"], start["Column"]), (end["Line"], end["Column"])


# Positions -----------------------------------------------------------------------------


def test_position_of_a_lone_statement_object_matches_the_aws_cli_example() -> None:
    """https://docs.aws.amazon.com/cli/latest/reference/iam/simulate-custom-policy.html gives
    StartPosition 1:38 and EndPosition 1:167 for this exact document."""
    text = (
        '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*",'
        '"Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}'
    )
    assert span(identity(text), 0) == ((1, 38), (1, 167))


def test_positions_in_an_indented_document_match_aws_outputs() -> None:
    """Four-space indentation: AWS's simulate-principal-policy example reports 3:19 to 9:10
    (https://docs.aws.amazon.com/cli/latest/reference/iam/simulate-principal-policy.html); AWS
    stores AdministratorAccess with two spaces and reports it at 3:17 to 8:6."""
    statement = {"Sid": "S", "Effect": "Allow", "Action": "codecommit:ListRepositories"}
    four = json.dumps(doc({**statement, "Resource": "*"}), indent=4)
    assert span(identity(four), 0) == ((3, 19), (9, 10))
    admin = json.dumps(doc({"Effect": "Allow", "Action": "*", "Resource": "*"}), indent=2)
    assert span(identity(admin), 0) == ((3, 17), (8, 6))


def test_later_statements_start_just_past_the_previous_statement() -> None:
    """AWS's reader stands just past the previous token: for a second statement that is the
    first statement's ``}``, so the span takes in the comma (and any space) between them."""
    text = json.dumps(
        doc(
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"},
        )
    )
    source = identity(text)
    first_end = text.index("}, {") + 1
    assert span(source, 0) == ((1, text.index("[{") + 2), (1, first_end + 1))
    assert span(source, 1) == ((1, first_end + 1), (1, len(text) - 1))  # before "]}"


# Context entries -----------------------------------------------------------------------


def test_context_entries_take_their_type() -> None:
    """https://docs.aws.amazon.com/IAM/latest/APIReference/API_ContextEntry.html"""
    context = context_from_entries(
        [
            {
                "ContextKeyName": "aws:SourceIp",
                "ContextKeyValues": ["10.0.0.1"],
                "ContextKeyType": "ip",
            },
            {
                "ContextKeyName": "aws:TagKeys",
                "ContextKeyValues": ["a"],
                "ContextKeyType": "stringList",
            },
            {
                "ContextKeyName": "aws:SecureTransport",
                "ContextKeyValues": ["TRUE"],
                "ContextKeyType": "boolean",
            },
            {
                "ContextKeyName": "s3:max-keys",
                "ContextKeyValues": ["1", "2"],
                "ContextKeyType": "numericList",
            },
            {"ContextKeyName": "aws:username", "ContextKeyValues": ["bob"]},
            {"ContextKeyName": "aws:PrincipalTag/x", "ContextKeyValues": ["1", "2"]},
        ]
    )
    assert context == {
        "aws:SourceIp": "10.0.0.1",
        "aws:TagKeys": ["a"],
        "aws:SecureTransport": "true",
        "s3:max-keys": ["1", "2"],
        "aws:username": "bob",
        "aws:PrincipalTag/x": ["1", "2"],
    }


@pytest.mark.parametrize(
    "entry",
    [
        {"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["nope"], "ContextKeyType": "ip"},
        {"ContextKeyName": "aws:EpochTime", "ContextKeyValues": ["soon"], "ContextKeyType": "date"},
        {
            "ContextKeyName": "s3:max-keys",
            "ContextKeyValues": ["x"],
            "ContextKeyType": "numericList",
        },
        {
            "ContextKeyName": "aws:MultiFactorAuthPresent",
            "ContextKeyValues": ["yes"],
            "ContextKeyType": "boolean",
        },
        {
            "ContextKeyName": "aws:username",
            "ContextKeyValues": ["a", "b"],
            "ContextKeyType": "string",
        },
        {"ContextKeyName": "aws:username", "ContextKeyValues": [], "ContextKeyType": "string"},
        {"ContextKeyName": "aws:username", "ContextKeyValues": ["a"], "ContextKeyType": "text"},
        {"ContextKeyValues": ["a"], "ContextKeyType": "string"},
    ],
)
def test_bad_context_entries_are_invalid_input(entry: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput):
        context_from_entries([entry])


# Referenced keys -----------------------------------------------------------------------


def test_policy_keys_in_document_order() -> None:
    """Variables in Resource, then each condition key and the variables in its values; the
    ``${key, 'default'}`` form names the key, the ``${*}`` escape names none.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html"""
    source = identity(
        doc(
            {
                "Effect": "Allow",
                "Action": "s3:*",
                "Resource": ["arn:aws:s3:::b/${aws:username}/*", "arn:aws:s3:::b/${*}"],
                "Condition": {
                    "StringLike": {"s3:prefix": "${aws:PrincipalTag/team, 'none'}/*"},
                    "NumericLessThan": {"s3:max-keys": "10"},
                },
            }
        )
    )
    assert policy_keys(source.policy) == [
        "aws:username",
        "s3:prefix",
        "aws:PrincipalTag/team",
        "s3:max-keys",
    ]


def test_no_variables_before_version_2012() -> None:
    """Version 2008-10-17 takes ``${...}`` literally, so it refers to no key."""
    source = identity(
        doc(
            {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/${aws:username}"},
            version="2008-10-17",
        )
    )
    assert policy_keys(source.policy) == []


def test_unique_keys_ignore_case_and_keep_the_first_spelling() -> None:
    """https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html
    "Condition key names are not case-sensitive"."""
    assert unique_keys(["aws:SourceIp", "AWS:sourceip", "s3:prefix", "aws:sourceIP"]) == [
        "aws:SourceIp",
        "s3:prefix",
    ]


# ARNs and exclusions -------------------------------------------------------------------


def test_entity_arns() -> None:
    found = parse_entity_arn(f"arn:aws:iam::{ACCOUNT}:user/division/team/alice")
    assert found is not None and (found.account, found.kind, found.name) == (
        ACCOUNT,
        "user",
        "alice",
    )
    assert parse_entity_arn(f"arn:aws:iam::{ACCOUNT}:role/r") is not None
    for bad in (
        f"arn:aws:sts::{ACCOUNT}:assumed-role/r/s",
        f"arn:aws:iam::{ACCOUNT}:root",
        f"arn:aws:iam::{ACCOUNT}:policy/p",
        f"arn:aws:iam::{ACCOUNT}:user/",
    ):
        assert parse_entity_arn(bad) is None, bad


def test_resource_owner_forms() -> None:
    """An account id, or the root ARN as SimulateCustomPolicy documents it."""
    assert resource_owner("444455556666") == "444455556666"
    assert resource_owner("arn:aws:iam::444455556666:root") == "444455556666"
    assert resource_owner(None) is None
    with pytest.raises(InvalidInput):
        resource_owner("arn:aws:iam::444455556666:user/x")


def test_exclusions() -> None:
    """https://docs.aws.amazon.com/IAM/latest/APIReference/API_PolicyIdentifier.html"""
    exclusions = Exclusions.parse(
        [
            {"PolicyArn": f"arn:aws:iam::{ACCOUNT}:policy/team/Read*"},
            {"PolicyType": "aws-managed"},
            {
                "InlinePolicyIdentifier": {
                    "PolicyName": "p",
                    "AttachmentType": "group",
                    "AttachmentName": "dev?",
                }
            },
        ]
    )
    assert not exclusions.keeps_managed(f"arn:aws:iam::{ACCOUNT}:policy/team/ReadOnly")
    assert exclusions.keeps_managed(f"arn:aws:iam::{ACCOUNT}:policy/team/Write")
    assert not exclusions.keeps_managed("arn:aws:iam::aws:policy/AdministratorAccess")
    assert not exclusions.keeps_inline("group", "devs", "p")
    assert exclusions.keeps_inline("group", "devs", "q")
    assert exclusions.keeps_inline("user", "devs", "p")
    assert exclusions.keeps_inline("group", "developers", "p")
    assert exclusions.keeps_boundary()
    assert not Exclusions.parse([{"PolicyType": "permission-boundary"}]).keeps_boundary()


@pytest.mark.parametrize(
    "identifier",
    [
        {"PolicyType": "inline", "PolicyArn": "arn:aws:iam::aws:policy/X"},
        {},
        {"PolicyType": "everything"},
        {"PolicyArn": "arn:aws:s3:::bucket"},
        {"PolicyArn": "arn:aws:iam::*:policy/X"},
        {"PolicyArn": "arn:aws:iam::aws:policy/A*B*"},
    ],
)
def test_bad_exclusions_are_invalid_input(identifier: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput):
        Exclusions.parse([identifier])


# Aggregation ---------------------------------------------------------------------------


def test_most_restrictive() -> None:
    """ "The top-level EvalDecision reflects the most restrictive decision across all resources."
    https://docs.aws.amazon.com/IAM/latest/APIReference/API_EvaluationResult.html"""
    assert most_restrictive(["allowed", "explicitDeny", "implicitDeny"]) == "explicitDeny"
    assert most_restrictive(["allowed", "implicitDeny"]) == "implicitDeny"
    assert most_restrictive(["allowed"]) == "allowed"


def test_resource_name_is_the_resource_types_arn_format() -> None:
    """EvalResourceName is "The ARN template for the simulated resource type ... or * if no
    ARN format is defined for the action".
    https://docs.aws.amazon.com/IAM/latest/APIReference/API_EvaluationResult.html"""
    objects = ["arn:aws:s3:::b/k"]
    assert resource_name("s3:GetObject", objects) == (
        "arn:${Partition}:s3:::${BucketName}/${ObjectName}"
    )
    assert (
        resource_name("s3:ListBucket", ["arn:aws:s3:::b"]) == "arn:${Partition}:s3:::${BucketName}"
    )
    assert resource_name("s3:GetObject", None) == "*"
    assert resource_name("s3:GetObject", ["*"]) == "*"
    assert resource_name("iam:ListUsers", ["arn:aws:iam::111122223333:user/x"]) == "*"
    assert resource_name("nosuch:Thing", objects) == "*"


def simulation(
    *policies: SourcePolicy,
    resources: list[str] | None = None,
    context: dict[str, str | list[str]] | None = None,
    boundary: SourcePolicy | None = None,
    resource: SourcePolicy | None = None,
    scps: list[list[SourcePolicy]] | None = None,
    caller: str = ALICE,
    owner: str | None = None,
) -> Simulation:
    return Simulation(
        identity=list(policies),
        boundary=boundary,
        resource=resource,
        scps=scps or [],
        caller=caller,
        caller_account=caller.split(":")[4],
        owner=owner,
        context=context or {},
        resources=resources,
    )


def test_missing_keys_include_an_unresolved_resource_variable() -> None:
    """A statement whose Resource holds ``${aws:username}`` cannot match until the key is given:
    that key is what the simulation is missing."""
    home = identity(
        doc(
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::home/${aws:username}/*",
            }
        )
    )
    resources = ["arn:aws:s3:::home/alice/notes"]
    result = _Runner(simulation(home, resources=resources)).action("s3:GetObject")
    assert result["EvalDecision"] == "implicitDeny"
    assert result["MissingContextValues"] == ["aws:username"]
    given = _Runner(
        simulation(home, resources=resources, context={"aws:username": "alice"})
    ).action("s3:GetObject")
    assert (given["EvalDecision"], given["MissingContextValues"]) == ("allowed", [])


def test_missing_keys_skip_statements_for_other_actions_and_principals() -> None:
    policy = identity(
        doc(
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
            {
                "Effect": "Deny",
                "Action": "s3:PutObject",
                "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        )
    )
    other = input_policy(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Deny",
                        "Principal": {"AWS": "arn:aws:iam::999999999999:user/x"},
                        "Action": "s3:GetObject",
                        "Resource": "*",
                        "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
                    }
                ],
            }
        ),
        PolicyKind.RESOURCE,
        "ResourcePolicy",
        RESOURCE_TYPE,
    )
    result = _Runner(simulation(policy, resource=other)).action("s3:GetObject")
    assert (result["EvalDecision"], result["MissingContextValues"]) == ("allowed", [])
    put = _Runner(simulation(policy)).action("s3:PutObject")
    assert put["MissingContextValues"] == ["aws:SecureTransport"]


def test_kms_keys_without_a_key_policy_follow_the_identity_policy() -> None:
    """The simulator evaluates the policies it is given: a KMS key simulated without a
    ResourcePolicy is decided by the identity-based policy, as under the default key policy.
    https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html"""
    key = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    policy = identity(doc({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": key}))
    result = _Runner(simulation(policy, resources=[key])).action("kms:Decrypt")
    assert result["EvalDecision"] == "allowed"
    assert [m["SourcePolicyId"] for m in result["MatchedStatements"]] == ["PolicyInputList.1"]
    assert result["EvalDecisionDetails"] == {}
    other = _Runner(simulation(policy, resources=[key])).action("kms:Encrypt")
    assert other["EvalDecision"] == "implicitDeny"


def test_cross_account_details_and_scp_denials() -> None:
    """Across accounts EvalDecisionDetails has each policy type's decision; when an SCP denies,
    "the simulation ends ... and this parameter is not returned".
    https://docs.aws.amazon.com/IAM/latest/APIReference/API_EvaluationResult.html"""
    everything = identity(doc({"Effect": "Allow", "Action": "*", "Resource": "*"}))
    foreign = ["arn:aws:sqs:us-east-1:999999999999:queue"]
    bounded = input_policy(
        json.dumps(doc({"Effect": "Allow", "Action": "sqs:*", "Resource": "*"})),
        PolicyKind.BOUNDARY,
        "PermissionsBoundaryPolicyInputList.1",
        BOUNDARY_TYPE,
    )
    result = _Runner(simulation(everything, resources=foreign, boundary=bounded)).action(
        "sqs:SendMessage"
    )
    assert result["EvalDecision"] == "implicitDeny"
    assert result["EvalDecisionDetails"] == {
        "IAM Policy": "allowed",
        "Resource Policy": "implicitDeny",
        "Permissions Boundary Policy": "allowed",
    }
    scp = input_policy(
        json.dumps(
            doc(
                {"Effect": "Deny", "Action": "sqs:*", "Resource": "*"},
                {"Effect": "Allow", "Action": "*", "Resource": "*"},
            )
        ),
        PolicyKind.SCP,
        "scp",
        "Service Control Policy",
    )
    denied = _Runner(simulation(everything, resources=foreign, scps=[[scp]])).action(
        "sqs:SendMessage"
    )
    assert denied["EvalDecision"] == "explicitDeny"
    assert denied["OrganizationsDecisionDetail"] == {"AllowedByOrganizations": False}
    assert denied["MatchedStatements"] == []
    assert "EvalDecisionDetails" not in denied["ResourceSpecificResults"][0]


def test_two_policies_with_one_name_stay_apart() -> None:
    """A customer managed policy may share its name with an AWS managed one; each statement is
    still reported against its own document."""
    first = input_policy(
        json.dumps(doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})),
        PolicyKind.IDENTITY,
        "ReadOnlyAccess",
        IDENTITY_TYPE,
    )
    second_text = json.dumps(
        doc({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}), indent=2
    )
    second = input_policy(second_text, PolicyKind.IDENTITY, "ReadOnlyAccess", IDENTITY_TYPE)
    result = _Runner(simulation(first, second)).action("s3:ListBucket")
    (matched,) = result["MatchedStatements"]
    assert matched["StartPosition"]["Line"] == 3


def test_no_decision_details_when_an_scp_ends_the_evaluation() -> None:
    """ "If an Organizations SCP included in the evaluation denies access, the simulation ends.
    In this case, policy evaluation does not proceed any further and this parameter is not
    returned." -- even for named resources in the caller's own account, where it is otherwise
    an empty map.  https://docs.aws.amazon.com/IAM/latest/APIReference/API_EvaluationResult.html"""
    everything = identity(doc({"Effect": "Allow", "Action": "*", "Resource": "*"}))
    own = [f"arn:aws:sqs:us-east-1:{ACCOUNT}:queue"]
    scp = input_policy(
        json.dumps(doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})),
        PolicyKind.SCP,
        "scp",
        "Service Control Policy",
    )
    ended = _Runner(simulation(everything, resources=own, scps=[[scp]])).action("sqs:SendMessage")
    assert ended["EvalDecision"] == "implicitDeny"
    assert "EvalDecisionDetails" not in ended
    passed = _Runner(simulation(everything, resources=own, scps=[[scp]])).action("s3:GetObject")
    assert passed["EvalDecisionDetails"] == {}
