"""Finer points of individual checks: what they say, where, and what they leave alone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from iamd.policy import PolicyKind
from iamd.validation import Finding

Lint = Callable[..., list[Finding]]
V = "2012-10-17"
ACCOUNT = "111122223333"


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": V, "Statement": list(statements)}


def allow(
    action: Any = "s3:GetObject", resource: Any = "arn:aws:s3:::b/*", **extra: Any
) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def by_code(found: list[Finding], code: str) -> list[Finding]:
    return [f for f in found if f.code == code]


def test_of_two_equivalent_entries_only_the_later_is_redundant(lint: Lint) -> None:
    found = lint(doc(allow(["s3:Get*", "s3:GetObject", "S3:GET*"])))
    assert [f.pointer for f in by_code(found, "REDUNDANT_ACTION")] == [
        "/Statement/0/Action/1",
        "/Statement/0/Action/2",
    ]
    resources = ["arn:aws:s3:::b/*", "arn:aws:s3:::b/*", "arn:aws:s3:::b/x"]
    found = lint(doc(allow(resource=resources)))
    assert [f.pointer for f in by_code(found, "REDUNDANT_RESOURCE")] == [
        "/Statement/0/Resource/1",
        "/Statement/0/Resource/2",
    ]


def test_actions_partly_covered_are_not_redundant(lint: Lint) -> None:
    """Access Analyzer's own example: iam:*CredentialReport also names Generate..."""
    found = lint(doc(allow(["iam:Get*", "iam:*CredentialReport"], "*")))
    assert by_code(found, "REDUNDANT_ACTION") == []


def test_invalid_action_suggests_the_closest_name(lint: Lint) -> None:
    [found] = by_code(lint(doc(allow("iam:CreateUsers", "*"))), "INVALID_ACTION")
    assert "Did you mean iam:CreateUser?" in found.message
    [service] = by_code(lint(doc(allow("sqss:SendMessage", "*"))), "INVALID_SERVICE_IN_ACTION")
    assert "Did you mean sqs?" in service.message


def test_resource_checks_accept_wildcards_variables_and_other_partitions(lint: Lint) -> None:
    document = doc(
        allow(
            "s3:GetObject",
            [
                "arn:*:s3:::a/*",
                "arn:aws-cn:s3:::b/*",
                "arn:aws:s3:::home-${aws:username}/*",
                "arn:${aws:partition}:s3:::c/*",
            ],
        ),
        allow("iam:GetRole", "arn:aws:iam::${aws:PrincipalAccount}:role/*"),
        allow("ec2:StartInstances", f"arn:aws:ec2:*:{ACCOUNT}:instance/*"),
        allow("iam:GetPolicy", "arn:aws:iam::aws:policy/ReadOnlyAccess"),
    )
    assert lint(document) == []


def test_no_mismatch_for_star_action_or_not_action(lint: Lint) -> None:
    assert lint(doc(allow("*", "arn:aws:s3:::b"), allow("s3:*", "arn:aws:s3:::b"))) == []
    found = lint(doc({"Effect": "Deny", "NotAction": "s3:GetObject", "Resource": "arn:aws:s3:::b"}))
    assert by_code(found, "RESOURCE_MISMATCH") == []


def test_identity_provider_claims_are_not_unknown_keys(lint: Lint) -> None:
    provider = "oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B716D3041E"
    document = doc(
        {
            "Effect": "Allow",
            "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/{provider}"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {f"{provider}:sub": "system:serviceaccount:ns:sa"}},
        }
    )
    assert lint(document, PolicyKind.TRUST) == []


def test_condition_key_findings_point_at_the_key(lint: Lint) -> None:
    [found] = lint(doc(allow(Condition={"StringEquals": {"s3:prefixx": "a"}})))
    assert found.code == "INVALID_SERVICE_CONDITION_KEY"
    assert found.pointer == "/Statement/0/Condition/StringEquals/s3:prefixx"
    assert found.span is not None


def test_wildcard_value_findings_point_at_the_value(lint: Lint) -> None:
    document = doc(allow(Condition={"StringEquals": {"s3:prefix": ["home/", "home/*"]}}))
    [found] = by_code(lint(document), "WILDCARD_WITHOUT_LIKE_OPERATOR")
    assert found.pointer == "/Statement/0/Condition/StringEquals/s3:prefix/1"
    assert "StringLike" in found.message


def test_escaped_wildcards_are_not_wildcards(lint: Lint) -> None:
    document = doc(allow(Condition={"StringEquals": {"s3:prefix": "literal-${*}"}}))
    assert by_code(lint(document), "WILDCARD_WITHOUT_LIKE_OPERATOR") == []


def test_pass_role_names_the_offending_resource(lint: Lint) -> None:
    found = lint(
        doc(allow(["iam:PassRole", "iam:GetRole"], [f"arn:aws:iam::{ACCOUNT}:role/app", "*"]))
    )
    [passrole] = by_code(found, "PASS_ROLE_WITH_STAR_IN_RESOURCE")
    assert passrole.pointer == "/Statement/0/Resource/1"


def test_pass_role_on_service_named_roles_is_not_star(lint: Lint) -> None:
    """Access Analyzer leaves arn:aws:iam::*:role/Service* alone."""
    found = lint(doc(allow("iam:PassRole", "arn:aws:iam::*:role/Service*")))
    assert by_code(found, "PASS_ROLE_WITH_STAR_IN_RESOURCE") == []


def test_tag_condition_findings_name_the_services(lint: Lint) -> None:
    document = doc(
        {
            "Effect": "Deny",
            "Action": ["ec2:TerminateInstances", "s3:DeleteBucket"],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:ResourceTag/env": "prod"}},
        }
    )
    [found] = by_code(lint(document), "DENY_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE")
    assert "s3:DeleteBucket" in found.message
    assert "ec2" not in found.message.split("(")[0]


def test_ip_range_suggestion_gives_the_network(lint: Lint) -> None:
    document = doc(
        allow(Condition={"IpAddress": {"aws:SourceIp": ["203.0.113.9/24", "2001:DB8::/32"]}})
    )
    [found] = by_code(lint(document), "IMPROVE_IP_RANGE")
    assert "203.0.113.0/24" in found.message
    assert found.pointer.endswith("/0")


def test_version_2008_reads_variables_literally(lint: Lint) -> None:
    document = {
        "Version": "2008-10-17",
        "Statement": [allow(resource="arn:aws:s3:::b/${aws:username}")],
    }
    found = lint(document)
    assert [f.code for f in found] == ["VARIABLE_UNSUPPORTED_IN_VERSION"]


def test_redundant_statement_names_both(lint: Lint) -> None:
    found = lint(doc(allow(Sid="First"), allow(Sid="Second")))
    [redundant] = by_code(found, "REDUNDANT_STATEMENT")
    assert redundant.pointer == "/Statement/1"
    assert "Second" in redundant.message and "First" in redundant.message


def test_unsupported_sid_only_for_policies_iam_stores(lint: Lint) -> None:
    statement = {**allow(), "Sid": "Allow reads", "Principal": {"AWS": ACCOUNT}}
    assert by_code(lint(doc(statement), PolicyKind.RESOURCE), "UNSUPPORTED_SID") == []
