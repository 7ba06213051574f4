"""The custom policy checks on AWS's documented examples and on crafted edge cases.

AWS's examples: the SDK examples of CheckAccessNotGranted and CheckNoPublicAccess
(https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_CheckAccessNotGranted.html,
https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_CheckNoPublicAccess.html,
the same examples ship in the AWS SDKs' generated docs) and the AWS CLI example of
check-no-new-access (https://awscli.amazonaws.com/v2/documentation/api/latest/reference/accessanalyzer/check-no-new-access.html).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from iamd.analysis.access_checks import (
    CheckResult,
    Reason,
    check_access_not_granted,
    check_no_new_access,
    check_no_public_access,
)
from iamd.analysis.errors import (
    AnalysisInputError,
    InvalidParameterError,
    InvalidPolicyDocumentError,
)

ACCOUNT = "111122223333"


def doc(*statements: dict[str, Any], version: str = "2012-10-17") -> str:
    return json.dumps({"Version": version, "Statement": list(statements)})


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def no_new(new: str, existing: str, kind: str = "IDENTITY_POLICY") -> str:
    return check_no_new_access(new, existing, kind).result


# --- AWS's documented examples -------------------------------------------------------------

JOHN_DOE_GET = (
    '{"Version":"2012-10-17","Id":"123","Statement":[{"Sid":"AllowJohnDoe","Effect":"Allow",'
    '"Principal":{"AWS":"arn:aws:iam::123456789012:user/JohnDoe"},"Action":"s3:GetObject",'
    '"Resource":"*"}]}'
)


def test_aws_example_access_not_granted_restrictive_identity_policy() -> None:
    result = check_access_not_granted(
        JOHN_DOE_GET, [{"actions": ["s3:PutObject"]}], "RESOURCE_POLICY"
    )
    assert result == CheckResult(
        "PASS",
        "The policy document does not grant access to perform the listed actions or resources.",
        (),
    )


def test_aws_example_access_not_granted_restrictive_bucket_policy() -> None:
    policy = JOHN_DOE_GET.replace('"s3:GetObject"', '"s3:PutObject"').replace(
        '"Resource":"*"', '"Resource":"arn:aws:s3:::non-sensitive-bucket/*"'
    )
    access = [{"resources": ["arn:aws:s3:::sensitive-bucket/*"]}]
    assert check_access_not_granted(policy, access, "RESOURCE_POLICY").result == "PASS"


def test_aws_example_access_not_granted_permissive_bucket_policy() -> None:
    policy = JOHN_DOE_GET.replace('"s3:GetObject"', '"s3:PutObject"').replace(
        '"Resource":"*"', '"Resource":"arn:aws:s3:::my-bucket/*"'
    )
    result = check_access_not_granted(
        policy, [{"resources": ["arn:aws:s3:::my-bucket/*"]}], "RESOURCE_POLICY"
    )
    assert result == CheckResult(
        "FAIL",
        "The policy document grants access to perform one or more of the listed actions or "
        "resources.",
        (
            Reason(
                "One or more of the listed actions or resources in the statement with sid: "
                "AllowJohnDoe.",
                0,
                "AllowJohnDoe",
            ),
        ),
    )


def test_aws_example_no_public_access() -> None:
    private = (
        '{"Version":"2012-10-17","Statement":[{"Sid":"Bob","Effect":"Allow","Principal":'
        '{"AWS":"arn:aws:iam::111122223333:user/JohnDoe"},"Action":["s3:GetObject"]}]}'
    )
    public = private.replace('{"AWS":"arn:aws:iam::111122223333:user/JohnDoe"}', '"*"')
    assert check_no_public_access(private, "AWS::S3::Bucket") == CheckResult(
        "PASS", "The resource policy does not grant public access for the given resource type.", ()
    )
    assert check_no_public_access(public, "AWS::S3::Bucket") == CheckResult(
        "FAIL",
        "The resource policy grants public access for the given resource type.",
        (Reason("Public access granted in the following statement with sid: Bob.", 0, "Bob"),),
    )


def test_aws_cli_example_no_new_access() -> None:
    """The existing policy allows three S3 actions on one bucket; the new one drops nothing
    but grants a further action: FAIL on statement index 0, worded as the CLI shows it."""
    existing = doc(
        allow(
            ["s3:GetObject", "s3:ListBucket"],
            ["arn:aws:s3:::amzn-s3-demo-bucket", "arn:aws:s3:::amzn-s3-demo-bucket/*"],
        )
    )
    new = doc(
        allow(
            ["s3:GetObject", "s3:GetObjectAcl", "s3:ListBucket"],
            ["arn:aws:s3:::amzn-s3-demo-bucket", "arn:aws:s3:::amzn-s3-demo-bucket/*"],
        )
    )
    assert check_no_new_access(new, existing, "IDENTITY_POLICY") == CheckResult(
        "FAIL",
        "The modified permissions grant new access compared to your existing policy.",
        (Reason("New access in the statement with index: 0.", 0, None),),
    )
    assert no_new(existing, new) == "PASS"


# --- CheckNoNewAccess ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("new", "existing"),
    [
        (allow("s3:GetObject", "arn:aws:s3:::b/x/*"), allow("s3:Get*", "arn:aws:s3:::b/*")),
        (allow("S3:GETOBJECT"), allow("s3:get*")),
        (allow("s3:GetObject", "arn:aws:S3:::b"), allow("s3:GetObject", "arn:aws:s3:::b")),
        (
            allow("iam:GetUser", f"arn:aws:iam::{ACCOUNT}:user/a"),
            allow("iam:*", f"arn:aws:iam::{ACCOUNT}:user/*"),
        ),
        (
            allow("s3:GetObject", "arn:aws:s3:::b/${aws:username}/*"),
            allow("s3:GetObject", "arn:aws:s3:::b/*"),
        ),
        (
            allow("s3:GetObject", "arn:aws:s3:::${aws:username}"),
            allow("s3:GetObject", "arn:aws:s3:::${aws:username}"),
        ),
        (allow("s3:GetObject"), {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}),
        (
            allow("s3:GetObject", "arn:aws:s3:::b"),
            {"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::c"},
        ),
        (
            {"Effect": "Allow", "NotAction": ["iam:*", "s3:*"], "Resource": "*"},
            {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
        ),
        (
            allow(
                "s3:GetObject",
                Condition={
                    "StringEquals": {"s3:prefix": "a"},
                    "Bool": {"aws:SecureTransport": "true"},
                },
            ),
            allow("s3:GetObject", Condition={"StringEquals": {"s3:prefix": ["a", "b"]}}),
        ),
        (
            allow("s3:GetObject", Condition={"StringEquals": {"s3:prefix": "home/a"}}),
            allow("s3:GetObject", Condition={"StringLike": {"s3:prefix": "home/*"}}),
        ),
        (
            allow("s3:GetObject", Condition={"StringNotEquals": {"s3:prefix": ["a", "b"]}}),
            allow("s3:GetObject", Condition={"StringNotEquals": {"s3:prefix": "a"}}),
        ),
        (
            allow("s3:GetObject", Condition={"StringEquals": {"s3:prefix": "a"}}),
            allow("s3:GetObject", Condition={"StringEqualsIfExists": {"s3:prefix": "a"}}),
        ),
    ],
)
def test_no_new_access_passes_on_narrower_policies(
    new: dict[str, Any], existing: dict[str, Any]
) -> None:
    assert no_new(doc(new), doc(existing)) == "PASS"


@pytest.mark.parametrize(
    ("new", "existing"),
    [
        (allow("s3:Get*"), allow("s3:GetObject")),
        (allow("s3:GetObject", "arn:aws:s3:::b/*"), allow("s3:GetObject", "arn:aws:s3:::b/x/*")),
        (
            allow("s3:GetObject", "arn:aws:s3:::b/${aws:username}"),
            allow("s3:GetObject", "arn:aws:s3:::b/bob"),
        ),
        (allow("s3:GetObject", "*"), allow("s3:GetObject", "arn:*:*:*:*:*")),
        (allow("s3:GetObject"), {"Effect": "Allow", "NotAction": "s3:Get*", "Resource": "*"}),
        ({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, allow("s3:*")),
        (
            allow("s3:GetObject", "arn:aws:s3:::b"),
            {"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::b*"},
        ),
        (
            allow("s3:GetObject"),
            allow("s3:GetObject", Condition={"Bool": {"aws:SecureTransport": "true"}}),
        ),
        (
            allow("s3:GetObject", Condition={"StringEquals": {"s3:prefix": ["a", "b"]}}),
            allow("s3:GetObject", Condition={"StringEquals": {"s3:prefix": "a"}}),
        ),
        (
            allow("s3:GetObject", Condition={"StringNotEquals": {"s3:prefix": "a"}}),
            allow("s3:GetObject", Condition={"StringNotEquals": {"s3:prefix": ["a", "b"]}}),
        ),
        (
            allow("s3:GetObject", Condition={"StringEqualsIfExists": {"s3:prefix": "a"}}),
            allow("s3:GetObject", Condition={"StringEquals": {"s3:prefix": "a"}}),
        ),
        (
            allow("s3:GetObject", Condition={"ForAllValues:StringEquals": {"s3:prefix": "a"}}),
            allow("s3:GetObject", Condition={"StringEquals": {"s3:prefix": "a"}}),
        ),
    ],
)
def test_no_new_access_fails_on_wider_policies(
    new: dict[str, Any], existing: dict[str, Any]
) -> None:
    assert no_new(doc(new), doc(existing)) == "FAIL"


@pytest.mark.parametrize(
    ("strong", "weak", "expected"),
    [
        (
            {"IpAddress": {"aws:SourceIp": "10.1.0.0/16"}},
            {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
            "PASS",
        ),
        (
            {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
            {"IpAddress": {"aws:SourceIp": "10.1.0.0/16"}},
            "FAIL",
        ),
        (
            {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
            {"NotIpAddress": {"aws:SourceIp": "10.1.0.0/16"}},
            "PASS",
        ),
        (
            {"NotIpAddress": {"aws:SourceIp": "10.1.0.0/16"}},
            {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
            "FAIL",
        ),
        (
            {"NumericLessThan": {"s3:max-keys": "5"}},
            {"NumericLessThan": {"s3:max-keys": "10"}},
            "PASS",
        ),
        (
            {"NumericLessThan": {"s3:max-keys": "10"}},
            {"NumericLessThanEquals": {"s3:max-keys": "10"}},
            "PASS",
        ),
        (
            {"NumericLessThanEquals": {"s3:max-keys": "10"}},
            {"NumericLessThan": {"s3:max-keys": "10"}},
            "FAIL",
        ),
        (
            {"NumericGreaterThan": {"s3:max-keys": "10"}},
            {"NumericGreaterThanEquals": {"s3:max-keys": "10"}},
            "PASS",
        ),
        (
            {"NumericGreaterThan": {"s3:max-keys": "5"}},
            {"NumericGreaterThan": {"s3:max-keys": "10"}},
            "FAIL",
        ),
        (
            {"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}},
            {"DateLessThan": {"aws:CurrentTime": "2021-01-01T00:00:00Z"}},
            "PASS",
        ),
        (
            {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}},
            {"DateGreaterThan": {"aws:CurrentTime": "2021-01-01T00:00:00Z"}},
            "FAIL",
        ),
        (
            {"Null": {"aws:TokenIssueTime": "false"}},
            {"Null": {"aws:TokenIssueTime": "false"}},
            "PASS",
        ),
        (
            {"Null": {"aws:TokenIssueTime": "true"}},
            {"Null": {"aws:TokenIssueTime": "false"}},
            "FAIL",
        ),
        (
            {"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:1:t"}},
            {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:*:1:t"}},
            "PASS",
        ),
    ],
)
def test_condition_implication(strong: dict[str, Any], weak: dict[str, Any], expected: str) -> None:
    new = doc(allow("s3:ListBucket", Condition=strong))
    existing = doc(allow("s3:ListBucket", Condition=weak))
    assert no_new(new, existing) == expected


def test_condition_values_may_be_shared_out_between_statements() -> None:
    existing = doc(
        allow("s3:GetObject", Condition={"StringEquals": {"s3:prefix": "a"}}),
        allow("s3:*", Condition={"StringEquals": {"s3:prefix": "b"}}),
    )
    merged = allow("s3:GetObject", Condition={"StringEquals": {"s3:prefix": ["a", "b"]}})
    assert no_new(doc(merged), existing) == "PASS"
    wider = allow("s3:GetObject", Condition={"StringEquals": {"s3:prefix": ["a", "b", "c"]}})
    assert no_new(doc(wider), existing) == "FAIL"
    every = allow(
        "s3:GetObject", Condition={"ForAllValues:StringEquals": {"s3:prefix": ["a", "b"]}}
    )
    assert no_new(doc(every), existing) == "FAIL"


def test_existing_deny_must_be_kept_or_disjoint() -> None:
    existing = doc(allow("*"), deny("iam:*"))
    assert no_new(doc(allow("s3:*")), existing) == "PASS"
    assert no_new(doc(allow("iam:GetUser")), existing) == "FAIL"
    assert no_new(doc(allow("*"), deny("iam:*")), existing) == "PASS"
    assert no_new(doc(allow("*"), deny("iam:Get*")), existing) == "FAIL"
    conditional = doc(
        allow("*"), deny("iam:*", Condition={"Bool": {"aws:MultiFactorAuthPresent": "false"}})
    )
    assert no_new(doc(allow("*"), deny("iam:*")), conditional) == "PASS"
    assert no_new(doc(allow("*")), conditional) == "FAIL"


def test_policy_variables_mean_nothing_in_2008_policies() -> None:
    text = allow("s3:GetObject", "arn:aws:s3:::b/${aws:username}")
    assert no_new(doc(text, version="2008-10-17"), doc(text)) == "FAIL"
    assert no_new(doc(text, version="2008-10-17"), doc(text, version="2008-10-17")) == "PASS"


def test_reasons_name_every_statement_with_new_access() -> None:
    existing = doc(allow("s3:GetObject"))
    new = doc(allow("s3:GetObject"), allow("s3:PutObject", Sid="Put"), allow("iam:*"))
    result = check_no_new_access(new, existing, "IDENTITY_POLICY")
    assert result.reasons == (
        Reason("New access in the statement with sid: Put.", 1, "Put"),
        Reason("New access in the statement with index: 2.", 2, None),
    )


def test_no_new_access_for_resource_policies_compares_principals() -> None:
    def trust(principal: Any) -> str:
        return doc({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"})

    other = "444455556666"
    assert (
        no_new(
            trust({"AWS": other}), trust({"AWS": f"arn:aws:iam::{other}:root"}), "RESOURCE_POLICY"
        )
        == "PASS"
    )
    assert (
        no_new(
            trust({"AWS": f"arn:aws:iam::{other}:role/r"}), trust({"AWS": other}), "RESOURCE_POLICY"
        )
        == "FAIL"
    )
    assert no_new(trust({"AWS": other}), trust("*"), "RESOURCE_POLICY") == "PASS"
    assert no_new(trust("*"), trust({"AWS": other}), "RESOURCE_POLICY") == "FAIL"
    assert (
        no_new(
            trust({"AWS": [other, ACCOUNT]}),
            trust({"AWS": [ACCOUNT, other, "999988887777"]}),
            "RESOURCE_POLICY",
        )
        == "PASS"
    )


# --- CheckAccessNotGranted -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "access", "expected"),
    [
        (doc(allow("s3:*")), {"actions": ["iam:PassRole"]}, "PASS"),
        (doc(allow("*")), {"actions": ["iam:PassRole"]}, "FAIL"),
        (doc(allow("iam:Pass*")), {"actions": ["iam:passrole"]}, "FAIL"),
        (
            doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}),
            {"actions": ["iam:PassRole"]},
            "PASS",
        ),
        (
            doc({"Effect": "Allow", "NotAction": "iam:Get*", "Resource": "*"}),
            {"actions": ["iam:PassRole"]},
            "FAIL",
        ),
        (doc(allow("*"), deny("iam:*")), {"actions": ["iam:PassRole", "iam:CreateUser"]}, "PASS"),
        (
            doc(
                allow("*"),
                deny("iam:*", Condition={"Bool": {"aws:MultiFactorAuthPresent": "false"}}),
            ),
            {"actions": ["iam:PassRole"]},
            "FAIL",
        ),
        (
            doc(allow("s3:GetObject", "arn:aws:s3:::public/*")),
            {"resources": ["arn:aws:s3:::secret/*"]},
            "PASS",
        ),
        (
            doc(allow("s3:GetObject", "arn:aws:s3:::*")),
            {"resources": ["arn:aws:s3:::secret/key"]},
            "FAIL",
        ),
        (
            doc(allow("s3:GetObject", "arn:aws:s3:::*")),
            {"actions": ["s3:PutObject"], "resources": ["arn:aws:s3:::secret/key"]},
            "PASS",
        ),
        (
            doc({"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::secret/*"}),
            {"resources": ["arn:aws:s3:::secret/key"]},
            "PASS",
        ),
        (
            doc(allow("s3:*", "arn:aws:s3:::${aws:username}/*")),
            {"resources": ["arn:aws:s3:::secret/key"]},
            "FAIL",
        ),
    ],
)
def test_access_not_granted(policy: str, access: dict[str, list[str]], expected: str) -> None:
    assert check_access_not_granted(policy, [access], "IDENTITY_POLICY").result == expected


def test_access_not_granted_limits() -> None:
    policy = doc(allow("s3:GetObject"))
    too_many = [f"s3:Action{i}" for i in range(101)]
    with pytest.raises(AnalysisInputError, match="less than or equal to 100"):
        check_access_not_granted(policy, [{"actions": too_many}], "IDENTITY_POLICY")
    assert (
        check_access_not_granted(policy, [{"actions": too_many[:100]}], "IDENTITY_POLICY").result
        == "PASS"
    )
    with pytest.raises(AnalysisInputError, match="less than or equal to 1"):
        check_access_not_granted(
            policy, [{"actions": ["a:b"]}, {"actions": ["c:d"]}], "IDENTITY_POLICY"
        )
    with pytest.raises(InvalidParameterError):
        check_access_not_granted(policy, [{}], "IDENTITY_POLICY")
    with pytest.raises(InvalidParameterError):
        check_access_not_granted(policy, [{"actions": ["not an action"]}], "IDENTITY_POLICY")
    with pytest.raises(InvalidParameterError):
        check_access_not_granted(policy, [{"resources": ["bucket"]}], "IDENTITY_POLICY")


# --- CheckNoPublicAccess -------------------------------------------------------------------


def bucket_read(principal: Any, **extra: Any) -> dict[str, Any]:
    return {
        "Effect": "Allow",
        "Principal": principal,
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::b/*",
        **extra,
    }


@pytest.mark.parametrize(
    ("statements", "expected"),
    [
        ([bucket_read({"AWS": "*"})], "FAIL"),
        ([bucket_read({"AWS": "444455556666"})], "PASS"),
        ([{**bucket_read("*"), "Action": "sqs:SendMessage"}], "PASS"),
        ([bucket_read("*", Condition={"StringEquals": {"aws:PrincipalOrgID": "o-1"}})], "PASS"),
        ([bucket_read("*", Condition={"StringLike": {"aws:PrincipalOrgID": "o-*"}})], "FAIL"),
        ([bucket_read("*", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})], "PASS"),
        ([bucket_read("*", Condition={"Bool": {"aws:SecureTransport": "true"}})], "FAIL"),
        (
            [
                bucket_read("*"),
                {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"},
            ],
            "PASS",
        ),
        (
            [
                bucket_read("*"),
                {
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": "*",
                    "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-1"}},
                },
            ],
            "PASS",
        ),
        (
            [
                bucket_read("*"),
                {
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": "*",
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
            ],
            "FAIL",
        ),
        (
            [
                {
                    "Effect": "Allow",
                    "NotPrincipal": {"AWS": "444455556666"},
                    "Action": "s3:*",
                    "Resource": "*",
                }
            ],
            "FAIL",
        ),
    ],
)
def test_no_public_access(statements: list[dict[str, Any]], expected: str) -> None:
    assert check_no_public_access(doc(*statements), "AWS::S3::Bucket").result == expected


def test_public_trust_policies() -> None:
    google = {
        "Effect": "Allow",
        "Principal": {"Federated": "accounts.google.com"},
        "Action": "sts:AssumeRoleWithWebIdentity",
    }
    scoped = {**google, "Condition": {"StringEquals": {"accounts.google.com:aud": "my-app"}}}
    kind = "AWS::IAM::AssumeRolePolicyDocument"
    assert check_no_public_access(doc(google), kind).result == "FAIL"
    assert check_no_public_access(doc(scoped), kind).result == "PASS"
    assert (
        check_no_public_access(
            doc({**google, "Principal": "*", "Action": "sts:AssumeRole"}), kind
        ).result
        == "FAIL"
    )


# --- bad input -----------------------------------------------------------------------------


def test_bad_input_raises_aws_errors() -> None:
    policy = doc(allow("s3:GetObject"))
    with pytest.raises(AnalysisInputError, match="at 'policyType' failed to satisfy constraint"):
        check_no_new_access(policy, policy, "MANAGED_POLICY")
    with pytest.raises(AnalysisInputError, match="at 'resourceType'"):
        check_no_public_access(policy, "AWS::EC2::Instance")
    with pytest.raises(InvalidPolicyDocumentError):
        check_no_new_access("{", policy, "IDENTITY_POLICY")
    with pytest.raises(InvalidPolicyDocumentError):
        check_no_new_access(
            doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Principal": "*"}),
            policy,
            "IDENTITY_POLICY",
        )
    assert issubclass(InvalidPolicyDocumentError, ValueError)
    assert InvalidParameterError("x").code == "InvalidParameterException"
