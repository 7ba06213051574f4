"""Identity providers: OpenID Connect and SAML.

A provider is keyed by its ARN, which is derived from what names it (the issuer URL without its
scheme, or the SAML provider name), so the primary key alone keeps one provider per URL or name
in an account.  Client ids and thumbprints are stored as JSON lists in the order given.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update

from iamd.store.repos.base import Repo, now, to_record
from iamd.store.schema import oidc_providers, saml_providers


@dataclass(frozen=True, slots=True)
class OidcProvider:
    arn: str
    account_id: str
    url: str
    """The issuer URL without ``https://``, as AWS returns it."""
    client_ids: list[str]
    thumbprints: list[str]
    create_date: datetime


@dataclass(frozen=True, slots=True)
class SamlProvider:
    arn: str
    account_id: str
    name: str
    metadata_document: str
    create_date: datetime
    valid_until: datetime | None


def oidc_provider_arn(account_id: str, url: str) -> str:
    return f"arn:aws:iam::{account_id}:oidc-provider/{url}"


def saml_provider_arn(account_id: str, name: str) -> str:
    return f"arn:aws:iam::{account_id}:saml-provider/{name}"


def _oidc(row: Any) -> OidcProvider:
    mapping = dict(row._mapping)
    mapping["client_ids"] = json.loads(mapping["client_ids"])
    mapping["thumbprints"] = json.loads(mapping["thumbprints"])
    return to_record(OidcProvider, mapping)


class OidcProviders(Repo):
    def create(
        self, account_id: str, url: str, client_ids: list[str], thumbprints: list[str]
    ) -> OidcProvider:
        """``url`` is the issuer without its scheme; raises ConflictError if it is registered."""
        values: dict[str, Any] = {
            "arn": oidc_provider_arn(account_id, url),
            "account_id": account_id,
            "url": url,
            "client_ids": json.dumps(client_ids),
            "thumbprints": json.dumps(thumbprints),
            "create_date": now(),
        }
        self.insert(oidc_providers, f"Provider with url https://{url} already exists.", **values)
        return to_record(
            OidcProvider, {**values, "client_ids": client_ids, "thumbprints": thumbprints}
        )

    def get(self, arn: str) -> OidcProvider | None:
        row = self.conn.execute(select(oidc_providers).where(oidc_providers.c.arn == arn)).first()
        return _oidc(row) if row else None

    def all(self, account_id: str) -> list[OidcProvider]:
        rows = self.conn.execute(
            select(oidc_providers)
            .where(oidc_providers.c.account_id == account_id)
            .order_by(oidc_providers.c.arn)
        )
        return [_oidc(r) for r in rows]

    def count(self, account_id: str) -> int:
        query = (
            select(func.count())
            .select_from(oidc_providers)
            .where(oidc_providers.c.account_id == account_id)
        )
        return int(self.conn.execute(query).scalar_one())

    def set_client_ids(self, arn: str, client_ids: list[str]) -> None:
        self.conn.execute(
            update(oidc_providers)
            .where(oidc_providers.c.arn == arn)
            .values(client_ids=json.dumps(client_ids))
        )

    def set_thumbprints(self, arn: str, thumbprints: list[str]) -> None:
        self.conn.execute(
            update(oidc_providers)
            .where(oidc_providers.c.arn == arn)
            .values(thumbprints=json.dumps(thumbprints))
        )

    def delete(self, arn: str) -> bool:
        result = self.conn.execute(delete(oidc_providers).where(oidc_providers.c.arn == arn))
        return bool(result.rowcount)


class SamlProviders(Repo):
    def create(
        self, account_id: str, name: str, metadata_document: str, valid_until: datetime | None
    ) -> SamlProvider:
        values: dict[str, Any] = {
            "arn": saml_provider_arn(account_id, name),
            "account_id": account_id,
            "name": name,
            "metadata_document": metadata_document,
            "create_date": now(),
            "valid_until": valid_until,
        }
        self.insert(saml_providers, f"Provider with name {name} already exists.", **values)
        return to_record(SamlProvider, values)

    def get(self, arn: str) -> SamlProvider | None:
        row = self.conn.execute(select(saml_providers).where(saml_providers.c.arn == arn)).first()
        return to_record(SamlProvider, row._mapping) if row else None

    def all(self, account_id: str) -> list[SamlProvider]:
        rows = self.conn.execute(
            select(saml_providers)
            .where(saml_providers.c.account_id == account_id)
            .order_by(saml_providers.c.arn)
        )
        return [to_record(SamlProvider, r._mapping) for r in rows]

    def count(self, account_id: str) -> int:
        query = (
            select(func.count())
            .select_from(saml_providers)
            .where(saml_providers.c.account_id == account_id)
        )
        return int(self.conn.execute(query).scalar_one())

    def update_metadata(
        self, arn: str, metadata_document: str, valid_until: datetime | None
    ) -> None:
        self.conn.execute(
            update(saml_providers)
            .where(saml_providers.c.arn == arn)
            .values(metadata_document=metadata_document, valid_until=valid_until)
        )

    def delete(self, arn: str) -> bool:
        result = self.conn.execute(delete(saml_providers).where(saml_providers.c.arn == arn))
        return bool(result.rowcount)
