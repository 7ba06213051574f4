"""Access previews of trust-policy changes: NEW, UNCHANGED and CHANGED findings.

https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-preview-access-apis.html
https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_AccessPreviewFinding.html
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from iamd.services.analyzer.errors import ResourceNotFoundException, ValidationException
from iamd.store import Store
from support.analyzer_calls import ACCOUNT, Invoke

A, B = "444455556666", "777788889999"


def trust(*accounts: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": list(accounts)},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )


def preview(invoke: Invoke, analyzer: str, configurations: dict[str, Any]) -> list[dict[str, Any]]:
    preview_id = invoke("CreateAccessPreview", analyzerArn=analyzer, configurations=configurations)[
        "id"
    ]
    got = invoke("GetAccessPreview", analyzerArn=analyzer, accessPreviewId=preview_id)
    assert got["accessPreview"]["status"] == "COMPLETED"
    out: list[dict[str, Any]] = invoke(
        "ListAccessPreviewFindings", analyzerArn=analyzer, accessPreviewId=preview_id
    )["findings"]
    return out


def test_preview_of_a_trust_policy_change(store: Store, invoke: Invoke) -> None:
    analyzer = invoke("CreateAnalyzer", analyzerName="ext", type="ACCOUNT")["arn"]
    with store.write() as tx:
        role = tx.roles.create(ACCOUNT, "shared", "/", trust(A))
    [existing] = invoke("ListFindings", analyzerArn=analyzer)["findings"]
    found = preview(invoke, analyzer, {role.arn: {"iamRole": {"trustPolicy": trust(B)}}})
    by_principal = {f["principal"]["AWS"]: f for f in found}
    assert by_principal[B]["changeType"] == "NEW"
    assert by_principal[B]["status"] == "ACTIVE"
    assert "existingFindingId" not in by_principal[B]
    assert by_principal[A]["changeType"] == "CHANGED"
    assert by_principal[A]["status"] == "RESOLVED"
    assert by_principal[A]["existingFindingId"] == existing["id"]
    # The preview changes nothing: the finding is still active.
    [still] = invoke("ListFindings", analyzerArn=analyzer)["findings"]
    assert still["status"] == "ACTIVE"
    # Without trustPolicy the current policy is previewed: nothing changes.
    [same] = preview(invoke, analyzer, {role.arn: {"iamRole": {}}})
    assert (same["changeType"], same["status"]) == ("UNCHANGED", "ACTIVE")
    new_only = invoke(
        "ListAccessPreviewFindings",
        analyzerArn=analyzer,
        accessPreviewId=invoke(
            "CreateAccessPreview",
            analyzerArn=analyzer,
            configurations={role.arn: {"iamRole": {"trustPolicy": trust(A, B)}}},
        )["id"],
        filter={"changeType": {"eq": ["NEW"]}},
    )["findings"]
    assert [f["principal"] for f in new_only] == [{"AWS": B}]
    assert len(invoke("ListAccessPreviews", analyzerArn=analyzer)["accessPreviews"]) == 3


def test_preview_of_a_new_role_and_refusals(invoke: Invoke) -> None:
    analyzer = invoke("CreateAnalyzer", analyzerName="ext", type="ACCOUNT")["arn"]
    arn = f"arn:aws:iam::{ACCOUNT}:role/not-yet"
    [f] = preview(invoke, analyzer, {arn: {"iamRole": {"trustPolicy": trust(B)}}})
    assert (f["changeType"], f["resource"]) == ("NEW", arn)
    with pytest.raises(ValidationException):
        invoke(
            "CreateAccessPreview",
            analyzerArn=analyzer,
            configurations={"arn:aws:s3:::bucket": {"s3Bucket": {"bucketPolicy": "{}"}}},
        )
    failed = invoke(
        "CreateAccessPreview",
        analyzerArn=analyzer,
        configurations={arn: {"iamRole": {"trustPolicy": "{not json"}}},
    )["id"]
    got = invoke("GetAccessPreview", analyzerArn=analyzer, accessPreviewId=failed)["accessPreview"]
    assert (got["status"], got["statusReason"]) == ("FAILED", {"code": "INVALID_CONFIGURATION"})
    with pytest.raises(ResourceNotFoundException):
        invoke(
            "GetAccessPreview",
            analyzerArn=analyzer,
            accessPreviewId="00000000-0000-0000-0000-000000000000",
        )
