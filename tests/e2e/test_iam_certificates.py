"""Server certificates over the wire with boto3: upload checks, the private key never coming
back, renames, tags, pagination, the account quota and authorization.

https://docs.aws.amazon.com/IAM/latest/APIReference/API_UploadServerCertificate.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_server-certs.html

NoSuchEntity / EntityAlreadyExists messages are AWS's as recorded in LocalStack's AWS-validated
snapshot (tests/aws/services/iam/test_iam_server_certificates.snapshot.json); the
MalformedCertificate messages are AWS's as reported by its users (aws/aws-cli#715,
openshift/openshift-ansible#11214).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from support.live import LiveServer

CHAIN_MESSAGE = (
    "Unable to validate certificate chain. The certificate chain must start with the immediate "
    "signing certificate, followed by any intermediaries in order. The index within the chain "
    "of the invalid certificate is: {}"
)


def error_of(call: Callable[[], Any]) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as info:
        call()
    response = info.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


@dataclass
class Issued:
    certificate: x509.Certificate
    key: Any

    @property
    def pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode()

    @property
    def key_pem(self) -> str:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()


def issue(
    name: str, issuer: Issued | None = None, days: int = 90, rsa_key: bool = False, ca: bool = False
) -> Issued:
    """A certificate for ``name``, signed by ``issuer`` (a self-signed CA without one)."""
    key = (
        rsa.generate_private_key(65537, 2048)
        if rsa_key
        else ec.generate_private_key(ec.SECP256R1())
    )
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC).replace(microsecond=0)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.certificate.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(
            x509.BasicConstraints(ca=ca or issuer is None, path_length=None), critical=True
        )
    )
    signer = issuer.key if issuer else key
    return Issued(builder.sign(signer, hashes.SHA256()), key)


def test_upload_get_list_rename_delete(
    server: LiveServer, iam: Any, unique: Callable[[str], str]
) -> None:
    name = unique("web")
    leaf = issue("www.example.com", days=200, rsa_key=True)
    uploaded = iam.upload_server_certificate(
        ServerCertificateName=name,
        Path="/cloudfront/",
        CertificateBody=leaf.pem,
        PrivateKey=leaf.key_pem,
        Tags=[{"Key": "env", "Value": "prod"}],
    )
    meta = uploaded["ServerCertificateMetadata"]
    assert meta["ServerCertificateId"].startswith("ASCA") and len(meta["ServerCertificateId"]) == 21
    assert meta["Arn"] == f"arn:aws:iam::{server.account_id}:server-certificate/cloudfront/{name}"
    assert meta["Path"] == "/cloudfront/" and meta["ServerCertificateName"] == name
    assert meta["Expiration"] == leaf.certificate.not_valid_after_utc
    assert abs(meta["UploadDate"] - datetime.now(UTC)) < timedelta(minutes=5)
    assert uploaded["Tags"] == [{"Key": "env", "Value": "prod"}]

    got = iam.get_server_certificate(ServerCertificateName=name.upper())["ServerCertificate"]
    assert got["ServerCertificateMetadata"] == meta
    assert got["CertificateBody"] == leaf.pem and "CertificateChain" not in got
    assert got["Tags"] == [{"Key": "env", "Value": "prod"}]
    key_body = leaf.key_pem.splitlines()[1]
    assert key_body not in json.dumps(got, default=str) and "PrivateKey" not in got

    listed = iam.list_server_certificates(PathPrefix="/cloudfront/")
    assert meta in listed["ServerCertificateMetadataList"] and not listed["IsTruncated"]
    assert (
        meta
        not in iam.list_server_certificates(PathPrefix="/elb/")["ServerCertificateMetadataList"]
    )

    renamed = unique("renamed")
    iam.update_server_certificate(
        ServerCertificateName=name, NewServerCertificateName=renamed, NewPath="/elb/"
    )
    moved = iam.get_server_certificate(ServerCertificateName=renamed)["ServerCertificate"]
    moved_meta = moved["ServerCertificateMetadata"]
    assert moved_meta["Arn"] == f"arn:aws:iam::{server.account_id}:server-certificate/elb/{renamed}"
    assert moved_meta["ServerCertificateId"] == meta["ServerCertificateId"]
    assert moved["Tags"] == [{"Key": "env", "Value": "prod"}]
    assert error_of(lambda: iam.get_server_certificate(ServerCertificateName=name)) == (
        "NoSuchEntity",
        f"The Server Certificate with name {name} cannot be found.",
        404,
    )

    iam.delete_server_certificate(ServerCertificateName=renamed)
    gone = ("NoSuchEntity", f"The Server Certificate with name {renamed} cannot be found.", 404)
    assert error_of(lambda: iam.get_server_certificate(ServerCertificateName=renamed)) == gone
    assert error_of(lambda: iam.delete_server_certificate(ServerCertificateName=renamed)) == gone


def test_chain_is_returned_and_checked(iam: Any, unique: Callable[[str], str]) -> None:
    root = issue("Root CA", days=3650)
    intermediate = issue("Intermediate CA", root, days=1000, ca=True)
    leaf = issue("api.example.com", intermediate)
    name = unique("chained")
    chain = intermediate.pem + root.pem
    iam.upload_server_certificate(
        ServerCertificateName=name,
        CertificateBody=leaf.pem,
        PrivateKey=leaf.key_pem,
        CertificateChain=chain,
    )
    got = iam.get_server_certificate(ServerCertificateName=name)["ServerCertificate"]
    assert got["CertificateChain"] == chain
    iam.delete_server_certificate(ServerCertificateName=name)

    for bad_chain, index in ((root.pem, 0), (intermediate.pem + leaf.pem, 1)):
        assert error_of(
            lambda bad_chain=bad_chain: iam.upload_server_certificate(
                ServerCertificateName=unique("badchain"),
                CertificateBody=leaf.pem,
                PrivateKey=leaf.key_pem,
                CertificateChain=bad_chain,
            )
        ) == ("MalformedCertificate", CHAIN_MESSAGE.format(index), 400)


def test_upload_errors_are_awss(iam: Any, unique: Callable[[str], str]) -> None:
    leaf, other = issue("a.example.com"), issue("b.example.com")
    assert error_of(
        lambda: iam.upload_server_certificate(
            ServerCertificateName=unique("garbage"),
            CertificateBody="-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----",
            PrivateKey=leaf.key_pem,
        )
    ) == (
        "MalformedCertificate",
        "Unable to parse certificate. Please ensure the certificate is in PEM format.",
        400,
    )
    code, _, status = error_of(
        lambda: iam.upload_server_certificate(
            ServerCertificateName=unique("nokey"), CertificateBody=leaf.pem, PrivateKey="nope"
        )
    )
    assert (code, status) == ("MalformedCertificate", 400)
    code, _, status = error_of(
        lambda: iam.upload_server_certificate(
            ServerCertificateName=unique("mismatch"),
            CertificateBody=leaf.pem,
            PrivateKey=other.key_pem,
        )
    )
    assert (code, status) == ("KeyPairMismatch", 400)

    name = unique("dup")
    iam.upload_server_certificate(
        ServerCertificateName=name, CertificateBody=leaf.pem, PrivateKey=leaf.key_pem
    )
    assert error_of(
        lambda: iam.upload_server_certificate(
            ServerCertificateName=name.upper(), CertificateBody=leaf.pem, PrivateKey=leaf.key_pem
        )
    ) == (
        "EntityAlreadyExists",
        f"The Server Certificate with name {name.upper()} already exists.",
        409,
    )
    target = unique("target")
    iam.upload_server_certificate(
        ServerCertificateName=target, CertificateBody=leaf.pem, PrivateKey=leaf.key_pem
    )
    assert error_of(
        lambda: iam.update_server_certificate(
            ServerCertificateName=name, NewServerCertificateName=target
        )
    ) == ("EntityAlreadyExists", f"The Server Certificate with name {target} already exists.", 409)
    for each in (name, target):
        iam.delete_server_certificate(ServerCertificateName=each)


def test_tags_pagination_and_quota(iam: Any, unique: Callable[[str], str]) -> None:
    """IAM quotas: 20 server certificates per account
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html)."""
    leaf = issue("q.example.com")
    existing = len(iam.list_server_certificates()["ServerCertificateMetadataList"])
    prefix = f"/{unique('page')}/"
    names = sorted(unique("cert") for _ in range(20 - existing))
    for name in names:
        iam.upload_server_certificate(
            ServerCertificateName=name,
            Path=prefix,
            CertificateBody=leaf.pem,
            PrivateKey=leaf.key_pem,
        )
    code, message, status = error_of(
        lambda: iam.upload_server_certificate(
            ServerCertificateName=unique("over"), CertificateBody=leaf.pem, PrivateKey=leaf.key_pem
        )
    )
    assert (code, message, status) == (
        "LimitExceeded",
        "Cannot exceed quota for ServerCertificatesPerAccount: 20",
        409,
    )
    first = iam.list_server_certificates(PathPrefix=prefix, MaxItems=3)
    assert first["IsTruncated"]
    assert [c["ServerCertificateName"] for c in first["ServerCertificateMetadataList"]] == names[:3]
    paginator = iam.get_paginator("list_server_certificates")
    seen = [
        c["ServerCertificateName"]
        for page in paginator.paginate(PathPrefix=prefix, PaginationConfig={"PageSize": 4})
        for c in page["ServerCertificateMetadataList"]
    ]
    assert seen == names

    tagged = names[0]
    iam.tag_server_certificate(
        ServerCertificateName=tagged,
        Tags=[{"Key": f"k{i}", "Value": str(i)} for i in range(5)],
    )
    iam.untag_server_certificate(ServerCertificateName=tagged, TagKeys=["k0"])
    page = iam.list_server_certificate_tags(ServerCertificateName=tagged, MaxItems=2)
    rest = iam.list_server_certificate_tags(ServerCertificateName=tagged, Marker=page["Marker"])
    assert [t["Key"] for t in page["Tags"] + rest["Tags"]] == ["k1", "k2", "k3", "k4"]
    code, _, _ = error_of(
        lambda: iam.tag_server_certificate(
            ServerCertificateName=tagged, Tags=[{"Key": "aws:x", "Value": "1"}]
        )
    )
    assert code == "InvalidInput"
    for name in names:
        iam.delete_server_certificate(ServerCertificateName=name)


def test_calls_are_authorized_against_the_certificate(
    server: LiveServer, iam: Any, user_client: Callable[..., Any], unique: Callable[[str], str]
) -> None:
    leaf = issue("authz.example.com")
    name = unique("authz")
    arn = f"arn:aws:iam::{server.account_id}:server-certificate/team/{name}"
    nobody = user_client()
    code, message, _ = error_of(
        lambda: nobody.upload_server_certificate(
            ServerCertificateName=name,
            Path="/team/",
            CertificateBody=leaf.pem,
            PrivateKey=leaf.key_pem,
        )
    )
    assert code == "AccessDenied" and f"iam:UploadServerCertificate on resource: {arn}" in message
    owner = user_client(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": [
                        "iam:UploadServerCertificate",
                        "iam:GetServerCertificate",
                        "iam:DeleteServerCertificate",
                    ],
                    "Resource": f"arn:aws:iam::{server.account_id}:server-certificate/team/*",
                }
            ],
        }
    )
    owner.upload_server_certificate(
        ServerCertificateName=name, Path="/team/", CertificateBody=leaf.pem, PrivateKey=leaf.key_pem
    )
    owner.get_server_certificate(ServerCertificateName=name)
    assert error_of(lambda: owner.list_server_certificates())[0] == "AccessDenied"
    outside = unique("outside")
    iam.upload_server_certificate(
        ServerCertificateName=outside, CertificateBody=leaf.pem, PrivateKey=leaf.key_pem
    )
    assert error_of(lambda: owner.get_server_certificate(ServerCertificateName=outside))[0] == (
        "AccessDenied"
    )
    owner.delete_server_certificate(ServerCertificateName=name)
    iam.delete_server_certificate(ServerCertificateName=outside)
