"""Console passwords, hashed with scrypt, a memory-hard KDF from the standard library.

A stored hash names its own parameters (``scrypt$n$r$p$salt$hash``, salt and hash in unpadded
base64), so the cost can be raised later without invalidating passwords already stored: old
hashes still verify with the parameters they carry, and :func:`needs_rehash` says when one
should be replaced at the next successful sign-in.

Memory-hard so that guessing a stolen hash costs memory as well as time (RFC 7914); the default
cost (N=2^15, r=8, p=1: 32 MiB per attempt) follows OWASP's password storage cheat sheet.
Verification compares in constant time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass

SCHEME = "scrypt"
N = 2**15
R = 8
P = 1
SALT_BYTES = 16
KEY_BYTES = 32
MAX_N = 2**20
"""Refuse stored parameters beyond this: a tampered row must not make a sign-in eat the host."""


@dataclass(frozen=True, slots=True)
class Params:
    n: int
    r: int
    p: int

    def maxmem(self) -> int:
        # scrypt needs 128 * r * n bytes; OpenSSL refuses anything over maxmem, so leave room.
        return 128 * self.r * self.n * 2 + 1024 * 1024


DEFAULT = Params(N, R, P)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def _derive(password: str, salt: bytes, params: Params, length: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=params.n,
        r=params.r,
        p=params.p,
        maxmem=params.maxmem(),
        dklen=length,
    )


def hash_password(password: str, params: Params = DEFAULT) -> str:
    """A fresh salted hash of ``password``, self-describing."""
    salt = secrets.token_bytes(SALT_BYTES)
    key = _derive(password, salt, params, KEY_BYTES)
    return f"{SCHEME}${params.n}${params.r}${params.p}${_b64(salt)}${_b64(key)}"


def _parse(stored: str) -> tuple[Params, bytes, bytes] | None:
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != SCHEME:
        return None
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt, key = _unb64(parts[4]), _unb64(parts[5])
    except (ValueError, binascii.Error):
        return None
    if n < 2 or n > MAX_N or n & (n - 1) or not 1 <= r <= 64 or not 1 <= p <= 16 or not key:
        return None
    return Params(n, r, p), salt, key


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` produced ``stored``; False for a wrong password or a bad hash."""
    parsed = _parse(stored)
    if parsed is None:
        return False
    params, salt, key = parsed
    return hmac.compare_digest(_derive(password, salt, params, len(key)), key)


def needs_rehash(stored: str, params: Params = DEFAULT) -> bool:
    """True when ``stored`` was made with other (older) parameters than ``params``."""
    parsed = _parse(stored)
    return parsed is None or parsed[0] != params
