"""aws-chunked decoding with chunk signatures and trailers, checked against AWS's own worked
examples (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html, "Example: PUT
Object", and https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html) and
botocore's checksums."""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import pytest
from botocore import httpchecksum

from iamd.auth.sigv4 import SigningSecret, VerifiedRequest
from iamd.errors import AWSError
from iamd.gateway import checksums
from iamd.gateway.checksums import Checksum
from iamd.gateway.chunked import ChunkError, Decoder, decode, trailer_length, with_trailer

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


def _botocore(kind: type[httpchecksum.BaseChecksum]) -> Callable[[bytes], str]:
    def digest(data: bytes) -> str:
        checksum = kind()
        checksum.update(data)
        return str(checksum.b64digest())

    return digest


REFERENCES: dict[str, Callable[[bytes], str]] = {
    "CRC32": _botocore(httpchecksum.Crc32Checksum),
    "CRC32C": _botocore(httpchecksum.CrtCrc32cChecksum),
    "CRC64NVME": _botocore(httpchecksum.CrtCrc64NvmeChecksum),
    "SHA1": _botocore(httpchecksum.Sha1Checksum),
    "SHA256": _botocore(httpchecksum.Sha256Checksum),
}
"""botocore's own checksums: what the SDK sends is what the gateway must compute."""


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
    # The first chunk waits for the next one to be verified: the last piece passed on is always
    # held back until the whole body is.
    assert b"".join(received) == b""
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


# Trailing checksums ---------------------------------------------------------------------------
# AWS's worked example with a trailer: the same 65 KiB of "a" in 64 KiB and 1 KiB chunks, and a
# CRC32C trailer signed after the empty chunk
# (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html).

TRAILER_SEED = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"
TRAILER_CHUNKS = (
    "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
    "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
    "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
)
TRAILER_SIGNATURE = "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435"
SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
TRAILER_VERIFIED = dataclasses.replace(
    VERIFIED, payload_hash=SIGNED_TRAILER, signature=TRAILER_SEED
)


def trailer_body(value: str = "sOO8/Q==", signature: str = TRAILER_SIGNATURE) -> bytes:
    return (
        f"10000;chunk-signature={TRAILER_CHUNKS[0]}\r\n".encode()
        + b"a" * 65536
        + f"\r\n400;chunk-signature={TRAILER_CHUNKS[1]}\r\n".encode()
        + b"a" * 1024
        + f"\r\n0;chunk-signature={TRAILER_CHUNKS[2]}\r\n".encode()
        + f"x-amz-checksum-crc32c:{value}\r\nx-amz-trailer-signature:{signature}\r\n\r\n".encode()
    )


def unsigned(data: bytes, trailer: str | None, size: int = 1000) -> bytes:
    out = b"".join(
        f"{len(data[i : i + size]):x}\r\n".encode() + data[i : i + size] + b"\r\n"
        for i in range(0, len(data), size)
    )
    return out + b"0\r\n" + (f"{trailer}\r\n".encode() if trailer else b"") + b"\r\n"


@dataclasses.dataclass
class Outcome:
    received: list[bytes]
    failures: list[AWSError]
    decoder: Decoder
    raised: bool

    @property
    def data(self) -> bytes:
        return b"".join(self.received)

    @property
    def codes(self) -> list[str]:
        return [f.code for f in self.failures]


def decode_with(
    body_bytes: bytes,
    *,
    signed: str,
    trailer: str | None = None,
    length: int | None = None,
    expected: Checksum | None = None,
    verified: VerifiedRequest | None = TRAILER_VERIFIED,
    piece: int = 5000,
) -> Outcome:
    failures: list[AWSError] = []
    decoder = Decoder(
        verified,
        failures.append,
        signed=signed,
        length=length,
        trailer=trailer,
        expected=expected,
    )
    received: list[bytes] = []

    async def collect() -> None:
        async for chunk in decoder.decode(pieces(body_bytes, piece)):
            received.append(chunk)

    try:
        asyncio.run(collect())
    except ChunkError:
        return Outcome(received, failures, decoder, True)
    return Outcome(received, failures, decoder, False)


def test_aws_trailer_example_verifies_signature_and_crc32c() -> None:
    for piece in (100, 5000, 1 << 20):
        out = decode_with(
            trailer_body(),
            signed=SIGNED_TRAILER,
            trailer="x-amz-checksum-crc32c",
            length=66560,
            piece=piece,
        )
        assert not out.raised and not out.failures
        assert out.data == b"a" * 66560
        assert out.decoder.checksum == Checksum("CRC32C", "sOO8/Q==")


def test_a_changed_trailer_fails_its_signature_and_the_last_piece_is_held_back() -> None:
    for body_bytes in (
        trailer_body(signature="0" * 64),
        trailer_body(value="AAAAAA=="),  # the signature no longer covers the value
    ):
        out = decode_with(
            body_bytes, signed=SIGNED_TRAILER, trailer="x-amz-checksum-crc32c", length=66560
        )
        assert out.raised and out.codes == ["SignatureDoesNotMatch"]
        assert out.data == b"a" * 65536  # the 1 KiB chunk never left
        assert out.decoder.checksum is None


def test_a_wrong_final_chunk_signature_holds_back_the_last_piece() -> None:
    out = decode_with(
        body((SIGNATURES[0], SIGNATURES[1], "0" * 64)),
        signed=VERIFIED.payload_hash,
        verified=VERIFIED,
    )
    assert out.raised and out.codes == ["SignatureDoesNotMatch"]
    assert out.data == b"a" * 65536


