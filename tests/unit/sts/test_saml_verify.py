"""Verifying SAML responses for AssumeRoleWithSAML: signatures, wrapping, freshness, keys.

- What an assertion must hold (one SubjectConfirmationData with NotOnOrAfter and Recipient,
  the AWS audience, Role pairs, RoleSessionName):
  https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_saml_assertions.html
- "Response signature invalid", "Issuer not present in specified provider":
  https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_saml.html
- "Token must be redeemed within 5 minutes of issuance" (ExpiredTokenException):
  https://github.com/Nike-Inc/gimme-aws-creds/issues/251
- NameQualifier = BASE64(SHA1(issuer + account + "/" + provider name)), SubjectType:
  https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithSAML.html
- saml:* keys from attributes:
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-saml
"""

from __future__ import annotations

import base64
import hashlib
import time
import xml.etree.ElementTree as ET

import pytest
from lxml import etree

from iamd.errors import ExpiredTokenException, IDPRejectedClaim, InvalidIdentityToken
from iamd.services.sts import saml
from support.idp import SAML, SamlIdp, decode_response

ACCOUNT = "111122223333"
PAIR = f"arn:aws:iam::{ACCOUNT}:role/r,arn:aws:iam::{ACCOUNT}:saml-provider/p"
IDP = SamlIdp()
CERTS = saml.provider_keys(IDP.metadata())[1]


def verified(response: str) -> ET.Element:
    return saml.verified_assertion(decode_response(response), CERTS)


def attribute(assertion: ET.Element, name: str) -> list[str]:
    return saml.attributes(assertion)[name]


def test_metadata_gives_entity_id_and_certificates() -> None:
    entity, certs = saml.provider_keys(IDP.metadata())
    assert entity == IDP.entity_id
    assert certs == [IDP.cert]


@pytest.mark.parametrize("sign", ["assertion", "response"])
def test_a_signed_response_verifies(sign: str) -> None:
    assertion = verified(IDP.response(sign=sign, roles=[PAIR]))
    assert assertion.tag == f"{{{SAML}}}Assertion"
    assert attribute(assertion, saml.SESSION_NAME_ATTRIBUTE) == ["alice"]


def test_an_unsigned_response_is_refused() -> None:
    with pytest.raises(InvalidIdentityToken) as info:
        verified(IDP.response(sign="none", roles=[PAIR]))
    assert info.value.message == "Response signature invalid"


def test_another_idps_signature_is_refused() -> None:
    with pytest.raises(InvalidIdentityToken, match="Response signature invalid"):
        verified(SamlIdp().response(roles=[PAIR]))


@pytest.mark.parametrize("sign", ["assertion", "response"])
def test_a_changed_attribute_breaks_the_signature(sign: str) -> None:
    document = decode_response(IDP.response(sign=sign, roles=[PAIR], session_name="alice"))
    forged = document.replace(b">alice<", b">mallory<")
    assert forged != document
    with pytest.raises(InvalidIdentityToken, match="Response signature invalid"):
        saml.verified_assertion(forged, CERTS)


def test_a_second_assertion_is_refused() -> None:
    extra = IDP.assertion_xml(roles=[PAIR], session_name="mallory")
    with pytest.raises(InvalidIdentityToken, match="exactly one Assertion"):
        verified(IDP.response(roles=[PAIR], extra_assertion=extra))


def test_signature_wrapping_yields_only_what_was_signed() -> None:
    """The signed assertion is hidden in Extensions and a forged one takes its place, carrying
    the original signature: what comes back is the signed original, never the forgery."""
    document = decode_response(IDP.response(roles=[PAIR], session_name="alice"))
    root = etree.fromstring(document)
    original = root.find(f"{{{SAML}}}Assertion")
    forged = etree.fromstring(
        IDP.assertion_xml(roles=[PAIR], session_name="mallory", assertion_id="_forged").encode()
    )
    signature = original.find("{http://www.w3.org/2000/09/xmldsig#}Signature")
    forged.find(f"{{{SAML}}}Issuer").addnext(etree.fromstring(etree.tostring(signature)))
    extensions = etree.SubElement(root, "{urn:oasis:names:tc:SAML:2.0:protocol}Extensions")
    root.remove(original)
    extensions.append(original)
    root.append(forged)
    try:
        assertion = saml.verified_assertion(etree.tostring(root), CERTS)
    except InvalidIdentityToken:
        return
    assert attribute(assertion, saml.SESSION_NAME_ATTRIBUTE) == ["alice"]


