"""The AWS REST-JSON protocol, as IAM Access Analyzer speaks it.

Each operation has a method and a URI template (``GET /analyzer/{analyzerName}``); input members
are bound to URI labels, query parameters, headers or the JSON body, as the model's
``location`` traits say, and output members to headers, the status code or the body.  An error
is the model's status with ``x-amzn-ErrorType: Code`` and ``{"message": "..."}`` plus the error
shape's other members (``reason``, ``fieldList`` ...).

Routes are compiled once into one regular expression per (method, template); a path matching no
template is AWS's ``UnknownOperationException`` (404).  Input validation reuses
:mod:`.validate`; Access Analyzer's ``ValidationException`` adds ``reason`` and ``fieldList``.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote

from iamd.errors import AWSError, SenderError
from iamd.protocol.json_errors import JsonError
from iamd.protocol.json_protocol import decode_body, dump
from iamd.protocol.json_values import (
    ReaderCompiler,
    WriterCompiler,
    parse_timestamp,
    serialization_error,
    timestamp_writer,
)
from iamd.protocol.models import OperationModel, ServiceSpec, Shape, load_service
from iamd.protocol.validate import Checker, ValidatorCompiler, Violation, validation_message
from iamd.protocol.wire import Headers, HttpResponse, ParsedRequest

_LABEL = re.compile(r"\{([^}]+)\}")


def unknown_operation(method: str, path: str) -> AWSError:
    return SenderError(
        f"No operation matches {method} {path}", code="UnknownOperationException", status=404
    )


def _bad_value(member: str, value: str, constraint: str) -> AWSError:
    message = validation_message([Violation(member, value, constraint)])
    error = SenderError(message, code="ValidationException")
    error.fields = {
        "reason": "fieldValidationFailed",
        "fieldList": [{"name": member, "message": constraint}],
    }
    return error


# --- scalars bound outside the body (URI, query string, headers) -------------------------


def _text_reader(shape: Shape, where: str) -> Callable[[str, str], Any]:
    """Reads a member's text from the URI, the query string or a header (``where``)."""
    kind = shape.type_name
    if kind in ("integer", "long"):

        def read_integer(member: str, text: str) -> Any:
            try:
                return int(text)
            except ValueError:
                raise _bad_value(member, text, "Member must be a valid integer") from None

        return read_integer
    if kind in ("float", "double"):

        def read_float(member: str, text: str) -> Any:
            try:
                return float(text)
            except ValueError:
                raise _bad_value(member, text, "Member must be a valid number") from None

        return read_float
    if kind == "boolean":

        def read_boolean(member: str, text: str) -> Any:
            lowered = text.lower()
            if lowered not in ("true", "false"):
                raise _bad_value(member, text, "Member must be a boolean (true or false)")
            return lowered == "true"

        return read_boolean
    if kind == "timestamp":

        def read_timestamp(member: str, text: str) -> Any:
            try:
                return parse_timestamp(text)
            except AWSError:
                raise _bad_value(member, text, "Member must be a valid timestamp") from None

        return read_timestamp
    if kind == "string" and shape.serialization.get("jsonvalue") and where == "header":

        def read_json_header(member: str, text: str) -> Any:
            try:
                return json.loads(base64.b64decode(text))
            except ValueError:
                raise _bad_value(member, text, "Member must be base64-encoded JSON") from None

        return read_json_header

    def read_text(member: str, text: str) -> Any:
        return text

    return read_text


def _header_text(shape: Shape) -> Callable[[Any], str]:
    kind = shape.type_name
    if kind == "boolean":
        return lambda value: "true" if value else "false"
    if kind == "timestamp":
        write = timestamp_writer(shape, "rfc822")
        return lambda value: str(write(value))
    if kind == "string" and shape.serialization.get("jsonvalue"):
        return lambda value: base64.b64encode(dump(value)).decode("ascii")
    return str


# --- per-operation plans -------------------------------------------------------------------


@dataclass(slots=True)
class _Route:
    operation: str
    method: str
    pattern: re.Pattern[str]
    labels: dict[str, tuple[str, Callable[[str, str], Any]]]
    """regex group -> (member, reader)"""
    required_query: tuple[tuple[str, str | None], ...]
    literal_segments: int


