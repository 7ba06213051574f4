"""AssumeRoleWithWebIdentity: an OpenID Connect ID token is the credential.

The call is unsigned.  The token must come from an issuer registered as an IAM OIDC provider
in the account, be signed by one of the issuer's keys, be unexpired and be meant for one of the
provider's client ids; then the role's trust policy decides, with the provider's ARN as the
``Federated`` principal and the token's claims as condition keys (``<provider>:sub``,
``:aud``, ``:oaud``, ``:amr``, and the provider-specific claims AWS exposes for GitHub, GitLab,
Buildkite, CircleCI...).  Session tags and the source identity come from the token
(``https://aws.amazon.com/tags``, ``https://aws.amazon.com/source_identity``) and need
``sts:TagSession`` and ``sts:SetSourceIdentity`` in the trust policy, as in AWS.

https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_oidc.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html#id_session-tags_adding-assume-role-idp
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_monitor.html
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from iamd.catalog import globs
from iamd.catalog.actions import lookup_action
from iamd.errors import (
    AccessDenied,
    InvalidIdentityToken,
    ValidationError,
)
from iamd.policy import (
    Evaluator,
    PolicySet,
    Request,
)
from iamd.services.call import Call
from iamd.services.registry import Target
from iamd.services.sts import oidc_verify
from iamd.services.sts.common import (
    MAX_SESSION_TAGS,
    REGISTRY,
    check_duration,
    issue,
    packed_size,
    role_of,
    session_policies,
    trust_policy,
)
from iamd.services.sts.last_used import touch_role
from iamd.store import Tx
from iamd.store.records import Role, Tag
from iamd.store.repos.providers import OidcProvider, OidcProviders, oidc_provider_arn

ACTION = "sts:AssumeRoleWithWebIdentity"
TAGS_CLAIM = "https://aws.amazon.com/tags"
SOURCE_IDENTITY_CLAIM = "https://aws.amazon.com/source_identity"
DURATION_MESSAGE = "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
"""AWS's message (d2a4u/sqs4s#270 quotes the STS response)."""
_NAME = re.compile(r"[\w+=,.@-]{2,64}", re.ASCII)
_TAG_KEY = re.compile(r"[\w\s.:/=+\-@]{1,128}")
_TAG_VALUE = re.compile(r"[\w\s.:/=+\-@]{0,256}")
_STANDARD_CLAIMS = frozenset({"sub", "aud", "oaud", "amr"})

ContextValue = str | list[str]


# Shared with AssumeRoleWithSAML ----------------------------------------------------------


@dataclass(frozen=True)
class Federated:
    """Who a federated caller is, as the trust policy and the new session see it."""

    action: str
    """``sts:AssumeRoleWithWebIdentity`` or ``sts:AssumeRoleWithSAML``."""
    kind: str
    """CloudTrail's identity type of the call: ``WebIdentityUser`` or ``SAMLUser``."""
    provider_arn: str
    session_name: str
    context: dict[str, ContextValue]
    """The provider's condition keys (``<provider>:sub``, ``saml:aud``...)."""
    session_context: dict[str, ContextValue]
    """The subset AWS keeps available in requests made with the new session."""
    tags: dict[str, str]
    transitive_tag_keys: list[str]
    source_identity: str | None


def denied(action: str) -> AccessDenied:
    """AWS's answer for a role that does not exist or does not trust the caller
    (troubleshoot_saml: "Not authorized to perform sts:AssumeRoleWithSAML")."""
    return AccessDenied(f"Not authorized to perform {action}")


def request_keys(call: Call) -> dict[str, ContextValue]:
    """The global keys of an unsigned request: time, source address, region, user agent."""
    now = call.now or datetime.now(UTC)
    context: dict[str, ContextValue] = {
        "aws:CurrentTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "aws:EpochTime": str(int(now.timestamp())),
        "aws:SourceIp": call.source_ip,
        "aws:RequestedRegion": call.region,
    }
    if call.user_agent:
        context["aws:UserAgent"] = call.user_agent
    return context


