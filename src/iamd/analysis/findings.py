"""What ``iamd analyze`` reports: findings, each with a rule, a severity and the evidence.

Rules (ids are stable; SARIF uses them as ``ruleId``):

==========================  ========  ==================================================
rule                        severity  what
==========================  ========  ==================================================
ROLE_PUBLIC_TRUST           critical  anyone can assume the role
ROLE_CROSS_ACCOUNT_TRUST    high      another account can assume the role
ROLE_FEDERATED_TRUST        medium    a federated identity can assume the role
                                      (critical when any account of the provider can)
ADMIN_PRINCIPAL             high      the engine allows ``*`` on ``*`` (or ``iam:*``)
PRIVILEGE_ESCALATION        critical  a path from a non-admin principal to admin
                                      (high when a step needs a resource the file
                                      cannot show, such as a running instance)
FULL_WILDCARD_GRANT         high      ``Allow`` ``*`` on ``*``
SERVICE_WILDCARD_GRANT      medium    ``Allow`` ``service:*`` on ``*`` (high for ``iam:*``)
ALLOW_NOT_ACTION            medium    ``Allow`` with ``NotAction``
PASSROLE_ANY_ROLE           medium    ``iam:PassRole`` on ``*``
ROOT_WITHOUT_MFA            critical  the root user has no MFA (credential report)
ROOT_ACCESS_KEY             critical  the root user has an active access key
USER_WITHOUT_MFA            medium    a user with a console password and no MFA
STALE_ACCESS_KEY            low       an active key not rotated in ``stale_days``
UNUSED_ACCESS_KEY           low       an active key unused for ``stale_days``
==========================  ========  ==================================================

Unused customer managed policies (``AttachmentCount`` 0) get their wildcard findings one
severity lower: nothing has them yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from iamd.analysis.account import Account
from iamd.analysis.admin import AdminVerdict
from iamd.analysis.credential_report import CredentialRow
from iamd.analysis.errors import AnalysisInputError
from iamd.analysis.escalation import EscalationPath, short
from iamd.analysis.exposure import exposures
from iamd.policy import StatementRef


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for critical, larger is milder."""
        return list(Severity).index(self)

    def lower(self) -> Severity:
        order = list(Severity)
        return order[min(self.rank + 1, len(order) - 1)]


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    title: str
    severity: Severity
    help: str


RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        Rule(
            "ROLE_PUBLIC_TRUST",
            "Anyone can assume the role",
            Severity.CRITICAL,
            "The trust policy lets any AWS principal (or any user of a public identity "
            "provider) assume the role. Name the principals, or add aws:PrincipalOrgID.",
        ),
        Rule(
            "ROLE_CROSS_ACCOUNT_TRUST",
            "Another account can assume the role",
            Severity.HIGH,
            "The trust policy lets a principal outside the account assume the role. Check that "
            "the account is trusted and require sts:ExternalId for third parties.",
        ),
        Rule(
            "ROLE_FEDERATED_TRUST",
            "A federated identity can assume the role",
            Severity.MEDIUM,
            "The trust policy lets identities of a SAML or OIDC provider assume the role. "
            "Restrict them with conditions on the provider's keys (aud, sub).",
        ),
        Rule(
            "ADMIN_PRINCIPAL",
            "Admin-equivalent principal",
            Severity.HIGH,
            "The policy engine allows this principal every action (or every IAM action, "
            "which grants the rest) on every resource.",
        ),
        Rule(
            "PRIVILEGE_ESCALATION",
            "Privilege escalation to admin",
            Severity.CRITICAL,
            "A principal that is not admin can become admin through the listed steps. Remove "
            "the permission of one step, or limit it with a permissions boundary.",
        ),
        Rule(
            "FULL_WILDCARD_GRANT",
            "Policy allows every action on every resource",
            Severity.HIGH,
            'A statement allows "*" on "*". Grant the actions needed.',
        ),
        Rule(
            "SERVICE_WILDCARD_GRANT",
            "Policy allows every action of a service on every resource",
            Severity.MEDIUM,
            'A statement allows "service:*" on "*". List the actions needed.',
        ),
        Rule(
            "ALLOW_NOT_ACTION",
            "Allow with NotAction",
            Severity.MEDIUM,
            "An Allow with NotAction grants every other action of every service, including "
            "ones AWS adds later.",
        ),
        Rule(
            "PASSROLE_ANY_ROLE",
            "iam:PassRole on every role",
            Severity.MEDIUM,
            'iam:PassRole on "*" lets the principal hand any role to a service. Name the '
            "roles and add iam:PassedToService.",
        ),
        Rule(
            "ROOT_WITHOUT_MFA",
            "The root user has no MFA",
            Severity.CRITICAL,
            "Enable MFA on the root user.",
        ),
        Rule(
            "ROOT_ACCESS_KEY",
            "The root user has an active access key",
            Severity.CRITICAL,
            "Delete the root user's access keys.",
        ),
        Rule(
            "USER_WITHOUT_MFA",
            "Console user without MFA",
            Severity.MEDIUM,
            "The user can sign in with a password and has no MFA device.",
        ),
        Rule(
            "STALE_ACCESS_KEY",
            "Access key not rotated",
            Severity.LOW,
            "An active access key is older than the rotation period.",
        ),
        Rule(
            "UNUSED_ACCESS_KEY",
            "Unused active access key",
            Severity.LOW,
            "An active access key has not been used within the period. Deactivate it.",
        ),
    )
}


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    severity: Severity
    resource: str
    """The ARN the finding is about (a principal, a role, a policy), or a user name."""
    message: str
    details: Mapping[str, Any] = field(default_factory=dict)
    statements: tuple[StatementRef, ...] = ()

    @property
    def title(self) -> str:
        return RULES[self.rule].title


