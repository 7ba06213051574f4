"""The ASGI application.

One pipeline for every AWS call: verify the SigV4 signature, resolve the caller, parse the
operation from the service model, authorize it with the policy engine, run the handler, and
serialize the result or an AWS-format error.  Handlers are synchronous and short (an indexed
SQLite read is tens of microseconds), so they run on the event loop without a thread hop.
"""

from __future__ import annotations

import gc
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from functools import partial
from typing import Any
from urllib.parse import parse_qs, unquote_plus

from iamd.audit import events as audit
from iamd.audit.recorder import Recorder
from iamd.auth.key_ring import KeyRing
from iamd.auth.sigv4 import SignedRequest, SigningSecret, session_token, verify
from iamd.authorize.authorizer import Authorizer
from iamd.authorize.credentials import DEV_ACCOUNT, Credentials, root_caller
from iamd.authorize.dispatch import Dispatcher, Origin
from iamd.authorize.sessions import INVALID, caller_of, open_session, signing_secret
from iamd.console import Console
from iamd.errors import (
    AWSError,
    InvalidClientTokenId,
    ServiceFailure,
    SignatureDoesNotMatch,
)
from iamd.gateway import BackendConfig, Gateway, for_gateway
from iamd.protocol import WireProtocol, query_protocol, wire_protocol
from iamd.server import oidc_issuer
from iamd.server.bootstrap import Bootstrapped
from iamd.server.config import Settings
from iamd.server.last_used import LastUsed
from iamd.server.trail_usage import fold_existing_trail
from iamd.server.watch import ChangeWatcher
from iamd.services.analyzer import REGISTRY as ACCESS_ANALYZER
from iamd.services.caller import Caller
from iamd.services.cloudtrail import REGISTRY as CLOUDTRAIL
from iamd.services.iam import REGISTRY as IAM
from iamd.services.registry import Registry
from iamd.services.sts import REGISTRY as STS

log = logging.getLogger("iamd")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

MAX_BODY = 1024 * 1024
UNSIGNED_STS = frozenset({"AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"})
BOTOCORE_NAMES = {
    "iam": "iam",
    "sts": "sts",
    "cloudtrail": "cloudtrail",
    "access-analyzer": "accessanalyzer",
}
"""Each service iamd answers, by the SigV4 credential scope's service, with its botocore model."""


