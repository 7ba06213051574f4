"""Server-side AWS Signature Version 4: decide whether a request was signed by the holder of a key.

Clients (boto3, the aws CLI, every AWS SDK) sign requests with SigV4, either in the
``Authorization`` header or in the query string of a presigned URL. This module rebuilds the
canonical request from what arrived, derives the signing key from the secret the store holds, and
compares signatures in constant time. It knows nothing of HTTP frameworks or databases: the server
hands it a :class:`SignedRequest` and a lookup function, and gets back a :class:`VerifiedRequest`
or an :class:`iamd.errors.AWSError` carrying AWS's own code and message.

The algorithm is AWS's:

- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html (overview),
- https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html (canonical request,
  string to sign, signing key, signature),
- https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-authentication-methods.html
  (header and query-string authentication),
- https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html (presigned URLs,
  ``X-Amz-Expires`` at most 604800 seconds).

The checks run in the order AWS runs them, so a request with several faults gets the error AWS
would give: missing pieces, date format, clock skew or expiry, ``host`` signed, algorithm,
credential shape, credential scope, access key, signature. AWS documents the messages only in
outline (https://docs.aws.amazon.com/IAM/latest/UserGuide/signature-v4-troubleshooting.html);
their exact wording and that order come from AWS's responses as recorded by servers that
reproduce them: dynalite and kinesalite (github.com/mhart) note each response beside the check
that causes it; a public probe suite run against STS records STS's credential-scope messages;
scratchstack-aws-signature (github.com/dacut) records the newer wording of the ``host`` message
and how expiry messages show a duration. Codes and statuses are those of
https://docs.aws.amazon.com/IAM/latest/APIReference/CommonErrors.html.

Speed matters: every call pays for this. The derived signing key is cached per (secret, date,
region, service), timestamps are parsed by hand behind a cache (:mod:`iamd.auth.amzdate`), the
canonical request is built with plain string operations, and HMACs use ``hmac.digest``. A typical
boto3 IAM POST verifies in well under 20 µs.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import datetime

from iamd.auth import amzdate, canonical
from iamd.errors import (
    IncompleteSignature,
    InvalidClientTokenId,
    MissingAuthenticationToken,
    SignatureDoesNotMatch,
)

ALGORITHM = "AWS4-HMAC-SHA256"
TERMINATOR = "aws4_request"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
MAX_SKEW_SECONDS = 15 * 60
"""A request must reach AWS within 15 minutes of its timestamp, either way."""
MAX_EXPIRES_SECONDS = 7 * 24 * 60 * 60
"""The longest a presigned URL may live: a signing key is valid for seven days."""
S3_SERVICES = frozenset({"s3"})
"""Scopes whose canonical URI is the path encoded once and never normalised."""

# AWS's messages, word for word. Each sentence of a multi-part message ends in a space, as AWS's
# do, so that parts concatenate.
MSG_MISSING_AUTHENTICATION_TOKEN = "Request is missing Authentication Token"
MSG_INVALID_CLIENT_TOKEN_ID = "The security token included in the request is invalid."
MSG_SIGNATURE_DOES_NOT_MATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)
MSG_FOUND_BOTH = (
    "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
)
MSG_HOST_NOT_SIGNED = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
MSG_WRONG_REGION = "Credential should be scoped to a valid region. "
MSG_REQUIRES_DATE = (
    "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
)
MSG_REEXAMINE_QUERY = "Re-examine the query-string parameters."
# For a bad X-Amz-Expires only S3's wording is on record (its AuthorizationQueryParametersError).
MSG_EXPIRES_NOT_A_NUMBER = "X-Amz-Expires should be a number"
MSG_EXPIRES_TOO_LONG = (
    "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires "
    "must be less than 604800 seconds"
)

_HEADER_PARAMETERS = ("Credential", "Signature", "SignedHeaders")
_QUERY_PARAMETERS = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Signature",
    "X-Amz-SignedHeaders",
    "X-Amz-Date",
)
_PRESIGN_MARKERS = frozenset({"X-Amz-Algorithm", "X-Amz-Signature"})


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """A request as received, independent of the HTTP framework.

    ``path`` and ``query`` are raw, still percent-encoded as they came over the wire (ASGI's
    ``raw_path`` and ``query_string``): decoding them first would lose the distinction between
    ``/`` and ``%2F`` that the signature covers. ``headers`` have lower-case names, values decoded
    as latin-1 (as ASGI does), and repeated headers joined with ``,`` in the order received; for
    HTTP/2 the ``:authority`` pseudo-header goes in as ``host``.
    """

    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes = b""


@dataclass(frozen=True, slots=True)
class SigningSecret:
    """What verification needs to know about an access key. The secret never shows in a repr."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    active: bool = True