def trust_context(fed: Federated, role_tags: list[Tag]) -> dict[str, ContextValue]:
    context: dict[str, ContextValue] = {
        "sts:RoleSessionName": fed.session_name,
        "aws:FederatedProvider": fed.provider_arn,
    }
    context.update(fed.context)
    if fed.source_identity is not None:
        context["sts:SourceIdentity"] = fed.source_identity
    for key, value in fed.tags.items():
        context[f"aws:RequestTag/{key}"] = value
    if fed.tags:
        context["aws:TagKeys"] = list(fed.tags)
    if fed.transitive_tag_keys:
        context["sts:TransitiveTagKeys"] = list(fed.transitive_tag_keys)
    for tag in role_tags:
        context[f"aws:ResourceTag/{tag.key}"] = tag.value
        context[f"iam:ResourceTag/{tag.key}"] = tag.value
    return context


def authorize(call: Call, fed: Federated) -> tuple[Role, list[Tag]]:
    """The role, if its trust policy lets this federated principal assume it.

    Session tags need ``sts:TagSession`` and a source identity ``sts:SetSourceIdentity`` as
    well (troubleshoot_saml, "Not authorized to perform sts:AssumeRoleWithSAML").
    """
    found = role_of(call)
    if found is None:
        raise denied(fed.action)
    role, role_tags = found
    trust = trust_policy(role)
    if trust is None:
        raise denied(fed.action)
    evaluator = Evaluator(PolicySet(resource=trust))
    context = {**request_keys(call), **trust_context(fed, role_tags)}
    actions = [fed.action]
    if fed.tags or fed.transitive_tag_keys:
        actions.append("sts:TagSession")
    if fed.source_identity is not None:
        actions.append("sts:SetSourceIdentity")
    for action in actions:
        decision = evaluator.evaluate(Request.build(fed.provider_arn, action, role.arn, context))
        if not decision.allowed:
            raise denied(fed.action)
    return role, role_tags


def issue_federated(
    call: Call,
    fed: Federated,
    role: Role,
    role_tags: list[Tag],
    duration: int,
    web_identity: dict[str, Any],
) -> dict[str, Any]:
    """Seal the role session; the output fields every AssumeRoleWith* call shares."""
    policies, arns = session_policies(call)
    packed = packed_size(policies, fed.tags)
    session = fed.session_name
    session_arn = f"arn:aws:sts::{call.account_id}:assumed-role/{role.name}/{session}"
    principal_tags = {t.key: t.value for t in role_tags}
    principal_tags.update(fed.tags)
    _, credentials = issue(
        call,
        duration=duration,
        kind=fed.kind,
        arn=session_arn,
        principal_id=f"{role.id}:{session}",
        role_id=role.id,
        role_arn=role.arn,
        role_name=role.name,
        session_name=session,
        session_policies=policies,
        session_policy_arns=arns,
        tags=principal_tags,
        transitive_tag_keys=list(fed.transitive_tag_keys),
        source_identity=fed.source_identity,
        federated_provider=fed.provider_arn,
        web_identity={**web_identity, "context": fed.session_context},
    )
    touch_role(call.store, role.id, call.region)
    out: dict[str, Any] = {
        "Credentials": credentials,
        "AssumedRoleUser": {"AssumedRoleId": f"{role.id}:{session}", "Arn": session_arn},
        "PackedPolicySize": packed,
    }
    if fed.source_identity is not None:
        out["SourceIdentity"] = fed.source_identity
    return out


def check_source_identity(value: str, error: type[Exception] = InvalidIdentityToken) -> str:
    """AWS's rule and message for a source identity that an IdP asserts (troubleshoot_saml)."""
    if not _NAME.fullmatch(value) or value.lower().startswith("aws:"):
        raise error('Source Identity must match [a-zA-Z_0-9+=,.@-]{2,64} and not begin with "aws:"')
    return value


def check_session_tags(
    tags: dict[str, str], transitive: list[str]
) -> tuple[dict[str, str], list[str]]:
    """The session tag rules (id_session-tags: at most 50, keys up to 128 and values up to 256
    characters, no ``aws:`` prefix; transitive keys must be among the tags)."""
    if len(tags) > MAX_SESSION_TAGS:
        raise ValidationError(f"Cannot exceed quota for SessionTagsPerSession: {MAX_SESSION_TAGS}")
    seen: set[str] = set()
    for key, value in tags.items():
        if not _TAG_KEY.fullmatch(key) or key.lower().startswith("aws:"):
            raise InvalidIdentityToken(f"The session tag key {key!r} is not valid.")
        if not _TAG_VALUE.fullmatch(value):
            raise InvalidIdentityToken(f"The value of session tag {key!r} is not valid.")
        if key.lower() in seen:
            raise InvalidIdentityToken(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive."
            )
        seen.add(key.lower())
    for key in transitive:
        if key.lower() not in seen:
            raise InvalidIdentityToken(
                f"The specified transitive tag key {key} must be included in the requested tags."
            )
    return tags, transitive


