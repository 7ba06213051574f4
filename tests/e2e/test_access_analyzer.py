"""IAM Access Analyzer against a live server, with boto3's ``accessanalyzer`` client and the
aws CLI: external-access findings on roles, archive rules, unused access, ValidatePolicy, the
custom checks and policy generation.

Finding life cycle: https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-work-with-findings.html
Filter keys: https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-filter-keys.html
Errors: https://docs.aws.amazon.com/access-analyzer/latest/APIReference/CommonErrors.html
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from support.live import ROOT_KEY, ROOT_SECRET, LiveServer

AWS = shutil.which("aws", path=str(Path(sys.executable).parent)) or shutil.which("aws")

OTHER = "444455556666"


def trust(principal: Any) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}],
        }
    )


@pytest.fixture(scope="module")
def external(server: LiveServer) -> str:
    """The account's external-access analyzer (one per account and Region)."""
    arn: str = server.client("accessanalyzer").create_analyzer(
        analyzerName="external", type="ACCOUNT"
    )["arn"]
    return arn


@pytest.fixture
def aa(server: LiveServer) -> Any:
    return server.client("accessanalyzer")


def findings_of(aa: Any, analyzer: str, resource: str, **extra: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = aa.list_findings(
        analyzerArn=analyzer, filter={"resource": {"eq": [resource]}}, **extra
    )["findings"]
    return found


def test_cross_account_trust_finding_is_resolved_by_changing_the_policy(
    aa: Any, iam: Any, external: str, unique: Callable[[str], str]
) -> None:
    name = unique("shared")
    arn = iam.create_role(
        RoleName=name, AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{OTHER}:root"})
    )["Role"]["Arn"]
    [finding] = findings_of(aa, external, arn)
    assert finding["status"] == "ACTIVE"
    assert finding["principal"] == {"AWS": OTHER}
    assert finding["action"] == ["sts:AssumeRole"]
    assert finding["isPublic"] is False
    v2 = aa.get_finding_v2(analyzerArn=external, id=finding["id"])
    assert v2["findingType"] == "ExternalAccess"
    assert v2["findingDetails"][0]["externalAccessDetails"]["principal"] == {"AWS": OTHER}

    iam.update_assume_role_policy(
        RoleName=name, PolicyDocument=trust({"Service": "ec2.amazonaws.com"})
    )
    [after] = findings_of(aa, external, arn)
    assert (after["id"], after["status"]) == (finding["id"], "RESOLVED")
    resource = aa.get_analyzed_resource(analyzerArn=external, resourceArn=arn)["resource"]
    assert resource["isPublic"] is False
    assert "status" not in resource


def test_archive_rule_archives_matching_findings(
    aa: Any, iam: Any, external: str, unique: Callable[[str], str]
) -> None:
    partner = "210987654321"
    rule = unique("partner")
    aa.create_archive_rule(
        analyzerName="external", ruleName=rule, filter={"principal.AWS": {"eq": [partner]}}
    )
    try:
        matching = iam.create_role(
            RoleName=unique("partner-role"), AssumeRolePolicyDocument=trust({"AWS": partner})
        )["Role"]["Arn"]
        other = iam.create_role(
            RoleName=unique("other-role"), AssumeRolePolicyDocument=trust({"AWS": "777788889999"})
        )["Role"]["Arn"]
        assert [f["status"] for f in findings_of(aa, external, matching)] == ["ARCHIVED"]
        assert [f["status"] for f in findings_of(aa, external, other)] == ["ACTIVE"]
        aa.update_findings(analyzerArn=external, status="ARCHIVED", resourceArn=other)
        assert [f["status"] for f in findings_of(aa, external, other)] == ["ARCHIVED"]
        archived = aa.list_findings_v2(
            analyzerArn=external, filter={"status": {"eq": ["ARCHIVED"]}}
        )["findings"]
        assert {matching, other} <= {f["resource"] for f in archived}
    finally:
        aa.delete_archive_rule(analyzerName="external", ruleName=rule)


def test_public_trust_policy_is_a_public_finding(
    aa: Any, iam: Any, external: str, unique: Callable[[str], str]
) -> None:
    arn = iam.create_role(RoleName=unique("open"), AssumeRolePolicyDocument=trust("*"))["Role"][
        "Arn"
    ]
    [finding] = findings_of(aa, external, arn)
    assert finding["isPublic"] is True
    stats = aa.get_findings_statistics(analyzerArn=external)["findingsStatistics"][0]
    roles = stats["externalAccessFindingsStatistics"]["resourceTypeStatistics"]["AWS::IAM::Role"]
    assert roles["totalActivePublic"] >= 1


def test_unused_role_finding(
    server: LiveServer, aa: Any, iam: Any, unique: Callable[[str], str]
) -> None:
    """A role inactive for longer than unusedAccessAge days gets an UnusedIAMRole finding.
    The role's creation is moved 30 days back in the store to stand for the passing time."""
    analyzer = aa.create_analyzer(
        analyzerName=unique("unused"),
        type="ACCOUNT_UNUSED_ACCESS",
        configuration={"unusedAccess": {"unusedAccessAge": 7}},
    )["arn"]
    try:
        name = unique("idle")
        role = iam.create_role(
            RoleName=name, AssumeRolePolicyDocument=trust({"Service": "ec2.amazonaws.com"})
        )["Role"]
        young = aa.list_findings_v2(
            analyzerArn=analyzer, filter={"resource": {"eq": [role["Arn"]]}}
        )["findings"]
        assert young == []  # newer than the tracking period: not unused yet
        with server.app.store.write() as tx:
            tx.roles.update(role["RoleId"], create_date=datetime.now(UTC) - timedelta(days=30))
        [finding] = aa.list_findings_v2(
            analyzerArn=analyzer, filter={"resource": {"eq": [role["Arn"]]}}
        )["findings"]
        assert finding["findingType"] == "UnusedIAMRole"
        assert finding["status"] == "ACTIVE"
        got = aa.get_finding_v2(analyzerArn=analyzer, id=finding["id"])
        assert got["findingDetails"] == [{"unusedIamRoleDetails": {}}]
        with pytest.raises(ClientError) as caught:
            aa.list_findings(analyzerArn=analyzer)  # the first API version is external only
        assert caught.value.response["Error"]["Code"] == "ValidationException"
    finally:
        aa.delete_analyzer(analyzerName=analyzer.rsplit("/", 1)[1])


def test_access_preview_of_a_trust_policy_change(
    aa: Any, iam: Any, external: str, unique: Callable[[str], str]
) -> None:
    """https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-preview-access-apis.html"""
    arn = iam.create_role(
        RoleName=unique("preview"), AssumeRolePolicyDocument=trust({"AWS": OTHER})
    )["Role"]["Arn"]
    [existing] = findings_of(aa, external, arn)
    preview = aa.create_access_preview(
        analyzerArn=external,
        configurations={arn: {"iamRole": {"trustPolicy": trust({"AWS": "777788889999"})}}},
    )["id"]
    assert (
        aa.get_access_preview(analyzerArn=external, accessPreviewId=preview)["accessPreview"][
            "status"
        ]
        == "COMPLETED"
    )
    found = aa.list_access_preview_findings(analyzerArn=external, accessPreviewId=preview)[
        "findings"
    ]
    changes = {(f["principal"]["AWS"], f["changeType"], f["status"]) for f in found}
    assert changes == {("777788889999", "NEW", "ACTIVE"), (OTHER, "CHANGED", "RESOLVED")}
    resolved = [f for f in found if f["changeType"] == "CHANGED"]
    assert resolved[0]["existingFindingId"] == existing["id"]


def test_errors_have_aws_codes_statuses_and_fields(aa: Any, external: str) -> None:
    with pytest.raises(ClientError) as caught:
        aa.get_analyzer(analyzerName="no-such-analyzer")
    response = caught.value.response
    assert response["Error"]["Code"] == "ResourceNotFoundException"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert response["resourceId"] == "no-such-analyzer"
    with pytest.raises(ClientError) as caught:
        aa.create_analyzer(analyzerName="second", type="ACCOUNT")
    assert caught.value.response["Error"]["Code"] == "ServiceQuotaExceededException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 402
    with pytest.raises(ClientError) as caught:
        aa.create_analyzer(analyzerName="org", type="ORGANIZATION")
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert "Organizations" in caught.value.response["Error"]["Message"]


def test_a_user_without_permission_is_denied(
    aa: Any, external: str, user_client: Callable[..., Any]
) -> None:
    client = user_client(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}],
        },
        service="accessanalyzer",
    )
    with pytest.raises(ClientError) as caught:
        client.list_findings(analyzerArn=external)
    assert caught.value.response["Error"]["Code"] == "AccessDeniedException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_policy_generation_from_a_role_sessions_calls(
    server: LiveServer,
    aa: Any,
    iam: Any,
    unique: Callable[[str], str],
    user_client: Callable[..., Any],
) -> None:
    """The generated policy holds the actions the role's sessions called and never
    iam:PassRole: https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-policy-generation.html"""
    name = unique("worker")
    role = iam.create_role(
        RoleName=name,
        AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{server.account_id}:root"}),
    )["Role"]
    iam.put_role_policy(
        RoleName=name,
        PolicyName="p",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}],
            }
        ),
    )
    sts = user_client(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}],
        },
        service="sts",
    )
    creds = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="worker")["Credentials"]
    session = server.client(
        "iam", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]
    )
    session.list_users()
    session.get_role(RoleName=name)
    start = datetime.now(UTC) - timedelta(hours=1)
    statements: list[dict[str, Any]] = []
    for _ in range(20):  # the audit trail is written asynchronously (50 jobs a day at most)
        job = aa.start_policy_generation(
            policyGenerationDetails={"principalArn": role["Arn"]},
            cloudTrailDetails={
                "trails": [
                    {"cloudTrailArn": f"arn:aws:cloudtrail:us-east-1:{server.account_id}:trail/t"}
                ],
                "accessRole": f"arn:aws:iam::{server.account_id}:role/reader",
                "startTime": start,
                "endTime": datetime.now(UTC) + timedelta(minutes=1),
            },
        )["jobId"]
        out = aa.get_generated_policy(jobId=job)
        while out["jobDetails"]["status"] == "IN_PROGRESS":
            time.sleep(0.05)
            out = aa.get_generated_policy(jobId=job)
        assert out["jobDetails"]["status"] == "SUCCEEDED"
        policies = out["generatedPolicyResult"].get("generatedPolicies", [])
        statements = [s for p in policies for s in json.loads(p["policy"])["Statement"]]
        actions = {a for s in statements for a in s["Action"]}
        if {"iam:ListUsers", "iam:GetRole"} <= actions:
            break
        time.sleep(0.25)
    by_action = {a: s["Resource"] for s in statements for a in s["Action"]}
    assert by_action["iam:ListUsers"] == "*"
    assert by_action["iam:GetRole"] == role["Arn"]
    assert "iam:PassRole" not in by_action
    listed = aa.list_policy_generations(principalArn=role["Arn"])["policyGenerations"]
    assert listed and all(j["status"] == "SUCCEEDED" for j in listed)