def test_unsigned_trailer_checksums_of_every_algorithm() -> None:
    """Each algorithm's value is the base64 of its big-endian digest, as botocore computes it
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html)."""
    data = os.urandom(5000) + b"tail"
    for algorithm, reference in REFERENCES.items():
        value = reference(data)
        name = f"x-amz-checksum-{algorithm.lower()}"
        out = decode_with(
            unsigned(data, f"{name}:{value}"),
            signed=UNSIGNED_TRAILER,
            trailer=name,
            length=len(data),
            verified=None,
        )
        assert not out.raised, out.failures
        assert out.data == data and out.decoder.checksum == Checksum(algorithm, value)
        wrong = reference(data + b"!")
        out = decode_with(
            unsigned(data, f"{name}:{wrong}"),
            signed=UNSIGNED_TRAILER,
            trailer=name,
            length=len(data),
            verified=None,
        )
        assert out.raised and out.codes == ["BadDigest"]
        assert out.failures[0].message == (
            f"The {algorithm} you specified did not match the calculated checksum."
        )
        assert len(out.data) < len(data)


def test_trailers_that_do_not_match_x_amz_trailer_are_malformed() -> None:
    """S3 answers MalformedTrailerError for a missing trailer, one x-amz-trailer did not
    announce, or a different one; InvalidRequest for a value that is no CRC32."""
    data = b"hello world"
    good = f"x-amz-checksum-crc32:{checksums.compute('CRC32', data)}"
    cases = [
        (None, "x-amz-checksum-crc32", "MalformedTrailerError"),
        (good, None, "MalformedTrailerError"),
        (good.replace("crc32:", "sha1:"), "x-amz-checksum-crc32", "MalformedTrailerError"),
        ("x-amz-checksum-crc32", "x-amz-checksum-crc32", "MalformedTrailerError"),
        (f"{good}\r\nx-amz-meta-a:b", "x-amz-checksum-crc32", "MalformedTrailerError"),
        ("x-amz-checksum-crc32:not-base64", "x-amz-checksum-crc32", "InvalidRequest"),
    ]
    for trailer_line, declared, code in cases:
        out = decode_with(
            unsigned(data, trailer_line),
            signed=UNSIGNED_TRAILER,
            trailer=declared,
            length=len(data),
            verified=None,
        )
        assert out.raised and out.codes == [code], (trailer_line, declared, out.failures)
        assert out.data == b""
    # No x-amz-trailer and no trailer: S3 takes the upload as it is.
    out = decode_with(
        unsigned(data, None), signed=UNSIGNED_TRAILER, length=len(data), verified=None
    )
    assert not out.raised and out.data == data and out.decoder.checksum is None


def test_a_header_checksum_is_checked_against_the_decoded_data() -> None:
    data = b"a" * 66560
    out = decode_with(
        body(),
        signed=VERIFIED.payload_hash,
        verified=VERIFIED,
        expected=Checksum("CRC32C", "sOO8/Q=="),
        length=66560,
    )
    assert not out.raised and out.data == data
    assert out.decoder.checksum == Checksum("CRC32C", "sOO8/Q==")
    out = decode_with(
        body(),
        signed=VERIFIED.payload_hash,
        verified=VERIFIED,
        expected=Checksum("CRC32", "AAAAAA=="),
        length=66560,
    )
    assert out.raised and out.codes == ["BadDigest"]


def test_headers_that_cannot_work_are_refused_up_front() -> None:
    with pytest.raises(AWSError) as refused:
        Decoder(None, print, signed=UNSIGNED_TRAILER, trailer="x-amz-checksum-md5")
    assert refused.value.code == "InvalidRequest"
    with pytest.raises(AWSError) as refused:
        Decoder(
            None,
            print,
            signed=UNSIGNED_TRAILER,
            trailer="x-amz-checksum-crc32",
            expected=Checksum("CRC32", "AAAAAA=="),
        )
    assert refused.value.message == "Expecting a single x-amz-checksum- header"


def test_the_decoded_length_must_be_x_amz_decoded_content_length() -> None:
    for length in (66559, 66561):
        out = decode_with(body(), signed=VERIFIED.payload_hash, verified=VERIFIED, length=length)
        assert out.raised and out.codes == ["IncompleteBody"]
        assert len(out.data) < length


def test_with_trailer_encodes_exactly_its_announced_length() -> None:
    """What the gateway sends its backend decodes back to the data and the checksum, and is
    exactly as long as announced, for sizes around the chunk size."""
    for size in (0, 1, 999, 1000, 1001, 3005):
        data = os.urandom(size)
        for algorithm in REFERENCES:
            name = f"x-amz-checksum-{algorithm.lower()}"
            value = REFERENCES[algorithm](data)
            source = decode_with(
                unsigned(data, f"{name}:{value}", size=300),
                signed=UNSIGNED_TRAILER,
                trailer=name,
                length=size,
                verified=None,
            )
            assert not source.raised

            async def encode(source: Outcome = source) -> bytes:
                async def replay() -> AsyncIterator[bytes]:
                    for piece in source.received:
                        yield piece

                return b"".join(
                    [p async for p in with_trailer(replay(), source.decoder, chunk=1000)]
                )

            encoded = asyncio.run(encode())
            assert len(encoded) == trailer_length(size, algorithm, chunk=1000)
            again = decode_with(
                encoded,
                signed=UNSIGNED_TRAILER,
                trailer=name,
                length=size,
                verified=None,
                piece=777,
            )
            assert not again.raised and again.data == data
            assert again.decoder.checksum == Checksum(algorithm, value)
