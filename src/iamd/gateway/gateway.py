"""The enforcement gateway: IAM in front of S3, EC2, DynamoDB, SQS and other AWS services.

Each request goes through five steps: authenticate it (SigV4 against iamd's credentials),
map it to the IAM actions it needs (botocore's model and the catalog), map it to resources and
condition keys, authorize it with the full policy logic (the bucket policy included), and
forward it re-signed with the backend's credentials, streaming both bodies. A denial answers in
the service's own error format; every call, allowed or denied, is one audit event. A request
the gateway cannot map is denied, naming what it could not map: nothing passes unchecked.
"""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from typing import Any
from urllib.parse import quote, unquote_plus
from xml.etree import ElementTree

from iamd.audit import events as audit
from iamd.audit.recorder import Recorder
from iamd.auth.key_ring import KeyRing
from iamd.auth.sigv4 import UNSIGNED_PAYLOAD, SignedRequest
from iamd.authorize.authorizer import Authorizer
from iamd.authorize.context import ContextValue, principal_context, request_context
from iamd.authorize.credentials import Credentials
from iamd.errors import AWSError, MissingAuthenticationToken
from iamd.gateway import (
    answer_resources,
    calls,
    checksums,
    chunked,
    mentions,
    object_tags,
    resource_policies,
    resource_tags,
    responses,
)
from iamd.gateway.addressing import DEFAULT_DOMAINS, locate
from iamd.gateway.authn import Authenticated, Authenticator, anonymous, credential_scope, is_signed
from iamd.gateway.backend import Backend, BackendConfig
from iamd.gateway.bucket_policies import BucketPolicies
from iamd.gateway.forward import PRESIGN_PARAMS, Forwarder, backend_query, relay, replay
from iamd.gateway.generic import map_request, request_service
from iamd.gateway.http1 import Response
from iamd.gateway.s3_actions import Check, UnmappedOperationError, checks
from iamd.gateway.s3_operations import identify
from iamd.gateway.services import ServiceInfo, s3, service_info, unknown
from iamd.gateway.signer import payload_hash
from iamd.policy import Decision, Outcome, Policy, Request
from iamd.server.config import Settings
from iamd.server.last_used import LastUsed
from iamd.services.caller import Caller
from iamd.services.sts.decode_message import encode_authorization_message
from iamd.store import Store

log = logging.getLogger("iamd.gateway")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

MAX_BUFFERED = 16 * 1024 * 1024
"""Bodies the gateway reads whole (every service but S3's object uploads) may be this large."""
STREAMED = frozenset({"PutObject", "UploadPart"})
"""S3 operations whose bodies stream through unread (when larger than SMALL_BODY)."""
SMALL_BODY = 1024 * 1024
POLICY_WRITES = frozenset({"PutBucketPolicy", "DeleteBucketPolicy"})
EXPLICIT = Outcome.EXPLICIT_DENY
_BUCKET_ENTRY = re.compile(rb"<Bucket>.*?</Bucket>", re.DOTALL)
_BUCKET_NAME = re.compile(rb"<Name>([^<]*)</Name>")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class _BodyMismatchError(Exception):
    pass


class _DisconnectedError(Exception):
    """The client went away before its request was read: there is no one to answer."""


@dataclass(slots=True)
class _Exchange:
    """What one call's audit event needs, filled in as the pipeline learns it."""

    request_id: str
    service: ServiceInfo
    headers: dict[str, str]
    source_ip: str
    region: str
    operation: str = "Unknown"
    caller: Caller | None = None
    params: dict[str, Any] | None = None
    resources: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    error: AWSError | None = None
    decision: str = "Deny"
    status: int = 0
    body_read: bool = False
    audited: bool = False


