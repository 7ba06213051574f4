"""Mapping requests to services other than S3: operation from the wire, action from the
catalog, resource ARN from the request, request tags as condition keys."""

from __future__ import annotations

import json

import pytest

from iamd.gateway.generic import map_request
from iamd.gateway.s3_actions import UnmappedOperationError
from iamd.gateway.services import service_info


def mapped(service: str, **request: object) -> tuple[str, list[tuple[str, str]], dict[str, object]]:
    info = service_info(service)
    assert info is not None
    result = map_request(
        info,
        str(request.get("method", "POST")),
        str(request.get("path", "/")),
        str(request.get("query", "")),
        dict(request.get("headers", {})),  # type: ignore[call-overload]
        bytes(request.get("body", b"")),  # type: ignore[call-overload]
        "eu-west-1",
        "111122223333",
    )
    return (
        result.operation,
        [(c.action, c.resource) for c in result.checks],
        result.checks[0].context,
    )


def test_json_target_and_table_arn() -> None:
    body = json.dumps({"TableName": "orders", "Item": {}}).encode()
    headers = {"x-amz-target": "DynamoDB_20120810.PutItem"}
    assert mapped("dynamodb", headers=headers, body=body)[:2] == (
        "PutItem",
        [("dynamodb:PutItem", "arn:aws:dynamodb:eu-west-1:111122223333:table/orders")],
    )


def test_query_action_with_one_check_per_listed_instance() -> None:
    body = b"Action=TerminateInstances&Version=2016-11-15&InstanceId.1=i-1&InstanceId.2=i-2"
    headers = {"content-type": "application/x-www-form-urlencoded"}
    operation, found, _ = mapped("ec2", headers=headers, body=body)
    assert operation == "TerminateInstances"
    assert found == [
        ("ec2:TerminateInstances", "arn:aws:ec2:eu-west-1:111122223333:instance/i-1"),
        ("ec2:TerminateInstances", "arn:aws:ec2:eu-west-1:111122223333:instance/i-2"),
    ]
    # No resource-level permissions: "*".
    body = b"Action=DescribeInstances&Version=2016-11-15"
    assert mapped("ec2", headers=headers, body=body)[1] == [("ec2:DescribeInstances", "*")]


def test_queue_url_and_request_tags() -> None:
    body = json.dumps({"QueueUrl": "http://backend/123456789012/jobs", "MessageBody": "x"})
    headers = {"x-amz-target": "AmazonSQS.SendMessage"}
    assert mapped("sqs", headers=headers, body=body.encode())[1] == [
        ("sqs:SendMessage", "arn:aws:sqs:eu-west-1:111122223333:jobs")
    ]
    body = json.dumps({"QueueName": "q", "tags": {"team": "blue"}})
    headers = {"x-amz-target": "AmazonSQS.CreateQueue"}
    context = mapped("sqs", headers=headers, body=body.encode())[2]
    assert context == {"aws:RequestTag/team": "blue", "aws:TagKeys": ["team"]}
    body = (
        b"Action=RunInstances&TagSpecification.1.ResourceType=instance"
        b"&TagSpecification.1.Tag.1.Key=env&TagSpecification.1.Tag.1.Value=prod"
    )
    context = mapped(
        "ec2", headers={"content-type": "application/x-www-form-urlencoded"}, body=body
    )[2]
    assert context["aws:RequestTag/env"] == "prod"


def test_rest_json_uri_template() -> None:
    operation, found, _ = mapped("lambda", method="GET", path="/2015-03-31/functions/my-fn")
    assert operation == "GetFunction"
    assert found == [("lambda:GetFunction", "arn:aws:lambda:eu-west-1:111122223333:function:my-fn")]


@pytest.mark.parametrize(
    "headers",
    [{"x-amz-target": "DynamoDB_20120810.NoSuchOperation"}, {}],
)
def test_unmappable_requests_raise(headers: dict[str, str]) -> None:
    with pytest.raises(UnmappedOperationError):
        mapped("dynamodb", headers=headers, body=b"{}")


def test_operations_authorized_under_another_action_name() -> None:
    """Lambda's Invoke is authorized as ``lambda:InvokeFunction``: the service authorization
    reference lists no ``lambda:Invoke`` action.
    https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslambda.html"""
    operation, found, _ = mapped(
        "lambda", method="POST", path="/2015-03-31/functions/my-fn/invocations"
    )
    assert operation == "Invoke"
    assert found == [
        ("lambda:InvokeFunction", "arn:aws:lambda:eu-west-1:111122223333:function:my-fn")
    ]
