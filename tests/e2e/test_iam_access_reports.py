"""The credential report, Access Advisor and last-used answers, end to end with boto3 and the
aws CLI: what they say comes from the audit trail of the calls made here.

https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html
https://docs.aws.amazon.com/IAM/latest/APIReference/API_GenerateServiceLastAccessedDetails.html
https://docs.aws.amazon.com/IAM/latest/APIReference/API_RoleLastUsed.html
"""

from __future__ import annotations

import base64
import csv
import io
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from support.live import LiveServer

from .test_aws_cli import aws, ok


def error_of(call: Callable[[], Any]) -> tuple[str, int]:
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def policy(*actions: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}],
        }
    )


def new_user(server: LiveServer, iam: Any, name: str, *actions: str) -> tuple[Any, dict[str, Any]]:
    """A user holding an inline policy for ``actions``, and a client signed with its key."""
    user = iam.create_user(UserName=name)["User"]
    if actions:
        iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=policy(*actions))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return server.client("iam", key["AccessKeyId"], key["SecretAccessKey"]), {**user, **key}


def wait_for_job(iam: Any, job_id: str) -> dict[str, Any]:
    for _ in range(100):
        details: dict[str, Any] = iam.get_service_last_accessed_details(JobId=job_id)
        if details["JobStatus"] != "IN_PROGRESS":
            return details
        time.sleep(0.05)
    raise AssertionError("the job did not finish")


def report_rows(content: bytes) -> dict[str, dict[str, str]]:
    rows = list(csv.DictReader(io.StringIO(content.decode())))
    return {row["user"]: row for row in rows}


def test_credential_report_states_and_rows_with_boto3(
    server: LiveServer, iam: Any, unique: Callable[[str], str]
) -> None:
    """Runs first in the module: the server has no report yet."""
    assert error_of(iam.get_credential_report) == ("ReportNotPresent", 410)
    name = unique("reported")
    client, user = new_user(server, iam, name, "iam:GetUser")
    iam.create_login_profile(UserName=name, Password="Correct-Horse-9-battery")
    client.get_user()
    server.app.recorder.flush()

    first = iam.generate_credential_report()
    assert first["State"] == "STARTED"
    assert first["Description"]
    for _ in range(100):
        if iam.generate_credential_report()["State"] == "COMPLETE":
            break
        time.sleep(0.05)
    answer = iam.get_credential_report()
    assert answer["ReportFormat"] == "text/csv"
    assert answer["GeneratedTime"].tzinfo is not None
    rows = report_rows(answer["Content"])  # botocore has already base64-decoded the blob
    assert next(iter(rows)) == "<root_account>"
    row = rows[name]
    assert row["arn"] == user["Arn"]
    assert row["password_enabled"] == "true"
    assert row["password_last_used"] == "no_information"
    assert row["access_key_1_active"] == "true"
    assert row["access_key_1_last_used_service"] == "iam"
    assert row["access_key_1_last_used_region"] == "N/A"
    assert row["access_key_1_last_used_date"].endswith("+00:00")
    assert row["access_key_2_active"] == "false"


def test_credential_report_with_the_cli(server: LiveServer, tmp_path: Path) -> None:
    state = ok(aws(server, tmp_path, "iam", "generate-credential-report"))["State"]
    assert state in ("STARTED", "INPROGRESS", "COMPLETE")
    for _ in range(100):
        if ok(aws(server, tmp_path, "iam", "generate-credential-report"))["State"] == "COMPLETE":
            break
    got = ok(aws(server, tmp_path, "iam", "get-credential-report"))
    assert got["ReportFormat"] == "text/csv"
    content = base64.b64decode(got["Content"]).decode()
    assert content.startswith("user,arn,user_creation_time,password_enabled,")
    assert content.splitlines()[1].startswith(
        f"<root_account>,arn:aws:iam::{server.account_id}:root,"
    )


