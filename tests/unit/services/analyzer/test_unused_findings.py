"""Unused-access findings from the audit trail, on a controlled clock.

"A new finding is generated ... if a role is inactive for the specified number of days" and
"an unused permission, unused user password, or unused user access key surpasses the specified
number of days": https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-work-with-findings.html
Finding details: https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_FindingDetails.html
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from iamd.audit.events import build, user_identity
from iamd.services.analyzer.errors import ResourceNotFoundException, ValidationException
from iamd.services.caller import Caller
from iamd.store import Store
from iamd.store.records import Tag
from iamd.store.repos.audit_events import AuditEvents
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
POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["iam:ListUsers", "iam:GetUser", "s3:GetObject"],
                "Resource": "*",
            }
        ],
    }
)
T0 = datetime.now(UTC).replace(microsecond=0)


def days(n: int) -> datetime:
    return T0 + timedelta(days=n)


@pytest.fixture
def analyzer(invoke: Invoke) -> str:
    arn: str = invoke(
        "CreateAnalyzer",
        analyzerName="unused",
        type="ACCOUNT_UNUSED_ACCESS",
        configuration={"unusedAccess": {"unusedAccessAge": 90}},
    )["arn"]
    return arn


def make_role(store: Store, name: str) -> tuple[str, str]:
    with store.write() as tx:
        role = tx.roles.create(ACCOUNT, name, "/", TRUST)
        tx.policies.put_inline("role", role.id, "p", POLICY)
    return role.id, role.arn


def session_call(store: Store, role_id: str, name: str, operation: str, when: datetime) -> None:
    caller = Caller(
        kind="AssumedRole",
        arn=f"arn:aws:sts::{ACCOUNT}:assumed-role/{name}/s",
        account_id=ACCOUNT,
        principal_id=f"{role_id}:s",
        name="s",
        access_key_id="ASIAEXAMPLEEXAMPLE01",
        role_id=role_id,
        role_arn=f"arn:aws:iam::{ACCOUNT}:role/{name}",
        session_name="s",
        token_issue_time=when.isoformat(),
    )
    event = build(
        service="iam",
        operation=operation,
        identity=user_identity(caller),
        account_id=ACCOUNT,
        region="us-east-1",
        source_ip="127.0.0.1",
        user_agent="test",
        request_id="r",
        now=when,
    )
    with store.write() as tx:
        tx.repo(AuditEvents).insert_many([event])


def findings(invoke: Invoke, analyzer: str, at: datetime) -> list[dict[str, Any]]:
    out = invoke("ListFindingsV2", at=at, analyzerArn=analyzer)["findings"]
    return [{**f, **invoke("GetFindingV2", at=at, analyzerArn=analyzer, id=f["id"])} for f in out]


def test_a_role_never_used_is_unused_once_older_than_the_age(
    store: Store, invoke: Invoke, analyzer: str
) -> None:
    _, arn = make_role(store, "idle")
    assert findings(invoke, analyzer, days(30)) == []  # too young to be unused
    [f] = findings(invoke, analyzer, days(91))
    assert f["findingType"] == "UnusedIAMRole"
    assert f["resource"] == arn
    assert f["resourceType"] == "AWS::IAM::Role"
    assert f["status"] == "ACTIVE"
    assert f["findingDetails"] == [{"unusedIamRoleDetails": {}}]


def test_a_role_used_recently_has_unused_permission_findings_instead(
    store: Store, invoke: Invoke, analyzer: str
) -> None:
    role_id, _ = make_role(store, "busy")
    session_call(store, role_id, "busy", "ListUsers", days(60))
    found = findings(invoke, analyzer, days(100))
    assert {f["findingType"] for f in found} == {"UnusedPermission"}
    details = {
        d["unusedPermissionDetails"]["serviceNamespace"]: d["unusedPermissionDetails"]
        for f in found
        for d in f["findingDetails"]
    }
    # s3 was never used: a service-level finding.  iam was used, but not iam:GetUser.
    assert details["s3"] == {"serviceNamespace": "s3"}
    assert details["iam"]["lastAccessed"] == days(60)
    assert details["iam"]["actions"] == [{"action": "iam:GetUser"}]


def test_an_unused_role_finding_resolves_when_the_role_is_used(
    store: Store, invoke: Invoke, analyzer: str
) -> None:
    role_id, _ = make_role(store, "idle")
    [f] = findings(invoke, analyzer, days(91))
    session_call(store, role_id, "idle", "GetUser", days(92))
    after = {x["id"]: x for x in findings(invoke, analyzer, days(93))}
    assert after[f["id"]]["status"] == "RESOLVED"
    stats = invoke("GetFindingsStatistics", at=days(93), analyzerArn=analyzer)
    unused = stats["findingsStatistics"][0]["unusedAccessFindingsStatistics"]
    assert unused["totalResolvedFindings"] == 1


def test_unused_access_keys_and_passwords(store: Store, invoke: Invoke, analyzer: str) -> None:
    with store.write() as tx:
        user = tx.users.create(ACCOUNT, "alice")
        key = tx.access_keys.create(ACCOUNT, user.id)
    found = findings(invoke, analyzer, days(91))
    [key_finding] = [f for f in found if f["findingType"] == "UnusedIAMUserAccessKey"]
    assert key_finding["resource"] == user.arn
    assert key_finding["resourceType"] == "AWS::IAM::User"
    assert key_finding["findingDetails"] == [
        {"unusedIamUserAccessKeyDetails": {"accessKeyId": key.id}}
    ]


def test_archive_rule_on_finding_type(store: Store, invoke: Invoke, analyzer: str) -> None:
    invoke(
        "CreateArchiveRule",
        analyzerName="unused",
        ruleName="roles-ok",
        filter={"findingType": {"eq": ["UnusedIAMRole"]}},
    )
    make_role(store, "idle")
    [f] = findings(invoke, analyzer, days(91))
    assert f["status"] == "ARCHIVED"


def test_analysis_rule_excludes_tagged_principals(store: Store, invoke: Invoke) -> None:
    """ "If the specified tag value is 0 characters, the rule is applied to all principals with
    the specified tag key": https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_AnalysisRuleCriteria.html"""
    arn = invoke(
        "CreateAnalyzer",
        analyzerName="unused",
        type="ACCOUNT_UNUSED_ACCESS",
        configuration={
            "unusedAccess": {"analysisRule": {"exclusions": [{"resourceTags": [{"keep": ""}]}]}}
        },
    )["arn"]
    kept_id, _ = make_role(store, "kept")
    _, reported = make_role(store, "reported")
    with store.write() as tx:
        tx.tags.put("role", kept_id, [Tag("keep", "yes")])
    assert [f["resource"] for f in findings(invoke, arn, days(91))] == [reported]
    with pytest.raises(ValidationException):
        invoke(
            "UpdateAnalyzer",
            analyzerName="unused",
            configuration={
                "unusedAccess": {"analysisRule": {"exclusions": [{"accountIds": [ACCOUNT]}]}}
            },
        )


