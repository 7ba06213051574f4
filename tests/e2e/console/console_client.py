"""A plain HTTP client for the console: cookies kept, redirects not followed, forms posted.

Only the standard library, so these tests see exactly the headers the server sends.
"""

from __future__ import annotations

import http.client
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

import pyotp

from iamd.console.root_password import set_root_password
from support.live import LiveServer

ROOT_PASSWORD = "Root-Passw0rd!"
USER_PASSWORD = "User-Passw0rd!"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]]
    text: str

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def cookies(self) -> list[str]:
        return [v for k, v in self.headers if k.lower() == "set-cookie"]

    @property
    def csrf(self) -> str:
        found = _CSRF.search(self.text)
        assert found, "no CSRF token in the page"
        return found.group(1)


@dataclass
class ConsoleClient:
    base: str
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self,
        method: str,
        path: str,
        form: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
    ) -> Reply:
        parts = urlsplit(self.base)
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
        sent = dict(headers or {})
        if form is not None:
            body = urlencode(form, doseq=True).encode()
            sent["content-type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            sent["cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn.request(method, path, body=body, headers=sent)
        response = conn.getresponse()
        reply = Reply(response.status, response.getheaders(), response.read().decode())
        conn.close()
        for cookie in reply.cookies():
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in cookie or not value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return reply

    def get(self, path: str, **kwargs: Any) -> Reply:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, form: dict[str, Any], **kwargs: Any) -> Reply:
        return self.request("POST", path, form=form, **kwargs)

    def sign_in(self, account: str, user: str | None, password: str) -> Reply:
        page = self.get("/console/signin")
        form = {
            "csrf": page.csrf,
            "kind": "root" if user is None else "iam",
            "account": account,
            "username": user or "",
            "password": password,
        }
        return self.post("/console/signin", form)

    def submit(self, path: str, form: dict[str, Any], page: str = "/console/") -> Reply:
        """POST a form with the CSRF token of ``page``, as a browser would."""
        token = self.get(page).csrf
        return self.post(path, {"csrf": token, **form})


def set_root(server: LiveServer, password: str = ROOT_PASSWORD) -> None:
    with server.app.store.write() as tx:
        set_root_password(tx, server.account_id, password)


def make_user(
    iam: Any,
    name: str,
    password: str = USER_PASSWORD,
    reset: bool = False,
    policies: tuple[str, ...] = (),
    mfa: bool = False,
) -> pyotp.TOTP | None:
    """An IAM user with a console password; with ``mfa``, a virtual MFA device (its TOTP)."""
    iam.create_user(UserName=name)
    iam.create_login_profile(UserName=name, Password=password, PasswordResetRequired=reset)
    for arn in policies:
        iam.attach_user_policy(UserName=name, PolicyArn=arn)
    if not mfa:
        return None
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]
    totp = pyotp.TOTP(device["Base32StringSeed"].decode())
    now = datetime.now(UTC).timestamp()
    iam.enable_mfa_device(
        UserName=name,
        SerialNumber=device["SerialNumber"],
        AuthenticationCode1=totp.at(now - 60),
        AuthenticationCode2=totp.at(now - 30),
    )
    return totp


def fresh_code(totp: pyotp.TOTP) -> str:
    """The current code (enabling the device spent the two before it)."""
    return str(totp.now())