# Claims ---------------------------------------------------------------------------------


def _scalar(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return None


def claim_value(claims: dict[str, Any], name: str) -> ContextValue | None:
    """A claim as a condition value: a string, or a list for an array claim.  A name with
    ``/`` that is not a top-level claim walks nested objects (``google/organization_number``)."""
    value: Any = claims.get(name)
    if value is None and "/" in name:
        value = claims
        for part in name.split("/"):
            value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, list):
        items = [s for s in (_scalar(v) for v in value) if s is not None]
        return items
    return _scalar(value)


@cache
def _provider_claims() -> tuple[tuple[globs.Glob, str], ...]:
    """(issuer pattern, claim) for every provider-specific key the Service Authorization
    Reference lists for ``sts:AssumeRoleWithWebIdentity``, e.g.
    ``token.actions.githubusercontent.com:job_workflow_ref`` or
    ``agent.${Domain}.buildkite.dev:pipeline_slug``: read from the catalog, not copied."""
    info = lookup_action(ACTION)
    if info is None:
        return ()
    keys = [*info.condition_keys, *(k for r in info.resource_types for k in r.condition_keys)]
    out: list[tuple[globs.Glob, str]] = []
    for key in keys:
        prefix, _, claim = key.partition(":")
        if not claim or prefix.lower() in ("aws", "sts", "saml", "iam"):
            continue
        if claim in _STANDARD_CLAIMS:
            continue
        out.append((globs.template(prefix.lower(), nonempty=True), claim))
    return tuple(out)


def provider_claims(provider_url: str) -> list[str]:
    """The claims AWS exposes as ``<provider_url>:<claim>`` beyond sub, aud, oaud and amr."""
    subject = globs.literal(provider_url.lower())
    return [
        claim
        for pattern, claim in _provider_claims()
        if globs.overlaps(pattern, subject, fold=True)
    ]


def claim_context(
    provider_url: str, claims: dict[str, Any], audience: str
) -> tuple[dict[str, ContextValue], dict[str, ContextValue]]:
    """The trust policy's condition keys for a verified token, and those a session keeps.

    ``:aud`` is the authorized party (``azp``) where set, else the matched client id; ``:oaud``
    is the token's own ``aud`` (reference_policies_iam-condition-keys, "aud" and "oaud").
    """
    p = provider_url
    azp = claims.get("azp")
    context: dict[str, ContextValue] = {
        f"{p}:sub": str(claims.get("sub", "")),
        f"{p}:aud": azp if isinstance(azp, str) and azp else audience,
    }
    aud = oidc_verify.audiences(claims)
    if aud:
        context[f"{p}:oaud"] = aud[0] if len(aud) == 1 else aud
    amr = claim_value(claims, "amr")
    if amr is not None:
        context[f"{p}:amr"] = amr if isinstance(amr, list) else [amr]
    session = dict(context)
    for claim in provider_claims(p):
        value = claim_value(claims, claim)
        if value is not None:
            context[f"{p}:{claim}"] = value
    return context, session


