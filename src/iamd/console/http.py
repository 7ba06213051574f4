"""The few HTTP pieces the console needs over raw ASGI: a parsed request and a response."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote

SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
]
"""Every console page: no inline script, no framing, nothing cached (pages show secrets once)."""


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, list[str]]
    cookies: dict[str, str]
    headers: dict[str, str]
    source_ip: str
    secure: bool
    body: bytes = b""

    def arg(self, name: str, default: str = "") -> str:
        return self.query.get(name, default)

    def field(self, name: str, default: str = "") -> str:
        values = self.form.get(name)
        return values[0] if values else default

    def fields(self, name: str) -> list[str]:
        return [v for v in self.form.get(name, []) if v]

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)

    def set_cookie(
        self,
        name: str,
        value: str,
        *,
        secure: bool,
        max_age: int | None = None,
        path: str = "/console",
    ) -> None:
        parts = [f"{name}={value}", f"Path={path}", "HttpOnly", "SameSite=Lax"]
        if secure:
            parts.append("Secure")
        if max_age is not None:
            parts.append(f"Max-Age={max_age}")
        self.headers.append((b"set-cookie", "; ".join(parts).encode()))

    def clear_cookie(self, name: str, *, secure: bool) -> None:
        self.set_cookie(name, "", secure=secure, max_age=0)

    def all_headers(self) -> list[tuple[bytes, bytes]]:
        return [
            (b"content-type", self.content_type.encode()),
            *SECURITY_HEADERS,
            *self.headers,
            (b"content-length", str(len(self.body)).encode()),
        ]


def redirect(location: str, message: str = "", status: int = 303) -> Response:
    if message:
        location += ("&" if "?" in location else "?") + "msg=" + quote(message)
    return Response(status, b"", headers=[(b"location", location.encode())])


def json_response(value: Any, status: int = 200) -> Response:
    return Response(status, json.dumps(value).encode(), "application/json")


def parse_cookies(header: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name and name not in out:
            out[name] = value
    return out


def parse_form(body: bytes, content_type: str) -> dict[str, list[str]]:
    if not content_type.startswith("application/x-www-form-urlencoded"):
        return {}
    return parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)


def single(query: Mapping[str, list[str]]) -> dict[str, str]:
    return {name: values[0] for name, values in query.items() if values}
