"""Which S3 operation a REST request is, read from botocore's S3 model.

S3 has no ``Action`` parameter: an operation is known by its method, whether the path names a
bucket or an object, the sub-resource markers in its query (``?acl``, ``?uploads``,
``?list-type=2``) and the query parameters and headers it requires (``uploadId`` makes a GET on an
object ListParts; ``x-amz-copy-source`` makes a PUT CopyObject). All of that is in the model's
``requestUri`` and input shapes, so every operation botocore knows is recognised without a
hand-written table; the most specific match wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from iamd.protocol.models import load_service

# Operations the model lists twice under one request shape: the older names are deprecated.
_PREFERRED = frozenset({"ListBuckets"})


@dataclass(frozen=True, slots=True)
class _Shape:
    name: str
    method: str
    kind: str
    """``service`` (``/``), ``bucket`` or ``object``."""
    markers: tuple[tuple[str, str | None], ...]
    """Query parameters fixed by the URI: ``("list-type", "2")``, ``("acl", None)``."""
    required_query: frozenset[str]
    required_headers: frozenset[str]
    rank: int


def _parse_uri(uri: str) -> tuple[str, tuple[tuple[str, str | None], ...]]:
    path, _, query = uri.partition("?")
    if path == "/":
        kind = "service"
    elif "{Key+}" in path:
        kind = "object"
    elif path.startswith("/{Bucket}"):
        kind = "bucket"
    else:
        kind = "other"
    markers: list[tuple[str, str | None]] = []
    for item in filter(None, query.split("&")):
        name, equals, value = item.partition("=")
        markers.append((name, value if equals else None))
    return kind, tuple(markers)


@cache
def _shapes() -> tuple[_Shape, ...]:
    model = load_service("s3").model
    shapes = []
    for name in model.operation_names:
        op = model.operation_model(name)
        kind, markers = _parse_uri(op.http["requestUri"])
        required_query: set[str] = set()
        required_headers: set[str] = set()
        shape = op.input_shape
        if shape is not None:
            required = set(shape.required_members)
            for member, member_shape in shape.members.items():
                if member not in required:
                    continue
                where = member_shape.serialization.get("location")
                if where == "querystring":
                    required_query.add(member_shape.serialization["name"])
                elif where == "header":
                    required_headers.add(member_shape.serialization["name"].lower())
        rank = len(markers) * 4 + len(required_query) * 2 + len(required_headers) * 2
        rank = rank * 4 + (0 if op.deprecated else 2) + (1 if name in _PREFERRED else 0)
        shapes.append(
            _Shape(
                name,
                op.http["method"],
                kind,
                markers,
                frozenset(required_query),
                frozenset(required_headers),
                rank,
            )
        )
    return tuple(sorted(shapes, key=lambda s: -s.rank))


@cache
def _by_request() -> dict[tuple[str, str], tuple[_Shape, ...]]:
    """The shapes of each (method, kind), most specific first: a request only tries its own."""
    grouped: dict[tuple[str, str], list[_Shape]] = {}
    for shape in _shapes():
        grouped.setdefault((shape.method, shape.kind), []).append(shape)
    return {key: tuple(shapes) for key, shapes in grouped.items()}


@cache
def _telling() -> tuple[frozenset[str], frozenset[str]]:
    """The query parameters whose value a marker fixes (``list-type``), and the headers some
    operation requires: with the method, the kind and the query's names, all that decides
    which operation a request is."""
    valued = {n for shape in _shapes() for n, value in shape.markers if value is not None}
    headers = {h for shape in _shapes() for h in shape.required_headers}
    return frozenset(valued), frozenset(headers)


_KNOWN: dict[tuple[object, ...], str | None] = {}
_KNOWN_MAX = 4096
"""Requests' shapes seen, and their operations: a client repeats a handful of shapes, and
matching one against the model costs ten times a lookup (ListObjectsV2 tries 30 shapes)."""


def identify(method: str, kind: str, query: dict[str, str], headers: dict[str, str]) -> str | None:
    """The S3 operation of a request, or None when no operation of the model fits it.

    ``kind`` is ``service``, ``bucket`` or ``object`` (from the addressing); ``query`` holds the
    decoded query parameters and ``headers`` lower-case header names.
    """
    valued, telling = _telling()
    key = (
        method,
        kind,
        frozenset(query),
        tuple((n, query[n]) for n in valued if n in query),
        frozenset(h for h in telling if h in headers),
    )
    if key in _KNOWN:
        return _KNOWN[key]
    operation = _match(method, kind, query, headers)
    if len(_KNOWN) >= _KNOWN_MAX:
        _KNOWN.clear()  # query names are the client's to choose: keep the table bounded
    _KNOWN[key] = operation
    return operation


def _match(method: str, kind: str, query: dict[str, str], headers: dict[str, str]) -> str | None:
    for shape in _by_request().get((method, kind), ()):
        if any(
            name not in query or (value is not None and query[name] != value)
            for name, value in shape.markers
        ):
            continue
        if not shape.required_query.issubset(query):
            continue
        # Markers name the operation; a missing required header is then the backend's
        # error to report (GetObjectAttributes without x-amz-object-attributes is still it).
        if not shape.markers and not shape.required_headers.issubset(headers):
            continue
        return shape.name
    return None
