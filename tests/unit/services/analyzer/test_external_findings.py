"""External-access findings on roles' trust policies: lazily analysed, stable, resolved when
the access goes, archived by rules.

How findings move: https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-work-with-findings.html
("If the access in the first finding is removed, that finding is updated to a status of
Resolved"); archive rules: https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-archive-rules.html
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from iamd.services.analyzer.errors import ResourceNotFoundException, ValidationException
from iamd.store import Store
from support.analyzer_calls import ACCOUNT, Invoke

OTHER = "444455556666"


def trust(principal: Any, condition: dict[str, Any] | None = None) -> str:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": principal,
        "Action": "sts:AssumeRole",
    }
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def make_role(store: Store, name: str, document: str) -> str:
    with store.write() as tx:
        role = tx.roles.create(ACCOUNT, name, "/", document)
        tx.changes.record("role", role.id)
    return role.arn


def set_trust(store: Store, name: str, document: str) -> None:
    with store.write() as tx:
        role = tx.roles.get(ACCOUNT, name)
        assert role is not None
        tx.roles.update(role.id, assume_role_policy=document)


@pytest.fixture
def analyzer(invoke: Invoke) -> str:
    arn: str = invoke("CreateAnalyzer", analyzerName="ext", type="ACCOUNT")["arn"]
    return arn


def test_cross_account_trust_is_an_active_finding(
    store: Store, invoke: Invoke, analyzer: str
) -> None:
    role = make_role(store, "shared", trust({"AWS": f"arn:aws:iam::{OTHER}:root"}))
    make_role(store, "local", trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))
    make_role(store, "service", trust({"Service": "ec2.amazonaws.com"}))
    findings = invoke("ListFindings", analyzerArn=analyzer)["findings"]
    assert len(findings) == 1
    f = findings[0]
    assert f["resource"] == role
    assert f["resourceType"] == "AWS::IAM::Role"
    assert f["principal"] == {"AWS": OTHER}
    assert f["action"] == ["sts:AssumeRole"]
    assert f["isPublic"] is False
    assert f["status"] == "ACTIVE"
    assert f["resourceOwnerAccount"] == ACCOUNT
    assert f["condition"] == {}
    assert f["resourceControlPolicyRestriction"] == "NOT_APPLICABLE"  # no Organizations
    v2 = invoke("GetFindingV2", analyzerArn=analyzer, id=f["id"])
    assert v2["findingType"] == "ExternalAccess"
    assert v2["findingDetails"] == [
        {
            "externalAccessDetails": {
                "action": ["sts:AssumeRole"],
                "condition": {},
                "isPublic": False,
                "principal": {"AWS": OTHER},
                "resourceControlPolicyRestriction": "NOT_APPLICABLE",
            }
        }
    ]


def test_changing_the_trust_policy_resolves_the_finding(
    store: Store, invoke: Invoke, analyzer: str
) -> None:
    make_role(store, "shared", trust({"AWS": f"arn:aws:iam::{OTHER}:root"}))
    [before] = invoke("ListFindings", analyzerArn=analyzer)["findings"]
    set_trust(store, "shared", trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))
    [after] = invoke("ListFindings", analyzerArn=analyzer)["findings"]
    assert after["id"] == before["id"]
    assert after["status"] == "RESOLVED"
    active = invoke("ListFindings", analyzerArn=analyzer, filter={"status": {"eq": ["ACTIVE"]}})
    assert active["findings"] == []
    # Granting the same access again reopens the same finding.
    set_trust(store, "shared", trust({"AWS": f"arn:aws:iam::{OTHER}:root"}))
    [again] = invoke("ListFindings", analyzerArn=analyzer)["findings"]
    assert (again["id"], again["status"]) == (before["id"], "ACTIVE")


def test_a_changed_condition_is_a_new_finding_and_the_old_one_resolves(
    store: Store, invoke: Invoke, analyzer: str
) -> None:
    """ "If the updated policy shares a resource that is already identified in a finding, but
    with different permissions or conditions, a new finding is generated"."""
    make_role(store, "shared", trust({"AWS": OTHER}))
    [first] = invoke("ListFindings", analyzerArn=analyzer)["findings"]
    set_trust(store, "shared", trust({"AWS": OTHER}, {"StringEquals": {"sts:ExternalId": "x"}}))
    found = {f["id"]: f for f in invoke("ListFindings", analyzerArn=analyzer)["findings"]}
    assert found[first["id"]]["status"] == "RESOLVED"
    [new] = [f for f in found.values() if f["id"] != first["id"]]
    assert new["status"] == "ACTIVE"
    assert new["condition"] == {"sts:ExternalId": "x"}


def test_deleting_the_role_resolves_its_findings(
    store: Store, invoke: Invoke, analyzer: str
) -> None:
    make_role(store, "shared", trust({"AWS": OTHER}))
    invoke("ListFindings", analyzerArn=analyzer)
    with store.write() as tx:
        role = tx.roles.get(ACCOUNT, "shared")
        assert role is not None
        tx.roles.delete(role.id)
    [f] = invoke("ListFindings", analyzerArn=analyzer)["findings"]
    assert f["status"] == "RESOLVED"
    assert invoke("ListAnalyzedResources", analyzerArn=analyzer)["analyzedResources"] == []


def test_public_trust_policy_is_public(store: Store, invoke: Invoke, analyzer: str) -> None:
    make_role(store, "open", trust("*"))
    [f] = invoke("ListFindings", analyzerArn=analyzer)["findings"]
    assert f["isPublic"] is True
    assert f["principal"] == {"AWS": "*"}
    stats = invoke("GetFindingsStatistics", analyzerArn=analyzer)["findingsStatistics"][0]
    external = stats["externalAccessFindingsStatistics"]
    assert external["resourceTypeStatistics"]["AWS::IAM::Role"]["totalActivePublic"] == 1
    assert external["totalActiveFindings"] == 1


