"""A user's other credentials: SSH public keys, service-specific credentials and X.509 signing
certificates.

Service-specific passwords are secrets: they are sealed at rest, bound to the credential id,
and opened only when a record is read.  Public keys and certificates are not secrets and are
stored as uploaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, exists, select, update

from iamd.store.ids import new_id
from iamd.store.repos.base import Repo, now, to_record
from iamd.store.schema import (
    service_specific_credentials,
    signing_certificates,
    ssh_public_keys,
    users,
)


@dataclass(frozen=True, slots=True)
class SSHPublicKey:
    id: str
    user_id: str
    body: str
    fingerprint: str
    status: str
    upload_date: datetime


@dataclass(frozen=True, slots=True)
class ServiceCredential:
    id: str
    user_id: str
    service_name: str
    service_user_name: str
    password: str
    """Opened from its sealed form on read; never logged."""
    status: str
    create_date: datetime

    def __repr__(self) -> str:
        return f"ServiceCredential(id={self.id!r}, service_name={self.service_name!r})"


@dataclass(frozen=True, slots=True)
class SigningCertificate:
    id: str
    user_id: str | None
    """``None`` for the account's root user."""
    account_id: str
    body: str
    status: str
    upload_date: datetime


def _any_of_user(repo: Repo, table: Table, user_id: str) -> bool:
    return bool(repo.conn.execute(select(exists().where(table.c.user_id == user_id))).scalar())


class SSHPublicKeys(Repo):
    def create(self, user_id: str, body: str, fingerprint: str) -> SSHPublicKey:
        values: dict[str, Any] = {
            "id": new_id("ssh-key"),
            "user_id": user_id,
            "body": body,
            "fingerprint": fingerprint,
            "status": "Active",
            "upload_date": now(),
        }
        self.insert(ssh_public_keys, "The SSH public key already exists.", **values)
        return to_record(SSHPublicKey, values)

    def get(self, key_id: str) -> SSHPublicKey | None:
        row = self.conn.execute(
            select(ssh_public_keys).where(ssh_public_keys.c.id == key_id)
        ).first()
        return to_record(SSHPublicKey, row._mapping) if row else None

    def of_user(self, user_id: str) -> list[SSHPublicKey]:
        """Ordered by key id, as AWS lists them."""
        rows = self.conn.execute(
            select(ssh_public_keys)
            .where(ssh_public_keys.c.user_id == user_id)
            .order_by(ssh_public_keys.c.id)
        )
        return [to_record(SSHPublicKey, r._mapping) for r in rows]

    def any_of_user(self, user_id: str) -> bool:
        return _any_of_user(self, ssh_public_keys, user_id)

    def set_status(self, key_id: str, status: str) -> None:
        self.conn.execute(
            update(ssh_public_keys).where(ssh_public_keys.c.id == key_id).values(status=status)
        )

    def delete(self, key_id: str) -> None:
        self.conn.execute(delete(ssh_public_keys).where(ssh_public_keys.c.id == key_id))


