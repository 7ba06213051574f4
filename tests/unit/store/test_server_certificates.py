"""Server certificates: names unique per account, paths filtered literally, keys sealed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from iamd.store import ConflictError, Store
from iamd.store.repos.server_certificates import ServerCertificates
from iamd.store.schema import server_certificates
from iamd.store.seal import SealError

ACCOUNT = "111122223333"
KEY = "-----BEGIN PRIVATE KEY-----\nsecret\n-----END PRIVATE KEY-----\n"


def _upload(store: Store, name: str, path: str = "/") -> str:
    with store.write() as tx:
        cert = tx.repo(ServerCertificates).create(
            ACCOUNT, name, path, "BODY", None, KEY, datetime(2030, 1, 1, tzinfo=UTC)
        )
    return cert.id


def test_names_are_unique_case_insensitively(store: Store) -> None:
    cert_id = _upload(store, "Web", "/prod/")
    assert cert_id.startswith("ASCA") and len(cert_id) == 21
    with pytest.raises(ConflictError, match="The Server Certificate with name web already"):
        _upload(store, "web")
    with store.read() as tx:
        found = tx.repo(ServerCertificates).get(ACCOUNT, "WEB")
    assert found is not None
    assert found.arn == f"arn:aws:iam::{ACCOUNT}:server-certificate/prod/Web"
    assert found.expiration == datetime(2030, 1, 1, tzinfo=UTC)


def test_private_key_is_sealed_to_its_row(store: Store) -> None:
    first = _upload(store, "one")
    second = _upload(store, "two")
    with store.read() as tx:
        assert tx.repo(ServerCertificates).private_key(first) == KEY
        sealed = tx.conn.execute(
            select(server_certificates.c.private_key_sealed).where(
                server_certificates.c.id == first
            )
        ).scalar_one()
        assert b"secret" not in sealed
        with pytest.raises(SealError):
            tx.repo(ServerCertificates).sealer.open(sealed, second)


def test_path_prefix_is_literal(store: Store) -> None:
    _upload(store, "a", "/a_b/")
    _upload(store, "b", "/axb/")
    with store.read() as tx:
        names = [c.name for c in tx.repo(ServerCertificates).all(ACCOUNT, "/a_")]
        everything = [c.name for c in tx.repo(ServerCertificates).all(ACCOUNT)]
    assert names == ["a"]
    assert everything == ["a", "b"]


def test_rename_moves_the_arn_and_keeps_the_key(store: Store) -> None:
    cert_id = _upload(store, "old")
    _upload(store, "taken")
    with store.write() as tx:
        repo = tx.repo(ServerCertificates)
        cert = repo.get_by_id(cert_id)
        assert cert is not None
        with pytest.raises(ConflictError):
            repo.rename(cert, "TAKEN", None)
        renamed = repo.rename(cert, "new", "/edge/")
    assert renamed.arn == f"arn:aws:iam::{ACCOUNT}:server-certificate/edge/new"
    with store.read() as tx:
        assert tx.repo(ServerCertificates).get(ACCOUNT, "old") is None
        assert tx.repo(ServerCertificates).private_key(cert_id) == KEY
    with store.write() as tx:
        tx.repo(ServerCertificates).delete(cert_id)
    with store.read() as tx:
        assert tx.repo(ServerCertificates).count(ACCOUNT) == 1
        assert tx.repo(ServerCertificates).private_key(cert_id) is None
