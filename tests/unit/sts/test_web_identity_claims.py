"""The condition keys and session attributes AssumeRoleWithWebIdentity takes from a token.

- ``<provider>:sub/aud/oaud/amr``, ``aud`` from ``azp`` when set:
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif
- provider-specific keys (GitHub ``job_workflow_ref``, GitLab ``project_id``...) as the Service
  Authorization Reference lists them for sts:AssumeRoleWithWebIdentity:
  https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecuritytokenservice.html
- session tags and source identity claims:
  https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html#id_session-tags_adding-assume-role-idp
  https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_monitor.html
- the source identity rule and message:
  https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_saml.html
"""

from __future__ import annotations

from typing import Any

import pytest

from iamd.errors import InvalidIdentityToken, ValidationError
from iamd.services.sts.web_identity import (
    check_source_identity,
    claim_context,
    claim_value,
    provider_claims,
    token_session_tags,
)

GITHUB = "token.actions.githubusercontent.com"


def test_github_claims_come_from_the_service_reference() -> None:
    claims = set(provider_claims(GITHUB))
    assert {"job_workflow_ref", "repository", "ref", "environment", "actor"} <= claims
    assert "sub" not in claims and "aud" not in claims
    # A GitHub Enterprise subpath issuer matches the ${subpath} template.
    assert "repository" in provider_claims(f"{GITHUB}/my-enterprise")
    assert "pipeline_slug" in provider_claims("agent.acme.buildkite.dev")
    assert "project_id" in provider_claims("gitlab.com")
    assert provider_claims("127.0.0.1:8090") == []
    assert provider_claims("oidc.eks.us-east-1.amazonaws.com/id/ABC") == []


def test_github_token_context() -> None:
    claims: dict[str, Any] = {
        "sub": "repo:org/app:ref:refs/heads/main",
        "aud": "sts.amazonaws.com",
        "repository": "org/app",
        "job_workflow_ref": "org/wf/.github/workflows/deploy.yml@refs/heads/main",
        "run_attempt": "1",
    }
    context, session = claim_context(GITHUB, claims, "sts.amazonaws.com")
    assert context[f"{GITHUB}:sub"] == "repo:org/app:ref:refs/heads/main"
    assert context[f"{GITHUB}:aud"] == "sts.amazonaws.com"
    assert context[f"{GITHUB}:oaud"] == "sts.amazonaws.com"
    assert context[f"{GITHUB}:repository"] == "org/app"
    assert context[f"{GITHUB}:job_workflow_ref"].startswith("org/wf/")
    # Only the claims AWS exposes become keys.
    assert f"{GITHUB}:run_attempt" not in context
    # A session keeps the standard web identity keys, not the provider-specific ones.
    assert set(session) == {f"{GITHUB}:sub", f"{GITHUB}:aud", f"{GITHUB}:oaud"}


def test_aud_key_is_azp_when_set_and_oaud_is_the_token_aud() -> None:
    claims = {"sub": "u", "aud": ["account", "web"], "azp": "android", "amr": "pwd"}
    context, _ = claim_context("idp.test", claims, "android")
    assert context["idp.test:aud"] == "android"
    assert context["idp.test:oaud"] == ["account", "web"]
    assert context["idp.test:amr"] == ["pwd"]


def test_claim_values() -> None:
    claims = {"n": 5, "b": True, "l": ["x", 1], "google": {"organization_number": 42}}
    assert claim_value(claims, "n") == "5"
    assert claim_value(claims, "b") == "true"
    assert claim_value(claims, "l") == ["x", "1"]
    assert claim_value(claims, "google/organization_number") == "42"
    assert claim_value(claims, "missing") is None
    assert claim_value(claims, "google") is None


def test_session_tags_from_the_token() -> None:
    claims = {
        "https://aws.amazon.com/tags": {
            "principal_tags": {"Project": ["Automation"], "CostCenter": ["987654"]},
            "transitive_tag_keys": ["Project"],
        }
    }
    tags, transitive = token_session_tags(claims)
    assert tags == {"Project": "Automation", "CostCenter": "987654"}
    assert transitive == ["Project"]
    assert token_session_tags({}) == ({}, [])


@pytest.mark.parametrize(
    "raw",
    [
        "flat",
        {"principal_tags": {"A": ["x", "y"]}},
        {"principal_tags": {"A": [1]}},
        {"principal_tags": {"aws:Reserved": ["x"]}},
        {"principal_tags": {"A": ["x"], "a": ["y"]}},
        {"principal_tags": {"A": ["x"]}, "transitive_tag_keys": ["B"]},
        {"principal_tags": {"A": ["x" * 257]}},
        {"principal_tags": {"bad|key": ["x"]}},
    ],
)
def test_malformed_session_tags_are_refused(raw: Any) -> None:
    with pytest.raises(InvalidIdentityToken):
        token_session_tags({"https://aws.amazon.com/tags": raw})


def test_more_than_fifty_session_tags_exceed_the_quota() -> None:
    tags = {f"k{i}": [str(i)] for i in range(51)}
    with pytest.raises(ValidationError, match="SessionTagsPerSession: 50"):
        token_session_tags({"https://aws.amazon.com/tags": {"principal_tags": tags}})


def test_source_identity_rule() -> None:
    assert check_source_identity("alice@example.com") == "alice@example.com"
    for bad in ("a", "has space", "aws:admin", "x" * 65, "h\u00e9llo"):
        with pytest.raises(InvalidIdentityToken) as info:
            check_source_identity(bad)
        assert info.value.message == (
            'Source Identity must match [a-zA-Z_0-9+=,.@-]{2,64} and not begin with "aws:"'
        )
