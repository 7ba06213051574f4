"""Each known privilege-escalation method, alone in a crafted account, yields exactly its path.

The methods are those of shared/reference/AWS-FORMATS.md ("Known privilege-escalation
methods"); what each call needs is AWS's documentation:
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html (PassRole, and the
``iam:PassedToService`` key), https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_manage-assume.html
(a trust policy and the caller's own permission), and each service's API reference for the calls
that start code (RunInstances, CreateFunction, CreateStack ...).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from iamd.analysis.methods import COMPUTE
from support.analysis_builder import (
    ADMIN_ARN,
    ALLOW_ALL,
    Account,
    account_root_trust,
    allow,
    analyse,
    doc,
    paths_of,
    trust,
)

Setup = Callable[[Account], list[tuple[str, str]]]


def _admin_user(a: Account) -> str:
    return a.user("root-ops", attached=[ADMIN_ARN])


def _user_takeover(action: str) -> Setup:
    def setup(a: Account) -> list[tuple[str, str]]:
        target = _admin_user(a)
        a.user("mallory", inline=allow(action, target))
        return [(action, "root-ops")]

    return setup


def _self_user(action: str) -> Setup:
    def setup(a: Account) -> list[tuple[str, str]]:
        a.user("mallory", inline=allow(action, a.arn("user", "mallory")))
        return [(action, "mallory")]

    return setup


def _own_group(action: str) -> Setup:
    def setup(a: Account) -> list[tuple[str, str]]:
        group = a.group("devs", inline=allow("s3:GetObject"))
        a.user("mallory", groups=["devs"], inline=allow(action, group))
        return [(action, "devs")]

    return setup


def _self_role(action: str) -> Setup:
    def setup(a: Account) -> list[tuple[str, str]]:
        arn = a.arn("role", "mallory")
        a.role("mallory", trust({"Service": "lambda.amazonaws.com"}), inline=allow(action, arn))
        return [(action, "mallory")]

    return setup


def _create_policy_version(a: Account) -> list[tuple[str, str]]:
    arn = a.arn("policy", "mallory-tools")
    a.managed("mallory-tools", allow("iam:CreatePolicyVersion", arn))
    a.user("mallory", attached=[arn])
    return [("iam:CreatePolicyVersion", "mallory-tools")]


def _set_default_version(a: Account) -> list[tuple[str, str]]:
    arn = a.arn("policy", "mallory-tools")
    a.managed("mallory-tools", allow("iam:SetDefaultPolicyVersion", arn), versions=[ALLOW_ALL])
    a.user("mallory", attached=[arn])
    return [("iam:SetDefaultPolicyVersion", "mallory-tools")]


def _add_user_to_group(a: Account) -> list[tuple[str, str]]:
    group = a.group("admins", attached=[ADMIN_ARN])
    a.user("mallory", inline=allow("iam:AddUserToGroup", group))
    return [("iam:AddUserToGroup", "admins")]


def _update_trust(a: Account) -> list[tuple[str, str]]:
    role = a.role("ops", trust({"Service": "ec2.amazonaws.com"}), attached=[ADMIN_ARN])
    a.user("mallory", inline=allow("iam:UpdateAssumeRolePolicy", role))
    return [("iam:UpdateAssumeRolePolicy+sts:AssumeRole", "ops")]


def _assume_through_account_trust(a: Account) -> list[tuple[str, str]]:
    role = a.role("ops", account_root_trust(), attached=[ADMIN_ARN])
    a.user("mallory", inline=allow("sts:AssumeRole", role))
    return [("sts:AssumeRole", "ops")]


def _assume_named_directly(a: Account) -> list[tuple[str, str]]:
    """A trust policy that names the user lets it in with no identity-based allow."""
    a.role("ops", trust({"AWS": a.arn("user", "mallory")}), attached=[ADMIN_ARN])
    a.user("mallory", inline=allow("s3:GetObject"))
    return [("sts:AssumeRole", "ops")]


def _grant_then_assume(action: str) -> Setup:
    """Rights put on a role one may assume, then the role taken: the classic PutRolePolicy
    and AttachRolePolicy escalations when the role is not the attacker's own."""

    def setup(a: Account) -> list[tuple[str, str]]:
        role = a.role("ops", account_root_trust(), inline=allow("s3:GetObject"))
        a.user("mallory", inline=allow([action, "sts:AssumeRole"], role))
        return [(action, "ops"), ("sts:AssumeRole", "ops")]

    return setup


