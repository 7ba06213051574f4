"""Who sent a gateway request: SigV4 against iamd's own credentials, long-term or session.

The same checks as iamd's IAM and STS endpoints (:func:`iamd.auth.sigv4.verify`, the access key
cache, sealed session tokens), with the scope's service being the one the gateway fronts. A
request with no signature at all is anonymous: only S3 serves those, and only what a public
bucket policy allows.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote_plus

from iamd.auth.key_ring import KeyRing
from iamd.auth.sigv4 import SignedRequest, SigningSecret, VerifiedRequest, session_token, verify
from iamd.authorize.credentials import DEV_ACCOUNT, Credentials, root_caller
from iamd.authorize.sessions import INVALID, caller_of, open_session, signing_secret
from iamd.errors import InvalidClientTokenId, SignatureDoesNotMatch
from iamd.server.last_used import LastUsed
from iamd.services.caller import Caller


@dataclass(frozen=True, slots=True)
class Authenticated:
    caller: Caller
    region: str
    verified: VerifiedRequest | None
    """None for an anonymous request."""


def credential_scope(headers: dict[str, str], raw_query: str) -> tuple[str, str, str] | None:
    """``(access key id, region, service)`` of a signed request, or None when it is unsigned."""
    text = headers.get("authorization", "")
    if "Credential=" in text:
        credential = text.split("Credential=", 1)[1].split(",", 1)[0].strip()
    elif "X-Amz-Credential=" in raw_query:
        credential = ""
        for piece in raw_query.split("&"):
            if piece.startswith("X-Amz-Credential="):
                credential = unquote_plus(piece[len("X-Amz-Credential=") :])
                break
    else:
        return None
    parts = credential.split("/")
    if len(parts) != 5:
        return ("", "", "")
    return parts[0], parts[2], parts[3]


def is_signed(headers: dict[str, str], raw_query: str) -> bool:
    return (
        "authorization" in headers
        or "X-Amz-Signature=" in raw_query
        or ("X-Amz-Algorithm=" in raw_query)
    )


def anonymous(account_id: str) -> Caller:
    return Caller(
        kind="Anonymous", arn="", account_id=account_id, principal_id="", name="", access_key_id=""
    )


class Authenticator:
    def __init__(
        self, credentials: Credentials, key_ring: KeyRing, last_used: LastUsed, dev: bool
    ) -> None:
        self.credentials = credentials
        self.key_ring = key_ring
        self.last_used = last_used
        self.dev = dev

    def authenticate(
        self, signed: SignedRequest, service: str, *, deferred_payload: bool = False
    ) -> Authenticated:
        services = {service}
        token = session_token(signed)
        if token is not None:
            scope = credential_scope(dict(signed.headers), signed.query)
            if not scope or not scope[0]:
                verify(signed, lambda key: None, allowed_services=services)
                raise InvalidClientTokenId(INVALID)
            claims = open_session(self.key_ring, token, scope[0])
            secret = signing_secret(claims)

            def lookup(key: str) -> SigningSecret | None:
                return secret if key == claims.access_key_id else None

            verified = verify(
                signed, lookup, allowed_services=services, deferred_payload=deferred_payload
            )
            return Authenticated(caller_of(claims), verified.region, verified)
        try:
            verified = verify(
                signed,
                self.credentials.lookup,
                allowed_services=services,
                deferred_payload=deferred_payload,
            )
        except (InvalidClientTokenId, SignatureDoesNotMatch):
            dev = self._dev_caller(signed)
            if dev is None:
                raise
            return dev
        resolved = self.credentials.resolve(verified.access_key_id)
        if resolved is None:
            raise InvalidClientTokenId(INVALID)
        self.last_used.record(verified.access_key_id, verified.service, verified.region)
        return Authenticated(resolved[1], verified.region, verified)

    def _dev_caller(self, signed: SignedRequest) -> Authenticated | None:
        """In --dev, a key iamd does not know acts as the root of the dev account, as on IAM."""
        if not self.dev:
            return None
        scope = credential_scope(dict(signed.headers), signed.query)
        if not scope or not scope[0] or self.credentials.lookup(scope[0]) is not None:
            return None
        return Authenticated(root_caller(DEV_ACCOUNT, scope[0]), scope[1], None)
