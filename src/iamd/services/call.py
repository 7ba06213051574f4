"""What a handler receives: the store, the caller, the parsed parameters, the request facts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from iamd.auth.key_ring import KeyRing
from iamd.services.caller import Caller
from iamd.store import Store


@dataclass
class Call:
    store: Store
    account_id: str
    caller: Caller
    operation: str
    params: dict[str, Any]
    request_id: str
    region: str = "us-east-1"
    source_ip: str = "127.0.0.1"
    user_agent: str = ""
    now: datetime | None = None
    context: dict[str, Any] = field(default_factory=dict)
    key_ring: KeyRing | None = None
    """Seals session tokens (STS)."""
    """Condition keys the operation adds (aws:RequestTag/*, iam:PolicyARN, ...)."""

    def param(self, name: str, default: Any = None) -> Any:
        return self.params.get(name, default)
