"""Policy generation from the audit trail: least privilege, valid, never iam:PassRole.

"IAM Access Analyzer does not identify iam:PassRole in generated policies" and the job's
states: https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-policy-generation.html
https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_GetGeneratedPolicy.html
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from iamd.audit.events import build, user_identity
from iamd.errors import AWSError
from iamd.policy import PolicyKind
from iamd.services.analyzer.errors import ValidationException
from iamd.services.analyzer.policy_generation import generate
from iamd.services.caller import Caller
from iamd.store import Store
from iamd.store.repos.audit_events import AuditEvents
from iamd.store.repos.policy_generations import PolicyGenerations
from iamd.validation import validate_policy
from support.analyzer_calls import ACCOUNT, Invoke

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)
NOW = datetime.now(UTC).replace(microsecond=0)


def session(role_id: str, name: str) -> Caller:
    return Caller(
        kind="AssumedRole",
        arn=f"arn:aws:sts::{ACCOUNT}:assumed-role/{name}/s",
        account_id=ACCOUNT,
        principal_id=f"{role_id}:s",
        name="s",
        access_key_id="ASIAEXAMPLEEXAMPLE01",
        role_id=role_id,
        role_arn=f"arn:aws:iam::{ACCOUNT}:role/{name}",
        session_name="s",
        token_issue_time=NOW.isoformat(),
    )


def record(
    store: Store,
    caller: Caller,
    operation: str,
    params: dict[str, Any],
    error: AWSError | None = None,
    ago: int = 60,
) -> None:
    event = build(
        service="iam",
        operation=operation,
        identity=user_identity(caller),
        account_id=ACCOUNT,
        region="us-east-1",
        source_ip="127.0.0.1",
        user_agent="test",
        request_id="r",
        params=params,
        error=error,
        now=NOW - timedelta(seconds=ago),
    )
    with store.write() as tx:
        tx.repo(AuditEvents).insert_many([event])


def wait(invoke: Invoke, job_id: str, **params: Any) -> dict[str, Any]:
    for _ in range(200):
        out = invoke("GetGeneratedPolicy", jobId=job_id, **params)
        if out["jobDetails"]["status"] != "IN_PROGRESS":
            return out
        time.sleep(0.02)
    raise AssertionError("the job did not finish")


@pytest.fixture
def worker(store: Store) -> tuple[str, str]:
    with store.write() as tx:
        role = tx.roles.create(ACCOUNT, "worker", "/app/", TRUST)
        target = tx.roles.create(ACCOUNT, "target", "/team/", TRUST)
    caller = session(role.id, "worker")
    record(store, caller, "ListUsers", {})
    record(store, caller, "GetRole", {"RoleName": "target"})
    record(store, caller, "PassRole", {"RoleName": "target"})
    record(
        store, caller, "DeleteRole", {"RoleName": "gone"}, error=AWSError("no", code="AccessDenied")
    )
    record(store, caller, "GetUser", {}, ago=200 * 86400)  # outside the window
    return role.arn, target.arn


def start(invoke: Invoke, principal: str, days: int = 7) -> str:
    out = invoke(
        "StartPolicyGeneration",
        policyGenerationDetails={"principalArn": principal},
        cloudTrailDetails={
            "trails": [
                {
                    "cloudTrailArn": f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/main",
                    "allRegions": True,
                }
            ],
            "accessRole": f"arn:aws:iam::{ACCOUNT}:role/trail-reader",
            "startTime": NOW - timedelta(days=days),
            "endTime": NOW + timedelta(minutes=1),
        },
    )
    job_id: str = out["jobId"]
    return job_id


def test_generated_policy_is_least_privilege_and_valid(
    store: Store, invoke: Invoke, worker: tuple[str, str]
) -> None:
    role_arn, target_arn = worker
    out = wait(invoke, start(invoke, role_arn))
    assert out["jobDetails"]["status"] == "SUCCEEDED"
    result = out["generatedPolicyResult"]
    assert result["properties"]["principalArn"] == role_arn
    assert result["properties"]["isComplete"] is True
    trail = result["properties"]["cloudTrailProperties"]["trailProperties"]
    assert trail[0]["cloudTrailArn"].endswith(":trail/main")
    [policy] = [json.loads(p["policy"]) for p in result["generatedPolicies"]]
    by_action = {a: s["Resource"] for s in policy["Statement"] for a in s["Action"]}
    assert by_action == {
        "iam:ListUsers": "*",
        "iam:GetRole": target_arn,  # with its path, from the store
        "iam:DeleteRole": "*",  # denied calls count; the role no longer exists
    }
    text = result["generatedPolicies"][0]["policy"]
    errors = [f for f in validate_policy(text, PolicyKind.IDENTITY) if f.is_error]
    assert errors == []


def test_resource_placeholders(store: Store, invoke: Invoke, worker: tuple[str, str]) -> None:
    role_arn, _ = worker
    out = wait(invoke, start(invoke, role_arn), includeResourcePlaceholders=True)
    policy = json.loads(out["generatedPolicyResult"]["generatedPolicies"][0]["policy"])
    by_action = {a: s["Resource"] for s in policy["Statement"] for a in s["Action"]}
    assert by_action["iam:DeleteRole"] == f"arn:aws:iam::{ACCOUNT}:role/${{RoleNameWithPath}}"
    assert by_action["iam:ListUsers"] == "*"  # ListUsers takes no resource type
    text = out["generatedPolicyResult"]["generatedPolicies"][0]["policy"]
    assert [f for f in validate_policy(text, PolicyKind.IDENTITY) if f.is_error] == []


def test_list_and_window_checks(store: Store, invoke: Invoke, worker: tuple[str, str]) -> None:
    role_arn, _ = worker
    job = start(invoke, role_arn)
    wait(invoke, job)
    listed = invoke("ListPolicyGenerations", principalArn=role_arn)["policyGenerations"]
    assert [(j["jobId"], j["status"]) for j in listed] == [(job, "SUCCEEDED")]
    with pytest.raises(ValidationException):
        start(invoke, role_arn, days=91)
    with pytest.raises(ValidationException):
        invoke("GetGeneratedPolicy", jobId="missing")


def test_missing_principal_fails_the_job(invoke: Invoke) -> None:
    out = wait(invoke, start(invoke, f"arn:aws:iam::{ACCOUNT}:user/nobody"))
    assert out["jobDetails"]["status"] == "FAILED"
    assert out["jobDetails"]["jobError"]["code"] == "RESOURCE_NOT_FOUND_ERROR"


def test_a_canceled_job_stays_canceled(
    store: Store, invoke: Invoke, worker: tuple[str, str]
) -> None:
    role_arn, _ = worker
    with store.write() as tx:
        tx.repo(PolicyGenerations).create(
            "job-1",
            ACCOUNT,
            role_arn,
            {"startTime": NOW.isoformat(), "endTime": NOW.isoformat(), "trails": []},
            NOW,
        )
    invoke("CancelPolicyGeneration", jobId="job-1")
    generate(store, "job-1")  # a worker that finishes late does not overwrite the cancel
    out = invoke("GetGeneratedPolicy", jobId="job-1")
    assert out["jobDetails"]["status"] == "CANCELED"
    assert "generatedPolicies" not in out["generatedPolicyResult"]
