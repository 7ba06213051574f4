"""The built-in OIDC issuer: its URL, discovery and JWKS documents, minted tokens, the CLI.

Discovery and JWKS follow OpenID Connect Discovery 1.0 and RFC 7517:
https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderMetadata
A token it mints must satisfy what AWS requires of web identity tokens (RS256, integer times):
https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import stat
import time
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any

import pytest
from joserfc.jwk import RSAKey
from sqlalchemy import select

from iamd.cli import oidc_cmd
from iamd.errors import ExpiredTokenException
from iamd.server import oidc_issuer
from iamd.server.config import Settings
from iamd.services.sts import oidc_verify
from iamd.store import Store
from iamd.store.schema import server_keys
from iamd.store.seal import load_master_key


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(None, tmp_path, load_master_key(tmp_path, {}))
    yield opened
    opened.close()


def main(argv: list[str]) -> int:
    """``iamd`` with the oidc command group (main.py registers it the same way)."""
    parser = argparse.ArgumentParser(prog="iamd")
    commands = parser.add_subparsers(dest="command", required=True)
    oidc_cmd.register(commands)
    args = parser.parse_args(argv)
    code: int = args.handler(args)
    return code


def scope(path: str, method: str = "GET", host: str | None = None) -> dict[str, Any]:
    headers = [(b"host", host.encode())] if host else []
    return {"type": "http", "method": method, "path": path, "headers": headers}


def test_issuer_url() -> None:
    assert oidc_issuer.issuer_url(env={}) == "http://127.0.0.1:8090"
    settings = Settings(host="127.0.0.1", port=9001)
    assert oidc_issuer.issuer_url(settings, env={}) == "http://127.0.0.1:9001"
    wildcard = Settings(host="0.0.0.0", port=9001)
    assert oidc_issuer.issuer_url(wildcard, "iamd.internal:9001", env={}) == (
        "http://iamd.internal:9001"
    )
    assert oidc_issuer.issuer_url(Settings(host="::1", port=80), env={}) == "http://[::1]:80"
    env = {"IAMD_OIDC_ISSUER": "https://iamd.example.test/"}
    assert oidc_issuer.issuer_url(settings, env=env) == "https://iamd.example.test"


def test_discovery_document() -> None:
    document = oidc_issuer.discovery("http://127.0.0.1:9001")
    assert document["issuer"] == "http://127.0.0.1:9001"
    assert document["jwks_uri"] == "http://127.0.0.1:9001/.well-known/jwks.json"
    assert "RS256" in document["id_token_signing_alg_values_supported"]


def test_well_known_routes(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IAMD_OIDC_ISSUER", raising=False)
    settings = Settings(port=9001)
    status, headers, body = oidc_issuer.well_known(
        store, settings, scope("/.well-known/openid-configuration")
    )
    assert status == 200 and (b"content-type", b"application/json") in headers
    assert json.loads(body)["issuer"] == "http://127.0.0.1:9001"
    status, _, body = oidc_issuer.well_known(store, settings, scope("/.well-known/jwks.json"))
    keys = json.loads(body)["keys"]
    assert status == 200 and len(keys) == 1
    assert keys[0]["kty"] == "RSA" and keys[0]["alg"] == "RS256" and keys[0]["use"] == "sig"
    assert "d" not in keys[0], "the JWKS must never publish the private exponent"
    assert keys[0]["kid"].startswith("oidc-signing-")
    assert oidc_issuer.well_known(store, settings, scope("/.well-known/other"))[0] == 404
    post = scope("/.well-known/jwks.json", method="POST")
    assert oidc_issuer.well_known(store, settings, post)[0] == 405


def test_serve_speaks_asgi(store: Store) -> None:
    sent: list[MutableMapping[str, Any]] = []

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    asyncio.run(oidc_issuer.serve(store, Settings(), scope("/.well-known/jwks.json"), send))
    assert sent[0]["status"] == 200
    assert json.loads(sent[1]["body"])["keys"]


def test_minted_tokens_verify_with_the_published_keys(store: Store) -> None:
    token = oidc_issuer.mint(
        store, "http://127.0.0.1:9001", "system:serviceaccount:ns:sa", "sts.amazonaws.com"
    )
    parsed = oidc_verify.parse_token(token)
    assert parsed.header["alg"] == "RS256"
    claims = parsed.claims
    assert claims["iss"] == "http://127.0.0.1:9001"
    assert claims["sub"] == "system:serviceaccount:ns:sa"
    assert isinstance(claims["exp"], int) and claims["exp"] - claims["iat"] == 3600
    published = oidc_issuer.jwks(store)["keys"]
    oidc_verify.verify_signature(parsed, [RSAKey.import_key(k) for k in published])
    oidc_verify.check_times(claims, time.time())


def test_mint_claims_and_expiry(store: Store) -> None:
    token = oidc_issuer.mint(
        store, "http://i", "s", ["a", "b"], {"repository": "org/app", "exp": 5}, expires_in=60
    )
    claims = oidc_verify.parse_token(token).claims
    assert claims["aud"] == ["a", "b"] and claims["repository"] == "org/app"
    assert claims["exp"] == 5
    expired = oidc_issuer.mint(store, "http://i", "s", "a", expires_in=-600)
    with pytest.raises(ExpiredTokenException):
        oidc_verify.check_times(oidc_verify.parse_token(expired).claims, time.time())
    with pytest.raises(ValueError, match="iss"):
        oidc_issuer.mint(store, "http://i", "s", "a", {"iss": "https://elsewhere"})


def test_the_signing_key_is_shared_and_sealed_at_rest(store: Store, tmp_path: Path) -> None:
    first = oidc_verify.LocalKeys(store).signing_key()
    second = oidc_verify.LocalKeys(store).signing_key()
    assert first.kid == second.kid
    with store.engine.connect() as conn:
        rows = conn.execute(select(server_keys.c.key_sealed)).scalars().all()
    assert rows and all(b"PRIVATE KEY" not in bytes(row) for row in rows)


def test_cli_mints_a_token_file(store: Store, tmp_path: Path) -> None:
    kid = oidc_verify.LocalKeys(store).signing_key().kid
    out = tmp_path / "token"
    code = main(
        [
            "oidc",
            "token",
            "--sub",
            "repo:org/app:ref:refs/heads/main",
            "--aud",
            "sts.amazonaws.com",
            "--claim",
            'https://aws.amazon.com/tags={"principal_tags": {"team": ["ci"]}}',
            "--claim",
            "environment=prod",
            "--issuer",
            "http://127.0.0.1:9001/",
            "--data-dir",
            str(tmp_path),
            "--out",
            str(out),
        ]
    )
    assert code == 0
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    parsed = oidc_verify.parse_token(out.read_text())
    assert parsed.kid == kid
    assert parsed.claims["iss"] == "http://127.0.0.1:9001"
    assert parsed.claims["https://aws.amazon.com/tags"] == {"principal_tags": {"team": ["ci"]}}
    assert parsed.claims["environment"] == "prod"


def test_cli_refuses_a_missing_data_dir_and_bad_claims(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = ["oidc", "token", "--sub", "s", "--aud", "a", "--data-dir", str(tmp_path / "no")]
    assert main(missing) == 2
    assert "no iamd data directory" in capsys.readouterr().err
    bad = ["oidc", "token", "--sub", "s", "--aud", "a", "--claim", "novalue"]
    assert main([*bad, "--data-dir", str(tmp_path)]) == 2
    iss = ["oidc", "token", "--sub", "s", "--aud", "a", "--claim", "iss=x"]
    assert main([*iss, "--data-dir", str(tmp_path)]) == 2
