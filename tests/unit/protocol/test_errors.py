"""AWS ErrorResponse documents, read back by botocore as a client would."""

from __future__ import annotations

from typing import Any

from botocore.parsers import create_parser

from iamd.errors import (
    AccessDenied,
    AWSError,
    LimitExceeded,
    NoSuchEntity,
    ServiceFailure,
    ValidationError,
)
from iamd.protocol import query_protocol


def botocore_error(service: str, error: AWSError) -> tuple[int, dict[str, Any]]:
    status, body = query_protocol(service).serialize_error(error, "req-9")
    parsed: dict[str, Any] = create_parser("query").parse(
        {"body": body, "headers": {}, "status_code": status}, None
    )
    return status, parsed


def test_error_document() -> None:
    status, body = query_protocol("iam").serialize_error(NoSuchEntity("nope"), "req-9")
    assert status == 404
    assert body == (
        b'<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error>'
        b"<Type>Sender</Type><Code>NoSuchEntity</Code><Message>nope</Message>"
        b"</Error><RequestId>req-9</RequestId></ErrorResponse>"
    )


def test_botocore_reads_code_message_and_request_id() -> None:
    status, parsed = botocore_error("iam", NoSuchEntity("The user with name bob cannot be found."))
    assert status == 404
    assert parsed["Error"] == {
        "Type": "Sender",
        "Code": "NoSuchEntity",
        "Message": "The user with name bob cannot be found.",
    }
    assert parsed["ResponseMetadata"]["RequestId"] == "req-9"


def test_model_status_wins() -> None:
    # The IAM model declares LimitExceeded as 409 and ReportInProgress as 404.
    assert botocore_error("iam", LimitExceeded("x", status=400))[0] == 409
    assert botocore_error("iam", AWSError("x", code="ReportInProgress", status=400))[0] == 404
    # STS declares its own codes too.
    status, parsed = botocore_error("sts", AWSError("x", code="ExpiredTokenException"))
    assert (status, parsed["Error"]["Type"]) == (400, "Sender")


def test_codes_the_model_does_not_declare_keep_their_own_status() -> None:
    assert botocore_error("iam", AccessDenied("no"))[0] == 403
    assert botocore_error("iam", ValidationError("bad"))[0] == 400
    status, parsed = botocore_error("sts", AWSError("boom"))
    assert (status, parsed["Error"]["Code"], parsed["Error"]["Type"]) == (
        500,
        "InternalFailure",
        "Receiver",
    )


def test_receiver_faults() -> None:
    status, parsed = botocore_error("iam", ServiceFailure("down"))
    assert (status, parsed["Error"]["Type"]) == (500, "Receiver")


def test_messages_are_escaped() -> None:
    message = "Value '<x>' & \"y\" at 'userName'"
    _, parsed = botocore_error("iam", ValidationError(message))
    assert parsed["Error"]["Message"] == message
    assert query_protocol("iam").error_status(ValidationError("x")) == 400
