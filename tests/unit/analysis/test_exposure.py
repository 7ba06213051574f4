"""Who outside the zone of trust a resource-based policy lets in (Access Analyzer's
external-access findings).

https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-findings.html (zone of trust:
same account or organization is no finding), https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_ExternalAccessDetails.html
(``principal``, ``action``, ``condition``, ``isPublic``) and
https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-filter-keys.html
(the ``condition.aws:PrincipalOrgID``, ``condition.aws:SourceVpc`` ... keys findings carry).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from iamd.analysis.errors import InvalidPolicyDocumentError
from iamd.analysis.exposure import Exposure, exposures

ACCOUNT = "111122223333"
OTHER = "444455556666"


def trust(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def assume(principal: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **extra}


def bucket(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def read(principal: Any, **extra: Any) -> dict[str, Any]:
    return {
        "Effect": "Allow",
        "Principal": principal,
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::doc-example-bucket/*",
        **extra,
    }


def on_bucket(document: dict[str, Any], **kwargs: Any) -> list[Exposure]:
    return exposures(document, ACCOUNT, resource_type="AWS::S3::Bucket", **kwargs)


def test_cross_account_role_trust_names_the_account() -> None:
    """A trust policy for another account's root: a cross-account finding naming the account."""
    found = exposures(trust(assume({"AWS": f"arn:aws:iam::{OTHER}:root"})), ACCOUNT)
    assert found == [
        Exposure(
            statement_index=0,
            statement_id=None,
            principal={"AWS": OTHER},
            actions=("sts:AssumeRole",),
            conditions={},
            is_public=False,
            kind="cross-account",
        )
    ]


def test_same_account_and_service_principals_are_not_external() -> None:
    document = trust(
        assume({"AWS": f"arn:aws:iam::{ACCOUNT}:role/admin"}),
        assume({"Service": "ec2.amazonaws.com"}),
        assume({"AWS": ACCOUNT}),
    )
    assert exposures(document, ACCOUNT) == []


def test_a_role_in_another_account_is_named_by_its_arn() -> None:
    role = f"arn:aws:iam::{OTHER}:role/deployer"
    found = exposures(trust(assume({"AWS": [role, ACCOUNT]}, Sid="Deploy")), ACCOUNT)
    assert [(e.principal, e.statement_id) for e in found] == [({"AWS": role}, "Deploy")]


def test_everyone_is_public() -> None:
    found = on_bucket(bucket(read("*")))
    assert [(e.principal, e.is_public, e.kind) for e in found] == [({"AWS": "*"}, True, "public")]
    assert found[0].actions == ("s3:GetObject",)


def test_aws_star_and_notprincipal_are_public() -> None:
    not_principal = {
        "Effect": "Allow",
        "NotPrincipal": {"AWS": OTHER},
        "Action": "s3:GetObject",
        "Resource": "*",
    }
    found = on_bucket(bucket(read({"AWS": "*"}), not_principal))
    assert [e.is_public for e in found] == [True, True]


