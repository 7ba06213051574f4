"""The pieces of a SigV4 canonical request, rebuilt from the request exactly as it was received.

A client signs the canonical form of its request; the server must rebuild the same bytes from what
arrived on the wire, or every signature fails. The rules are AWS's, from "Create a canonical
request" in https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html:

- the URI is normalised (RFC 3986 dot segments removed, empty segments dropped) and every path
  segment is URI-encoded twice, except for S3, which uses the path as encoded once and never
  normalises it (https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html);
- the query string is split into name/value pairs, each name and value URI-encoded (only
  ``A-Z a-z 0-9 - _ . ~`` stay literal, a space is ``%20``, hex digits upper case) and sorted by
  name, then by value;
- each signed header is ``name:value`` with the value trimmed and runs of spaces collapsed.

botocore, the reference client, produces exactly these strings (``botocore.auth.SigV4Auth``);
the unit tests check these helpers against it.

Every function here is pure and works on ``str``: the server hands over the raw path and query
(still percent-encoded, so ASCII) and header values decoded as latin-1, as ASGI does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from urllib.parse import quote, quote_from_bytes, unquote_to_bytes

UNRESERVED = "-_.~"
"""Besides letters and digits, the only characters SigV4's UriEncode leaves as they are."""

_PLAIN = re.compile(r"[A-Za-z0-9\-_.~]*")
# Character classes scan fast; an alternation per character would be ten times slower.
_ENCODED = re.compile(r"[A-Za-z0-9\-_.~%]*")
_ENCODED_QUERY = re.compile(r"[A-Za-z0-9\-_.~&=%]*")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-F]{2})")
"""A ``%`` not followed by two upper-case hex digits."""
_NEEDLESS_ESCAPE = re.compile(r"%(?:2[DE]|3[0-9]|4[1-9A-F]|5[0-9AF]|6[1-9A-F]|7[0-9AE])")
"""An escape of a letter, a digit or ``-._~``, which the canonical form writes literally."""
_PLAIN_PATH = re.compile(r"[A-Za-z0-9\-_.~/]*")


def uri_encode(raw: bytes) -> str:
    """AWS's UriEncode of raw bytes, ``/`` included: the form of every canonical name and value."""
    return quote_from_bytes(raw, safe=UNRESERVED)


def _decode_query_piece(piece: str) -> bytes:
    """The bytes a query name or value stands for: ``%XY`` escapes resolved, ``+`` a space.

    ``+`` means a space in an ``application/x-www-form-urlencoded`` query, which is how the Query
    protocol reads parameters; reading it the same way here keeps the signed value and the value
    the service acts on the same.
    """
    return unquote_to_bytes(piece.replace("+", " "))


def _is_canonical(text: str, charset: re.Pattern[str]) -> bool:
    """Whether ``text`` is made only of literal unreserved characters and needed escapes."""
    return charset.fullmatch(text) is not None and (
        "%" not in text or not (_BAD_ESCAPE.search(text) or _NEEDLESS_ESCAPE.search(text))
    )


def canonical_query_piece(piece: str) -> str:
    """One name or value of the query string as it appears in the canonical query string.

    Decoding then re-encoding makes any spelling of the same bytes (``%7e`` or ``~``, ``%2f`` or
    ``%2F``, ``+`` or ``%20``) canonical. Plain pieces, by far the most common, skip the work.
    """
    if _PLAIN.fullmatch(piece):
        return piece
    if _is_canonical(piece, _ENCODED):
        return piece  # already canonical, as botocore and the SDKs send it
    return uri_encode(_decode_query_piece(piece))


