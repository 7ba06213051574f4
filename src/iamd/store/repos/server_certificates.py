"""Server certificates: the public certificate and chain in clear, the private key sealed.

The private key is sealed bound to the certificate's id, which never changes (a rename changes
the name, path and ARN), and it is never part of a record: only :meth:`private_key` opens it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update

from iamd.store.ids import new_id
from iamd.store.repos.base import Repo, now, to_record
from iamd.store.schema import server_certificates


@dataclass(frozen=True, slots=True)
class ServerCertificate:
    id: str
    account_id: str
    name: str
    path: str
    arn: str
    body: str
    chain: str | None
    upload_date: datetime
    expiration: datetime | None


def server_certificate_arn(account_id: str, path: str, name: str) -> str:
    return f"arn:aws:iam::{account_id}:server-certificate{path}{name}"


def _exists(name: str) -> str:
    return f"The Server Certificate with name {name} already exists."


class ServerCertificates(Repo):
    def create(
        self,
        account_id: str,
        name: str,
        path: str,
        body: str,
        chain: str | None,
        private_key: str,
        expiration: datetime | None,
    ) -> ServerCertificate:
        cert_id = new_id("server-certificate")
        values: dict[str, Any] = {
            "id": cert_id,
            "account_id": account_id,
            "name": name,
            "name_lower": name.lower(),
            "path": path,
            "arn": server_certificate_arn(account_id, path, name),
            "body": body,
            "chain": chain,
            "private_key_sealed": self.sealer.seal(private_key.encode(), cert_id),
            "upload_date": now(),
            "expiration": expiration,
        }
        self.insert(server_certificates, _exists(name), **values)
        return to_record(ServerCertificate, values)

    def get(self, account_id: str, name: str) -> ServerCertificate | None:
        row = self.conn.execute(
            select(server_certificates).where(
                server_certificates.c.account_id == account_id,
                server_certificates.c.name_lower == name.lower(),
            )
        ).first()
        return to_record(ServerCertificate, row._mapping) if row else None

    def get_by_id(self, cert_id: str) -> ServerCertificate | None:
        row = self.conn.execute(
            select(server_certificates).where(server_certificates.c.id == cert_id)
        ).first()
        return to_record(ServerCertificate, row._mapping) if row else None

    def all(self, account_id: str, path_prefix: str = "/") -> list[ServerCertificate]:
        rows = self.conn.execute(
            select(server_certificates)
            .where(
                server_certificates.c.account_id == account_id,
                server_certificates.c.path.startswith(path_prefix, autoescape=True),
            )
            .order_by(server_certificates.c.name_lower)
        )
        return [to_record(ServerCertificate, r._mapping) for r in rows]

    def count(self, account_id: str) -> int:
        query = (
            select(func.count())
            .select_from(server_certificates)
            .where(server_certificates.c.account_id == account_id)
        )
        return int(self.conn.execute(query).scalar_one())

    def private_key(self, cert_id: str) -> str | None:
        row = self.conn.execute(
            select(server_certificates.c.private_key_sealed).where(
                server_certificates.c.id == cert_id
            )
        ).first()
        return self.sealer.open(row[0], cert_id).decode() if row else None

    def rename(
        self, cert: ServerCertificate, name: str | None, path: str | None
    ) -> ServerCertificate:
        new_name = name or cert.name
        new_path = path or cert.path
        with self.unique(_exists(new_name)):
            self.conn.execute(
                update(server_certificates)
                .where(server_certificates.c.id == cert.id)
                .values(
                    name=new_name,
                    name_lower=new_name.lower(),
                    path=new_path,
                    arn=server_certificate_arn(cert.account_id, new_path, new_name),
                )
            )
        updated = self.get_by_id(cert.id)
        assert updated is not None
        return updated

    def delete(self, cert_id: str) -> None:
        self.conn.execute(delete(server_certificates).where(server_certificates.c.id == cert_id))