def token_session_tags(claims: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    """Session tags from ``https://aws.amazon.com/tags``:
    ``{"principal_tags": {"Key": ["value"]}, "transitive_tag_keys": ["Key"]}``."""
    raw = claims.get(TAGS_CLAIM)
    if raw is None:
        return {}, []
    if not isinstance(raw, dict):
        raise InvalidIdentityToken(f"The {TAGS_CLAIM} claim must be a JSON object.")
    principal = raw.get("principal_tags", {})
    transitive = raw.get("transitive_tag_keys", [])
    if not isinstance(principal, dict) or not isinstance(transitive, list):
        raise InvalidIdentityToken(f"The {TAGS_CLAIM} claim is not well formed.")
    tags: dict[str, str] = {}
    for key, value in principal.items():
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if not isinstance(value, str):
            raise InvalidIdentityToken(
                f"Session tag {key!r} in the {TAGS_CLAIM} claim must have one string value."
            )
        tags[str(key)] = value
    keys = [k for k in transitive if isinstance(k, str)]
    if len(keys) != len(transitive):
        raise InvalidIdentityToken(f"The {TAGS_CLAIM} claim is not well formed.")
    return check_session_tags(tags, keys)


# The operation ------------------------------------------------------------------------


def _provider(call: Call, issuer: oidc_verify.Issuer) -> OidcProvider:
    arn = oidc_provider_arn(call.account_id, issuer.name)

    def load(tx: Tx) -> OidcProvider | None:
        return tx.repo(OidcProviders).get(arn)

    provider = call.store.cached(("oidc-provider", arn), load)
    if provider is None or provider.account_id != call.account_id:
        # AWS's message, naming the issuer as the token does
        # (aws-actions/configure-aws-credentials#721).
        raise InvalidIdentityToken(
            f"No OpenIDConnect provider found in your account for {issuer.iss}"
        )
    return provider


def _keys(call: Call, token: oidc_verify.UnverifiedToken, issuer: oidc_verify.Issuer) -> list[Any]:
    kid = token.kid
    if kid is not None and kid.startswith(f"{oidc_verify.LOCAL_PURPOSE}-"):
        local = oidc_verify.local_keys(call.store).get(kid)
        if local is not None:
            return [local.private]
    if not issuer.secure and not oidc_verify.http_allowed(issuer):
        raise InvalidIdentityToken(
            f"{issuer.iss} is not an https issuer; iamd fetches keys over http only from "
            f"issuers named in {oidc_verify.ALLOW_HTTP_ENV}."
        )
    try:
        keys = oidc_verify.JWKS.keys(issuer, kid)
    except oidc_verify.FetchError:
        raise InvalidIdentityToken(oidc_verify.NO_KEY) from None
    if not keys:
        raise InvalidIdentityToken(oidc_verify.NO_KEY)
    return keys


def verify_token(call: Call, raw: str) -> tuple[OidcProvider, dict[str, Any], str]:
    """The provider, the verified claims and the client id, or AWS's refusal."""
    token = oidc_verify.parse_token(raw)
    issuer = oidc_verify.issuer_of(token.issuer)
    provider = _provider(call, issuer)
    oidc_verify.verify_signature(token, _keys(call, token, issuer))
    oidc_verify.check_times(token.claims, time.time())
    audience = oidc_verify.check_audience(token.claims, provider.client_ids)
    sub = token.claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise InvalidIdentityToken("The web identity token has no subject (sub).")
    return provider, token.claims, audience


def _target(call: Call, tx: Tx) -> Target:
    # Reached only if a client signs the call, which AWS's SDKs never do (the operation is
    # unsigned): the handler checks the token and the trust policy itself either way.
    return Target(call.params["RoleArn"], self_service=True)


@REGISTRY.operation("AssumeRoleWithWebIdentity", target=_target)
def assume_role_with_web_identity(call: Call) -> dict[str, Any]:
    if call.param("ProviderId"):
        raise InvalidIdentityToken(
            "iamd accepts OpenID Connect ID tokens only; ProviderId is for OAuth 2.0 access "
            "tokens from www.amazon.com and graph.facebook.com."
        )
    provider, claims, audience = verify_token(call, call.params["WebIdentityToken"])
    tags, transitive = token_session_tags(claims)
    source_identity = claims.get(SOURCE_IDENTITY_CLAIM)
    if source_identity is not None:
        source_identity = check_source_identity(str(source_identity))
    context, session_context = claim_context(provider.url, claims, audience)
    fed = Federated(
        action=ACTION,
        kind="WebIdentityUser",
        provider_arn=provider.arn,
        session_name=call.params["RoleSessionName"],
        context=context,
        session_context=session_context,
        tags=tags,
        transitive_tag_keys=transitive,
        source_identity=source_identity,
    )
    role, role_tags = authorize(call, fed)
    duration = check_duration(call, 3600, 900, role.max_session_duration, DURATION_MESSAGE)
    iss = str(claims["iss"])
    out = issue_federated(
        call,
        fed,
        role,
        role_tags,
        duration,
        {"provider": iss, "subject": claims["sub"], "audience": audience},
    )
    out.update(
        {
            "SubjectFromWebIdentityToken": claims["sub"],
            "Provider": iss,
            "Audience": audience,
        }
    )
    return out
