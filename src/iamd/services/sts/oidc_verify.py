"""Verifying OpenID Connect ID tokens for AssumeRoleWithWebIdentity.

AWS verifies a web identity token with the keys its issuer publishes: it reads
``<iss>/.well-known/openid-configuration``, follows ``jwks_uri``, and checks the signature (RSA or
ECDSA only), the time claims and the audience.  This module does the same with the standard
library for HTTP and ``joserfc`` for JOSE, and keeps:

- a JWKS cache per issuer with a TTL, refreshed at once (at most every few seconds) when a
  token names a key id the cached set lacks, so an issuer's key rotation is picked up without
  letting forged key ids turn every request into a fetch;
- the built-in issuer's own signing keys (``server_keys`` rows of purpose ``oidc-signing``,
  PEM private keys sealed under the master key).  A token whose ``kid`` names one of them is
  verified with that key directly: iamd never fetches its own JWKS over HTTP, which would block
  the event loop that is meant to answer that very fetch.

AWS requires ``https`` issuers.  iamd fetches an ``http`` issuer's keys only when
``IAMD_OIDC_ALLOW_HTTP`` names it (``host[:port][/path]``, comma-separated, or ``*``): that is
how tests and CI point iamd at a local issuer.  Tokens signed by iamd's own issuer need no
fetch, so their ``http`` issuer needs no allow-list entry.

https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc.html
https://openid.net/specs/openid-connect-discovery-1_0.html
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import ssl
import threading
import time
import urllib.error
import urllib.request
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey

from iamd.errors import ExpiredTokenException, InvalidIdentityToken
from iamd.store import Store
from iamd.store.repos.server_keys import ServerKeys

ALGORITHMS = ("RS256", "RS384", "RS512", "ES256", "ES384", "ES512")
"""What AWS accepts: "Tokens must be signed using either RSA keys (RS256, RS384, or RS512) or
ECDSA keys (ES256, ES384, or ES512)" (API_AssumeRoleWithWebIdentity)."""
LEEWAY_SECONDS = 60
"""Clock skew tolerated on ``exp``, ``nbf`` and ``iat``."""
FETCH_TIMEOUT = 5.0
"""AWS gives an issuer five seconds to answer (AWS re:Post, iam-oidc-idp-federation)."""
MAX_DOCUMENT = 512 * 1024
JWKS_TTL = 3600.0
REFRESH_FLOOR = 5.0
"""At most one refetch per issuer in this many seconds for an unknown ``kid``."""
ALLOW_HTTP_ENV = "IAMD_OIDC_ALLOW_HTTP"
LOCAL_PURPOSE = "oidc-signing"
LOCAL_TTL = 60.0

NO_KEY = (
    "Couldn't retrieve verification key from your identity provider,  please reference "
    "AssumeRoleWithWebIdentity documentation for requirements"
)
"""AWS's message, double space included, when the issuer's discovery document or JWKS cannot
be fetched (aws/aws-cli#7194, aws/aws-sdk-js-v3#3052)."""
BAD_AUDIENCE = "Incorrect token audience"
"""AWS's message (awslabs/amazon-eks-irsa-cfn#18, aws-actions/configure-aws-credentials#775)."""
BAD_SIGNATURE = "The web identity token's signature could not be verified."
MALFORMED = "The web identity token is not a well-formed JWT."

Key = RSAKey | ECKey


@dataclass(frozen=True)
class UnverifiedToken:
    """A JWT split into its parts; nothing in it is trusted until :func:`verify_signature`."""

    raw: str
    header: dict[str, Any]
    claims: dict[str, Any]

    @property
    def issuer(self) -> str:
        iss = self.claims.get("iss")
        if not isinstance(iss, str) or not iss:
            raise InvalidIdentityToken("The web identity token has no issuer (iss).")
        return iss

    @property
    def kid(self) -> str | None:
        kid = self.header.get("kid")
        return kid if isinstance(kid, str) else None


