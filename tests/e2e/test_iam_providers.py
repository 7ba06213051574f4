"""OpenID Connect and SAML identity providers over the wire with boto3: lifecycle, AWS's errors
and messages, tags, quotas and authorization.

https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateOpenIDConnectProvider.html
https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateSAMLProvider.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_saml.html

The messages asserted are AWS's as recorded against real accounts (LocalStack's AWS-validated
snapshots, tests/aws/services/iam/test_iam_oidc.snapshot.json and
test_iam_saml_providers.snapshot.json) and as published in the SAML troubleshooting guide.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from support.live import LiveServer

THUMB_A, THUMB_B, THUMB_C = "a" * 40, "b" * 40, "0123456789abcdef0123456789ABCDEF01234567"


def error_of(call: Callable[[], Any]) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as info:
        call()
    response = info.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def allow(actions: list[str], resource: str = "*") -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resource}],
    }


# OpenID Connect ------------------------------------------------------------------------


def test_oidc_provider_lifecycle(
    server: LiveServer, iam: Any, unique: Callable[[str], str]
) -> None:
    """The ARN and the Url GetOpenIDConnectProvider returns are the issuer without https://;
    Add/RemoveClientID are idempotent, as the API reference states."""
    host = f"{unique('idp')}.example.com/realms/main"
    created = iam.create_open_id_connect_provider(
        Url=f"https://{host}",
        ClientIDList=["sts.amazonaws.com", "web-app"],
        ThumbprintList=[THUMB_A],
        Tags=[{"Key": "team", "Value": "platform"}],
    )
    arn = created["OpenIDConnectProviderArn"]
    assert arn == f"arn:aws:iam::{server.account_id}:oidc-provider/{host}"
    assert created["Tags"] == [{"Key": "team", "Value": "platform"}]

    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["Url"] == host
    assert got["ClientIDList"] == ["sts.amazonaws.com", "web-app"]
    assert got["ThumbprintList"] == [THUMB_A]
    assert got["Tags"] == [{"Key": "team", "Value": "platform"}]
    assert abs(got["CreateDate"] - datetime.now(UTC)) < timedelta(minutes=5)
    listed = [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]
    assert arn in listed

    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="cli")
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="cli")
    iam.remove_client_id_from_open_id_connect_provider(
        OpenIDConnectProviderArn=arn, ClientID="web-app"
    )
    iam.remove_client_id_from_open_id_connect_provider(
        OpenIDConnectProviderArn=arn, ClientID="never-added"
    )
    iam.update_open_id_connect_provider_thumbprint(
        OpenIDConnectProviderArn=arn, ThumbprintList=[THUMB_B, THUMB_C]
    )
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["ClientIDList"] == ["sts.amazonaws.com", "cli"]
    assert got["ThumbprintList"] == [THUMB_B, THUMB_C]

    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert error_of(lambda: iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)) == (
        "NoSuchEntity",
        f"OpenIDConnect Provider not found for arn {arn}",
        404,
    )
    assert error_of(lambda: iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)) == (
        "NoSuchEntity",
        f"OpenId connect Provider {arn} cannot be found.",
        404,
    )
    assert arn not in [
        p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    ]


def test_oidc_thumbprints_are_optional(iam: Any, unique: Callable[[str], str]) -> None:
    """AWS no longer requires thumbprints: it verifies the issuer against trusted root CAs."""
    arn = iam.create_open_id_connect_provider(Url=f"https://{unique('nothumb')}.example.com")[
        "OpenIDConnectProviderArn"
    ]
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["ThumbprintList"] == [] and got["ClientIDList"] == []
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)


def test_oidc_errors_are_awss(iam: Any, unique: Callable[[str], str]) -> None:
    url = f"https://{unique('dup')}.example.com"
    arn = iam.create_open_id_connect_provider(Url=url, ThumbprintList=[THUMB_A])[
        "OpenIDConnectProviderArn"
    ]
    assert error_of(
        lambda: iam.create_open_id_connect_provider(Url=url, ThumbprintList=[THUMB_A])
    ) == ("EntityAlreadyExists", f"Provider with url {url} already exists.", 409)
    for bad in ("example.org", "http://example.org", "https://example.org/?q=1"):
        assert error_of(lambda bad=bad: iam.create_open_id_connect_provider(Url=bad)) == (
            "ValidationError",
            "Invalid Open ID Connect Provider URL",
            400,
        )
    six = [c * 40 for c in "abcdef"]
    assert error_of(
        lambda: iam.create_open_id_connect_provider(
            Url=f"https://{unique('six')}.example.com", ThumbprintList=six
        )
    ) == ("InvalidInput", "Thumbprint list must contain fewer than 5 entries.", 400)
    assert error_of(
        lambda: iam.update_open_id_connect_provider_thumbprint(
            OpenIDConnectProviderArn=arn, ThumbprintList=six
        )
    ) == ("InvalidInput", "Thumbprint list must contain fewer than 5 entries.", 400)
    code, message, _ = error_of(
        lambda: iam.create_open_id_connect_provider(
            Url=f"https://{unique('hex')}.example.com", ThumbprintList=["z" * 40]
        )
    )
    assert code == "InvalidInput" and "z" * 40 in message
    too_many = [str(i) for i in range(101)]
    assert error_of(
        lambda: iam.create_open_id_connect_provider(
            Url=f"https://{unique('ids')}.example.com", ClientIDList=too_many
        )
    ) == ("LimitExceeded", "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100", 409)
    for i in range(99):
        iam.add_client_id_to_open_id_connect_provider(
            OpenIDConnectProviderArn=arn, ClientID=f"client-{i}"
        )
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="last")
    assert error_of(
        lambda: iam.add_client_id_to_open_id_connect_provider(
            OpenIDConnectProviderArn=arn, ClientID="one-too-many"
        )
    ) == ("LimitExceeded", "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100", 409)
    missing = arn + "-missing"
    for call in (
        lambda: iam.add_client_id_to_open_id_connect_provider(
            OpenIDConnectProviderArn=missing, ClientID="x"
        ),
        lambda: iam.tag_open_id_connect_provider(
            OpenIDConnectProviderArn=missing, Tags=[{"Key": "k", "Value": "v"}]
        ),
        lambda: iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=missing),
    ):
        assert error_of(call) == (
            "NoSuchEntity",
            f"OpenIDConnect Provider not found for arn {missing}",
            404,
        )
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)


def test_oidc_tags_paginate_and_are_capped_at_50(iam: Any, unique: Callable[[str], str]) -> None:
    tags = [{"Key": f"k{i:02d}", "Value": f"v{i}"} for i in range(10)]
    arn = iam.create_open_id_connect_provider(
        Url=f"https://{unique('tags')}.example.com", Tags=tags
    )["OpenIDConnectProviderArn"]
    first = iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn, MaxItems=4)
    assert first["IsTruncated"] and first["Tags"] == tags[:4]
    second = iam.list_open_id_connect_provider_tags(
        OpenIDConnectProviderArn=arn, MaxItems=4, Marker=first["Marker"]
    )
    third = iam.list_open_id_connect_provider_tags(
        OpenIDConnectProviderArn=arn, Marker=second["Marker"]
    )
    assert second["Tags"] == tags[4:8] and third["Tags"] == tags[8:]
    assert not third["IsTruncated"] and "Marker" not in third

    iam.untag_open_id_connect_provider(OpenIDConnectProviderArn=arn, TagKeys=["k00", "k01"])
    iam.tag_open_id_connect_provider(
        OpenIDConnectProviderArn=arn, Tags=[{"Key": f"n{i:02d}", "Value": "x"} for i in range(42)]
    )
    assert len(iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["Tags"]) == 50
    assert error_of(
        lambda: iam.tag_open_id_connect_provider(
            OpenIDConnectProviderArn=arn, Tags=[{"Key": "string", "Value": "string"}]
        )
    ) == ("LimitExceeded", "The number of tags has reached the maximum limit.", 409)
    # Overwriting an existing key is not a new tag.
    iam.tag_open_id_connect_provider(
        OpenIDConnectProviderArn=arn, Tags=[{"Key": "k05", "Value": "changed"}]
    )
    code, _, _ = error_of(
        lambda: iam.tag_open_id_connect_provider(
            OpenIDConnectProviderArn=arn, Tags=[{"Key": "aws:owner", "Value": "x"}]
        )
    )
    assert code == "InvalidInput"
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)


def test_oidc_providers_per_account_quota(iam: Any, unique: Callable[[str], str]) -> None:
    """IAM quotas: 100 OpenID Connect providers per account
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html)."""
    existing = len(iam.list_open_id_connect_providers()["OpenIDConnectProviderList"])
    prefix = unique("quota")
    made = [
        iam.create_open_id_connect_provider(Url=f"https://{prefix}-{i}.example.com")[
            "OpenIDConnectProviderArn"
        ]
        for i in range(100 - existing)
    ]
    assert error_of(
        lambda: iam.create_open_id_connect_provider(Url=f"https://{prefix}-over.example.com")
    ) == ("LimitExceeded", "Cannot exceed quota for OpenIdConnectProvidersPerAccount: 100", 409)
    for arn in made:
        iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)


def test_oidc_calls_are_authorized_against_the_provider_arn(
    server: LiveServer, iam: Any, user_client: Callable[..., Any], unique: Callable[[str], str]
) -> None:
    mine = iam.create_open_id_connect_provider(
        Url=f"https://{unique('mine')}.example.com", Tags=[{"Key": "owner", "Value": "me"}]
    )["OpenIDConnectProviderArn"]
    other = iam.create_open_id_connect_provider(Url=f"https://{unique('other')}.example.com")[
        "OpenIDConnectProviderArn"
    ]
    reader = user_client(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "iam:GetOpenIDConnectProvider",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:ResourceTag/owner": "me"}},
                },
                {"Effect": "Allow", "Action": "iam:ListOpenIDConnectProviders", "Resource": "*"},
            ],
        }
    )
    assert reader.get_open_id_connect_provider(OpenIDConnectProviderArn=mine)["Url"]
    assert mine in [
        p["Arn"] for p in reader.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    ]
    code, message, status = error_of(
        lambda: reader.get_open_id_connect_provider(OpenIDConnectProviderArn=other)
    )
    assert (code, status) == ("AccessDenied", 403)
    assert f"iam:GetOpenIDConnectProvider on resource: {other}" in message
    new_url = f"https://{unique('new')}.example.com"
    code, message, _ = error_of(lambda: reader.create_open_id_connect_provider(Url=new_url))
    assert code == "AccessDenied"
    assert message.endswith(
        f"iam:CreateOpenIDConnectProvider on resource: arn:aws:iam::{server.account_id}:"
        f"oidc-provider/{new_url.removeprefix('https://')} because no identity-based policy "
        "allows the iam:CreateOpenIDConnectProvider action"
    )
    creator = user_client(
        allow(
            ["iam:CreateOpenIDConnectProvider", "iam:DeleteOpenIDConnectProvider"],
            f"arn:aws:iam::{server.account_id}:oidc-provider/*.example.com",
        )
    )
    arn = creator.create_open_id_connect_provider(Url=new_url)["OpenIDConnectProviderArn"]
    creator.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert (
        error_of(
            lambda: creator.create_open_id_connect_provider(Url="https://elsewhere.example.org")
        )[0]
        == "AccessDenied"
    )
    for arn in (mine, other):
        iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)


# SAML ----------------------------------------------------------------------------------


def signing_certificate(days: int = 365) -> tuple[str, datetime]:
    """A self-signed IdP certificate, base64 DER as metadata carries it, and its expiry."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "idp.example.com")])
    now = datetime.now(UTC).replace(microsecond=0)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    body = "".join(line for line in pem.splitlines() if "CERTIFICATE" not in line)
    return body, cert.not_valid_after_utc


