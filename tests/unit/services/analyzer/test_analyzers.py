"""Analyzers and archive rules through the handlers: shapes, quotas and AWS's errors."""

from __future__ import annotations

import pytest

from iamd.services.analyzer.errors import (
    ConflictException,
    ResourceNotFoundException,
    ServiceQuotaExceededException,
    ValidationException,
)
from support.analyzer_calls import ACCOUNT, REGION, Invoke

ARN = f"arn:aws:access-analyzer:{REGION}:{ACCOUNT}:analyzer/"


def test_create_get_list_delete_an_account_analyzer(invoke: Invoke) -> None:
    """The ARN format and the AnalyzerSummary members of
    https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_AnalyzerSummary.html"""
    out = invoke("CreateAnalyzer", analyzerName="ext", type="ACCOUNT", tags={"team": "sec"})
    assert out == {"arn": ARN + "ext"}
    got = invoke("GetAnalyzer", analyzerName="ext")["analyzer"]
    assert got["arn"] == ARN + "ext"
    assert got["type"] == "ACCOUNT"
    assert got["status"] == "ACTIVE"
    assert got["tags"] == {"team": "sec"}
    assert "configuration" not in got
    listed = invoke("ListAnalyzers")["analyzers"]
    assert [a["name"] for a in listed] == ["ext"]
    invoke("DeleteAnalyzer", analyzerName="ext")
    with pytest.raises(ResourceNotFoundException) as caught:
        invoke("GetAnalyzer", analyzerName="ext")
    assert caught.value.status == 404
    assert caught.value.fields["resourceId"] == "ext"


def test_unused_access_analyzer_defaults_to_90_days_and_checks_the_range(invoke: Invoke) -> None:
    """unusedAccessAge is 1-365 days, 90 by default:
    https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_UnusedAccessConfiguration.html"""
    invoke("CreateAnalyzer", analyzerName="unused", type="ACCOUNT_UNUSED_ACCESS")
    got = invoke("GetAnalyzer", analyzerName="unused")["analyzer"]
    assert got["configuration"] == {"unusedAccess": {"unusedAccessAge": 90}}
    for bad in (0, 366):
        with pytest.raises(ValidationException) as caught:
            invoke(
                "UpdateAnalyzer",
                analyzerName="unused",
                configuration={"unusedAccess": {"unusedAccessAge": bad}},
            )
        assert caught.value.fields["reason"] == "fieldValidationFailed"
    out = invoke(
        "UpdateAnalyzer",
        analyzerName="unused",
        configuration={"unusedAccess": {"unusedAccessAge": 30}},
    )
    assert out == {"configuration": {"unusedAccess": {"unusedAccessAge": 30}}}


def test_one_account_analyzer_per_type_and_unique_names(invoke: Invoke) -> None:
    """ "Maximum account-level analyzers per analyzer type per AWS account per Region: 1"
    https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-quotas.html"""
    invoke("CreateAnalyzer", analyzerName="a", type="ACCOUNT")
    with pytest.raises(ConflictException):
        invoke("CreateAnalyzer", analyzerName="a", type="ACCOUNT")
    with pytest.raises(ServiceQuotaExceededException) as caught:
        invoke("CreateAnalyzer", analyzerName="b", type="ACCOUNT")
    assert caught.value.status == 402
    invoke("CreateAnalyzer", analyzerName="c", type="ACCOUNT_UNUSED_ACCESS")
    types = {a["type"] for a in invoke("ListAnalyzers")["analyzers"]}
    assert types == {"ACCOUNT", "ACCOUNT_UNUSED_ACCESS"}
    only = invoke("ListAnalyzers", type="ACCOUNT_UNUSED_ACCESS")["analyzers"]
    assert [a["name"] for a in only] == ["c"]


def test_organization_analyzers_are_refused_clearly(invoke: Invoke) -> None:
    with pytest.raises(ValidationException) as caught:
        invoke("CreateAnalyzer", analyzerName="org", type="ORGANIZATION")
    assert "Organizations" in caught.value.message
    assert caught.value.fields["reason"] == "notSupported"