def test_archive_rule_archives_new_matching_findings_only(
    store: Store, invoke: Invoke, analyzer: str
) -> None:
    make_role(store, "early", trust({"AWS": OTHER}))
    invoke("ListFindings", analyzerArn=analyzer)  # analysed before the rule exists
    invoke(
        "CreateArchiveRule",
        analyzerName="ext",
        ruleName="trusted-partner",
        filter={"principal.AWS": {"eq": [OTHER]}},
    )
    make_role(store, "late", trust({"AWS": OTHER}))
    make_role(store, "other", trust({"AWS": "777788889999"}))
    by_role = {
        f["resource"].rsplit("/", 1)[1]: f["status"]
        for f in invoke("ListFindings", analyzerArn=analyzer)["findings"]
    }
    assert by_role == {"early": "ACTIVE", "late": "ARCHIVED", "other": "ACTIVE"}
    invoke("ApplyArchiveRule", analyzerArn=analyzer, ruleName="trusted-partner")
    by_role = {
        f["resource"].rsplit("/", 1)[1]: f["status"]
        for f in invoke("ListFindings", analyzerArn=analyzer)["findings"]
    }
    assert by_role == {"early": "ARCHIVED", "late": "ARCHIVED", "other": "ACTIVE"}


def test_update_findings_archives_and_reactivates(
    store: Store, invoke: Invoke, analyzer: str
) -> None:
    arn = make_role(store, "a", trust({"AWS": OTHER}))
    [f] = invoke("ListFindings", analyzerArn=analyzer)["findings"]
    invoke("UpdateFindings", analyzerArn=analyzer, status="ARCHIVED", ids=[f["id"]])
    assert invoke("GetFinding", analyzerArn=analyzer, id=f["id"])["finding"]["status"] == (
        "ARCHIVED"
    )
    invoke("UpdateFindings", analyzerArn=analyzer, status="ACTIVE", resourceArn=arn)
    assert invoke("GetFinding", analyzerArn=analyzer, id=f["id"])["finding"]["status"] == "ACTIVE"
    with pytest.raises(ResourceNotFoundException):
        invoke("UpdateFindings", analyzerArn=analyzer, status="ACTIVE", ids=["nope"])
    with pytest.raises(ValidationException):
        invoke("UpdateFindings", analyzerArn=analyzer, status="ACTIVE")


def test_filters_sort_and_pages(store: Store, invoke: Invoke, analyzer: str) -> None:
    make_role(store, "a", trust({"AWS": OTHER}, {"StringEquals": {"sts:ExternalId": "x"}}))
    make_role(store, "b", trust({"AWS": "777788889999"}))
    make_role(store, "c", trust("*"))

    def names(**params: Any) -> list[str]:
        out = invoke("ListFindings", analyzerArn=analyzer, **params)["findings"]
        return [f["resource"].rsplit("/", 1)[1] for f in out]

    assert names(filter={"isPublic": {"eq": ["true"]}}) == ["c"]
    assert sorted(names(filter={"principal.AWS": {"neq": ["*"]}})) == ["a", "b"]
    assert names(filter={"condition.sts:ExternalId": {"exists": True}}) == ["a"]
    assert names(filter={"resource": {"contains": ["role/b"]}}) == ["b"]
    asc = names(sort={"attributeName": "resource", "orderBy": "ASC"})
    assert asc == ["a", "b", "c"]
    assert names(sort={"attributeName": "resource", "orderBy": "DESC"}) == ["c", "b", "a"]
    page = invoke(
        "ListFindingsV2", analyzerArn=analyzer, maxResults=2, sort={"attributeName": "resource"}
    )
    rest = invoke(
        "ListFindingsV2",
        analyzerArn=analyzer,
        maxResults=2,
        sort={"attributeName": "resource"},
        nextToken=page["nextToken"],
    )
    assert [f["resource"][-1] for f in page["findings"] + rest["findings"]] == ["a", "b", "c"]
    with pytest.raises(ValidationException):
        names(filter={"bogus": {"eq": ["x"]}})


def test_analyzed_resources_and_rescan(store: Store, invoke: Invoke, analyzer: str) -> None:
    arn = make_role(store, "a", trust({"AWS": OTHER}))
    make_role(store, "quiet", trust({"Service": "lambda.amazonaws.com"}))
    listed = invoke("ListAnalyzedResources", analyzerArn=analyzer)["analyzedResources"]
    assert {r["resourceArn"].rsplit("/", 1)[1] for r in listed} == {"a", "quiet"}
    got = invoke("GetAnalyzedResource", analyzerArn=analyzer, resourceArn=arn)["resource"]
    assert got["isPublic"] is False
    assert got["actions"] == ["sts:AssumeRole"]
    assert got["status"] == "ACTIVE"
    invoke("StartResourceScan", analyzerArn=analyzer, resourceArn=arn)
    with pytest.raises(ResourceNotFoundException):
        invoke(
            "StartResourceScan",
            analyzerArn=analyzer,
            resourceArn=f"arn:aws:iam::{ACCOUNT}:role/missing",
        )


def test_unknown_analyzer_is_not_found(invoke: Invoke) -> None:
    with pytest.raises(ResourceNotFoundException):
        invoke(
            "ListFindings",
            analyzerArn=f"arn:aws:access-analyzer:us-east-1:{ACCOUNT}:analyzer/none",
        )