def test_a_comment_cannot_cut_the_name_id() -> None:
    """A comment slipped into the signed NameID leaves the signature valid (exclusive c14n
    drops comments) but must not shorten the name read (the CVE-2017-11427 class of bug)."""
    document = decode_response(IDP.response(roles=[PAIR], subject="admin@example.com.evil.test"))
    injected = document.replace(
        b"admin@example.com.evil.test", b"admin@example.com<!---->.evil.test"
    )
    assert injected != document
    assertion = saml.verified_assertion(injected, CERTS)
    name_id = assertion.find(f"{{{SAML}}}Subject/{{{SAML}}}NameID")
    assert saml._text(name_id) == "admin@example.com.evil.test"


def test_document_type_declarations_are_refused() -> None:
    evil = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x "y">]><r>&x;</r>'
    with pytest.raises(InvalidIdentityToken):
        saml.decode(base64.b64encode(evil).decode())
    with pytest.raises(InvalidIdentityToken, match="base64"):
        saml.decode("not base64 at all!")


def test_status_other_than_success_is_an_idp_rejection() -> None:
    response = IDP.response(roles=[PAIR], status="urn:oasis:names:tc:SAML:2.0:status:Requester")
    with pytest.raises(IDPRejectedClaim):
        saml.check_status(decode_response(response))
    saml.check_status(decode_response(IDP.response(roles=[PAIR])))


def conditions(**kwargs: object) -> str:
    return saml.check_conditions(verified(IDP.response(roles=[PAIR], **kwargs)), time.time())


def test_conditions_return_the_recipient() -> None:
    assert conditions() == "https://signin.aws.amazon.com/saml"
    regional = "https://us-west-2.signin.aws.amazon.com/saml"
    assert conditions(recipient=regional) == regional
    assert conditions(audience="urn:amazon:webservices")


def test_an_assertion_must_be_redeemed_within_five_minutes() -> None:
    with pytest.raises(ExpiredTokenException) as info:
        conditions(issued=time.time() - 900, not_on_or_after=time.time() + 3600)
    assert info.value.message == "Token must be redeemed within 5 minutes of issuance"


def test_an_expired_assertion_is_refused() -> None:
    with pytest.raises(ExpiredTokenException):
        conditions(issued=time.time() - 200, not_on_or_after=time.time() - 100)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"audience": "https://sp.example.test"},
        {"recipient": "https://evil.example.test/saml"},
        {"recipient": "https://signin.aws.amazon.com.evil.test/saml"},
    ],
)
def test_assertions_for_someone_else_are_refused(kwargs: dict[str, str]) -> None:
    with pytest.raises(InvalidIdentityToken):
        conditions(**kwargs)


def test_name_qualifier_and_subject_type() -> None:
    expected = base64.b64encode(
        hashlib.sha1(b"https://example.com/saml123456789012/MySAMLIdP").digest()
    ).decode()
    assert saml.name_qualifier("https://example.com/saml", "123456789012", "MySAMLIdP") == expected
    assert saml.subject_type("urn:oasis:names:tc:SAML:2.0:nameid-format:persistent") == (
        "persistent"
    )
    assert saml.subject_type("urn:oasis:names:tc:SAML:2.0:nameid-format:transient") == "transient"
    email = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
    assert saml.subject_type(email) == email


def test_attributes_map_to_saml_keys() -> None:
    context = saml.attribute_context(
        {
            "urn:oid:1.3.6.1.4.1.5923.1.1.1.1": ["faculty", "staff"],
            "urn:oid:1.3.6.1.4.1.5923.1.1.1.6": ["alice@uni.test"],
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress": ["a@x.test"],
            "urn:oid:0.9.2342.19200300100.1.1": ["alice"],
            "unmapped": ["x"],
        }
    )
    assert context == {
        "saml:edupersonaffiliation": ["faculty", "staff"],
        "saml:edupersonprincipalname": "alice@uni.test",
        "saml:mail": "a@x.test",
        "saml:uid": "alice",
    }


def test_role_pairs_in_either_order() -> None:
    role = f"arn:aws:iam::{ACCOUNT}:role/r"
    provider = f"arn:aws:iam::{ACCOUNT}:saml-provider/p"
    pairs = saml._role_pairs(
        {saml.ROLE_ATTRIBUTE: [f"{provider}, {role}", f"{role},{provider}", "junk"]}
    )
    assert pairs == {(role, provider)}