def test_org_condition_narrows_public_access() -> None:
    """Principal * limited by aws:PrincipalOrgID: reported with the condition, not public; no
    finding at all when the organization is the analyzer's zone of trust."""
    statement = read("*", Condition={"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}})
    found = on_bucket(bucket(statement))
    assert [(e.principal, e.conditions, e.is_public) for e in found] == [
        ({"AWS": "*"}, {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}, False)
    ]
    assert on_bucket(bucket(statement), trusted_org_id="o-a1b2c3d4e5") == []


def test_principal_account_condition_names_the_account() -> None:
    statement = read("*", Condition={"StringEquals": {"aws:PrincipalAccount": [OTHER, ACCOUNT]}})
    found = on_bucket(bucket(statement))
    assert [(e.principal, e.is_public) for e in found] == [({"AWS": OTHER}, False)]
    own = read("*", Condition={"StringEquals": {"aws:PrincipalAccount": ACCOUNT}})
    assert on_bucket(bucket(own)) == []


@pytest.mark.parametrize(
    "condition",
    [
        {"StringEquals": {"aws:SourceVpc": "vpc-111bbb22"}},
        {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}},
        {"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}},
        {"ArnEquals": {"aws:SourceArn": f"arn:aws:cloudtrail:us-east-1:{OTHER}:trail/t"}},
    ],
)
def test_network_and_source_conditions_are_not_public(condition: dict[str, Any]) -> None:
    found = on_bucket(bucket(read("*", Condition=condition)))
    assert len(found) == 1
    assert not found[0].is_public
    key = next(iter(next(iter(condition.values()))))
    assert key in found[0].conditions


@pytest.mark.parametrize(
    "condition",
    [
        {"StringLike": {"aws:PrincipalOrgID": "o-*"}},
        {"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
        {"StringNotEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
        {"ForAllValues:StringEquals": {"aws:SourceVpc": "vpc-1"}},
        {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}},
        {"StringEquals": {"aws:PrincipalAccount": "${aws:ResourceAccount}"}},
        {"StringEquals": {"s3:prefix": "home/"}},
    ],
)
def test_conditions_that_do_not_narrow_stay_public(condition: dict[str, Any]) -> None:
    """Wildcards, IfExists, negations, ForAllValues, /0 networks, variables and keys the caller
    controls do not keep outsiders out: the finding stays public, with the condition listed."""
    found = on_bucket(bucket(read("*", Condition=condition)))
    assert [e.is_public for e in found] == [True]
    assert found[0].conditions


def test_federated_principals() -> None:
    cognito = assume(
        {"Federated": "cognito-identity.amazonaws.com"},
        Action="sts:AssumeRoleWithWebIdentity",
        Condition={"StringEquals": {"cognito-identity.amazonaws.com:aud": "us-east-1:abc"}},
    )
    saml = assume(
        {"Federated": f"arn:aws:iam::{ACCOUNT}:saml-provider/Okta"},
        Action="sts:AssumeRoleWithSAML",
    )
    github = assume(
        {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"},
        Action="sts:AssumeRoleWithWebIdentity",
    )
    found = exposures(trust(cognito, saml, github), ACCOUNT)
    assert [(e.kind, e.is_public) for e in found] == [
        ("federated", False),
        ("federated", False),
        ("federated", True),
    ]
    assert found[0].principal == {"Federated": "cognito-identity.amazonaws.com"}
    assert found[0].conditions == {"cognito-identity.amazonaws.com:aud": "us-east-1:abc"}
    assert found[0].actions == ("sts:AssumeRoleWithWebIdentity",)


def test_conditions_list_every_key_with_values_joined() -> None:
    statement = assume(
        {"AWS": OTHER},
        Condition={
            "StringEquals": {"sts:ExternalId": ["a", "b"]},
            "Bool": {"aws:MultiFactorAuthPresent": "true"},
        },
    )
    (found,) = exposures(trust(statement), ACCOUNT)
    assert found.conditions == {"sts:ExternalId": "a,b", "aws:MultiFactorAuthPresent": "true"}


def test_unconditional_deny_removes_actions_and_principals() -> None:
    allow = {
        "Effect": "Allow",
        "Principal": {"AWS": OTHER},
        "Action": ["s3:GetObject", "s3:PutObject"],
        "Resource": "arn:aws:s3:::doc-example-bucket/*",
    }
    deny_put = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:Put*",
        "Resource": "arn:aws:s3:::doc-example-bucket/*",
    }
    (found,) = on_bucket(bucket(allow, deny_put))
    assert found.actions == ("s3:GetObject",)
    deny_all = {**deny_put, "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"}, "Action": "s3:*"}
    assert on_bucket(bucket(allow, deny_all)) == []


def test_conditional_or_partial_deny_keeps_the_finding() -> None:
    allow = read({"AWS": OTHER})
    conditional = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": "*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    narrower = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": "arn:aws:s3:::doc-example-bucket/private/*",
    }
    assert len(on_bucket(bucket(allow, conditional, narrower))) == 1


def test_deny_outside_the_organization_narrows_like_an_allow_condition() -> None:
    """The common pattern "Allow * + Deny unless aws:PrincipalOrgID" is not public."""
    deny = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "*",
        "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
    }
    found = on_bucket(bucket(read("*"), deny))
    assert [(e.is_public, e.conditions) for e in found] == [
        (False, {"aws:PrincipalOrgID": "o-a1b2c3d4e5"})
    ]
    assert on_bucket(bucket(read("*"), deny), trusted_org_id="o-a1b2c3d4e5") == []


def test_not_action_lists_the_services_actions() -> None:
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": OTHER},
        "NotAction": "s3:Delete*",
        "Resource": "*",
    }
    (found,) = on_bucket(bucket(statement))
    assert "s3:GetObject" in found.actions
    assert all(a.startswith("s3:") for a in found.actions)
    assert not any(a.startswith("s3:Delete") for a in found.actions)
    assert list(found.actions) == sorted(found.actions)


def test_deny_statements_and_missing_resource_are_accepted() -> None:
    """A resource policy handed to the analyzer may leave Resource out."""
    document = {"Version": "2012-10-17", "Statement": [read({"AWS": OTHER})]}
    del document["Statement"][0]["Resource"]
    assert len(on_bucket(document)) == 1


def test_malformed_documents_are_refused() -> None:
    with pytest.raises(InvalidPolicyDocumentError):
        exposures("{not json", ACCOUNT)
    with pytest.raises(InvalidPolicyDocumentError):
        exposures(trust({"Effect": "Allow", "Action": "sts:AssumeRole"}), ACCOUNT)


def test_access_only_for_aws_services_is_no_finding() -> None:
    services_only = read("*", Condition={"Bool": {"aws:PrincipalIsAWSService": "true"}})
    assert on_bucket(bucket(services_only)) == []
    either = read("*", Condition={"Bool": {"aws:PrincipalIsAWSService": ["true", "false"]}})
    assert [e.is_public for e in on_bucket(bucket(either))] == [True]