# The aws CLI ---------------------------------------------------------------------------


def cli_json(server: LiveServer, tmp_path: Path, *args: str) -> dict[str, Any]:
    """``aws accessanalyzer ...`` as the account's root, with a private HOME."""
    assert AWS, "the aws CLI is a test dependency (awscli in pyproject)"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "AWS_ACCESS_KEY_ID": ROOT_KEY,
        "AWS_SECRET_ACCESS_KEY": ROOT_SECRET,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
    }
    done = subprocess.run(
        [AWS, "--endpoint-url", server.url, "--output", "json", "accessanalyzer", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    out: dict[str, Any] = json.loads(done.stdout)
    return out


def test_cli_validate_policy_reports_the_issue_code(server: LiveServer, tmp_path: Path) -> None:
    """https://docs.aws.amazon.com/cli/latest/reference/accessanalyzer/validate-policy.html"""
    document = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}],
        }
    )
    out = cli_json(
        server,
        tmp_path,
        "validate-policy",
        "--policy-document",
        document,
        "--policy-type",
        "IDENTITY_POLICY",
    )
    codes = {f["issueCode"]: f["findingType"] for f in out["findings"]}
    assert codes["PASS_ROLE_WITH_STAR_IN_RESOURCE"] == "SECURITY_WARNING"


