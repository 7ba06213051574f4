"""The AWS JSON protocol (awsJson1_0 / awsJson1_1), as CloudTrail speaks it.

A request is ``POST /`` with ``X-Amz-Target: <targetPrefix>.<Operation>`` and the input as a
JSON object; the response is the output as a JSON object, and an error is
``{"__type": "Code", "message": "..."}`` with the error's status.  Bodies carry values as
:mod:`.json_values` reads and writes them (timestamps as epoch seconds).

Validation is the Query protocol's (:mod:`.validate`, AWS's constraint messages) under the json
services' code ``ValidationException``.  A service may answer some members' constraints itself
with its own errors (CloudTrail's LookupEvents says ``InvalidMaxResultsException`` where the
model only says "at most 50"): ``checked_by_service`` names those members, and the protocol
leaves them to the handler.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from iamd.errors import AWSError, SenderError, ValidationError
from iamd.protocol.json_errors import JsonError
from iamd.protocol.json_values import ReaderCompiler, WriterCompiler, serialization_error
from iamd.protocol.models import OperationModel, ServiceSpec, load_service
from iamd.protocol.validate import Checker, ValidatorCompiler, validation_error
from iamd.protocol.wire import Headers, HttpResponse, ParsedRequest

SERVICE_CHECKED: dict[str, dict[str, frozenset[str]]] = {
    # https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html
    # lists InvalidLookupAttributesException, InvalidMaxResultsException and
    # InvalidEventCategoryException for these members.
    "cloudtrail": {
        "LookupEvents": frozenset({"LookupAttributes", "MaxResults", "EventCategory"}),
    },
}
"""Members whose constraints the service checks itself, per service and operation."""


def unknown_operation(message: str = "") -> AWSError:
    """AWS's answer to a target naming no operation of the service."""
    return SenderError(message, code="UnknownOperationException")


def decode_body(body: bytes) -> Any:
    """The decoded JSON of a request body (an empty body is an empty object)."""
    if not body or not body.strip():
        return {}
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise serialization_error("The request body is not valid JSON.") from None


def dump(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode("utf-8")


class JsonProtocol:
    """The AWS JSON protocol for one service (a botocore service name, or a loaded spec)."""

    def __init__(
        self,
        service: str | ServiceSpec,
        checked_by_service: Mapping[str, frozenset[str]] | None = None,
    ) -> None:
        spec = load_service(service) if isinstance(service, str) else service
        if spec.protocol != "json":
            raise ValueError(f"{spec.name} speaks {spec.protocol!r}, not the json protocol")
        self.spec = spec
        metadata = spec.model.metadata
        self.target_prefix = str(metadata["targetPrefix"]) + "."
        self.content_type = f"application/x-amz-json-{metadata.get('jsonVersion', '1.0')}"
        self._headers: Headers = [(b"content-type", self.content_type.encode())]
        self._errors = JsonError(spec, rest=False)
        self._checked = dict(
            checked_by_service
            if checked_by_service is not None
            else SERVICE_CHECKED.get(spec.name, {})
        )
        self._readers = ReaderCompiler()
        self._writers = WriterCompiler("unixTimestamp")
        self._validators = ValidatorCompiler()
        self._plans: dict[str, tuple[Any, Checker | None, Any]] = {}

    @property
    def service(self) -> str:
        return self.spec.name

    def operation_names(self) -> tuple[str, ...]:
        return self.spec.operation_names

    # --- requests ------------------------------------------------------------------------

    def operation_of(
        self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> str | None:
        target = headers.get("x-amz-target", "")
        if not target.startswith(self.target_prefix):
            return None
        name = target[len(self.target_prefix) :]
        return name if self.spec.operation(name) is not None else None

    def parse(
        self,
        method: str,
        path: str,
        query: str,
        headers: Mapping[str, str],
        body: bytes,
        *,
        validate: bool = True,
    ) -> ParsedRequest:
        name = self.operation_of(method, path, query, headers, body)
        if name is None:
            target = headers.get("x-amz-target")
            raise unknown_operation(
                f"Unknown operation {target}" if target else "Missing X-Amz-Target header"
            )
        operation = self.spec.operation(name)
        reader, checker, _ = self._plan(operation)
        document = decode_body(body)
        if reader is None:
            if not isinstance(document, dict):
                raise serialization_error("The request body must be a JSON object.")
            return ParsedRequest(name, {})
        try:
            params = reader(document)
        except RecursionError:
            raise serialization_error("The request nests values too deeply.") from None
        if validate and checker is not None:
            problems = checker(params)
            if problems:
                raise _renamed(validation_error(problems))
        return ParsedRequest(name, params)

    # --- responses -----------------------------------------------------------------------

    def serialize(
        self, operation: str, result: Mapping[str, Any] | None, request_id: str
    ) -> HttpResponse:
        _, _, writer = self._plan(self._operation(operation))
        body = dump(writer(result or {})) if writer is not None else b"{}"
        return HttpResponse(200, self._headers, body)

    def serialize_error(self, error: AWSError, request_id: str) -> HttpResponse:
        status, code, fields = self._errors.describe(error)
        document: dict[str, Any] = {"__type": code, "message": error.message}
        for key, value in fields.items():
            document.setdefault(key, value)
        return HttpResponse(status, self._headers, dump(document))

    def error_code(self, error: AWSError) -> str:
        return self._errors.describe(error)[1]

    def warm(self) -> None:
        for name in self.spec.operation_names:
            self._plan(self._operation(name))

    # --- plans ---------------------------------------------------------------------------

    def _operation(self, name: str) -> OperationModel:
        operation = self.spec.operation(name)
        if operation is None:
            raise unknown_operation(f"Unknown operation {self.target_prefix}{name}")
        return operation

    def _plan(self, operation: OperationModel) -> tuple[Any, Checker | None, Any]:
        name = operation.name
        found = self._plans.get(name)
        if found is not None:
            return found
        shape = operation.input_shape
        reader = self._readers.compile(shape) if shape is not None else None
        checker = self._validators.compile(shape) if shape is not None else None
        exempt = self._checked.get(name)
        if checker is not None and exempt:
            checker = _without(checker, exempt)
        output = operation.output_shape
        writer = self._writers.compile(output) if output is not None else None
        plan = (reader, checker, writer)
        self._plans[name] = plan
        return plan


def _without(checker: Checker, exempt: frozenset[str]) -> Checker:
    """A checker that ignores the named top-level members (their handler checks them)."""

    def check_rest(value: Any) -> Any:
        return checker({k: v for k, v in value.items() if k not in exempt})

    return check_rest


def _renamed(error: ValidationError) -> AWSError:
    return SenderError(error.message, code="ValidationException")
