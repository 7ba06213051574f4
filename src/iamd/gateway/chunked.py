"""aws-chunked uploads: decoding the chunks, checking each chunk's signature and the trailer.

With ``x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD`` the body is a series of
``hex-size;chunk-signature=SIG\\r\\n DATA \\r\\n`` chunks ending with an empty one; each signature
chains to the previous one, starting from the request's own
(https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html). A chunk is passed on
only once its signature is verified, so the backend never receives data the signer did not
sign; ``STREAMING-UNSIGNED-PAYLOAD-TRAILER`` chunks carry no signature and are decoded only.

The ``-TRAILER`` variants end with trailing headers after the empty chunk: the checksum that
``x-amz-trailer`` announced (``x-amz-checksum-crc32:VALUE``) and, when the chunks are signed, an
``x-amz-trailer-signature`` chained to the empty chunk's
(https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming-trailers.html). The checksum
is computed over the decoded data as it streams and compared with the trailer's (or with an
``x-amz-checksum-*`` header's). The last piece of data is held back until all of that is
verified, so a backend never has a complete body the gateway would refuse: it sees an
incomplete one and keeps nothing.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator, Callable

from iamd.auth import amzdate
from iamd.auth.sigv4 import VerifiedRequest, signing_key
from iamd.errors import AWSError
from iamd.gateway import checksums
from iamd.gateway.checksums import Checksum

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
MAX_CHUNK = 16 * 1024 * 1024
MAX_LINE = 4096
SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
VARIANTS = frozenset({SIGNED, SIGNED_TRAILER, UNSIGNED_TRAILER})
"""The aws-chunked payloads iamd decodes (the ECDSA ones of SigV4a are not among them)."""
RECHUNK = 1024 * 1024
"""Chunk size of the bodies the gateway encodes for its backend (botocore's own)."""
TRAILER_SIGNATURE = "x-amz-trailer-signature"


class ChunkError(Exception):
    """The body was refused; ``error`` is S3's answer (IncompleteBody when None)."""

    def __init__(self, why: str, error: AWSError | None = None) -> None:
        super().__init__(why)
        self.error = error


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
        self.ended = False

    async def _more(self) -> bool:
        if self.ended:
            return False
        try:
            self.data += await anext(self.source)
        except StopAsyncIteration:
            self.ended = True
            return False
        return True

    async def fill(self, size: int) -> bool:
        while len(self.data) < size:
            if not await self._more():
                return False
        return True

    async def line(self, *, at_end: bool = False) -> bytes | None:
        """The next CRLF-ended line without its CRLF. With ``at_end``, the end of the body
        ends a line too (None when nothing was left), as a trailer's last CRLF may be missing."""
        while True:
            end = self.data.find(b"\r\n")
            if end >= 0:
                out = bytes(self.data[:end])
                del self.data[: end + 2]
                return out
            if len(self.data) > MAX_LINE:
                raise ChunkError("a chunk header is too long")
            if not await self._more():
                if not at_end:
                    raise ChunkError("the body ended inside a chunk header")
                if not self.data:
                    return None
                out = bytes(self.data)
                self.data.clear()
                return out

    def take(self, size: int) -> bytes:
        out = bytes(self.data[:size])
        del self.data[:size]
        return out

    async def empty(self) -> bool:
        """Whether nothing follows: the source is read to its end."""
        while not self.data:
            if not await self._more():
                return True
        return False


class Decoder:
    """One aws-chunked body: its decoded data, and once that is all read, its verified
    checksum (``checksum``), which the backend is to keep with the object.

    Raises S3's own errors at once for headers that cannot work: an ``x-amz-trailer`` that
    names no checksum, or a trailer and an ``x-amz-checksum-*`` header both.
    """

    def __init__(
        self,
        verified: VerifiedRequest | None,
        fail: Callable[[AWSError], None],
        *,
        signed: str,
        length: int | None = None,
        trailer: str | None = None,
        expected: Checksum | None = None,
    ) -> None:
        self.verified = verified
        self.fail = fail
        self.signed = signed
        self.check = signed in (SIGNED, SIGNED_TRAILER)
        self.trailers = signed in (SIGNED_TRAILER, UNSIGNED_TRAILER)
        self.length = length
        self.expected = expected
        self.trailer: str | None = None
        self.checksum: Checksum | None = None
        if self.check and verified is None:
            raise ValueError("signed chunks need the request's verified signature")
        algorithm: str | None = None
        if trailer is not None and trailer.strip():
            if not self.trailers:
                raise checksums.invalid_request(
                    f"x-amz-trailer is only allowed with {SIGNED_TRAILER} or {UNSIGNED_TRAILER}."
                )
            algorithm = checksums.algorithm_of(trailer)
            if algorithm is None:
                raise checksums.invalid_request(
                    "The value specified in the x-amz-trailer header is not supported"
                )
            if expected is not None:
                raise checksums.invalid_request("Expecting a single x-amz-checksum- header")
            self.trailer = checksums.header_name(algorithm)
        elif expected is not None:
            algorithm = expected.algorithm
        self.algorithm = algorithm

    async def decode(self, source: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        """The decoded data; on a fault, ``fail`` is told and the stream stops with
        ChunkError (the backend sees an incomplete body and keeps nothing)."""
        verified = self.verified
        stamp = scope = previous = ""
        key = b""
        if self.check:
            assert verified is not None
            stamp = amzdate.format_amz_date(verified.request_time.timestamp())
            scope = f"{stamp[:8]}/{verified.region}/{verified.service}/aws4_request"
            key = signing_key(verified.secret.secret_access_key, stamp[:8], verified.region, "s3")
            previous = verified.signature
        running = checksums.Running(self.algorithm) if self.algorithm else None
        buffer = _Buffer(source)
        total = 0
        pending: bytes | None = None
        try:
            while True:
                header = (await buffer.line() or b"").decode("latin-1")
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
                if self.check:
                    name, _, signature = extension.partition("=")
                    if name.strip() != "chunk-signature":
                        raise ChunkError("a chunk has no chunk-signature")
                    string_to_sign = (
                        f"AWS4-HMAC-SHA256-PAYLOAD\n{stamp}\n{scope}\n{previous}\n"
                        f"{EMPTY_SHA256}\n{hashlib.sha256(data).hexdigest()}"
                    )
                    expected = hmac.digest(key, string_to_sign.encode(), "sha256").hex()
                    if not hmac.compare_digest(expected, signature.strip()):
                        raise ChunkError("chunk signature", _signature_error())
                    previous = expected
                if size == 0:
                    break
                if not await buffer.fill(2) or buffer.take(2) != b"\r\n":
                    raise ChunkError("a chunk does not end with CRLF")
                total += size
                if self.length is not None and total > self.length:
                    raise ChunkError("the chunks hold more than x-amz-decoded-content-length")
                if running is not None:
                    running.update(data)
                if pending is not None:
                    yield pending
                pending = data
            if self.length is not None and total != self.length:
                raise ChunkError("the chunks hold less than x-amz-decoded-content-length")
            await self._end(buffer, running, stamp, scope, key, previous)
        except ChunkError as error:
            self.fail(error.error or _malformed(str(error)))
            raise
        if pending is not None:
            yield pending

    async def _end(
        self,
        buffer: _Buffer,
        running: checksums.Running | None,
        stamp: str,
        scope: str,
        key: bytes,
        previous: str,
    ) -> None:
        """Read what follows the empty chunk (the trailer, if any, and the final CRLF), check
        the trailer's signature, then the checksum."""
        found: dict[str, str] = {}
        signature: str | None = None
        while (line := await buffer.line(at_end=True)) is not None and line.strip():
            name, colon, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip()
            is_signature = name == TRAILER_SIGNATURE and self.check and self.trailers
            if not colon or not name or signature is not None or (found and not is_signature):
                # One checksum, then (signed chunks) its signature, and nothing after.
                raise ChunkError("trailer", checksums.malformed_trailer())
            if is_signature:
                signature = value
            else:
                found[name] = value
        if not await buffer.empty():
            raise ChunkError("trailer", checksums.malformed_trailer())
        if not self.trailers and (found or signature is not None):
            raise ChunkError("trailer", checksums.malformed_trailer())
        if self.trailer is None:
            if found or signature is not None:
                # A trailer x-amz-trailer did not announce.
                raise ChunkError("trailer", checksums.malformed_trailer())
        else:
            if list(found) != [self.trailer]:
                raise ChunkError("trailer", checksums.malformed_trailer())
            value = found[self.trailer]
            if self.check:
                if signature is None:
                    raise ChunkError("trailer", checksums.malformed_trailer())
                canonical = f"{self.trailer}:{value}\n".encode()
                string_to_sign = (
                    f"AWS4-HMAC-SHA256-TRAILER\n{stamp}\n{scope}\n{previous}\n"
                    + hashlib.sha256(canonical).hexdigest()
                )
                expected = hmac.digest(key, string_to_sign.encode(), "sha256").hex()
                if not hmac.compare_digest(expected, signature):
                    raise ChunkError("trailer signature", _signature_error())
            assert self.algorithm is not None
            if not checksums.is_valid(self.algorithm, value):
                raise ChunkError(
                    "trailer",
                    checksums.invalid_request(
                        f"Value for {self.trailer} trailing header is invalid."
                    ),
                )
            self.expected = Checksum(self.algorithm, value)
        if running is not None and self.expected is not None:
            if running.value() != self.expected.value:
                raise ChunkError("checksum", checksums.mismatch(running.algorithm))
            self.checksum = self.expected


async def decode(
    source: AsyncIterator[bytes],
    verified: VerifiedRequest,
    fail: Callable[[AWSError], None],
    *,
    signed: str,
) -> AsyncIterator[bytes]:
    """The decoded data of an aws-chunked body without a trailer or declared checksum."""
    async for piece in Decoder(verified, fail, signed=signed).decode(source):
        yield piece


def trailer_length(length: int, algorithm: str, chunk: int = RECHUNK) -> int:
    """The exact size of :func:`with_trailer`'s body for ``length`` bytes of data: the backend
    is sent a Content-Length, known before the checksum is since its size is fixed."""
    full, rest = divmod(length, chunk)
    size = full * (len(f"{chunk:x}") + 4 + chunk)
    if rest:
        size += len(f"{rest:x}") + 4 + rest
    name = checksums.header_name(algorithm)
    return size + len(b"0\r\n") + len(name) + 1 + checksums.encoded_size(algorithm) + 4


async def with_trailer(
    data: AsyncIterator[bytes], decoder: Decoder, chunk: int = RECHUNK
) -> AsyncIterator[bytes]:
    """The decoded data as a ``STREAMING-UNSIGNED-PAYLOAD-TRAILER`` body of ``chunk``-sized
    chunks ending with the verified checksum as its trailer, for a backend to keep the
    checksum with the object as S3 does. The trailer goes out only after ``data`` ended, that
    is after the decoder verified everything."""
    head = f"{chunk:x}\r\n".encode()
    buffer = bytearray()
    async for piece in data:
        buffer += piece
        while len(buffer) >= chunk:
            yield b"".join((head, buffer[:chunk], b"\r\n"))
            del buffer[:chunk]
    checksum = decoder.checksum
    assert checksum is not None, "the decoder ended without a verified checksum"
    end = f"0\r\n{checksum.header}:{checksum.value}\r\n\r\n".encode()
    if buffer:
        yield b"".join((f"{len(buffer):x}\r\n".encode(), buffer, b"\r\n", end))
    else:
        yield end
