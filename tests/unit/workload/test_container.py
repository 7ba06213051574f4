"""The ECS container credentials endpoint as a function of the request.

https://docs.aws.amazon.com/sdkref/latest/guide/feature-container-credentials.html
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from iamd.workload.container import ContainerCredentials, TaskRoleSource
from iamd.workload.delegation import ECS_TASKS

ROLE_ARN = "arn:aws:iam::111122223333:role/task-role"


class FakeSts:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def assume_role(self, **params: Any) -> dict[str, Any]:
        self.calls.append(params)
        return {
            "Credentials": {
                "AccessKeyId": "ASIAFAKE000000000001",
                "SecretAccessKey": "secret",
                "SessionToken": "token",
                "Expiration": datetime(2030, 1, 1, tzinfo=UTC) + timedelta(hours=1),
            }
        }


def make() -> tuple[ContainerCredentials, FakeSts]:
    sts = FakeSts()
    source = TaskRoleSource(sts, ROLE_ARN, "us-east-1", task_id="0f1e2d3c")
    return ContainerCredentials(source, "s3cret-token", path="/v2/credentials"), sts


def test_the_credentials_document_is_ecs_shape() -> None:
    endpoint, sts = make()
    response = endpoint.handle("GET", "/v2/credentials", {"authorization": "s3cret-token"})
    assert response.status == 200 and response.content_type == "application/json"
    assert json.loads(response.body) == {
        "RoleArn": ROLE_ARN,
        "AccessKeyId": "ASIAFAKE000000000001",
        "SecretAccessKey": "secret",
        "Token": "token",
        "Expiration": "2030-01-01T01:00:00Z",
    }
    (call,) = sts.calls
    assert call["RoleSessionName"] == "0f1e2d3c"
    assertion = json.loads(call["ProvidedContexts"][0]["ContextAssertion"])
    assert assertion == {
        "service": ECS_TASKS,
        "sourceArn": "arn:aws:ecs:us-east-1:111122223333:task/iamd/0f1e2d3c",
    }


def test_the_authorization_token_is_required_and_checked() -> None:
    endpoint, sts = make()
    assert endpoint.handle("GET", "/v2/credentials", {}).status == 401
    assert endpoint.handle("GET", "/v2/credentials", {"authorization": "guess"}).status == 403
    assert endpoint.handle("GET", "/v2/other", {"authorization": "s3cret-token"}).status == 404
    assert (
        endpoint.handle("PUT", "/v2/credentials", {"authorization": "s3cret-token"}).status == 405
    )
    assert sts.calls == []  # nothing was fetched for a refused request


@pytest.mark.parametrize("token", ["", "two\nlines"])
def test_a_token_must_be_one_nonempty_line(token: str) -> None:
    with pytest.raises(ValueError):
        ContainerCredentials(TaskRoleSource(FakeSts(), ROLE_ARN, "us-east-1"), token)
