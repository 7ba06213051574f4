"""Fold the audit trail written before ``trail_usage`` existed, once per database.

From then on every batch of events is folded as it is written (``AuditEvents.insert_many``);
folding is idempotent (a row's time only moves forward), so processes starting together on
one PostgreSQL database may both do it.
"""

from __future__ import annotations

import logging

from iamd.store import Store
from iamd.store.repos.meta import Meta
from iamd.store.repos.trail_usage import TrailUsage

log = logging.getLogger("iamd")
MARKER = "trail_usage_folded"


def fold_existing_trail(store: Store) -> None:
    with store.read() as tx:
        if tx.repo(Meta).get(MARKER):
            return
    try:
        with store.write() as tx:
            count = tx.repo(TrailUsage).rebuild()
            tx.repo(Meta).set(MARKER, "1")
    except Exception:  # another process folded it at the same moment; last uses still work
        log.exception("could not fold the earlier audit trail into trail_usage")
        return
    if count:
        log.info("folded %d earlier audit events into trail_usage", count)