class Gateway:
    def __init__(
        self,
        *,
        settings: Settings,
        store: Store,
        account_id: str,
        credentials: Credentials,
        authorizer: Authorizer,
        key_ring: KeyRing,
        last_used: LastUsed,
        recorder: Recorder,
        source_ip: Callable[[Scope, dict[str, str]], str],
        backend: BackendConfig,
        domains: tuple[str, ...] = DEFAULT_DOMAINS,
    ) -> None:
        self.settings = settings
        self.store = store
        self.account_id = account_id
        self.credentials = credentials
        self.authorizer = authorizer
        self.recorder = recorder
        self.source_ip = source_ip
        self.domains = domains
        self.backend = Backend(backend, account_id)
        self.forwarder = Forwarder(self.backend)
        self.authn = Authenticator(credentials, key_ring, last_used, settings.dev)
        self.policies = BucketPolicies(store, account_id, self._fetch_policy)
        self.resource_tags = resource_tags.ResourceTags(self.backend, self.forwarder)
        self.resource_policies = resource_policies.ResourcePolicies(
            partial(calls.call, self.forwarder),
            self.resource_tags.backend_account,
            self.backend.url,
        )

    async def _fetch_policy(self, bucket: str) -> tuple[int, bytes]:
        return await self.forwarder.fetch(
            "GET", f"/{quote(bucket)}", "policy", service="s3", region=self.settings.region
        )

    def stop(self) -> None:
        self.backend.stop()

    async def aclose(self) -> None:
        await self.forwarder.close()
        self.backend.stop()

    # ASGI ----------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = _headers(scope)
        raw_query = scope.get("query_string", b"").decode("latin-1")
        credential = credential_scope(headers, raw_query)
        if credential is None or credential[2] == "s3":
            service = s3()
        else:
            service = service_info(credential[2]) or unknown(credential[2])
        exchange = _Exchange(
            request_id=str(uuid.uuid4()),
            service=service,
            headers=headers,
            source_ip=self.source_ip(scope, headers),
            region=(credential[1] if credential and credential[1] else self.settings.region),
        )
        head = scope["method"] == "HEAD"
        try:
            if service.name == "s3":
                await self._s3(scope, receive, send, exchange, raw_query)
            else:
                await self._generic(scope, receive, send, exchange, raw_query)
        except _DisconnectedError:
            exchange.error = AWSError("The client closed the connection.", code="ClientClosed")
        except AWSError as error:
            exchange.error = error
            await self._fail(send, exchange, error, head)
        except OSError as error:
            log.warning("gateway: backend unreachable: %s", error)
            failure = AWSError(
                "The backend service is unavailable.",
                code="ServiceUnavailable",
                status=503,
                sender=False,
            )
            exchange.error = failure
            await self._fail(send, exchange, failure, head)
        except Exception:
            log.exception("gateway: internal error in request %s", exchange.request_id)
            failure = AWSError("We encountered an internal error. Please try again.")
            exchange.error = failure
            await self._fail(send, exchange, failure, head)
        finally:
            self._audit(exchange)  # if the answer did not already record it

    async def _fail(self, send: Send, exchange: _Exchange, error: AWSError, head: bool) -> None:
        if exchange.status:
            return  # the answer had started: nothing more can be said
        answer = responses.render(exchange.service, error, exchange.request_id, head)
        exchange.status = answer.status
        headers = [*answer.headers, (b"content-length", str(len(answer.body)).encode())]
        if not exchange.body_read and _has_body(exchange.headers):
            # The client may still be sending (or, after Expect: 100-continue, never send) the
            # body: the connection cannot carry another request.
            headers.append((b"connection", b"close"))
        # Recorded before the answer leaves: a client that has its answer finds the event.
        self._audit(exchange)
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        await send({"type": "http.response.body", "body": answer.body})

    # S3 ------------------------------------------------------------------------------------

    async def _s3(
        self, scope: Scope, receive: Receive, send: Send, exchange: _Exchange, raw_query: str
    ) -> None:
        method: str = scope["method"]
        headers = exchange.headers
        raw_path = scope.get("raw_path", scope["path"].encode()).decode("latin-1")
        raw_path = raw_path.split("?", 1)[0]
        target = locate(headers.get("host", ""), raw_path, self.domains)
        query = _operation_query(raw_query)
        operation = identify(method, target.kind, query, headers)
        named = {"bucketName": target.bucket, "key": target.key, "Host": headers.get("host")}
        exchange.params = {k: v for k, v in named.items() if v is not None}
        if operation is not None:
            exchange.operation = operation
        declared = headers.get("x-amz-content-sha256")
        aws_chunked = declared is not None and declared.startswith("STREAMING-")
        size = headers.get("content-length", "")
        # Small uploads are read whole: one write to the backend, the hash checked up front.
        streamed = operation in STREAMED and (
            aws_chunked or not size.isdigit() or int(size) > SMALL_BODY
        )
        body = b""
        if not streamed and (method in ("PUT", "POST") or size not in ("", "0")):
            body = await _read_body(receive)
            exchange.body_read = True
        signed = SignedRequest(method, raw_path, raw_query, headers, body)
        presigned = "X-Amz-Signature=" in raw_query
        sigv2 = headers.get("authorization", "").startswith("AWS ")
        signed_v4 = is_signed(headers, raw_query)
        if sigv2 or (not signed_v4 and ("AWSAccessKeyId" in query or "Signature" in query)):
            # Signature Version 2 (header or query): S3 no longer accepts it, and answers so.
            # https://docs.aws.amazon.com/AmazonS3/latest/API/Appendix-Sigv2.html
            raise AWSError(
                "The authorization mechanism you have provided is not supported. "
                "Please use AWS4-HMAC-SHA256.",
                code="InvalidRequest",
                status=400,
                sender=True,
            )
        if signed_v4:
            if (
                streamed
                and declared is not None
                and not aws_chunked
                and declared != UNSIGNED_PAYLOAD
                and not _HEX64.match(declared)
            ):
                raise AWSError(
                    "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, "
                    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, or a valid sha256 value.",
                    code="InvalidArgument",
                    status=400,
                    sender=True,
                )
            try:
                # The signature covers the declared hash; the body is checked against it
                # after (as it streams, or now), so a mismatch is S3's own error.
                who = self.authn.authenticate(signed, "s3", deferred_payload=True)
            except AWSError as error:
                raise responses.s3_auth_error(error, presigned) from None
            hex_declared = declared is not None and _HEX64.match(declared) is not None
            if not streamed and hex_declared and hashlib.sha256(body).hexdigest() != declared:
                raise _sha256_mismatch()
        else:
            who = Authenticated(anonymous(self.account_id), self.settings.region, None)
        exchange.caller, exchange.region = who.caller, who.region
        if operation is None:
            raise _unmapped(exchange, f"the S3 request {method} {raw_path}")
        delete_keys = _delete_keys(body) if operation == "DeleteObjects" else None
        try:
            needed = checks(operation, target.bucket, target.key, query, headers, delete_keys)
        except UnmappedOperationError as error:
            raise _unmapped(exchange, f"S3 operation {error}") from None
        exchange.resources = [c.resource for c in needed]
        exchange.actions = sorted({c.action for c in needed})
        context = self._context(scope, who, exchange, presigned)
        creating = operation == "CreateBucket" and await self._new_bucket(target.bucket, who)
        for check in needed:
            await self._authorize_s3(who.caller, check, context, exchange, creating)
        exchange.decision = "Allow"
        # Forward -----------------------------------------------------------------------
        out_query = backend_query(raw_query)
        stream: AsyncIterator[bytes] | bytes | None = body if body else None
        length: int | None = len(body) if body else None
        payload = UNSIGNED_PAYLOAD if body else payload_hash(b"")  # the client's hash was checked
        state = _StreamState()
        forwarded = dict(headers)
        # An x-amz-checksum-* header of the object's data: S3 refuses a mismatch (BadDigest);
        # a backend such as moto would keep it unchecked, so the gateway checks it.
        data_sum = checksums.from_headers(headers) if operation in STREAMED else None
        # Content-MD5 likewise, on any request with a body (S3 checks it; moto does not).
        md5 = checksums.content_md5(headers)
        sums = [s for s in (data_sum, md5) if s is not None]
        if not streamed:
            for declared_sum in sums:
                if checksums.compute(declared_sum.algorithm, body) != declared_sum.value:
                    raise checksums.mismatch(declared_sum.algorithm)
        if streamed:
            payload = UNSIGNED_PAYLOAD
            if aws_chunked:
                assert declared is not None
                stream, length, payload = await _aws_chunked(
                    receive, who, declared, forwarded, data_sum, md5, state
                )
                exchange.body_read = isinstance(stream, bytes)
            else:
                if not size.isdigit():
                    raise AWSError(
                        "You must provide the Content-Length HTTP header.",
                        code="MissingContentLength",
                        status=411,
                        sender=True,
                    )
                length = int(size)
                expected = declared if declared and _HEX64.match(declared) else None
                stream = _checked_stream(_receive_chunks(receive), expected, state, sums)
        try:
            response = await self.forwarder.open(
                method,
                target.backend_path(),
                out_query,
                forwarded,
                service="s3",
                region=who.region or self.settings.region,
                payload=payload,
                body=stream,
                length=length,
            )
        except Exception:
            if state.error is not None:
                raise state.error from None
            raise
        if state.error is not None:
            response.close()
            raise state.error
        async with response:
            exchange.status = response.status
            self._after_s3(operation, target.bucket, response.status, who.caller, creating)
            self._audit(exchange)
            if operation == "ListBuckets" and response.status == 200:
                await self._own_buckets(response, send, who.caller)
            else:
                await relay(response, send, method == "HEAD")

    async def _own_buckets(self, response: Response, send: Send, caller: Caller) -> None:
        """ListBuckets names the caller's account's buckets only, as on AWS: the backend's
        list holds every account's."""
        body = await response.read()

        def mine(found: re.Match[bytes]) -> bytes:
            name = _BUCKET_NAME.search(found.group(0))
            bucket = name.group(1).decode() if name else ""
            return found.group(0) if self.policies.owner(bucket) == caller.account_id else b""

        body = _BUCKET_ENTRY.sub(mine, body)
        headers = [
            (name.lower(), value)
            for name, value in response.raw_headers
            if name.lower() not in (b"content-length", b"transfer-encoding", b"connection")
            and name.lower() not in (b"server", b"date")
        ]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _context(
        self, scope: Scope, who: Authenticated, exchange: _Exchange, presigned: bool
    ) -> dict[str, ContextValue]:
        now = datetime.now(UTC)
        extra: dict[str, ContextValue] = {}
        if who.verified is not None:
            extra["s3:authType"] = "REST-QUERY-STRING" if presigned else "REST-HEADER"
            extra["s3:signatureversion"] = "AWS4-HMAC-SHA256"
            age = now - who.verified.request_time
            extra["s3:signatureAge"] = str(max(0, int(age.total_seconds() * 1000)))
        return request_context(
            principal_context(who.caller) if who.verified is not None or who.caller.arn else {},
            now=now,
            source_ip=exchange.source_ip,
            secure=scope.get("scheme") == "https",
            region=who.region or self.settings.region,
            extra=extra,
        )

    async def _new_bucket(self, bucket: str | None, who: Authenticated) -> bool:
        """Whether a CreateBucket makes a new bucket (the caller's); another account's
        existing bucket is S3's BucketAlreadyExists."""
        if bucket is None:
            return False
        status, _ = await self.forwarder.fetch(
            "HEAD", f"/{quote(bucket)}", "", service="s3", region=self.settings.region
        )
        if status == 404:
            return True
        if self.policies.owner(bucket) != who.caller.account_id:
            raise AWSError(
                "The requested bucket name is not available. The bucket namespace is shared by "
                "all users of the system. Please select a different name and try again.",
                code="BucketAlreadyExists",
                status=409,
                sender=True,
            )
        return False

    async def _authorize_s3(
        self,
        caller: Caller,
        check: Check,
        context: dict[str, ContextValue],
        exchange: _Exchange,
        creating: bool = False,
    ) -> None:
        policy = owner = None
        if creating:
            owner = caller.account_id  # the bucket will be the caller's, with no policy yet
        elif check.bucket is not None:
            policy = await self.policies.policy(check.bucket)
            owner = self.policies.owner(check.bucket)
        full = {**context, **check.context}
        if check.bucket is not None and "/" in check.resource.removeprefix("arn:aws:s3:::"):
            full.update(
                await self._existing_tags(caller, check, policy, query_version(check.context))
            )
        if owner is not None:
            full["aws:ResourceAccount"] = owner
            full["s3:ResourceAccount"] = owner
        else:
            owner = caller.account_id
        decision = self.authorizer.authorize(
            caller, check.action, check.resource, full, owner, policy
        )
        if decision.allowed:
            return
        if caller.is_root and owner == caller.account_id and decision.outcome is not EXPLICIT:
            return  # root may do anything in its own account that no policy explicitly denies
        if caller.kind == "Anonymous":
            message = "Access Denied"
        else:
            message = decision.message(caller.arn, check.action, f'"{check.resource}"')
        raise AWSError(message, code="AccessDenied", status=403, sender=True)

    async def _existing_tags(
        self, caller: Caller, check: Check, policy: Policy | None, version: str | None
    ) -> dict[str, ContextValue]:
        if not object_tags.supports(check.action):
            return {}
        policies = self.authorizer.evaluator(caller).policies
        session = policies.session
        sessions = [session] if isinstance(session, Policy) else list(session or ())
        applicable = [*policies.identity, policies.boundary, *sessions, policy]
        if not mentions.any_names(applicable, object_tags.PREFIXES):
            return {}
        bucket, _, key = check.resource.removeprefix("arn:aws:s3:::").partition("/")
        query = "tagging" + (f"&versionId={quote(version, safe='')}" if version else "")
        status, body = await self.forwarder.fetch(
            "GET",
            f"/{quote(bucket)}/{quote(key, safe='/~')}",
            query,
            service="s3",
            region=self.settings.region,
        )
        return object_tags.context_of(body) if status == 200 else {}

    def _after_s3(
        self, operation: str, bucket: str | None, status: int, caller: Caller, creating: bool
    ) -> None:
        if bucket is None or status >= 300:
            return
        if operation == "CreateBucket" and creating:
            self.policies.created(bucket, caller.account_id)
        elif operation == "DeleteBucket":
            self.policies.deleted(bucket)
        elif operation in POLICY_WRITES:
            self.policies.invalidate(bucket)

    # Other services ------------------------------------------------------------------------

    async def _generic(
        self, scope: Scope, receive: Receive, send: Send, exchange: _Exchange, raw_query: str
    ) -> None:
        service = exchange.service
        method: str = scope["method"]
        headers = exchange.headers
        raw_path = scope.get("raw_path", scope["path"].encode()).decode("latin-1")
        raw_path = raw_path.split("?", 1)[0]
        body = await _read_body(receive)
        exchange.body_read = True
        service = exchange.service = request_service(
            service, method, scope["path"], raw_query, headers, body
        )
        signed = SignedRequest(method, raw_path, raw_query, headers, body)
        if not is_signed(headers, raw_query):
            raise MissingAuthenticationToken("Request is missing Authentication Token")
        who = self.authn.authenticate(signed, service.signing_name)
        exchange.caller, exchange.region = who.caller, who.region
        try:
            mapped = map_request(
                service,
                method,
                scope["path"],
                raw_query,
                headers,
                body,
                who.region,
                who.caller.account_id,
                await self.resource_tags.backend_account(who.region),
            )
        except UnmappedOperationError as error:
            raise _unmapped(exchange, str(error)) from None
        exchange.operation = mapped.operation
        exchange.resources = [c.resource for c in mapped.checks]
        exchange.actions = sorted({c.action for c in mapped.checks})
        context = request_context(
            principal_context(who.caller),
            now=datetime.now(UTC),
            source_ip=exchange.source_ip,
            secure=scope.get("scheme") == "https",
            region=who.region,
            extra={},
        )
        # A Decrypt without a KeyId: its key is known from the answer, authorized then.
        later = [c for c in mapped.checks if answer_resources.deferred(c)]
        await self._authorize(who, service, [c for c in mapped.checks if c not in later], context)
        if not later:
            exchange.decision = "Allow"
        response = await self.forwarder.open(
            method,
            raw_path,
            backend_query(raw_query),
            headers,
            service=service.signing_name,
            region=who.region,
            payload=payload_hash(body),
            body=body or None,
            length=len(body) if body or method in ("POST", "PUT") else None,
        )
        async with response:
            answer = None
            if later:
                answer = await response.read()
                if response.status < 300:
                    await self._authorize_answered(who, service, later, answer, context, exchange)
                exchange.decision = "Allow"
            exchange.status = response.status
            self.resource_tags.after(mapped.operation, mapped.checks, response.status)
            self.resource_policies.after(mapped.operation, mapped.checks, response.status)
            self._audit(exchange)
            if answer is None:
                await relay(response, send, method == "HEAD")
            else:
                await replay(response, answer, send)

    async def _authorize_answered(
        self,
        who: Authenticated,
        service: ServiceInfo,
        later: list[Check],
        answer: bytes,
        context: dict[str, ContextValue],
        exchange: _Exchange,
    ) -> None:
        """Authorize the checks whose resource the backend's answer names; the answer is
        held back until they pass."""
        resolved = answer_resources.resolve(
            later,
            answer,
            who.caller.account_id,
            await self.resource_tags.backend_account(who.region),
        )
        if resolved is None:
            raise AWSError(
                f"iamd's gateway cannot tell which resource {exchange.operation} used from the "
                "backend's answer, so it is denied.",
                code=responses.denied_code(service),
                status=responses.denied_status(service),
                sender=True,
            )
        exchange.resources = [
            *(r for r in exchange.resources if r != "*"),
            *(c.resource for c in resolved),
        ]
        await self._authorize(who, service, resolved, context)

    async def _authorize(
        self,
        who: Authenticated,
        service: ServiceInfo,
        checks: list[Check],
        context: dict[str, ContextValue],
    ) -> None:
        """Every check with the full logic: the resource's policy (read from the backend),
        its tags when a policy names one; the first denial is raised in the service's format."""
        if not checks:
            return
        found = await self.resource_policies.lookup(checks, who.region)
        tags = await self.resource_tags.lookup(
            [
                *resource_tags.applicable(self.authorizer.evaluator(who.caller).policies),
                *found.policies(),
            ],
            service,
            [c.resource for c in checks],
            who.region,
        )
        for check in checks:
            full = {**context, **check.context, **tags.context(check.resource)}
            target = found.target(check)  # the resource's policy and owner, an alias's key
            if target.account:
                full["aws:ResourceAccount"] = target.account
            decision = self.authorizer.authorize(
                who.caller, check.action, target.resource, full, target.account, target.policy
            )
            decision = resource_policies.settle(who.caller, target, decision)
            if target.unknown and decision.outcome is not EXPLICIT:
                # A Deny in the resource policy cannot be ruled out, nor its grant counted.
                raise resource_policies.unreadable(
                    service, who.caller.arn, check.action, target.resource
                )
            if not decision.allowed:
                named = replace(check, resource=target.resource)
                raise self._denied(service, who.caller, named, decision, full)
            if tags.unknown(check.resource):  # a Deny on the tags cannot be ruled out
                raise resource_tags.unreadable(service, who.caller.arn, check)

    def _denied(
        self,
        service: ServiceInfo,
        caller: Caller,
        check: Check,
        decision: Decision,
        context: dict[str, ContextValue],
    ) -> AWSError:
        code = responses.denied_code(service)
        if service.protocol != "ec2":
            return AWSError(
                decision.message(caller.arn, check.action, check.resource),
                code=code,
                status=responses.denied_status(service),
                sender=True,
            )
        # EC2 encodes the decision; sts:DecodeAuthorizationMessage reveals it.
        request = Request.build(caller.arn, check.action, check.resource, context)
        encoded = encode_authorization_message(
            self.store,
            decision,
            request,
            account_id=caller.account_id,
            principal_id=caller.principal_id,
            context=context,
            policies=self.authorizer.evaluator(caller).policies.identity,
        )
        return AWSError(
            "You are not authorized to perform this operation. "
            f"{decision.message(caller.arn, check.action, check.resource)}. "
            f"Encoded authorization failure message: {encoded}",
            code=code,
            status=403,
            sender=True,
        )

    # Audit ---------------------------------------------------------------------------------

    def _audit(self, exchange: _Exchange) -> None:
        """Queue the call's event, built later in the recorder's thread from a snapshot of
        the exchange as it is now (the answer may still fail after this)."""
        if exchange.audited:
            return
        exchange.audited = True
        self.recorder.record(partial(self._event, replace(exchange), datetime.now(UTC)))

    def _event(self, exchange: _Exchange, now: datetime) -> dict[str, Any]:
        caller = exchange.caller
        if caller is None or caller.kind == "Anonymous":
            scope = credential_scope(exchange.headers, "")
            identity = audit.unknown_identity(scope[0] if scope else None)
            account = caller.account_id if caller else self.account_id
        else:
            identity = audit.user_identity(caller)
            account = caller.account_id
        event = audit.build(
            service=exchange.service.iam_prefix or exchange.service.signing_name,
            operation=exchange.operation,
            identity=identity,
            account_id=account,
            region=exchange.region,
            source_ip=exchange.source_ip,
            user_agent=exchange.headers.get("user-agent", ""),
            request_id=exchange.request_id,
            error=exchange.error,
            now=now,
        )
        # S3's members keep their own spelling (bucketName, key, Host), as in CloudTrail.
        event["requestParameters"] = exchange.params
        event["eventSource"] = exchange.service.event_source
        event["additionalEventData"] = {
            "gatewayDecision": exchange.decision,
            # The IAM actions the call needed (ListObjectsV2 is s3:ListBucket): what
            # policy generation should grant for it.
            "iamActions": exchange.actions,
            "backendStatus": exchange.status if exchange.error is None else None,
        }
        if exchange.resources:
            event["resources"] = [
                {"ARN": r, "accountId": account, "type": _resource_type(r)}
                for r in exchange.resources
                if r != "*"
            ]
        if exchange.service.name == "s3" and exchange.params and "key" in exchange.params:
            event["managementEvent"] = False
            event["eventCategory"] = "Data"
            event["eventType"] = "AwsApiCall"
        return event


