"""Secrets at rest, sealed with AES-256-GCM under the master key.

A sealed value is bound to where it is stored (the associated data names the row), so a sealed
secret copied into another row does not open.  The master key comes from ``IAMD_MASTER_KEY``
(base64 or hex of 32 bytes), from ``IAMD_MASTER_KEY_FILE``, or from ``master.key`` in the data
directory, which is created with mode 0600 on first start.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_FORMAT = b"\x01"
KEY_BYTES = 32


class SealError(Exception):
    """A sealed value that does not open: wrong key, wrong row, or tampered bytes."""


def _decode_key(text: str) -> bytes:
    text = text.strip()
    for decode in (bytes.fromhex, base64.b64decode, base64.urlsafe_b64decode):
        try:
            key = decode(text)
        except (ValueError, binascii.Error):
            continue
        if len(key) == KEY_BYTES:
            return key
    raise ValueError("the master key must be 32 bytes, given as hex or base64")


def load_master_key(data_dir: Path, env: Mapping[str, str] | None = None) -> bytes:
    env = os.environ if env is None else env
    if env.get("IAMD_MASTER_KEY"):
        return _decode_key(env["IAMD_MASTER_KEY"])
    path = Path(env["IAMD_MASTER_KEY_FILE"]) if env.get("IAMD_MASTER_KEY_FILE") else None
    if path is None:
        path = data_dir / "master.key"
        if not path.exists():
            data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(KEY_BYTES) + "\n")
    return _decode_key(path.read_text())


class Sealer:
    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError("the master key must be 32 bytes")
        self._aead = AESGCM(key)

    def seal(self, plaintext: bytes, where: str) -> bytes:
        nonce = secrets.token_bytes(12)
        return _FORMAT + nonce + self._aead.encrypt(nonce, plaintext, where.encode())

    def open(self, sealed: bytes, where: str) -> bytes:
        if not sealed.startswith(_FORMAT) or len(sealed) < 29:
            raise SealError("not a sealed value")
        try:
            return self._aead.decrypt(sealed[1:13], sealed[13:], where.encode())
        except InvalidTag:
            raise SealError("the sealed value does not open with this key here") from None
