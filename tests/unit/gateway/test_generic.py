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


def test_tagging_operations_name_the_resource_they_tag() -> None:
    """TagResource names its resource under a generic member (``ResourceArn``, Lambda's
    ``{ARN}`` in the URI): when that ARN is one of the action's resource types, it is the
    resource, so a policy on the table or function governs who may retag it.
    https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html"""
    table = "arn:aws:dynamodb:eu-west-1:111122223333:table/orders"
    body = json.dumps({"ResourceArn": table, "Tags": [{"Key": "team", "Value": "blue"}]})
    headers = {"x-amz-target": "DynamoDB_20120810.TagResource"}
    found = mapped("dynamodb", headers=headers, body=body.encode())
    assert found[1] == [("dynamodb:TagResource", table)]
    assert found[2]["aws:RequestTag/team"] == "blue"
    function = "arn:aws:lambda:eu-west-1:111122223333:function:my-fn"
    assert mapped("lambda", method="GET", path=f"/2017-03-31/tags/{function}")[1] == [
        ("lambda:ListTags", function)
    ]
    # An ARN of another service is not taken for the resource.
    body = json.dumps({"ResourceArn": "arn:aws:sqs:eu-west-1:111122223333:q", "Tags": []})
    assert mapped("dynamodb", headers=headers, body=body.encode())[1] == [
        ("dynamodb:TagResource", "*")
    ]


def test_a_name_member_holding_an_arn_is_the_arn() -> None:
    """Secrets Manager's SecretId, Lambda's FunctionName and KMS's KeyId take a name or an ARN;
    json members may be camelCase (``logGroupName``, ``stateMachineArn``)."""
    secret = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-AbCdEf"
    headers = {"x-amz-target": "secretsmanager.GetSecretValue"}
    body = json.dumps({"SecretId": secret}).encode()
    assert mapped("secretsmanager", headers=headers, body=body)[1] == [
        ("secretsmanager:GetSecretValue", secret)
    ]
    body = json.dumps({"SecretId": "db"}).encode()
    assert mapped("secretsmanager", headers=headers, body=body)[1] == [
        (
            "secretsmanager:GetSecretValue",
            "arn:aws:secretsmanager:eu-west-1:111122223333:secret:db",
        )
    ]
    headers = {"x-amz-target": "Logs_20140328.PutRetentionPolicy"}
    body = json.dumps({"logGroupName": "/app/web", "retentionInDays": 7}).encode()
    assert mapped("logs", headers=headers, body=body)[1] == [
        ("logs:PutRetentionPolicy", "arn:aws:logs:eu-west-1:111122223333:log-group:/app/web")
    ]
    machine = "arn:aws:states:eu-west-1:111122223333:stateMachine:flow"
    headers = {"x-amz-target": "AWSStepFunctions.StartExecution"}
    body = json.dumps({"stateMachineArn": machine}).encode()
    assert mapped("states", headers=headers, body=body)[1] == [("states:StartExecution", machine)]