@dataclass(slots=True)
class _InputPlan:
    query: dict[str, tuple[str, Shape, Callable[[str, str], Any]]]
    query_map: str | None
    headers: dict[str, tuple[str, Callable[[str, str], Any]]]
    header_prefixes: list[tuple[str, str]]
    payload: tuple[str, Shape] | None
    body_reader: Callable[[Any], Any] | None
    checker: Checker | None


@dataclass(slots=True)
class _OutputPlan:
    status: int
    headers: list[tuple[str, bytes, Callable[[Any], str]]]
    header_prefixes: list[tuple[str, str]]
    status_member: str | None
    payload: tuple[str, Shape, Callable[[Any], Any]] | None
    body_writer: Callable[[Any], Any] | None


def _route(operation: OperationModel) -> _Route:
    http = operation.http
    uri, _, literal_query = str(http["requestUri"]).partition("?")
    members = operation.input_shape.members if operation.input_shape is not None else {}
    by_label = {
        str(shape.serialization.get("name", name)): (name, shape)
        for name, shape in members.items()
        if shape.serialization.get("location") == "uri"
    }
    pattern = ["^"]
    labels: dict[str, tuple[str, Callable[[str, str], Any]]] = {}
    position = 0
    for index, match in enumerate(_LABEL.finditer(uri)):
        pattern.append(re.escape(uri[position : match.start()]))
        label = match.group(1)
        greedy = label.endswith("+")
        label = label.rstrip("+")
        group = f"g{index}"
        pattern.append(f"(?P<{group}>.+)" if greedy else f"(?P<{group}>[^/]+)")
        member, shape = by_label[label]
        labels[group] = (member, _text_reader(shape, "uri"))
        position = match.end()
    pattern.append(re.escape(uri[position:]))
    pattern.append("/?$" if not uri.endswith("/") else "$")
    required = tuple(
        (name, value if value else None)
        for name, value in parse_qsl(literal_query, keep_blank_values=True)
    )
    literal = len([s for s in uri.split("/") if s and "{" not in s])
    return _Route(
        operation.name,
        str(http["method"]).upper(),
        re.compile("".join(pattern)),
        labels,
        required,
        literal,
    )


