"""Every IAM and STS operation, round-tripped through botocore's own serializer and parser.

Requests: generated input -> botocore's query serializer -> our parser (and validator) -> the
same input.  Responses: generated output -> our serializer -> botocore's query parser -> the same
output.  Agreement with botocore on every operation is what lets boto3 and the aws CLI talk to
iamd unchanged.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import botocore
import pytest
from botocore.parsers import create_parser

from iamd.protocol import QueryProtocol, query_protocol

from .shapegen import Unsatisfiable, botocore_request, generate

SERVICES = ("iam", "sts")
CASES = [(s, op) for s in SERVICES for op in QueryProtocol(s).operation_names()]


def _input_roundtrip(service: str, name: str) -> None:
    proto = query_protocol(service)
    operation = proto.spec.operation(name)
    shape = operation.input_shape
    params = generate(shape) if shape is not None else {}
    body, query, content_type = botocore_request(operation, params)
    parsed = proto.parse(body, query, content_type)
    assert parsed.operation == name
    assert parsed.params == params


def _output_roundtrip(service: str, name: str) -> None:
    proto = query_protocol(service)
    operation = proto.spec.operation(name)
    shape = operation.output_shape
    result = generate(shape, output=True) if shape is not None else None
    body = proto.serialize(name, result, "req-1234")
    parsed = create_parser("query").parse({"body": body, "headers": {}, "status_code": 200}, shape)
    assert parsed.pop("ResponseMetadata")["RequestId"] == "req-1234"
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
    """At least 95% of operations (all of them, in practice) round-trip their inputs."""
    done = unsatisfiable = 0
    for service, operation in CASES:
        try:
            _input_roundtrip(service, operation)
            done += 1
        except Unsatisfiable:
            unsatisfiable += 1
    assert done / len(CASES) >= 0.95, f"{unsatisfiable} of {len(CASES)} inputs not generated"


def test_every_model_pattern_compiles() -> None:
    for service in SERVICES:
        proto = QueryProtocol(service)
        proto.warm()
        assert proto.skipped_patterns == frozenset()


def _examples(service: str) -> list[tuple[str, dict[str, Any]]]:
    folder = Path(botocore.__file__).parent / "data" / service
    (version,) = [p for p in folder.iterdir() if p.is_dir()]
    data = json.loads((version / "examples-1.json").read_text())["examples"]
    return [(op, ex["input"]) for op, examples in data.items() for ex in examples if "input" in ex]


EXAMPLES = [(s, op, params) for s in SERVICES for op, params in _examples(s)]


@pytest.mark.parametrize(("service", "operation", "params"), EXAMPLES)
def test_documented_examples_parse_and_validate(
    service: str, operation: str, params: dict[str, Any]
) -> None:
    """AWS's own documented example requests are read back exactly and pass validation."""
    proto = query_protocol(service)
    model = proto.spec.operation(operation)
    body, query, content_type = botocore_request(model, params)
    parsed = proto.parse(body, query, content_type)
    assert parsed.params == params
