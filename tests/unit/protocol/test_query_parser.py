"""Reading Query requests: actions, versions, encodings, and malformed input.

Whatever arrives, the parser answers with an operation and its input or with an
:class:`iamd.errors.AWSError`; no other exception may escape to the server.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.model import ServiceModel
from botocore.parsers import create_parser
from hypothesis import given, settings
from hypothesis import strategies as st

from iamd.errors import AWSError, InvalidAction, MissingAction, ValidationError
from iamd.protocol import QueryProtocol, ServiceSpec, query_protocol

from .shapegen import botocore_request

FORM = "application/x-www-form-urlencoded; charset=utf-8"


def parse(body: str | bytes, query: str = "", content_type: str = FORM) -> Any:
    raw = body.encode() if isinstance(body, str) else body
    return query_protocol("iam").parse(raw, query, content_type)


def test_action_from_body() -> None:
    request = parse("Action=GetUser&Version=2010-05-08&UserName=bob")
    assert (request.operation, request.params) == ("GetUser", {"UserName": "bob"})


def test_action_from_query_string_only() -> None:
    request = parse(b"", "Action=ListUsers&Version=2010-05-08&MaxItems=5", "")
    assert (request.operation, request.params) == ("ListUsers", {"MaxItems": 5})


def test_query_string_and_body_combine() -> None:
    request = parse("UserName=bob", "Action=GetUser&Version=2010-05-08")
    assert request.params == {"UserName": "bob"}


def test_missing_version_is_accepted() -> None:
    assert parse("Action=GetUser").operation == "GetUser"


def test_missing_action() -> None:
    for body in ("", "Version=2010-05-08&UserName=bob", "Action=", "Action.1=GetUser"):
        with pytest.raises(MissingAction) as caught:
            parse(body)
        assert caught.value.status == 400


def test_unknown_action() -> None:
    with pytest.raises(InvalidAction) as caught:
        parse("Action=GetUsers&Version=2010-05-08")
    assert caught.value.message == "Could not find operation GetUsers for version 2010-05-08"
    assert caught.value.status == 400


def test_wrong_version() -> None:
    with pytest.raises(InvalidAction) as caught:
        parse("Action=GetUser&Version=2011-06-15")
    assert caught.value.message == "Could not find operation GetUser for version 2011-06-15"
    with pytest.raises(InvalidAction):
        query_protocol("sts").parse(b"Action=GetCallerIdentity&Version=2010-05-08")


def test_action_names_are_case_sensitive() -> None:
    with pytest.raises(InvalidAction):
        parse("Action=getuser")


def test_unknown_parameters_are_ignored() -> None:
    request = parse("Action=GetUser&UserName=bob&Bogus=1&UserName.x=2&Tags.member.1.Key=k")
    assert request.params == {"UserName": "bob"}


def test_empty_list() -> None:
    assert parse("Action=CreateUser&UserName=bob&Tags=").params == {"UserName": "bob", "Tags": []}


def test_list_order_follows_indices() -> None:
    body = (
        "Action=TagUser&UserName=bob"
        "&Tags.member.10.Key=c&Tags.member.10.Value=3"
        "&Tags.member.2.Key=b&Tags.member.2.Value=2"
        "&Tags.member.1.Key=a&Tags.member.1.Value=1"
        "&Tags.member.x.Key=ignored"
    )
    assert [t["Key"] for t in parse(body).params["Tags"]] == ["a", "b", "c"]


def test_huge_index_does_not_allocate() -> None:
    body = "Action=ListUserTags&UserName=bob&Bogus.member.99999999999999999.Key=k"
    assert parse(body).params == {"UserName": "bob"}
    body = (
        "Action=TagUser&UserName=bob"
        "&Tags.member.999999999999.Key=k&Tags.member.999999999999.Value=v"
    )
    assert parse(body).params["Tags"] == [{"Key": "k", "Value": "v"}]
    body = "Action=TagUser&UserName=bob&Tags.member." + "9" * 5000 + ".Key=k"
    assert parse(body).params["Tags"] == []


def test_percent_and_plus_decoding() -> None:
    body = "Action=CreateRole&RoleName=a%2Bb&AssumeRolePolicyDocument={}&Description=x+y%26z%C3%A9"
    request = parse(body)
    assert request.params == {
        "RoleName": "a+b",
        "AssumeRolePolicyDocument": "{}",
        "Description": "x y&zé",
    }


def test_a_value_and_a_prefix_of_the_same_name() -> None:
    for body in ("UserName=bob&UserName.x=1", "UserName.x=1&UserName=bob"):
        assert parse("Action=GetUser&" + body).params == {"UserName": "bob"}
    body = "Action=CreateUser&UserName=bob&Tags=&Tags.member.1.Key=k&Tags.member.1.Value=v"
    assert parse(body).params["Tags"] == [{"Key": "k", "Value": "v"}]
    assert parse("Action=CreateUser&UserName=bob&Tags=&Tags.x=1").params["Tags"] == []


def test_map_entries() -> None:
    proto = query_protocol("iam")
    operation = proto.spec.operation("AcquireRole")
    if operation is None:
        pytest.skip("this botocore has no map-valued IAM input")
    body = (
        "Action=AcquireRole&TemplateArn=arn:aws:iam::aws:template/abcdefgh"
        "&ReplacementValues.entry.1.key=a&ReplacementValues.entry.1.value.Values.member.1=x"
        "&ReplacementValues.entry.2.key=b&ReplacementValues.entry.2.value.Values="
    )
    params = proto.parse(body.encode(), validate=False).params
    assert params["ReplacementValues"] == {"a": {"Values": ["x"]}, "b": {"Values": []}}


def test_other_content_types_carry_no_parameters() -> None:
    with pytest.raises(MissingAction):
        parse('{"Action": "GetUser"}', content_type="application/json")
    assert parse("Action=GetUser", content_type="").operation == "GetUser"
    assert parse("Action=GetUser", content_type="Application/X-WWW-Form-URLEncoded").operation


@pytest.mark.parametrize(
    "body",
    [
        b"Action=GetUser&UserName=%zz",
        b"Action=GetUser&UserName=%4",
        b"Action=GetUser&UserName=%",
        b"Action=GetUser&UserName=abc%",
        b"Action=GetUser&UserName=%ff%fe",
        b"Action=GetUser&UserName=\xff\xfe",
        b"Action=GetUser&%zz=1",
    ],
)
def test_malformed_encoding(body: bytes) -> None:
    with pytest.raises(AWSError) as caught:
        parse(body)
    assert caught.value.code == "MalformedQueryString"
    assert caught.value.sender


@pytest.mark.parametrize(
    "body",
    [
        b"Action=GetUser&UserName",  # a name without "=" is an empty value
        b"Action=GetUser&",
        b"&&&Action=GetUser",
        b"Action=GetUser&UserName=bob&=x",
        b"Action=GetUser&UserName==bob",
    ],
)
def test_truncated_bodies_are_read_leniently(body: bytes) -> None:
    try:
        request = parse(body)
    except AWSError as error:
        assert error.code == "ValidationError"
    else:
        assert request.operation == "GetUser"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_raise_only_aws_errors(body: bytes) -> None:
    with contextlib.suppress(AWSError):
        parse(b"Action=CreateUser&" + body)


_PIECES = st.sampled_from(
    [
        "Action=",
        "CreateUser",
        "TagUser",
        "&",
        "=",
        ".",
        "member",
        "Tags",
        "1",
        "Key",
        "%",
        "%2",
        "%41",
        "+",
        "UserName",
        "Value",
        "entry",
        "MaxItems",
        "Version",
        "é",
        "\x00",
    ]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(_PIECES, max_size=30))
def test_arbitrary_structure_raises_only_aws_errors(pieces: list[str]) -> None:
    for service, prefix in (("iam", ""), ("iam", "Action=TagUser&"), ("sts", "Action=AssumeRole&")):
        with contextlib.suppress(AWSError):
            query_protocol(service).parse((prefix + "".join(pieces)).encode())


# --- traits IAM and STS do not use, on a small model of our own ---------------------------

_MODEL = {
    "metadata": {
        "apiVersion": "2020-01-01",
        "protocol": "query",
        "xmlNamespace": "https://example.com/doc/2020-01-01/",
        "serviceId": "Example",
        "endpointPrefix": "example",
        "signatureVersion": "v4",
    },
    "operations": {
        "Echo": {
            "name": "Echo",
            "http": {"method": "POST", "requestUri": "/"},
            "input": {"shape": "EchoInput"},
            "output": {"shape": "EchoOutput", "resultWrapper": "EchoResult"},
        }
    },
    "shapes": {
        "EchoInput": {"type": "structure", "members": {"Data": {"shape": "Data"}}},
        "EchoOutput": {"type": "structure", "members": {"Data": {"shape": "Data"}}},
        "Data": {
            "type": "structure",
            "members": {
                "When": {"shape": "Time"},
                "Raw": {"shape": "Bytes"},
                "Big": {"shape": "Long"},
                "Ratio": {"shape": "Double"},
                "Flat": {"shape": "FlatList"},
                "Named": {"shape": "FlatNamedList", "locationName": "Renamed"},
                "Items": {"shape": "NamedItemList"},
                "Attrs": {"shape": "NamedMap"},
                "Label": {"shape": "String", "locationName": "TheLabel"},
                "Child": {"shape": "Data"},
            },
        },
        "Time": {"type": "timestamp"},
        "Bytes": {"type": "blob"},
        "Long": {"type": "long"},
        "Double": {"type": "double"},
        "String": {"type": "string"},
        "FlatList": {"type": "list", "member": {"shape": "String"}, "flattened": True},
        "FlatNamedList": {
            "type": "list",
            "member": {"shape": "String", "locationName": "Item"},
            "flattened": True,
        },
        "NamedItemList": {"type": "list", "member": {"shape": "String", "locationName": "item"}},
        "NamedMap": {
            "type": "map",
            "key": {"shape": "String", "locationName": "Name"},
            "value": {"shape": "String", "locationName": "Val"},
        },
    },
}

_DATA = {
    "When": datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC),
    "Raw": b"\x00\xffbytes",
    "Big": 2**40,
    "Ratio": 0.25,
    "Flat": ["a", "b"],
    "Named": ["c"],
    "Items": ["d", "e"],
    "Attrs": {"k1": "v1", "k2": "v & <2>"},
    "Label": "lbl",
    "Child": {"Label": "inner", "Flat": ["z"]},
}


@pytest.fixture(scope="module")
def example() -> QueryProtocol:
    return QueryProtocol(ServiceSpec("example", ServiceModel(_MODEL, service_name="example")))


def test_synthetic_request_roundtrip(example: QueryProtocol) -> None:
    params = {"Data": _DATA}
    body, query, content_type = botocore_request(example.spec.operation("Echo"), params)
    assert b"Data.Flat.1=a" in body
    assert b"Data.Item.1=c" in body
    assert b"Data.TheLabel=lbl" in body
    assert example.parse(body, query, content_type).params == params


def test_synthetic_response_roundtrip(example: QueryProtocol) -> None:
    body = example.serialize("Echo", {"Data": _DATA}, "rid")
    shape = example.spec.operation("Echo").output_shape
    parsed = create_parser("query").parse({"body": body, "headers": {}, "status_code": 200}, shape)
    parsed.pop("ResponseMetadata")
    assert parsed == {"Data": _DATA}


@pytest.mark.parametrize(
    ("field", "value"),
    [("When", "yesterday"), ("Raw", "not base64!"), ("Big", "1e3"), ("Ratio", "half")],
)
def test_synthetic_type_errors(example: QueryProtocol, field: str, value: str) -> None:
    with pytest.raises(ValidationError) as caught:
        example.parse(f"Action=Echo&Data.{field}={value}".encode())
    label = field[0].lower() + field[1:]
    assert f"Value '{value}' at 'data.{label}' failed to satisfy constraint" in caught.value.message


def test_timestamps_accept_iso_and_epoch(example: QueryProtocol) -> None:
    for text in (
        "2024-05-06T07:08:09Z",
        "2024-05-06T07:08:09.000Z",
        "2024-05-06T09:08:09%2B02:00",
        "1714979289",
    ):
        params = example.parse(f"Action=Echo&Data.When={text}".encode()).params
        assert params["Data"]["When"] == _DATA["When"], text


def test_deep_recursion_is_a_clean_error(example: QueryProtocol) -> None:
    body = "Action=Echo&Data." + "Child." * 5000 + "Label=x"
    with pytest.raises(AWSError) as caught:
        example.parse(body.encode())
    assert caught.value.code == "MalformedQueryString"
    body = "Action=Echo&Data." + "Child." * 50 + "Label=x"
    assert example.parse(body.encode()).params["Data"]["Child"]["Child"]