# Helpers -------------------------------------------------------------------------------------


def _unmapped(exchange: _Exchange, what: str) -> AWSError:
    exchange.operation = exchange.operation or "Unknown"
    code = responses.denied_code(exchange.service)
    status = responses.denied_status(exchange.service)
    return AWSError(
        f"iamd's gateway cannot map {what} to IAM actions, so it is denied.",
        code=code,
        status=status,
        sender=True,
    )


def _operation_query(raw_query: str) -> dict[str, str]:
    """The decoded query parameters that say what an S3 request is (``parse_qsl`` without the
    presigned URL's ``X-Amz-*`` signature parameters, which the signature check reads itself,
    and without decoding what needs none: this runs on every S3 call)."""
    out: dict[str, str] = {}
    for piece in raw_query.split("&"):
        if not piece:
            continue
        name, _, value = piece.partition("=")
        if name in PRESIGN_PARAMS:
            continue
        if "%" in name or "+" in name:
            name = unquote_plus(name)
        if "%" in value or "+" in value:
            value = unquote_plus(value)
        out[name] = value
    return out


def query_version(context: dict[str, ContextValue]) -> str | None:
    version = context.get("s3:VersionId")
    return version if isinstance(version, str) else None


def _resource_type(arn: str) -> str:
    if arn.startswith("arn:aws:s3:::"):
        return "AWS::S3::Object" if "/" in arn else "AWS::S3::Bucket"
    return ""


