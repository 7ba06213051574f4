"""S3's additional checksums: CRC32, CRC32C, CRC64NVME, SHA1 and SHA256 of an object's data.

A client declares one, in an ``x-amz-checksum-ALGORITHM`` header or, for a streamed upload, in
a trailer after the last chunk (``x-amz-trailer`` names it); the value is the base64 of the
big-endian digest. S3 computes the same over the data it receives and refuses the upload with
``BadDigest`` when they differ, then keeps the checksum with the object for GetObject and
HeadObject with ``x-amz-checksum-mode: ENABLED``
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html).
The gateway checks them itself: a backend such as moto stores a declared checksum unverified.

CRC32C and CRC64NVME come from ``awscrt``, AWS's own library (botocore uses it for them too);
CRC32 from zlib, which is faster here than awscrt's, and the SHAs from hashlib.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from iamd.errors import AWSError

try:
    from awscrt import checksums as _crt
except ImportError:  # pragma: no cover - awscrt comes with the gateway extra
    _crt = None

DIGEST_SIZES: dict[str, int] = {"CRC32": 4, "CRC32C": 4, "CRC64NVME": 8, "SHA1": 20, "SHA256": 32}
"""S3's checksum algorithms and the size of each one's digest in bytes."""
PREFIX = "x-amz-checksum-"
MD5 = "MD5"
"""``Content-MD5``: not one of the additional checksums, but checked the same way (RFC 1864)."""


def header_name(algorithm: str) -> str:
    """``x-amz-checksum-crc32`` for CRC32: the header (or trailer) that carries its value."""
    return PREFIX + algorithm.lower()


def algorithm_of(name: str) -> str | None:
    """The algorithm an ``x-amz-checksum-*`` header names, or None for any other name."""
    name = name.strip().lower()
    if not name.startswith(PREFIX):
        return None
    algorithm = name[len(PREFIX) :].upper()
    return algorithm if algorithm in DIGEST_SIZES else None


def encoded_size(algorithm: str) -> int:
    """The length of the base64 value: fixed per algorithm, so a re-encoded body's length is
    known before its checksum is."""
    return 4 * ((DIGEST_SIZES[algorithm] + 2) // 3)


def is_valid(algorithm: str, value: str) -> bool:
    """Whether ``value`` is the canonical base64 of a digest of the algorithm's size."""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return len(raw) == DIGEST_SIZES[algorithm] and base64.b64encode(raw).decode() == value


class Running:
    """One algorithm's checksum, fed the data piece by piece as it streams."""

    __slots__ = ("_crc", "_hash", "_update", "algorithm")

    def __init__(self, algorithm: str) -> None:
        self.algorithm = algorithm
        self._crc = 0
        self._hash: Any = None
        if algorithm in ("SHA1", "SHA256"):
            self._hash = hashlib.new(algorithm.lower())
            self._update: Callable[[bytes], None] = self._hash.update
        elif algorithm == MD5:
            self._hash = hashlib.md5(usedforsecurity=False)
            self._update = self._hash.update
        elif algorithm == "CRC32":
            self._update = self._crc32
        else:
            if _crt is None:
                raise AWSError(
                    f"{algorithm} checksums need the awscrt package (pip install 'iamd[gateway]').",
                    code="NotImplemented",
                    status=501,
                    sender=False,
                )
            self._update = self._crc32c if algorithm == "CRC32C" else self._crc64nvme

    def _crc32(self, data: bytes) -> None:
        self._crc = zlib.crc32(data, self._crc)

    def _crc32c(self, data: bytes) -> None:
        assert _crt is not None
        self._crc = int(_crt.crc32c(data, self._crc))

    def _crc64nvme(self, data: bytes) -> None:
        assert _crt is not None
        self._crc = int(_crt.crc64nvme(data, self._crc))

    def update(self, data: bytes) -> None:
        self._update(data)

    def value(self) -> str:
        """The base64 of the big-endian digest, as S3 writes it."""
        if self._hash is not None:
            raw = bytes(self._hash.digest())
        else:
            raw = self._crc.to_bytes(DIGEST_SIZES[self.algorithm], "big")
        return base64.b64encode(raw).decode()


def compute(algorithm: str, data: bytes) -> str:
    running = Running(algorithm)
    running.update(data)
    return running.value()


@dataclass(frozen=True, slots=True)
class Checksum:
    """A declared (or, once checked, verified) checksum of an upload's data."""

    algorithm: str
    value: str

    @property
    def header(self) -> str:
        return header_name(self.algorithm)


def from_headers(headers: Mapping[str, str]) -> Checksum | None:
    """The one ``x-amz-checksum-*`` header of an upload, or None; several, or a value that is
    not a digest of the algorithm's size, are S3's InvalidRequest."""
    found: Checksum | None = None
    for name, value in headers.items():
        algorithm = algorithm_of(name) if name.startswith(PREFIX) else None
        if algorithm is None:
            continue
        if found is not None:
            raise invalid_request(
                "Expecting a single x-amz-checksum- header. "
                "Multiple checksum Types are not allowed."
            )
        value = value.strip()
        if not is_valid(algorithm, value):
            raise invalid_request(f"Value for {name} header is invalid.")
        found = Checksum(algorithm, value)
    return found


def content_md5(headers: Mapping[str, str]) -> Checksum | None:
    """The ``Content-MD5`` header of a request with a body, or None; one that is not the
    base64 of 16 bytes is S3's InvalidDigest
    (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html)."""
    value = headers.get("content-md5")
    if value is None:
        return None
    value = value.strip()
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 16:
        raise AWSError(
            "The Content-MD5 you specified was not valid.",
            code="InvalidDigest",
            status=400,
            sender=True,
        )
    return Checksum(MD5, base64.b64encode(raw).decode())


def invalid_request(message: str) -> AWSError:
    return AWSError(message, code="InvalidRequest", status=400, sender=True)


def mismatch(algorithm: str) -> AWSError:
    """S3's answer when the data's checksum is not the declared one."""
    if algorithm == MD5:
        return AWSError(
            "The Content-MD5 you specified did not match what we received.",
            code="BadDigest",
            status=400,
            sender=True,
        )
    return AWSError(
        f"The {algorithm} you specified did not match the calculated checksum.",
        code="BadDigest",
        status=400,
        sender=True,
    )


def malformed_trailer() -> AWSError:
    """S3's answer to a trailer that is missing, malformed, or not the one ``x-amz-trailer``
    announced."""
    return AWSError(
        "The request contained trailing data that was not well-formed or did not conform to "
        "our published schema.",
        code="MalformedTrailerError",
        status=400,
        sender=True,
    )