CredentialLookup = Callable[[str], SigningSecret | None]
"""Finds the secret for an access key id; None when the key is unknown."""


@dataclass(frozen=True, slots=True)
class VerifiedRequest:
    """Who signed a request, and what the signature covered."""

    access_key_id: str
    region: str
    """The region of the credential scope."""
    service: str
    """The service of the credential scope: the server routes on it."""
    signed_headers: tuple[str, ...]
    session_token: str | None
    """``X-Amz-Security-Token`` from the header or the query string; not validated here."""
    request_time: datetime
    presigned: bool
    secret: SigningSecret
    payload_hash: str
    """The payload line of the canonical request: a SHA-256, ``UNSIGNED-PAYLOAD``, or (S3 only)
    a ``STREAMING-...`` value, whose chunk signatures the caller must still check."""
    signature: str
    """The verified signature: the seed that aws-chunked uploads chain their chunk signatures to
    (with :func:`signing_key` for the key)."""


def _utf8(text: str) -> bytes:
    """UTF-8 that never raises: a lone surrogate from odd input makes a signature fail, not 500."""
    return text.encode("utf-8", "surrogatepass")


# -- signing keys ------------------------------------------------------------------------------

_KEY_CACHE_LIMIT = 4096
_signing_keys: dict[tuple[str, str, str, str], bytes] = {}


def signing_key(secret_access_key: str, date: str, region: str, service: str) -> bytes:
    """kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request").

    Four HMACs a request would cost more than everything else together, and the key only changes
    with the day, so it is cached. The cache is keyed by the secret itself, so a rotated secret
    never reuses an old key; when full it is emptied, which is cheap and safe under threads.
    """
    cache_key = (secret_access_key, date, region, service)
    key = _signing_keys.get(cache_key)
    if key is None:
        key = hmac.digest(_utf8("AWS4" + secret_access_key), _utf8(date), "sha256")
        key = hmac.digest(key, _utf8(region), "sha256")
        key = hmac.digest(key, _utf8(service), "sha256")
        key = hmac.digest(key, b"aws4_request", "sha256")
        if len(_signing_keys) >= _KEY_CACHE_LIMIT:
            _signing_keys.clear()
        _signing_keys[cache_key] = key
    return key


# -- the parts of a signature, from the header or the query ------------------------------------


@dataclass(slots=True)
class _Presented:
    """The signature as the client presented it, before any of it is trusted."""

    algorithm: str
    credential: str
    signed_headers: str
    signature: str
    timestamp: str
    """The request time in ISO 8601 basic format, as it enters the string to sign."""
    epoch: int
    moment: datetime
    expires: int | None = None


def _bad_date(value: str) -> IncompleteSignature:
    return IncompleteSignature(
        f"Date must be in ISO-8601 'basic format'. Got '{value}'. "
        "See http://en.wikipedia.org/wiki/ISO_8601"
    )


