"""AWS Query protocol requests: a form-encoded body and/or query string -> operation and input.

The wire form is flat (``Tags.member.1.Key=Dept``); the input is the nested dict botocore would
have been given (``{"Tags": [{"Key": "Dept"}]}``).  Reading one request takes three steps:

1. split and percent-decode the pairs (by hand: ``urllib.parse.parse_qsl`` costs more than the
   rest of the request put together, and it silently accepts malformed escapes);
2. fold the dotted keys into a tree of dicts (``{"Tags": {"member": {"1": {"Key": ...}}}}``),
   one pass over the pairs;
3. convert the tree with the operation's *plan*: closures generated once per shape from the
   model, so structures, lists (``member.N``, or flattened ``N``), maps (``entry.N.key/value``)
   and scalars are converted without looking at the model again.

Parameters the shape does not know are ignored, as AWS ignores them.  A value that cannot be
read as its type (``MaxItems=ten``) is a ``ValidationError`` worded like AWS's constraint errors;
a malformed encoding (``%zz``, invalid UTF-8) is ``MalformedQueryString``.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from iamd.errors import AWSError, InvalidAction, MissingAction, SenderError, ValidationError
from iamd.protocol.models import OperationModel, ServiceSpec, Shape, lower_camel
from iamd.protocol.plans import PlanCache
from iamd.protocol.validate import InvalidValueError, Violation, validation_message

Node = Any
"""A node of the folded tree: a decoded string, or a dict of child name -> node."""

Converter = Callable[[Node], Any]

ABSENT: Any = object()
"""Returned by a converter when the node does not carry a value of its shape (ignored)."""

_INTEGER = re.compile(r"[+-]?[0-9]{1,19}")
_INT_BOUNDS = {"integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
_EPOCH = re.compile(r"[0-9]{1,12}(\.[0-9]+)?")


def malformed(message: str) -> AWSError:
    """AWS's error for a query string that cannot be decoded (documented status: 404)."""
    return SenderError(message, code="MalformedQueryString", status=404)


_HEX_DIGITS = "0123456789abcdefABCDEF"
_BYTE_OF_HEX = {a + b: bytes([int(a + b, 16)]) for a in _HEX_DIGITS for b in _HEX_DIGITS}


def _decode(text: str) -> str:
    """Form decoding: ``+`` is a space, ``%XX`` a byte of UTF-8.  Strict where
    ``urllib.parse.unquote`` is lenient: a bad escape or invalid UTF-8 is an error, not text."""
    if "+" in text:
        text = text.replace("+", " ")
    if "%" not in text:
        return text
    head, *pieces = text.split("%")
    out = [head.encode("utf-8")]
    for piece in pieces:
        byte = _BYTE_OF_HEX.get(piece[:2])
        if byte is None:
            raise malformed(f"Invalid percent-encoding in the query string: %{piece[:2]}")
        out.append(byte)
        if len(piece) > 2:
            out.append(piece[2:].encode("utf-8"))
    try:
        return b"".join(out).decode("utf-8")
    except UnicodeDecodeError:
        raise malformed("The query string is not valid UTF-8 once percent-decoded.") from None


def split_pairs(text: str, into: list[tuple[str, str]]) -> None:
    """Append the decoded ``name=value`` pairs of an ``&``-separated form to ``into``.

    A name without ``=`` has the empty value, as in HTML forms.
    """
    if not text:
        return
    append = into.append
    for part in text.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        if "%" in name or "+" in name:
            name = _decode(name)
        if "%" in value or "+" in value:
            value = _decode(value)
        append((name, value))


def fold(pairs: list[tuple[str, str]]) -> dict[str, Node]:
    """Fold dotted names into a tree of dicts.

    When a name is both a value and a prefix (``UserName=bob`` and ``UserName.x=1``), the
    value is kept under the key None of the subtree, so whichever the shape expects is found.
    """
    root: dict[Any, Node] = {}
    for name, value in pairs:
        node = root
        if "." in name:
            parts = name.split(".")
            for part in parts[:-1]:
                child = node.get(part)
                if type(child) is not dict:
                    child = {} if child is None else {None: child}
                    node[part] = child
                node = child
            name = parts[-1]
        existing = node.get(name)
        if type(existing) is dict:
            existing[None] = value
        else:
            node[name] = value
    return root


def _text(node: Node) -> Any:
    """The scalar value at a node (a subtree may carry one under None), else None."""
    if type(node) is str:
        return node
    if type(node) is dict:
        return node.get(None)
    return None


