"""Identity providers and service-linked role deletion tasks, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from iamd.store import ConflictError, Store
from iamd.store.repos.providers import OidcProviders, SamlProviders
from iamd.store.repos.service_linked_roles import ServiceLinkedRoleDeletions

ACCOUNT = "111122223333"
OTHER = "444455556666"


def test_oidc_provider_is_keyed_by_its_url(store: Store) -> None:
    with store.write() as tx:
        repo = tx.repo(OidcProviders)
        made = repo.create(ACCOUNT, "token.example.com/id/1", ["sts.amazonaws.com"], ["a" * 40])
        repo.create(OTHER, "token.example.com/id/1", [], [])
    assert made.arn == f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.example.com/id/1"
    assert made.create_date.tzinfo is not None
    taken = re.escape("Provider with url https://token.example.com/id/1 already exists.")
    with pytest.raises(ConflictError, match=taken), store.write() as tx:
        tx.repo(OidcProviders).create(ACCOUNT, "token.example.com/id/1", [], [])
    with store.read() as tx:
        found = tx.repo(OidcProviders).get(made.arn)
        assert tx.repo(OidcProviders).count(ACCOUNT) == 1
        assert [p.account_id for p in tx.repo(OidcProviders).all(OTHER)] == [OTHER]
    assert found == made


def test_oidc_lists_round_trip_in_order(store: Store) -> None:
    with store.write() as tx:
        repo = tx.repo(OidcProviders)
        made = repo.create(ACCOUNT, "issuer.example.org", ["b", "a"], [])
        repo.set_client_ids(made.arn, ["z", "a", "m"])
        repo.set_thumbprints(made.arn, ["c" * 40, "0" * 40])
    with store.read() as tx:
        found = tx.repo(OidcProviders).get(made.arn)
    assert found is not None
    assert found.client_ids == ["z", "a", "m"]
    assert found.thumbprints == ["c" * 40, "0" * 40]
    with store.write() as tx:
        assert tx.repo(OidcProviders).delete(made.arn)
        assert not tx.repo(OidcProviders).delete(made.arn)
    with store.read() as tx:
        assert tx.repo(OidcProviders).get(made.arn) is None


def test_saml_provider_name_is_unique_and_metadata_updates(store: Store) -> None:
    until = datetime(2031, 5, 1, 12, 0, tzinfo=UTC)
    with store.write() as tx:
        made = tx.repo(SamlProviders).create(ACCOUNT, "Okta", "<md/>", until)
    assert made.arn == f"arn:aws:iam::{ACCOUNT}:saml-provider/Okta"
    taken = re.escape("Provider with name Okta already exists.")
    with pytest.raises(ConflictError, match=taken), store.write() as tx:
        tx.repo(SamlProviders).create(ACCOUNT, "Okta", "<md/>", None)
    later = datetime(2032, 1, 1, tzinfo=UTC)
    with store.write() as tx:
        tx.repo(SamlProviders).update_metadata(made.arn, "<md2/>", later)
    with store.read() as tx:
        found = tx.repo(SamlProviders).get(made.arn)
        assert tx.repo(SamlProviders).count(ACCOUNT) == 1
    assert found is not None
    assert (found.metadata_document, found.valid_until) == ("<md2/>", later)
    assert found.create_date == made.create_date
    with store.write() as tx:
        assert tx.repo(SamlProviders).delete(made.arn)
    with store.read() as tx:
        assert tx.repo(SamlProviders).all(ACCOUNT) == []


def test_deletion_tasks_are_recorded_once(store: Store) -> None:
    task = "task/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS/1"
    with store.write() as tx:
        made = tx.repo(ServiceLinkedRoleDeletions).record(
            ACCOUNT, task, "AWSServiceRoleForECS", "SUCCEEDED"
        )
    with pytest.raises(ConflictError), store.write() as tx:
        tx.repo(ServiceLinkedRoleDeletions).record(ACCOUNT, task, "x", "FAILED")
    with store.read() as tx:
        found = tx.repo(ServiceLinkedRoleDeletions).get(task)
        assert tx.repo(ServiceLinkedRoleDeletions).get(task + "2") is None
    assert found == made and found.status == "SUCCEEDED" and found.reason is None