def _from_header(authorization: str, headers: Mapping[str, str]) -> _Presented:
    """Read ``Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...``.

    Parameters may be separated by commas, spaces or both, as AWS accepts.
    """
    text = authorization.strip()
    if not text.startswith("AWS4-"):
        # AWS reads any other scheme (Basic, Bearer, SigV2's "AWS ") as no SigV4 at all.
        raise MissingAuthenticationToken(MSG_MISSING_AUTHENTICATION_TOKEN)
    tokens = text.replace(",", " ").split()
    params: dict[str, str] = {}
    for token in tokens[1:]:
        name, equals, value = token.partition("=")
        if not equals:
            raise IncompleteSignature(
                f"'{token}' not a valid key=value pair (missing equal-sign) in "
                f"Authorization header: '{authorization}'."
            )
        params[name] = value
    amz_date = headers.get("x-amz-date")
    http_date = headers.get("date") if not amz_date else None
    missing = "".join(
        [
            f"Authorization header requires '{name}' parameter. "
            for name in _HEADER_PARAMETERS
            if not params.get(name)
        ]
    )
    if not amz_date and not http_date:
        missing += MSG_REQUIRES_DATE
    if missing:
        raise IncompleteSignature(f"{missing}Authorization={authorization}")
    if amz_date:
        parsed = amzdate.parse_amz_date(amz_date)
        if parsed is None:
            raise _bad_date(amz_date)
        timestamp = amz_date
    else:
        assert http_date is not None
        parsed = amzdate.parse_http_date(http_date)
        if parsed is None:
            raise _bad_date(http_date)
        timestamp = amzdate.format_amz_date(parsed[0])
    return _Presented(
        algorithm=tokens[0],
        credential=params["Credential"],
        signed_headers=params["SignedHeaders"],
        signature=params["Signature"],
        timestamp=timestamp,
        epoch=parsed[0],
        moment=parsed[1],
    )


def _from_query(params: Mapping[str, str]) -> _Presented:
    """Read a presigned URL's ``X-Amz-*`` parameters (already decoded)."""
    missing = "".join(
        [
            f"AWS query-string parameters must include '{name}'. "
            for name in _QUERY_PARAMETERS
            if not params.get(name)
        ]
    )
    if missing:
        raise IncompleteSignature(missing + MSG_REEXAMINE_QUERY)
    timestamp = params["X-Amz-Date"]
    parsed = amzdate.parse_amz_date(timestamp)
    if parsed is None:
        raise _bad_date(timestamp)
    expires: int | None = None
    raw_expires = params.get("X-Amz-Expires")
    if raw_expires is not None:
        if not (raw_expires.isascii() and raw_expires.isdigit()):
            raise IncompleteSignature(MSG_EXPIRES_NOT_A_NUMBER)
        expires = int(raw_expires)
        if expires > MAX_EXPIRES_SECONDS:
            raise IncompleteSignature(MSG_EXPIRES_TOO_LONG)
    return _Presented(
        algorithm=params["X-Amz-Algorithm"],
        credential=params["X-Amz-Credential"],
        signed_headers=params["X-Amz-SignedHeaders"],
        signature=params["X-Amz-Signature"],
        timestamp=timestamp,
        epoch=parsed[0],
        moment=parsed[1],
        expires=expires,
    )


# -- the checks --------------------------------------------------------------------------------


def _duration(seconds: int) -> str:
    return f"{seconds // 60} min" if seconds % 60 == 0 else f"{seconds} sec"


def _check_time(presented: _Presented, now: float) -> None:
    """Reject a request signed too far in the future, or too long ago.

    Header-signed requests get 15 minutes either way. A presigned URL lives ``X-Amz-Expires``
    seconds from its ``X-Amz-Date`` (15 minutes when absent) and may also be at most 15
    minutes early.
    """
    if presented.epoch > now + MAX_SKEW_SECONDS:
        raise SignatureDoesNotMatch(
            f"Signature not yet current: {presented.timestamp} is still later than "
            f"{amzdate.format_amz_date(now + MAX_SKEW_SECONDS)} "
            f"({amzdate.format_amz_date(now)} + 15 min.)"
        )
    window = MAX_SKEW_SECONDS if presented.expires is None else presented.expires
    if presented.epoch < now - window:
        raise SignatureDoesNotMatch(
            f"Signature expired: {presented.timestamp} is now earlier than "
            f"{amzdate.format_amz_date(now - window)} "
            f"({amzdate.format_amz_date(now)} - {_duration(window)}.)"
        )


