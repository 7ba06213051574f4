"""Authentication: who sent a request. SigV4 verification lives in :mod:`iamd.auth.sigv4`."""

from iamd.auth.sigv4 import (
    CredentialLookup,
    SignedRequest,
    SigningSecret,
    VerifiedRequest,
    session_token,
    verify,
)

__all__ = [
    "CredentialLookup",
    "SignedRequest",
    "SigningSecret",
    "VerifiedRequest",
    "session_token",
    "verify",
]