class IamdApp:
    def __init__(
        self,
        settings: Settings,
        boot: Bootstrapped,
        rebootstrap: Callable[[], Bootstrapped] | None = None,
    ) -> None:
        self.rebootstrap = rebootstrap
        self.settings = settings
        self.store = boot.store
        self.account_id = boot.account_id
        self.credentials = Credentials(self.store)
        self.authorizer = Authorizer(self.store)
        # Routed by the credential scope's service: the Query protocol for IAM and STS, json
        # for CloudTrail, rest-json for Access Analyzer.
        self.protocols: dict[str, WireProtocol] = {
            scope: wire_protocol(model) for scope, model in BOTOCORE_NAMES.items()
        }
        self.services = frozenset(self.protocols)
        self.registries: dict[str, Registry] = {
            "iam": IAM,
            "sts": STS,
            "cloudtrail": CLOUDTRAIL,
            "access-analyzer": ACCESS_ANALYZER,
        }
        self.key_ring = KeyRing(self.store)
        self.dispatcher = Dispatcher(self.store, self.authorizer, self.key_ring, self.registries)
        self.last_used = LastUsed(self.store)
        self.watcher = ChangeWatcher(self.store, self.invalidate, settings.change_poll_seconds)
        # Our own writes drop the derived caches at commit; other processes' via the watcher.
        self.store.on_change(self.credentials.invalidate)
        self.store.on_change(self.authorizer.invalidate)
        self.recorder = Recorder(self.store, retention_days=settings.audit_retention_days)
        self.console = Console(
            store=self.store,
            dispatcher=self.dispatcher,
            recorder=self.recorder,
            key_ring=self.key_ring,
            region=settings.region,
            source_ip=self._source_ip,
            trusts=settings.trusts,
        )
        self.gateway = (
            Gateway(
                settings=settings,
                store=self.store,
                account_id=self.account_id,
                credentials=self.credentials,
                authorizer=self.authorizer,
                key_ring=self.key_ring,
                last_used=self.last_used,
                recorder=self.recorder,
                source_ip=self._source_ip,
                backend=BackendConfig(
                    settings.backend_url, settings.backend_access_key, settings.backend_secret_key
                ),
                domains=settings.s3_domains,
            )
            if settings.gateway
            else None
        )

    def invalidate(self) -> None:
        self.store.cache.invalidate()
        self.credentials.invalidate()
        self.authorizer.invalidate()

    def reset(self) -> None:
        """--dev only: wipe all state and bootstrap afresh, as on a first start."""
        self.store.wipe()
        if self.rebootstrap is not None:
            self.account_id = self.rebootstrap().account_id
        self.invalidate()

    def start(self) -> None:
        # Start-up objects (service models, compiled policies) live for the whole process:
        # move them out of the collector's way, and collect young objects less eagerly, so
        # full collections do not show up as latency spikes.
        gc.collect()
        gc.freeze()
        gc.set_threshold(50_000, 20, 20)
        for protocol in self.protocols.values():
            protocol.warm()
        self.watcher.start()
        fold_existing_trail(self.store)
        self.recorder.start()
        if self.settings.dev:
            log.warning(
                "iamd is running with --dev: ANY unknown access key acts as the root of account "
                "%s, unsigned, and POST /_iamd/reset wipes all state. Never expose this server.",
                DEV_ACCOUNT,
            )

    def stop(self) -> None:
        if self.gateway is not None:
            self.gateway.stop()
        self.watcher.stop()
        self.recorder.stop()

    # ASGI ------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        if self.settings.trusted_proxies:
            scope = self._forwarded_scheme(scope)
        if self.gateway is not None and for_gateway(scope):
            await self.gateway(scope, receive, send)  # every service but iamd's own
            return
        path = scope["path"]
        if path == "/_iamd/health":
            await _respond(send, 200, [(b"content-type", b"text/plain")], b"ok\n")
            return
        if path == "/_iamd/metrics":
            body = json.dumps({"audit_events": self.recorder.metrics()}).encode() + b"\n"
            await _respond(send, 200, [(b"content-type", b"application/json")], body)
            return
        if path.startswith("/.well-known/"):
            await oidc_issuer.serve(self.store, self.settings, scope, send)
            return
        if path == "/console" or path.startswith("/console/"):
            await self.console(scope, receive, send)
            return
        body, too_large = await _read_body(receive)
        if path == "/_iamd/reset" and self.settings.dev and scope["method"] == "POST":
            self.reset()
            await _respond(
                send, 200, [(b"content-type", b"application/json")], b'{"reset": true}\n'
            )
            return
        status, headers, payload = self.handle(scope, body, too_large)
        await _respond(send, status, headers, payload)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.gateway is not None:
                    await self.gateway.aclose()
                self.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    # The AWS pipeline ------------------------------------------------------------------

    def handle(
        self, scope: Scope, body: bytes, too_large: bool = False
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        request_id = str(uuid.uuid4())
        headers = _headers(scope)
        protocol: WireProtocol = self.protocols["iam"]
        # What the audit event needs, filled in as the pipeline learns it.
        signed: SignedRequest | None = None
        caller: Caller | None = None
        service = operation = region = None
        params: dict[str, Any] | None = None
        payload: dict[str, Any] | None = None
        failure: AWSError | None = None
        try:
            if too_large:
                raise AWSError(
                    "Request body too large.", code="RequestEntityTooLarge", status=413, sender=True
                )
            signed = SignedRequest(
                method=scope["method"],
                path=scope.get("raw_path", scope["path"].encode()).decode("latin-1"),
                query=scope.get("query_string", b"").decode("latin-1"),
                headers=headers,
                body=body,
            )
            # Until the signature is checked, errors answer in the format the client expects.
            protocol = self._claimed_protocol(signed)
            unsigned = self._unsigned_sts(signed, headers)
            if unsigned is not None:
                caller, service, region = unsigned
            else:
                caller, service, region = self._authenticate(signed)
            protocol = self.protocols[service]
            parsed = protocol.parse(signed.method, signed.path, signed.query, headers, body)
            operation, params = parsed.operation, parsed.params
            payload = self._dispatch(
                service, parsed.operation, parsed.params, caller, region, request_id, scope, headers
            )
            status, answer_headers, result = protocol.serialize(
                parsed.operation, payload, request_id
            )
        except AWSError as error:
            failure = error
            status, answer_headers, result = protocol.serialize_error(error, request_id)
        except Exception:
            log.exception("internal error in request %s", request_id)
            failure = ServiceFailure("An internal error occurred.")
            status, answer_headers, result = protocol.serialize_error(failure, request_id)
        # --- audit: one CloudTrail event per call, built and written off the request path
        # when the caller is known (building the event for a failed authentication looks the
        # key up, which stays on this thread).
        try:
            if signed is not None:
                build = partial(
                    self._audit_event,
                    signed, self._source_ip(scope, headers), request_id, caller, service,
                    region, operation, params, payload, failure, protocol, datetime.now(UTC),
                )  # fmt: skip
                known = caller is not None and caller.kind != "Anonymous"
                self.recorder.record(build if known else build())
        except Exception:  # the audit trail never fails a request
            log.exception("could not build the audit event of request %s", request_id)
        # --- end audit
        return status, [*answer_headers, (b"x-amzn-requestid", request_id.encode())], result

    def _claimed_protocol(self, signed: SignedRequest) -> WireProtocol:
        """The protocol of the service the request's credential scope names (unverified); for
        an unsigned request, the json service its ``X-Amz-Target`` names; else IAM's."""
        claimed = _credential_scope(signed)
        if claimed is not None:
            return self.protocols.get(claimed[2]) or self.protocols["iam"]
        if "x-amz-target" in signed.headers:
            for protocol in self.protocols.values():
                if protocol.operation_of("POST", "/", "", signed.headers, b"") is not None:
                    return protocol
        return self.protocols["iam"]

    def _audit_event(
        self,
        signed: SignedRequest,
        source_ip: str,
        request_id: str,
        caller: Caller | None,
        service: str | None,
        region: str | None,
        operation: str | None,
        params: dict[str, Any] | None,
        payload: dict[str, Any] | None,
        failure: AWSError | None,
        protocol: WireProtocol,
        now: datetime,
    ) -> dict[str, Any]:
        known = caller is not None and service is not None and region is not None
        credential = None if known else _credential_scope(signed)
        resolved = None
        if caller is None or caller.kind == "Anonymous":
            if operation in UNSIGNED_STS:
                identity = audit.federated_identity(operation, payload)
            else:
                # Failed authentication: name the key's owner if the key is one of ours.
                key_id = credential[0] if credential else None
                resolved = self.credentials.resolve(key_id) if key_id else None
                if resolved is not None:
                    identity = audit.user_identity(resolved[1])
                else:
                    identity = audit.unknown_identity(key_id)
            account_id = resolved[1].account_id if resolved is not None else ""
        else:
            identity = audit.user_identity(caller)
            account_id = caller.account_id
        if operation is None:
            operation = protocol.operation_of(
                signed.method, signed.path, signed.query, signed.headers, signed.body
            ) or _action_of(signed)
        if service is None:
            service = credential[2] if credential and credential[2] in self.protocols else "iam"
        if failure is not None:
            code = protocol.error_code(failure)
            if code != failure.code:  # the event names the error as the client saw it
                failure = AWSError(failure.message, code=code)
        account_id = account_id or self.account_id
        return audit.build(
            service=service,
            operation=operation,
            identity=identity,
            account_id=account_id,
            region=region or (credential[1] if credential else self.settings.region),
            source_ip=source_ip,
            user_agent=signed.headers.get("user-agent", ""),
            request_id=request_id,
            params=params,
            result=payload,
            error=failure,
            now=now,
            resources=audit.resources(service, account_id, params, payload),
        )

    def _authenticate(self, signed: SignedRequest) -> tuple[Caller, str, str]:
        token = session_token(signed)
        if token is not None:
            return self._authenticate_session(signed, token)
        try:
            verified = verify(signed, self.credentials.lookup, allowed_services=self.services)
        except (InvalidClientTokenId, SignatureDoesNotMatch) as error:
            dev = self._dev_caller(signed, error)
            if dev is None:
                raise
            return dev
        resolved = self.credentials.resolve(verified.access_key_id)
        if resolved is None:
            raise InvalidClientTokenId("The security token included in the request is invalid.")
        self.last_used.record(verified.access_key_id, verified.service, verified.region)
        return resolved[1], verified.service, verified.region

    def _unsigned_sts(
        self, signed: SignedRequest, headers: dict[str, str]
    ) -> tuple[Caller, str, str] | None:
        """AssumeRoleWithWebIdentity and AssumeRoleWithSAML are unsigned: the token or the
        assertion is the credential, and their handlers check it."""
        if "authorization" in headers or "X-Amz-Signature" in signed.query:
            return None
        try:
            parsed = query_protocol("sts").parse(
                signed.body, signed.query, headers.get("content-type", ""), validate=False
            )
        except AWSError:
            return None
        if parsed.operation not in UNSIGNED_STS:
            return None
        return anonymous_caller(self.account_id), "sts", self.settings.region

    def _authenticate_session(self, signed: SignedRequest, token: str) -> tuple[Caller, str, str]:
        """Temporary credentials: the token says who the caller is; no database read."""
        scope = _credential_scope(signed)
        if scope is None:
            # No credential to match the token against: let verify() name what is missing.
            verify(signed, lambda key: None, allowed_services=self.services)
            raise InvalidClientTokenId(INVALID)
        claims = open_session(self.key_ring, token, scope[0])
        secret = signing_secret(claims)

        def lookup(key: str) -> SigningSecret | None:
            return secret if key == claims.access_key_id else None

        verified = verify(signed, lookup, allowed_services=self.services)
        if verified.service == "iam" and claims.role_id is None and not claims.mfa_authenticated:
            # GetSessionToken credentials "cannot call any IAM API operations unless MFA
            # authentication information is included in the request"; AWS answers as if the
            # token were not valid (API_GetSessionToken; aws/aws-cli#8918).
            raise InvalidClientTokenId(INVALID)
        return caller_of(claims), verified.service, verified.region

    def _dev_caller(self, signed: SignedRequest, error: AWSError) -> tuple[Caller, str, str] | None:
        """In --dev, a key iamd does not know acts as the root of the dev account, unchecked."""
        if not self.settings.dev:
            return None
        scope = _credential_scope(signed)
        if scope is None or scope[2] not in self.services:
            return None
        if self.credentials.lookup(scope[0]) is not None:
            return None
        key_id, region, service = scope
        return root_caller(DEV_ACCOUNT, key_id), service, region

    def _dispatch(
        self,
        service: str,
        operation: str,
        params: dict[str, Any],
        caller: Caller,
        region: str,
        request_id: str,
        scope: Scope,
        headers: dict[str, str],
    ) -> dict[str, Any]:
        origin = Origin(
            region=region,
            request_id=request_id,
            source_ip=self._source_ip(scope, headers),
            user_agent=headers.get("user-agent", ""),
            secure=scope.get("scheme") == "https",
        )
        return self.dispatcher.dispatch(service, operation, params, caller, origin)

    def _forwarded_scheme(self, scope: Scope) -> Scope:
        """The scope with scheme https when a --trusted-proxy peer that terminated TLS says so
        in X-Forwarded-Proto: aws:SecureTransport is about the client's own connection. Nobody
        else's header is believed (uvicorn's handling of it is off: see ``iamd serve``)."""
        if scope.get("scheme") != "http":
            return scope
        client = scope.get("client")
        if not self.settings.trusts(client[0] if client else "127.0.0.1"):
            return scope
        for name, value in scope.get("headers", []):
            if name.lower() == b"x-forwarded-proto":
                if value.split(b",")[0].strip().lower() == b"https":
                    return {**scope, "scheme": "https"}
                break
        return scope

    def _source_ip(self, scope: Scope, headers: dict[str, str]) -> str:
        client = scope.get("client")
        peer = client[0] if client else "127.0.0.1"
        forwarded = headers.get("x-forwarded-for")
        if not forwarded or not self.settings.trusts(peer):
            return peer
        # Walk from the nearest hop outwards, skipping our own trusted proxies.
        for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
            if not self.settings.trusts(hop):
                return hop
        return peer


def anonymous_caller(account_id: str) -> Caller:
    return Caller(
        kind="Anonymous",
        arn="",
        account_id=account_id,
        principal_id="",
        name="",
        access_key_id="",
    )


def _credential_scope(signed: SignedRequest) -> tuple[str, str, str] | None:
    """``(access key id, region, service)`` from the Authorization header or the query."""
    text = signed.headers.get("authorization", "")
    marker = "Credential="
    if marker in text:
        credential = text.split(marker, 1)[1].split(",", 1)[0].strip()
    else:
        # Only this one parameter is wanted: decoding the whole query (with a session token
        # of a kilobyte or more in it) cost more than verifying the signature.
        query = signed.query
        start = query.find("X-Amz-Credential=")
        while start > 0 and query[start - 1] != "&":
            start = query.find("X-Amz-Credential=", start + 1)
        if start < 0:
            return None
        start += len("X-Amz-Credential=")
        end = query.find("&", start)
        credential = unquote_plus(query[start:] if end < 0 else query[start:end])
    parts = credential.split("/")
    if len(parts) != 5:
        return None
    return parts[0], parts[2], parts[3]


def _action_of(signed: SignedRequest) -> str:
    """The Action of a request that failed before it was parsed (for its audit event)."""
    for text in (signed.query, signed.body.decode("latin-1")):
        found = parse_qs(text).get("Action")
        if found:
            return found[0][:128]
    return "Unknown"


def _headers(scope: Scope) -> dict[str, str]:
    out: dict[str, str] = {}
    for raw_name, raw_value in scope.get("headers", []):
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        out[name] = f"{out[name]},{value}" if name in out else value
    return out


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


async def _respond(
    send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*headers, (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