def _grant_then_take_keys(a: Account) -> list[tuple[str, str]]:
    """A policy put on another user, whose access key one may then create."""
    target = a.user("builder", inline=allow("s3:GetObject"))
    a.user("mallory", inline=allow(["iam:PutUserPolicy", "iam:CreateAccessKey"], target))
    return [("iam:PutUserPolicy", "builder"), ("iam:CreateAccessKey", "builder")]


def _chain(a: Account) -> list[tuple[str, str]]:
    """Two hops: a user's key, then a role that user may assume."""
    role = a.role("ops", account_root_trust(), attached=[ADMIN_ARN])
    deployer = a.user("deployer", inline=allow("sts:AssumeRole", role))
    a.user("mallory", inline=allow("iam:CreateAccessKey", deployer))
    return [("iam:CreateAccessKey", "deployer"), ("sts:AssumeRole", "ops")]


def _compute(method_name: str) -> Setup:
    method = next(m for m in COMPUTE if m.name == method_name)

    def setup(a: Account) -> list[tuple[str, str]]:
        role = a.role(
            "svc-admin",
            trust({"Service": method.service}),
            attached=[ADMIN_ARN],
            profile=method.instance_profile,
        )
        actions = sorted({action for action, _ in method.actions})
        statements: list[dict[str, Any]] = [{"Effect": "Allow", "Action": actions, "Resource": "*"}]
        if method.passes_role:
            statements.append({"Effect": "Allow", "Action": "iam:PassRole", "Resource": role})
        a.user("mallory", inline=doc(*statements))
        return [(method.name, "svc-admin")]

    return setup


CASES: dict[str, Setup] = {
    "CreateAccessKey": _user_takeover("iam:CreateAccessKey"),
    "CreateLoginProfile": _user_takeover("iam:CreateLoginProfile"),
    "UpdateLoginProfile": _user_takeover("iam:UpdateLoginProfile"),
    "AttachUserPolicy": _self_user("iam:AttachUserPolicy"),
    "PutUserPolicy": _self_user("iam:PutUserPolicy"),
    "AttachGroupPolicy": _own_group("iam:AttachGroupPolicy"),
    "PutGroupPolicy": _own_group("iam:PutGroupPolicy"),
    "AttachRolePolicy": _self_role("iam:AttachRolePolicy"),
    "PutRolePolicy": _self_role("iam:PutRolePolicy"),
    "CreatePolicyVersion": _create_policy_version,
    "SetDefaultPolicyVersion": _set_default_version,
    "AddUserToGroup": _add_user_to_group,
    "UpdateAssumeRolePolicy": _update_trust,
    "AssumeRole": _assume_through_account_trust,
    "AssumeRoleNamedInTrust": _assume_named_directly,
    "Chain": _chain,
    "PutRolePolicyThenAssume": _grant_then_assume("iam:PutRolePolicy"),
    "AttachRolePolicyThenAssume": _grant_then_assume("iam:AttachRolePolicy"),
    "PutUserPolicyThenCreateAccessKey": _grant_then_take_keys,
    **{m.name: _compute(m.name) for m in COMPUTE},
}


@pytest.mark.parametrize("name", list(CASES))
def test_each_method_yields_exactly_its_path(name: str) -> None:
    a = Account()
    expected = CASES[name](a)
    report = analyse(a.data())
    paths = paths_of(report)
    # The attacker's own path, and no other principal's: the admins are findings of their own.
    assert {k: v for k, v in paths.items() if k != "deployer"} == {"mallory": expected}
    finding = next(
        f
        for f in report.findings
        if f.rule == "PRIVILEGE_ESCALATION" and f.resource.endswith("/mallory")
    )
    assert finding.statements, "a path names the statements that allow each step"


def test_compute_methods_that_need_an_existing_resource_say_so() -> None:
    a = Account()
    _compute("ssm:SendCommand")(a)
    report = analyse(a.data())
    [finding] = [f for f in report.findings if f.rule == "PRIVILEGE_ESCALATION"]
    assert finding.severity.value == "high"
    assert "assuming a running EC2 instance" in finding.message


def test_pass_role_step_names_the_pass_role_statement() -> None:
    a = Account()
    _compute("iam:PassRole+ec2:RunInstances")(a)
    [path] = analyse(a.data()).paths
    [step] = path.steps
    assert step.source.endswith(":user/mallory") and step.gains.endswith(":role/svc-admin")
    assert {r.policy_name for r in step.statements} == {"user/mallory inline mallory-inline"}
    assert {r.index for r in step.statements} == {0, 1}
