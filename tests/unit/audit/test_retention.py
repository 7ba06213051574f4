"""Retention of the audit trail and the recorder's counters.

CloudTrail's event history keeps 90 days of management events:
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/view-cloudtrail-events.html
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from iamd.audit import events as audit
from iamd.audit import recorder as recorder_module
from iamd.audit.recorder import Recorder
from iamd.store import Store
from iamd.store.repos.audit_events import AuditEvents

ACCOUNT = "111122223333"


def event(when: datetime, account: str = ACCOUNT) -> dict[str, Any]:
    return audit.build(
        service="iam",
        operation="GetUser",
        identity={"type": "Root", "accountId": account},
        account_id=account,
        region="us-east-1",
        source_ip="192.0.2.1",
        user_agent="test",
        request_id="r",
        now=when,
    )


def stored(store: Store) -> int:
    with store.read() as tx:
        return tx.repo(AuditEvents).count()


def test_events_older_than_the_retention_period_are_pruned_in_batches(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime.now(UTC)
    with store.write() as tx:
        tx.accounts.create(ACCOUNT)
    old = [event(now - timedelta(days=91, minutes=i)) for i in range(7)]
    unowned = [event(now - timedelta(days=95), account="")]  # unknown caller: no account
    fresh = [event(now - timedelta(days=89)), event(now)]
    recorder = Recorder(store, retention_days=90)
    for item in [*old, *unowned, *fresh]:
        recorder.record(item)
    recorder.flush()
    assert recorder.metrics()["recorded"] == 10

    monkeypatch.setattr(recorder_module, "PRUNE_BATCH", 3)
    assert recorder.prune_once() == 3
    assert recorder.prune_once() == 3
    assert recorder.prune_once() == 2
    assert recorder.prune_once() == 0
    assert stored(store) == 2
    assert recorder.metrics() == {
        "recorded": 10,
        "queued": 0,
        "dropped": 0,
        "failed": 0,
        "pruned": 8,
    }


def test_zero_days_keeps_every_event(store: Store) -> None:
    recorder = Recorder(store, retention_days=0)
    recorder.record(event(datetime.now(UTC) - timedelta(days=4000)))
    recorder.flush()
    assert recorder.prune_once() == 0
    assert stored(store) == 1


def test_the_writer_thread_prunes_without_being_asked(store: Store) -> None:
    with store.write() as tx:
        tx.accounts.create(ACCOUNT)
        tx.repo(AuditEvents).insert_many([event(datetime.now(UTC) - timedelta(days=2))])
    recorder = Recorder(store, retention_days=1, interval=0.01)
    recorder.start()
    try:
        deadline = datetime.now(UTC) + timedelta(seconds=10)
        while recorder.pruned == 0 and datetime.now(UTC) < deadline:
            recorder.record(event(datetime.now(UTC)))
            recorder._wake.wait(0.05)
    finally:
        recorder.stop()
    assert recorder.pruned == 1
    assert stored(store) >= 1


def test_dropped_events_are_counted_and_logged(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    recorder = Recorder(store, max_queue=2)
    for _ in range(5):
        recorder.record(event(datetime.now(UTC)))
    assert recorder.metrics()["dropped"] == 3
    assert recorder.metrics()["queued"] == 2
    with caplog.at_level(logging.WARNING, logger="iamd"):
        recorder._warn_dropped()
        recorder._warn_dropped()  # nothing new, and too soon: one warning
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "3 audit events dropped" in warnings[0]


def test_a_queued_builder_is_written_as_its_event_and_a_faulty_one_loses_only_itself(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    """The request paths queue a function that builds the event; the writer builds it, with
    the time the request gave it, and one that raises costs that one event only."""
    with store.write() as tx:
        tx.accounts.create(ACCOUNT)
    recorder = Recorder(store, retention_days=0)
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

    def broken() -> dict[str, Any]:
        raise KeyError("missing")

    recorder.record(lambda: event(when))
    recorder.record(broken)
    recorder.record(event(when + timedelta(seconds=1)))
    with caplog.at_level(logging.ERROR, logger="iamd"):
        recorder.flush()
    assert recorder.metrics()["recorded"] == 2 and recorder.metrics()["failed"] == 1
    assert any("could not build an audit event" in r.getMessage() for r in caplog.records)
    with store.read() as tx:
        times = sorted(e.event["eventTime"] for e in tx.repo(AuditEvents).list())
    assert times == ["2026-01-02T03:04:05Z", "2026-01-02T03:04:06Z"]
