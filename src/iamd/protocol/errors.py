"""AWS-format error responses for the Query protocol.

IAM and STS answer every failure with the same document::

    <ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
      <Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>...</Message></Error>
      <RequestId>...</RequestId>
    </ErrorResponse>

(without the whitespace).  When the service model declares the error code, the model's HTTP
status and sender/receiver fault win over the raising code's defaults, so a client sees exactly
the status AWS documents for that code.
"""

from __future__ import annotations

from iamd.errors import AWSError
from iamd.protocol.models import ServiceSpec
from iamd.protocol.query_serializer import escape


def error_status(spec: ServiceSpec, error: AWSError) -> tuple[int, bool]:
    """(HTTP status, sender fault) of an error: the model's when it declares the code."""
    declared = spec.error(error.code)
    if declared is None:
        return error.status, error.sender
    status = declared.status if declared.status is not None else error.status
    return status, declared.sender


def serialize_error(spec: ServiceSpec, error: AWSError, request_id: str) -> tuple[int, bytes]:
    """(HTTP status, body) of AWS's ``ErrorResponse`` for ``error``."""
    status, sender = error_status(spec, error)
    namespace = escape(spec.xml_namespace).replace('"', "&quot;")
    body = (
        f'<ErrorResponse xmlns="{namespace}"><Error>'
        f"<Type>{'Sender' if sender else 'Receiver'}</Type>"
        f"<Code>{escape(error.code)}</Code>"
        f"<Message>{escape(error.message)}</Message>"
        f"</Error><RequestId>{escape(request_id)}</RequestId></ErrorResponse>"
    )
    return status, body.encode("utf-8")