def saml_metadata(
    certificate: str | None = None,
    valid_until: str | None = None,
    idp: bool = True,
    entity_id: str = "https://idp.example.com/saml",
) -> str:
    cert = certificate if certificate is not None else signing_certificate()[0]
    until = f' validUntil="{valid_until}"' if valid_until else ""
    key = (
        '<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">'
        f"<ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data>"
        "</ds:KeyInfo></md:KeyDescriptor>"
    )
    descriptor = "IDPSSODescriptor" if idp else "SPSSODescriptor"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"'
        f' entityID="{entity_id}"{until}>'
        f'<md:{descriptor} protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        f"{key}"
        "<md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>"
        '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"'
        ' Location="https://idp.example.com/saml/sso"/>'
        f"</md:{descriptor}></md:EntityDescriptor>"
    )


def padded(document: str) -> str:
    """At least the 1,000 characters the model requires, with a comment that changes nothing."""
    short = max(0, 1000 - len(document) - 7)
    end = "</md:EntityDescriptor>"
    return document.replace(end, f"<!--{'p' * short}-->{end}") if short else document


def test_saml_provider_lifecycle(
    server: LiveServer, iam: Any, unique: Callable[[str], str]
) -> None:
    name = unique("okta")
    metadata = saml_metadata(valid_until="2031-05-01T12:00:00Z")
    created = iam.create_saml_provider(
        Name=name, SAMLMetadataDocument=metadata, Tags=[{"Key": "env", "Value": "prod"}]
    )
    arn = created["SAMLProviderArn"]
    assert arn == f"arn:aws:iam::{server.account_id}:saml-provider/{name}"
    assert created["Tags"] == [{"Key": "env", "Value": "prod"}]

    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert got["SAMLMetadataDocument"] == metadata
    assert got["ValidUntil"] == datetime(2031, 5, 1, 12, tzinfo=UTC)
    assert abs(got["CreateDate"] - datetime.now(UTC)) < timedelta(minutes=5)
    assert got["AssertionEncryptionMode"] == "Allowed" and got["PrivateKeyList"] == []
    assert re.fullmatch(r"[A-Z0-9]{22,64}", got["SAMLProviderUUID"])
    assert got["Tags"] == [{"Key": "env", "Value": "prod"}]
    entry = next(p for p in iam.list_saml_providers()["SAMLProviderList"] if p["Arn"] == arn)
    assert entry["ValidUntil"] == got["ValidUntil"] and entry["CreateDate"] == got["CreateDate"]

    updated = metadata.replace("idp.example.com", "updated-idp.example.com")
    assert (
        iam.update_saml_provider(SAMLProviderArn=arn, SAMLMetadataDocument=updated)[
            "SAMLProviderArn"
        ]
        == arn
    )
    again = iam.get_saml_provider(SAMLProviderArn=arn)
    assert again["SAMLMetadataDocument"] == updated
    assert again["SAMLProviderUUID"] == got["SAMLProviderUUID"]

    iam.delete_saml_provider(SAMLProviderArn=arn)
    missing = ("NoSuchEntity", f"Manifest not found for arn {arn}", 404)
    assert error_of(lambda: iam.get_saml_provider(SAMLProviderArn=arn)) == missing
    assert error_of(lambda: iam.delete_saml_provider(SAMLProviderArn=arn)) == missing
    assert arn not in [p["Arn"] for p in iam.list_saml_providers()["SAMLProviderList"]]


