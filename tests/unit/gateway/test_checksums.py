"""S3's additional checksums as the gateway reads them from headers and computes them
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html)."""

from __future__ import annotations

import base64
import hashlib
import zlib

import pytest

from iamd.errors import AWSError
from iamd.gateway import checksums
from iamd.gateway.checksums import Checksum


def test_values_are_base64_of_the_big_endian_digest() -> None:
    data = b"The quick brown fox jumps over the lazy dog"
    crc = zlib.crc32(data).to_bytes(4, "big")
    assert checksums.compute("CRC32", data) == base64.b64encode(crc).decode()
    assert (
        checksums.compute("SHA256", data)
        == base64.b64encode(hashlib.sha256(data).digest()).decode()
    )
    # Fed piece by piece, the same as whole.
    for algorithm in checksums.DIGEST_SIZES:
        running = checksums.Running(algorithm)
        for start in range(0, len(data), 7):
            running.update(data[start : start + 7])
        assert running.value() == checksums.compute(algorithm, data)
        assert len(running.value()) == checksums.encoded_size(algorithm)
    # CRC32C and CRC64NVME of "123456789", the standard check values of both CRCs.
    assert (
        checksums.compute("CRC32C", b"123456789")
        == base64.b64encode((0xE3069283).to_bytes(4, "big")).decode()
    )
    assert (
        checksums.compute("CRC64NVME", b"123456789")
        == base64.b64encode((0xAE8B14860A799888).to_bytes(8, "big")).decode()
    )


def test_the_one_checksum_header_of_an_upload() -> None:
    value = checksums.compute("CRC32", b"x")
    headers = {
        "x-amz-checksum-crc32": value,
        "x-amz-checksum-mode": "ENABLED",
        "x-amz-checksum-type": "FULL_OBJECT",
        "x-amz-checksum-algorithm": "CRC32",
        "x-amz-sdk-checksum-algorithm": "CRC32",
    }
    assert checksums.from_headers(headers) == Checksum("CRC32", value)
    assert checksums.from_headers({"content-type": "text/plain"}) is None


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        (
            {"x-amz-checksum-crc32": "AAAAAA==", "x-amz-checksum-sha1": "A" * 27 + "="},
            "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
        ),
        ({"x-amz-checksum-crc32": "AAAA"}, "Value for x-amz-checksum-crc32 header is invalid."),
        ({"x-amz-checksum-sha256": "!!"}, "Value for x-amz-checksum-sha256 header is invalid."),
    ],
)
def test_bad_checksum_headers_are_invalid_requests(headers: dict[str, str], message: str) -> None:
    with pytest.raises(AWSError) as refused:
        checksums.from_headers(headers)
    assert (refused.value.code, refused.value.message, refused.value.status) == (
        "InvalidRequest",
        message,
        400,
    )


def test_content_md5_is_read_as_a_checksum_of_the_body() -> None:
    """Content-MD5 is the base64 of the body's 16-byte MD5 (RFC 1864); anything else is S3's
    InvalidDigest (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html)."""
    data = b"The quick brown fox jumps over the lazy dog"
    value = base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()
    assert checksums.content_md5({}) is None
    declared = checksums.content_md5({"content-md5": f" {value} "})
    assert declared == Checksum(checksums.MD5, value)
    assert checksums.compute(declared.algorithm, data) == value
    for bad in ("", "not base64!", base64.b64encode(b"short").decode(), "AAAA"):
        with pytest.raises(AWSError) as error:
            checksums.content_md5({"content-md5": bad})
        assert (error.value.code, error.value.status) == ("InvalidDigest", 400)
    assert checksums.mismatch(checksums.MD5).code == "BadDigest"
    # Not one of the x-amz-checksum-* algorithms: that header stays refused.
    assert checksums.algorithm_of("x-amz-checksum-md5") is None
