"""AWS's error codes and statuses as the json and rest-json services spell them.

The pipeline raises one set of errors for every service (``AccessDenied``,
``InvalidClientTokenId``, ``ValidationError`` ...), named as IAM and STS name them.  Services on
the json protocols answer the same conditions under other names: ``AccessDeniedException``,
``UnrecognizedClientException``, ``InvalidSignatureException``, ``ValidationException``.  The
awsJson services send these with status 400 (the "Common Errors" pages list
``AccessDeniedException`` as HTTP 400); rest-json services behind the same front door send the
authentication failures as 403.  A status the service model declares for the code always wins.
"""

from __future__ import annotations

from typing import Any

from iamd.errors import AWSError
from iamd.protocol.models import ServiceSpec

# pipeline code -> (json code, status on awsJson, status on rest-json)
RENAMED: dict[str, tuple[str, int, int]] = {
    "AccessDenied": ("AccessDeniedException", 400, 403),
    "ValidationError": ("ValidationException", 400, 400),
    "InvalidClientTokenId": ("UnrecognizedClientException", 400, 403),
    "SignatureDoesNotMatch": ("InvalidSignatureException", 400, 403),
    "IncompleteSignature": ("IncompleteSignatureException", 400, 403),
    "MissingAuthenticationToken": ("MissingAuthenticationTokenException", 400, 403),
    "ExpiredToken": ("ExpiredTokenException", 400, 403),
}


class JsonError:
    """How one json-protocol service names and answers errors."""

    def __init__(self, spec: ServiceSpec, rest: bool) -> None:
        self.spec = spec
        self.rest = rest
        self.internal = (
            "InternalServerException"
            if spec.error("InternalServerException") is not None
            else "InternalFailure"
        )

    def describe(self, error: AWSError) -> tuple[int, str, dict[str, Any]]:
        """(HTTP status, code, extra members of the error's shape) for an error."""
        code = error.code
        status = error.status
        renamed = RENAMED.get(code)
        if renamed is not None:
            code, json_status, rest_status = renamed
            status = rest_status if self.rest else json_status
        elif code in ("ServiceFailure", "InternalFailure"):
            code = self.internal
        declared = self.spec.error(code)
        if declared is not None and declared.status is not None:
            status = declared.status
        fields = getattr(error, "fields", None) or {}
        return status, code, dict(fields)
