"""What a page handler gets: the request, the session, and the principal to act as."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from iamd.audit import events as audit
from iamd.authorize.dispatch import Origin
from iamd.console.http import Request, Response
from iamd.errors import AWSError
from iamd.services.caller import Caller
from iamd.store.repos.console_sessions import ConsoleSession

if TYPE_CHECKING:
    from iamd.console.app import Console

PAGE_SIZE = 50


@dataclass
class Page:
    console: Console
    request: Request
    token: str
    session: ConsoleSession
    base: Caller
    """The signed-in user or root."""
    caller: Caller
    """Whom actions run as: ``base``, or the role it switched to."""
    notices: list[str] = field(default_factory=list)

    @property
    def switched(self) -> bool:
        return self.caller is not self.base

    def has(self, service: str, operation: str) -> bool:
        """Whether this iamd implements the operation (some pages depend on optional ones)."""
        registry = self.console.dispatcher.registries.get(service)
        return registry is not None and registry.get(operation) is not None

    def call(self, service: str, operation: str, params: dict[str, Any] | None = None) -> Any:
        """Run an operation as the page's principal (raises AWS's errors), and audit it."""
        params = {k: v for k, v in (params or {}).items() if v is not None}
        request_id = str(uuid.uuid4())
        origin = Origin(
            region=self.console.region,
            request_id=request_id,
            source_ip=self.request.source_ip,
            user_agent=self.request.headers.get("user-agent", ""),
            secure=self.request.secure,
        )
        result: dict[str, Any] | None = None
        failure: AWSError | None = None
        try:
            result = self.console.dispatcher.dispatch(
                service, operation, params, self.caller, origin
            )
            return result
        except AWSError as error:
            failure = error
            raise
        finally:
            self.console.record(
                audit.build(
                    service=service,
                    operation=operation,
                    identity=audit.user_identity(self.caller),
                    account_id=self.caller.account_id,
                    region=origin.region,
                    source_ip=origin.source_ip,
                    user_agent=origin.user_agent,
                    request_id=request_id,
                    params=params,
                    result=result,
                    error=failure,
                )
            )

    def try_call(
        self, service: str, operation: str, params: dict[str, Any] | None = None
    ) -> tuple[Any, AWSError | None]:
        """``(result, None)`` or ``(None, error)``: for page parts that may be denied alone."""
        try:
            return self.call(service, operation, params), None
        except AWSError as error:
            return None, error

    def all_pages(
        self, operation: str, params: dict[str, Any], key: str, limit: int = 100_000
    ) -> list[Any]:
        items: list[Any] = []
        marker = None
        while len(items) < limit:
            result = self.call("iam", operation, {**params, "Marker": marker, "MaxItems": 1000})
            items += result.get(key, [])
            marker = result.get("Marker")
            if not result.get("IsTruncated") or not marker:
                break
        return items

    def render(self, template: str, status: int = 200, **context: Any) -> Response:
        return self.console.render(template, status, page=self, **context)