def statement_dicts(refs: Iterable[StatementRef]) -> list[dict[str, Any]]:
    return [
        {
            "policyType": r.policy_type.value,
            "policy": r.policy_name,
            "statementIndex": r.index,
            "sid": r.sid,
            "effect": r.effect.value,
        }
        for r in refs
    ]


# --- roles others can assume -------------------------------------------------------------------


def trust_findings(account: Account, trusted_org_id: str | None = None) -> list[Finding]:
    out: list[Finding] = []
    for role in account.roles:
        if role.trust is None:
            continue
        try:
            found = exposures(role.trust, account.account_id, trusted_org_id=trusted_org_id)
        except AnalysisInputError:
            continue
        for exposure in found:
            if exposure.is_public:
                rule, severity = "ROLE_PUBLIC_TRUST", Severity.CRITICAL
            elif exposure.kind == "federated":
                rule, severity = "ROLE_FEDERATED_TRUST", Severity.MEDIUM
            else:
                rule, severity = "ROLE_CROSS_ACCOUNT_TRUST", Severity.HIGH
            who = ", ".join(f"{k} {v}" for k, v in exposure.principal.items())
            label = exposure.statement_id or f"#{exposure.statement_index}"
            message = f"{short(role.arn)} can be assumed by {who} (trust statement {label})"
            if exposure.conditions:
                message += " when " + ", ".join(
                    f"{k} = {v}" for k, v in exposure.conditions.items()
                )
            out.append(
                Finding(
                    rule,
                    severity,
                    role.arn,
                    message,
                    {
                        "principal": dict(exposure.principal),
                        "actions": list(exposure.actions),
                        "conditions": dict(exposure.conditions),
                        "isPublic": exposure.is_public,
                        "statementIndex": exposure.statement_index,
                        "statementId": exposure.statement_id,
                    },
                )
            )
    return out


# --- admins and paths --------------------------------------------------------------------------


def admin_findings(admins: Mapping[str, AdminVerdict]) -> list[Finding]:
    out = []
    for arn, verdict in admins.items():
        scope = "every action" if verdict.level.value == "full" else "every IAM action"
        policies = sorted({r.policy_name for r in verdict.statements})
        out.append(
            Finding(
                "ADMIN_PRINCIPAL",
                Severity.HIGH,
                arn,
                f"{short(arn)} is allowed {scope} on every resource by " + ", ".join(policies),
                {"level": verdict.level.value, "policies": policies},
                verdict.statements,
            )
        )
    return out


def escalation_findings(paths: Iterable[EscalationPath]) -> list[Finding]:
    out = []
    for path in paths:
        assumes = [s.assumes for s in path.steps if s.assumes]
        severity = Severity.HIGH if assumes else Severity.CRITICAL
        message = f"{short(path.principal)} can become admin: {path.render()}"
        if assumes:
            message += " (assuming " + "; ".join(assumes) + ")"
        refs = tuple(dict.fromkeys(r for s in path.steps for r in s.statements))
        out.append(
            Finding(
                "PRIVILEGE_ESCALATION",
                severity,
                path.principal,
                message,
                {
                    "admin": path.admin,
                    "steps": [
                        {
                            "principal": s.source,
                            "method": s.method,
                            "target": s.target,
                            "gains": s.gains,
                            "statements": statement_dicts(s.statements),
                            **({"assumes": s.assumes} if s.assumes else {}),
                        }
                        for s in path.steps
                    ],
                },
                refs,
            )
        )
    return out


# --- over-broad grants -------------------------------------------------------------------------


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _statements(document: Any) -> list[dict[str, Any]]:
    if not isinstance(document, dict):
        return []
    raw = document.get("Statement")
    items = raw if isinstance(raw, list) else [raw]
    return [s for s in items if isinstance(s, dict)]


