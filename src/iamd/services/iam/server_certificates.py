"""Server certificates: X.509 certificates with their private keys, for TLS front ends.

https://docs.aws.amazon.com/IAM/latest/APIReference/API_UploadServerCertificate.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_server-certs.html

The certificate, its key and its chain are checked before anything is stored: each must parse
as PEM, the key must be the certificate's, and each chain certificate must have signed the one
before it.  The private key is sealed at rest and never returned by any call.  Every write goes
to the change feed, since authorization targets (the ARN and its tags) are cached per process.
"""

from __future__ import annotations

from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_private_key,
)

from iamd.errors import AWSError, EntityAlreadyExists, LimitExceeded, NoSuchEntity
from iamd.services.call import Call
from iamd.services.iam.common import (
    REGISTRY,
    check_tag_quota,
    entity_target,
    new_entity_target,
    paginate,
    register_tag_operations,
    star_target,
    tag_dicts,
    tags_from,
)
from iamd.store import ConflictError, Tx
from iamd.store.repos.server_certificates import ServerCertificate, ServerCertificates

TAG_KIND = "server-certificate"
MAX_SERVER_CERTIFICATES = 20


def malformed(message: str) -> AWSError:
    return AWSError(message, code="MalformedCertificate", status=400, sender=True)


def key_pair_mismatch() -> AWSError:
    return AWSError(
        "The private key did not match the public key provided.",
        code="KeyPairMismatch",
        status=400,
        sender=True,
    )


def _chain_error(index: int) -> AWSError:
    return malformed(
        "Unable to validate certificate chain. The certificate chain must start with the "
        "immediate signing certificate, followed by any intermediaries in order. The index "
        f"within the chain of the invalid certificate is: {index}"
    )


def _spki(public_key: Any) -> bytes:
    return bytes(public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo))


def checked_certificate(body: str, private_key: str, chain: str | None) -> x509.Certificate:
    """Parse and cross-check what UploadServerCertificate was given; returns the certificate."""
    try:
        certificate = x509.load_pem_x509_certificate(body.encode())
    except ValueError:
        raise malformed(
            "Unable to parse certificate. Please ensure the certificate is in PEM format."
        ) from None
    try:
        key = load_pem_private_key(private_key.encode(), password=None)
    except (ValueError, TypeError):
        raise malformed("Unable to parse private key.") from None
    if _spki(key.public_key()) != _spki(certificate.public_key()):
        raise key_pair_mismatch()
    if chain:
        try:
            issuers = x509.load_pem_x509_certificates(chain.encode())
        except ValueError:
            raise _chain_error(-1) from None
        subject = certificate
        for index, issuer in enumerate(issuers):
            try:
                subject.verify_directly_issued_by(issuer)
            except (ValueError, TypeError, InvalidSignature):
                raise _chain_error(index) from None
            subject = issuer
    return certificate


def _find(tx: Tx, account_id: str, name: str) -> ServerCertificate | None:
    return tx.repo(ServerCertificates).get(account_id, name)


def certificate_or_404(tx: Tx, account_id: str, name: str) -> ServerCertificate:
    cert = _find(tx, account_id, name)
    if cert is None:
        raise NoSuchEntity(f"The Server Certificate with name {name} cannot be found.")
    return cert


def metadata(cert: ServerCertificate) -> dict[str, Any]:
    return {
        "Path": cert.path,
        "ServerCertificateName": cert.name,
        "ServerCertificateId": cert.id,
        "Arn": cert.arn,
        "UploadDate": cert.upload_date,
        "Expiration": cert.expiration,
    }


_certificate = entity_target(TAG_KIND, "ServerCertificateName", _find)


@REGISTRY.operation(
    "UploadServerCertificate",
    target=new_entity_target(TAG_KIND, "ServerCertificateName"),
)
def upload_server_certificate(call: Call) -> dict[str, Any]:
    tags = tags_from(call.params)
    check_tag_quota([], tags)
    body = call.params["CertificateBody"]
    chain = call.param("CertificateChain")
    private_key = call.params["PrivateKey"]
    certificate = checked_certificate(body, private_key, chain)
    with call.store.write() as tx:
        repo = tx.repo(ServerCertificates)
        if repo.count(call.account_id) >= MAX_SERVER_CERTIFICATES:
            raise LimitExceeded(
                f"Cannot exceed quota for ServerCertificatesPerAccount: {MAX_SERVER_CERTIFICATES}"
            )
        try:
            cert = repo.create(
                call.account_id,
                call.params["ServerCertificateName"],
                call.param("Path") or "/",
                body,
                chain,
                private_key,
                certificate.not_valid_after_utc,
            )
        except ConflictError as exc:
            raise EntityAlreadyExists(str(exc)) from None
        tx.tags.put(TAG_KIND, cert.id, tags)
        tx.changes.record(TAG_KIND, cert.id)
    out: dict[str, Any] = {"ServerCertificateMetadata": metadata(cert)}
    if tags:
        out["Tags"] = tag_dicts(tags)
    return out


@REGISTRY.operation("GetServerCertificate", target=_certificate)
def get_server_certificate(call: Call) -> dict[str, Any]:
    with call.store.read() as tx:
        cert = certificate_or_404(tx, call.account_id, call.params["ServerCertificateName"])
        tags = tx.tags.all(TAG_KIND, cert.id)
    return {
        "ServerCertificate": {
            "ServerCertificateMetadata": metadata(cert),
            "CertificateBody": cert.body,
            "CertificateChain": cert.chain,
            "Tags": tag_dicts(tags),
        }
    }


@REGISTRY.operation("ListServerCertificates", target=star_target)
def list_server_certificates(call: Call) -> dict[str, Any]:
    with call.store.read() as tx:
        certs = tx.repo(ServerCertificates).all(call.account_id, call.param("PathPrefix") or "/")
    # Python's order, which the marker comparisons use, not the database collation's.
    certs.sort(key=lambda c: c.name.lower())
    page, more = paginate(call, certs, key=lambda c: c.name.lower())
    return {"ServerCertificateMetadataList": [metadata(c) for c in page], **more}


@REGISTRY.operation("UpdateServerCertificate", target=_certificate)
def update_server_certificate(call: Call) -> dict[str, Any]:
    with call.store.write() as tx:
        cert = certificate_or_404(tx, call.account_id, call.params["ServerCertificateName"])
        try:
            tx.repo(ServerCertificates).rename(
                cert, call.param("NewServerCertificateName"), call.param("NewPath")
            )
        except ConflictError as exc:
            raise EntityAlreadyExists(str(exc)) from None
        tx.changes.record(TAG_KIND, cert.id)
    return {}


@REGISTRY.operation("DeleteServerCertificate", target=_certificate)
def delete_server_certificate(call: Call) -> dict[str, Any]:
    with call.store.write() as tx:
        cert = certificate_or_404(tx, call.account_id, call.params["ServerCertificateName"])
        tx.tags.drop(TAG_KIND, cert.id)
        tx.repo(ServerCertificates).delete(cert.id)
        tx.changes.record(TAG_KIND, cert.id)
    return {}


register_tag_operations(
    "ServerCertificate",
    TAG_KIND,
    lambda call, tx: (
        certificate_or_404(tx, call.account_id, call.params["ServerCertificateName"]).id
    ),
    _certificate,
)