def test_cli_check_no_public_access(server: LiveServer, tmp_path: Path) -> None:
    """https://docs.aws.amazon.com/cli/latest/reference/accessanalyzer/check-no-public-access.html"""
    kind = ("--resource-type", "AWS::IAM::AssumeRolePolicyDocument")
    public = cli_json(
        server, tmp_path, "check-no-public-access", "--policy-document", trust("*"), *kind
    )
    assert public["result"] == "FAIL"
    assert public["reasons"][0]["statementIndex"] == 0
    private = cli_json(
        server,
        tmp_path,
        "check-no-public-access",
        "--policy-document",
        trust({"AWS": f"arn:aws:iam::{OTHER}:root"}),
        *kind,
    )
    assert private["result"] == "PASS"


def test_cli_list_findings(
    server: LiveServer, tmp_path: Path, iam: Any, external: str, unique: Callable[[str], str]
) -> None:
    arn = iam.create_role(RoleName=unique("cli"), AssumeRolePolicyDocument=trust({"AWS": OTHER}))[
        "Role"
    ]["Arn"]
    out = cli_json(
        server,
        tmp_path,
        "list-findings",
        "--analyzer-arn",
        external,
        "--filter",
        json.dumps({"resource": {"eq": [arn]}}),
    )
    assert [(f["resource"], f["status"]) for f in out["findings"]] == [(arn, "ACTIVE")]