def test_list_analyzers_pages(invoke: Invoke) -> None:
    invoke("CreateAnalyzer", analyzerName="a", type="ACCOUNT")
    invoke("CreateAnalyzer", analyzerName="b", type="ACCOUNT_UNUSED_ACCESS")
    first = invoke("ListAnalyzers", maxResults=1)
    assert [a["name"] for a in first["analyzers"]] == ["a"]
    second = invoke("ListAnalyzers", maxResults=1, nextToken=first["nextToken"])
    assert [a["name"] for a in second["analyzers"]] == ["b"]
    assert "nextToken" not in second


def test_tags_on_an_analyzer(invoke: Invoke) -> None:
    arn = invoke("CreateAnalyzer", analyzerName="a", type="ACCOUNT")["arn"]
    invoke("TagResource", resourceArn=arn, tags={"k1": "v1", "k2": "v2"})
    invoke("UntagResource", resourceArn=arn, tagKeys=["k1"])
    assert invoke("ListTagsForResource", resourceArn=arn) == {"tags": {"k2": "v2"}}
    with pytest.raises(ValidationException):
        invoke("TagResource", resourceArn=arn, tags={"aws:x": "y"})
    with pytest.raises(ResourceNotFoundException):
        invoke("ListTagsForResource", resourceArn=ARN + "missing")


def test_archive_rules_crud(invoke: Invoke) -> None:
    """https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_ArchiveRuleSummary.html"""
    invoke(
        "CreateAnalyzer",
        analyzerName="a",
        type="ACCOUNT",
        archiveRules=[{"ruleName": "inline", "filter": {"isPublic": {"eq": ["false"]}}}],
    )
    invoke(
        "CreateArchiveRule",
        analyzerName="a",
        ruleName="trusted",
        filter={"principal.AWS": {"eq": ["444455556666"]}},
    )
    with pytest.raises(ConflictException):
        invoke("CreateArchiveRule", analyzerName="a", ruleName="trusted", filter={})
    names = [r["ruleName"] for r in invoke("ListArchiveRules", analyzerName="a")["archiveRules"]]
    assert names == ["inline", "trusted"]
    invoke(
        "UpdateArchiveRule",
        analyzerName="a",
        ruleName="trusted",
        filter={"principal.AWS": {"eq": ["444455556666", "777788889999"]}},
    )
    rule = invoke("GetArchiveRule", analyzerName="a", ruleName="trusted")["archiveRule"]
    assert rule["filter"] == {"principal.AWS": {"eq": ["444455556666", "777788889999"]}}
    assert rule["updatedAt"] >= rule["createdAt"]
    invoke("DeleteArchiveRule", analyzerName="a", ruleName="trusted")
    with pytest.raises(ResourceNotFoundException):
        invoke("GetArchiveRule", analyzerName="a", ruleName="trusted")


def test_archive_rules_refuse_unknown_keys_and_status(invoke: Invoke) -> None:
    """status is not an archive-rule key:
    https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-filter-keys.html"""
    invoke("CreateAnalyzer", analyzerName="a", type="ACCOUNT")
    for bad in ({"status": {"eq": ["ACTIVE"]}}, {"nonsense": {"eq": ["x"]}}, {"resource": {}}):
        with pytest.raises(ValidationException):
            invoke("CreateArchiveRule", analyzerName="a", ruleName="r", filter=bad)
    with pytest.raises(ResourceNotFoundException):
        invoke("CreateArchiveRule", analyzerName="nope", ruleName="r", filter={})


def test_update_analyzer_keeps_what_it_is_not_given(invoke: Invoke) -> None:
    invoke(
        "CreateAnalyzer",
        analyzerName="unused",
        type="ACCOUNT_UNUSED_ACCESS",
        configuration={"unusedAccess": {"unusedAccessAge": 30}},
    )
    rule = {"exclusions": [{"resourceTags": [{"team": "infra"}]}]}
    out = invoke(
        "UpdateAnalyzer",
        analyzerName="unused",
        configuration={"unusedAccess": {"analysisRule": rule}},
    )
    assert out == {"configuration": {"unusedAccess": {"unusedAccessAge": 30, "analysisRule": rule}}}
    assert invoke("UpdateAnalyzer", analyzerName="unused") == out
