"""Identity providers for tests: an OIDC issuer on 127.0.0.1 and a SAML IdP.

``OidcIssuer`` is a real HTTP server in a thread that serves OIDC discovery and a JWKS, with
keys the test controls (rotate, add, withhold), and mints tokens with them, as a foreign issuer
(GitHub Actions, Kubernetes) does.  ``SamlIdp`` makes a self-signed signing certificate, the
metadata IAM's CreateSAMLProvider takes, and SAML responses signed with ``signxml``.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey
from lxml import etree
from signxml.signer import XMLSigner

# OpenID Connect -----------------------------------------------------------------------


class OidcIssuer:
    """A foreign OIDC issuer: discovery + JWKS over http on 127.0.0.1, and its signing keys."""

    def __init__(self) -> None:
        self.keys: list[RSAKey | ECKey] = [RSAKey.generate_key(2048, parameters={"kid": "k1"})]
        self.requests: list[str] = []
        self.available = True
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                issuer.requests.append(self.path)
                if not issuer.available:
                    self.send_error(503)
                    return
                if self.path == "/.well-known/openid-configuration":
                    body: dict[str, Any] = {
                        "issuer": issuer.url,
                        "jwks_uri": f"{issuer.url}/keys",
                        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
                    }
                elif self.path == "/keys":
                    body = {"keys": [k.as_dict(private=False) for k in issuer.keys]}
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.host = self.url.removeprefix("http://")
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> OidcIssuer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def add_key(self, kid: str, kind: str = "RSA") -> RSAKey | ECKey:
        key: RSAKey | ECKey
        if kind == "EC":
            key = ECKey.generate_key("P-256", parameters={"kid": kid})
        else:
            key = RSAKey.generate_key(2048, parameters={"kid": kid})
        self.keys.append(key)
        return key

    def token(
        self,
        sub: str,
        aud: str | list[str] = "sts.amazonaws.com",
        *,
        key: RSAKey | ECKey | None = None,
        alg: str | None = None,
        expires_in: int = 600,
        iss: str | None = None,
        **claims: Any,
    ) -> str:
        signer = key or self.keys[0]
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": iss or self.url,
            "sub": sub,
            "aud": aud,
            "iat": now,
            "nbf": now,
            "exp": now + expires_in,
            "jti": uuid.uuid4().hex,
        }
        payload.update(claims)
        algorithm = alg or ("ES256" if isinstance(signer, ECKey) else "RS256")
        header = {"alg": algorithm, "kid": signer.kid, "typ": "JWT"}
        return jwt.encode(header, payload, signer, algorithms=[algorithm])


@contextmanager
def oidc_issuer() -> Iterator[OidcIssuer]:
    issuer = OidcIssuer().start()
    try:
        yield issuer
    finally:
        issuer.stop()


def tamper(token: str) -> str:
    """The same token with one claim changed and the signature kept: must not verify."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = claims["sub"] + "-admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


# SAML -------------------------------------------------------------------------------------

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
AWS_SAML = "https://signin.aws.amazon.com/saml"
PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"


