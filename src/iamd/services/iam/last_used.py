"""RoleLastUsed and AccessKeyLastUsed, answered from the audit trail (``trail_usage``).

A role is used when a session of it makes a call (the AssumeRole call itself is made, and
recorded, by whoever assumes the role): "the last time that an IAM role was used [...] the
date and time and the Region in which the role was last used."
https://docs.aws.amazon.com/IAM/latest/APIReference/API_RoleLastUsed.html
A key is used when it signs a request that authenticates (allowed or denied).
https://docs.aws.amazon.com/IAM/latest/APIReference/API_AccessKeyLastUsed.html
"""

from __future__ import annotations

from typing import Any

from iamd.store import Tx
from iamd.store.records import Role
from iamd.store.repos.trail_usage import TrailUsage


def role_last_used(tx: Tx, role: Role) -> dict[str, Any]:
    """``RoleLastUsed``: empty when the role has not been used."""
    used = tx.repo(TrailUsage).get(role.account_id, f"role:{role.id}")
    if used is None:
        return {}
    out: dict[str, Any] = {"LastUsedDate": used.last_time}
    if used.region:
        out["Region"] = used.region
    return out


def access_key_last_used(tx: Tx, account_id: str, key_id: str) -> dict[str, Any]:
    """``AccessKeyLastUsed``: ``N/A`` service and region, no date, for a key never used."""
    used = tx.repo(TrailUsage).get(account_id, f"key:{key_id}")
    if used is None:
        return {"ServiceName": "N/A", "Region": "N/A"}
    return {
        "LastUsedDate": used.last_time,
        "ServiceName": used.service or "N/A",
        "Region": used.region or "N/A",
    }
