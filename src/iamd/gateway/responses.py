"""Errors in the backend service's own format, so that its SDK reads them as AWS's.

S3 answers ``<Error>`` XML (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html);
EC2 ``<Response><Errors>`` XML with ``UnauthorizedOperation``
(https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html); other query and
rest-xml services ``<ErrorResponse>``; json services ``{"__type": ..., "message": ...}``
(rest-json ones also the ``x-amzn-ErrorType`` header).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from xml.sax.saxutils import escape

from iamd.errors import AWSError
from iamd.gateway.services import ServiceInfo

Headers = list[tuple[bytes, bytes]]

_DENIED_CODES = ("AccessDeniedException", "AccessDenied", "AuthorizationError")

# S3's own words for the authentication failures, by the generic code iamd raises.
_S3_AUTH: dict[str, tuple[str, str | None, int]] = {
    "InvalidClientTokenId": (
        "InvalidAccessKeyId",
        "The AWS Access Key Id you provided does not exist in our records.",
        403,
    ),
    "SignatureDoesNotMatch": ("SignatureDoesNotMatch", None, 403),
    "IncompleteSignature": ("AuthorizationHeaderMalformed", None, 400),
    "MissingAuthenticationToken": ("AccessDenied", "Access Denied", 403),
    "ExpiredToken": ("ExpiredToken", "The provided token has expired.", 400),
}


@dataclass(frozen=True, slots=True)
class ErrorResponse:
    status: int
    headers: Headers
    body: bytes


def denied_code(service: ServiceInfo) -> str:
    """The code the service answers a denial with."""
    if service.name == "s3":
        return "AccessDenied"
    if service.protocol == "ec2":
        return "UnauthorizedOperation"
    for code in _DENIED_CODES:
        if code in service.error_codes:
            return code
    return "AccessDeniedException" if "json" in service.protocol else "AccessDenied"


def denied_status(service: ServiceInfo) -> int:
    """The HTTP status of a denial: 400 for the json protocol (DynamoDB, KMS, SQS ...), 403
    for the others, rest-json included (Lambda, API Gateway).
    https://docs.aws.amazon.com/lambda/latest/api/CommonErrors.html
    https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/CommonErrors.html
    """
    return 400 if service.protocol == "json" else 403


def s3_auth_error(error: AWSError, presigned: bool) -> AWSError:
    """An authentication failure as S3 words it."""
    if presigned and error.message.startswith("Signature expired"):
        return AWSError("Request has expired", code="AccessDenied", status=403, sender=True)
    if error.message.startswith("Signature expired") or error.message.startswith(
        "Signature not yet current"
    ):
        return AWSError(
            "The difference between the request time and the current time is too large.",
            code="RequestTimeTooSkewed",
            status=403,
            sender=True,
        )
    mapped = _S3_AUTH.get(error.code)
    if mapped is None:
        return error
    code, message, status = mapped
    return AWSError(message or error.message, code=code, status=status, sender=True)


def render(service: ServiceInfo, error: AWSError, request_id: str, head: bool) -> ErrorResponse:
    code, message = error.code, error.message
    rid = request_id.encode()
    if service.name == "s3" or service.protocol == "rest-xml":
        if service.name == "s3":
            body = (
                '<?xml version="1.0" encoding="UTF-8"?>\n'
                f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
                f"<RequestId>{request_id}</RequestId><HostId>{request_id}</HostId></Error>"
            )
            headers: Headers = [(b"x-amz-request-id", rid), (b"x-amz-id-2", rid)]
        else:
            body = _error_response(code, message, request_id, error.sender)
            headers = [(b"x-amzn-requestid", rid)]
        headers.append((b"content-type", b"application/xml"))
    elif service.protocol == "ec2":
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Response><Errors><Error><Code>{escape(code)}</Code>"
            f"<Message>{escape(message)}</Message></Error></Errors>"
            f"<RequestID>{request_id}</RequestID></Response>"
        )
        headers = [(b"content-type", b"text/xml;charset=UTF-8")]
    elif service.protocol == "query":
        body = _error_response(code, message, request_id, error.sender)
        headers = [(b"content-type", b"text/xml"), (b"x-amzn-requestid", rid)]
    else:
        body = json.dumps({"__type": code, "message": message, "Message": message})
        content_type = (
            f"application/x-amz-json-{service.json_version}"
            if service.protocol == "json"
            else "application/json"
        )
        headers = [
            (b"content-type", content_type.encode()),
            (b"x-amzn-requestid", rid),
            (b"x-amzn-errortype", code.encode()),
        ]
        if service.query_compatible:
            # The query protocol's name for the error, which query-compatible SDKs report.
            fault = "Sender" if error.sender else "Receiver"
            query_code = "AccessDenied" if code == "AccessDeniedException" else code
            headers.append((b"x-amzn-query-error", f"{query_code};{fault}".encode()))
    payload = b"" if head else body.encode()
    return ErrorResponse(error.status, headers, payload)


def _error_response(code: str, message: str, request_id: str, sender: bool) -> str:
    return (
        "<ErrorResponse><Error>"
        f"<Type>{'Sender' if sender else 'Receiver'}</Type>"
        f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
        f"<RequestId>{request_id}</RequestId></ErrorResponse>"
    )
