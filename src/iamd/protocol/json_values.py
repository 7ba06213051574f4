"""JSON values read and written by shape, shared by the json and rest-json protocols.

Both protocols carry the same value forms in their bodies: structures and maps are objects,
lists are arrays, blobs are base64 strings, and timestamps are epoch seconds (a number) unless
the shape's ``timestampFormat`` says ``iso8601`` or ``rfc822``.  Like the Query protocol's plans,
each shape's reader and writer is a closure generated once and kept.

Reading is lenient where AWS is (unknown members and ``null`` values are ignored; a timestamp may
be a number or an ISO 8601 string) and strict where a value cannot be its shape's type: that is
AWS's ``SerializationException``, raised as :class:`iamd.errors.AWSError`.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from iamd.errors import SenderError
from iamd.protocol.models import Shape
from iamd.protocol.plans import PlanCache

Reader = Callable[[Any], Any]
Writer = Callable[[Any], Any]

_INT_BOUNDS = {"integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}


def serialization_error(message: str = "") -> SenderError:
    """AWS's answer to a body whose values do not fit their shapes (json protocols)."""
    return SenderError(message, code="SerializationException")


# --- timestamps ----------------------------------------------------------------------------


def parse_timestamp(value: Any) -> datetime:
    """A timestamp from epoch seconds, ISO 8601 or RFC 822 text (UTC when no zone is given)."""
    if isinstance(value, bool):
        raise serialization_error(f"Expected a timestamp, got {value!r}")
    try:
        if isinstance(value, (int, float)):
            if not math.isfinite(value):
                raise ValueError(value)
            return datetime.fromtimestamp(value, UTC)
        if isinstance(value, str):
            text = value.strip()
            try:
                return datetime.fromtimestamp(float(text), UTC)
            except ValueError:
                pass
            try:
                parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                parsed = parsedate_to_datetime(text)
            return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    except (ValueError, TypeError, OverflowError, OSError):
        pass
    raise serialization_error(f"Expected a timestamp, got {value!r}")


