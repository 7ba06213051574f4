"""Whether a request is for the gateway or for iamd's own services, decided before its body is
read (so that gateway bodies stream).

Signed requests go by the service of their SigV4 credential scope: iamd answers ``iam``,
``sts``, ``access-analyzer`` and ``cloudtrail`` itself. Unsigned ones are iamd's when they have
iamd's shapes (its ``/_iamd/``, ``/.well-known/`` and ``/console`` pages, and form-encoded query
calls such as AssumeRoleWithWebIdentity, whose error for a missing signature is iamd's to give);
every other unsigned request is an anonymous S3 request.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any
from urllib.parse import unquote

from iamd.gateway.services import OWN_SERVICES

_OWN_PREFIXES = ("/_iamd/", "/.well-known/", "/console/")
_OWN_TARGETS = (b"com.amazonaws.cloudtrail.",)
"""``X-Amz-Target`` prefixes of the json services iamd serves itself."""


def _credential_service(authorization: bytes | None, query: bytes) -> str | None:
    if authorization is not None:
        text = authorization.decode("latin-1")
        if "Credential=" not in text:
            return None
        credential = text.split("Credential=", 1)[1].split(",", 1)[0]
    else:
        start = query.find(b"X-Amz-Credential=")
        if start < 0:
            return None
        end = query.find(b"&", start)
        raw = query[start + len(b"X-Amz-Credential=") : end if end >= 0 else None]
        text = raw.decode("latin-1").replace("%2F", "/").replace("%2f", "/")
        credential = unquote(text) if "%" in text else text
    parts = credential.split("/")
    return parts[3] if len(parts) == 5 else None


def for_gateway(scope: MutableMapping[str, Any]) -> bool:
    path: str = scope["path"]
    if path.startswith(_OWN_PREFIXES) or path == "/console":
        return False
    authorization = content_type = target = None
    for name, value in scope.get("headers", ()):
        lowered = name.lower()
        if lowered == b"authorization":
            authorization = value
        elif lowered == b"content-type":
            content_type = value
        elif lowered == b"x-amz-target":
            target = value
    query: bytes = scope.get("query_string", b"")
    if authorization is not None and authorization.startswith(b"AWS "):
        return True  # S3's Signature Version 2 (AWS key:signature): S3 refuses it with its error
    if authorization is not None or b"X-Amz-Credential=" in query:
        service = _credential_service(authorization, query)
        # A malformed signature is answered by iamd's own endpoint, as before.
        return service is not None and service not in OWN_SERVICES
    if b"X-Amz-Signature=" in query or b"Action=" in query:
        return False
    if target is not None and target.startswith(_OWN_TARGETS):
        return False  # an unsigned CloudTrail call: iamd answers it (with its json error)
    form = content_type is not None and content_type.lower().startswith(
        b"application/x-www-form-urlencoded"
    )
    return not (scope["method"] == "POST" and path == "/" and form)
