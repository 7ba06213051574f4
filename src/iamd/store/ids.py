"""AWS-style unique ids and secrets: a four-letter prefix naming the kind, then random text.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-prefixes
"""

from __future__ import annotations

import secrets
import string

_ALPHABET = string.ascii_uppercase + string.digits
_SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"

PREFIXES = {
    "user": "AIDA",
    "group": "AGPA",
    "role": "AROA",
    "policy": "ANPA",
    "instance-profile": "AIPA",
    "access-key": "AKIA",
    "session-key": "ASIA",
    "server-certificate": "ASCA",
    "ssh-key": "APKA",
    "service-credential": "ACCA",
}


def new_id(kind: str) -> str:
    """A 21-character id (20 for access keys), as AWS issues them."""
    length = 16 if kind in ("access-key", "session-key") else 17
    return PREFIXES[kind] + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def new_secret(length: int = 40) -> str:
    return "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(length))


def new_account_id() -> str:
    return str(secrets.randbelow(9 * 10**11) + 10**11)
