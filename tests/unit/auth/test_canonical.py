"""The canonical request's pieces, checked against botocore's signer, the reference client.

The rules: "Create a canonical request" in
https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html, and for S3
https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html.
"""

from __future__ import annotations

import ast
import hashlib
import hmac
import urllib.parse
from pathlib import Path
from urllib.parse import quote

import pytest
from botocore.auth import S3SigV4Auth, SigV4Auth  # type: ignore[import-untyped]
from botocore.utils import percent_encode_sequence  # type: ignore[import-untyped]
from hypothesis import given
from hypothesis import strategies as st

from iamd.auth import amzdate, canonical, sigv4

BOTOCORE = SigV4Auth(None, "service", "us-east-1")
BOTOCORE_S3 = S3SigV4Auth(None, "s3", "us-east-1")

segments = st.one_of(
    st.sampled_from(["", ".", ".."]),
    st.text(alphabet=st.sampled_from("abcXYZ019-_.~ +=&@:!*'()%/é你"), max_size=8),
)


@given(st.lists(segments, max_size=6), st.booleans())
def test_paths_match_botocore(parts: list[str], trailing_slash: bool) -> None:
    """What botocore puts on the wire, iamd turns into the canonical URI botocore signed."""
    wire = "/" + quote("/".join(parts), safe="/~") + ("/" if trailing_slash else "")
    assert canonical.canonical_uri(wire) == BOTOCORE._normalize_url_path(wire)
    assert canonical.canonical_uri(wire, True) == BOTOCORE_S3._normalize_url_path(wire)


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        ("", "/"),
        ("/", "/"),
        ("/a/./b/../c", "/a/c"),
        ("//a//b/", "/a/b/"),
        ("/..", "/"),
        ("/a%20b", "/a%2520b"),
        ("/a%2Fb", "/a%252Fb"),  # an encoded slash is part of a name, encoded twice
        ("/a=b@c", "/a%3Db%40c"),  # characters a client left literal are encoded once
        ("/%2E%2E/x", "/%252E%252E/x"),  # an encoded dot-dot is a name, not a step up
    ],
)
def test_non_s3_paths_are_normalised_and_encoded_twice(wire: str, expected: str) -> None:
    assert canonical.canonical_uri(wire) == expected


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        ("/bucket/a//b/../c", "/bucket/a//b/../c"),
        ("/bucket/a%20b", "/bucket/a%20b"),
        ("/bucket/a%2fb", "/bucket/a%2fb"),
        ("/bucket/%7Ex", "/bucket/%7Ex"),
    ],
)
def test_s3_paths_are_used_as_received(wire: str, expected: str) -> None:
    assert canonical.canonical_uri(wire, True) == expected


params = st.lists(
    st.tuples(st.text(max_size=8), st.text(max_size=8)),
    max_size=6,
)


@given(params)
def test_query_strings_match_botocore(pairs: list[tuple[str, str]]) -> None:
    """Parameters botocore encodes into a URL come back to the canonical query it signed."""
    wire = percent_encode_sequence(pairs)
    expected = BOTOCORE._canonical_query_string_params(pairs)
    assert canonical.canonical_query_string(canonical.query_pairs(wire)) == expected


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        ("b=2&a=1", "a=1&b=2"),
        ("a=2&a=1&a=10", "a=1&a=10&a=2"),  # repeated names sort by value
        ("flag&empty=", "empty=&flag="),
        ("a=b+c", "a=b%20c"),  # '+' is a space in a form-encoded query
        ("a=%7e%2f", "a=~%2F"),  # unreserved decoded, hex upper case
        ("a=x y", "a=x%20y"),
        ("a=%FF", "a=%FF"),  # bytes that are not UTF-8 survive
        ("&&a=1&", "a=1"),
        ("Z=1&a=1", "Z=1&a=1"),  # byte order: upper case first
    ],
)
def test_canonical_query_string(wire: str, expected: str) -> None:
    assert canonical.canonical_query_string(canonical.query_pairs(wire)) == expected


@given(st.text(alphabet=st.sampled_from("%%%2Ffa7eE3D+= ~-_.é/&"), max_size=16))
def test_fast_and_slow_canonicalisation_agree(piece: str) -> None:
    """Pieces taken as they are must be exactly those that decoding and re-encoding keep."""
    slow = canonical.uri_encode(urllib.parse.unquote_to_bytes(piece.replace("+", " ")))
    if "&" not in piece:
        assert canonical.canonical_query_piece(piece) == slow
    if "=" not in piece and "&" not in piece:
        assert canonical.query_pairs(f"k={piece}") == [("k", slow)]


def test_literal_equal_sign_in_a_value_is_encoded() -> None:
    assert canonical.query_pairs("a=b=c&d=%2F") == [("a", "b%3Dc"), ("d", "%2F")]


def test_presigned_signature_is_left_out_of_the_canonical_query() -> None:
    pairs = canonical.query_pairs("X-Amz-Signature=abc&Action=X")
    assert canonical.canonical_query_string(pairs, exclude="X-Amz-Signature") == "Action=X"


def test_header_values_are_trimmed_and_collapsed() -> None:
    headers = {"host": "h", "x-amz-meta-a": "  a   b \t c  ", "x-empty": ""}
    assert (
        canonical.canonical_headers(["host", "x-amz-meta-a", "x-empty", "x-absent"], headers)
        == "host:h\nx-amz-meta-a:a b c\nx-empty:\nx-absent:\n"
    )


def test_decoded_value() -> None:
    assert canonical.decoded_value("AKID%2F20240101") == "AKID/20240101"
    assert canonical.decoded_value("plain") == "plain"


# -- time ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["20240101T000000", "2024-01-01T00:00:00Z", "20241301T000000Z", "20240231T000000Z", "x" * 16],
)
def test_malformed_amz_dates_are_refused(value: str) -> None:
    assert amzdate.parse_amz_date(value) is None


def test_amz_date_round_trip() -> None:
    parsed = amzdate.parse_amz_date("20240229T235959Z")
    assert parsed is not None
    epoch, moment = parsed
    assert moment.isoformat() == "2024-02-29T23:59:59+00:00"
    assert amzdate.format_amz_date(epoch + 0.9) == "20240229T235959Z"
    assert amzdate.parse_amz_date("20240229T235959Z") is parsed  # cached


def test_http_dates() -> None:
    assert amzdate.parse_http_date("Mon, 01 Jan 2024 00:00:00 GMT") == amzdate.parse_amz_date(
        "20240101T000000Z"
    )
    assert amzdate.parse_http_date("not a date") is None


# -- signing key --------------------------------------------------------------------------------


def test_signing_key_is_awss_derivation() -> None:
    def step(key: bytes, message: str) -> bytes:
        return hmac.new(key, message.encode(), hashlib.sha256).digest()

    secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    expected = step(
        step(step(step(b"AWS4" + secret.encode(), "20150830"), "us-east-1"), "iam"), "aws4_request"
    )
    assert sigv4.signing_key(secret, "20150830", "us-east-1", "iam") == expected
    assert sigv4.signing_key(secret, "20150830", "us-east-1", "iam") is sigv4.signing_key(
        secret, "20150830", "us-east-1", "iam"
    )


def test_auth_package_never_imports_botocore() -> None:
    """The wire-protocol layer owns botocore; verification must stand alone and stay fast."""
    package = Path(sigv4.__file__).parent
    for module in package.glob("*.py"):
        tree = ast.parse(module.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(name.split(".")[0] in {"botocore", "boto3"} for name in names), module