# --- converters: one per shape, generated once --------------------------------------------


def _fail(value: Any, constraint: str) -> InvalidValueError:
    return InvalidValueError(Violation("", value, constraint))


def _string(node: Node) -> Any:
    if type(node) is str:
        return node
    text = _text(node)
    return text if text is not None else ABSENT


def _integer_converter(kind: str) -> Converter:
    low, high = _INT_BOUNDS.get(kind, _INT_BOUNDS["long"])

    def convert_integer(node: Node) -> Any:
        if type(node) is not str:
            node = _text(node)
            if node is None:
                return ABSENT
        if _INTEGER.fullmatch(node) is None:
            raise _fail(node, "Member must be a valid integer")
        value = int(node)
        if not low <= value <= high:
            raise _fail(node, "Member must be a valid integer")
        return value

    return convert_integer


def _float(node: Node) -> Any:
    if type(node) is not str:
        node = _text(node)
        if node is None:
            return ABSENT
    try:
        return float(node)
    except ValueError:
        raise _fail(node, "Member must be a valid number") from None


def _boolean(node: Node) -> Any:
    if type(node) is not str:
        node = _text(node)
        if node is None:
            return ABSENT
    lowered = node.lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    raise _fail(node, "Member must be a boolean (true or false)")


def _timestamp(node: Node) -> Any:
    if type(node) is not str:
        node = _text(node)
        if node is None:
            return ABSENT
    try:
        if _EPOCH.fullmatch(node):
            return datetime.fromtimestamp(float(node), UTC)
        value = datetime.fromisoformat(node)
    except (ValueError, OverflowError, OSError):
        raise _fail(node, "Member must be a valid ISO 8601 timestamp") from None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _blob(node: Node) -> Any:
    if type(node) is not str:
        node = _text(node)
        if node is None:
            return ABSENT
    try:
        return base64.b64decode(node, validate=True)
    except (binascii.Error, ValueError):
        raise _fail(node, "Member must be valid base64") from None


_SCALARS: dict[str, Converter] = {
    "string": _string,
    "character": _string,
    "boolean": _boolean,
    "float": _float,
    "double": _float,
    "timestamp": _timestamp,
    "blob": _blob,
}


class PlanCompiler:
    """Builds (once per shape name) the converter of each input shape of one service."""

    def __init__(self) -> None:
        self._plans = PlanCache()

    def compile(self, shape: Shape) -> Converter:
        kind = shape.type_name
        scalar = _SCALARS.get(kind)
        if scalar is not None:
            return scalar
        if kind in ("integer", "long"):
            return _integer_converter(kind)
        return self._plans.get(shape.name, lambda: self._compound(shape))

    def _compound(self, shape: Shape) -> Converter:
        kind = shape.type_name
        if kind == "structure":
            return self._structure(shape)
        if kind == "list":
            return self._list(shape)
        if kind == "map":
            return self._map(shape)
        return _string

    def _structure(self, shape: Shape) -> Converter:
        members: dict[str, tuple[str, Converter, str]] = {}
        for member_name, member_shape in shape.members.items():
            wire = _wire_name(member_name, member_shape)
            members[wire] = (member_name, self.compile(member_shape), lower_camel(member_name))
        lookup = members.get

        def convert_structure(node: Node) -> Any:
            if type(node) is not dict:
                return ABSENT
            out: dict[str, Any] = {}
            for key, child in node.items():
                member = lookup(key)
                if member is None:
                    continue
                try:
                    value = member[1](child)
                except InvalidValueError as error:
                    raise InvalidValueError(error.violation.under(member[2])) from None
                if value is not ABSENT:
                    out[member[0]] = value
            return out

        return convert_structure

    def _list(self, shape: Shape) -> Converter:
        element = self.compile(shape.member)
        flattened = bool(shape.serialization.get("flattened"))
        item_name = shape.member.serialization.get("name", "member")

        def convert_list(node: Node) -> Any:
            if type(node) is not dict:
                # "Tags=" is how an empty list is sent; any other scalar is not a list.
                return [] if node == "" else ABSENT
            items = node if flattened else node.get(item_name)
            if type(items) is not dict:
                return [] if items == "" or node.get(None) == "" else ABSENT
            out = []
            for index, child in _indexed(items):
                try:
                    value = element(child)
                except InvalidValueError as error:
                    raise InvalidValueError(error.violation.under(f"{index}.member")) from None
                if value is not ABSENT:
                    out.append(value)
            return out

        return convert_list

    def _map(self, shape: Shape) -> Converter:
        key_convert = self.compile(shape.key)
        value_convert = self.compile(shape.value)
        flattened = bool(shape.serialization.get("flattened"))
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")

        def convert_map(node: Node) -> Any:
            if type(node) is not dict:
                return {} if node == "" else ABSENT
            entries = node if flattened else node.get("entry")
            if type(entries) is not dict:
                return {} if entries == "" or node.get(None) == "" else ABSENT
            out = {}
            for index, entry in _indexed(entries):
                if type(entry) is not dict:
                    continue
                try:
                    key = key_convert(entry.get(key_name))
                    value = value_convert(entry.get(value_name))
                except InvalidValueError as error:
                    raise InvalidValueError(error.violation.under(f"{index}.entry")) from None
                if key is not ABSENT and value is not ABSENT:
                    out[key] = value
            return out

        return convert_map


