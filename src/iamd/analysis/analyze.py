"""The whole-account analysis behind ``iamd analyze``: every finding for one account file."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from iamd.analysis.account import Account
from iamd.analysis.admin import FULL_PROBES, IAM_PROBES
from iamd.analysis.credential_report import CredentialRow
from iamd.analysis.escalation import EscalationPath, EscalationSearch, Progress
from iamd.analysis.findings import (
    Finding,
    admin_findings,
    credential_findings,
    escalation_findings,
    grant_findings,
    sort_findings,
    trust_findings,
)
from iamd.analysis.methods import ACTIONS, CORE_ACTIONS
from iamd.analysis.principals import (
    ActionFilter,
    PolicyLibrary,
    Principal,
    build_principals,
    rebuild,
)
from iamd.policy import Evaluator

CREDENTIAL_REPORT_MISSING = (
    "no credential report given (--credential-report): users without MFA and stale access "
    "keys were not checked"
)


@dataclass
class AccountReport:
    account_id: str
    findings: list[Finding]
    notes: list[str]
    stats: dict[str, float | int] = field(default_factory=dict)
    paths: list[EscalationPath] = field(default_factory=list)


SEARCH_ACTIONS = CORE_ACTIONS | frozenset(IAM_PROBES)
"""What the escalation search asks the engine (the full admin probes are asked apart)."""


def escalation_library() -> PolicyLibrary:
    return PolicyLibrary(ActionFilter(SEARCH_ACTIONS))


def analyze_account(
    account: Account,
    *,
    credentials: Sequence[CredentialRow] | None = None,
    now: datetime | None = None,
    progress: Progress | None = None,
    max_depth: int = 6,
    stale_days: int = 90,
    trusted_org_id: str | None = None,
) -> AccountReport:
    """Every finding for ``account``; ``now`` dates the credential checks."""
    started = time.perf_counter()
    library = escalation_library()
    principals: list[Principal] = build_principals(account, library)
    passwords = None
    if credentials is not None:
        passwords = {row.arn: row.password_enabled for row in credentials if not row.is_root}
    wide_library = PolicyLibrary(ActionFilter(FULL_PROBES))
    compute_library = PolicyLibrary(ActionFilter(ACTIONS))

    def wide(principal: Principal) -> Evaluator:
        return rebuild(account, wide_library, principal).evaluator

    search = EscalationSearch(
        principals,
        account,
        library,
        actions=SEARCH_ACTIONS,
        max_depth=max_depth,
        progress=progress,
        passwords=passwords,
        wide=wide,
        compute=lambda principal: rebuild(account, compute_library, principal),
    )
    admins = search.find_admins()
    paths = search.run()
    findings = trust_findings(account, trusted_org_id)
    findings += admin_findings(admins)
    findings += escalation_findings(paths)
    findings += grant_findings(account)
    notes = list(account.notes) + library.notes
    if credentials is None:
        notes.append(CREDENTIAL_REPORT_MISSING)
    else:
        findings += credential_findings(credentials, now or datetime.now().astimezone(), stale_days)
    return AccountReport(
        account_id=account.account_id,
        findings=sort_findings(findings),
        notes=notes,
        stats={
            "users": len(account.users),
            "groups": len(account.groups),
            "roles": len(account.roles),
            "policies": len(account.policies),
            "admins": len(admins),
            "escalationPaths": len(paths),
            "seconds": round(time.perf_counter() - started, 3),
        },
        paths=paths,
    )
