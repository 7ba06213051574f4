"""Denials in each service's own error format, read back by botocore's own parsers."""

from __future__ import annotations

from typing import Any

from botocore.parsers import create_parser

from iamd.errors import AWSError
from iamd.gateway.responses import denied_code, render, s3_auth_error
from iamd.gateway.services import service_info


def parsed(service: str, error: AWSError) -> dict[str, Any]:
    info = service_info(service)
    assert info is not None and info.spec is not None
    answer = render(info, error, "req-1", head=False)
    protocol = "json" if info.protocol == "json" else info.protocol
    operation = info.spec.operation(info.spec.operation_names[0])
    response = {
        "status_code": answer.status,
        "headers": {k.decode(): v.decode() for k, v in answer.headers},
        "body": answer.body,
    }
    result: dict[str, Any] = create_parser(protocol).parse(response, operation.output_shape)
    return result


def denial(service: str) -> AWSError:
    info = service_info(service)
    assert info is not None
    return AWSError("User: x is not authorized", code=denied_code(info), status=403, sender=True)


def test_each_protocol_reads_back() -> None:
    for service, code in (
        ("s3", "AccessDenied"),
        ("ec2", "UnauthorizedOperation"),
        ("sns", "AuthorizationError"),
        ("dynamodb", "AccessDeniedException"),
        ("lambda", "AccessDeniedException"),
    ):
        error = parsed(service, denial(service))["Error"]
        assert (error["Code"], error["Message"]) == (code, "User: x is not authorized"), service


def test_query_compatible_json_names_the_query_code() -> None:
    info = service_info("sqs")
    assert info is not None
    answer = render(info, denial("sqs"), "req-1", head=False)
    assert (b"x-amzn-query-error", b"AccessDenied;Sender") in answer.headers


def test_head_answers_carry_no_body() -> None:
    info = service_info("s3")
    assert info is not None
    assert render(info, denial("s3"), "r", head=True).body == b""


def test_s3_words_authentication_failures_its_own_way() -> None:
    expired = AWSError("Signature expired: 20260101T000000Z is now earlier than ...", code="X")
    assert (s3_auth_error(expired, presigned=True).code, expired.message[:9]) == (
        "AccessDenied",
        "Signature",
    )
    assert s3_auth_error(expired, presigned=True).message == "Request has expired"
    assert s3_auth_error(expired, presigned=False).code == "RequestTimeTooSkewed"
    unknown = AWSError("The security token included in the request is invalid.",
                       code="InvalidClientTokenId")  # fmt: skip
    assert s3_auth_error(unknown, presigned=False).code == "InvalidAccessKeyId"
