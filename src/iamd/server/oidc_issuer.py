"""The built-in OpenID Connect issuer, for development and CI.

CI systems (GitHub Actions, GitLab, Kubernetes) hand their jobs an OIDC token to trade for AWS
credentials.  To test that flow offline, iamd is an issuer itself: it serves
``/.well-known/openid-configuration`` and ``/.well-known/jwks.json`` and mints RS256 tokens
(``iamd oidc token``) with a key kept sealed in the ``server_keys`` table, so every process of
one deployment signs and verifies with the same keys.

The issuer URL is ``IAMD_OIDC_ISSUER`` when set, else ``http://<host>:<port>`` of the server
(the request's ``Host`` when the server listens on every address; ``https://`` when it serves
TLS).  Register it in IAM with the
``https://`` URL AWS demands (``CreateOpenIDConnectProvider`` takes only https); the ``iss`` of
a token is matched without its scheme, and tokens this issuer signs are verified with its keys
directly, so its ``http`` URL is never fetched by iamd itself.

https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderMetadata
https://datatracker.ietf.org/doc/html/rfc7517
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, MutableMapping, Sequence
from typing import Any

from joserfc import jwt

from iamd.server.config import Settings
from iamd.services.sts.oidc_verify import local_keys
from iamd.store import Store

ISSUER_ENV = "IAMD_OIDC_ISSUER"
DEFAULT_ISSUER = "http://127.0.0.1:8090"
DISCOVERY_PATH = "/.well-known/openid-configuration"
JWKS_PATH = "/.well-known/jwks.json"
RESERVED = frozenset({"iss"})
"""Claims ``--claim`` may not set: the issuer is chosen with ``--issuer`` only."""
_JSON = (b"content-type", b"application/json")
_CACHE = (b"cache-control", b"public, max-age=300")


def issuer_url(
    settings: Settings | None = None,
    host_header: str | None = None,
    env: Mapping[str, str] | None = None,
) -> str:
    """The issuer this server is: ``IAMD_OIDC_ISSUER``, else its own base URL."""
    configured = (os.environ if env is None else env).get(ISSUER_ENV, "").strip()
    if configured:
        return configured.rstrip("/")
    if settings is None:
        return DEFAULT_ISSUER
    host = settings.host
    if host in ("0.0.0.0", "::", "") and host_header:
        return f"{settings.scheme}://{host_header}"
    if ":" in host:
        host = f"[{host}]"
    return f"{settings.scheme}://{host}:{settings.port}"


def discovery(issuer: str) -> dict[str, Any]:
    return {
        "issuer": issuer,
        "jwks_uri": f"{issuer}{JWKS_PATH}",
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "nbf", "jti"],
    }


def jwks(store: Store) -> dict[str, Any]:
    """The public keys; the first request creates the signing key if no token has yet."""
    keys = local_keys(store)
    keys.signing_key()
    return {"keys": [key.public_jwk() for key in keys.all()]}


def mint(
    store: Store,
    issuer: str,
    subject: str,
    audience: str | Sequence[str],
    claims: Mapping[str, Any] | None = None,
    expires_in: int = 3600,
    now: float | None = None,
) -> str:
    """An RS256 ID token from this issuer.  ``claims`` add to (or override) the registered
    claims, except ``iss``; a negative ``expires_in`` mints an already expired token."""
    extra = dict(claims or {})
    reserved = RESERVED & set(extra)
    if reserved:
        raise ValueError(f"claim {sorted(reserved)[0]!r} cannot be set; choose the issuer instead")
    issued = int(time.time() if now is None else now)
    aud: str | list[str] = audience if isinstance(audience, str) else list(audience)
    payload: dict[str, Any] = {
        "iss": issuer,
        "sub": subject,
        "aud": aud,
        "iat": issued,
        "nbf": issued,
        "exp": issued + int(expires_in),
        "jti": uuid.uuid4().hex,
    }
    payload.update(extra)
    key = local_keys(store).signing_key()
    header = {"alg": "RS256", "kid": key.kid, "typ": "JWT"}
    return jwt.encode(header, payload, key.private, algorithms=["RS256"])


def well_known(
    store: Store, settings: Settings, scope: MutableMapping[str, Any]
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """The answer to ``GET /.well-known/...``: discovery, JWKS, or 404."""
    if scope.get("method", "GET") not in ("GET", "HEAD"):
        return 405, [_JSON, (b"allow", b"GET, HEAD")], b'{"error": "method not allowed"}\n'
    path = scope.get("path", "")
    if path == DISCOVERY_PATH:
        host = next(
            (v.decode("latin-1") for k, v in scope.get("headers", []) if k.lower() == b"host"),
            None,
        )
        document = discovery(issuer_url(settings, host))
    elif path == JWKS_PATH:
        document = jwks(store)
    else:
        return 404, [_JSON], b'{"error": "not found"}\n'
    return 200, [_JSON, _CACHE], json.dumps(document, indent=1).encode() + b"\n"


async def serve(
    store: Store,
    settings: Settings,
    scope: MutableMapping[str, Any],
    send: Callable[[MutableMapping[str, Any]], Awaitable[None]],
) -> None:
    """Answer an ASGI ``GET /.well-known/...`` request (the app routes those here)."""
    status, headers, body = well_known(store, settings, scope)
    body_out = b"" if scope.get("method") == "HEAD" else body
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*headers, (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body_out})
