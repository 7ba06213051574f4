"""Credentials for workloads: boto3's default credential chain, with no code changes, gets role
credentials from iamd's EC2 instance metadata service and ECS container credentials endpoint.

The endpoints assume the role as the AWS service they stand in for: the role's trust policy
must trust ``ec2.amazonaws.com`` (``ecs-tasks.amazonaws.com``), and the endpoint's operator must
be allowed ``iam:PassRole`` on the role for that service, as in AWS.
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-ec2.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html
https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-service.html
https://docs.aws.amazon.com/sdkref/latest/guide/feature-container-credentials.html
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, NoCredentialsError

from iamd.workload.container import ContainerCredentials, TaskRoleSource
from iamd.workload.credentials import OperatorCredentials, iamd_client
from iamd.workload.delegation import EC2, ECS_TASKS, Delegation
from iamd.workload.http import EndpointServer
from iamd.workload.imds import Imds, Instance, InstanceProfileSource
from support.live import NO_RETRIES, ROOT_KEY, ROOT_SECRET, LiveServer, free_port

REGION = "us-east-1"
READ_ROLES = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}],
}
CREDENTIAL_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_EC2_METADATA_DISABLED",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
    "AWS_EC2_METADATA_V1_DISABLED",
)


def trust(service: str, **condition: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if condition:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """An environment where boto3's default chain finds nothing of the test machine's: no
    credential variables, no config or credentials files."""
    for name in CREDENTIAL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    return monkeypatch


def make_role(iam: Any, name: str, trust_policy: dict[str, Any]) -> str:
    arn: str = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust_policy))[
        "Role"
    ]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="read", PolicyDocument=json.dumps(READ_ROLES))
    return arn


def make_profile(iam: Any, unique: Callable[[str], str], trust_policy: dict[str, Any]) -> Any:
    role = unique("web-role")
    arn = make_role(iam, role, trust_policy)
    profile = unique("web")
    iam.create_instance_profile(InstanceProfileName=profile)
    iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)
    return profile, role, arn


def operator_of(key: str = ROOT_KEY, secret: str = ROOT_SECRET) -> OperatorCredentials:
    return OperatorCredentials(key, secret)


@contextmanager
def running_imds(
    server: LiveServer,
    profile: str,
    operator: OperatorCredentials | None = None,
    imdsv1: bool = False,
) -> Iterator[tuple[EndpointServer, Imds]]:
    operator = operator or operator_of()
    iam = iamd_client("iam", server.url, operator, REGION)
    sts = iamd_client("sts", server.url, operator, REGION)
    source = InstanceProfileSource(iam, sts, profile, Instance.new(REGION))
    imds = Imds(source, imdsv1=imdsv1)
    with EndpointServer(imds.handle) as endpoint:
        yield endpoint, imds


def http(method: str, url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def imds_credentials(url: str, role: str) -> dict[str, Any]:
    status, token = http(
        "PUT", f"{url}/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds": "60"}
    )
    assert status == 200
    status, body = http(
        "GET",
        f"{url}/latest/meta-data/iam/security-credentials/{role}",
        {"X-aws-ec2-metadata-token": token},
    )
    assert status == 200
    document: dict[str, Any] = json.loads(body)
    return document


def error_of(call: Callable[[], Any]) -> tuple[str, str]:
    with pytest.raises(ClientError) as info:
        call()
    error = info.value.response["Error"]
    return error["Code"], error["Message"]


# EC2 ------------------------------------------------------------------------------------


def test_boto3_default_chain_gets_the_instance_profile_role_from_imds(
    server: LiveServer, iam: Any, unique: Callable[[str], str], no_credentials: pytest.MonkeyPatch
) -> None:
    profile, role, role_arn = make_profile(iam, unique, trust(EC2))
    with running_imds(server, profile) as (endpoint, imds):
        no_credentials.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", endpoint.url)
        no_credentials.setenv("AWS_EC2_METADATA_V1_DISABLED", "true")  # IMDSv2 or nothing
        session = boto3.Session(region_name=REGION)
        assert session.get_credentials().method == "iam-role"
        sts = session.client("sts", endpoint_url=server.url, config=NO_RETRIES)
        identity = sts.get_caller_identity()
        instance_id = imds.instance.instance_id
        assert identity["Arn"] == (
            f"arn:aws:sts::{server.account_id}:assumed-role/{role}/{instance_id}"
        )
        role_id = iam.get_role(RoleName=role)["Role"]["RoleId"]
        assert identity["UserId"] == f"{role_id}:{instance_id}"
        # The session has the role's permissions, and only those.
        workload_iam = session.client("iam", endpoint_url=server.url, config=NO_RETRIES)
        assert role_arn in [r["Arn"] for r in workload_iam.list_roles()["Roles"]]
        assert error_of(workload_iam.list_users)[0] == "AccessDenied"


def test_imdsv2_session_tokens_are_enforced_over_http(
    server: LiveServer, iam: Any, unique: Callable[[str], str]
) -> None:
    profile, role, _ = make_profile(iam, unique, trust(EC2))
    with running_imds(server, profile) as (endpoint, _imds):
        url = endpoint.url
        assert http("GET", f"{url}/latest/meta-data/iam/security-credentials/")[0] == 401
        assert http("PUT", f"{url}/latest/api/token")[0] == 400
        ttl = {"X-aws-ec2-metadata-token-ttl-seconds": "21600"}
        proxied = {**ttl, "X-Forwarded-For": "203.0.113.9"}
        assert http("PUT", f"{url}/latest/api/token", proxied)[0] == 403
        status, token = http("PUT", f"{url}/latest/api/token", ttl)
        assert status == 200 and token
        listing = http(
            "GET",
            f"{url}/latest/meta-data/iam/security-credentials/",
            {"X-aws-ec2-metadata-token": token},
        )
        assert listing == (200, role)
        bad = {"X-aws-ec2-metadata-token": token[:-2] + ("AA" if token[-2:] != "AA" else "BB")}
        assert http("GET", f"{url}/latest/meta-data/instance-id", bad)[0] == 401
        status, info = http(
            "GET", f"{url}/latest/meta-data/iam/info", {"X-aws-ec2-metadata-token": token}
        )
        assert status == 200
        profile_record = iam.get_instance_profile(InstanceProfileName=profile)["InstanceProfile"]
        assert json.loads(info)["InstanceProfileArn"] == profile_record["Arn"]
        assert json.loads(info)["InstanceProfileId"] == profile_record["InstanceProfileId"]
    with running_imds(server, profile, imdsv1=True) as (endpoint, _imds):
        status, body = http("GET", f"{endpoint.url}/latest/meta-data/iam/security-credentials/")
        assert (status, body) == (200, role)


def test_a_role_that_does_not_trust_ec2_gets_no_credentials(
    server: LiveServer, iam: Any, unique: Callable[[str], str], no_credentials: pytest.MonkeyPatch
) -> None:
    """The trust policy is evaluated with EC2 as the principal, never the endpoint's operator:
    a role trusting the account (whose root runs the endpoint) is not a role EC2 may assume."""
    account_trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{server.account_id}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    for policy in (trust("lambda.amazonaws.com"), account_trust):
        profile, role, _ = make_profile(iam, unique, policy)
        with running_imds(server, profile) as (endpoint, _imds):
            document = imds_credentials(endpoint.url, role)
            assert document["Code"] == "AssumeRoleUnauthorizedAccess"
            assert "AccessKeyId" not in document
            no_credentials.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", endpoint.url)
            with pytest.raises(NoCredentialsError):
                boto3.Session(region_name=REGION).client("sts").get_caller_identity()


def test_handing_the_role_to_ec2_needs_pass_role_for_ec2(
    server: LiveServer, iam: Any, unique: Callable[[str], str]
) -> None:
    """The operator needs what whoever launches an instance with the profile needs:
    iam:PassRole on the role, for ec2.amazonaws.com.  sts:AssumeRole it does not need, but an
    explicit deny of it still refuses."""
    profile, role, role_arn = make_profile(iam, unique, trust(EC2))
    get_profile = {"Effect": "Allow", "Action": "iam:GetInstanceProfile", "Resource": "*"}

    def operator(*statements: dict[str, Any]) -> OperatorCredentials:
        name = unique("operator")
        iam.create_user(UserName=name)
        policy = {"Version": "2012-10-17", "Statement": [get_profile, *statements]}
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return OperatorCredentials(key["AccessKeyId"], key["SecretAccessKey"])

    def pass_role(service: str) -> dict[str, Any]:
        return {
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": role_arn,
            "Condition": {"StringEquals": {"iam:PassedToService": service}},
        }

    refused = [
        operator(),
        operator(pass_role(ECS_TASKS)),
        operator(
            pass_role(EC2),
            {"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": role_arn},
        ),
    ]
    for creds in refused:
        with running_imds(server, profile, creds) as (endpoint, _imds):
            assert imds_credentials(endpoint.url, role)["Code"] == "AssumeRoleUnauthorizedAccess"
    allowed = operator(pass_role(EC2))
    with running_imds(server, profile, allowed) as (endpoint, _imds):
        document = imds_credentials(endpoint.url, role)
        assert document["Code"] == "Success"
        sts = server.client(
            "sts", document["AccessKeyId"], document["SecretAccessKey"], document["Token"]
        )
        assert f":assumed-role/{role}/i-" in sts.get_caller_identity()["Arn"]
    # AWS's own message, naming what is missing.
    sts = server.client("sts", refused[0].access_key_id, refused[0].secret_access_key)
    profile_arn = iam.get_instance_profile(InstanceProfileName=profile)["InstanceProfile"]["Arn"]
    delegation = Delegation(EC2, instance_profile_arn=profile_arn)
    code, message = error_of(
        lambda: sts.assume_role(
            RoleArn=role_arn,
            RoleSessionName="i-0123456789abcdef0",
            ProvidedContexts=delegation.provided_contexts(),
        )
    )
    assert code == "AccessDenied"
    assert f"is not authorized to perform: iam:PassRole on resource: {role_arn}" in message


def test_ec2_gets_only_the_role_of_the_instance_profile_it_names(
    server: LiveServer, iam: Any, unique: Callable[[str], str]
) -> None:
    profile, _, _ = make_profile(iam, unique, trust(EC2))
    other_role = unique("other-role")
    other_arn = make_role(iam, other_role, trust(EC2))
    profile_arn = iam.get_instance_profile(InstanceProfileName=profile)["InstanceProfile"]["Arn"]
    sts = server.client("sts")
    for delegation in (Delegation(EC2, instance_profile_arn=profile_arn), Delegation(EC2)):
        code, _ = error_of(
            lambda d=delegation: sts.assume_role(
                RoleArn=other_arn, RoleSessionName="i-1", ProvidedContexts=d.provided_contexts()
            )
        )
        assert code == "AccessDenied"
    # A service session carries nothing a service would not pass.
    code, message = error_of(
        lambda: sts.assume_role(
            RoleArn=other_arn,
            RoleSessionName="i-1",
            Tags=[{"Key": "k", "Value": "v"}],
            ProvidedContexts=Delegation(ECS_TASKS).provided_contexts(),
        )
    )
    assert code == "ValidationError" and "Tags" in message
    # Without the delegation, root may not assume a role at all.
    code, _ = error_of(lambda: sts.assume_role(RoleArn=other_arn, RoleSessionName="root"))
    assert code == "AccessDenied"


def test_the_iamd_imds_command(
    server: LiveServer, iam: Any, unique: Callable[[str], str], tmp_path: Path
) -> None:
    profile, role, _ = make_profile(iam, unique, trust(EC2))
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in CREDENTIAL_VARIABLES},
        "AWS_ACCESS_KEY_ID": ROOT_KEY,
        "AWS_SECRET_ACCESS_KEY": ROOT_SECRET,
    }
    command = [
        sys.executable, "-m", "iamd.cli.main", "imds", "--instance-profile", profile,
        "--port", str(port), "--endpoint-url", server.url,
    ]  # fmt: skip
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        assert f"listening on http://127.0.0.1:{port}" in banner, process.stderr
        document = imds_credentials(f"http://127.0.0.1:{port}", role)
        assert document["Code"] == "Success" and document["AccessKeyId"].startswith("ASIA")
    finally:
        process.terminate()
        process.wait(timeout=10)


# ECS ------------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@contextmanager
def running_container(
    server: LiveServer, role_arn: str, token: str, clock: Clock | None = None
) -> Iterator[tuple[str, TaskRoleSource]]:
    sts = iamd_client("sts", server.url, operator_of(), REGION)
    source = TaskRoleSource(sts, role_arn, REGION, duration=900)
    endpoint = ContainerCredentials(source, token, clock=clock or Clock())
    with EndpointServer(endpoint.handle) as running:
        yield f"{running.url}/v2/credentials", source


def task_role(iam: Any, unique: Callable[[str], str], account: str) -> tuple[str, str]:
    """A task role trusting ECS, guarded against the confused deputy as AWS recommends."""
    name = unique("task-role")
    policy = trust(
        ECS_TASKS,
        StringEquals={"aws:SourceAccount": account},
        ArnLike={"aws:SourceArn": f"arn:aws:ecs:{REGION}:{account}:task/*"},
    )
    return name, make_role(iam, name, policy)


def test_boto3_default_chain_gets_the_task_role_from_the_container_endpoint(
    server: LiveServer, iam: Any, unique: Callable[[str], str], no_credentials: pytest.MonkeyPatch
) -> None:
    name, arn = task_role(iam, unique, server.account_id)
    with running_container(server, arn, "task-token") as (url, source):
        no_credentials.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url)
        no_credentials.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "task-token")
        session = boto3.Session(region_name=REGION)
        assert session.get_credentials().method == "container-role"
        sts = session.client("sts", endpoint_url=server.url, config=NO_RETRIES)
        assert sts.get_caller_identity()["Arn"] == (
            f"arn:aws:sts::{server.account_id}:assumed-role/{name}/{source.task_id}"
        )


def test_container_credentials_are_replaced_five_minutes_before_they_expire(
    server: LiveServer, iam: Any, unique: Callable[[str], str]
) -> None:
    _, arn = task_role(iam, unique, server.account_id)
    clock = Clock()
    with running_container(server, arn, "t0ken", clock) as (url, _source):
        auth = {"Authorization": "t0ken"}
        status, body = http("GET", url, auth)
        first = json.loads(body)
        assert status == 200 and first["RoleArn"] == arn
        assert set(first) == {"RoleArn", "AccessKeyId", "SecretAccessKey", "Token", "Expiration"}
        stamp = datetime.strptime(first["Expiration"], "%Y-%m-%dT%H:%M:%SZ")
        expires = stamp.replace(tzinfo=UTC).timestamp()
        clock.offset = expires - time.time() - 301
        assert json.loads(http("GET", url, auth)[1])["AccessKeyId"] == first["AccessKeyId"]
        clock.offset = expires - time.time() - 299
        second = json.loads(http("GET", url, auth)[1])
        assert second["AccessKeyId"] != first["AccessKeyId"]
        sts = server.client(
            "sts", second["AccessKeyId"], second["SecretAccessKey"], second["Token"]
        )
        assert sts.get_caller_identity()["Arn"].split("/")[1] == arn.split("/")[-1]
        assert http("GET", url)[0] == 401
        assert http("GET", url, {"Authorization": "wrong"})[0] == 403


def test_a_role_that_does_not_trust_ecs_tasks_is_refused(
    server: LiveServer, iam: Any, unique: Callable[[str], str]
) -> None:
    arn = make_role(iam, unique("ec2-only"), trust(EC2))
    foreign = make_role(
        iam,
        unique("other-account"),
        trust(ECS_TASKS, StringEquals={"aws:SourceAccount": "999988887777"}),
    )
    for role_arn in (arn, foreign):
        with running_container(server, role_arn, "tok") as (url, _source):
            status, body = http("GET", url, {"Authorization": "tok"})
            assert status == 500 and json.loads(body)["code"] == "AccessDenied"
