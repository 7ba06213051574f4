"""AssumeRoleWithSAML: a SAML 2.0 response from a registered IdP is the credential.

The call is unsigned.  The response (base64 in ``SAMLAssertion``) must carry exactly one
assertion, signed (on the response or on the assertion) by a signing certificate of the SAML
provider named by ``PrincipalArn``; its issuer must be the provider's entity id; it must be
fresh (AWS redeems an assertion within five minutes of issue), within its
``NotBefore``/``NotOnOrAfter`` window, addressed to AWS (audience and recipient), and its
``Role`` attribute must list the requested role and provider pair.  Then the role's trust
policy decides with the provider's ARN as the ``Federated`` principal and the ``saml:*``
condition keys.

Only what the signature covers is read: ``signxml`` returns the signed element, canonicalized,
and every claim is taken from that (never from the document as received), which closes
signature-wrapping and comment-injection tricks.  A document type declaration is refused
before any parser sees it.  Signatures must use SHA-2 (signxml's default); encrypted
assertions are not supported (the SAML providers here hold no decryption keys).

https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithSAML.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_saml_assertions.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-saml
https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_saml.html
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import time
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any

from cryptography import x509
from signxml.exceptions import SignXMLException
from signxml.verifier import SignatureConfiguration, XMLVerifier

from iamd.errors import (
    AccessDenied,
    ExpiredTokenException,
    IDPRejectedClaim,
    InvalidIdentityToken,
    ValidationError,
)
from iamd.services.call import Call
from iamd.services.registry import Target
from iamd.services.sts.common import REGISTRY, check_duration
from iamd.services.sts.web_identity import (
    DURATION_MESSAGE,
    ContextValue,
    Federated,
    authorize,
    check_session_tags,
    check_source_identity,
    issue_federated,
)
from iamd.store import Tx
from iamd.store.repos.providers import SamlProvider, SamlProviders

ACTION = "sts:AssumeRoleWithSAML"
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
NAMEID_PREFIX = "urn:oasis:names:tc:SAML:2.0:nameid-format:"
UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
ATTRIBUTES = "https://aws.amazon.com/SAML/Attributes/"
ROLE_ATTRIBUTE = ATTRIBUTES + "Role"
SESSION_NAME_ATTRIBUTE = ATTRIBUTES + "RoleSessionName"
DURATION_ATTRIBUTE = ATTRIBUTES + "SessionDuration"
SOURCE_IDENTITY_ATTRIBUTE = ATTRIBUTES + "SourceIdentity"
TAG_ATTRIBUTE = ATTRIBUTES + "PrincipalTag:"
TRANSITIVE_ATTRIBUTE = ATTRIBUTES + "TransitiveTagKeys"
REDEEM_WITHIN = 300
"""AWS: "Token must be redeemed within 5 minutes of issuance" (Nike-Inc/gimme-aws-creds#251)."""
LEEWAY_SECONDS = 60
_SIGNIN = re.compile(
    r"https://([a-z0-9-]+\.)?signin\.(aws\.amazon\.com|amazonaws\.cn|amazonaws-us-gov\.com)"
    r"(/static)?/saml(/acs/[A-Za-z0-9_-]+)?/?"
)
"""The AWS sign-in endpoints an assertion may be addressed to (the global one, a Region's, and
the /acs/ form used with encryption)."""
_AUDIENCES = frozenset({"urn:amazon:webservices"})
_SESSION_NAME = re.compile(r"[\w+=,.@-]{2,64}", re.ASCII)
_FRACTION = re.compile(r"(\.\d{1,6})\d*")

# Messages AWS documents (troubleshoot_saml) --------------------------------------------
SIGNATURE_INVALID = "Response signature invalid"
SESSION_NAME_MISSING = "RoleSessionName is required in AuthnResponse"
SESSION_NAME_INVALID = "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}"
ISSUER_MISMATCH = "Issuer not present in specified provider"
NO_PROVIDER = "Specified provider doesn't exist."
TOO_OLD = "Token must be redeemed within 5 minutes of issuance"

# Attributes AWS maps to saml:* keys: (key, multivalued) by attribute Name.
_EDU = "urn:oid:1.3.6.1.4.1.5923.1."
ATTRIBUTE_KEYS: dict[str, tuple[str, bool]] = {
    _EDU + "1.1.1": ("saml:edupersonaffiliation", True),
    _EDU + "1.1.2": ("saml:edupersonnickname", True),
    _EDU + "1.1.3": ("saml:edupersonorgdn", False),
    _EDU + "1.1.4": ("saml:edupersonorgunitdn", True),
    _EDU + "1.1.5": ("saml:edupersonprimaryaffiliation", False),
    _EDU + "1.1.6": ("saml:edupersonprincipalname", False),
    _EDU + "1.1.7": ("saml:edupersonentitlement", True),
    _EDU + "1.1.8": ("saml:edupersonprimaryorgunitdn", False),
    _EDU + "1.1.9": ("saml:edupersonscopedaffiliation", True),
    _EDU + "1.1.10": ("saml:edupersontargetedid", True),
    _EDU + "1.1.11": ("saml:edupersonassurance", True),
    _EDU + "2.1.2": ("saml:eduorghomepageuri", True),
    _EDU + "2.1.3": ("saml:eduorgidentityauthnpolicyuri", True),
    _EDU + "2.1.4": ("saml:eduorglegalname", True),
    _EDU + "2.1.5": ("saml:eduorgsuperioruri", True),
    _EDU + "2.1.6": ("saml:eduorgwhitepagesuri", True),
    "urn:oid:2.5.4.3": ("saml:cn", True),
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name": ("saml:name", False),
    "http://schemas.xmlsoap.org/claims/CommonName": ("saml:commonName", False),
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname": ("saml:givenName", False),
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname": ("saml:surname", False),
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress": ("saml:mail", False),
    "http://schemas.microsoft.com/ws/2008/06/identity/claims/primarygroupsid": (
        "saml:primaryGroupSID",
        False,
    ),
    "2.5.4.3": ("saml:commonName", False),
    "2.5.4.4": ("saml:surname", False),
    "2.5.4.42": ("saml:givenName", False),
    "2.5.4.45": ("saml:x500UniqueIdentifier", False),
    "0.9.2342.19200300100.1.1": ("saml:uid", False),
    "0.9.2342.19200300100.1.3": ("saml:mail", False),
    "0.9.2342.19200300.100.1.45": ("saml:organizationStatus", False),
}
"""From the mapping tables of id_roles_providers_create_saml_assertions.  The AD
``primarygroupsid`` claim maps to ``saml:primaryGroupSID``, the key the condition key reference
lists (the mapping table's ``uid`` for it reads as a slip); X.500 names are also matched with a
``urn:oid:`` prefix."""


def _tag(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def _text(element: ET.Element | None) -> str:
    return "".join(element.itertext()).strip() if element is not None else ""


def _instant(value: str | None) -> float | None:
    """An ``xs:dateTime`` as epoch seconds (fractions beyond microseconds dropped)."""
    if not value:
        return None
    try:
        text = _FRACTION.sub(r"\1", value.strip()).replace("Z", "+00:00")
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        raise InvalidIdentityToken(f"Invalid date/time in the SAML response: {value}") from None


# The provider ----------------------------------------------------------------------------


def _provider(call: Call) -> SamlProvider:
    arn = call.params["PrincipalArn"]
    with call.store.read() as tx:
        provider = tx.repo(SamlProviders).get(arn)
    if provider is None or provider.account_id != call.account_id:
        raise InvalidIdentityToken(NO_PROVIDER)
    return provider


def provider_keys(metadata: str) -> tuple[str, list[x509.Certificate]]:
    """The IdP's entity id and signing certificates, from the metadata IAM stored (which
    CreateSAMLProvider already checked, DTD-free)."""
    if "<!DOCTYPE" in metadata or "<!ENTITY" in metadata:
        raise InvalidIdentityToken(SIGNATURE_INVALID)
    root = ET.fromstring(metadata)
    certificates: list[x509.Certificate] = []
    for idp in root.iter(_tag(MD, "IDPSSODescriptor")):
        for key in idp.iter(_tag(MD, "KeyDescriptor")):
            if key.get("use", "signing") != "signing":
                continue
            for element in key.iter(_tag(DS, "X509Certificate")):
                try:
                    der = base64.b64decode("".join((element.text or "").split()))
                    certificates.append(x509.load_der_x509_certificate(der))
                except (binascii.Error, ValueError):
                    continue
    return root.get("entityID", ""), certificates


# The response ----------------------------------------------------------------------------


def decode(assertion: str) -> bytes:
    """The response XML from ``SAMLAssertion``; a DTD is refused before any parser runs."""
    try:
        document = base64.b64decode("".join(assertion.split()), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidIdentityToken("Invalid base64 SAMLResponse") from None
    if b"<!DOCTYPE" in document or b"<!ENTITY" in document:
        raise InvalidIdentityToken("Invalid SAML response: document type declarations are refused")
    return document


def verified_assertion(document: bytes, certificates: list[x509.Certificate]) -> ET.Element:
    """The one assertion of a response, as signed by one of ``certificates``.

    A signature on the response covers its assertion; one on the assertion covers the
    assertion only.  The returned element is parsed from the canonical bytes the signature
    covers.
    """
    try:
        root = ET.fromstring(document)
    except ET.ParseError:
        raise InvalidIdentityToken("Invalid SAML response: not well-formed XML") from None
    if root.tag != _tag(SAMLP, "Response"):
        raise InvalidIdentityToken("Invalid SAML response: the root element is not a Response")
    if root.find(_tag(SAML, "EncryptedAssertion")) is not None:
        raise InvalidIdentityToken("iamd does not support encrypted SAML assertions")
    assertions = root.findall(_tag(SAML, "Assertion"))
    if len(assertions) != 1:
        raise InvalidIdentityToken("The SAML response must contain exactly one Assertion")
    candidates: list[tuple[str, str]] = []
    if root.find(_tag(DS, "Signature")) is not None:
        candidates.append(("./", "Response"))
    if assertions[0].find(_tag(DS, "Signature")) is not None:
        candidates.append((f"./{_tag(SAML, 'Assertion')}/", "Assertion"))
    for location, signed_tag in candidates:
        config = SignatureConfiguration(location=location, expect_references=1)
        for certificate in certificates:
            try:
                result = XMLVerifier().verify(document, x509_cert=certificate, expect_config=config)
            except (SignXMLException, ValueError, TypeError):
                continue
            if isinstance(result, list):  # expect_references=1 returns one result
                continue
            signed = ET.fromstring(result.signed_data)
            if signed.tag != _tag(SAMLP if signed_tag == "Response" else SAML, signed_tag):
                continue
            if signed_tag == "Assertion":
                return signed
            inner = signed.findall(_tag(SAML, "Assertion"))
            if len(inner) == 1:
                return inner[0]
    raise InvalidIdentityToken(SIGNATURE_INVALID)


def check_status(document: bytes) -> None:
    """An IdP that reports failure: AWS's IDPRejectedClaim."""
    root = ET.fromstring(document)
    code = root.find(f"{_tag(SAMLP, 'Status')}/{_tag(SAMLP, 'StatusCode')}")
    if code is not None and code.get("Value") != SUCCESS:
        raise IDPRejectedClaim(
            f"The identity provider rejected the authentication: {code.get('Value')}"
        )


def attributes(assertion: ET.Element) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for statement in assertion.findall(_tag(SAML, "AttributeStatement")):
        for attribute in statement.findall(_tag(SAML, "Attribute")):
            name = attribute.get("Name", "")
            values = [_text(v) for v in attribute.findall(_tag(SAML, "AttributeValue"))]
            out.setdefault(name, []).extend(values)
    return out


def check_conditions(assertion: ET.Element, now: float) -> str:
    """Freshness, validity window, audience and recipient; returns the recipient (saml:aud)."""
    issued = _instant(assertion.get("IssueInstant"))
    if issued is not None and now - issued > REDEEM_WITHIN + LEEWAY_SECONDS:
        raise ExpiredTokenException(TOO_OLD)
    conditions = assertion.find(_tag(SAML, "Conditions"))
    if conditions is not None:
        not_before = _instant(conditions.get("NotBefore"))
        if not_before is not None and not_before > now + LEEWAY_SECONDS:
            raise InvalidIdentityToken("The SAML assertion is not yet valid (NotBefore).")
        not_after = _instant(conditions.get("NotOnOrAfter"))
        if not_after is not None and now >= not_after + LEEWAY_SECONDS:
            raise ExpiredTokenException("The SAML assertion has expired (NotOnOrAfter).")
    audiences = [
        _text(a)
        for restriction in (
            conditions.findall(_tag(SAML, "AudienceRestriction")) if conditions is not None else []
        )
        for a in restriction.findall(_tag(SAML, "Audience"))
    ]
    if not any(a in _AUDIENCES or _SIGNIN.fullmatch(a) for a in audiences):
        raise InvalidIdentityToken(
            "The SAML assertion's Audience must include https://signin.aws.amazon.com/saml or "
            "urn:amazon:webservices."
        )
    subject = assertion.find(_tag(SAML, "Subject"))
    confirmations = [
        data
        for confirmation in (
            subject.findall(_tag(SAML, "SubjectConfirmation")) if subject is not None else []
        )
        for data in confirmation.findall(_tag(SAML, "SubjectConfirmationData"))
    ]
    if len(confirmations) != 1:
        raise InvalidIdentityToken(
            "The SAML assertion must have exactly one SubjectConfirmationData."
        )
    data = confirmations[0]
    recipient = data.get("Recipient", "")
    not_after = _instant(data.get("NotOnOrAfter"))
    if not _SIGNIN.fullmatch(recipient) or not_after is None:
        raise InvalidIdentityToken(
            "SubjectConfirmationData must have a NotOnOrAfter and a Recipient naming the AWS "
            "sign-in endpoint (https://signin.aws.amazon.com/saml)."
        )
    if now >= not_after + LEEWAY_SECONDS:
        raise ExpiredTokenException("The SAML assertion has expired (NotOnOrAfter).")
    return recipient


def name_qualifier(issuer: str, account_id: str, provider_name: str) -> str:
    """BASE64(SHA1(issuer + account id + "/" + provider name)), as API_AssumeRoleWithSAML
    gives it for ``NameQualifier`` and ``saml:namequalifier``."""
    digest = hashlib.sha1(f"{issuer}{account_id}/{provider_name}".encode()).digest()
    return base64.b64encode(digest).decode()


def subject_type(fmt: str | None) -> str:
    """``persistent``/``transient`` for SAML 2.0 formats, the full URI otherwise."""
    value = fmt or UNSPECIFIED
    return value[len(NAMEID_PREFIX) :] if value.startswith(NAMEID_PREFIX) else value


def attribute_context(values: dict[str, list[str]]) -> dict[str, ContextValue]:
    context: dict[str, ContextValue] = {}
    for name, found in values.items():
        mapped = ATTRIBUTE_KEYS.get(name) or ATTRIBUTE_KEYS.get(name.removeprefix("urn:oid:"))
        if mapped is None or not found:
            continue
        key, multivalued = mapped
        context[key] = list(found) if multivalued else found[0]
    return context


def _single(values: dict[str, list[str]], name: str) -> str | None:
    found = values.get(name)
    return found[0] if found else None


def _role_pairs(values: dict[str, list[str]]) -> set[tuple[str, str]]:
    """(role ARN, provider ARN) pairs of the Role attribute; AWS accepts either order."""
    pairs: set[tuple[str, str]] = set()
    for value in values.get(ROLE_ATTRIBUTE, []):
        parts = [p.strip() for p in value.split(",")]
        if len(parts) != 2:
            continue
        first, second = parts
        if ":saml-provider/" in first:
            first, second = second, first
        pairs.add((first, second))
    return pairs


def _tags(values: dict[str, list[str]]) -> tuple[dict[str, str], list[str]]:
    tags = {
        name[len(TAG_ATTRIBUTE) :]: found[0] if found else ""
        for name, found in values.items()
        if name.startswith(TAG_ATTRIBUTE)
    }
    return check_session_tags(tags, list(values.get(TRANSITIVE_ATTRIBUTE, [])))


def _target(call: Call, tx: Tx) -> Target:
    # Reached only if a client signs the call, which AWS's SDKs never do (the operation is
    # unsigned): the handler checks the assertion and the trust policy itself either way.
    return Target(call.params["RoleArn"], self_service=True)


@REGISTRY.operation("AssumeRoleWithSAML", target=_target)
def assume_role_with_saml(call: Call) -> dict[str, Any]:
    document = decode(call.params["SAMLAssertion"])
    provider = _provider(call)
    entity_id, certificates = provider_keys(provider.metadata_document)
    assertion = verified_assertion(document, certificates)
    check_status(document)
    issuer = _text(assertion.find(_tag(SAML, "Issuer")))
    if issuer != entity_id:
        raise InvalidIdentityToken(ISSUER_MISMATCH)
    now = time.time()
    recipient = check_conditions(assertion, now)
    subject = assertion.find(_tag(SAML, "Subject"))
    name_id = subject.find(_tag(SAML, "NameID")) if subject is not None else None
    if name_id is None or not _text(name_id):
        # troubleshoot_saml: a response without a Subject containing a NameID is refused so.
        raise AccessDenied(f"Not authorized to perform {ACTION}")
    values = attributes(assertion)
    if (call.params["RoleArn"], provider.arn) not in _role_pairs(values):
        raise AccessDenied(f"Not authorized to perform {ACTION}")
    session_name = _single(values, SESSION_NAME_ATTRIBUTE)
    if session_name is None:
        raise InvalidIdentityToken(SESSION_NAME_MISSING)
    if not _SESSION_NAME.fullmatch(session_name):
        raise InvalidIdentityToken(SESSION_NAME_INVALID)
    source_identity = _single(values, SOURCE_IDENTITY_ATTRIBUTE)
    if source_identity is not None:
        source_identity = check_source_identity(source_identity)
    tags, transitive = _tags(values)
    sub = _text(name_id)
    sub_type = subject_type(name_id.get("Format"))
    qualifier = name_qualifier(issuer, call.account_id, provider.name)
    saml_keys: dict[str, ContextValue] = {
        "saml:aud": recipient,
        "saml:sub": sub,
        "saml:sub_type": sub_type,
        "saml:iss": issuer,
        "saml:doc": f"{call.account_id}/{provider.name}",
        "saml:namequalifier": qualifier,
    }
    context = {**attribute_context(values), **saml_keys}
    fed = Federated(
        action=ACTION,
        kind="SAMLUser",
        provider_arn=provider.arn,
        session_name=session_name,
        context=context,
        session_context={
            key: saml_keys[key] for key in ("saml:namequalifier", "saml:sub", "saml:sub_type")
        },
        tags=tags,
        transitive_tag_keys=transitive,
        source_identity=source_identity,
    )
    role, role_tags = authorize(call, fed)
    duration = check_duration(call, 3600, 900, role.max_session_duration, DURATION_MESSAGE)
    asserted = _single(values, DURATION_ATTRIBUTE)
    if asserted is not None:
        # "if it is present in an AssumeRoleWithSAML API call, it can be used to shorten the
        # duration of the session" (id_roles_providers_create_saml_assertions).
        if not asserted.isdigit() or not 900 <= int(asserted) <= 43_200:
            raise ValidationError(
                "The SessionDuration attribute must be a number of seconds from 900 to 43200."
            )
        duration = min(duration, int(asserted))
    out = issue_federated(
        call,
        fed,
        role,
        role_tags,
        duration,
        {"provider": issuer, "subject": sub, "audience": recipient},
    )
    out.update(
        {
            "Subject": sub,
            "SubjectType": sub_type,
            "Issuer": issuer,
            "Audience": recipient,
            "NameQualifier": qualifier,
        }
    )
    return out
