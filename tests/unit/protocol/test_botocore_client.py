"""A real botocore client talking to the protocol layer, with no server in between.

The client's ``before-send`` hook hands each prepared HTTP request to a tiny in-process
"service", so the whole client pipeline runs: parameter validation, signing, serialization,
our parser, our serializer or error document, botocore's parser, ClientError.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import botocore.session
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.exceptions import ClientError

from iamd.errors import AWSError, NoSuchEntity
from iamd.protocol import ParsedRequest, query_protocol

CREATED = datetime(2024, 1, 1, tzinfo=UTC)


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def _service(request: ParsedRequest) -> dict[str, Any] | None:
    params = request.params
    if request.operation == "CreateUser":
        user = {
            "Path": params.get("Path", "/"),
            "UserName": params["UserName"],
            "UserId": "AIDAEXAMPLE",
            "Arn": f"arn:aws:iam::123456789012:user/{params['UserName']}",
            "CreateDate": CREATED,
            "Tags": params.get("Tags"),
        }
        return {"User": user}
    if request.operation == "GetUser":
        raise NoSuchEntity(f"The user with name {params['UserName']} cannot be found.")
    if request.operation == "GetCallerIdentity":
        return {"UserId": "AIDA", "Account": "123456789012", "Arn": "arn:aws:iam::1:user/x"}
    return None


def _client(service: str) -> Any:
    session = botocore.session.get_session()
    client = session.create_client(
        service,
        region_name="us-east-1",
        endpoint_url="https://iamd.invalid",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
        config=Config(retries={"max_attempts": 0}),
    )
    proto = query_protocol(service)

    def send(request: Any, **_: Any) -> AWSResponse:
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        query = urllib.parse.urlsplit(request.url).query
        try:
            parsed = proto.parse(body, query, request.headers.get("Content-Type", ""))
            status, payload = 200, proto.serialize(parsed.operation, _service(parsed), "rid-1")
        except AWSError as error:
            status, payload = proto.serialize_error(error, "rid-1")
        return AWSResponse(request.url, status, {}, _Raw(payload))

    client.meta.events.register(f"before-send.{service}", send)
    return client


def test_create_user_with_tags() -> None:
    iam = _client("iam")
    response = iam.create_user(UserName="alice", Tags=[{"Key": "team", "Value": "a+b = c/@é"}])
    user = response["User"]
    assert user["UserName"] == "alice"
    assert user["CreateDate"] == CREATED
    assert user["Tags"] == [{"Key": "team", "Value": "a+b = c/@é"}]
    assert response["ResponseMetadata"]["RequestId"] == "rid-1"


def test_modeled_error() -> None:
    iam = _client("iam")
    with pytest.raises(iam.exceptions.NoSuchEntityException) as caught:
        iam.get_user(UserName="ghost")
    error = caught.value.response["Error"]
    assert error["Code"] == "NoSuchEntity"
    assert error["Message"] == "The user with name ghost cannot be found."
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_server_side_validation_error() -> None:
    iam = _client("iam")
    # botocore checks min length only client-side; the pattern is the server's to enforce.
    with pytest.raises(ClientError) as caught:
        iam.create_user(UserName="bad name!")
    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationError"
    assert error["Message"].startswith("1 validation error detected: Value 'bad name!'")
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_sts() -> None:
    sts = _client("sts")
    assert sts.get_caller_identity()["Account"] == "123456789012"
