"""The instance metadata service as a function of the request: IMDSv2 sessions, the metadata
tree, and the credential documents, with fake IAM and STS clients.

https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-service.html
https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-data-retrieval.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_iam-ec2.html
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from iamd.workload.delegation import EC2, PROVIDER_ARN
from iamd.workload.imds import Imds, Instance, InstanceProfileSource

ACCOUNT = "111122223333"
PROFILE_ARN = f"arn:aws:iam::{ACCOUNT}:instance-profile/web"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/web-role"


def client_error(code: str, message: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "Op")


class FakeIam:
    def __init__(self) -> None:
        self.roles: list[dict[str, str]] = [{"Arn": ROLE_ARN, "RoleName": "web-role"}]
        self.exists = True

    def get_instance_profile(self, InstanceProfileName: str) -> dict[str, Any]:  # noqa: N803
        if not self.exists:
            raise client_error(
                "NoSuchEntity", f"Instance Profile {InstanceProfileName} cannot be found."
            )
        return {
            "InstanceProfile": {
                "Arn": PROFILE_ARN,
                "InstanceProfileId": "AIPAEXAMPLE0000000001",
                "Roles": self.roles,
            }
        }


class FakeSts:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.denied = False

    def assume_role(self, **params: Any) -> dict[str, Any]:
        self.calls.append(params)
        if self.denied:
            raise client_error("AccessDenied", "not authorized to perform: sts:AssumeRole")
        n = len(self.calls)
        return {
            "Credentials": {
                "AccessKeyId": f"ASIAFAKE{n:012d}",
                "SecretAccessKey": "secret",
                "SessionToken": "token",
                "Expiration": datetime.now(UTC) + timedelta(hours=1),
            }
        }


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def make(imdsv1: bool = False) -> tuple[Imds, FakeIam, FakeSts, Clock]:
    iam, sts, clock = FakeIam(), FakeSts(), Clock()
    instance = Instance.new("eu-west-1", "i-0123456789abcdef0")
    source = InstanceProfileSource(iam, sts, "web", instance)
    return Imds(source, imdsv1=imdsv1, clock=clock), iam, sts, clock


def token_of(imds: Imds, ttl: str = "21600") -> str:
    response = imds.handle(
        "PUT", "/latest/api/token", {"x-aws-ec2-metadata-token-ttl-seconds": ttl}
    )
    assert response.status == 200
    assert response.headers["x-aws-ec2-metadata-token-ttl-seconds"] == ttl
    return response.body.decode()


def get(imds: Imds, path: str, token: str | None) -> tuple[int, str]:
    headers = {} if token is None else {"x-aws-ec2-metadata-token": token}
    response = imds.handle("GET", path, headers)
    return response.status, response.body.decode()


def test_imdsv2_requires_a_session_token_and_v1_only_when_allowed() -> None:
    imds, *_ = make()
    assert get(imds, "/latest/meta-data/instance-id", None)[0] == 401
    token = token_of(imds)
    assert get(imds, "/latest/meta-data/instance-id", token) == (200, "i-0123456789abcdef0")
    assert get(imds, "/latest/meta-data/instance-id", "forged")[0] == 401
    v1, *_ = make(imdsv1=True)
    assert get(v1, "/latest/meta-data/instance-id", None) == (200, "i-0123456789abcdef0")
    # A token, once presented, must be valid even where IMDSv1 is allowed.
    assert get(v1, "/latest/meta-data/instance-id", "forged")[0] == 401
    assert get(v1, "/latest/meta-data/instance-id", token)[0] == 401  # another instance's


@pytest.mark.parametrize("ttl", ["", "0", "21601", "-5", "ten"])
def test_a_token_request_needs_a_ttl_of_one_second_to_six_hours(ttl: str) -> None:
    imds, *_ = make()
    headers = {"x-aws-ec2-metadata-token-ttl-seconds": ttl} if ttl else {}
    assert imds.handle("PUT", "/latest/api/token", headers).status == 400


def test_token_requests_through_a_proxy_or_to_a_versioned_path_are_forbidden() -> None:
    imds, *_ = make()
    ttl = {"x-aws-ec2-metadata-token-ttl-seconds": "60"}
    assert (
        imds.handle("PUT", "/latest/api/token", {**ttl, "x-forwarded-for": "10.0.0.1"}).status
        == 403
    )
    assert imds.handle("PUT", "/2021-03-23/api/token", ttl).status == 403
    assert imds.handle("POST", "/latest/meta-data/", {}).status == 405


def test_a_token_expires_after_its_ttl() -> None:
    imds, _, _, clock = make()
    token = token_of(imds, "60")
    clock.now += 59
    assert get(imds, "/latest/meta-data/instance-id", token)[0] == 200
    clock.now += 1
    assert get(imds, "/latest/meta-data/instance-id", token)[0] == 401


def test_the_metadata_tree_lists_categories_and_answers_404_elsewhere() -> None:
    imds, *_ = make()
    token = token_of(imds)
    status, listing = get(imds, "/latest/meta-data/", token)
    assert status == 200
    assert {"iam/", "instance-id", "placement/", "local-ipv4"} <= set(listing.split("\n"))
    assert get(imds, "/latest/meta-data/iam", token) == (200, "info\nsecurity-credentials/")
    assert get(imds, "/latest/meta-data/placement/region", token) == (200, "eu-west-1")
    assert get(imds, "/latest/meta-data/placement/availability-zone", token) == (200, "eu-west-1a")
    assert get(imds, "/latest/meta-data/no-such-thing", token)[0] == 404
    assert get(imds, "/1999-01-01/meta-data/", token)[0] == 404
    identity = json.loads(get(imds, "/latest/dynamic/instance-identity/document", token)[1])
    assert identity["accountId"] == ACCOUNT and identity["region"] == "eu-west-1"
    assert identity["instanceId"] == "i-0123456789abcdef0"


def test_iam_info_and_the_role_credentials_document() -> None:
    imds, _, sts, _ = make()
    token = token_of(imds)
    info = json.loads(get(imds, "/latest/meta-data/iam/info", token)[1])
    assert info["Code"] == "Success"
    assert (info["InstanceProfileArn"], info["InstanceProfileId"]) == (
        PROFILE_ARN,
        "AIPAEXAMPLE0000000001",
    )
    assert get(imds, "/latest/meta-data/iam/security-credentials/", token) == (200, "web-role")
    status, body = get(imds, "/latest/meta-data/iam/security-credentials/web-role", token)
    document = json.loads(body)
    assert status == 200
    assert set(document) == {
        "Code",
        "LastUpdated",
        "Type",
        "AccessKeyId",
        "SecretAccessKey",
        "Token",
        "Expiration",
    }
    assert (document["Code"], document["Type"]) == ("Success", "AWS-HMAC")
    assert document["Expiration"].endswith("Z") and document["AccessKeyId"].startswith("ASIA")
    assert get(imds, "/latest/meta-data/iam/security-credentials/other-role", token)[0] == 404
    # The role is assumed as EC2, for this instance, with its instance profile named.
    (call,) = sts.calls
    assert call["RoleArn"] == ROLE_ARN and call["RoleSessionName"] == "i-0123456789abcdef0"
    (context,) = call["ProvidedContexts"]
    assertion = json.loads(context["ContextAssertion"])
    assert context["ProviderArn"] == PROVIDER_ARN
    assert assertion == {
        "service": EC2,
        "instanceProfileArn": PROFILE_ARN,
        "sourceArn": f"arn:aws:ec2:eu-west-1:{ACCOUNT}:instance/i-0123456789abcdef0",
    }
    get(imds, "/latest/meta-data/iam/security-credentials/web-role", token)
    assert len(sts.calls) == 1  # served from the cache until the refresh point


def test_a_role_ec2_may_not_assume_is_reported_as_aws_does() -> None:
    imds, _, sts, _ = make()
    sts.denied = True
    token = token_of(imds)
    status, body = get(imds, "/latest/meta-data/iam/security-credentials/web-role", token)
    document = json.loads(body)
    assert status == 200 and document["Code"] == "AssumeRoleUnauthorizedAccess"
    assert "AccessKeyId" not in document


def test_a_deleted_profile_and_an_empty_one() -> None:
    imds, iam, _, _ = make()
    token = token_of(imds)
    iam.roles = []
    info = json.loads(get(imds, "/latest/meta-data/iam/info", token)[1])
    assert info["Code"] == "Success" and "does not contain a role" in info["Message"]
    assert get(imds, "/latest/meta-data/iam/security-credentials/", token)[0] == 404
    fresh, iam2, _, _ = make()
    iam2.exists = False
    token = token_of(fresh)
    info = json.loads(get(fresh, "/latest/meta-data/iam/info", token)[1])
    assert info["Code"] == "InstanceProfileNotFound"