def test_role_last_used_and_access_key_last_used_follow_the_trail(
    server: LiveServer, iam: Any, unique: Callable[[str], str]
) -> None:
    name = unique("assumer")
    _, user = new_user(server, iam, name, "sts:AssumeRole")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": user["Arn"]}, "Action": "sts:AssumeRole"}
        ],
    }
    role_name = unique("deploy")
    iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName=role_name, PolicyName="p", PolicyDocument=policy("iam:GetRole"))
    role = iam.get_role(RoleName=role_name)["Role"]
    assert role["RoleLastUsed"] == {}
    never = iam.get_access_key_last_used(AccessKeyId=user["AccessKeyId"])["AccessKeyLastUsed"]
    assert never == {"ServiceName": "N/A", "Region": "N/A"}

    sts = server.client("sts", user["AccessKeyId"], user["SecretAccessKey"])
    credentials = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="session")["Credentials"]
    server.app.recorder.flush()
    # The AssumeRole call is the user's: it uses the user's key, not the role.
    used = iam.get_access_key_last_used(AccessKeyId=user["AccessKeyId"])
    assert used["UserName"] == name
    assert used["AccessKeyLastUsed"]["ServiceName"] == "sts"
    assert used["AccessKeyLastUsed"]["Region"] == "us-east-1"
    assert iam.get_role(RoleName=role_name)["Role"]["RoleLastUsed"] == {}

    session = server.client(
        "iam",
        credentials["AccessKeyId"],
        credentials["SecretAccessKey"],
        credentials["SessionToken"],
    )
    session.get_role(RoleName=role_name)
    server.app.recorder.flush()
    last = iam.get_role(RoleName=role_name)["Role"]["RoleLastUsed"]
    assert last["Region"] == "us-east-1"
    assert last["LastUsedDate"].timestamp() <= time.time() + 1
    details = iam.get_account_authorization_details(Filter=["Role"])["RoleDetailList"]
    listed = next(r for r in details if r["RoleName"] == role_name)
    assert listed["RoleLastUsed"] == last


def test_access_advisor_for_a_user_its_group_and_a_policy(
    server: LiveServer, iam: Any, unique: Callable[[str], str]
) -> None:
    group = unique("readers")
    iam.create_group(GroupName=group)
    managed = iam.create_policy(
        PolicyName=unique("read"), PolicyDocument=policy("iam:GetUser", "s3:GetObject")
    )["Policy"]
    iam.attach_group_policy(GroupName=group, PolicyArn=managed["Arn"])
    name = unique("member")
    client, user = new_user(server, iam, name, "sts:GetCallerIdentity")
    iam.add_user_to_group(GroupName=group, UserName=name)
    idle = unique("idle")
    iam.create_user(UserName=idle)
    iam.add_user_to_group(GroupName=group, UserName=idle)
    client.get_user()
    with pytest.raises(ClientError):
        client.list_users()  # denied, and not allowed by any policy: not listed
    server.app.recorder.flush()

    job = iam.generate_service_last_accessed_details(Arn=user["Arn"])["JobId"]
    details = wait_for_job(iam, job)
    assert details["JobStatus"] == "COMPLETED"
    assert details["JobType"] == "SERVICE_LEVEL"
    assert details["JobCompletionDate"] >= details["JobCreationDate"]
    services = {s["ServiceNamespace"]: s for s in details["ServicesLastAccessed"]}
    assert set(services) == {"iam", "s3", "sts"}
    assert services["iam"]["LastAuthenticatedEntity"] == user["Arn"]
    assert services["iam"]["LastAuthenticatedRegion"] == "us-east-1"
    assert services["iam"]["TotalAuthenticatedEntities"] == 1
    assert services["iam"]["ServiceName"]
    assert "LastAuthenticated" not in services["s3"]
    assert services["s3"]["TotalAuthenticatedEntities"] == 0
    assert "TrackedActionsLastAccessed" not in services["iam"]

    group_arn = iam.get_group(GroupName=group)["Group"]["Arn"]
    for arn in (group_arn, managed["Arn"]):
        job = iam.generate_service_last_accessed_details(Arn=arn, Granularity="ACTION_LEVEL")
        details = wait_for_job(iam, job["JobId"])
        services = {s["ServiceNamespace"]: s for s in details["ServicesLastAccessed"]}
        assert set(services) == {"iam", "s3"}  # the group's policy only
        assert services["iam"]["LastAuthenticatedEntity"] == user["Arn"]
        tracked = {a["ActionName"]: a for a in services["iam"]["TrackedActionsLastAccessed"]}
        assert set(tracked) == {"GetUser"}
        assert tracked["GetUser"]["LastAccessedEntity"] == user["Arn"]
        entities = iam.get_service_last_accessed_details_with_entities(
            JobId=job["JobId"], ServiceNamespace="iam"
        )["EntityDetailsList"]
        assert [e["EntityInfo"]["Name"] for e in entities] == [name, idle]  # most recent first
        assert entities[0]["EntityInfo"]["Type"] == "USER"
        assert "LastAuthenticated" in entities[0] and "LastAuthenticated" not in entities[1]

    granting = iam.list_policies_granting_service_access(
        Arn=user["Arn"], ServiceNamespaces=["iam", "sts", "ec2"]
    )["PoliciesGrantingServiceAccess"]
    by_service = {g["ServiceNamespace"]: g["Policies"] for g in granting}
    assert by_service["iam"] == [
        {"PolicyName": managed["PolicyName"], "PolicyType": "MANAGED", "PolicyArn": managed["Arn"]}
    ]
    assert by_service["sts"] == [
        {"PolicyName": "inline", "PolicyType": "INLINE", "EntityType": "USER", "EntityName": name}
    ]
    assert by_service["ec2"] == []


