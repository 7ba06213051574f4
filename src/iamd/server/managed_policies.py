"""Puts AWS managed policies into the store when the installed dataset is newer.

Runs at start-up, once per dataset: a second process, or a restart, finds the marker and
skips the load.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from datetime import datetime

from iamd.catalog import managed_policies
from iamd.store import Store
from iamd.store.repos.meta import Meta

log = logging.getLogger("iamd")
MARKER = "aws_managed_policies"


def policy_id(arn: str) -> str:
    """A stable AWS-style id: the same ARN gets the same id in every process and install."""
    digest = base64.b32encode(hashlib.sha256(arn.encode()).digest()).decode()
    return "ANPA" + digest[:17]


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def load_into(store: Store) -> int:
    """Load the installed dataset if the store lacks it; returns how many policies it has."""
    loaded = managed_policies.load()
    if loaded is None:
        log.warning(
            "AWS managed policies are not installed (run `make` or "
            "`python -m iamd.catalog.managed_policies fetch`); none will be available"
        )
        return 0
    source, policies = loaded
    with store.read() as tx:
        if tx.repo(Meta).get(MARKER) == source:
            return len(policies)
    rows = [
        {
            "id": policy_id(p.arn),
            "name": p.name,
            "path": p.path,
            "arn": p.arn,
            "default_version_id": p.default_version_id,
            "document": p.document,
            "create_date": _when(p.create_date),
            "update_date": _when(p.update_date),
        }
        for p in policies
    ]
    with store.write() as tx:
        if tx.repo(Meta).get(MARKER) == source:  # another process won the race
            return len(policies)
        tx.policies.replace_aws_managed(rows)
        tx.repo(Meta).set(MARKER, source)
        tx.changes.record("policy", "aws")
    log.info("loaded %d AWS managed policies from %s", len(rows), source)
    return len(rows)
