"""OpenID Connect identity providers: the issuers AssumeRoleWithWebIdentity trusts.

https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateOpenIDConnectProvider.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc.html

A provider is named by its issuer URL without ``https://``: that is its ARN's resource part and
the ``Url`` GetOpenIDConnectProvider returns.  Thumbprints are optional (AWS now verifies the
issuer's TLS certificate against trusted root CAs); up to five may still be given.
"""

from __future__ import annotations

import string
from typing import Any
from urllib.parse import urlsplit

from iamd.errors import EntityAlreadyExists, InvalidInput, LimitExceeded, NoSuchEntity
from iamd.errors import ValidationError as AWSValidationError
from iamd.services.call import Call
from iamd.services.iam.common import (
    MAX_TAGS,
    REGISTRY,
    register_tag_operations,
    request_tag_context,
    resource_tag_context,
    star_target,
    tag_dicts,
    tags_from,
)
from iamd.services.registry import Target
from iamd.store import ConflictError, Tx
from iamd.store.records import Tag
from iamd.store.repos.providers import OidcProvider, OidcProviders, oidc_provider_arn

TAG_KIND = "oidc-provider"
MAX_PROVIDERS = 100
MAX_CLIENT_IDS = 100
MAX_THUMBPRINTS = 5
_HEX = frozenset(string.hexdigits)


