"""No false paths: accounts where a method *looks* possible but AWS would refuse it.

Boundaries limit identity-based allows (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html);
an explicit deny wins (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html);
a trust policy must let the caller in, and its conditions must hold
(https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_manage-assume.html); PassRole's
``iam:PassedToService`` limits which service may receive the role
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html);
EC2 runs as a role only through an instance profile
(https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-ec2_instance-profiles.html).
The analysis does not know request facts (source IP, MFA, external id), so conditions on them
are not met and no path depends on them.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from support.analysis_builder import (
    ADMIN_ARN,
    Account,
    account_root_trust,
    allow,
    analyse,
    doc,
    paths_of,
    trust,
)


def _boundary_blocks_self_grant(a: Account) -> None:
    boundary = a.managed("S3Only", allow("s3:*"))
    a.user(
        "mallory", inline=allow("iam:PutUserPolicy", a.arn("user", "mallory")), boundary=boundary
    )


def _boundary_blocks_takeover(a: Account) -> None:
    boundary = a.managed("S3Only", allow("s3:*"))
    admin = a.user("root-ops", attached=[ADMIN_ARN])
    a.user("mallory", inline=allow("iam:CreateAccessKey", admin), boundary=boundary)


def _explicit_deny(a: Account) -> None:
    admin = a.user("root-ops", attached=[ADMIN_ARN])
    a.group("guard", inline=doc({"Effect": "Deny", "Action": "iam:*", "Resource": "*"}))
    a.user("mallory", groups=["guard"], inline=allow("iam:CreateAccessKey", admin))


def _trust_requires_mfa(a: Account) -> None:
    role = a.role(
        "ops",
        trust(
            {"AWS": "arn:aws:iam::111122223333:root"},
            Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}},
        ),
        attached=[ADMIN_ARN],
    )
    a.user("mallory", inline=allow("sts:AssumeRole", role))


def _trust_requires_external_id(a: Account) -> None:
    role = a.role(
        "ops",
        trust(
            {"AWS": "arn:aws:iam::111122223333:root"},
            Condition={"StringEquals": {"sts:ExternalId": "s3cr3t"}},
        ),
        attached=[ADMIN_ARN],
    )
    a.user("mallory", inline=allow("sts:AssumeRole", role))


def _trust_names_someone_else(a: Account) -> None:
    role = a.role(
        "ops", trust({"AWS": "arn:aws:iam::111122223333:user/alice"}), attached=[ADMIN_ARN]
    )
    a.user("mallory", inline=allow("sts:AssumeRole", role))


def _account_trust_without_identity_allow(a: Account) -> None:
    a.role("ops", account_root_trust(), attached=[ADMIN_ARN])
    a.user("mallory", inline=allow("s3:GetObject"))


def _assume_blocked_by_deny(a: Account) -> None:
    a.role("ops", trust({"AWS": "arn:aws:iam::111122223333:user/mallory"}), attached=[ADMIN_ARN])
    a.user("mallory", inline=doc({"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "*"}))


def _target_role_is_bounded(a: Account) -> None:
    boundary = a.managed("S3Only", allow("s3:*"))
    role = a.role("ops", account_root_trust(), attached=[ADMIN_ARN], boundary=boundary)
    a.user("mallory", inline=allow("sts:AssumeRole", role))


def _pass_role_without_profile(a: Account) -> None:
    role = a.role("svc", trust({"Service": "ec2.amazonaws.com"}), attached=[ADMIN_ARN])
    a.user("mallory", inline=allow(["iam:PassRole", "ec2:RunInstances"], "*"))
    assert role


def _pass_role_to_service_not_trusted(a: Account) -> None:
    a.role("svc", trust({"Service": "lambda.amazonaws.com"}), attached=[ADMIN_ARN])
    a.user("mallory", inline=allow(["iam:PassRole", "ec2:RunInstances"], "*"))


def _passed_to_another_service(a: Account) -> None:
    role = a.role(
        "svc", trust({"Service": "ec2.amazonaws.com"}), attached=[ADMIN_ARN], profile=True
    )
    a.user(
        "mallory",
        inline=doc(
            {
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": role,
                "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}},
            },
            {"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*"},
        ),
    )


def _pass_role_without_the_run_call(a: Account) -> None:
    role = a.role("svc", trust({"Service": "lambda.amazonaws.com"}), attached=[ADMIN_ARN])
    a.user(
        "mallory",
        inline=doc(
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": role},
            {"Effect": "Allow", "Action": "lambda:CreateFunction", "Resource": "*"},
        ),
    )


def _attach_limited_to_one_policy(a: Account) -> None:
    a.user(
        "mallory",
        inline=allow(
            "iam:AttachUserPolicy",
            a.arn("user", "mallory"),
            Condition={"ArnEquals": {"iam:PolicyARN": "arn:aws:iam::aws:policy/ReadOnlyAccess"}},
        ),
    )


def _policy_version_on_unrelated_policy(a: Account) -> None:
    other = a.managed("unused", allow("s3:GetObject"))
    a.user("mallory", inline=allow("iam:CreatePolicyVersion", other))


def _put_policy_on_a_stranger(a: Account) -> None:
    a.user("bob", inline=allow("s3:GetObject"))
    a.user("mallory", inline=allow("iam:PutUserPolicy", a.arn("user", "bob")))


def _grant_to_a_bounded_role(a: Account) -> None:
    """Rights put on a role one may assume do not make it admin past its boundary."""
    cap = a.managed("s3-only", allow("s3:GetObject"))
    role = a.role("ops", account_root_trust(), inline=allow("s3:GetObject"), boundary=cap)
    a.user("mallory", inline=allow(["iam:PutRolePolicy", "sts:AssumeRole"], role))


def _condition_on_source_ip(a: Account) -> None:
    admin = a.user("root-ops", attached=[ADMIN_ARN])
    a.user(
        "mallory",
        inline=allow(
            "iam:CreateAccessKey", admin, Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}
        ),
    )


def _condition_on_another_team(a: Account) -> None:
    admin = a.user("root-ops", attached=[ADMIN_ARN])
    a.user(
        "mallory",
        tags={"team": "web"},
        inline=allow(
            "iam:CreateAccessKey",
            admin,
            Condition={"StringEquals": {"aws:PrincipalTag/team": "platform"}},
        ),
    )


def _join_a_group_that_is_not_admin(a: Account) -> None:
    group = a.group("readers", inline=allow("s3:GetObject"))
    a.user("mallory", inline=allow("iam:AddUserToGroup", group))


def _least_privilege(a: Account) -> None:
    a.role(
        "app",
        trust({"Service": "lambda.amazonaws.com"}),
        inline=doc(
            {
                "Effect": "Allow",
                "Action": ["dynamodb:GetItem", "dynamodb:PutItem"],
                "Resource": "arn:aws:dynamodb:us-east-1:111122223333:table/orders",
            },
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": "arn:aws:logs:us-east-1:111122223333:log-group:/app:*",
            },
        ),
    )
    a.user("dev", inline=allow(["iam:Get*", "iam:List*", "s3:GetObject"], "*"))
    a.role("ops", account_root_trust(), attached=[ADMIN_ARN])


CLEAN: dict[str, Callable[[Account], None]] = {
    f.__name__.strip("_"): f
    for f in (
        _boundary_blocks_self_grant,
        _boundary_blocks_takeover,
        _explicit_deny,
        _trust_requires_mfa,
        _trust_requires_external_id,
        _trust_names_someone_else,
        _account_trust_without_identity_allow,
        _assume_blocked_by_deny,
        _target_role_is_bounded,
        _pass_role_without_profile,
        _pass_role_to_service_not_trusted,
        _passed_to_another_service,
        _pass_role_without_the_run_call,
        _attach_limited_to_one_policy,
        _policy_version_on_unrelated_policy,
        _put_policy_on_a_stranger,
        _grant_to_a_bounded_role,
        _condition_on_source_ip,
        _condition_on_another_team,
        _join_a_group_that_is_not_admin,
        _least_privilege,
    )
}


@pytest.mark.parametrize("name", list(CLEAN))
def test_no_path_where_aws_would_refuse(name: str) -> None:
    a = Account()
    CLEAN[name](a)
    report = analyse(a.data())
    assert paths_of(report) == {}
    assert not [f for f in report.findings if f.rule == "PRIVILEGE_ESCALATION"]


def test_the_same_tag_condition_met_is_a_path() -> None:
    """The control for the tag case: the principal's own tags are known and count."""
    a = Account()
    admin = a.user("root-ops", attached=[ADMIN_ARN])
    a.user(
        "mallory",
        tags={"team": "platform"},
        inline=allow(
            "iam:CreateAccessKey",
            admin,
            Condition={"StringEquals": {"aws:PrincipalTag/team": "platform"}},
        ),
    )
    assert paths_of(analyse(a.data())) == {"mallory": [("iam:CreateAccessKey", "root-ops")]}


def test_a_bounded_admin_role_is_not_admin() -> None:
    a = Account()
    _target_role_is_bounded(a)
    report = analyse(a.data())
    assert not [f for f in report.findings if f.rule == "ADMIN_PRINCIPAL"]
