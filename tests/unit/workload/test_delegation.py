"""The service delegation a workload endpoint asserts in AssumeRole's ProvidedContexts."""

from __future__ import annotations

import pytest

from iamd.errors import ValidationError
from iamd.workload.delegation import EC2, ECS_TASKS, PROVIDER_ARN, Delegation, requested


def test_a_delegation_round_trips_through_provided_contexts() -> None:
    sent = Delegation(EC2, "arn:aws:ec2:us-east-1:111122223333:instance/i-1", "arn:profile")
    assert requested({"ProvidedContexts": sent.provided_contexts()}) == sent
    assert requested({"ProvidedContexts": Delegation(ECS_TASKS).provided_contexts()}) == (
        Delegation(ECS_TASKS)
    )


def test_other_providers_and_absent_contexts_are_ordinary_assume_role() -> None:
    other = [
        {"ProviderArn": "arn:aws:iam::aws:contextProvider/IdentityCenter", "ContextAssertion": "x"}
    ]
    assert requested({}) is None
    assert requested({"ProvidedContexts": other}) is None


@pytest.mark.parametrize(
    "assertion",
    ["not json", "[]", '{"service": 5}', '{"service": "lambda.amazonaws.com"}', "{}"],
)
def test_a_malformed_or_foreign_assertion_is_refused_not_ignored(assertion: str) -> None:
    contexts = [{"ProviderArn": PROVIDER_ARN, "ContextAssertion": assertion}]
    with pytest.raises(ValidationError):
        requested({"ProvidedContexts": contexts})
