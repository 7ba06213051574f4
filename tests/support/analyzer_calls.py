"""Calling Access Analyzer handlers through the registry, as the server does after
authorization (unit tests of iamd.services.analyzer)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import iamd.services.analyzer  # noqa: F401  (registers the operations)
from iamd.services.analyzer.common import REGISTRY
from iamd.services.call import Call
from iamd.services.caller import Caller
from iamd.store import Store

ACCOUNT = "111122223333"
REGION = "us-east-1"

Invoke = Callable[..., dict[str, Any]]


def root() -> Caller:
    return Caller(
        kind="Root",
        arn=f"arn:aws:iam::{ACCOUNT}:root",
        account_id=ACCOUNT,
        principal_id=ACCOUNT,
        name="root",
        access_key_id="AKIAROOTROOTROOTROOT",
    )


def invoker(store: Store) -> Invoke:
    """``invoke("CreateAnalyzer", analyzerName=..., type=...)``; ``at=`` sets the clock."""

    def run(operation: str, at: datetime | None = None, **params: Any) -> dict[str, Any]:
        op = REGISTRY.get(operation)
        assert op is not None, f"{operation} is not registered"
        call = Call(
            store=store,
            account_id=ACCOUNT,
            caller=root(),
            operation=operation,
            params=params,
            request_id="test",
            region=REGION,
            now=at or datetime.now(UTC),
        )
        with store.read() as tx:
            op.target(call, tx)  # every target must build without failing
        return op.handler(call)

    return run
