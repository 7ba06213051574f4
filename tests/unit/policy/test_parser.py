"""Parsing and validation: every error, each with its JSON pointer, in AWS's words."""

from __future__ import annotations

from typing import Any

import pytest

from iamd.policy import MalformedPolicyError, PolicyKind, parse_policy


def errors_of(document: Any, kind: PolicyKind = PolicyKind.IDENTITY) -> list[tuple[str, str]]:
    with pytest.raises(MalformedPolicyError) as info:
        parse_policy(document, kind)
    return [(e.pointer, e.message) for e in info.value.errors]


def test_parses_single_statement_object_and_lists() -> None:
    policy = parse_policy(
        '{"Version":"2012-10-17","Id":"x","Statement":{"Sid":"A","Effect":"Allow",'
        '"Action":"s3:GetObject","Resource":["arn:aws:s3:::b/*"]}}'
    )
    [statement] = policy.statements
    assert statement.sid == "A"
    assert statement.action == ("s3:GetObject",)
    assert statement.resource == ("arn:aws:s3:::b/*",)
    assert statement.pointer == "/Statement"


def test_collects_every_error_with_its_location() -> None:
    found = errors_of(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Permit", "Action": "s3:GetObject", "Resource": "*"},
                {"Effect": "Allow", "Action": "GetObject", "Resource": "bucket"},
                {"Effect": "Allow", "Resource": "*"},
            ],
        }
    )
    assert found == [
        ("/Statement/0/Effect", "Invalid effect: Permit"),
        (
            "/Statement/1/Action",
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
        ),
        ("/Statement/1/Resource", 'Resource bucket must be in ARN format or "*".'),
        ("/Statement/2", "Policy statement must contain actions."),
    ]


@pytest.mark.parametrize(
    ("condition", "pointer", "fragment"),
    [
        (
            {"StringEqualz": {"aws:x": "a"}},
            "/Statement/0/Condition/StringEqualz",
            "Invalid Condition type : StringEqualz",
        ),
        (
            {"IpAddress": {"aws:SourceIp": "10.0.0.0/33"}},
            "/Statement/0/Condition/IpAddress/aws:SourceIp",
            "Invalid IP address",
        ),
        (
            {"DateLessThan": {"aws:CurrentTime": "tomorrow"}},
            "/Statement/0/Condition/DateLessThan/aws:CurrentTime",
            "Invalid date",
        ),
        (
            {"NumericLessThan": {"s3:max-keys": ["1", "x"]}},
            "/Statement/0/Condition/NumericLessThan/s3:max-keys/1",
            "Invalid number",
        ),
        (
            {"Bool": {"aws:SecureTransport": "yes"}},
            "/Statement/0/Condition/Bool/aws:SecureTransport",
            "Invalid boolean",
        ),
        ({"Null": {"aws:x": "maybe"}}, "/Statement/0/Condition/Null/aws:x", "Invalid Null value"),
        (
            {"NullIfExists": {"aws:x": "true"}},
            "/Statement/0/Condition/NullIfExists",
            "Invalid Condition type",
        ),
        (
            {"ForSomeValues:StringEquals": {"aws:x": "a"}},
            "/Statement/0/Condition/ForSomeValues:StringEquals",
            "Invalid Condition type",
        ),
        (
            {"StringEquals": {"nokey": "a"}},
            "/Statement/0/Condition/StringEquals/nokey",
            "must be prefaced by a vendor",
        ),
        (
            {"StringEquals": {"aws:x": {"nested": 1}}},
            "/Statement/0/Condition/StringEquals/aws:x",
            "must be strings, numbers or booleans",
        ),
    ],
)
def test_bad_conditions_fail_closed(condition: dict[str, Any], pointer: str, fragment: str) -> None:
    found = errors_of(
        {"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": condition}]}
    )
    assert any(p == pointer and fragment in m for p, m in found), found


def test_ipv6_and_epoch_values_are_valid() -> None:
    parse_policy(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "*",
                    "Resource": "*",
                    "Condition": {
                        "IpAddress": {"aws:SourceIp": ["2001:db8::/32", "10.0.0.1"]},
                        "DateGreaterThan": {"aws:CurrentTime": "1700000000"},
                    },
                }
            ]
        }
    )


