"""The create-role wizard's trust policy templates: each one is a valid trust policy, shaped
as AWS's console writes it.

https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-user.html
"""

from __future__ import annotations

import json

import pytest

from iamd.console.pages import trust_templates
from iamd.policy import PolicyKind
from iamd.validation import validate_policy

ACCOUNT = "111122223333"


@pytest.mark.parametrize("kind", [k for k, _ in trust_templates.KINDS])
def test_every_template_is_a_valid_trust_policy(kind: str) -> None:
    text = trust_templates.build(kind, {"org": "octo-org"}, ACCOUNT)
    errors = [f for f in validate_policy(text, PolicyKind.TRUST) if f.is_error]
    assert errors == []


def test_another_account_with_mfa_and_external_id() -> None:
    form = {"account_id": "444455556666", "require_mfa": "on", "external_id": "x-123"}
    statement = json.loads(trust_templates.build("account", form, ACCOUNT))["Statement"][0]
    assert statement["Principal"] == {"AWS": "arn:aws:iam::444455556666:root"}
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Condition"] == {
        "StringEquals": {"sts:ExternalId": "x-123"},
        "Bool": {"aws:MultiFactorAuthPresent": "true"},
    }


def test_github_actions_web_identity_limits_sub_to_the_repository_and_branch() -> None:
    form = {"org": "octo-org", "repo": "octo-repo", "branch": "main"}
    statement = json.loads(trust_templates.build("web", form, ACCOUNT))["Statement"][0]
    host = "token.actions.githubusercontent.com"
    assert statement["Principal"] == {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/{host}"}
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Condition"] == {
        "StringEquals": {f"{host}:aud": "sts.amazonaws.com"},
        "StringLike": {f"{host}:sub": "repo:octo-org/octo-repo:ref:refs/heads/main"},
    }


def test_custom_is_the_text_as_typed() -> None:
    assert trust_templates.build("custom", {"trust": "{not json"}, ACCOUNT) == "{not json"
