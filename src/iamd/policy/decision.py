"""Decisions, and the AccessDenied messages AWS renders for them.

https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from iamd.policy.model import Effect


class Outcome(StrEnum):
    ALLOWED = "Allowed"
    EXPLICIT_DENY = "ExplicitlyDenied"
    IMPLICIT_DENY = "ImplicitlyDenied"


class PolicyType(StrEnum):
    """A kind of policy in an evaluation, with the phrase AWS uses for it in messages."""

    IDENTITY = "identity"
    RESOURCE = "resource"
    BOUNDARY = "boundary"
    SESSION = "session"
    SCP = "scp"
    RCP = "rcp"

    @property
    def phrase(self) -> str:
        return _PHRASES[self]

    @property
    def article(self) -> str:
        return "an" if self.phrase[0] in "aeiou" else "a"


_PHRASES = {
    PolicyType.IDENTITY: "identity-based policy",
    PolicyType.RESOURCE: "resource-based policy",
    PolicyType.BOUNDARY: "permissions boundary",
    PolicyType.SESSION: "session policy",
    PolicyType.SCP: "service control policy",
    PolicyType.RCP: "resource control policy",
}


@dataclass(frozen=True, slots=True)
class StatementRef:
    """Which statement of which policy took part in a decision."""

    policy_type: PolicyType
    policy_name: str
    index: int
    sid: str | None
    effect: Effect

    def __str__(self) -> str:
        label = self.sid if self.sid else f"#{self.index}"
        return f"{self.policy_type.phrase} {self.policy_name} statement {label} ({self.effect})"


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    decided_by: PolicyType | None
    """The policy type whose explicit deny, or missing allow, decided a denial; or the type
    that granted an allowed request."""
    statements: tuple[StatementRef, ...] = ()
    """The statements that matched: the deny that decided, or the allow(s) that granted."""

    @property
    def allowed(self) -> bool:
        return self.outcome is Outcome.ALLOWED

    def message(self, principal: str, action: str, resource: str, reason: bool = True) -> str:
        """AWS's AccessDenied message for a denial (an empty string when allowed).

        ``reason=False`` gives the older form some services (STS) still send: it stops after
        the resource for an implicit deny.
        """
        if self.outcome is Outcome.ALLOWED:
            return ""
        head = f"User: {principal} is not authorized to perform: {action} on resource: {resource}"
        if not reason and self.outcome is Outcome.IMPLICIT_DENY:
            return head
        kind = self.decided_by or PolicyType.IDENTITY
        if self.outcome is Outcome.EXPLICIT_DENY:
            return f"{head} with an explicit deny in {kind.article} {kind.phrase}"
        return f"{head} because no {kind.phrase} allows the {action} action"

    def as_dict(self) -> dict[str, object]:
        return {
            "decision": self.outcome.value,
            "decided_by": self.decided_by.value if self.decided_by else None,
            "statements": [
                {
                    "policy_type": s.policy_type.value,
                    "policy": s.policy_name,
                    "index": s.index,
                    "sid": s.sid,
                    "effect": s.effect.value,
                }
                for s in self.statements
            ],
        }
