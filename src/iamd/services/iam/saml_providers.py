"""SAML 2.0 identity providers: the IdPs AssumeRoleWithSAML trusts.

https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateSAMLProvider.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_saml.html

The metadata document is parsed with the standard library, but only after refusing any DTD: a
document type declaration is how entity-expansion attacks reach an XML parser, and SAML
metadata never needs one.  A provider needs an ``EntityDescriptor`` holding an
``IDPSSODescriptor`` with at least one signing certificate, since that certificate is what
verifies the assertions later.

SAML assertion encryption (``AddPrivateKey``, ``AssertionEncryptionMode=Required``) needs
decryption keys stored with the provider, which the schema has no place for yet: every provider
here is in mode ``Allowed`` with no private keys.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any

from cryptography import x509

from iamd.errors import (
    EntityAlreadyExists,
    InvalidInput,
    LimitExceeded,
    NoSuchEntity,
    NotImplementedOperation,
)
from iamd.services.call import Call
from iamd.services.iam.common import (
    REGISTRY,
    check_tag_quota,
    register_tag_operations,
    request_tag_context,
    resource_tag_context,
    star_target,
    tag_dicts,
    tags_from,
)
from iamd.services.registry import Target
from iamd.store import ConflictError, Tx
from iamd.store.repos.providers import SamlProvider, SamlProviders, saml_provider_arn

TAG_KIND = "saml-provider"
MAX_PROVIDERS = 100
_MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"
_DS = "{http://www.w3.org/2000/09/xmldsig#}"
_UNPARSABLE = "Could not parse metadata."


def metadata_valid_until(document: str) -> datetime:
    """Check the metadata as AWS requires and return when it stops being valid: the
    ``validUntil`` the IdP declares, else the expiry of its first signing certificate."""
    if "<!DOCTYPE" in document or "<!ENTITY" in document:
        raise InvalidInput(_UNPARSABLE)
    try:
        root = ET.fromstring(document)
    except ET.ParseError:
        raise InvalidInput(_UNPARSABLE) from None
    if root.tag != f"{_MD}EntityDescriptor" or not root.get("entityID"):
        raise InvalidInput(_UNPARSABLE)
    certificates = [
        _certificate(element.text or "")
        for idp in root.iter(f"{_MD}IDPSSODescriptor")
        for key in idp.iter(f"{_MD}KeyDescriptor")
        if key.get("use", "signing") == "signing"
        for element in key.iter(f"{_DS}X509Certificate")
    ]
    if not certificates:
        raise InvalidInput(_UNPARSABLE)
    declared = root.get("validUntil")
    if declared:
        try:
            when = datetime.fromisoformat(declared.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInput(_UNPARSABLE) from None
        return when if when.tzinfo else when.replace(tzinfo=UTC)
    return certificates[0].not_valid_after_utc


def _certificate(text: str) -> x509.Certificate:
    try:
        der = base64.b64decode("".join(text.split()), validate=True)
        return x509.load_der_x509_certificate(der)
    except (binascii.Error, ValueError):
        raise InvalidInput(_UNPARSABLE) from None


def provider_uuid(provider: SamlProvider) -> str:
    """A stable identifier of this provider's incarnation (recreating the name makes a new
    one), in the alphabet AWS's ``SAMLProviderUUID`` uses."""
    seed = f"{provider.arn}\0{provider.create_date.isoformat()}".encode()
    return base64.b32encode(hashlib.sha256(seed).digest()).decode().rstrip("=")[:26]


def provider_or_404(tx: Tx, call: Call) -> SamlProvider:
    arn = call.params["SAMLProviderArn"]
    provider = tx.repo(SamlProviders).get(arn)
    if provider is None or provider.account_id != call.account_id:
        raise NoSuchEntity(f"Manifest not found for arn {arn}")
    return provider


def _check_encryption(call: Call) -> None:
    if call.param("AddPrivateKey"):
        raise NotImplementedOperation(
            "iamd does not store SAML assertion decryption keys yet (AddPrivateKey)."
        )
    if call.param("RemovePrivateKey"):
        raise InvalidInput(
            "Failed to remove private key because the Key ID does not match a private key."
        )
    if call.param("AssertionEncryptionMode") == "Required":
        raise InvalidInput(
            "Unable to set assertion encryption mode to Required because no private key is "
            "provided."
        )


