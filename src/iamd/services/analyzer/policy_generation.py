"""Policy generation jobs: StartPolicyGeneration, GetGeneratedPolicy, ListPolicyGenerations,
CancelPolicyGeneration.

iamd reads its own audit trail, so the request's ``trails`` and ``accessRole`` are recorded and
echoed (``cloudTrailProperties``) but not fetched.  A job starts IN_PROGRESS and runs in a
background thread of the process that accepted it; a job found still IN_PROGRESS a minute
later (its process ended) is finished by whoever reads it.  Quotas are AWS's: one generation
at a time, 50 a day, a window of at most 90 days.
https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_StartPolicyGeneration.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-quotas.html
"""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from iamd.services.analyzer.common import REGISTRY, now, paginate, star_target
from iamd.services.analyzer.errors import (
    ServiceQuotaExceededException,
    ValidationException,
)
from iamd.services.analyzer.generation import collect, render
from iamd.services.call import Call
from iamd.store import Store
from iamd.store.repos.policy_generations import PolicyGeneration, PolicyGenerations

log = logging.getLogger("iamd")

MAX_WINDOW = timedelta(days=90)
DAILY = 50
STALE = timedelta(seconds=60)
JOB = "AWS::AccessAnalyzer::PolicyGeneration"


def _timestamp(value: Any, name: str) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise ValidationException(f"Invalid timestamp for {name}.", field=name)


def _window(call: Call, when: datetime) -> tuple[datetime, datetime, list[dict[str, Any]]]:
    trail = call.param("cloudTrailDetails")
    if not trail:
        raise ValidationException(
            "cloudTrailDetails is required: it gives the window of activity to read.",
            field="cloudTrailDetails",
        )
    start = _timestamp(trail.get("startTime"), "cloudTrailDetails.startTime")
    end = (
        _timestamp(trail["endTime"], "cloudTrailDetails.endTime")
        if trail.get("endTime") is not None
        else when
    )
    if start >= end:
        raise ValidationException(
            "startTime must be before endTime.", field="cloudTrailDetails.startTime"
        )
    if end - start > MAX_WINDOW:
        raise ValidationException(
            "The CloudTrail time range cannot exceed 90 days.",
            field="cloudTrailDetails.startTime",
        )
    trails = [
        {k: v for k, v in t.items() if k in ("cloudTrailArn", "regions", "allRegions")}
        for t in trail.get("trails") or []
    ]
    return start, end, trails


def generate(store: Store, job_id: str) -> None:
    """Run one job to its end (unless it was canceled meanwhile)."""
    with store.read() as tx:
        job = tx.repo(PolicyGenerations).get(job_id)
        if job is None or job.status != "IN_PROGRESS":
            return
        account = job.account_id
        principal = job.principal_arn
        name = principal.split(":", 5)[5]
        kind, _, rest = name.partition("/")
        short = rest.rsplit("/", 1)[-1]
        exists = (tx.roles.get if kind == "role" else tx.users.get)(account, short) is not None
        result = None
        if exists:
            start = datetime.fromisoformat(job.request["startTime"])
            end = datetime.fromisoformat(job.request["endTime"])
            result = collect(tx, account, principal, start, end)
    when = datetime.now(UTC).replace(microsecond=0)
    with store.write() as tx:
        repo = tx.repo(PolicyGenerations)
        if result is None:
            error = {
                "code": "RESOURCE_NOT_FOUND_ERROR",
                "message": f"The principal {principal} was not found.",
            }
            repo.finish(job_id, "FAILED", when, error=error)
        else:
            repo.finish(job_id, "SUCCEEDED", when, result=result)


def _run_in_background(store: Store, job_id: str) -> None:
    def work() -> None:
        try:
            generate(store, job_id)
        except Exception:  # a failed job says so; the thread must not die silently
            log.exception("policy generation %s failed", job_id)
            try:
                with store.write() as tx:
                    tx.repo(PolicyGenerations).finish(
                        job_id,
                        "FAILED",
                        datetime.now(UTC).replace(microsecond=0),
                        error={"code": "SERVICE_ERROR", "message": "Policy generation failed."},
                    )
            except Exception:
                log.exception("could not record the failure of policy generation %s", job_id)

    threading.Thread(target=work, name=f"policy-generation-{job_id}", daemon=True).start()


