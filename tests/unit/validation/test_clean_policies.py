"""Realistic, well-written policies, most of them from AWS's documentation, draw no finding.

A linter that cries wolf gets switched off: these guard against false positives.
https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_examples.html
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from iamd.policy import PolicyKind
from iamd.validation import Finding

V = "2012-10-17"
ACCOUNT = "111122223333"
GITHUB = "token.actions.githubusercontent.com"

CLEAN: list[tuple[str, PolicyKind, dict[str, Any]]] = [
    (
        "s3 home folders",
        PolicyKind.IDENTITY,
        {
            "Version": V,
            "Statement": [
                {
                    "Sid": "ListHome",
                    "Effect": "Allow",
                    "Action": "s3:ListBucket",
                    "Resource": "arn:aws:s3:::amzn-s3-demo-bucket",
                    "Condition": {
                        "StringLike": {"s3:prefix": ["", "home/", "home/${aws:username}/*"]}
                    },
                },
                {
                    "Sid": "UseHome",
                    "Effect": "Allow",
                    "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                    "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/home/${aws:username}/*",
                },
            ],
        },
    ),
    (
        "ec2 by tag",
        PolicyKind.IDENTITY,
        {
            "Version": V,
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["ec2:StartInstances", "ec2:StopInstances"],
                    "Resource": f"arn:aws:ec2:*:{ACCOUNT}:instance/*",
                    "Condition": {"StringEquals": {"aws:ResourceTag/Owner": "${aws:username}"}},
                },
                {"Effect": "Allow", "Action": "ec2:DescribeInstances", "Resource": "*"},
            ],
        },
    ),
    (
        "deny outside regions",
        PolicyKind.SCP,
        {
            "Version": V,
            "Statement": [
                {
                    "Sid": "DenyAllOutsideEU",
                    "Effect": "Deny",
                    "NotAction": ["iam:*", "organizations:*", "route53:*", "support:*"],
                    "Resource": "*",
                    "Condition": {
                        "StringNotEquals": {"aws:RequestedRegion": ["eu-central-1", "eu-west-1"]},
                        "ArnNotLike": {"aws:PrincipalARN": ["arn:aws:iam::*:role/Admin"]},
                    },
                }
            ],
        },
    ),
    (
        "require mfa",
        PolicyKind.IDENTITY,
        {
            "Version": V,
            "Statement": [
                {
                    "Sid": "DenyWithoutMFA",
                    "Effect": "Deny",
                    "NotAction": ["iam:ChangePassword", "iam:GetUser", "sts:GetSessionToken"],
                    "Resource": "*",
                    "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
                }
            ],
        },
    ),
    (
        "dynamodb leading keys",
        PolicyKind.IDENTITY,
        {
            "Version": V,
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem"],
                    "Resource": f"arn:aws:dynamodb:us-west-2:{ACCOUNT}:table/GameScores",
                    "Condition": {
                        "ForAllValues:StringEquals": {
                            "dynamodb:LeadingKeys": ["${www.amazon.com:user_id}"]
                        }
                    },
                }
            ],
        },
    ),
    (
        "bucket policy: TLS only",
        PolicyKind.RESOURCE,
        {
            "Version": V,
            "Statement": [
                {
                    "Sid": "DenyInsecure",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [
                        "arn:aws:s3:::amzn-s3-demo-bucket",
                        "arn:aws:s3:::amzn-s3-demo-bucket/*",
                    ],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
                {
                    "Sid": "OrgRead",
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*",
                    "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-exampleorgid"}},
                },
            ],
        },
    ),
    (
        "kms key policy",
        PolicyKind.RESOURCE,
        {
            "Version": V,
            "Statement": [
                {
                    "Sid": "Enable IAM User Permissions",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {
                    "Sid": "Allow use through S3",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/app"},
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                    "Resource": "*",
                    "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}},
                },
            ],
        },
    ),
    (
        "ec2 trust",
        PolicyKind.TRUST,
        {
            "Version": V,
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "ec2.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        },
    ),
    (
        "github actions trust",
        PolicyKind.TRUST,
        {
            "Version": V,
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/{GITHUB}"},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {
                            f"{GITHUB}:aud": "sts.amazonaws.com",
                            f"{GITHUB}:sub": "repo:octo-org/octo-repo:ref:refs/heads/main",
                        }
                    },
                }
            ],
        },
    ),
    (
        "cross-account trust with external id",
        PolicyKind.TRUST,
        {
            "Version": V,
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
                    "Action": ["sts:AssumeRole", "sts:TagSession"],
                    "Condition": {"StringEquals": {"sts:ExternalId": "Unique-ID-1234"}},
                }
            ],
        },
    ),
    (
        "pass a specific role to one service",
        PolicyKind.IDENTITY,
        {
            "Version": V,
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "iam:PassRole",
                    "Resource": f"arn:aws:iam::{ACCOUNT}:role/lambda-exec",
                    "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}},
                },
                {
                    "Effect": "Allow",
                    "Action": ["lambda:CreateFunction", "lambda:UpdateFunctionCode"],
                    "Resource": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:team-*",
                },
                {
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/team-*:*",
                },
            ],
        },
    ),
    (
        "network and time limits",
        PolicyKind.IDENTITY,
        {
            "Version": V,
            "Statement": [
                {
                    "Effect": "Deny",
                    "Action": "*",
                    "Resource": "*",
                    "Condition": {
                        "NotIpAddress": {
                            "aws:SourceIp": [
                                "192.0.2.0/24",
                                "203.0.113.0/24",
                                "2001:DB8:1234:5678::/64",
                            ]
                        },
                        "Bool": {"aws:ViaAWSService": "false"},
                    },
                },
                {
                    "Effect": "Allow",
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::reports/*",
                    "Condition": {
                        "DateGreaterThan": {"aws:CurrentTime": "2020-04-01T00:00:00Z"},
                        "DateLessThan": {"aws:CurrentTime": "2030-06-30T23:59:59Z"},
                        "NumericLessThan": {"aws:MultiFactorAuthAge": "3600"},
                        "StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"},
                    },
                },
            ],
        },
    ),
    (
        "tag on create",
        PolicyKind.IDENTITY,
        {
            "Version": V,
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["ec2:RunInstances", "ec2:CreateTags"],
                    "Resource": f"arn:aws:ec2:*:{ACCOUNT}:instance/*",
                    "Condition": {
                        "StringEquals": {"aws:RequestTag/project": "${aws:PrincipalTag/project}"},
                        "ForAllValues:StringEquals": {"aws:TagKeys": ["project", "owner"]},
                    },
                }
            ],
        },
    ),
]


@pytest.mark.parametrize(("name", "kind", "document"), CLEAN, ids=[c[0] for c in CLEAN])
def test_clean_policy_has_no_findings(
    lint: Callable[..., list[Finding]], name: str, kind: PolicyKind, document: dict[str, Any]
) -> None:
    assert [(f.code, f.pointer, f.message) for f in lint(document, kind)] == []
