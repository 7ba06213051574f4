"""aws-chunked uploads: decoding the chunks and checking each chunk's signature.

With ``x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD`` the body is a series of
``hex-size;chunk-signature=SIG\\r\\n DATA \\r\\n`` chunks ending with an empty one; each signature
chains to the previous one, starting from the request's own
(https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html). A chunk is passed on
only once its signature is verified, so the backend never receives data the signer did not
sign; ``STREAMING-UNSIGNED-PAYLOAD-TRAILER`` chunks carry no signature and are decoded only.
The backend receives the decoded body, ``x-amz-decoded-content-length`` bytes long.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator, Callable

from iamd.auth import amzdate
from iamd.auth.sigv4 import VerifiedRequest, signing_key
from iamd.errors import AWSError

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
MAX_CHUNK = 16 * 1024 * 1024
MAX_LINE = 4096


class ChunkError(Exception):
    pass


def _signature_error() -> AWSError:
    return AWSError(
        "The request signature we calculated does not match the signature you provided. "
        "Check your key and signing method.",
        code="SignatureDoesNotMatch",
        status=403,
        sender=True,
    )


def _malformed(why: str) -> AWSError:
    return AWSError(
        f"The aws-chunked body is malformed: {why}.",
        code="IncompleteBody",
        status=400,
        sender=True,
    )


class _Buffer:
    def __init__(self, source: AsyncIterator[bytes]) -> None:
        self.source = source
        self.data = bytearray()

    async def fill(self, size: int) -> bool:
        while len(self.data) < size:
            try:
                self.data += await anext(self.source)
            except StopAsyncIteration:
                return False
        return True

    async def line(self) -> bytes:
        while True:
            end = self.data.find(b"\r\n")
            if end >= 0:
                out = bytes(self.data[:end])
                del self.data[: end + 2]
                return out
            if len(self.data) > MAX_LINE:
                raise ChunkError("a chunk header is too long")
            try:
                self.data += await anext(self.source)
            except StopAsyncIteration:
                raise ChunkError("the body ended inside a chunk header") from None

    def take(self, size: int) -> bytes:
        out = bytes(self.data[:size])
        del self.data[:size]
        return out


async def decode(
    source: AsyncIterator[bytes],
    verified: VerifiedRequest,
    fail: Callable[[AWSError], None],
    *,
    signed: str,
) -> AsyncIterator[bytes]:
    """The decoded data of an aws-chunked body; on a fault, ``fail`` is told and the stream
    stops with an exception (the backend sees an incomplete body and keeps nothing)."""
    check = signed.startswith("STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
    stamp = amzdate.format_amz_date(verified.request_time.timestamp())
    scope = f"{stamp[:8]}/{verified.region}/{verified.service}/aws4_request"
    key = signing_key(verified.secret.secret_access_key, stamp[:8], verified.region, "s3")
    previous = verified.signature
    buffer = _Buffer(source)
    try:
        while True:
            header = (await buffer.line()).decode("latin-1")
            size_text, _, extension = header.partition(";")
            try:
                size = int(size_text.strip(), 16)
            except ValueError:
                raise ChunkError("a chunk size is not hexadecimal") from None
            if size > MAX_CHUNK:
                raise ChunkError("a chunk is larger than 16 MiB")
            if not await buffer.fill(size):
                raise ChunkError("the body ended inside a chunk")
            data = buffer.take(size)
            if check:
                name, _, signature = extension.partition("=")
                if name.strip() != "chunk-signature":
                    raise ChunkError("a chunk has no chunk-signature")
                string_to_sign = (
                    f"AWS4-HMAC-SHA256-PAYLOAD\n{stamp}\n{scope}\n{previous}\n{EMPTY_SHA256}\n"
                    + hashlib.sha256(data).hexdigest()
                )
                expected = hmac.digest(key, string_to_sign.encode(), "sha256").hex()
                if not hmac.compare_digest(expected, signature.strip()):
                    fail(_signature_error())
                    raise ChunkError("chunk signature")
                previous = expected
            if size == 0:
                return  # trailers (checksums) after the last chunk are not forwarded
            if not await buffer.fill(2) or buffer.take(2) != b"\r\n":
                raise ChunkError("a chunk does not end with CRLF")
            yield data
    except ChunkError as error:
        if str(error) != "chunk signature":
            fail(_malformed(str(error)))
        raise