def _passrole(action: str) -> bool:
    """Whether an Action entry (not ``*``) names iam:PassRole, spelled out or by a prefix."""
    lowered = action.lower()
    if lowered in ("iam:*", "iam:passrole"):
        return True
    prefix = lowered[4:-1]
    return lowered.startswith("iam:") and lowered.endswith("*") and "passrole".startswith(prefix)


def document_findings(document: Any, resource: str, label: str, unused: bool) -> list[Finding]:
    """Over-broad Allow statements of one identity policy document."""
    out = []
    for index, statement in enumerate(_statements(document)):
        if statement.get("Effect") != "Allow":
            continue
        actions = _strings(statement.get("Action"))
        resources = _strings(statement.get("Resource"))
        everywhere = "*" in resources
        sid = statement.get("Sid") if isinstance(statement.get("Sid"), str) else None
        where = f"{label} statement {sid or f'#{index}'}"
        hits: list[tuple[str, Severity, str]] = []
        if "NotAction" in statement:
            hits.append(("ALLOW_NOT_ACTION", Severity.MEDIUM, f"{where} allows with NotAction"))
        if everywhere and "*" in actions:
            hits.append(("FULL_WILDCARD_GRANT", Severity.HIGH, f"{where} allows * on *"))
        elif everywhere:
            services = sorted({a for a in actions if a.endswith(":*") and a.count(":") == 1})
            if services:
                severity = (
                    Severity.HIGH if "iam:*" in (s.lower() for s in services) else (Severity.MEDIUM)
                )
                hits.append(
                    (
                        "SERVICE_WILDCARD_GRANT",
                        severity,
                        f"{where} allows {', '.join(services)} on *",
                    )
                )
        if everywhere and any(_passrole(a) for a in actions) and "*" not in actions:
            hits.append(("PASSROLE_ANY_ROLE", Severity.MEDIUM, f"{where} allows iam:PassRole on *"))
        for rule, severity, message in hits:
            if statement.get("Condition"):
                message += " (with conditions)"
            out.append(
                Finding(
                    rule,
                    severity.lower() if unused else severity,
                    resource,
                    message,
                    {"policy": label, "statementIndex": index, "statementId": sid},
                )
            )
    return out


def grant_findings(account: Account) -> list[Finding]:
    """Customer managed policies (default version) and inline policies; AWS managed policies
    are AWS's to design, and their use shows in the admin and escalation findings."""
    out: list[Finding] = []
    for policy in account.policies.values():
        if policy.aws_managed:
            continue
        unused = policy.attachment_count == 0
        out += document_findings(policy.document, policy.arn, policy.arn, unused)
    owners: Sequence[tuple[str, str, Any]] = [
        *(("user", u.arn, u.inline) for u in account.users),
        *(("group", g.arn, g.inline) for g in account.groups.values()),
        *(("role", r.arn, r.inline) for r in account.roles),
    ]
    for _, arn, inline in owners:
        for item in inline:
            out += document_findings(
                item.document, arn, f"{short(arn)} inline {item.name}", unused=False
            )
    return out


# --- credentials -------------------------------------------------------------------------------


def credential_findings(
    rows: Iterable[CredentialRow], now: datetime, stale_days: int = 90
) -> list[Finding]:
    out: list[Finding] = []
    limit = timedelta(days=stale_days)
    for row in rows:
        subject = row.arn or row.user
        if row.is_root:
            if not row.mfa_active:
                out.append(
                    Finding(
                        "ROOT_WITHOUT_MFA",
                        Severity.CRITICAL,
                        subject,
                        "the root user has no MFA device",
                    )
                )
            for key in row.keys:
                if key.active:
                    out.append(
                        Finding(
                            "ROOT_ACCESS_KEY",
                            Severity.CRITICAL,
                            subject,
                            f"the root user's access key {key.number} is active",
                        )
                    )
            continue
        if row.password_enabled and not row.mfa_active:
            out.append(
                Finding(
                    "USER_WITHOUT_MFA",
                    Severity.MEDIUM,
                    subject,
                    f"{row.user} signs in with a password and has no MFA",
                )
            )
        for key in row.keys:
            if not key.active:
                continue
            if key.last_rotated is not None and now - key.last_rotated > limit:
                days = (now - key.last_rotated).days
                out.append(
                    Finding(
                        "STALE_ACCESS_KEY",
                        Severity.LOW,
                        subject,
                        f"{row.user}'s access key {key.number} was last rotated {days} days ago",
                        {"key": key.number, "days": days},
                    )
                )
            used = key.last_used or key.last_rotated
            if used is not None and now - used > limit:
                days = (now - used).days
                what = "last used" if key.last_used else "never used; created"
                out.append(
                    Finding(
                        "UNUSED_ACCESS_KEY",
                        Severity.LOW,
                        subject,
                        f"{row.user}'s access key {key.number} was {what} {days} days ago",
                        {"key": key.number, "days": days},
                    )
                )
    return out


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.severity.rank, f.rule, f.resource))
