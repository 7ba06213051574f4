"""Bring an analyzer's findings up to date before they are read.

The check runs in a read transaction; only when something changed is the work redone in a
write transaction (from fresh state, so two callers racing write the same result).
"""

from __future__ import annotations

from datetime import datetime

from iamd.services.analyzer.external import EXTERNAL_TYPES, apply_external, external_plan
from iamd.services.analyzer.lifecycle import Plan, plan
from iamd.services.analyzer.unused import observe_unused
from iamd.store import Store, Tx
from iamd.store.repos.analyzer_findings import AnalyzerFindings
from iamd.store.repos.analyzers import Analyzer, Analyzers

UNUSED_TYPES = ("ACCOUNT_UNUSED_ACCESS", "ORGANIZATION_UNUSED_ACCESS")


def _unused_plan(tx: Tx, analyzer: Analyzer, now: datetime) -> Plan:
    observed = observe_unused(tx, analyzer, now)
    stored = tx.repo(AnalyzerFindings).all(analyzer.arn)
    return plan(analyzer.arn, observed, stored, tx.repo(Analyzers).rules(analyzer.arn), now)


def refresh(
    store: Store, analyzer: Analyzer, now: datetime, force: frozenset[str] = frozenset()
) -> None:
    if analyzer.type in EXTERNAL_TYPES:
        with store.read() as tx:
            pending = bool(external_plan(tx, analyzer, now, force))
        if pending:
            with store.write() as tx:
                apply_external(tx, analyzer, external_plan(tx, analyzer, now, force), now)
        return
    if analyzer.type in UNUSED_TYPES:
        with store.read() as tx:
            pending = bool(_unused_plan(tx, analyzer, now))
        if pending:
            with store.write() as tx:
                tx.repo(AnalyzerFindings).save(_unused_plan(tx, analyzer, now).findings)
