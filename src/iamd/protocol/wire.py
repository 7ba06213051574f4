"""The one interface the server uses for every wire protocol (query, json, rest-json).

A protocol reads an HTTP request into an operation and its input (:class:`ParsedRequest`) and
writes a result or an error back as an :class:`HttpResponse`; the server never needs to know
which protocol a service speaks.  Header names arrive lower-cased; response headers are the
bytes an ASGI server sends.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple, Protocol

from iamd.errors import AWSError

Headers = list[tuple[bytes, bytes]]


class ParsedRequest(NamedTuple):
    """A request read off the wire: the operation's name and its input, shaped as botocore's.

    A named tuple rather than a frozen dataclass: it is built on every request, and a frozen
    dataclass costs several times more to construct.
    """

    operation: str
    params: dict[str, Any]


class HttpResponse(NamedTuple):
    status: int
    headers: Headers
    body: bytes


class WireProtocol(Protocol):
    """What the server needs from a service's protocol."""

    @property
    def service(self) -> str: ...

    def parse(
        self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> ParsedRequest:
        """The operation and its validated input; raises :class:`AWSError` in AWS's terms."""
        ...

    def serialize(
        self, operation: str, result: Mapping[str, Any] | None, request_id: str
    ) -> HttpResponse:
        """AWS's success response for an operation's result (a dict shaped like botocore's)."""
        ...

    def serialize_error(self, error: AWSError, request_id: str) -> HttpResponse:
        """AWS's error response, in this protocol's format."""
        ...

    def error_code(self, error: AWSError) -> str:
        """The code a client of this protocol sees for ``error`` (for the audit event)."""
        ...

    def operation_of(
        self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> str | None:
        """The operation a request names, without validating anything (for the audit event
        of a request that failed before it was parsed); None when it names none."""
        ...

    def warm(self) -> None:
        """Build every per-operation plan now, before the server takes traffic."""
        ...
