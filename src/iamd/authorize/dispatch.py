"""Run one operation as a caller: authorize it with the policy engine, then call its handler.

Every front end (the AWS wire protocols, the gateway, the console) goes through here, so an
action is allowed or denied the same way whichever door it came in by.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from iamd.auth.key_ring import KeyRing
from iamd.authorize.authorizer import Authorizer
from iamd.authorize.context import principal_context, request_context
from iamd.errors import AccessDenied, NotImplementedOperation
from iamd.policy import Outcome
from iamd.services.call import Call
from iamd.services.caller import Caller
from iamd.services.registry import Registry
from iamd.store import Store


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a call came from: the facts the request context and the audit trail need."""

    region: str
    request_id: str
    source_ip: str = "127.0.0.1"
    user_agent: str = ""
    secure: bool = False


class Dispatcher:
    def __init__(
        self,
        store: Store,
        authorizer: Authorizer,
        key_ring: KeyRing,
        registries: Mapping[str, Registry],
    ) -> None:
        self.store = store
        self.authorizer = authorizer
        self.key_ring = key_ring
        self.registries = registries
        """Shared with the server, which may add services after start-up."""

    def dispatch(
        self,
        service: str,
        operation: str,
        params: dict[str, Any],
        caller: Caller,
        origin: Origin,
    ) -> dict[str, Any]:
        """The operation's result, or an AWSError (AccessDenied, NotImplemented, its own)."""
        registry = self.registries.get(service)
        op = registry.get(operation) if registry else None
        if op is None or registry is None:
            raise NotImplementedOperation(f"iamd does not implement {service}:{operation} yet.")
        now = datetime.now(UTC)
        call = Call(
            store=self.store,
            account_id=caller.account_id,
            caller=caller,
            operation=operation,
            params=params,
            request_id=origin.request_id,
            region=origin.region,
            source_ip=origin.source_ip,
            user_agent=origin.user_agent,
            now=now,
            key_ring=self.key_ring,
        )
        if caller.kind == "Anonymous":
            # The handler itself decides, by the role's trust policy and the token.
            return op.handler(call)
        with self.store.lazy_read() as tx:
            target = op.target(call, tx)
        context = request_context(
            principal_context(caller),
            now=now,
            source_ip=call.source_ip,
            secure=origin.secure,
            region=origin.region,
            extra=target.context,
        )
        checks = [(op.action, target), *target.also]
        for action, checked in checks:
            decision = self.authorizer.authorize(
                caller,
                action,
                checked.resource,
                {**context, **checked.context},
                checked.resource_account,
                checked.resource_policy,
            )
            granted = decision.allowed or (
                checked.self_service and decision.outcome is Outcome.IMPLICIT_DENY
            )
            if not granted:
                raise AccessDenied(
                    decision.message(
                        caller.arn, action, checked.resource, reason=registry.explains_denials
                    )
                )
        return op.handler(call)