def _expected_services(allowed: AbstractSet[str]) -> str:
    return " or ".join(f"'{service}'" for service in sorted(allowed))


def _check_scope(
    scope: Sequence[str],
    presented: _Presented,
    region: str | None,
    allowed_services: AbstractSet[str] | None,
) -> None:
    """Every faulty part of the credential scope is reported at once, in AWS's order."""
    _, scope_date, scope_region, scope_service, terminator = scope
    problems = []
    if region is not None and scope_region != region:
        problems.append(MSG_WRONG_REGION)
    if allowed_services is not None and scope_service not in allowed_services:
        problems.append(
            "Credential should be scoped to correct service: "
            f"{_expected_services(allowed_services)}. "
        )
    if terminator != TERMINATOR:
        problems.append(
            "Credential should be scoped with a valid terminator: "
            f"'{TERMINATOR}', not '{terminator}'. "
        )
    day = presented.timestamp[:8]
    if scope_date != day:
        problems.append(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            f"from HTTP: '{scope_date}' != '{day}', from '{presented.timestamp}'. "
        )
    if problems:
        raise SignatureDoesNotMatch("".join(problems))


def _payload_hash(declared: str | None, body: bytes, *, s3: bool) -> str:
    """The payload line: the client's ``x-amz-content-sha256`` if it sent one, else the body's.

    A declared SHA-256 must be the body's: otherwise the signature would cover a hash while the
    service acted on a different body. ``UNSIGNED-PAYLOAD`` leaves the body unsigned, as the
    client chose; ``STREAMING-*`` (aws-chunked uploads) exists only for S3.
    """
    if declared is None:
        return hashlib.sha256(body).hexdigest() if body else EMPTY_SHA256
    if declared == UNSIGNED_PAYLOAD or (s3 and declared.startswith("STREAMING-")):
        return declared
    actual = hashlib.sha256(body).hexdigest() if body else EMPTY_SHA256
    if declared != actual:
        raise SignatureDoesNotMatch(MSG_SIGNATURE_DOES_NOT_MATCH)
    return actual


def session_token(request: SignedRequest) -> str | None:
    """``X-Amz-Security-Token`` from the header, else from the query string.

    Exposed so the server can resolve a temporary credential (whose secret travels inside the
    token) before calling :func:`verify` with a lookup that knows it.
    """
    token = request.headers.get("x-amz-security-token")
    if token is not None or "X-Amz-Security-Token" not in request.query:
        return token
    for name, value in canonical.query_pairs(request.query):
        if name == "X-Amz-Security-Token":
            return canonical.decoded_value(value)
    return None


