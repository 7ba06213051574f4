"""AWS Query protocol responses: an operation's result dict -> AWS's XML, driven by its shape.

The result is the dict botocore would return to a client (``{"User": {"UserName": ...,
"CreateDate": datetime}}``); the XML is what IAM and STS send::

    <CreateUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
      <CreateUserResult><User>...</User></CreateUserResult>
      <ResponseMetadata><RequestId>...</RequestId></ResponseMetadata>
    </CreateUserResponse>

(without the whitespace).  Members are written in the shape's order and None values are
skipped; lists are ``<member>`` elements (or repeated elements when flattened), maps are
``<entry><key/><value/></entry>``, booleans ``true``/``false``, timestamps ISO 8601 in UTC to the
second with ``Z`` (``2024-01-01T00:00:00Z``, IAM's format), blobs base64.  An operation without
an output shape answers with the ``ResponseMetadata`` alone.

Each shape's writer is a closure generated once, holding its tags pre-rendered, so writing a
response is a walk over the result that appends strings to one list.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from iamd.protocol.models import OperationModel, ServiceSpec, Shape

Writer = Callable[[list[str], Any], None]
Formatter = Callable[[Any], str]

_NEEDS_ESCAPE = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_REPLACEMENTS = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#xD;"}


def _replace(match: re.Match[str]) -> str:
    # Characters XML 1.0 cannot carry at all (even as references) become U+FFFD.
    return _REPLACEMENTS.get(match.group(0), "\ufffd")


def escape(text: str) -> str:
    """Text content escaped for XML; ``\\r`` is written as a reference so it survives parsing."""
    # Fast path: printable text (no control characters, no lone surrogates) without markup.
    if text.isprintable() and "&" not in text and "<" not in text and ">" not in text:
        return text
    return _NEEDS_ESCAPE.sub(_replace, text)


def _string(value: Any) -> str:
    return escape(value if type(value) is str else str(value))


def _boolean(value: Any) -> str:
    return "true" if value else "false"


def _integer(value: Any) -> str:
    return str(int(value))


def _float(value: Any) -> str:
    return repr(float(value))


def _utc(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo is not None else value
    return datetime.fromtimestamp(float(value), UTC)


_ISO_CACHE: dict[datetime, str] = {}
_ISO_CACHE_SIZE = 4096


def _iso8601(value: Any) -> str:
    if type(value) is datetime:
        # Entities keep their timestamps, so the same instants are written again and again;
        # formatting one costs more than the rest of a small response.
        text = _ISO_CACHE.get(value)
        if text is None:
            utc = value if value.tzinfo is None or value.tzinfo is UTC else value.astimezone(UTC)
            text = utc.isoformat(timespec="seconds")[:19] + "Z"
            if len(_ISO_CACHE) >= _ISO_CACHE_SIZE:
                _ISO_CACHE.clear()
            _ISO_CACHE[value] = text
        return text
    if isinstance(value, str):
        return escape(value)
    return _utc(value).isoformat(timespec="seconds")[:19] + "Z"


def _unix(value: Any) -> str:
    if isinstance(value, str):
        return escape(value)
    return str(int(_utc(value).replace(tzinfo=UTC).timestamp()))


def _rfc822(value: Any) -> str:
    if isinstance(value, str):
        return escape(value)
    return format_datetime(_utc(value).replace(tzinfo=UTC), usegmt=True)


def _blob(value: Any) -> str:
    raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    return base64.b64encode(raw).decode("ascii")


_TIMESTAMPS: dict[str, Formatter] = {
    "iso8601": _iso8601,
    "unixTimestamp": _unix,
    "rfc822": _rfc822,
}
_SCALARS: dict[str, Formatter] = {
    "string": _string,
    "character": _string,
    "boolean": _boolean,
    "integer": _integer,
    "long": _integer,
    "float": _float,
    "double": _float,
    "blob": _blob,
}


def _formatter(shape: Shape) -> Formatter | None:
    kind = shape.type_name
    if kind == "timestamp":
        timestamp_format = str(shape.serialization.get("timestampFormat", "iso8601"))
        chosen: Formatter = _TIMESTAMPS.get(timestamp_format) or _iso8601
        return chosen
    return _SCALARS.get(str(kind))


class WriterCompiler:
    """Builds (once per shape name) the writer of each output shape of one service."""

    def __init__(self) -> None:
        self._cache: dict[str, Writer] = {}
        self._building: set[str] = set()

    def compile(self, shape: Shape) -> Writer:
        """A writer appending the *content* of a value of ``shape`` (without its own tags)."""
        formatter = _formatter(shape)
        if formatter is not None:

            def write_scalar(out: list[str], value: Any) -> None:
                out.append(formatter(value))

            return write_scalar
        name = shape.name
        found = self._cache.get(name)
        if found is not None:
            return found
        if name in self._building:
            cache = self._cache

            def deferred(out: list[str], value: Any) -> None:
                cache[name](out, value)

            return deferred
        self._building.add(name)
        try:
            kind = shape.type_name
            if kind == "structure":
                built = self._structure(shape)
            elif kind == "list":
                built = self._list(shape, _list_item_tag(shape))
            elif kind == "map":
                built = self._map(shape)
            else:
                built = self.compile_string()
        finally:
            self._building.discard(name)
        self._cache[name] = built
        return built

    @staticmethod
    def compile_string() -> Writer:
        def write_text(out: list[str], value: Any) -> None:
            out.append(_string(value))

        return write_text

    def _structure(self, shape: Shape) -> Writer:
        # (member name, scalar formatter or None, writer, open tag, close tag)
        fields: list[tuple[str, Formatter | None, Writer, str, str]] = []
        for member_name, member_shape in shape.members.items():
            serialization = member_shape.serialization
            if member_shape.type_name == "list" and serialization.get("flattened"):
                tag = member_shape.member.serialization.get("name") or serialization.get(
                    "name", member_name
                )
                fields.append((member_name, None, self._list(member_shape, tag), "", ""))
                continue
            tag = serialization.get("name", member_name)
            fields.append(
                (
                    member_name,
                    _formatter(member_shape),
                    self.compile(member_shape),
                    f"<{tag}>",
                    f"</{tag}>",
                )
            )

        def write_structure(out: list[str], value: Any) -> None:
            get = value.get
            for member_name, formatter, writer, open_tag, close_tag in fields:
                member = get(member_name)
                if member is None:
                    continue
                if formatter is not None:
                    out.append(open_tag + formatter(member) + close_tag)
                else:
                    out.append(open_tag)
                    writer(out, member)
                    out.append(close_tag)

        return write_structure

    def _list(self, shape: Shape, item_tag: str) -> Writer:
        """Writes the items of a list, each in ``item_tag`` (``member`` unless renamed or
        flattened)."""
        formatter = _formatter(shape.member)
        element = self.compile(shape.member)
        open_tag, close_tag = f"<{item_tag}>", f"</{item_tag}>"

        if formatter is not None:

            def write_scalar_list(out: list[str], value: Any) -> None:
                for item in value:
                    if item is not None:
                        out.append(open_tag + formatter(item) + close_tag)

            return write_scalar_list

        def write_list(out: list[str], value: Any) -> None:
            for item in value:
                if item is None:
                    continue
                out.append(open_tag)
                element(out, item)
                out.append(close_tag)

        return write_list

    def _map(self, shape: Shape) -> Writer:
        key_writer = self.compile(shape.key)
        value_writer = self.compile(shape.value)
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        flattened = bool(shape.serialization.get("flattened"))
        entry_open, entry_close = ("", "") if flattened else ("<entry>", "</entry>")
        key_open, key_close = f"{entry_open}<{key_name}>", f"</{key_name}>"
        value_open, value_close = f"<{value_name}>", f"</{value_name}>{entry_close}"

        def write_map(out: list[str], value: Any) -> None:
            for key, item in value.items():
                if item is None:
                    continue
                out.append(key_open)
                key_writer(out, key)
                out.append(key_close + value_open)
                value_writer(out, item)
                out.append(value_close)

        return write_map


def _list_item_tag(shape: Shape) -> str:
    return str(shape.member.serialization.get("name", "member"))


class QueryResponseSerializer:
    """Writes Query responses of one service; per-operation writers are built on first use."""

    def __init__(self, spec: ServiceSpec) -> None:
        self.spec = spec
        self._compiler = WriterCompiler()
        self._envelopes: dict[str, tuple[str, str, Writer | None, str]] = {}

    def _envelope(self, operation: OperationModel) -> tuple[str, str, Writer | None, str]:
        name = operation.name
        found = self._envelopes.get(name)
        if found is not None:
            return found
        namespace = escape(self.spec.xml_namespace).replace('"', "&quot;")
        head = f'<{name}Response xmlns="{namespace}">'
        tail = f"</{name}Response>"
        shape = operation.output_shape
        envelope: tuple[str, str, Writer | None, str]
        if shape is None:
            envelope = (head, "", None, tail)
        else:
            wrapper = shape.serialization.get("resultWrapper", f"{name}Result")
            writer = self._compiler.compile(shape)
            envelope = (f"{head}<{wrapper}>", f"</{wrapper}>", writer, tail)
        self._envelopes[name] = envelope
        return envelope

    def serialize(
        self, operation: OperationModel, result: Mapping[str, Any] | None, request_id: str
    ) -> bytes:
        """The response body for ``result`` (members the output shape lacks are ignored)."""
        head, close_result, writer, tail = self._envelope(operation)
        out = [head]
        if writer is not None:
            writer(out, result if result is not None else {})
            out.append(close_result)
        out.append("<ResponseMetadata><RequestId>")
        out.append(escape(request_id))
        out.append("</RequestId></ResponseMetadata>")
        out.append(tail)
        return "".join(out).encode("utf-8")
