"""GenerateCredentialReport and GetCredentialReport.

"You can generate a credential report as often as once every four hours. When you request a
report, IAM first checks whether a report for the AWS account has been generated within the
past four hours. If so, the most recent report is downloaded. If the most recent report for
the account is older than four hours [...] IAM generates [...] a new report."
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html

So a report older than four hours has expired: Get answers ReportExpired and Generate builds
a new one.  The job lives in the database (``credential_reports``), so every iamd process on
a shared PostgreSQL database agrees on it; the build runs in a background thread of the
process that started it.
"""

from __future__ import annotations

import gc
import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from iamd.errors import AWSError
from iamd.services.call import Call
from iamd.services.iam.common import REGISTRY, star_target
from iamd.services.iam.credential_csv import render
from iamd.store import Store
from iamd.store.repos.credential_facts import CredentialFacts
from iamd.store.repos.credential_reports import COMPLETE, INPROGRESS, CredentialReports

log = logging.getLogger("iamd")

REUSE = timedelta(hours=4)
STALE = timedelta(minutes=15)
"""A generation still INPROGRESS after this is presumed dead (its process stopped)."""
STARTED = "STARTED"

Runner = Callable[[Callable[[], None]], None]


def in_thread(work: Callable[[], None]) -> None:
    threading.Thread(target=work, name="iamd-credential-report", daemon=True).start()


def generate(
    store: Store, account_id: str, now: datetime, run: Runner = in_thread
) -> tuple[str, str]:
    """``(State, Description)``; starts a build unless a fresh or running one exists."""
    with store.write() as tx:
        reports = tx.repo(CredentialReports)
        job = reports.get(account_id)
        generated = job.generated_at if job is not None and job.state == COMPLETE else None
        if generated is not None and now - generated < REUSE:
            return COMPLETE, "Report is available."
        if job is not None and job.state == INPROGRESS and now - job.started_at < STALE:
            return INPROGRESS, "Report generation is in progress."
        token = str(uuid.uuid4())
        if not reports.claim(account_id, token, now, job.token if job else None):
            return INPROGRESS, "Report generation is in progress."
    description = (
        "No report exists. Starting a new report generation task"
        if generated is None
        else "Report is older than four hours. Starting a new report generation task"
    )
    run(lambda: build(store, account_id, token, now))
    return STARTED, description


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while the report is built.

    A report of 100,000 users makes about a million short-lived, acyclic objects (rows,
    cells); with the collector on, its full passes over a large heap took more time than the
    report itself.  Reference counting still frees everything as it goes.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def build(store: Store, account_id: str, token: str, generated_at: datetime) -> None:
    try:
        with collector_paused():
            with store.read() as tx:
                facts = tx.repo(CredentialFacts).collect(account_id)
            content = render(facts)
            del facts
        with store.write() as tx:
            tx.repo(CredentialReports).complete(account_id, token, content, generated_at)
    except Exception:
        log.exception("could not build the credential report of %s", account_id)
        with store.write() as tx:
            tx.repo(CredentialReports).abandon(account_id, token)


def fetch(store: Store, account_id: str, now: datetime) -> tuple[str, datetime]:
    """The CSV and its GeneratedTime, or AWS's error for the job's state."""
    with store.read() as tx:
        reports = tx.repo(CredentialReports)
        job = reports.get(account_id)
        if job is None:
            raise _error(
                "ReportNotPresent",
                "Credential report does not exist. To generate a credential report, use "
                "GenerateCredentialReport.",
                410,
            )
        if job.state != COMPLETE or job.generated_at is None:
            raise _error("ReportInProgress", "Credential report is still being generated.", 404)
        if now - job.generated_at >= REUSE:
            raise _error(
                "ReportExpired",
                "The most recent credential report has expired. To generate a new credential "
                "report, use GenerateCredentialReport.",
                410,
            )
        content = reports.content(account_id, job.token)
    if content is None:  # replaced by a new generation between the two reads
        raise _error("ReportInProgress", "Credential report is still being generated.", 404)
    return content, job.generated_at


def _error(code: str, message: str, status: int) -> AWSError:
    return AWSError(message, code=code, status=status, sender=True)


def _now(call: Call) -> datetime:
    return call.now or datetime.now(UTC)


@REGISTRY.operation("GenerateCredentialReport", target=star_target)
def generate_credential_report(call: Call) -> dict[str, Any]:
    state, description = generate(call.store, call.account_id, _now(call))
    return {"State": state, "Description": description}


@REGISTRY.operation("GetCredentialReport", target=star_target)
def get_credential_report(call: Call) -> dict[str, Any]:
    content, generated = fetch(call.store, call.account_id, _now(call))
    return {
        "Content": content.encode(),
        "ReportFormat": "text/csv",
        "GeneratedTime": generated.replace(microsecond=0),
    }