def verify(
    request: SignedRequest,
    lookup: CredentialLookup,
    *,
    now: float | None = None,
    region: str | None = None,
    allowed_services: AbstractSet[str] | None,
    s3_style: bool | None = None,
    deferred_payload: bool = False,
) -> VerifiedRequest:
    """Check a request's SigV4 signature, as AWS would, and say who signed it.

    ``region``, when given, is the only region the credential scope may name (IAM's is
    ``us-east-1``). ``allowed_services`` are the scope services this endpoint answers for; it has
    no default so that no caller forgets it (None accepts any service). ``s3_style`` forces or
    forbids S3's single-encoded, unnormalised path; by default the scope's service decides.
    ``now`` is the server's clock in seconds since the epoch. ``deferred_payload`` takes a
    declared ``x-amz-content-sha256`` as the payload line without hashing ``request.body``: for
    a body still streaming in, which the caller must check against ``payload_hash`` as it passes.

    Raises :class:`~iamd.errors.MissingAuthenticationToken`,
    :class:`~iamd.errors.IncompleteSignature`, :class:`~iamd.errors.SignatureDoesNotMatch` or
    :class:`~iamd.errors.InvalidClientTokenId`, with AWS's messages.
    """
    headers = request.headers
    authorization = headers.get("authorization")
    pairs = canonical.query_pairs(request.query) if request.query else []
    presigned = False
    query_params: dict[str, str] = {}
    for name, value in pairs:
        if name.startswith("X-Amz-") and name not in query_params:
            query_params[name] = canonical.decoded_value(value)
    if authorization is not None:
        if "X-Amz-Algorithm" in query_params:
            raise SignatureDoesNotMatch(MSG_FOUND_BOTH)
        presented = _from_header(authorization, headers)
    elif not _PRESIGN_MARKERS.isdisjoint(query_params):
        presigned = True
        presented = _from_query(query_params)
    else:
        raise MissingAuthenticationToken(MSG_MISSING_AUTHENTICATION_TOKEN)

    _check_time(presented, time.time() if now is None else now)

    signed_names = presented.signed_headers.lower()
    names = signed_names.split(";")
    if "host" not in names and ":authority" not in names:
        raise SignatureDoesNotMatch(MSG_HOST_NOT_SIGNED)

    if presented.algorithm != ALGORITHM:
        raise IncompleteSignature(
            f"Unsupported AWS 'algorithm': '{presented.algorithm}' (only {ALGORITHM} for now). "
        )

    scope = presented.credential.rstrip("/").split("/")
    if len(scope) != 5:
        raise IncompleteSignature(
            "Credential must have exactly 5 slash-delimited elements, "
            f"e.g. keyid/date/region/service/term, got '{presented.credential}'"
        )
    _check_scope(scope, presented, region, allowed_services)
    access_key_id, scope_date, scope_region, scope_service, _ = scope

    secret = lookup(access_key_id)
    if secret is None or not secret.active:
        raise InvalidClientTokenId(MSG_INVALID_CLIENT_TOKEN_ID)

    s3 = scope_service in S3_SERVICES if s3_style is None else s3_style
    declared = headers.get("x-amz-content-sha256")
    if declared is None and presigned and s3:
        declared = UNSIGNED_PAYLOAD  # a presigned S3 URL cannot know the body it will carry
    if deferred_payload and declared is not None:
        payload_hash = declared
    else:
        payload_hash = _payload_hash(declared, request.body, s3=s3)
    canonical_request = "\n".join(
        (
            request.method,
            canonical.canonical_uri(request.path, s3),
            canonical.canonical_query_string(
                pairs, exclude="X-Amz-Signature" if presigned else None
            ),
            canonical.canonical_headers(names, headers),
            signed_names,
            payload_hash,
        )
    )
    string_to_sign = (
        f"{ALGORITHM}\n{presented.timestamp}\n"
        f"{scope_date}/{scope_region}/{scope_service}/{TERMINATOR}\n"
        + hashlib.sha256(_utf8(canonical_request)).hexdigest()
    )
    key = signing_key(secret.secret_access_key, scope_date, scope_region, scope_service)
    expected = hmac.digest(key, _utf8(string_to_sign), "sha256").hex()
    provided = presented.signature
    if not (provided.isascii() and hmac.compare_digest(expected, provided)):
        raise SignatureDoesNotMatch(MSG_SIGNATURE_DOES_NOT_MATCH)

    token = headers.get("x-amz-security-token")
    if token is None:
        token = query_params.get("X-Amz-Security-Token")
    return VerifiedRequest(
        access_key_id=access_key_id,
        region=scope_region,
        service=scope_service,
        signed_headers=tuple(names),
        session_token=token,
        request_time=presented.moment,
        presigned=presigned,
        secret=secret,
        payload_hash=payload_hash,
        signature=provided,
    )