class ServiceCredentials(Repo):
    def _record(self, row: Any) -> ServiceCredential:
        mapping = dict(row._mapping)
        sealed = mapping.pop("password_sealed")
        mapping["password"] = self.sealer.open(sealed, mapping["id"]).decode()
        return to_record(ServiceCredential, mapping)

    def create(
        self, user_id: str, service_name: str, service_user_name: str, password: str
    ) -> ServiceCredential:
        credential_id = new_id("service-credential")
        values: dict[str, Any] = {
            "id": credential_id,
            "user_id": user_id,
            "service_name": service_name,
            "service_user_name": service_user_name,
            "password_sealed": self.sealer.seal(password.encode(), credential_id),
            "status": "Active",
            "create_date": now(),
        }
        self.insert(
            service_specific_credentials, f"Credential {credential_id} already exists.", **values
        )
        values.pop("password_sealed")
        return to_record(ServiceCredential, {**values, "password": password})

    def get(self, credential_id: str) -> ServiceCredential | None:
        row = self.conn.execute(
            select(service_specific_credentials).where(
                service_specific_credentials.c.id == credential_id
            )
        ).first()
        return self._record(row) if row else None

    def of_user(self, user_id: str, service_name: str | None = None) -> list[ServiceCredential]:
        query = select(service_specific_credentials).where(
            service_specific_credentials.c.user_id == user_id
        )
        if service_name is not None:
            query = query.where(service_specific_credentials.c.service_name == service_name)
        rows = self.conn.execute(
            query.order_by(
                service_specific_credentials.c.create_date, service_specific_credentials.c.id
            )
        )
        return [self._record(r) for r in rows]

    def any_of_user(self, user_id: str) -> bool:
        """Without opening any sealed password."""
        return _any_of_user(self, service_specific_credentials, user_id)

    def of_account(
        self, account_id: str, service_name: str | None = None
    ) -> list[tuple[str, ServiceCredential]]:
        """Every user's credentials in the account, each with its user's name."""
        creds = service_specific_credentials
        query = (
            select(creds, users.c.name.label("owner_name"))
            .join(users, users.c.id == creds.c.user_id)
            .where(users.c.account_id == account_id)
        )
        if service_name is not None:
            query = query.where(creds.c.service_name == service_name)
        rows = self.conn.execute(query.order_by(creds.c.create_date, creds.c.id))
        out = []
        for row in rows:
            mapping = dict(row._mapping)
            owner = str(mapping.pop("owner_name"))
            sealed = mapping.pop("password_sealed")
            mapping["password"] = self.sealer.open(sealed, mapping["id"]).decode()
            out.append((owner, to_record(ServiceCredential, mapping)))
        return out

    def set_status(self, credential_id: str, status: str) -> None:
        self.conn.execute(
            update(service_specific_credentials)
            .where(service_specific_credentials.c.id == credential_id)
            .values(status=status)
        )

    def reset_password(self, credential_id: str, password: str) -> None:
        self.conn.execute(
            update(service_specific_credentials)
            .where(service_specific_credentials.c.id == credential_id)
            .values(password_sealed=self.sealer.seal(password.encode(), credential_id))
        )

    def delete(self, credential_id: str) -> None:
        self.conn.execute(
            delete(service_specific_credentials).where(
                service_specific_credentials.c.id == credential_id
            )
        )


class SigningCertificates(Repo):
    def create(
        self, certificate_id: str, account_id: str, user_id: str | None, body: str
    ) -> SigningCertificate:
        """Raises :class:`ConflictError` when ``certificate_id`` is taken.

        Callers derive the id from the certificate itself, so the database refuses the same
        certificate twice in an account even when two requests race.
        """
        values: dict[str, Any] = {
            "id": certificate_id,
            "account_id": account_id,
            "user_id": user_id,
            "body": body,
            "status": "Active",
            "upload_date": now(),
        }
        self.insert(signing_certificates, f"Certificate {certificate_id} already exists.", **values)
        return to_record(SigningCertificate, values)

    def get(self, certificate_id: str) -> SigningCertificate | None:
        row = self.conn.execute(
            select(signing_certificates).where(signing_certificates.c.id == certificate_id)
        ).first()
        return to_record(SigningCertificate, row._mapping) if row else None

    def any_of_user(self, user_id: str) -> bool:
        return _any_of_user(self, signing_certificates, user_id)

    def of_owner(self, account_id: str, user_id: str | None) -> list[SigningCertificate]:
        """A user's certificates, or with ``user_id=None`` the root user's."""
        owner = (
            signing_certificates.c.user_id.is_(None)
            if user_id is None
            else signing_certificates.c.user_id == user_id
        )
        rows = self.conn.execute(
            select(signing_certificates)
            .where(signing_certificates.c.account_id == account_id, owner)
            .order_by(signing_certificates.c.upload_date, signing_certificates.c.id)
        )
        return [to_record(SigningCertificate, r._mapping) for r in rows]

    def set_status(self, certificate_id: str, status: str) -> None:
        self.conn.execute(
            update(signing_certificates)
            .where(signing_certificates.c.id == certificate_id)
            .values(status=status)
        )

    def delete(self, certificate_id: str) -> None:
        self.conn.execute(
            delete(signing_certificates).where(signing_certificates.c.id == certificate_id)
        )