def test_recommendation_removes_the_unused_access(
    store: Store, invoke: Invoke, analyzer: str
) -> None:
    """DETACH_POLICY the policy, CREATE_POLICY one without the unused access:
    https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_UnusedPermissionsRecommendedStep.html"""
    role_id, _ = make_role(store, "busy")
    session_call(store, role_id, "busy", "ListUsers", days(60))
    found = findings(invoke, analyzer, days(100))
    by_service = {
        f["findingDetails"][0]["unusedPermissionDetails"]["serviceNamespace"]: f["id"]
        for f in found
    }
    with pytest.raises(ResourceNotFoundException):
        invoke("GetFindingRecommendation", at=days(100), analyzerArn=analyzer, id=by_service["s3"])
    invoke("GenerateFindingRecommendation", at=days(100), analyzerArn=analyzer, id=by_service["s3"])
    rec = invoke(
        "GetFindingRecommendation", at=days(100), analyzerArn=analyzer, id=by_service["s3"]
    )
    assert rec["status"] == "SUCCEEDED"
    assert rec["recommendationType"] == "UnusedPermissionRecommendation"
    steps = [s["unusedPermissionsRecommendedStep"] for s in rec["recommendedSteps"]]
    assert [(s["recommendedAction"], s["existingPolicyId"]) for s in steps] == [
        ("DETACH_POLICY", "p"),
        ("CREATE_POLICY", "p"),
    ]
    refined = json.loads(steps[1]["recommendedPolicy"])
    assert refined["Statement"][0]["Action"] == ["iam:ListUsers", "iam:GetUser"]
    # iam:GetUser is unused too: its recommendation keeps only iam:ListUsers.
    invoke(
        "GenerateFindingRecommendation", at=days(100), analyzerArn=analyzer, id=by_service["iam"]
    )
    rec = invoke(
        "GetFindingRecommendation", at=days(100), analyzerArn=analyzer, id=by_service["iam"]
    )
    create = rec["recommendedSteps"][1]["unusedPermissionsRecommendedStep"]
    assert json.loads(create["recommendedPolicy"])["Statement"][0]["Action"] == [
        "iam:ListUsers",
        "s3:GetObject",
    ]
