"""Values generated from botocore shapes, for round-trip tests of every operation.

Inputs must satisfy the model's constraints (they go through validation), so strings are picked
from pattern-aware candidates and checked against the compiled pattern and length limits; a
shape no candidate satisfies raises :class:`Unsatisfiable` and the caller counts it.  Outputs are
not validated, so their strings carry XML's special characters to exercise escaping.
"""

from __future__ import annotations

import urllib.parse
from datetime import UTC, datetime
from typing import Any

from botocore.awsrequest import create_request_object, prepare_request_dict
from botocore.serialize import create_serializer

from iamd.protocol.patterns import compile_pattern

TIMESTAMP = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)

# Values for the few patterns that none of the generic candidates fit.
_BY_PATTERN = {
    r"^o-[a-z0-9]{10,32}$": ["o-abcdefghij"],
    r"^o-[0-9a-z]{10,32}\/r-[0-9a-z]{4,32}[0-9a-z-\/]*": ["o-abcdefghij/r-abcd"],
    r"^p-[0-9a-zA-Z_]{8,128}$": ["p-abcdefgh"],
    r"\d{12}": ["123456789012"],
    r"v[1-9][0-9]*(\.[A-Za-z0-9-]*)?": ["v1"],
    r"^http(s?)://[a-zA-Z0-9._/-]*(\?[a-zA-Z0-9._=&-]*)?(#[a-zA-Z0-9._/-]*)?$": [
        "https://example.com/a"
    ],
    r"/[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*/": ["/a/"],
    r"((/[A-Za-z0-9\.,\+@=_-]+)*)/": ["/a/"],
    # CloudTrail and Access Analyzer
    r"^[0-9]{2}:[0-9]{2}": ["12:30"],
    r"^[a-z0-9_-]+\.amazonaws\.com$": ["iam.amazonaws.com"],
    r"s3://[a-z0-9][\.\-a-z0-9]{1,61}[a-z0-9](/.*)?": ["s3://bucket/a"],
    r"[^:]*:[^:]*:[^:]*:[^:]*:[^:]*:analyzer/.{1,255}": [
        "arn:aws:access-analyzer:us-east-1:123456789012:analyzer/a"
    ],
    r"[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}": [
        "0123abcd-0123-abcd-0123-0123456789ab"
    ],
    r"arn:[^:]*:cloudtrail:[^:]*:[^:]*:trail/.{1,576}": [
        "arn:aws:cloudtrail:us-east-1:123456789012:trail/t"
    ],
}
_GENERIC = [
    "abc",
    "Abc1",
    "a1b2c3",
    "/",
    "/path/",
    "arn:aws:iam::123456789012:role/abc",
    "AKIAIOSFODNN7EXAMPLE",
    "123456",
    "ABC123",
]
# Free text needing every kind of form encoding: space, "+", "&", "=", "%", "/", non-ASCII.
_INPUT_TEXT = "v a+l&u=e%/é~日本"
_OUTPUT_TEXT = "x<&>\"' é\r\n\tz"


class Unsatisfiable(Exception):  # noqa: N818 - a test signal, not an error
    """No generated value satisfies this shape's constraints."""


def _length(value: str) -> int:
    return len(value) + sum(1 for ch in value if ord(ch) > 0xFFFF)


def _string(shape: Any, variant: int, output: bool) -> str:
    metadata = shape.metadata
    enum = metadata.get("enum")
    if enum:
        return str(enum[variant % len(enum)])
    low = int(metadata.get("min", 0))
    high = int(metadata.get("max", 10_000))
    pattern = metadata.get("pattern")
    if output:
        text = _OUTPUT_TEXT + (str(variant) if variant else "")
        text = text.ljust(low, "z")[:high]
        return text
    regex = compile_pattern(pattern) if pattern else None
    if pattern and regex is None:
        raise Unsatisfiable(pattern)
    candidates = _BY_PATTERN.get(pattern, []) + _GENERIC if pattern else [_INPUT_TEXT, "value"]
    for base in candidates:
        for text in _variants(base, variant, low):
            if low <= _length(text) <= high and (regex is None or regex.fullmatch(text)):
                return text
    raise Unsatisfiable(f"{shape.name}: {pattern!r} min={low} max={high}")


def _variants(base: str, variant: int, low: int) -> list[str]:
    out = []
    for suffix in [str(variant), f"{'a' * variant}"] if variant else [""]:
        for text in (base + suffix, suffix + base, base[:-1] + suffix + base[-1:]):
            out.append(text)
            if len(text) < low:
                for pad in "aA1":
                    out.append(text + pad * (low - len(text)))
                    out.append(text[:-1] + pad * (low - len(text)) + text[-1:])
    return out


def _number(shape: Any) -> int:
    low = shape.metadata.get("min")
    high = shape.metadata.get("max")
    value = int(low) if low is not None else 1
    if high is not None and value > int(high):
        value = int(high)
    return value


def generate(shape: Any, *, output: bool = False, variant: int = 0, depth: int = 0) -> Any:
    """A value of ``shape``; every optional member is filled (down to a small depth)."""
    kind = shape.type_name
    if kind == "structure":
        out: dict[str, Any] = {}
        required = set(shape.metadata.get("required", ()))
        members = list(shape.members.items())
        if shape.metadata.get("union"):
            members = members[:1]
        for name, member in members:
            if depth > 4 and name not in required and not shape.metadata.get("union"):
                continue
            out[name] = generate(member, output=output, variant=variant, depth=depth + 1)
        return out
    if kind == "list":
        size = _size(shape)
        return [
            generate(shape.member, output=output, variant=i, depth=depth + 1) for i in range(size)
        ]
    if kind == "map":
        size = _size(shape)
        result = {}
        for i in range(size):
            key = generate(shape.key, output=output, variant=i, depth=depth + 1)
            result[key] = generate(shape.value, output=output, variant=i, depth=depth + 1)
        return result
    if kind in ("string", "character"):
        return _string(shape, variant, output)
    if kind in ("integer", "long"):
        return _number(shape)
    if kind in ("float", "double"):
        return 1.5
    if kind == "boolean":
        return variant % 2 == 0
    if kind == "timestamp":
        return TIMESTAMP
    if kind == "blob":
        low = int(shape.metadata.get("min", 0))
        return b"\x00\x01blob".ljust(low, b"b")
    raise AssertionError(f"unexpected shape type {kind}")


def _size(shape: Any) -> int:
    low = int(shape.metadata.get("min", 0))
    high = int(shape.metadata.get("max", 2))
    return min(max(low, 2), high)


def botocore_request(operation: Any, params: dict[str, Any]) -> tuple[bytes, str, str]:
    """(body, query string, content type) exactly as botocore would send the call."""
    serialized = create_serializer("query").serialize_to_request(params, operation)
    prepare_request_dict(serialized, endpoint_url="https://iam.amazonaws.com")
    prepared = create_request_object(serialized).prepare()
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    query = urllib.parse.urlsplit(prepared.url).query
    return body, query, prepared.headers.get("Content-Type", "")
