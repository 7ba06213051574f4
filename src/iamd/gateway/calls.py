"""The gateway's own small calls to the backend (reading a resource's tags, the backend's
account), serialized and parsed by botocore from the service's model.

Each service speaks its own protocol (SNS and EC2 query, DynamoDB and KMS json, Lambda
rest-json); botocore's client-side serializers and parsers turn a dict of parameters into the
request AWS expects and the answer back into a dict, so no request or response format is
written by hand here. The call goes through the gateway's :class:`~iamd.gateway.forward.Forwarder`,
signed with the backend's credentials.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlencode

from botocore.awsrequest import HeadersDict  # type: ignore[import-untyped]
from botocore.parsers import create_parser  # type: ignore[import-untyped]
from botocore.serialize import create_serializer  # type: ignore[import-untyped]

from iamd.gateway.forward import Forwarder
from iamd.gateway.services import service_info
from iamd.gateway.signer import payload_hash


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    data: dict[str, Any]
    """The operation's output; for an error, botocore's ``{"Error": {"Code", "Message"}}``."""

    @property
    def ok(self) -> bool:
        return self.status < 300

    @property
    def code(self) -> str:
        error = self.data.get("Error")
        return str(error.get("Code", "")) if isinstance(error, dict) else ""


async def call(
    forwarder: Forwarder, signing_name: str, operation: str, params: dict[str, Any], region: str
) -> Answer:
    """Call ``operation`` of the service signed as ``signing_name`` on the backend.

    Raises ``ValueError`` for a service or operation botocore does not know (a programming
    error), ``OSError`` when the backend cannot be reached.
    """
    info = service_info(signing_name)
    model = info.spec.operation(operation) if info is not None and info.spec else None
    if info is None or model is None:
        raise ValueError(f"botocore has no operation {signing_name}:{operation}")
    request = _serializer(info.protocol).serialize_to_request(params, model)
    body = request["body"]
    if isinstance(body, dict):  # query protocols leave the form to the HTTP layer
        body = urlencode(body).encode()
    elif isinstance(body, str):
        body = body.encode()
    query = request["query_string"]
    if isinstance(query, dict):
        query = urlencode(query, doseq=True)
    headers = {k.lower(): v for k, v in request["headers"].items()}
    response = await forwarder.open(
        request["method"],
        request["url_path"],
        query,
        headers,
        service=signing_name,
        region=region,
        payload=payload_hash(body),
        body=body or None,
        length=len(body) if body else None,
    )
    async with response:
        raw = await response.read()
        status = response.status
        answer_headers = HeadersDict(
            {k.decode("latin-1"): v.decode("latin-1") for k, v in response.raw_headers}
        )
    parsed = _parser(info.protocol).parse(
        {"status_code": status, "headers": answer_headers, "body": raw}, model.output_shape
    )
    parsed.pop("ResponseMetadata", None)
    return Answer(status, parsed)


@cache
def _serializer(protocol: str) -> Any:
    return create_serializer(protocol, include_validation=True)


@cache
def _parser(protocol: str) -> Any:
    return create_parser(protocol)