def query_pairs(raw_query: str) -> list[tuple[str, str]]:
    """The query string as canonical ``(name, value)`` pairs, in the order received.

    A parameter without ``=`` has an empty value, as in botocore and AWS's test suite. Empty
    pieces between ``&&`` are skipped. A query that is canonical already, as botocore and the SDKs
    send it (presigned URLs above all), is checked once as a whole instead of piece by piece.
    """
    pairs: list[tuple[str, str]] = []
    if _is_canonical(raw_query, _ENCODED_QUERY):
        for item in raw_query.split("&"):
            if item:
                name, _, value = item.partition("=")
                if "=" in value:  # a literal '=' in a value is canonically %3D
                    value = canonical_query_piece(value)
                pairs.append((name, value))
        return pairs
    for item in raw_query.split("&"):
        if not item:
            continue
        name, _, value = item.partition("=")
        pairs.append((canonical_query_piece(name), canonical_query_piece(value)))
    return pairs


def canonical_query_string(pairs: Sequence[tuple[str, str]], *, exclude: str | None = None) -> str:
    """Sort the pairs by encoded name, then by encoded value, and join them.

    ``exclude`` names a parameter to leave out: a presigned URL signs every parameter except
    ``X-Amz-Signature``, which carries the signature itself.
    """
    if not pairs:
        return ""
    if exclude is not None:
        pairs = [pair for pair in pairs if pair[0] != exclude]
    return "&".join([f"{name}={value}" for name, value in sorted(pairs)])


def decoded_value(canonical_piece: str) -> str:
    """The text a canonical query piece stands for (UTF-8, undecodable bytes kept as escapes)."""
    if "%" not in canonical_piece:
        return canonical_piece
    # The escapes in X-Amz-Credential and X-Amz-SignedHeaders, resolved without decoding bytes.
    simple = canonical_piece.replace("%2F", "/").replace("%3B", ";")
    if "%" not in simple:
        return simple
    return unquote_to_bytes(canonical_piece).decode("utf-8", "surrogateescape")


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4 plus the removal of empty segments, as botocore does it.

    It works on the path as received, so an encoded ``%2E%2E`` is a name, not a step up.
    """
    kept: list[str] = []
    for segment in path.split("/"):
        if not segment or segment == ".":
            continue
        if segment == "..":
            if kept:
                kept.pop()
        else:
            kept.append(segment)
    leading = "/" if path.startswith("/") else ""
    trailing = "/" if path.endswith("/") and kept else ""
    return leading + "/".join(kept) + trailing


@lru_cache(maxsize=4096)
def canonical_uri(raw_path: str, s3: bool = False) -> str:
    """The canonical URI of a path received percent-encoded (``raw_path`` in ASGI).

    Clients compute it from the path they put on the wire, and so must the server. Outside S3 the
    wire path is already encoded once, so "encoded twice" means: remove dot segments and empty
    segments, then URI-encode the result once more (``%20`` becomes ``%2520``), keeping ``/``.
    This is what botocore signs, and what any client that computes the canonical URI from its own
    wire path signs. For S3 the wire path, encoded once, is the canonical URI as it stands: object
    keys may contain ``//`` and ``..``.

    Cached: a service sees few distinct paths (IAM and STS only ``/``), and the cache is bounded,
    so a client sending random paths only costs itself misses.
    """
    if not raw_path:
        return "/"
    if s3:
        return raw_path
    path = _remove_dot_segments(raw_path)
    if not path:
        return "/"
    if _PLAIN_PATH.fullmatch(path):
        return path
    return quote(path, safe="/" + UNRESERVED)


def trimall(value: str) -> str:
    """Trim a header value and collapse each run of whitespace to one space (SigV4's Trimall)."""
    return " ".join(value.split())


def canonical_headers(names: Sequence[str], headers: Mapping[str, str]) -> str:
    """The canonical headers block: one ``name:value`` line per signed header, each ending in LF.

    ``names`` come lower-case from the SignedHeaders list; ``headers`` have lower-case names and
    repeated headers already joined with ``,``. A signed header that is absent counts as empty,
    which makes the signature fail unless the client also signed it empty.
    """
    lines = []
    for name in names:
        value = headers.get(name)
        lines.append(f"{name}:{' '.join(value.split()) if value else ''}\n")  # trimall, inlined
    return "".join(lines)