class RestJsonProtocol:
    """The AWS REST-JSON protocol for one service (a botocore service name, or a loaded spec)."""

    content_type = "application/json"

    def __init__(self, service: str | ServiceSpec) -> None:
        spec = load_service(service) if isinstance(service, str) else service
        if spec.protocol != "rest-json":
            raise ValueError(f"{spec.name} speaks {spec.protocol!r}, not rest-json")
        self.spec = spec
        self._errors = JsonError(spec, rest=True)
        self._readers = ReaderCompiler()
        self._writers = WriterCompiler("unixTimestamp")
        self._validators = ValidatorCompiler()
        self._inputs: dict[str, _InputPlan] = {}
        self._outputs: dict[str, _OutputPlan] = {}
        routes = [_route(spec.operation(name)) for name in spec.operation_names]
        # Literal segments win over labels (``/analyzer/findings/statistics`` before
        # ``/analyzer/{analyzerName}``), as in AWS's routers.
        routes.sort(key=lambda r: (-r.literal_segments, -len(r.required_query)))
        self._routes: dict[str, list[_Route]] = {}
        for route in routes:
            self._routes.setdefault(route.method, []).append(route)

    @property
    def service(self) -> str:
        return self.spec.name

    def operation_names(self) -> tuple[str, ...]:
        return self.spec.operation_names

    # --- requests ------------------------------------------------------------------------

    def _match(
        self, method: str, path: str, query: list[tuple[str, str]]
    ) -> tuple[_Route, dict[str, Any]] | None:
        present = dict(query)
        for route in self._routes.get(method.upper(), ()):
            found = route.pattern.match(path)
            if found is None:
                continue
            if any(
                name not in present or (value is not None and present[name] != value)
                for name, value in route.required_query
            ):
                continue
            params: dict[str, Any] = {}
            for group, (member, read) in route.labels.items():
                params[member] = read(member, _unquote(found.group(group)))
            return route, params
        return None

    def operation_of(
        self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> str | None:
        try:
            matched = self._match(method, path.partition("?")[0], _query_pairs(query))
        except AWSError:
            return None
        return matched[0].operation if matched is not None else None

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
        path = path.partition("?")[0] or "/"
        pairs = _query_pairs(query)
        matched = self._match(method, path, pairs)
        if matched is None:
            raise unknown_operation(method, _unquote(path))
        route, params = matched
        operation = self.spec.operation(route.operation)
        plan = self._input(operation)
        if plan.query or plan.query_map:
            bound: set[str] = set()
            for name, value in pairs:
                entry = plan.query.get(name)
                if entry is None:
                    continue
                member, shape, read = entry
                bound.add(name)
                if shape.type_name == "list":
                    params.setdefault(member, []).append(read(member, value))
                elif member not in params:
                    params[member] = read(member, value)
            if plan.query_map is not None:
                extra: dict[str, Any] = {}
                for name, value in pairs:
                    if name not in bound:
                        extra.setdefault(name, value)
                if extra:
                    params[plan.query_map] = extra
        for name, (member, read) in plan.headers.items():
            text = headers.get(name)
            if text is not None:
                params[member] = read(member, text)
        for prefix, member in plan.header_prefixes:
            found = {k[len(prefix) :]: v for k, v in headers.items() if k.startswith(prefix)}
            if found:
                params[member] = found
        if plan.payload is not None:
            member, shape = plan.payload
            if shape.type_name == "blob":
                if body:
                    params[member] = body
            elif shape.type_name == "string":
                if body:
                    params[member] = body.decode("utf-8", "replace")
            elif body.strip():
                params[member] = self._readers.compile(shape)(decode_body(body))
        elif plan.body_reader is not None:
            document = decode_body(body)
            try:
                params.update(plan.body_reader(document))
            except RecursionError:
                raise serialization_error("The request nests values too deeply.") from None
        if validate and plan.checker is not None:
            problems = plan.checker(params)
            if problems:
                raise validation_exception(problems)
        return ParsedRequest(route.operation, params)

    # --- responses -----------------------------------------------------------------------

    def serialize(
        self, operation: str, result: Mapping[str, Any] | None, request_id: str
    ) -> HttpResponse:
        plan = self._output(self._operation(operation))
        result = result or {}
        headers: Headers = [(b"content-type", b"application/json")]
        for member, name, text in plan.headers:
            value = result.get(member)
            if value is not None:
                headers.append((name, text(value).encode("utf-8")))
        for prefix, member in plan.header_prefixes:
            for key, value in (result.get(member) or {}).items():
                headers.append(((prefix + key).lower().encode(), str(value).encode("utf-8")))
        status = plan.status
        if plan.status_member is not None and result.get(plan.status_member) is not None:
            status = int(result[plan.status_member])
        if plan.payload is not None:
            member, shape, writer = plan.payload
            value = result.get(member)
            if shape.type_name == "blob":
                body = bytes(value) if value is not None else b""
                headers[0] = (b"content-type", b"application/octet-stream")
            elif shape.type_name == "string":
                body = str(value).encode("utf-8") if value is not None else b""
                headers[0] = (b"content-type", b"text/plain")
            else:
                body = dump(writer(value)) if value is not None else b"{}"
        elif plan.body_writer is not None:
            body = dump(plan.body_writer(result))
        else:
            body = b"{}"
        return HttpResponse(status, headers, body)

    def serialize_error(self, error: AWSError, request_id: str) -> HttpResponse:
        status, code, fields = self._errors.describe(error)
        document: dict[str, Any] = {"message": error.message}
        for key, value in fields.items():
            document.setdefault(key, value)
        headers: Headers = [
            (b"content-type", b"application/json"),
            (b"x-amzn-errortype", code.encode("utf-8")),
        ]
        return HttpResponse(status, headers, dump(document))

    def error_code(self, error: AWSError) -> str:
        return self._errors.describe(error)[1]

    def warm(self) -> None:
        for name in self.spec.operation_names:
            operation = self._operation(name)
            self._input(operation)
            self._output(operation)

    # --- plans ---------------------------------------------------------------------------

    def _operation(self, name: str) -> OperationModel:
        operation = self.spec.operation(name)
        if operation is None:
            raise SenderError(f"Unknown operation {name}", code="UnknownOperationException")
        return operation

    def _input(self, operation: OperationModel) -> _InputPlan:
        found = self._inputs.get(operation.name)
        if found is not None:
            return found
        shape = operation.input_shape
        query: dict[str, tuple[str, Shape, Callable[[str, str], Any]]] = {}
        query_map: str | None = None
        headers: dict[str, tuple[str, Callable[[str, str], Any]]] = {}
        prefixes: list[tuple[str, str]] = []
        payload = None
        has_body = False
        if shape is not None:
            payload_name = shape.serialization.get("payload")
            for member, member_shape in shape.members.items():
                location = member_shape.serialization.get("location")
                wire = str(member_shape.serialization.get("name", member))
                if location == "querystring":
                    if member_shape.type_name == "map":
                        query_map = member
                        continue
                    element = (
                        member_shape.member if member_shape.type_name == "list" else member_shape
                    )
                    query[wire] = (member, member_shape, _text_reader(element, "query"))
                elif location == "header":
                    headers[wire.lower()] = (member, _text_reader(member_shape, "header"))
                elif location == "headers":
                    prefixes.append((wire.lower(), member))
                elif location is None:
                    if member == payload_name:
                        payload = (member, member_shape)
                    else:
                        has_body = True
        body_reader = (
            self._readers.compile(shape)
            if shape is not None and payload is None and has_body
            else None
        )
        checker = self._validators.compile(shape) if shape is not None else None
        plan = _InputPlan(query, query_map, headers, prefixes, payload, body_reader, checker)
        self._inputs[operation.name] = plan
        return plan

    def _output(self, operation: OperationModel) -> _OutputPlan:
        found = self._outputs.get(operation.name)
        if found is not None:
            return found
        shape = operation.output_shape
        status = int(operation.http.get("responseCode", 200))
        headers: list[tuple[str, bytes, Callable[[Any], str]]] = []
        prefixes: list[tuple[str, str]] = []
        status_member = None
        payload = None
        has_body = False
        if shape is not None:
            payload_name = shape.serialization.get("payload")
            for member, member_shape in shape.members.items():
                location = member_shape.serialization.get("location")
                wire = str(member_shape.serialization.get("name", member))
                if location == "header":
                    headers.append((member, wire.lower().encode(), _header_text(member_shape)))
                elif location == "headers":
                    prefixes.append((wire, member))
                elif location == "statusCode":
                    status_member = member
                elif location is None:
                    if member == payload_name:
                        payload = (member, member_shape, self._writers.compile(member_shape))
                    else:
                        has_body = True
        body_writer = (
            self._writers.compile(shape)
            if shape is not None and payload is None and has_body
            else None
        )
        plan = _OutputPlan(status, headers, prefixes, status_member, payload, body_writer)
        self._outputs[operation.name] = plan
        return plan


def validation_exception(problems: list[Violation]) -> AWSError:
    """Access Analyzer's ``ValidationException``: AWS's constraint message, with the failing
    fields listed (``reason`` and ``fieldList`` are members of its error shape)."""
    error = SenderError(validation_message(problems), code="ValidationException")
    error.fields = {
        "reason": "fieldValidationFailed",
        "fieldList": [{"name": p.path, "message": p.constraint} for p in problems],
    }
    return error


def _unquote(text: str) -> str:
    if "%" not in text:
        return text
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError:
        raise SenderError(
            "The request path is not valid UTF-8.", code="SerializationException"
        ) from None


def _query_pairs(query: str) -> list[tuple[str, str]]:
    if not query:
        return []
    try:
        return parse_qsl(query, keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise SenderError(
            "The query string is not valid UTF-8.", code="SerializationException"
        ) from None
