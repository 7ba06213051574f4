"""Forwarding to the backend and streaming its answer back, neither body held in memory.

A pool of HTTP/1.1 connections (:mod:`iamd.gateway.http1`) keeps them alive where the backend
allows. A request body arrives as
ASGI messages and leaves as the same chunks; the response body goes back chunk by chunk as it
arrives, with the backend's status and headers unchanged (less hop-by-hop ones).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from iamd.gateway.backend import Backend
from iamd.gateway.http1 import Pool, Response
from iamd.gateway.signer import payload_hash, sign

Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "expect",
    }
)
_NOT_FORWARDED = HOP_BY_HOP | {
    "host",
    "authorization",
    "x-amz-security-token",
    "x-amz-date",
    "x-amz-content-sha256",
    "content-length",
    "date",
}
_NOT_RETURNED = HOP_BY_HOP | {"server", "date"}
"""uvicorn writes its own Server and Date headers."""
PRESIGN_PARAMS = frozenset(
    {
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Date",
        "X-Amz-Expires",
        "X-Amz-SignedHeaders",
        "X-Amz-Signature",
        "X-Amz-Security-Token",
    }
)


def backend_query(raw_query: str) -> str:
    """The query without a presigned URL's signature parameters, other pieces untouched."""
    if "X-Amz-" not in raw_query:
        return raw_query
    kept = [p for p in raw_query.split("&") if p.split("=", 1)[0] not in PRESIGN_PARAMS]
    return "&".join(kept)


def backend_headers(headers: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k not in _NOT_FORWARDED}


class Forwarder:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.pool = Pool()

    async def close(self) -> None:
        self.pool.close()

    async def open(
        self,
        method: str,
        raw_path: str,
        raw_query: str,
        headers: dict[str, str],
        *,
        service: str,
        region: str,
        payload: str,
        body: bytes | AsyncIterator[bytes] | None,
        length: int | None,
    ) -> Response:
        """Send the request, signed for the backend; the caller reads and closes the answer."""
        base = urlsplit(await self.backend.url())
        tls = base.scheme == "https"
        host = base.hostname or "127.0.0.1"
        port = base.port or (443 if tls else 80)
        out = backend_headers(headers)
        out["host"] = base.netloc
        if length is not None:
            out["content-length"] = str(length)
        elif isinstance(body, bytes) or method in ("POST", "PUT"):
            out["content-length"] = str(len(body) if isinstance(body, bytes) else 0)
        if body is not None and not isinstance(body, bytes) and length is None:
            raise ValueError("a streamed body needs its length")
        path = base.path.rstrip("/") + raw_path
        sign(
            method,
            path,
            raw_query,
            out,
            access_key=self.backend.access_key,
            secret_key=self.backend.secret_key,
            region=region,
            service=service,
            payload=payload,
        )
        target = path + (f"?{raw_query}" if raw_query else "")
        lines = [f"{method} {target} HTTP/1.1"]
        lines.extend(f"{name}: {value}" for name, value in out.items())
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        return await self.pool.request((host, port, tls), head, body, is_head=method == "HEAD")

    async def fetch(
        self,
        method: str,
        raw_path: str,
        raw_query: str,
        *,
        service: str,
        region: str,
        body: bytes = b"",
        content_type: str | None = None,
    ) -> tuple[int, bytes]:
        """A small call of the gateway's own (a bucket policy, an object's tags)."""
        response = await self.open(
            method,
            raw_path,
            raw_query,
            {"content-type": content_type} if content_type else {},
            service=service,
            region=region,
            payload=payload_hash(body),
            body=body or None,
            length=len(body) if body else None,
        )
        async with response:
            return response.status, await response.read()


def returned_headers(response: Response) -> list[tuple[bytes, bytes]]:
    """The backend's headers as the client gets them: lower-case, less hop-by-hop ones."""
    return [
        (name.lower(), value)
        for name, value in response.raw_headers
        if name.decode("latin-1").lower() not in _NOT_RETURNED
    ]


async def relay(response: Response, send: Send, head: bool) -> int:
    """Stream the backend's answer to the client unchanged; returns the bytes sent."""
    headers = returned_headers(response)
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    sent = 0
    if not head:
        async for chunk in response.iter_chunks():
            sent += len(chunk)
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})
    return sent


async def replay(response: Response, body: bytes, send: Send) -> None:
    """Send an answer the gateway read whole (to authorize on what it names) unchanged."""
    headers = returned_headers(response)
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})
