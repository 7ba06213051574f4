"""AWS wire protocols generated from botocore's service models.

The server sees every protocol through one interface, :class:`~.wire.WireProtocol`
(``wire_protocol("cloudtrail").parse(method, path, query, headers, body)``); the Query
protocol's own front door, for IAM and STS, is::

    iam = QueryProtocol("iam")
    request = iam.parse(body, query_string, content_type)   # raises iamd.errors.AWSError
    request.operation, request.params                       # "CreateUser", {"UserName": ...}
    body = iam.serialize("CreateUser", result, request_id)  # bytes of AWS's XML
    status, body = iam.serialize_error(error, request_id)

Behind it, one module per job: :mod:`.models` (loading the models), :mod:`.query_parser`,
:mod:`.validate` (AWS's ``ValidationError`` text), :mod:`.query_serializer` and :mod:`.errors`;
the json protocols are :mod:`.json_protocol` and :mod:`.rest_json_protocol`, sharing
:mod:`.json_values` and :mod:`.json_errors`.
Every per-operation plan is built on the operation's first use and kept; :meth:`warm` builds
them all ahead of time (for a server, before it takes traffic).

This package imports only botocore and :mod:`iamd.errors`.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from iamd.errors import AWSError, InvalidAction
from iamd.protocol.errors import error_status, serialize_error
from iamd.protocol.json_protocol import JsonProtocol
from iamd.protocol.models import ServiceSpec, load_service
from iamd.protocol.query_parser import QueryRequestParser, malformed
from iamd.protocol.query_serializer import QueryResponseSerializer
from iamd.protocol.rest_json_protocol import RestJsonProtocol
from iamd.protocol.validate import Checker, ValidatorCompiler, check
from iamd.protocol.wire import HttpResponse, ParsedRequest, WireProtocol

__all__ = [
    "HttpResponse",
    "JsonProtocol",
    "ParsedRequest",
    "QueryProtocol",
    "QueryWire",
    "RestJsonProtocol",
    "ServiceSpec",
    "WireProtocol",
    "load_service",
    "query_protocol",
    "wire_protocol",
]


class QueryProtocol:
    """The AWS Query protocol for one service: a botocore service name ("iam", "sts") or an
    already loaded :class:`ServiceSpec`."""

    def __init__(self, service: str | ServiceSpec) -> None:
        spec = load_service(service) if isinstance(service, str) else service
        if spec.protocol != "query":
            raise ValueError(f"{spec.name} speaks {spec.protocol!r}, not the query protocol")
        self.spec = spec
        self._parser = QueryRequestParser(spec)
        self._serializer = QueryResponseSerializer(spec)
        self._validators = ValidatorCompiler()
        self._checkers: dict[str, Checker | None] = {}

    @property
    def service(self) -> str:
        return self.spec.name

    @property
    def api_version(self) -> str:
        return self.spec.api_version

    @property
    def xml_namespace(self) -> str:
        return self.spec.xml_namespace

    def operation_names(self) -> tuple[str, ...]:
        return self.spec.operation_names

    def parse(
        self,
        body: bytes,
        query: str | bytes = "",
        content_type: str | bytes = "",
        *,
        validate: bool = True,
    ) -> ParsedRequest:
        """Read and (unless told not to) validate one request.

        Raises ``MissingAction``, ``InvalidAction``, ``ValidationError`` or
        ``MalformedQueryString`` (all :class:`iamd.errors.AWSError`), never anything else.
        """
        operation, params = self._parser.parse(body, query, content_type)
        if validate:
            try:
                check(self._checker(operation), params)
            except RecursionError:
                raise malformed("The request nests parameters too deeply.") from None
        return ParsedRequest(operation.name, params)

    def validate(self, operation: str, params: dict[str, Any]) -> None:
        """Check ``params`` against the operation's input shape (raises ``ValidationError``)."""
        check(self._checker(self._operation(operation)), params)

    def serialize(self, operation: str, result: Mapping[str, Any] | None, request_id: str) -> bytes:
        """AWS's XML response for an operation's result (a dict shaped like botocore's)."""
        return self._serializer.serialize(self._operation(operation), result, request_id)

    def serialize_error(self, error: AWSError, request_id: str) -> tuple[int, bytes]:
        """(HTTP status, AWS's ``ErrorResponse`` XML) for an error."""
        return serialize_error(self.spec, error, request_id)

    def error_status(self, error: AWSError) -> int:
        """The HTTP status AWS uses for an error (the model's, when it declares the code)."""
        return error_status(self.spec, error)[0]

    def warm(self) -> None:
        """Build every operation's parse, validation and response plans now."""
        for name in self.spec.operation_names:
            operation = self._operation(name)
            self._parser.plan(operation)
            self._checker(operation)
            self._serializer.serialize(operation, None, "")

    @property
    def skipped_patterns(self) -> frozenset[str]:
        """Model patterns not enforced because Python cannot reproduce them (ideally none)."""
        return frozenset(self._validators.skipped_patterns)

    def _operation(self, name: str) -> Any:
        operation = self.spec.operation(name)
        if operation is None:
            raise InvalidAction(
                f"Could not find operation {name} for version {self.spec.api_version}"
            )
        return operation

    def _checker(self, operation: Any) -> Checker | None:
        name = operation.name
        try:
            return self._checkers[name]
        except KeyError:
            checker = self._validators.compile(operation.input_shape)
            self._checkers[name] = checker
            return checker


@functools.cache
def query_protocol(service: str) -> QueryProtocol:
    """The process-wide :class:`QueryProtocol` of a service (its plans are shared)."""
    return QueryProtocol(service)


_XML_HEADERS = [(b"content-type", b"text/xml")]


class QueryWire:
    """:class:`QueryProtocol` behind the server's common interface: a pass-through, so the
    Query path keeps its speed (no copy of the body, the same precomputed headers)."""

    def __init__(self, protocol: QueryProtocol) -> None:
        self.protocol = protocol
        self._parse = protocol.parse
        self._serialize = protocol.serialize

    @property
    def service(self) -> str:
        return self.protocol.service

    def parse(
        self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> ParsedRequest:
        return self._parse(body, query, headers.get("content-type", ""))

    def serialize(
        self, operation: str, result: Mapping[str, Any] | None, request_id: str
    ) -> HttpResponse:
        return HttpResponse(200, _XML_HEADERS, self._serialize(operation, result, request_id))

    def serialize_error(self, error: AWSError, request_id: str) -> HttpResponse:
        status, body = self.protocol.serialize_error(error, request_id)
        return HttpResponse(status, _XML_HEADERS, body)

    def error_code(self, error: AWSError) -> str:
        return error.code

    def operation_of(
        self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> str | None:
        try:
            parsed = self._parse(body, query, headers.get("content-type", ""), validate=False)
        except AWSError:
            return None
        return parsed.operation

    def warm(self) -> None:
        self.protocol.warm()


@functools.cache
def wire_protocol(service: str) -> WireProtocol:
    """The process-wide protocol of a botocore service, whichever protocol it speaks."""
    spec = load_service(service)
    if spec.protocol == "query":
        return QueryWire(query_protocol(service))
    if spec.protocol == "json":
        return JsonProtocol(spec)
    if spec.protocol == "rest-json":
        return RestJsonProtocol(spec)
    raise ValueError(f"{service} speaks {spec.protocol!r}, which iamd does not serve")
