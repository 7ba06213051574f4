"""X.509 signing certificates: UploadSigningCertificate, ListSigningCertificates,
UpdateSigningCertificate, DeleteSigningCertificate.

https://docs.aws.amazon.com/IAM/latest/APIReference/API_UploadSigningCertificate.html

At most two per user.  Without ``UserName`` the call acts on the caller: an IAM user's own
certificates, or the root user's, which AWS keeps for the account itself.  One certificate may
belong to only one principal in an account: the certificate id is derived from the account and
the certificate's DER bytes, so the database itself refuses a second upload, even a concurrent
one.  Messages for a malformed body, a missing certificate and the quota are AWS's as recorded
by LocalStack's AWS-validated tests (tests/aws/services/iam/test_iam_signing_certificates).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import Encoding

from iamd.errors import AWSError, InvalidInput, LimitExceeded, NoSuchEntity
from iamd.services.call import Call
from iamd.services.iam.common import REGISTRY, entity_target, find_user, paginate, user_or_404
from iamd.store import ConflictError, Tx
from iamd.store.records import User
from iamd.store.repos.user_credentials import SigningCertificate, SigningCertificates

# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
MAX_CERTIFICATES = 2

_self_or_user = entity_target("user", "UserName", find_user, default_self=True)


def _malformed(message: str) -> AWSError:
    return AWSError(message, code="MalformedCertificate", status=400, sender=True)


def parse_certificate(body: str, now: datetime) -> x509.Certificate:
    """The certificate in ``body``, or AWS's error for why it cannot be a signing certificate."""
    try:
        certificate = x509.load_pem_x509_certificate(body.strip().encode("latin-1"))
        public_key = certificate.public_key()
    except (ValueError, TypeError):
        raise _malformed(f"Certificate {body} is malformed.") from None
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        raise _malformed("The certificate is expired or not yet valid.")
    if not isinstance(public_key, RSAPublicKey):
        raise AWSError(
            "The certificate's public key must be an RSA key.",
            code="InvalidCertificate",
            status=400,
            sender=True,
        )
    return certificate


def certificate_id(account_id: str, certificate: x509.Certificate) -> str:
    """32 upper-case hex characters, the same for the same certificate in the same account."""
    der = certificate.public_bytes(Encoding.DER)
    return hashlib.sha256(account_id.encode() + b"\0" + der).hexdigest()[:32].upper()


def _owner(call: Call, tx: Tx) -> User | None:
    """The user named, else the calling user; ``None`` for the root user's own certificates."""
    name = call.param("UserName")
    if name:
        return user_or_404(tx, call.account_id, name)
    if call.caller.user_id:
        user = tx.users.get_by_id(call.caller.user_id)
        if user is None:
            raise NoSuchEntity("The user with name unknown cannot be found.")
        return user
    if call.caller.is_root:
        return None
    raise NoSuchEntity("Must specify userName when calling with non-User credentials")


def _certificate_of(
    tx: Tx, call: Call, owner: User | None, certificate_id: str
) -> SigningCertificate:
    found = tx.repo(SigningCertificates).get(certificate_id)
    if (
        found is None
        or found.account_id != call.account_id
        or found.user_id != (owner.id if owner else None)
    ):
        raise NoSuchEntity(f"The Certificate with id {certificate_id} cannot be found.")
    return found


def _certificate_dict(owner_name: str, certificate: SigningCertificate) -> dict[str, Any]:
    return {
        "UserName": owner_name,
        "CertificateId": certificate.id,
        "CertificateBody": certificate.body,
        "Status": certificate.status,
        "UploadDate": certificate.upload_date,
    }


def _owner_name(call: Call, owner: User | None) -> str:
    return owner.name if owner else call.account_id


@REGISTRY.operation("UploadSigningCertificate", target=_self_or_user)
def upload_signing_certificate(call: Call) -> dict[str, Any]:
    body = call.params["CertificateBody"]
    now = call.now or datetime.now(UTC)
    with call.store.write() as tx:
        owner = _owner(call, tx)
        certificate = parse_certificate(body, now)
        certificates = tx.repo(SigningCertificates)
        owner_id = owner.id if owner else None
        if len(certificates.of_owner(call.account_id, owner_id)) >= MAX_CERTIFICATES:
            raise LimitExceeded(f"Cannot exceed quota for CertificatesPerUser: {MAX_CERTIFICATES}")
        try:
            created = certificates.create(
                certificate_id(call.account_id, certificate), call.account_id, owner_id, body
            )
        except ConflictError:
            raise AWSError(
                "The same certificate is already associated with a user in this account.",
                code="DuplicateCertificate",
                status=409,
                sender=True,
            ) from None
        tx.changes.record("signing-certificate", created.id)
    return {"Certificate": _certificate_dict(_owner_name(call, owner), created)}


@REGISTRY.operation("ListSigningCertificates", target=_self_or_user)
def list_signing_certificates(call: Call) -> dict[str, Any]:
    with call.store.read() as tx:
        owner = _owner(call, tx)
        found = tx.repo(SigningCertificates).of_owner(call.account_id, owner.id if owner else None)
    page, more = paginate(call, found, key=lambda c: f"{c.upload_date.isoformat()}|{c.id}")
    name = _owner_name(call, owner)
    return {"Certificates": [_certificate_dict(name, c) for c in page], **more}


@REGISTRY.operation("UpdateSigningCertificate", target=_self_or_user)
def update_signing_certificate(call: Call) -> dict[str, Any]:
    status = call.params["Status"]
    with call.store.write() as tx:
        owner = _owner(call, tx)
        found = _certificate_of(tx, call, owner, call.params["CertificateId"])
        if status not in ("Active", "Inactive"):
            raise InvalidInput(f"Invalid status {status}. Valid values are Active and Inactive.")
        tx.repo(SigningCertificates).set_status(found.id, status)
        tx.changes.record("signing-certificate", found.id)
    return {}


@REGISTRY.operation("DeleteSigningCertificate", target=_self_or_user)
def delete_signing_certificate(call: Call) -> dict[str, Any]:
    with call.store.write() as tx:
        owner = _owner(call, tx)
        found = _certificate_of(tx, call, owner, call.params["CertificateId"])
        tx.repo(SigningCertificates).delete(found.id)
        tx.changes.record("signing-certificate", found.id)
    return {}