def _utc(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return datetime.fromtimestamp(float(value), UTC)


def epoch_seconds(value: Any) -> int | float:
    """Epoch seconds as AWS writes them: an integer when whole, else milliseconds' precision."""
    seconds = _utc(value).timestamp()
    whole = int(seconds)
    return whole if whole == seconds else round(seconds, 3)


def iso8601(value: Any) -> str:
    utc = _utc(value)
    if utc.microsecond:
        return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
    return utc.strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc822(value: Any) -> str:
    return format_datetime(_utc(value).replace(microsecond=0), usegmt=True)


TIMESTAMP_WRITERS: dict[str, Writer] = {
    "unixTimestamp": epoch_seconds,
    "iso8601": iso8601,
    "rfc822": rfc822,
}


def timestamp_writer(shape: Shape, default: str) -> Writer:
    return TIMESTAMP_WRITERS[str(shape.serialization.get("timestampFormat", default))]


# --- readers -------------------------------------------------------------------------------


def _string(value: Any) -> Any:
    if type(value) is str:
        return value
    raise serialization_error(f"Expected a string, got {_kind(value)}")


def _boolean(value: Any) -> Any:
    if type(value) is bool:
        return value
    raise serialization_error(f"Expected a boolean, got {_kind(value)}")


def _integer_reader(kind: str) -> Reader:
    low, high = _INT_BOUNDS[kind]

    def read_integer(value: Any) -> Any:
        if type(value) is float and value.is_integer():
            value = int(value)
        if type(value) is not int or not low <= value <= high:
            raise serialization_error(f"Expected an integer, got {_kind(value)}")
        return value

    return read_integer


def _float(value: Any) -> Any:
    if type(value) in (int, float):
        return float(value)
    if value in ("NaN", "Infinity", "-Infinity"):
        return float(value)
    raise serialization_error(f"Expected a number, got {_kind(value)}")


def _blob(value: Any) -> Any:
    if type(value) is not str:
        raise serialization_error(f"Expected base64 text, got {_kind(value)}")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise serialization_error("Blob values must be valid base64") from None


def _document(value: Any) -> Any:
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


class ReaderCompiler:
    """Builds (once per shape name) the reader turning a decoded JSON value into botocore's
    form for that shape."""

    def __init__(self) -> None:
        self._plans = PlanCache()

    def compile(self, shape: Shape) -> Reader:
        kind = shape.type_name
        if kind in ("string", "character"):
            if shape.serialization.get("jsonvalue"):
                return _document
            return _string
        if kind == "boolean":
            return _boolean
        if kind in ("integer", "long"):
            return _integer_reader(kind)
        if kind in ("float", "double"):
            return _float
        if kind == "timestamp":
            return parse_timestamp
        if kind == "blob":
            return _blob
        if shape.metadata.get("document"):
            return _document
        return self._plans.get(shape.name, lambda: self._compound(shape))

    def _compound(self, shape: Shape) -> Reader:
        kind = shape.type_name
        if kind == "structure":
            return self._structure(shape)
        if kind == "list":
            return self._list(shape)
        if kind == "map":
            return self._map(shape)
        return _document

    def _structure(self, shape: Shape) -> Reader:
        members: dict[str, tuple[str, Reader]] = {}
        for member_name, member_shape in shape.members.items():
            if member_shape.serialization.get("location"):
                continue  # bound to the URI, query or headers (rest-json), never the body
            wire = str(member_shape.serialization.get("name", member_name))
            members[wire] = (member_name, self.compile(member_shape))
        lookup = members.get

        def read_structure(value: Any) -> Any:
            if type(value) is not dict:
                raise serialization_error(f"Expected an object, got {_kind(value)}")
            out: dict[str, Any] = {}
            for key, item in value.items():
                member = lookup(key)
                if member is None or item is None:
                    continue
                out[member[0]] = member[1](item)
            return out

        return read_structure

    def _list(self, shape: Shape) -> Reader:
        element = self.compile(shape.member)

        def read_list(value: Any) -> Any:
            if type(value) is not list:
                raise serialization_error(f"Expected an array, got {_kind(value)}")
            return [element(item) if item is not None else None for item in value]

        return read_list

    def _map(self, shape: Shape) -> Reader:
        key_reader = self.compile(shape.key)
        value_reader = self.compile(shape.value)

        def read_map(value: Any) -> Any:
            if type(value) is not dict:
                raise serialization_error(f"Expected an object, got {_kind(value)}")
            return {
                key_reader(key): value_reader(item)
                for key, item in value.items()
                if item is not None
            }

        return read_map


# --- writers -------------------------------------------------------------------------------


def _write_string(value: Any) -> Any:
    return value if type(value) is str else str(value)


def _write_integer(value: Any) -> Any:
    return int(value)


def _write_float(value: Any) -> Any:
    number = float(value)
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    return number


def _write_boolean(value: Any) -> Any:
    return bool(value)


def _write_blob(value: Any) -> Any:
    raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    return base64.b64encode(raw).decode("ascii")


class WriterCompiler:
    """Builds (once per shape name) the writer turning a result value into JSON-ready data."""

    def __init__(self, timestamp_format: str = "unixTimestamp") -> None:
        self.timestamp_format = timestamp_format
        self._plans = PlanCache()

    def compile(self, shape: Shape) -> Writer:
        kind = shape.type_name
        if kind in ("string", "character"):
            return _document if shape.serialization.get("jsonvalue") else _write_string
        if kind == "boolean":
            return _write_boolean
        if kind in ("integer", "long"):
            return _write_integer
        if kind in ("float", "double"):
            return _write_float
        if kind == "timestamp":
            return timestamp_writer(shape, self.timestamp_format)
        if kind == "blob":
            return _write_blob
        if shape.metadata.get("document"):
            return _document
        return self._plans.get(shape.name, lambda: self._compound(shape))

    def _compound(self, shape: Shape) -> Writer:
        kind = shape.type_name
        if kind == "structure":
            return self._structure(shape)
        if kind == "list":
            return self._list(shape)
        if kind == "map":
            return self._map(shape)
        return _document

    def _structure(self, shape: Shape) -> Writer:
        members: list[tuple[str, str, Writer]] = []
        for member_name, member_shape in shape.members.items():
            if member_shape.serialization.get("location"):
                continue
            wire = str(member_shape.serialization.get("name", member_name))
            members.append((member_name, wire, self.compile(member_shape)))

        def write_structure(value: Any) -> Any:
            out: dict[str, Any] = {}
            get = value.get
            for member_name, wire, writer in members:
                item = get(member_name)
                if item is not None:
                    out[wire] = writer(item)
            return out

        return write_structure

    def _list(self, shape: Shape) -> Writer:
        element = self.compile(shape.member)

        def write_list(value: Any) -> Any:
            return [element(item) for item in value if item is not None]

        return write_list

    def _map(self, shape: Shape) -> Writer:
        value_writer = self.compile(shape.value)

        def write_map(value: Any) -> Any:
            return {str(key): value_writer(item) for key, item in value.items() if item is not None}

        return write_map
