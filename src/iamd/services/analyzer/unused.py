"""Unused-access findings: roles, access keys, passwords and permissions not used within the
analyzer's ``unusedAccessAge`` days, from the audit trail and IAM's last-used records.

AWS's rule, followed here: an entity is unused when it has been inactive for the tracking
period, so anything created less than that many days ago is not reported yet; a role that is
unused gets the role finding only (its permissions are moot).  For a principal that is in use,
each service namespace its identity policies allow gets a finding when no action of it was
used within the period (a service-level finding, with the service's last use), or when some
allowed actions of it were used and others not (the unused ones are listed, each with its
last use).  Service-linked roles are not analysed: AWS manages them; nor are principals the
analyzer's ``analysisRule`` excludes by tag.
https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-findings.html
https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_UnusedPermissionDetails.html
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from iamd.authorize.policies import role_policies, user_policies
from iamd.catalog.actions import expand_action
from iamd.policy import Effect, Policy
from iamd.services.analyzer.lifecycle import Observed, finding_id
from iamd.store import Tx
from iamd.store.records import Tag
from iamd.store.repos.analyzers import Analyzer
from iamd.store.repos.login_profiles import LoginProfiles
from iamd.store.repos.trail_usage import ANY, TrailUsage, Usage

DEFAULT_AGE = 90
ROLE = "AWS::IAM::Role"
USER = "AWS::IAM::User"


def unused_age(analyzer: Analyzer) -> int:
    config = (analyzer.configuration or {}).get("unusedAccess") or {}
    return int(config.get("unusedAccessAge") or DEFAULT_AGE)


def excluded(tags: list[Tag], analyzer: Analyzer) -> bool:
    """Whether the analysis rule excludes a principal with these tags: it has every tag of one
    of the rule's tag maps (an empty value matches any value of the key)."""
    config = (analyzer.configuration or {}).get("unusedAccess") or {}
    have = {t.key: t.value for t in tags}
    for criteria in (config.get("analysisRule") or {}).get("exclusions") or []:
        for wanted in criteria.get("resourceTags") or []:
            if wanted and all(k in have and (v == "" or have[k] == v) for k, v in wanted.items()):
                return True
    return False


def _iso(when: datetime | None) -> dict[str, str]:
    return {"lastAccessed": when.isoformat()} if when else {}


def _latest(*values: datetime | None) -> datetime | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def allowed_by_service(policies: Iterable[Policy]) -> dict[str, set[str]]:
    """The actions the Allow statements name, expanded through the catalog, by service."""
    out: dict[str, set[str]] = defaultdict(set)
    for policy in policies:
        for statement in policy.statements:
            if statement.effect is not Effect.ALLOW or not statement.action:
                continue
            for pattern in statement.action:
                for info in expand_action(pattern):
                    out[info.service].add(info.qualified_name)
    return out


def _permission_findings(
    arn: str,
    resource_type: str,
    account_id: str,
    policies: list[Policy],
    used: dict[str, datetime],
    cutoff: datetime,
) -> list[Observed]:
    """``used`` maps lower-cased action names to their last successful use."""
    out = []
    for service, actions in sorted(allowed_by_service(policies).items()):
        last_by_action = {a: used.get(a.lower()) for a in sorted(actions)}
        service_last = _latest(*last_by_action.values())
        if service_last is not None and service_last >= cutoff:
            stale = {a: t for a, t in last_by_action.items() if t is None or t < cutoff}
            if not stale:
                continue
            listed = [{"action": a, **_iso(t)} for a, t in stale.items()]
        else:
            listed = []
        details: dict[str, object] = {"serviceNamespace": service, **_iso(service_last)}
        if listed:
            details["actions"] = listed
        out.append(
            Observed(
                id=finding_id("UnusedPermission", arn, service),
                finding_type="UnusedPermission",
                resource=arn,
                resource_type=resource_type,
                resource_owner_account=account_id,
                details={"unusedPermissionDetails": details},
            )
        )
    return out


def _action_uses(scopes: dict[str, Usage]) -> dict[str, datetime]:
    """Lower-cased action name -> last use, from one subject's ``trail_usage`` scopes."""
    return {scope.lower(): u.last_time for scope, u in scopes.items() if ":" in scope}


def observe_unused(tx: Tx, analyzer: Analyzer, now: datetime) -> list[Observed]:
    account = analyzer.account_id
    cutoff = now - timedelta(days=unused_age(analyzer))
    trail = tx.repo(TrailUsage)
    roles = [
        r
        for r in tx.roles.all(account)
        if not r.service_linked
        and r.create_date <= cutoff
        and not excluded(tx.tags.all("role", r.id), analyzer)
    ]
    users = [
        u
        for u in tx.users.all(account)
        if u.create_date <= cutoff and not excluded(tx.tags.all("user", u.id), analyzer)
    ]
    subjects = [f"role:{r.id}" for r in roles] + [f"user:{u.id}" for u in users]
    scopes = trail.scopes_of(account, subjects)
    keys = trail.by_prefix(account, "key:")
    logins = trail.by_prefix(account, "login:")
    out: list[Observed] = []
    for role in roles:
        mine = scopes.get(f"role:{role.id}", {})
        last = _latest(role.last_used_date, mine[ANY].last_time if ANY in mine else None)
        if last is None or last < cutoff:
            out.append(
                Observed(
                    id=finding_id("UnusedIAMRole", role.arn),
                    finding_type="UnusedIAMRole",
                    resource=role.arn,
                    resource_type=ROLE,
                    resource_owner_account=account,
                    details={"unusedIamRoleDetails": _iso(last)},
                )
            )
            continue
        out += _permission_findings(
            role.arn, ROLE, account, role_policies(tx, role.id), _action_uses(mine), cutoff
        )
    profiles = tx.repo(LoginProfiles)
    for user in users:
        profile = profiles.get(user.id)
        login = logins.get(user.id)
        signed_in = _latest(user.password_last_used, login.last_time if login else None)
        if profile is not None and (signed_in or profile.create_date) < cutoff:
            out.append(
                Observed(
                    id=finding_id("UnusedIAMUserPassword", user.arn),
                    finding_type="UnusedIAMUserPassword",
                    resource=user.arn,
                    resource_type=USER,
                    resource_owner_account=account,
                    details={"unusedIamUserPasswordDetails": _iso(signed_in)},
                )
            )
        for key in tx.access_keys.of_user(user.id):
            if key.status != "Active":
                continue
            used = keys.get(key.id)
            last = _latest(key.last_used_date, used.last_time if used else None)
            if (last or key.create_date) < cutoff:
                out.append(
                    Observed(
                        id=finding_id("UnusedIAMUserAccessKey", user.arn, key.id),
                        finding_type="UnusedIAMUserAccessKey",
                        resource=user.arn,
                        resource_type=USER,
                        resource_owner_account=account,
                        details={
                            "unusedIamUserAccessKeyDetails": {"accessKeyId": key.id, **_iso(last)}
                        },
                    )
                )
        mine = scopes.get(f"user:{user.id}", {})
        out += _permission_findings(
            user.arn, USER, account, user_policies(tx, user.id), _action_uses(mine), cutoff
        )
    return out