def test_access_advisor_errors(server: LiveServer, iam: Any, unique: Callable[[str], str]) -> None:
    account = server.account_id
    missing = f"arn:aws:iam::{account}:user/{unique('nobody')}"
    assert error_of(lambda: iam.generate_service_last_accessed_details(Arn=missing)) == (
        "NoSuchEntity",
        404,
    )
    assert error_of(
        lambda: iam.generate_service_last_accessed_details(Arn="arn:aws:s3:::a-bucket-name")
    ) == (
        "InvalidInput",
        400,
    )
    # A job belongs to whoever created it ("must be used by the same role within a session,
    # or by the same user").
    name = unique("snoop")
    snoop, user = new_user(server, iam, name, "iam:*")
    job = iam.generate_service_last_accessed_details(Arn=user["Arn"])["JobId"]
    assert error_of(lambda: snoop.get_service_last_accessed_details(JobId=job)) == (
        "NoSuchEntity",
        404,
    )
    mine = snoop.generate_service_last_accessed_details(Arn=user["Arn"])["JobId"]
    assert wait_for_job(snoop, mine)["JobStatus"] == "COMPLETED"
    denied = server.client("iam", user["AccessKeyId"], user["SecretAccessKey"])
    iam.put_user_policy(
        UserName=name,
        PolicyName="inline",
        PolicyDocument=policy("iam:GetServiceLastAccessedDetails"),
    )
    assert error_of(lambda: denied.generate_credential_report()) == ("AccessDenied", 403)


def test_access_advisor_with_the_cli(
    server: LiveServer, iam: Any, tmp_path: Path, unique: Callable[[str], str]
) -> None:
    role_name = unique("cli-role")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    arn = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(trust))["Role"][
        "Arn"
    ]
    iam.put_role_policy(RoleName=role_name, PolicyName="p", PolicyDocument=policy("s3:*"))
    job = ok(
        aws(
            server,
            tmp_path,
            "iam",
            "generate-service-last-accessed-details",
            "--arn",
            arn,
            "--granularity",
            "ACTION_LEVEL",
        )
    )["JobId"]
    for _ in range(100):
        details = ok(
            aws(server, tmp_path, "iam", "get-service-last-accessed-details", "--job-id", job)
        )
        if details["JobStatus"] != "IN_PROGRESS":
            break
    assert details["JobStatus"] == "COMPLETED"
    assert [s["ServiceNamespace"] for s in details["ServicesLastAccessed"]] == ["s3"]
    entities = ok(
        aws(
            server,
            tmp_path,
            "iam",
            "get-service-last-accessed-details-with-entities",
            "--job-id",
            job,
            "--service-namespace",
            "s3",
        )
    )["EntityDetailsList"]
    assert entities == [
        {
            "EntityInfo": {
                "Arn": arn,
                "Name": role_name,
                "Type": "ROLE",
                "Id": iam.get_role(RoleName=role_name)["Role"]["RoleId"],
                "Path": "/",
            }
        }
    ]
    granting = ok(
        aws(
            server,
            tmp_path,
            "iam",
            "list-policies-granting-service-access",
            "--arn",
            arn,
            "--service-namespaces",
            "s3",
        )
    )["PoliciesGrantingServiceAccess"]
    assert granting == [
        {
            "ServiceNamespace": "s3",
            "Policies": [
                {
                    "PolicyName": "p",
                    "PolicyType": "INLINE",
                    "EntityType": "ROLE",
                    "EntityName": role_name,
                }
            ],
        }
    ]


def test_access_advisor_for_an_aws_managed_policy(server: LiveServer, iam: Any) -> None:
    """An AWS managed policy is reported on from the account, like its own policies."""
    arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    job = iam.generate_service_last_accessed_details(Arn=arn)["JobId"]
    details = wait_for_job(iam, job)
    assert details["JobStatus"] == "COMPLETED"
    first = [s["ServiceNamespace"] for s in details["ServicesLastAccessed"]]
    assert details["IsTruncated"] is True and len(first) == 100  # the default page
    namespaces = list(first)
    while details["IsTruncated"]:
        details = iam.get_service_last_accessed_details(JobId=job, Marker=details["Marker"])
        namespaces += [s["ServiceNamespace"] for s in details["ServicesLastAccessed"]]
    assert namespaces == sorted(set(namespaces))  # in order, each once
    assert {"s3", "ec2", "iam"} <= set(namespaces)