def _wire_name(member_name: str, member_shape: Shape) -> str:
    serialization = member_shape.serialization
    if member_shape.type_name == "list" and serialization.get("flattened"):
        # A flattened list with a member locationName is sent under that name.
        flat_name = member_shape.member.serialization.get("name")
        if flat_name:
            return str(flat_name)
    return str(serialization.get("name", member_name))


def _indexed(items: dict[str, Node]) -> list[tuple[int, Node]]:
    """The numbered children of a list or map node, in index order (other names ignored)."""
    numbered = [
        (int(k), v)
        for k, v in items.items()
        if type(k) is str and k.isdigit() and k.isascii() and len(k) < 19
    ]
    numbered.sort(key=lambda pair: pair[0])
    return numbered


# --- the parser ----------------------------------------------------------------------------


class QueryRequestParser:
    """Reads Query requests of one service; per-operation plans are built on first use."""

    def __init__(self, spec: ServiceSpec) -> None:
        self.spec = spec
        self._compiler = PlanCompiler()
        self._plans: dict[str, Converter | None] = {}

    def plan(self, operation: OperationModel) -> Converter | None:
        name = operation.name
        try:
            return self._plans[name]
        except KeyError:
            shape = operation.input_shape
            plan = self._compiler.compile(shape) if shape is not None else None
            self._plans[name] = plan
            return plan

    def parse(
        self, body: bytes, query: str | bytes = "", content_type: str | bytes = ""
    ) -> tuple[OperationModel, dict[str, Any]]:
        """(operation model, input params) of one request, or an :mod:`iamd.errors` error.

        ``query`` and ``content_type`` may be given as ASGI hands them over (bytes).
        """
        pairs: list[tuple[str, str]] = []
        if query:
            split_pairs(_text_of(query, "query string"), pairs)
        if body and _is_form(content_type):
            split_pairs(_text_of(body, "request body"), pairs)
        tree = fold(pairs)
        action = _text(tree.pop("Action", None))
        version = _text(tree.pop("Version", None))
        if not action:
            raise MissingAction("Missing Action")
        operation = self.spec.operation(action)
        if operation is None or (version is not None and version != self.spec.api_version):
            shown = version if version is not None else self.spec.api_version
            raise InvalidAction(f"Could not find operation {action} for version {shown}")
        plan = self.plan(operation)
        if plan is None:
            return operation, {}
        try:
            params = plan(tree)
        except InvalidValueError as error:
            raise ValidationError(validation_message([error.violation])) from None
        except RecursionError:
            # Only a recursive shape can nest this deep; no real client sends such a request.
            raise malformed("The request nests parameters too deeply.") from None
        return operation, params if params is not ABSENT else {}


def _text_of(raw: str | bytes, what: str) -> str:
    if isinstance(raw, str):
        return raw
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise malformed(f"The {what} is not valid UTF-8.") from None


_FORM_TYPES: dict[str | bytes, bool] = {}


def _is_form(content_type: str | bytes) -> bool:
    """Bodies are form data when declared so, or undeclared (as ``curl -d`` sends them)."""
    if not content_type:
        return True
    known = _FORM_TYPES.get(content_type)
    if known is not None:
        return known
    text = content_type if isinstance(content_type, str) else content_type.decode("latin-1")
    answer = text.partition(";")[0].strip().lower() == "application/x-www-form-urlencoded"
    if len(_FORM_TYPES) < 256:  # clients send a handful of spellings; never grow unbounded
        _FORM_TYPES[content_type] = answer
    return answer