def test_saml_valid_until_defaults_to_the_signing_certificate_expiry(
    iam: Any, unique: Callable[[str], str]
) -> None:
    cert, expires = signing_certificate(days=400)
    arn = iam.create_saml_provider(Name=unique("adfs"), SAMLMetadataDocument=saml_metadata(cert))[
        "SAMLProviderArn"
    ]
    assert iam.get_saml_provider(SAMLProviderArn=arn)["ValidUntil"] == expires
    iam.delete_saml_provider(SAMLProviderArn=arn)


def test_saml_metadata_that_aws_rejects(iam: Any, unique: Callable[[str], str]) -> None:
    """InvalidInput "Could not parse metadata." (troubleshoot_saml.html) for anything that is
    not IdP metadata with a signing certificate, and for any DTD (entity expansion)."""
    good = saml_metadata()
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        + good.split("?>", 1)[1].replace('entityID="', 'entityID="&lol2;')
    )
    rejected = {
        "not xml": "x" * 1200,
        "no idp": saml_metadata(idp=False),
        "no certificate": saml_metadata(certificate="").replace(
            "<ds:X509Certificate></ds:X509Certificate>", ""
        ),
        "broken certificate": saml_metadata(certificate="bm90IGEgY2VydGlmaWNhdGU=" * 20),
        "entities": laughs,
        "wrong root": good.replace("EntityDescriptor", "EntitiesDescriptor"),
    }
    for label, document in rejected.items():
        document = padded(document)
        assert len(document) >= 1000, label
        assert error_of(
            lambda document=document: iam.create_saml_provider(
                Name=unique("bad"), SAMLMetadataDocument=document
            )
        ) == ("InvalidInput", "Could not parse metadata.", 400), label


