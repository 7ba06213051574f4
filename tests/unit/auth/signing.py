"""Requests signed by botocore itself, turned into what the server would hand to ``verify``.

botocore is the reference client: if iamd accepts what it signs, boto3 and the aws CLI work. The
clock botocore signs with is pinned to ``SIGNED_AT`` so that expected messages are exact.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

import boto3  # type: ignore[import-untyped]
from botocore.auth import (  # type: ignore[import-untyped]
    S3SigV4Auth,
    S3SigV4QueryAuth,
    SigV4Auth,
    SigV4QueryAuth,
)
from botocore.awsrequest import AWSRequest  # type: ignore[import-untyped]
from botocore.compat import HAS_CRT  # type: ignore[import-untyped]
from botocore.config import Config  # type: ignore[import-untyped]
from botocore.credentials import Credentials  # type: ignore[import-untyped]

from iamd.auth.sigv4 import SignedRequest, SigningSecret

ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SESSION_TOKEN = "FwoGZXIvYXdzEXAMPLE//////////wEaDJ+token/with+plus=="
SIGNED_AT = datetime(2024, 1, 1, 0, 0, 0)  # botocore's clock is naive UTC
SIGNED_AT_EPOCH = calendar.timegm(SIGNED_AT.timetuple())
SIGNED_AT_UTC = SIGNED_AT.replace(tzinfo=UTC)

SECRET = SigningSecret(ACCESS_KEY, SECRET_KEY)


def lookup(access_key_id: str) -> SigningSecret | None:
    return SECRET if access_key_id == ACCESS_KEY else None


@contextmanager
def pinned_clock(moment: datetime = SIGNED_AT) -> Iterator[None]:
    """Make botocore sign as if it were ``moment``: its Python signers, and its awscrt ones
    (which boto3 clients use when awscrt is installed, as the gateway extra does)."""

    def now(remove_tzinfo: bool = True) -> datetime:
        return moment if remove_tzinfo else moment.replace(tzinfo=UTC)

    with ExitStack() as stack:
        stack.enter_context(mock.patch("botocore.auth.get_current_datetime", now))
        if HAS_CRT:
            stack.enter_context(mock.patch("botocore.crt.auth.get_current_datetime", now))
        yield


def _header_text(value: str | bytes) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else value


def received(prepared: Any) -> SignedRequest:
    """The request as the server would see it after botocore's HTTP client sent it."""
    parts = urlsplit(prepared.url)
    headers: dict[str, str] = {}
    for name, value in prepared.headers.items():
        lower = name.lower()
        text = _header_text(value)
        headers[lower] = f"{headers[lower]},{text}" if lower in headers else text
    # http.client adds Host from the URL, leaving out the default port, as botocore signs it.
    default_port = {"http": 80, "https": 443}[parts.scheme]
    host = parts.hostname or ""
    headers["host"] = host if parts.port in (None, default_port) else f"{host}:{parts.port}"
    body = prepared.body
    if body is None:
        body = b""
    elif isinstance(body, str):
        body = body.encode()
    return SignedRequest(prepared.method, parts.path or "/", parts.query, headers, body)


def sign(
    method: str,
    url: str,
    *,
    service: str,
    region: str = "us-east-1",
    body: bytes | str = b"",
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
    token: str | None = None,
    secret: str = SECRET_KEY,
    presign_expires: int | None = None,
    moment: datetime = SIGNED_AT,
    generic_signer: bool = False,
) -> SignedRequest:
    """Sign one request with botocore's own signer for the service and return it as received.

    ``generic_signer`` uses the plain SigV4 signer even for S3, which leaves a caller-provided
    ``X-Amz-Content-SHA256`` header as it is.
    """
    credentials = Credentials(ACCESS_KEY, secret, token)
    request = AWSRequest(
        method=method, url=url, data=body, headers=dict(headers or {}), params=params
    )
    signer: Any
    if presign_expires is not None:
        query_signer = S3SigV4QueryAuth if service == "s3" else SigV4QueryAuth
        signer = query_signer(credentials, service, region, expires=presign_expires)
    elif service == "s3" and not generic_signer:
        signer = S3SigV4Auth(credentials, service, region)
    else:
        signer = SigV4Auth(credentials, service, region)
    with pinned_clock(moment):
        signer.add_auth(request)
    return received(request.prepare())


class _SentError(Exception):
    def __init__(self, request: Any) -> None:
        super().__init__("captured")
        self.request = request


def _capture(request: Any, **_: Any) -> None:
    raise _SentError(request)


def client(
    service: str,
    endpoint_url: str,
    *,
    token: str | None = None,
    region: str = "us-east-1",
    config: Config | None = None,
) -> Any:
    """A real boto3 client whose requests are captured instead of sent."""
    session = boto3.session.Session(
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        aws_session_token=token,
        region_name=region,
    )
    made = session.client(service, endpoint_url=endpoint_url, config=config)
    made.meta.events.register("before-send", _capture)
    return made


def boto3_call(call: Callable[[], object]) -> SignedRequest:
    """Run one client call and return the request it would have sent, as received."""
    with pinned_clock():
        try:
            call()
        except _SentError as sent:
            return received(sent.request)
    raise AssertionError("the client sent nothing")


def presigned_url(call: Callable[[], str]) -> SignedRequest:
    """A presigned URL from a boto3 client, as the server receives a GET of it."""
    with pinned_clock():
        url = call()
    request = AWSRequest(method="GET", url=url)
    return received(request.prepare())
