"""Every CloudTrail (json) and Access Analyzer (rest-json) operation, round-tripped through
botocore's own serializer and parser, as test_roundtrip.py does for IAM and STS.

Requests: generated input -> botocore's json / rest-json serializer (URI labels, query string,
headers, JSON body) -> our parser and validator -> the same input.  Responses: generated output
-> our serializer -> botocore's parser -> the same output.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

import pytest
from botocore.awsrequest import create_request_object, prepare_request_dict
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from iamd.protocol import WireProtocol, wire_protocol

from .shapegen import Unsatisfiable, generate

SERVICES = ("cloudtrail", "accessanalyzer")
CASES = [(s, op) for s in SERVICES for op in wire_protocol(s).spec.operation_names]  # type: ignore[attr-defined]


def botocore_http(
    service: str, operation: Any, params: dict[str, Any]
) -> tuple[str, str, str, dict[str, str], bytes]:
    """(method, raw path, query, lower-cased headers, body) exactly as botocore sends them."""
    protocol = wire_protocol(service).spec.protocol  # type: ignore[attr-defined]
    serialized = create_serializer(protocol).serialize_to_request(params, operation)
    prepare_request_dict(serialized, endpoint_url="https://example.amazonaws.com")
    prepared = create_request_object(serialized).prepare()
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    url = urllib.parse.urlsplit(prepared.url)
    headers = {
        k.lower(): v if isinstance(v, str) else v.decode() for k, v in prepared.headers.items()
    }
    return prepared.method, url.path, url.query, headers, body


def _input_roundtrip(service: str, name: str) -> None:
    proto = wire_protocol(service)
    operation = proto.spec.operation(name)  # type: ignore[attr-defined]
    shape = operation.input_shape
    params = generate(shape) if shape is not None else {}
    parsed = proto.parse(*botocore_http(service, operation, params))
    assert parsed.operation == name
    assert parsed.params == params


def botocore_parse(proto: WireProtocol, shape: Any, status: int, headers: Any, body: bytes) -> Any:
    protocol = proto.spec.protocol  # type: ignore[attr-defined]
    response = {
        "body": body,
        "headers": {k.decode(): v.decode() for k, v in headers},
        "status_code": status,
    }
    return create_parser(protocol).parse(response, shape)


def _output_roundtrip(service: str, name: str) -> None:
    proto = wire_protocol(service)
    operation = proto.spec.operation(name)  # type: ignore[attr-defined]
    shape = operation.output_shape
    result = generate(shape, output=True) if shape is not None else None
    status, headers, body = proto.serialize(name, result, "req-1234")
    assert status == operation.http.get("responseCode", 200)
    parsed = botocore_parse(proto, shape, status, headers, body)
    parsed.pop("ResponseMetadata", None)
    assert parsed == (result or {})


@pytest.mark.parametrize(("service", "operation"), CASES)
def test_request_roundtrip(service: str, operation: str) -> None:
    try:
        _input_roundtrip(service, operation)
    except Unsatisfiable as why:
        pytest.skip(f"no generated input satisfies {why}")


@pytest.mark.parametrize(("service", "operation"), CASES)
def test_response_roundtrip(service: str, operation: str) -> None:
    _output_roundtrip(service, operation)


def test_round_trip_coverage() -> None:
    """At least 95% of operations round-trip their generated inputs."""
    done = 0
    for service, operation in CASES:
        try:
            _input_roundtrip(service, operation)
            done += 1
        except Unsatisfiable:
            pass
    assert done / len(CASES) >= 0.95


def test_minimal_requests_roundtrip() -> None:
    """Only the required members: the optional ones stay absent, not null or empty."""
    for service, name in CASES:
        proto = wire_protocol(service)
        operation = proto.spec.operation(name)  # type: ignore[attr-defined]
        shape = operation.input_shape
        if shape is None:
            continue
        try:
            full = generate(shape)
        except Unsatisfiable:
            continue
        required = set(shape.metadata.get("required", ()))
        params = {k: v for k, v in full.items() if k in required}
        parsed = proto.parse(*botocore_http(service, operation, params))
        assert parsed.params == params, name


def test_every_model_pattern_compiles() -> None:
    from iamd.protocol.validate import ValidatorCompiler

    for service in SERVICES:
        spec = wire_protocol(service).spec  # type: ignore[attr-defined]
        compiler = ValidatorCompiler()
        for name in spec.operation_names:
            compiler.compile(spec.operation(name).input_shape)
        assert compiler.skipped_patterns == set()
