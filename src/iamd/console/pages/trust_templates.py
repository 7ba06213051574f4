"""Trust policy templates for the create-role wizard, one per kind of trusted entity.

They follow what AWS's console writes for each choice:
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-user.html (another account,
with the optional MFA and external ID conditions),
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-service.html,
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html (GitHub
Actions: ``token.actions.githubusercontent.com:aud`` and a ``sub`` naming the repository),
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_saml.html.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

KINDS = (
    ("service", "AWS service"),
    ("account", "Another AWS account"),
    ("web", "Web identity"),
    ("saml", "SAML 2.0 federation"),
    ("custom", "Custom trust policy"),
)
SERVICES = (
    "ec2.amazonaws.com",
    "lambda.amazonaws.com",
    "ecs-tasks.amazonaws.com",
    "eks.amazonaws.com",
    "states.amazonaws.com",
    "codebuild.amazonaws.com",
    "glue.amazonaws.com",
)
GITHUB = "token.actions.githubusercontent.com"
SAML_AUDIENCE = "https://signin.aws.amazon.com/saml"


def _document(statement: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, indent=2)


def build(kind: str, form: Mapping[str, str], account_id: str) -> str:
    """The trust policy for the wizard's choices (``custom`` is the text as typed)."""
    if kind == "service":
        service = form.get("service") or SERVICES[0]
        return _document(
            {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
        )
    if kind == "account":
        other = form.get("account_id", "").strip() or account_id
        statement: dict[str, Any] = {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{other}:root"},
            "Action": "sts:AssumeRole",
        }
        condition: dict[str, Any] = {}
        if form.get("external_id", "").strip():
            condition["StringEquals"] = {"sts:ExternalId": form["external_id"].strip()}
        if form.get("require_mfa") == "on":
            condition["Bool"] = {"aws:MultiFactorAuthPresent": "true"}
        if condition:
            statement["Condition"] = condition
        return _document(statement)
    if kind == "web":
        provider = form.get("provider", "").strip() or GITHUB
        host = provider.split(":oidc-provider/", 1)[-1]
        audience = form.get("audience", "").strip() or "sts.amazonaws.com"
        conditions: dict[str, Any] = {"StringEquals": {f"{host}:aud": audience}}
        org, repo = form.get("org", "").strip(), form.get("repo", "").strip()
        if org:
            branch = form.get("branch", "").strip()
            subject = f"repo:{org}/{repo or '*'}:" + (f"ref:refs/heads/{branch}" if branch else "*")
            conditions["StringLike"] = {f"{host}:sub": subject}
        return _document(
            {
                "Effect": "Allow",
                "Principal": {"Federated": f"arn:aws:iam::{account_id}:oidc-provider/{host}"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": conditions,
            }
        )
    if kind == "saml":
        provider = form.get("saml_provider", "").strip() or (
            f"arn:aws:iam::{account_id}:saml-provider/MyProvider"
        )
        return _document(
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider},
                "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"],
                "Condition": {"StringEquals": {"SAML:aud": SAML_AUDIENCE}},
            }
        )
    return form.get("trust", "") or _document(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
            "Action": "sts:AssumeRole",
        }
    )
