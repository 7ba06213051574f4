"""The console's front door: parse the ASGI request, find the session, route, render.

Public routes (sign-in and its steps, sign-out, static files) manage sessions themselves; every
other route needs an active session, and every POST must carry the session's CSRF token.
An AWS error raised by a page becomes that error's message on the page (AccessDenied shows
AWS's own text); anything else is logged and shown as a plain internal error, never a trace.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from importlib import resources
from typing import Any
from urllib.parse import parse_qs

from iamd.audit.recorder import Recorder
from iamd.auth.key_ring import KeyRing
from iamd.authorize.dispatch import Dispatcher
from iamd.console import principal, signin
from iamd.console.http import (
    Request,
    Response,
    parse_cookies,
    parse_form,
    redirect,
    single,
)
from iamd.console.page import Page
from iamd.console.pages import register_all
from iamd.console.render import environment
from iamd.console.routing import MethodNotAllowedError, Router
from iamd.console.sessions import ACTIVE, COOKIE, MFA, NEW_PASSWORD, Sessions, same
from iamd.console.throttle import Throttle
from iamd.errors import AWSError
from iamd.store import Store

log = logging.getLogger("iamd")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
SourceIp = Callable[[Scope, dict[str, str]], str]
Trusts = Callable[[str], bool]

MAX_BODY = 256 * 1024
_STATIC_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*\.(css|js|svg)$")
_STATIC_TYPES = {
    "css": "text/css; charset=utf-8",
    "js": "text/javascript; charset=utf-8",
    "svg": "image/svg+xml",
}


class Console:
    def __init__(
        self,
        *,
        store: Store,
        dispatcher: Dispatcher,
        recorder: Recorder,
        key_ring: KeyRing,
        region: str,
        source_ip: SourceIp,
        trusts: Trusts,
    ) -> None:
        self.store = store
        self.dispatcher = dispatcher
        self.recorder = recorder
        self.key_ring = key_ring
        self.region = region
        self.source_ip = source_ip
        self.trusts = trusts
        self.sessions = Sessions(store)
        self.throttle = Throttle(store)
        self.templates = environment()
        self.router = Router()
        register_all(self.router)

    def record(self, event: dict[str, Any]) -> None:
        try:
            self.recorder.record(event)
        except Exception:  # the audit trail never fails a page
            log.exception("could not record a console event")

    def render(self, template: str, status: int = 200, **context: Any) -> Response:
        request: Request | None = None
        page = context.get("page")
        if isinstance(page, Page):
            request = page.request
        elif isinstance(context.get("request"), Request):
            request = context["request"]
        if request is not None:
            context.setdefault("msg", request.arg("msg"))
        body = self.templates.get_template(template).render(**context)
        return Response(status, body.encode())

    # ASGI ----------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body, too_large = await _read_body(receive)
        request = self._request(scope, body)
        if too_large:
            response = self.render("error.html", 413, code="RequestEntityTooLarge",
                                   message="The form is too large.", request=request)  # fmt: skip
        else:
            response = self.handle(request)
        await send(
            {
                "type": "http.response.start",
                "status": response.status,
                "headers": response.all_headers(),
            }
        )
        await send({"type": "http.response.body", "body": response.body})

    def _request(self, scope: Scope, body: bytes) -> Request:
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope.get("headers", []):
            name = raw_name.decode("latin-1").lower()
            value = raw_value.decode("latin-1")
            headers[name] = f"{headers[name]},{value}" if name in headers else value
        query = single(parse_qs(scope.get("query_string", b"").decode("latin-1")))
        client = scope.get("client")
        peer = client[0] if client else "127.0.0.1"
        secure = scope.get("scheme") == "https" or (
            headers.get("x-forwarded-proto", "").split(",")[0].strip() == "https"
            and self.trusts(peer)
        )
        return Request(
            method=scope["method"],
            path=scope["path"].rstrip("/") or "/",
            query=query,
            form=parse_form(body, headers.get("content-type", "")),
            cookies=parse_cookies(headers.get("cookie", "")),
            headers=headers,
            source_ip=self.source_ip(scope, headers),
            secure=secure,
            body=body,
        )

    # Routing -------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        try:
            return self._handle(request)
        except Exception:
            incident = str(uuid.uuid4())
            log.exception("console: internal error %s on %s", incident, request.path)
            return self.render(
                "error.html",
                500,
                code="InternalFailure",
                message=f"An internal error occurred (incident {incident}).",
                request=request,
            )

    def _handle(self, request: Request) -> Response:
        path = request.path
        if path.startswith("/console/static/"):
            return _static(path.removeprefix("/console/static/"))
        public = signin.public_route(self, request)
        if public is not None:
            return public
        token = request.cookies.get(COOKIE, "")
        session = self.sessions.load(token)
        if session is None:
            return redirect("/console/signin")
        if session.stage == MFA:
            return redirect("/console/signin/mfa")
        if session.stage == NEW_PASSWORD:
            return redirect("/console/new-password")
        if session.stage != ACTIVE:
            return redirect("/console/signin")
        if request.method == "POST":
            submitted = request.field("csrf") or request.headers.get("x-csrf-token", "")
            if not same(submitted, session.csrf):
                return self.render(
                    "error.html",
                    403,
                    code="InvalidCsrfToken",
                    message="The form's security token is missing or out of date. "
                    "Reload the page and try again.",
                    request=request,
                )
        base = principal.base_caller(self.store, session)
        if base is None:
            self.sessions.end(token)
            return redirect("/console/signin")
        caller = base
        notices: list[str] = []
        if session.role_token:
            try:
                caller = principal.role_caller(self.key_ring, session.role_token)
            except AWSError:
                self.sessions.set_role(token, None, None, None)
                notices.append(f"Your session as {session.role_label} has ended.")
        page = Page(self, request, token, session, base, caller, notices)
        try:
            found = self.router.match(request.method, path)
        except MethodNotAllowedError:
            return page.render("error.html", 405, code="MethodNotAllowed", message="Not allowed.")
        if found is None:
            return page.render("error.html", 404, code="NotFound", message="No such page.")
        handler, args = found
        try:
            response: Response = handler(page, **args)
        except AWSError as error:
            return page.render("error.html", error.status, code=error.code, message=error.message)
        return response


def _static(name: str) -> Response:
    match = _STATIC_NAME.match(name)
    if match is None:
        return Response(404, b"not found", "text/plain")
    resource = resources.files("iamd.console").joinpath("static", name)
    if not resource.is_file():
        return Response(404, b"not found", "text/plain")
    return Response(200, resource.read_bytes(), _STATIC_TYPES[match.group(1)])


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size <= MAX_BODY:
            chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks), size > MAX_BODY