def _b64_json(part: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidIdentityToken(MALFORMED) from None
    if not isinstance(value, dict):
        raise InvalidIdentityToken(MALFORMED)
    return value


def parse_token(token: str) -> UnverifiedToken:
    """Split a compact JWS; a JWE (five parts) or anything else is not a token AWS accepts."""
    parts = token.strip().split(".")
    if len(parts) != 3 or not all(parts):
        raise InvalidIdentityToken(MALFORMED)
    header = _b64_json(parts[0])
    claims = _b64_json(parts[1])
    if header.get("alg") not in ALGORITHMS:
        raise InvalidIdentityToken(
            "The web identity token must be signed with RS256, RS384, RS512, ES256, ES384 or ES512."
        )
    return UnverifiedToken(token.strip(), header, claims)


@dataclass(frozen=True)
class Issuer:
    """An ``iss`` claim: the provider name AWS keys it by and where its keys are published."""

    iss: str
    name: str
    """The issuer without ``https://`` (or ``http://``): an OIDC provider's ``Url``."""
    secure: bool

    @property
    def base_url(self) -> str:
        return f"{'https' if self.secure else 'http'}://{self.name}".rstrip("/")

    @property
    def discovery_url(self) -> str:
        return f"{self.base_url}/.well-known/openid-configuration"


def issuer_of(iss: str) -> Issuer:
    """AWS names a provider by its issuer URL without the scheme; an ``iss`` without one
    (``accounts.google.com``) is an https issuer."""
    lowered = iss.lower()
    if lowered.startswith("https://"):
        return Issuer(iss, iss[len("https://") :], True)
    if lowered.startswith("http://"):
        return Issuer(iss, iss[len("http://") :], False)
    return Issuer(iss, iss, True)


def http_allowed(issuer: Issuer, env: Mapping[str, str] | None = None) -> bool:
    """Whether iamd may fetch this ``http`` issuer's keys (``IAMD_OIDC_ALLOW_HTTP``)."""
    value = (os.environ if env is None else env).get(ALLOW_HTTP_ENV, "")
    allowed = {item.strip().rstrip("/") for item in value.split(",") if item.strip()}
    return "*" in allowed or issuer.name.rstrip("/") in allowed


# Fetching ------------------------------------------------------------------------------


class FetchError(Exception):
    """The issuer's discovery document or JWKS could not be had."""


class _NoDowngrade(urllib.request.HTTPRedirectHandler):
    """Follow redirects only within the scheme the fetch started with (never https -> http)."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        if req.full_url.startswith("https:") and not newurl.startswith("https:"):
            raise FetchError(f"redirect from https to {newurl!r} refused")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(
    _NoDowngrade(), urllib.request.HTTPSHandler(context=ssl.create_default_context())
)


def fetch_json(url: str, timeout: float = FETCH_TIMEOUT) -> Any:
    """GET a JSON document with a short timeout and a size cap."""
    request = urllib.request.Request(
        url, headers={"Accept": "application/json", "User-Agent": "iamd-oidc"}
    )
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            body = response.read(MAX_DOCUMENT + 1)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise FetchError(f"{url}: {exc}") from None
    if len(body) > MAX_DOCUMENT:
        raise FetchError(f"{url}: document larger than {MAX_DOCUMENT} bytes")
    try:
        return json.loads(body)
    except ValueError:
        raise FetchError(f"{url}: not JSON") from None


def import_keys(document: Any) -> dict[str | None, list[Key]]:
    """The signature keys of a JWKS by ``kid``; symmetric, encryption and unreadable keys are
    dropped, so a published ``oct`` key can never verify anything."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise FetchError("not a JWK Set")
    keys: dict[str | None, list[Key]] = {}
    for entry in document["keys"]:
        if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
            continue
        try:
            if entry.get("kty") == "RSA":
                key: Key = RSAKey.import_key(entry)
            elif entry.get("kty") == "EC":
                key = ECKey.import_key(entry)
            else:
                continue
        except (JoseError, ValueError, TypeError):
            continue
        kid = entry.get("kid")
        keys.setdefault(kid if isinstance(kid, str) else None, []).append(key)
    return keys


@dataclass
class _Entry:
    keys: dict[str | None, list[Key]]
    fetched_at: float


@dataclass
class JwksCache:
    """Issuers' signing keys, fetched through OIDC discovery and kept for ``ttl`` seconds."""

    ttl: float = JWKS_TTL
    refresh_floor: float = REFRESH_FLOOR
    fetch: Callable[[str], Any] = fetch_json
    clock: Callable[[], float] = time.monotonic
    _entries: dict[str, _Entry] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def _load(self, issuer: Issuer) -> _Entry:
        discovery = self.fetch(issuer.discovery_url)
        if not isinstance(discovery, dict) or not isinstance(discovery.get("jwks_uri"), str):
            raise FetchError(f"{issuer.discovery_url}: no jwks_uri")
        jwks_uri: str = discovery["jwks_uri"]
        if issuer.secure and not jwks_uri.startswith("https://"):
            raise FetchError(f"{jwks_uri}: an https issuer must publish its keys over https")
        if not jwks_uri.startswith(("https://", "http://")):
            raise FetchError(f"{jwks_uri}: not an http(s) URL")
        entry = _Entry(import_keys(self.fetch(jwks_uri)), self.clock())
        with self._lock:
            self._entries[issuer.base_url] = entry
        return entry

    def keys(self, issuer: Issuer, kid: str | None) -> list[Key]:
        """Candidate keys for a token from ``issuer`` naming ``kid``; raises FetchError."""
        with self._lock:
            entry = self._entries.get(issuer.base_url)
        now = self.clock()
        if entry is None or now - entry.fetched_at >= self.ttl:
            try:
                entry = self._load(issuer)
            except FetchError:
                if entry is None:
                    raise
                # A stale set still verifies tokens while the issuer is briefly unreachable.
        found = _candidates(entry.keys, kid)
        if not found and kid is not None and now - entry.fetched_at >= self.refresh_floor:
            entry = self._load(issuer)
            found = _candidates(entry.keys, kid)
        return found

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _candidates(keys: dict[str | None, list[Key]], kid: str | None) -> list[Key]:
    if kid is not None:
        return list(keys.get(kid, []))
    return [key for group in keys.values() for key in group]


JWKS = JwksCache()
"""The process-wide cache every AssumeRoleWithWebIdentity call uses."""


# The built-in issuer's keys --------------------------------------------------------------


@dataclass(frozen=True)
class LocalKey:
    kid: str
    private: RSAKey
    created: float

    def public_jwk(self) -> dict[str, Any]:
        jwk = dict(self.private.as_dict(private=False))
        jwk.update({"kid": self.kid, "use": "sig", "alg": "RS256"})
        return jwk


class LocalKeys:
    """The built-in issuer's RSA keys, read from the store and cached for a minute."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._keys: dict[str, LocalKey] = {}
        self._loaded_at = -LOCAL_TTL
        self._lock = threading.Lock()

    def _load(self) -> None:
        with self.store.read() as tx:
            rows = tx.repo(ServerKeys).all(LOCAL_PURPOSE)
        keys = {
            row.key_id: LocalKey(
                row.key_id,
                RSAKey.import_key(row.key.decode("ascii"), parameters={"kid": row.key_id}),
                row.create_date.timestamp(),
            )
            for row in rows
            if row.retired_date is None
        }
        with self._lock:
            self._keys = keys
            self._loaded_at = time.monotonic()

    def all(self) -> list[LocalKey]:
        if time.monotonic() - self._loaded_at > LOCAL_TTL:
            self._load()
        return sorted(self._keys.values(), key=lambda k: k.created)

    def get(self, kid: str) -> LocalKey | None:
        """The key named ``kid``, reloading (at most once a second) if another process made it."""
        found = self._keys.get(kid)
        if found is None and time.monotonic() - self._loaded_at > 1.0:
            self._load()
            found = self._keys.get(kid)
        return found

    def signing_key(self) -> LocalKey:
        """The newest key, created (RSA 2048, stored sealed) on first use."""
        keys = self.all()
        if keys:
            return keys[-1]
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        with self.store.write() as tx:
            created = tx.repo(ServerKeys).create(LOCAL_PURPOSE, pem)
            tx.changes.record("server-key", created.key_id)
        self._load()
        return self.all()[-1]


_local: weakref.WeakKeyDictionary[Store, LocalKeys] = weakref.WeakKeyDictionary()
_local_lock = threading.Lock()


def local_keys(store: Store) -> LocalKeys:
    """The built-in issuer's keys in ``store`` (one cache per store)."""
    with _local_lock:
        found = _local.get(store)
        if found is None:
            found = _local[store] = LocalKeys(store)
        return found


# Verification ----------------------------------------------------------------------------


def verify_signature(token: UnverifiedToken, keys: list[Key]) -> None:
    """Accept the token if one of ``keys`` verifies it with the algorithm its header names."""
    alg = token.header["alg"]
    family = RSAKey if alg.startswith("RS") else ECKey
    for key in keys:
        if not isinstance(key, family):
            continue
        try:
            jws.deserialize_compact(token.raw, key, algorithms=[alg])
        except (JoseError, ValueError, TypeError):
            continue
        return
    raise InvalidIdentityToken(BAD_SIGNATURE)


def _numeric_date(claims: dict[str, Any], name: str, required: bool) -> int | None:
    value = claims.get(name)
    if value is None:
        if required:
            raise InvalidIdentityToken(f"The web identity token has no {name} claim.")
        return None
    # "Timestamps in the token must be formatted as either an integer or a long integer."
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidIdentityToken(
            f"The {name} claim of the web identity token must be an integer."
        )
    return value


def check_times(claims: dict[str, Any], now: float, leeway: int = LEEWAY_SECONDS) -> None:
    """``exp`` is required and must not have passed; ``nbf`` and ``iat`` must not lie ahead.

    The expiry message is AWS's (aws/aws-sdk-java-v2#5709): both times in epoch seconds.
    """
    exp = _numeric_date(claims, "exp", True)
    assert exp is not None
    current = int(now)
    if current >= exp + leeway:
        raise ExpiredTokenException(
            f"Token expired: current date/time {current} must be before the expiration "
            f"date/time {exp}"
        )
    nbf = _numeric_date(claims, "nbf", False)
    if nbf is not None and nbf > current + leeway:
        raise InvalidIdentityToken("The web identity token is not valid yet (nbf).")
    iat = _numeric_date(claims, "iat", False)
    if iat is not None and iat > current + leeway:
        raise InvalidIdentityToken("The web identity token was issued in the future (iat).")


def audiences(claims: dict[str, Any]) -> list[str]:
    aud = claims.get("aud")
    if isinstance(aud, str):
        return [aud]
    if isinstance(aud, list):
        return [a for a in aud if isinstance(a, str)]
    return []


def check_audience(claims: dict[str, Any], client_ids: list[str]) -> str:
    """The client id the token is for, or AWS's "Incorrect token audience".

    The authorized party (``azp``, set by Google for hybrid apps and by Keycloak) is tried
    first, as AWS matches it for ``accounts.google.com:aud`` when it is set
    (reference_policies_iam-condition-keys, "aud"); then each ``aud`` value.
    """
    azp = claims.get("azp")
    if isinstance(azp, str) and azp in client_ids:
        return azp
    for aud in audiences(claims):
        if aud in client_ids:
            return aud
    raise InvalidIdentityToken(BAD_AUDIENCE)
