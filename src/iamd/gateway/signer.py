"""Re-signing a forwarded request with the backend's credentials (SigV4, header form).

The client's signature was made with iamd's credentials and is useless to the backend; the
gateway signs anew with its own key for the backend. S3 bodies are forwarded as they stream in,
so their payload line is ``UNSIGNED-PAYLOAD`` (the client's signature was already checked, and the
body's hash is checked as it passes); other services' bodies are small and hashed.
https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
"""

from __future__ import annotations

import hashlib
import hmac
import time

from iamd.auth import amzdate, canonical
from iamd.auth.sigv4 import ALGORITHM, TERMINATOR, signing_key

_SIGNED_ALWAYS = frozenset({"host", "content-type", "content-md5"})


def payload_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def sign(
    method: str,
    raw_path: str,
    raw_query: str,
    headers: dict[str, str],
    *,
    access_key: str,
    secret_key: str,
    region: str,
    service: str,
    payload: str,
    token: str | None = None,
    now: float | None = None,
) -> None:
    """Add ``x-amz-date``, ``x-amz-content-sha256`` and ``authorization`` to ``headers``.

    ``headers`` have lower-case names and must already hold ``host``; every ``x-amz-*`` header is
    signed, as S3 requires.
    """
    moment = time.time() if now is None else now
    stamp = amzdate.format_amz_date(moment)
    headers["x-amz-date"] = stamp
    headers["x-amz-content-sha256"] = payload
    if token:
        headers["x-amz-security-token"] = token
    names = sorted(n for n in headers if n in _SIGNED_ALWAYS or n.startswith("x-amz-"))
    signed_names = ";".join(names)
    s3 = service == "s3"
    pairs = canonical.query_pairs(raw_query) if raw_query else []
    canonical_request = "\n".join(
        (
            method,
            canonical.canonical_uri(raw_path, s3),
            canonical.canonical_query_string(pairs),
            canonical.canonical_headers(names, headers),
            signed_names,
            payload,
        )
    )
    day = stamp[:8]
    scope = f"{day}/{region}/{service}/{TERMINATOR}"
    string_to_sign = (
        f"{ALGORITHM}\n{stamp}\n{scope}\n"
        + hashlib.sha256(canonical_request.encode("utf-8", "surrogatepass")).hexdigest()
    )
    key = signing_key(secret_key, day, region, service)
    signature = hmac.digest(key, string_to_sign.encode(), "sha256").hex()
    headers["authorization"] = (
        f"{ALGORITHM} Credential={access_key}/{scope}, "
        f"SignedHeaders={signed_names}, Signature={signature}"
    )