def test_principal_rules_depend_on_the_policy_kind() -> None:
    statement = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}
    assert errors_of({"Statement": [statement]}) == [
        ("/Statement/0/Principal", "Policy document should not specify a principal.")
    ]
    parse_policy({"Statement": [statement]}, PolicyKind.RESOURCE)
    no_principal = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
    assert errors_of({"Statement": [no_principal]}, PolicyKind.RESOURCE) == [
        ("/Statement/0", "Missing required field Principal")
    ]


def test_trust_policies_take_no_resource() -> None:
    trust = {
        "Effect": "Allow",
        "Principal": {"Service": "ec2.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }
    parse_policy({"Statement": [trust]}, PolicyKind.TRUST)
    found = errors_of({"Statement": [{**trust, "Resource": "*"}]}, PolicyKind.TRUST)
    assert found == [("/Statement/0/Resource", "Has prohibited field Resource")]


@pytest.mark.parametrize(
    "principal",
    [{"AWS": "arn:aws:iam::111122223333:user/*"}, {"Bogus": "x"}, "everyone", {"Service": "*.x"}],
)
def test_invalid_principals(principal: Any) -> None:
    found = errors_of(
        {
            "Statement": [
                {"Effect": "Allow", "Principal": principal, "Action": "s3:*", "Resource": "*"}
            ]
        },
        PolicyKind.RESOURCE,
    )
    assert found and all("Invalid principal in policy" in m for _, m in found)


def test_syntax_errors() -> None:
    assert errors_of("{not json")[0][1].startswith("Syntax errors in policy.")
    assert errors_of('{"Statement": [], "Statement": []}')[0][1].startswith(
        "Syntax errors in policy. Duplicate key"
    )
    assert errors_of([]) == [("", "Syntax errors in policy. The policy must be a JSON object.")]
    assert errors_of({"Version": "2012-10-17"}) == [("", "Missing required field Statement")]


def test_unknown_fields_and_versions() -> None:
    found = errors_of(
        {
            "Version": "2020-01-01",
            "Foo": 1,
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Bar": 2}],
        }
    )
    assert ("/Foo", "Unknown field Foo") in found
    assert ("/Statement/0/Bar", "Unknown field Bar") in found
    assert any(p == "/Version" for p, _ in found)


def test_duplicate_sids_and_both_action_forms() -> None:
    found = errors_of(
        {
            "Statement": [
                {"Sid": "A", "Effect": "Allow", "Action": "*", "Resource": "*"},
                {
                    "Sid": "A",
                    "Effect": "Allow",
                    "Action": "*",
                    "NotAction": "s3:*",
                    "Resource": "*",
                },
            ]
        }
    )
    assert ("/Statement/1", "Statement cannot contain both Action and NotAction.") in found
    found = errors_of(
        {
            "Statement": [
                {"Sid": "A", "Effect": "Allow", "Action": "*", "Resource": "*"},
                {"Sid": "A", "Effect": "Deny", "Action": "*", "Resource": "*"},
            ]
        }
    )
    assert found == [("/Statement/1/Sid", "Statement IDs (SID) in a single policy must be unique.")]


def test_pointer_escapes_slashes_in_keys() -> None:
    found = errors_of(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "*",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:PrincipalTag/team": []}},
                }
            ]
        }
    )
    assert found[0][0] == "/Statement/0/Condition/StringEquals/aws:PrincipalTag~1team"


def test_resource_control_policies_name_every_principal() -> None:
    """RCPs apply to every principal: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_syntax.html"""
    deny = {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}
    parse_policy({"Statement": [{**deny, "Principal": "*"}]}, PolicyKind.RCP)
    found = errors_of(
        {"Statement": [{**deny, "Principal": {"AWS": "arn:aws:iam::111122223333:user/bob"}}]},
        PolicyKind.RCP,
    )
    assert found[0][0] == "/Statement/0/Principal" and "must use" in found[0][1]


def test_huge_numbers_and_odd_values_are_errors_not_crashes() -> None:
    found = errors_of(
        {"Version": 10**5000, "Statement": [{"Effect": 10**5000, "Action": "*", "Resource": "*"}]}
    )
    assert any(p == "/Version" for p, _ in found) and any(
        p == "/Statement/0/Effect" for p, _ in found
    )
    found = errors_of(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "*",
                    "Resource": "*",
                    "Condition": {"NumericEquals": {"s3:max-keys": "9" * 5000}},
                }
            ]
        }
    )
    assert "Invalid number" in found[0][1]