def _provider_target(call: Call, tx: Tx) -> Target:
    arn = call.param("SAMLProviderArn") or ""
    context = request_tag_context(call.params)
    provider = tx.repo(SamlProviders).get(arn)
    if provider is not None and provider.account_id == call.account_id:
        context.update(resource_tag_context(tx.tags.all(TAG_KIND, arn)))
    return Target(arn, context)


def _new_provider_target(call: Call, tx: Tx) -> Target:
    return Target(
        saml_provider_arn(call.account_id, str(call.param("Name") or "")),
        request_tag_context(call.params),
    )


@REGISTRY.operation("CreateSAMLProvider", target=_new_provider_target)
def create_saml_provider(call: Call) -> dict[str, Any]:
    tags = tags_from(call.params)
    check_tag_quota([], tags)
    _check_encryption(call)
    document = call.params["SAMLMetadataDocument"]
    valid_until = metadata_valid_until(document)
    with call.store.write() as tx:
        repo = tx.repo(SamlProviders)
        if repo.count(call.account_id) >= MAX_PROVIDERS:
            raise LimitExceeded(f"Cannot exceed quota for SAMLProvidersPerAccount: {MAX_PROVIDERS}")
        try:
            provider = repo.create(call.account_id, call.params["Name"], document, valid_until)
        except ConflictError as exc:
            raise EntityAlreadyExists(str(exc)) from None
        tx.tags.put(TAG_KIND, provider.arn, tags)
        tx.changes.record(TAG_KIND, provider.arn)
    out: dict[str, Any] = {"SAMLProviderArn": provider.arn}
    if tags:
        out["Tags"] = tag_dicts(tags)
    return out


@REGISTRY.operation("GetSAMLProvider", target=_provider_target)
def get_saml_provider(call: Call) -> dict[str, Any]:
    with call.store.read() as tx:
        provider = provider_or_404(tx, call)
        tags = tx.tags.all(TAG_KIND, provider.arn)
    return {
        "SAMLProviderUUID": provider_uuid(provider),
        "SAMLMetadataDocument": provider.metadata_document,
        "CreateDate": provider.create_date,
        "ValidUntil": provider.valid_until,
        "Tags": tag_dicts(tags),
        "AssertionEncryptionMode": "Allowed",
        "PrivateKeyList": [],
    }


@REGISTRY.operation("ListSAMLProviders", target=star_target)
def list_saml_providers(call: Call) -> dict[str, Any]:
    with call.store.read() as tx:
        providers = tx.repo(SamlProviders).all(call.account_id)
    return {
        "SAMLProviderList": [
            {"Arn": p.arn, "ValidUntil": p.valid_until, "CreateDate": p.create_date}
            for p in providers
        ]
    }


@REGISTRY.operation("UpdateSAMLProvider", target=_provider_target)
def update_saml_provider(call: Call) -> dict[str, Any]:
    document = call.param("SAMLMetadataDocument")
    if document is None and not any(
        call.param(p) for p in ("AssertionEncryptionMode", "AddPrivateKey", "RemovePrivateKey")
    ):
        raise InvalidInput(
            "Unable to update identity provider. No updates are defined for metadata or "
            "encryption assertion."
        )
    _check_encryption(call)
    valid_until = metadata_valid_until(document) if document is not None else None
    with call.store.write() as tx:
        provider = provider_or_404(tx, call)
        if document is not None:
            tx.repo(SamlProviders).update_metadata(provider.arn, document, valid_until)
            tx.changes.record(TAG_KIND, provider.arn)
    return {"SAMLProviderArn": provider.arn}


@REGISTRY.operation("DeleteSAMLProvider", target=_provider_target)
def delete_saml_provider(call: Call) -> dict[str, Any]:
    with call.store.write() as tx:
        provider = provider_or_404(tx, call)
        tx.tags.drop(TAG_KIND, provider.arn)
        tx.repo(SamlProviders).delete(provider.arn)
        tx.changes.record(TAG_KIND, provider.arn)
    return {}


register_tag_operations(
    "SAMLProvider", TAG_KIND, lambda call, tx: provider_or_404(tx, call).arn, _provider_target
)
