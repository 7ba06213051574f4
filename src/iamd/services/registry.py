"""Operations by name, each with its handler and the authorization target it acts on.

Every operation declares, next to its handler, the resource AWS authorizes it against and the
condition keys it adds, so the authorize step is the same for every call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from iamd.policy import Policy
from iamd.services.call import Call
from iamd.store import Tx

ContextValue = str | list[str]


@dataclass(frozen=True, slots=True)
class Target:
    """What the policy engine is asked about: a resource ARN and extra context keys."""

    resource: str
    context: dict[str, ContextValue] = field(default_factory=dict)
    resource_account: str | None = None
    """The account owning the resource, where its ARN does not say (or says ``aws``)."""
    also: tuple[tuple[str, Target], ...] = ()
    """Further actions the caller needs, e.g. ``iam:PassRole`` on the role a call hands over."""
    resource_policy: Policy | None = None
    """The resource's own policy, where the resource has one (a role's trust policy)."""
    self_service: bool = False
    """The account lets every IAM user do this to itself without a policy (an explicit deny
    still applies): ChangePassword under ``AllowUsersToChangePassword``."""


Handler = Callable[[Call], dict[str, Any]]
TargetFn = Callable[[Call, Tx], Target]


@dataclass(frozen=True, slots=True)
class Operation:
    service: str
    name: str
    handler: Handler
    target: TargetFn

    @property
    def action(self) -> str:
        return f"{self.service}:{self.name}"


class Registry:
    def __init__(self, service: str, explains_denials: bool = True) -> None:
        self.service = service
        self.explains_denials = explains_denials
        """Whether AccessDenied says which policy type failed to allow (IAM does, STS not)."""
        self.operations: dict[str, Operation] = {}

    def operation(self, name: str, target: TargetFn) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            if name in self.operations:
                raise ValueError(f"{self.service}:{name} registered twice")
            self.operations[name] = Operation(self.service, name, handler, target)
            return handler

        return register

    def get(self, name: str) -> Operation | None:
        return self.operations.get(name)
