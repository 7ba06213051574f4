"""CloudTrail digest files: their content, the string CloudTrail signs, and the signature.

A digest lists the log files delivered in its period with the SHA-256 of each one's
uncompressed content, and carries the hash and signature of the previous digest, so the
digests form a chain: changing, removing or adding a log file, or changing or removing a digest,
breaks a hash, a signature or a link.

CloudTrail signs ``digestEndTime + "\\n" + <bucket>/<key> + "\\n" + hex(SHA-256 of the
uncompressed digest) + "\\n" + <previous digest's hex signature, or "null">`` with
SHA256withRSA (PKCS #1 v1.5) and keeps the hex signature in the S3 object's metadata
(``x-amz-meta-signature``, ``x-amz-meta-signature-algorithm``).  A directory has no object
metadata, so iamd writes the same two entries as JSON beside the digest, in
``<digest>.json.gz.metadata.json`` (``{"signature": ..., "signature-algorithm": ...}``, the map
``aws s3 cp --metadata`` takes).

The public key fingerprint is the hex MD5 of the key's DER (PKCS #1 ``RSAPublicKey``), the
encoding ``ListPublicKeys`` returns in ``Value``: AWS's own example key
``MIIBCgKCAQEAlSS3...`` has fingerprint ``7f3f401420072e50a65a141430817ab3``, which this
computes (tests/unit/audit/test_digest.py).

https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-digest-file-structure.html
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-custom-validation.html
https://docs.aws.amazon.com/cli/latest/reference/cloudtrail/list-public-keys.html
"""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from iamd.audit.layout import format_time

SIGNATURE_ALGORITHM = "SHA256withRSA"
HASH_ALGORITHM = "SHA-256"


def compress(data: bytes) -> bytes:
    """gzip with a fixed header time, so the same content always gives the same file."""
    return gzip.compress(data, compresslevel=6, mtime=0)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, slots=True)
class LogFileEntry:
    """One ``logFiles`` member of a digest."""

    bucket: str
    key: str
    hash_value: str
    newest: datetime
    oldest: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "s3Bucket": self.bucket,
            "s3Object": self.key,
            "hashValue": self.hash_value,
            "hashAlgorithm": HASH_ALGORITHM,
            "newestEventTime": format_time(self.newest),
            "oldestEventTime": format_time(self.oldest),
        }


@dataclass(frozen=True, slots=True)
class PreviousDigest:
    bucket: str
    key: str
    hash_value: str
    signature: str


def digest_document(
    *,
    account: str,
    start: datetime,
    end: datetime,
    bucket: str,
    key: str,
    fingerprint: str,
    previous: PreviousDigest | None,
    log_files: list[LogFileEntry],
) -> dict[str, Any]:
    """The digest's JSON, members in the order of AWS's example."""
    newest = max((f.newest for f in log_files), default=None)
    oldest = min((f.oldest for f in log_files), default=None)
    return {
        "awsAccountId": account,
        "digestStartTime": format_time(start),
        "digestEndTime": format_time(end),
        "digestS3Bucket": bucket,
        "digestS3Object": key,
        "digestPublicKeyFingerprint": fingerprint,
        "digestSignatureAlgorithm": SIGNATURE_ALGORITHM,
        "newestEventTime": format_time(newest) if newest else None,
        "oldestEventTime": format_time(oldest) if oldest else None,
        "previousDigestS3Bucket": previous.bucket if previous else None,
        "previousDigestS3Object": previous.key if previous else None,
        "previousDigestHashValue": previous.hash_value if previous else None,
        "previousDigestHashAlgorithm": HASH_ALGORITHM if previous else None,
        "previousDigestSignature": previous.signature if previous else None,
        "logFiles": [f.to_json() for f in log_files],
    }


def string_to_sign(document: dict[str, Any], raw: bytes) -> bytes:
    """What CloudTrail signs for the digest whose uncompressed bytes are ``raw``."""
    previous = document.get("previousDigestSignature") or "null"
    return (
        f"{document['digestEndTime']}\n"
        f"{document['digestS3Bucket']}/{document['digestS3Object']}\n"
        f"{sha256_hex(raw)}\n"
        f"{previous}"
    ).encode()


def sign(private_key: rsa.RSAPrivateKey, message: bytes) -> str:
    return private_key.sign(message, padding.PKCS1v15(), hashes.SHA256()).hex()


def signature_valid(public_key: rsa.RSAPublicKey, message: bytes, signature_hex: str) -> bool:
    try:
        signature = bytes.fromhex(signature_hex)
    except ValueError:
        return False
    try:
        public_key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def public_key_der(public_key: rsa.RSAPublicKey) -> bytes:
    """PKCS #1 ``RSAPublicKey`` DER: what ListPublicKeys returns (base64) in ``Value``."""
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)


def fingerprint(public_key: rsa.RSAPublicKey) -> str:
    return hashlib.md5(public_key_der(public_key), usedforsecurity=False).hexdigest()


def signature_metadata(signature: str) -> bytes:
    """The file written beside a digest: the S3 metadata CloudTrail would set on it."""
    body = {"signature": signature, "signature-algorithm": SIGNATURE_ALGORITHM}
    return (json.dumps(body, indent=2) + "\n").encode()


def encode_document(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()