def _has_body(headers: dict[str, str]) -> bool:
    return headers.get("content-length", "0") not in ("0", "") or "transfer-encoding" in headers


def _headers(scope: Scope) -> dict[str, str]:
    out: dict[str, str] = {}
    for raw_name, raw_value in scope.get("headers", []):
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        out[name] = f"{out[name]},{value}" if name in out else value
    return out


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _DisconnectedError
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BUFFERED:
            raise AWSError(
                "Your proposed upload exceeds the maximum allowed size",
                code="EntityTooLarge",
                status=400,
                sender=True,
            )
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


async def _receive_chunks(receive: Receive) -> AsyncIterator[bytes]:
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _DisconnectedError
        chunk = message.get("body", b"")
        if chunk:
            yield chunk
        more = message.get("more_body", False)


@dataclass(slots=True)
class _StreamState:
    error: AWSError | None = None

    def fail(self, error: AWSError) -> None:
        self.error = error


async def _checked_stream(
    chunks: AsyncIterator[bytes],
    expected: str | None,
    state: _StreamState,
    sums: list[checksums.Checksum],
) -> AsyncIterator[bytes]:
    """The body as it arrives; with a declared SHA-256, an x-amz-checksum-* header or a
    Content-MD5, the last chunk is held back until the whole body is known to match them, so a
    backend never completes an upload that does not."""
    hasher = hashlib.sha256() if expected else None
    running = [(s, checksums.Running(s.algorithm)) for s in sums]
    pending: bytes | None = None
    async for chunk in chunks:
        if hasher is not None:
            hasher.update(chunk)
        for _, digest in running:
            digest.update(chunk)
        if pending is not None:
            yield pending
        pending = chunk
    if hasher is not None and hasher.hexdigest() != expected:
        state.fail(_sha256_mismatch())
        raise _BodyMismatchError
    for declared, digest in running:
        if digest.value() != declared.value:
            state.fail(checksums.mismatch(declared.algorithm))
            raise _BodyMismatchError
    if pending is not None:
        yield pending


