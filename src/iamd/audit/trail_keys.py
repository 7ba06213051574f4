"""The RSA key pair that signs digest files, kept sealed in the store's ``server_keys`` table.

Generated once, on the first export, and shared by every process of the deployment (the
private key is sealed under the master key like every server key).  Keys are never deleted,
so a digest signed by an older key still verifies; ``public_keys`` lists them all, as
``aws cloudtrail list-public-keys`` does.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from iamd.audit.digest import fingerprint, public_key_der
from iamd.audit.layout import format_time
from iamd.store import Store
from iamd.store.repos.server_keys import ServerKey, ServerKeys

PURPOSE = "trail-digest"
KEY_SIZE = 2048


@dataclass(frozen=True, slots=True)
class DigestKey:
    key_id: str
    public: rsa.RSAPublicKey
    created: datetime
    retired: datetime | None

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public)

    def listing(self, now: datetime | None = None) -> dict[str, Any]:
        """One ``PublicKeyList`` member of ListPublicKeys (times as the aws CLI prints them)."""
        end = self.retired or now or datetime.now(UTC)
        return {
            "Value": base64.b64encode(public_key_der(self.public)).decode(),
            "ValidityStartTime": format_time(self.created),
            "ValidityEndTime": format_time(end),
            "Fingerprint": self.fingerprint,
        }

    def pem(self) -> str:
        return self.public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.PKCS1
        ).decode()


def _private(row: ServerKey) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(row.key, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"server key {row.key_id} is not an RSA key")
    return key


def public_keys(store: Store) -> list[DigestKey]:
    """Every digest-signing key, oldest first."""
    with store.read() as tx:
        rows = tx.repo(ServerKeys).all(PURPOSE)
    return [
        DigestKey(r.key_id, _private(r).public_key(), r.create_date, r.retired_date) for r in rows
    ]


def signing_key(store: Store) -> tuple[DigestKey, rsa.RSAPrivateKey]:
    """The newest live key, generated (RSA 2048) the first time a digest is signed."""
    with store.read() as tx:
        rows = [r for r in tx.repo(ServerKeys).all(PURPOSE) if r.retired_date is None]
    if rows:
        row = rows[-1]
    else:
        private = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        with store.write() as tx:
            row = tx.repo(ServerKeys).create(PURPOSE, pem)
    private = _private(row)
    return DigestKey(row.key_id, private.public_key(), row.create_date, None), private


def load_public_key_file(text: str) -> list[rsa.RSAPublicKey]:
    """Keys from a file: PEM (``RSA PUBLIC KEY`` or ``PUBLIC KEY``), or the JSON that
    ``iamd trail public-keys`` / ``aws cloudtrail list-public-keys`` print."""
    stripped = text.strip()
    if stripped.startswith("{"):
        listed = json.loads(stripped).get("PublicKeyList") or []
        return [_from_pkcs1_der(base64.b64decode(item["Value"])) for item in listed]
    keys: list[rsa.RSAPublicKey] = []
    for block in stripped.split("-----END ")[:-1]:
        begin = block.find("-----BEGIN ")
        kind = block[begin:].split("-----")[1] if begin >= 0 else ""
        pem = f"{block[begin:]}-----END {kind.removeprefix('BEGIN ')}-----\n".encode()
        keys.append(_rsa(serialization.load_pem_public_key(pem)))
    if not keys:
        raise ValueError("no public key found (expected PEM or list-public-keys JSON)")
    return keys


def _from_pkcs1_der(der: bytes) -> rsa.RSAPublicKey:
    """A PKCS #1 ``RSAPublicKey`` DER (ListPublicKeys' ``Value``), read through its PEM form."""
    body = base64.encodebytes(der)
    pem = b"-----BEGIN RSA PUBLIC KEY-----\n" + body + b"-----END RSA PUBLIC KEY-----\n"
    return _rsa(serialization.load_pem_public_key(pem))


def _rsa(key: Any) -> rsa.RSAPublicKey:
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("digest keys are RSA keys")
    return key