def test_saml_errors_are_awss(iam: Any, unique: Callable[[str], str]) -> None:
    name = unique("dup")
    arn = iam.create_saml_provider(Name=name, SAMLMetadataDocument=saml_metadata())[
        "SAMLProviderArn"
    ]
    assert error_of(
        lambda: iam.create_saml_provider(Name=name, SAMLMetadataDocument=saml_metadata())
    ) == ("EntityAlreadyExists", f"Provider with name {name} already exists.", 409)
    assert error_of(lambda: iam.update_saml_provider(SAMLProviderArn=arn)) == (
        "InvalidInput",
        "Unable to update identity provider. No updates are defined for metadata or "
        "encryption assertion.",
        400,
    )
    assert error_of(
        lambda: iam.update_saml_provider(SAMLProviderArn=arn, AssertionEncryptionMode="Required")
    ) == (
        "InvalidInput",
        "Unable to set assertion encryption mode to Required because no private key is provided.",
        400,
    )
    assert error_of(
        lambda: iam.update_saml_provider(
            SAMLProviderArn=arn, RemovePrivateKey="ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        )
    ) == (
        "InvalidInput",
        "Failed to remove private key because the Key ID does not match a private key.",
        400,
    )
    code, _, status = error_of(
        lambda: iam.update_saml_provider(SAMLProviderArn=arn, AddPrivateKey="-----BEGIN")
    )
    assert (code, status) == ("NotImplemented", 501)
    # Mode Allowed is what every provider already has: accepted, and nothing changes.
    iam.update_saml_provider(SAMLProviderArn=arn, AssertionEncryptionMode="Allowed")
    assert error_of(
        lambda: iam.update_saml_provider(SAMLProviderArn=arn, SAMLMetadataDocument="y" * 1000)
    ) == ("InvalidInput", "Could not parse metadata.", 400)
    iam.delete_saml_provider(SAMLProviderArn=arn)


def test_saml_tags(iam: Any, unique: Callable[[str], str]) -> None:
    arn = iam.create_saml_provider(Name=unique("tags"), SAMLMetadataDocument=saml_metadata())[
        "SAMLProviderArn"
    ]
    iam.tag_saml_provider(
        SAMLProviderArn=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    )
    iam.untag_saml_provider(SAMLProviderArn=arn, TagKeys=["a"])
    listed = iam.list_saml_provider_tags(SAMLProviderArn=arn)
    assert listed["Tags"] == [{"Key": "b", "Value": "2"}] and not listed["IsTruncated"]
    assert iam.get_saml_provider(SAMLProviderArn=arn)["Tags"] == [{"Key": "b", "Value": "2"}]
    iam.delete_saml_provider(SAMLProviderArn=arn)
    assert error_of(lambda: iam.list_saml_provider_tags(SAMLProviderArn=arn))[0] == "NoSuchEntity"


def test_saml_calls_are_authorized(
    server: LiveServer, iam: Any, user_client: Callable[..., Any], unique: Callable[[str], str]
) -> None:
    name = unique("authz")
    arn = f"arn:aws:iam::{server.account_id}:saml-provider/{name}"
    nobody = user_client()
    code, message, _ = error_of(
        lambda: nobody.create_saml_provider(Name=name, SAMLMetadataDocument=saml_metadata())
    )
    assert code == "AccessDenied" and f"iam:CreateSAMLProvider on resource: {arn}" in message
    admin = user_client(
        allow(
            ["iam:CreateSAMLProvider", "iam:GetSAMLProvider", "iam:DeleteSAMLProvider"],
            arn,
        )
    )
    assert (
        admin.create_saml_provider(Name=name, SAMLMetadataDocument=saml_metadata())[
            "SAMLProviderArn"
        ]
        == arn
    )
    admin.get_saml_provider(SAMLProviderArn=arn)
    assert error_of(lambda: admin.list_saml_providers())[0] == "AccessDenied"
    assert (
        error_of(
            lambda: admin.tag_saml_provider(SAMLProviderArn=arn, Tags=[{"Key": "k", "Value": "v"}])
        )[0]
        == "AccessDenied"
    )
    admin.delete_saml_provider(SAMLProviderArn=arn)
    assert error_of(lambda: iam.get_saml_provider(SAMLProviderArn=arn))[0] == "NoSuchEntity"
