"""Verifying web identity tokens: parsing, JWKS caching, signatures, time claims, audience.

Messages and rules are AWS's where AWS documents or shows them:
- RS/ES algorithms only, integer timestamps:
  https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html
- "Token expired: current date/time ... must be before the expiration date/time ...":
  https://github.com/aws/aws-sdk-java-v2/issues/5709
- "Couldn't retrieve verification key from your identity provider,  please reference ...":
  https://github.com/aws/aws-cli/issues/7194
- "Incorrect token audience": https://github.com/awslabs/amazon-eks-irsa-cfn/pull/18
- azp before aud: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey, RSAKey

from iamd.errors import ExpiredTokenException, InvalidIdentityToken
from iamd.services.sts import oidc_verify
from iamd.services.sts.oidc_verify import (
    FetchError,
    Issuer,
    JwksCache,
    check_audience,
    check_times,
    http_allowed,
    import_keys,
    issuer_of,
    parse_token,
    verify_signature,
)

RSA = RSAKey.generate_key(2048, parameters={"kid": "r1"})
EC = ECKey.generate_key("P-256", parameters={"kid": "e1"})
OTHER = RSAKey.generate_key(2048, parameters={"kid": "r1"})


def token(key: Any, alg: str, **claims: Any) -> str:
    now = int(time.time())
    payload = {"iss": "https://issuer.test", "sub": "s", "aud": "a", "exp": now + 60, **claims}
    return jwt.encode({"alg": alg, "kid": key.kid}, payload, key, algorithms=[alg])


def test_parse_splits_a_compact_jws() -> None:
    parsed = parse_token(token(RSA, "RS256"))
    assert parsed.kid == "r1" and parsed.issuer == "https://issuer.test"
    assert parsed.claims["sub"] == "s"


@pytest.mark.parametrize(
    "raw",
    ["", "abc", "a.b", "a.b.c.d.e", "!!.??.xx", "e30.e30.", "W10.e30.c2ln"],
)
def test_malformed_tokens_are_invalid(raw: str) -> None:
    with pytest.raises(InvalidIdentityToken):
        parse_token(raw)


@pytest.mark.parametrize("alg", ["HS256", "none", "PS256", "EdDSA"])
def test_only_rsa_and_ecdsa_algorithms(alg: str) -> None:
    header = json.dumps({"alg": alg, "kid": "r1"}).encode()
    forged = base64.urlsafe_b64encode(header).rstrip(b"=").decode()
    _, payload, signature = token(RSA, "RS256").split(".")
    with pytest.raises(InvalidIdentityToken, match="RS256, RS384"):
        parse_token(f"{forged}.{payload}.{signature}")


def test_issuer_names_drop_the_scheme() -> None:
    assert issuer_of("https://token.actions.githubusercontent.com") == Issuer(
        "https://token.actions.githubusercontent.com", "token.actions.githubusercontent.com", True
    )
    assert issuer_of("accounts.google.com").secure
    local = issuer_of("http://127.0.0.1:9000/realm")
    assert (local.name, local.secure) == ("127.0.0.1:9000/realm", False)
    assert local.discovery_url == "http://127.0.0.1:9000/realm/.well-known/openid-configuration"


def test_http_issuers_need_the_allow_list() -> None:
    local = issuer_of("http://127.0.0.1:9000")
    assert not http_allowed(local, {})
    assert not http_allowed(local, {"IAMD_OIDC_ALLOW_HTTP": "127.0.0.1:9001"})
    assert http_allowed(local, {"IAMD_OIDC_ALLOW_HTTP": "x.test, 127.0.0.1:9000"})
    assert http_allowed(local, {"IAMD_OIDC_ALLOW_HTTP": "*"})


@pytest.mark.parametrize(("key", "alg"), [(RSA, "RS256"), (RSA, "RS512"), (EC, "ES256")])
def test_signatures_verify_with_the_issuer_key(key: Any, alg: str) -> None:
    parsed = parse_token(token(key, alg))
    public = type(key).import_key(key.as_dict(private=False))
    verify_signature(parsed, [public])


def test_a_foreign_key_with_the_same_kid_does_not_verify() -> None:
    parsed = parse_token(token(OTHER, "RS256"))
    with pytest.raises(InvalidIdentityToken, match="signature"):
        verify_signature(parsed, [RSAKey.import_key(RSA.as_dict(private=False))])


def test_an_ec_key_cannot_verify_an_rs256_token() -> None:
    parsed = parse_token(token(RSA, "RS256"))
    with pytest.raises(InvalidIdentityToken):
        verify_signature(parsed, [EC])


def test_expired_token_message_is_awss() -> None:
    now = 1_700_000_000
    with pytest.raises(ExpiredTokenException) as info:
        check_times({"exp": now - 3600}, now)
    assert info.value.message == (
        f"Token expired: current date/time {now} must be before the expiration date/time "
        f"{now - 3600}"
    )
    assert info.value.status == 400


def test_time_claims_allow_a_small_skew() -> None:
    now = 1_700_000_000
    check_times({"exp": now - 30, "nbf": now + 30, "iat": now + 30}, now)
    with pytest.raises(InvalidIdentityToken, match="nbf"):
        check_times({"exp": now + 600, "nbf": now + 600}, now)
    with pytest.raises(InvalidIdentityToken, match="iat"):
        check_times({"exp": now + 600, "iat": now + 600}, now)


@pytest.mark.parametrize("claims", [{}, {"exp": "soon"}, {"exp": 1.5e9}, {"exp": True}])
def test_exp_is_a_required_integer(claims: dict[str, Any]) -> None:
    with pytest.raises(InvalidIdentityToken):
        check_times(claims, time.time())


def test_audience_matches_a_client_id() -> None:
    assert check_audience({"aud": "sts.amazonaws.com"}, ["sts.amazonaws.com"]) == (
        "sts.amazonaws.com"
    )
    assert check_audience({"aud": ["x", "b"]}, ["a", "b"]) == "b"
    assert check_audience({"aud": "account", "azp": "web"}, ["web"]) == "web"
    with pytest.raises(InvalidIdentityToken) as info:
        check_audience({"aud": "other"}, ["sts.amazonaws.com"])
    assert info.value.message == "Incorrect token audience"
    with pytest.raises(InvalidIdentityToken):
        check_audience({}, ["sts.amazonaws.com"])


def test_jwks_import_keeps_only_signature_keys() -> None:
    document = {
        "keys": [
            RSA.as_dict(private=False),
            {**EC.as_dict(private=False), "use": "sig"},
            {**RSAKey.generate_key(2048).as_dict(private=False), "kid": "enc", "use": "enc"},
            {**OctKey.generate_key(256).as_dict(), "kid": "hmac"},
            {"kty": "RSA", "kid": "broken", "n": "@@", "e": "AQAB"},
            "junk",
        ]
    }
    keys = import_keys(document)
    assert set(keys) == {"r1", "e1"}
    with pytest.raises(FetchError):
        import_keys({"keys": "nope"})


class FakeIssuer:
    """Serves discovery and a JWKS from memory, counting fetches."""

    def __init__(self) -> None:
        self.keys: list[dict[str, Any]] = [RSA.as_dict(private=False)]
        self.fetches: list[str] = []
        self.down = False
        self.jwks_uri = "https://issuer.test/keys"

    def __call__(self, url: str) -> Any:
        self.fetches.append(url)
        if self.down:
            raise FetchError("down")
        if url.endswith("/.well-known/openid-configuration"):
            return {"issuer": "https://issuer.test", "jwks_uri": self.jwks_uri}
        return {"keys": self.keys}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


ISSUER = issuer_of("https://issuer.test")


def test_jwks_is_cached_until_its_ttl() -> None:
    fake, clock = FakeIssuer(), Clock()
    cache = JwksCache(ttl=100, refresh_floor=5, fetch=fake, clock=clock)
    assert len(cache.keys(ISSUER, "r1")) == 1
    assert len(cache.keys(ISSUER, "r1")) == 1
    assert fake.fetches == [
        "https://issuer.test/.well-known/openid-configuration",
        "https://issuer.test/keys",
    ]
    clock.now += 101
    cache.keys(ISSUER, "r1")
    assert len(fake.fetches) == 4


def test_an_unknown_kid_refreshes_once_then_at_most_every_floor() -> None:
    fake, clock = FakeIssuer(), Clock()
    cache = JwksCache(ttl=3600, refresh_floor=5, fetch=fake, clock=clock)
    cache.keys(ISSUER, "r1")
    clock.now += 10
    fake.keys.append(EC.as_dict(private=False))  # the issuer rotates in a new key
    assert len(cache.keys(ISSUER, "e1")) == 1
    assert len(fake.fetches) == 4
    # Forged kids do not turn every call into a fetch.
    assert cache.keys(ISSUER, "forged") == []
    assert cache.keys(ISSUER, "forged") == []
    assert len(fake.fetches) == 4
    clock.now += 6
    assert cache.keys(ISSUER, "forged") == []
    assert len(fake.fetches) == 6


def test_a_stale_set_survives_an_outage_but_nothing_does_without_one() -> None:
    fake, clock = FakeIssuer(), Clock()
    cache = JwksCache(ttl=100, fetch=fake, clock=clock)
    cache.keys(ISSUER, "r1")
    fake.down = True
    clock.now += 500
    assert len(cache.keys(ISSUER, "r1")) == 1
    with pytest.raises(FetchError):
        JwksCache(fetch=fake, clock=clock).keys(ISSUER, "r1")


def test_an_https_issuer_must_publish_keys_over_https() -> None:
    fake = FakeIssuer()
    fake.jwks_uri = "http://issuer.test/keys"
    with pytest.raises(FetchError, match="https"):
        JwksCache(fetch=fake).keys(ISSUER, "r1")


def test_fetch_json_reports_unreachable_issuers() -> None:
    with pytest.raises(FetchError):
        oidc_verify.fetch_json("http://127.0.0.1:1/.well-known/openid-configuration", 1.0)