async def _aws_chunked(
    receive: Receive,
    who: Authenticated,
    declared: str,
    forwarded: dict[str, str],
    data_sum: checksums.Checksum | None,
    md5: checksums.Checksum | None,
    state: _StreamState,
) -> tuple[AsyncIterator[bytes] | bytes, int, str]:
    """An aws-chunked upload's body for the backend, its length and payload hash; adjusts
    ``forwarded``. Chunk signatures, the trailer's signature and the checksum are verified
    (:mod:`iamd.gateway.chunked`). A small body is decoded and checked whole, then sent in one
    write with its checksum as a header; a larger one streams, re-encoded as
    STREAMING-UNSIGNED-PAYLOAD-TRAILER when it has a trailer so that the backend keeps the
    checksum with the object as S3 does (GetObject with ChecksumMode=ENABLED returns it)."""
    if declared not in chunked.VARIANTS:
        raise AWSError(
            f"iamd does not support {declared} uploads.",
            code="NotImplemented",
            status=501,
            sender=False,
        )
    if who.verified is None and declared != chunked.UNSIGNED_TRAILER:
        # --dev's unchecked callers have no key to chain chunk signatures to.
        raise AWSError(
            "aws-chunked uploads need a signature iamd can verify.",
            code="NotImplemented",
            status=501,
            sender=False,
        )
    decoded = forwarded.pop("x-amz-decoded-content-length", None)
    if decoded is None or not decoded.isdigit():
        raise AWSError(
            "You must provide the Content-Length HTTP header.",
            code="MissingContentLength",
            status=411,
            sender=True,
        )
    length = int(decoded)
    decoder = chunked.Decoder(
        who.verified,
        state.fail,
        signed=declared,
        length=length,
        trailer=forwarded.pop("x-amz-trailer", None),
        expected=data_sum,
    )
    encoding = [e.strip() for e in forwarded.pop("content-encoding", "").split(",")]
    kept = [e for e in encoding if e and e != "aws-chunked"]
    if kept:
        forwarded["content-encoding"] = ",".join(kept)
    data = decoder.decode(_receive_chunks(receive))
    if md5 is not None and length > SMALL_BODY:
        data = _checked_stream(data, None, state, [md5])
    if length <= SMALL_BODY:
        try:
            body = b"".join([piece async for piece in data])
        except chunked.ChunkError:
            assert state.error is not None
            raise state.error from None
        if md5 is not None and checksums.compute(md5.algorithm, body) != md5.value:
            raise checksums.mismatch(md5.algorithm)
        checksum = decoder.checksum
        if checksum is not None:
            forwarded[checksum.header] = checksum.value
            forwarded["x-amz-sdk-checksum-algorithm"] = checksum.algorithm
        return body, len(body), UNSIGNED_PAYLOAD
    if decoder.trailer is None or decoder.algorithm is None:
        return data, length, UNSIGNED_PAYLOAD
    forwarded["content-encoding"] = ",".join([*kept, "aws-chunked"])
    forwarded["x-amz-decoded-content-length"] = decoded
    forwarded["x-amz-trailer"] = decoder.trailer
    forwarded["x-amz-sdk-checksum-algorithm"] = decoder.algorithm
    return (
        chunked.with_trailer(data, decoder),
        chunked.trailer_length(length, decoder.algorithm),
        chunked.UNSIGNED_TRAILER,
    )


def _sha256_mismatch() -> AWSError:
    return AWSError(
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
        code="XAmzContentSHA256Mismatch",
        status=400,
        sender=True,
    )


def _delete_keys(body: bytes) -> list[tuple[str, str | None]]:
    """The objects of a DeleteObjects request body."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        raise AWSError(
            "The XML you provided was not well-formed or did not validate against our "
            "published schema",
            code="MalformedXML",
            status=400,
            sender=True,
        ) from None
    keys: list[tuple[str, str | None]] = []
    for element in root:
        if not element.tag.endswith("Object"):
            continue
        key = version = None
        for child in element:
            if child.tag.endswith("Key"):
                key = child.text or ""
            elif child.tag.endswith("VersionId"):
                version = child.text
        if key is not None:
            keys.append((key, version))
    return keys
