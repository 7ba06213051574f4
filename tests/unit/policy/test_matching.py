"""Action and Resource matching.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
"""

from __future__ import annotations

import pytest

from .helpers import allow, decide, deny, doc


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    [
        ("s3:GetObject", "s3:GetObject", True),
        ("s3:getobject", "S3:GETOBJECT", True),  # case-insensitive
        ("s3:Get*", "s3:GetObjectAcl", True),
        ("s3:*Object", "s3:PutObject", True),
        ("s3:Get?bject", "s3:GetObject", True),
        ("s3:Get*", "s3:PutObject", False),
        ("s3:*", "s3express:CreateSession", False),  # the vendor must match whole
        ("*", "ec2:DescribeInstances", True),
        ("iam:*", "sts:AssumeRole", False),
    ],
)
def test_action_patterns(pattern: str, action: str, expected: bool) -> None:
    outcome = decide([doc(allow(pattern))], action=action)
    assert (outcome == "Allowed") is expected


def test_not_action_covers_everything_but_the_listed_actions() -> None:
    policy = doc({"Effect": "Allow", "NotAction": ["iam:*", "s3:Delete*"], "Resource": "*"})
    assert decide([policy], action="s3:GetObject") == "Allowed"
    assert decide([policy], action="s3:DeleteObject") == "ImplicitlyDenied"
    assert decide([policy], action="iam:CreateUser") == "ImplicitlyDenied"


@pytest.mark.parametrize(
    ("pattern", "resource", "expected"),
    [
        ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b/c", True),
        ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket", False),
        ("arn:aws:s3:::bucket*", "arn:aws:s3:::bucket-2/k", True),
        ("arn:aws:s3:::Bucket/*", "arn:aws:s3:::bucket/k", False),  # resource part: case-sensitive
        ("arn:AWS:S3:::bucket/*", "arn:aws:s3:::bucket/k", True),  # partition/service: not
        (
            "arn:aws:dynamodb:*:111122223333:table/app-*",
            "arn:aws:dynamodb:eu-west-1:111122223333:table/app-x",
            True,
        ),
        (
            "arn:aws:dynamodb:*:111122223333:table/app-*",
            "arn:aws:dynamodb:eu-west-1:444455556666:table/app-x",
            False,
        ),
        # A region wildcard does not cross a colon into the account field.
        (
            "arn:aws:dynamodb:*:table/app-*",
            "arn:aws:dynamodb:eu-west-1:111122223333:table/app-x",
            False,
        ),
        (
            "arn:aws:lambda:*:*:function:prod-*",
            "arn:aws:lambda:us-east-1:1:function:prod-a:live",
            True,
        ),
        ("arn:aws:iam::111122223333:user/*", "arn:aws:iam::111122223333:user/team/alice", True),
        # No wildcards in the resource type: "u*" is not "user/".
        ("arn:aws:iam::111122223333:u*/alice", "arn:aws:iam::111122223333:user/alice", False),
        ("arn:aws:sqs:us-east-1:111122223333:q?", "arn:aws:sqs:us-east-1:111122223333:q1", True),
        ("arn:aws:s3:::b/a.c", "arn:aws:s3:::b/abc", False),  # '.' is literal
    ],
)
def test_resource_patterns(pattern: str, resource: str, expected: bool) -> None:
    outcome = decide([doc(allow("*", pattern))], resource=resource)
    assert (outcome == "Allowed") is expected


def test_star_resource_request_only_matches_star() -> None:
    """Actions with no resource-level permissions are requested on "*"."""
    assert (
        decide([doc(allow("ec2:Describe*", "*"))], action="ec2:DescribeInstances", resource="*")
        == "Allowed"
    )
    specific = doc(allow("ec2:Describe*", "arn:aws:ec2:*:*:instance/*"))
    assert decide([specific], action="ec2:DescribeInstances", resource="*") == "ImplicitlyDenied"


def test_not_resource() -> None:
    policy = doc(
        allow(),
        {
            "Effect": "Deny",
            "Action": "s3:*",
            "NotResource": ["arn:aws:s3:::public", "arn:aws:s3:::public/*"],
        },
    )
    assert decide([policy], resource="arn:aws:s3:::public/x") == "Allowed"
    assert decide([policy], resource="arn:aws:s3:::private/x") == "ExplicitlyDenied"


def test_short_arn_is_padded_with_wildcards_in_identity_policies() -> None:
    assert decide([doc(allow("s3:*", "arn:aws:s3:*"))], resource="arn:aws:s3:::b/k") == "Allowed"


def test_deny_wins_over_allow_in_the_same_policy() -> None:
    policy = doc(allow("s3:*"), deny("s3:GetObject", "arn:aws:s3:::bucket/*"))
    assert decide([policy]) == "ExplicitlyDenied"
    assert decide([policy], action="s3:PutObject") == "Allowed"