def self_signed(common_name: str, days: int = 365) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _iso(when: float) -> str:
    return dt.datetime.fromtimestamp(when, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class SamlIdp:
    """A SAML IdP with a self-signed certificate; ``response()`` signs with signxml."""

    def __init__(self, entity_id: str = "https://idp.example.test/saml") -> None:
        self.entity_id = entity_id
        self.key, self.cert = self_signed("idp.example.test")

    @property
    def cert_b64(self) -> str:
        return base64.b64encode(self.cert.public_bytes(serialization.Encoding.DER)).decode()

    def metadata(self) -> str:
        return (
            '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
            f'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID={quoteattr(self.entity_id)}>'
            "<md:IDPSSODescriptor "
            'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
            '<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>'
            f"{self.cert_b64}"
            "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
            '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" '
            'Location="https://idp.example.test/sso"/>'
            "</md:IDPSSODescriptor></md:EntityDescriptor>"
        )

    def assertion_xml(
        self,
        *,
        roles: list[str],
        session_name: str | None = "alice",
        subject: str = "_a1b2c3",
        subject_format: str = PERSISTENT,
        attributes: dict[str, list[str]] | None = None,
        issued: float | None = None,
        not_on_or_after: float | None = None,
        audience: str = AWS_SAML,
        recipient: str = AWS_SAML,
        issuer: str | None = None,
        assertion_id: str | None = None,
    ) -> str:
        now = time.time() if issued is None else issued
        until = now + 300 if not_on_or_after is None else not_on_or_after
        attrs: dict[str, list[str]] = {"https://aws.amazon.com/SAML/Attributes/Role": roles}
        if session_name is not None:
            attrs["https://aws.amazon.com/SAML/Attributes/RoleSessionName"] = [session_name]
        attrs.update(attributes or {})
        statements = "".join(
            f"<saml:Attribute Name={quoteattr(name)}>"
            + "".join(f"<saml:AttributeValue>{escape(v)}</saml:AttributeValue>" for v in values)
            + "</saml:Attribute>"
            for name, values in attrs.items()
        )
        aid = assertion_id or f"_{uuid.uuid4().hex}"
        return (
            f'<saml:Assertion xmlns:saml="{SAML}" ID="{aid}" Version="2.0" '
            f'IssueInstant="{_iso(now)}">'
            f"<saml:Issuer>{escape(issuer or self.entity_id)}</saml:Issuer>"
            "<saml:Subject>"
            f"<saml:NameID Format={quoteattr(subject_format)}>{escape(subject)}</saml:NameID>"
            '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
            f'<saml:SubjectConfirmationData NotOnOrAfter="{_iso(until)}" '
            f"Recipient={quoteattr(recipient)}/>"
            "</saml:SubjectConfirmation></saml:Subject>"
            f'<saml:Conditions NotBefore="{_iso(now - 5)}" NotOnOrAfter="{_iso(until)}">'
            f"<saml:AudienceRestriction><saml:Audience>{escape(audience)}</saml:Audience>"
            "</saml:AudienceRestriction></saml:Conditions>"
            f'<saml:AuthnStatement AuthnInstant="{_iso(now)}"><saml:AuthnContext>'
            "<saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:"
            "PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext>"
            "</saml:AuthnStatement>"
            f"<saml:AttributeStatement>{statements}</saml:AttributeStatement>"
            "</saml:Assertion>"
        )

    def sign(self, element: Any, reference_id: str) -> Any:
        """Sign ``element`` (enveloped, exclusive c14n, RSA-SHA256) as an IdP does."""
        signer = XMLSigner(c14n_algorithm="http://www.w3.org/2001/10/xml-exc-c14n#")
        pem = self.cert.public_bytes(serialization.Encoding.PEM).decode()
        signed = signer.sign(element, key=self.key, cert=pem, reference_uri=reference_id)
        # The signature goes right after the Issuer, where the SAML schema puts it.
        signature = signed.find("{http://www.w3.org/2000/09/xmldsig#}Signature")
        issuer = signed.find(f"{{{SAML}}}Issuer")
        signed.remove(signature)
        issuer.addnext(signature)
        return signed

    def response(
        self,
        *,
        sign: str = "assertion",
        status: str = "urn:oasis:names:tc:SAML:2.0:status:Success",
        extra_assertion: str | None = None,
        **assertion: Any,
    ) -> str:
        """A base64 SAML response; ``sign`` is ``assertion``, ``response`` or ``none``."""
        aid = f"_{uuid.uuid4().hex}"
        text = self.assertion_xml(assertion_id=aid, **assertion)
        element = etree.fromstring(text.encode())
        if sign == "assertion":
            element = self.sign(element, aid)
        rid = f"_{uuid.uuid4().hex}"
        response = etree.fromstring(
            (
                f'<samlp:Response xmlns:samlp="{SAMLP}" xmlns:saml="{SAML}" ID="{rid}" '
                f'Version="2.0" IssueInstant="{_iso(time.time())}" Destination="{AWS_SAML}">'
                f"<saml:Issuer>{escape(self.entity_id)}</saml:Issuer>"
                f'<samlp:Status><samlp:StatusCode Value="{status}"/></samlp:Status>'
                "</samlp:Response>"
            ).encode()
        )
        response.append(element)
        if extra_assertion is not None:
            response.append(etree.fromstring(extra_assertion.encode()))
        if sign == "response":
            response = self.sign(response, rid)
        return base64.b64encode(etree.tostring(response)).decode()


def decode_response(response: str) -> bytes:
    return base64.b64decode(response)


def encode_response(document: bytes) -> str:
    return base64.b64encode(document).decode()
