"""Access Advisor's pure parts: which services a policy allows, and how a report is assembled.

https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetServiceLastAccessedDetails.html
("For each service that the resource could access using permissions policies, the operation
returns details about the most recent access attempt. If there was no attempt, the service is
listed without details about the most recent attempt")
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from iamd.catalog.actions import actions_for_service
from iamd.errors import InvalidInput
from iamd.services.iam.access_advisor import Principal, parse_arn, report
from iamd.services.iam.policy_services import granted, merge
from iamd.store.repos.trail_usage import ANY, Usage

T0 = datetime(2026, 5, 6, 7, 8, 9, tzinfo=UTC)


def document(*statements: dict[str, object]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_actions_expand_with_the_catalog_and_deny_statements_list_nothing() -> None:
    grants = granted(
        document(
            {"Effect": "Allow", "Action": ["iam:Get*", "S3:GetObject"], "Resource": "*"},
            {"Effect": "Deny", "Action": "ec2:*", "Resource": "*"},
        )
    )
    assert set(grants) == {"iam", "s3"}
    assert "GetUser" in grants["iam"] and "CreateUser" not in grants["iam"]
    assert grants["s3"] == {"GetObject"}


def test_not_action_allows_every_other_action_of_every_service() -> None:
    grants = granted(document({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}))
    assert "iam" not in grants
    assert "s3" in grants and "sts" in grants
    partial = granted(document({"Effect": "Allow", "NotAction": "s3:Get*", "Resource": "*"}))
    assert "GetObject" not in partial["s3"] and "PutObject" in partial["s3"]


def test_a_star_action_allows_every_service() -> None:
    grants = merge([document({"Effect": "Allow", "Action": "*", "Resource": "*"})])
    assert grants["sts"] == {a.name for a in actions_for_service("sts")}


def test_arns_that_are_not_iam_entities_are_invalid_input() -> None:
    assert parse_arn("arn:aws:iam::111122223333:user/team/alice") == (
        "111122223333",
        "user",
        "alice",
    )
    assert parse_arn("arn:aws:iam::aws:policy/ReadOnlyAccess")[1] == "policy"
    for bad in ("arn:aws:s3:::bucket", "arn:aws:iam::111122223333:mfa/x", "user/alice"):
        with pytest.raises(InvalidInput):
            parse_arn(bad)


def test_report_names_the_latest_entity_and_counts_those_that_tried() -> None:
    alice = Principal("user", "AIDAALICE", "alice", "/", "arn:aws:iam::1:user/alice")
    bob = Principal("user", "AIDABOB", "bob", "/", "arn:aws:iam::1:user/bob")
    carol = Principal("user", "AIDACAROL", "carol", "/", "arn:aws:iam::1:user/carol")
    usage = {
        alice.subject: {
            ANY: Usage(T0, "eu-west-1", "iam"),
            "iam": Usage(T0, "eu-west-1", "iam"),
            "iam:GetUser": Usage(T0, "eu-west-1", "iam"),
        },
        bob.subject: {
            "iam": Usage(T0 + timedelta(hours=1), "us-east-1", "iam"),
            "iam:ListUsers": Usage(T0 + timedelta(hours=1), "us-east-1", "iam"),
        },
        carol.subject: {},
    }
    grants = {
        "iam": frozenset({"GetUser", "ListUsers", "CreateUser"}),
        "dynamodb": frozenset({"GetItem"}),  # an untracked service: no action list
    }
    result = report(grants, [alice, bob, carol], usage, actions=True)
    dynamodb, iam = result["services"]
    assert iam["ServiceNamespace"] == "iam"
    assert iam["LastAuthenticatedEntity"] == bob.arn
    assert iam["LastAuthenticatedRegion"] == "us-east-1"
    assert iam["TotalAuthenticatedEntities"] == 2
    tracked = {a["ActionName"]: a for a in iam["TrackedActionsLastAccessed"]}
    assert tracked["GetUser"]["LastAccessedEntity"] == alice.arn
    assert tracked["ListUsers"]["LastAccessedEntity"] == bob.arn
    assert tracked["CreateUser"] == {"ActionName": "CreateUser"}
    assert dynamodb == {
        "ServiceName": "Amazon DynamoDB",
        "ServiceNamespace": "dynamodb",
        "TotalAuthenticatedEntities": 0,
    }
    names = [e["EntityInfo"]["Name"] for e in result["entities"]["iam"]]
    assert names == ["bob", "alice", "carol"]
    assert "LastAuthenticated" not in result["entities"]["iam"][2]
