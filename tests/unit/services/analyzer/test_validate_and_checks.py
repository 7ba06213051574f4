"""ValidatePolicy and the custom policy checks through the handlers (stateless: SQLite only)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from iamd.services.analyzer.errors import InvalidParameterException, ValidationException
from iamd.store import Store
from support.analyzer_calls import Invoke


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(None, tmp_path, bytes(range(32)))
    yield opened
    opened.close()


PASS_ROLE = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}],
    },
    indent=2,
)


def test_validate_policy_reports_pass_role_with_star(invoke: Invoke) -> None:
    """PASS_ROLE_WITH_STAR_IN_RESOURCE is a SECURITY_WARNING whose link is the check's own
    section: https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html
    Positions: line from 1, column from 0, offset from 0
    (https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_Position.html)."""
    out = invoke("ValidatePolicy", policyDocument=PASS_ROLE, policyType="IDENTITY_POLICY")
    [f] = [f for f in out["findings"] if f["issueCode"] == "PASS_ROLE_WITH_STAR_IN_RESOURCE"]
    assert f["findingType"] == "SECURITY_WARNING"
    assert f["learnMoreLink"].endswith(
        "#access-analyzer-reference-policy-checks-security-warning-pass-role-with-star-in-resource"
    )
    [location] = f["locations"]
    assert location["path"][:2] == [{"value": "Statement"}, {"index": 0}]
    start = location["span"]["start"]
    text_at = PASS_ROLE[start["offset"] : location["span"]["end"]["offset"]]
    assert '"*"' in text_at
    line = PASS_ROLE.split("\n")[start["line"] - 1]
    assert line[start["column"] :].startswith(text_at)


def test_validate_policy_missing_version_and_pages(invoke: Invoke) -> None:
    document = json.dumps(
        {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    )
    out = invoke("ValidatePolicy", policyDocument=document, policyType="IDENTITY_POLICY")
    assert "MISSING_VERSION" in {f["issueCode"] for f in out["findings"]}
    first = invoke(
        "ValidatePolicy", policyDocument=document, policyType="IDENTITY_POLICY", maxResults=1
    )
    assert len(first["findings"]) == 1
    if len(out["findings"]) > 1:
        rest = invoke(
            "ValidatePolicy",
            policyDocument=document,
            policyType="IDENTITY_POLICY",
            nextToken=first["nextToken"],
        )
        assert first["findings"] + rest["findings"] == out["findings"]


def test_validate_policy_syntax_error_is_a_finding(invoke: Invoke) -> None:
    out = invoke("ValidatePolicy", policyDocument="{not json", policyType="IDENTITY_POLICY")
    assert [f["issueCode"] for f in out["findings"]] == ["JSON_SYNTAX_ERROR"]
    assert out["findings"][0]["findingType"] == "ERROR"


def test_validate_trust_policy_as_resource_policy(invoke: Invoke) -> None:
    document = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
    out = invoke(
        "ValidatePolicy",
        policyDocument=document,
        policyType="RESOURCE_POLICY",
        validatePolicyResourceType="AWS::IAM::AssumeRolePolicyDocument",
    )
    assert not [f for f in out["findings"] if f["findingType"] == "ERROR"]
    with pytest.raises(ValidationException):
        invoke(
            "ValidatePolicy",
            policyDocument=document,
            policyType="IDENTITY_POLICY",
            validatePolicyResourceType="AWS::S3::Bucket",
        )


def trust(principal: object) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}],
        }
    )


def test_check_no_public_access(invoke: Invoke) -> None:
    """https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_CheckNoPublicAccess.html"""
    public = invoke(
        "CheckNoPublicAccess",
        policyDocument=trust("*"),
        resourceType="AWS::IAM::AssumeRolePolicyDocument",
    )
    assert public["result"] == "FAIL"
    assert public["reasons"][0]["statementIndex"] == 0
    private = invoke(
        "CheckNoPublicAccess",
        policyDocument=trust({"AWS": "arn:aws:iam::444455556666:root"}),
        resourceType="AWS::IAM::AssumeRolePolicyDocument",
    )
    assert private["result"] == "PASS"
    assert private["reasons"] == []


def test_check_no_new_access_and_not_granted(invoke: Invoke) -> None:
    narrow = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
        }
    )
    wide = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
        }
    )
    assert (
        invoke(
            "CheckNoNewAccess",
            newPolicyDocument=narrow,
            existingPolicyDocument=wide,
            policyType="IDENTITY_POLICY",
        )["result"]
        == "PASS"
    )
    grown = invoke(
        "CheckNoNewAccess",
        newPolicyDocument=wide,
        existingPolicyDocument=narrow,
        policyType="IDENTITY_POLICY",
    )
    assert grown["result"] == "FAIL"
    assert grown["reasons"]
    denied = invoke(
        "CheckAccessNotGranted",
        policyDocument=wide,
        access=[{"actions": ["s3:DeleteBucket"]}],
        policyType="IDENTITY_POLICY",
    )
    assert denied["result"] == "FAIL"
    with pytest.raises(InvalidParameterException):
        invoke(
            "CheckAccessNotGranted", policyDocument=wide, access=[{}], policyType="IDENTITY_POLICY"
        )
    with pytest.raises(ValidationException):
        invoke(
            "CheckNoNewAccess",
            newPolicyDocument="{",
            existingPolicyDocument=wide,
            policyType="IDENTITY_POLICY",
        )