@REGISTRY.operation("StartPolicyGeneration", target=star_target)
def start_policy_generation(call: Call) -> dict[str, Any]:
    principal = call.params["policyGenerationDetails"]["principalArn"]
    if principal.split(":")[4:5] != [call.account_id]:
        raise ValidationException(
            "The principal must be in the caller's account.",
            field="policyGenerationDetails.principalArn",
        )
    when = now(call)
    start, end, trails = _window(call, when)
    job_id = str(uuid.uuid4())
    with call.store.write() as tx:
        repo = tx.repo(PolicyGenerations)
        if repo.running(call.account_id):
            raise ServiceQuotaExceededException(
                "Only one policy generation can run at a time.",
                resource_id=principal,
                resource_type=JOB,
            )
        if repo.started_since(call.account_id, when - timedelta(days=1)) >= DAILY:
            raise ServiceQuotaExceededException(
                f"You can start at most {DAILY} policy generations a day.",
                resource_id=principal,
                resource_type=JOB,
            )
        request = {"startTime": start.isoformat(), "endTime": end.isoformat(), "trails": trails}
        repo.create(job_id, call.account_id, principal, request, when)
    _run_in_background(call.store, job_id)
    return {"jobId": job_id}


def _job_or_404(call: Call) -> PolicyGeneration:
    with call.store.read() as tx:
        job = tx.repo(PolicyGenerations).get(call.params["jobId"])
    if job is None or job.account_id != call.account_id:
        raise ValidationException(f"Job {call.params['jobId']} not found.", field="jobId")
    return job


def _job_details(job: PolicyGeneration) -> dict[str, Any]:
    out: dict[str, Any] = {"jobId": job.job_id, "status": job.status, "startedOn": job.started_on}
    if job.completed_on is not None:
        out["completedOn"] = job.completed_on
    if job.error is not None:
        out["jobError"] = job.error
    return out


@REGISTRY.operation("GetGeneratedPolicy", target=star_target)
def get_generated_policy(call: Call) -> dict[str, Any]:
    job = _job_or_404(call)
    if job.status == "IN_PROGRESS" and now(call) - job.started_on > STALE:
        generate(call.store, job.job_id)  # its worker is gone: finish it here
        job = _job_or_404(call)
    properties: dict[str, Any] = {"principalArn": job.principal_arn}
    request = job.request
    properties["cloudTrailProperties"] = {
        "trailProperties": request.get("trails", []),
        "startTime": datetime.fromisoformat(request["startTime"]),
        "endTime": datetime.fromisoformat(request["endTime"]),
    }
    result: dict[str, Any] = {"properties": properties}
    if job.status == "SUCCEEDED" and job.result is not None:
        properties["isComplete"] = bool(job.result.get("isComplete", True))
        documents = render(
            job.result,
            job.account_id,
            placeholders=bool(call.param("includeResourcePlaceholders")),
        )
        result["generatedPolicies"] = [{"policy": d} for d in documents]
    return {"jobDetails": _job_details(job), "generatedPolicyResult": result}


@REGISTRY.operation("ListPolicyGenerations", target=star_target)
def list_policy_generations(call: Call) -> dict[str, Any]:
    with call.store.read() as tx:
        jobs = tx.repo(PolicyGenerations).all(call.account_id, call.param("principalArn"))
    page, more = paginate(call, jobs, key=lambda j: f"{j.started_on.isoformat()}|{j.job_id}")
    out = []
    for job in page:
        entry: dict[str, Any] = {
            "jobId": job.job_id,
            "principalArn": job.principal_arn,
            "status": job.status,
            "startedOn": job.started_on,
        }
        if job.completed_on is not None:
            entry["completedOn"] = job.completed_on
        out.append(entry)
    return {"policyGenerations": out, **more}


@REGISTRY.operation("CancelPolicyGeneration", target=star_target)
def cancel_policy_generation(call: Call) -> dict[str, Any]:
    job = _job_or_404(call)
    if job.status == "IN_PROGRESS":
        with call.store.write() as tx:
            tx.repo(PolicyGenerations).finish(job.job_id, "CANCELED", now(call))
    return {}