def issuer_of(url: str) -> str:
    """The provider's name: its URL without the scheme, or ValidationError as AWS answers."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "https" or not parts.hostname or parts.query or parts.fragment:
        raise AWSValidationError("Invalid Open ID Connect Provider URL")
    return url[len("https://") :]


def _checked_thumbprints(thumbprints: list[str]) -> list[str]:
    if len(thumbprints) > MAX_THUMBPRINTS:
        raise InvalidInput("Thumbprint list must contain fewer than 5 entries.")
    for thumbprint in thumbprints:
        if not set(thumbprint) <= _HEX:
            raise InvalidInput(
                f"Thumbprint {thumbprint} is not a hex-encoded SHA-1 certificate thumbprint."
            )
    return _unique(thumbprints)


def _checked_client_ids(client_ids: list[str]) -> list[str]:
    unique = _unique(client_ids)
    if len(unique) > MAX_CLIENT_IDS:
        raise LimitExceeded(
            f"Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: {MAX_CLIENT_IDS}"
        )
    return unique


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _check_tag_quota(existing: list[Tag], new: list[Tag]) -> None:
    # AWS's message for identity providers names no number, unlike users' and roles'.
    keys = {t.key.lower() for t in existing} | {t.key.lower() for t in new}
    if len(keys) > MAX_TAGS:
        raise LimitExceeded("The number of tags has reached the maximum limit.")


def provider_or_404(tx: Tx, call: Call) -> OidcProvider:
    arn = call.params["OpenIDConnectProviderArn"]
    provider = tx.repo(OidcProviders).get(arn)
    if provider is None or provider.account_id != call.account_id:
        raise NoSuchEntity(f"OpenIDConnect Provider not found for arn {arn}")
    return provider


def _provider_target(call: Call, tx: Tx) -> Target:
    arn = call.param("OpenIDConnectProviderArn") or ""
    context = request_tag_context(call.params)
    provider = tx.repo(OidcProviders).get(arn)
    if provider is not None and provider.account_id == call.account_id:
        context.update(resource_tag_context(tx.tags.all(TAG_KIND, arn)))
    return Target(arn, context)


def _new_provider_target(call: Call, tx: Tx) -> Target:
    url = str(call.param("Url") or "")
    name = url.split("://", 1)[-1]
    return Target(oidc_provider_arn(call.account_id, name), request_tag_context(call.params))


@REGISTRY.operation("CreateOpenIDConnectProvider", target=_new_provider_target)
def create_open_id_connect_provider(call: Call) -> dict[str, Any]:
    url = issuer_of(call.params["Url"])
    thumbprints = _checked_thumbprints(call.param("ThumbprintList") or [])
    client_ids = _checked_client_ids(call.param("ClientIDList") or [])
    tags = tags_from(call.params)
    _check_tag_quota([], tags)
    with call.store.write() as tx:
        repo = tx.repo(OidcProviders)
        if repo.count(call.account_id) >= MAX_PROVIDERS:
            raise LimitExceeded(
                f"Cannot exceed quota for OpenIdConnectProvidersPerAccount: {MAX_PROVIDERS}"
            )
        try:
            provider = repo.create(call.account_id, url, client_ids, thumbprints)
        except ConflictError as exc:
            raise EntityAlreadyExists(str(exc)) from None
        tx.tags.put(TAG_KIND, provider.arn, tags)
        tx.changes.record(TAG_KIND, provider.arn)
    out: dict[str, Any] = {"OpenIDConnectProviderArn": provider.arn}
    if tags:
        out["Tags"] = tag_dicts(tags)
    return out


@REGISTRY.operation("GetOpenIDConnectProvider", target=_provider_target)
def get_open_id_connect_provider(call: Call) -> dict[str, Any]:
    with call.store.read() as tx:
        provider = provider_or_404(tx, call)
        tags = tx.tags.all(TAG_KIND, provider.arn)
    return {
        "Url": provider.url,
        "ClientIDList": provider.client_ids,
        "ThumbprintList": provider.thumbprints,
        "CreateDate": provider.create_date,
        "Tags": tag_dicts(tags),
    }


@REGISTRY.operation("ListOpenIDConnectProviders", target=star_target)
def list_open_id_connect_providers(call: Call) -> dict[str, Any]:
    with call.store.read() as tx:
        providers = tx.repo(OidcProviders).all(call.account_id)
    return {"OpenIDConnectProviderList": [{"Arn": p.arn} for p in providers]}


@REGISTRY.operation("AddClientIDToOpenIDConnectProvider", target=_provider_target)
def add_client_id_to_open_id_connect_provider(call: Call) -> dict[str, Any]:
    """Idempotent: adding a client id the provider already has succeeds and changes nothing."""
    with call.store.write() as tx:
        provider = provider_or_404(tx, call)
        client_ids = _checked_client_ids([*provider.client_ids, call.params["ClientID"]])
        tx.repo(OidcProviders).set_client_ids(provider.arn, client_ids)
        tx.changes.record(TAG_KIND, provider.arn)
    return {}


@REGISTRY.operation("RemoveClientIDFromOpenIDConnectProvider", target=_provider_target)
def remove_client_id_from_open_id_connect_provider(call: Call) -> dict[str, Any]:
    """Idempotent: removing a client id the provider does not have succeeds."""
    with call.store.write() as tx:
        provider = provider_or_404(tx, call)
        remaining = [c for c in provider.client_ids if c != call.params["ClientID"]]
        tx.repo(OidcProviders).set_client_ids(provider.arn, remaining)
        tx.changes.record(TAG_KIND, provider.arn)
    return {}


@REGISTRY.operation("UpdateOpenIDConnectProviderThumbprint", target=_provider_target)
def update_open_id_connect_provider_thumbprint(call: Call) -> dict[str, Any]:
    thumbprints = _checked_thumbprints(call.params["ThumbprintList"])
    with call.store.write() as tx:
        provider = provider_or_404(tx, call)
        tx.repo(OidcProviders).set_thumbprints(provider.arn, thumbprints)
        tx.changes.record(TAG_KIND, provider.arn)
    return {}


@REGISTRY.operation("DeleteOpenIDConnectProvider", target=_provider_target)
def delete_open_id_connect_provider(call: Call) -> dict[str, Any]:
    arn = call.params["OpenIDConnectProviderArn"]
    with call.store.write() as tx:
        provider = tx.repo(OidcProviders).get(arn)
        if provider is None or provider.account_id != call.account_id:
            raise NoSuchEntity(f"OpenId connect Provider {arn} cannot be found.")
        tx.tags.drop(TAG_KIND, arn)
        tx.repo(OidcProviders).delete(arn)
        tx.changes.record(TAG_KIND, arn)
    return {}


register_tag_operations(
    "OpenIDConnectProvider",
    TAG_KIND,
    lambda call, tx: provider_or_404(tx, call).arn,
    _provider_target,
    _check_tag_quota,
)
