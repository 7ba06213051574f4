"""Services other than S3 through the gateway: the operation's action is
``{prefix}:{Operation}`` from botocore's model and the catalog, the resource the ARN the request
names, request tags ``aws:RequestTag/*``; a denial is the service's own error format.

https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html (UnauthorizedOperation)
https://docs.aws.amazon.com/STS/latest/APIReference/API_DecodeAuthorizationMessage.html
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from support.gateway import allow, client, error_of, gateway_events, make_user
from support.live import ROOT_KEY, ROOT_SECRET, LiveServer


def name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def test_ec2_denial_is_encoded_and_decodes(server: LiveServer) -> None:
    """EC2 answers UnauthorizedOperation with an encoded message that
    sts:DecodeAuthorizationMessage turns back into the decision."""
    user = make_user(
        server,
        name("ec2-user"),
        allow("ec2:DescribeInstances"),
        allow("sts:DecodeAuthorizationMessage"),
    )
    ec2 = client(server, "ec2", user.key)
    assert ec2.describe_instances()["Reservations"] == []
    code, message, status = error_of(lambda: ec2.describe_vpcs())
    assert (code, status) == ("UnauthorizedOperation", 403)
    assert message.startswith("You are not authorized to perform this operation. ")
    encoded = message.split("Encoded authorization failure message: ", 1)[1]
    decoded = json.loads(
        client(server, "sts", user.key).decode_authorization_message(EncodedMessage=encoded)[
            "DecodedMessage"
        ]
    )
    assert decoded["allowed"] is False and decoded["explicitDeny"] is False
    assert decoded["context"]["action"] == "DescribeVpcs"
    assert decoded["context"]["principal"]["arn"] == user.arn


def test_dynamodb_table_arn_is_the_resource(server: LiveServer) -> None:
    """DynamoDB actions name the table ARN from TableName; denials are json
    AccessDeniedException."""
    table = name("table")
    other = name("other")
    root = server.client("dynamodb")
    for t in (table, other):
        root.create_table(
            TableName=t,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    arn = f"arn:aws:dynamodb:us-east-1:{server.account_id}:table/{table}"
    # The embedded backend answers in iamd's account: its ARNs are the ones policies name.
    assert root.describe_table(TableName=table)["Table"]["TableArn"] == arn
    user = make_user(server, name("ddb"), allow(["dynamodb:PutItem", "dynamodb:GetItem"], arn))
    ddb = client(server, "dynamodb", user.key)
    ddb.put_item(TableName=table, Item={"id": {"S": "1"}, "v": {"S": "one"}})
    assert ddb.get_item(TableName=table, Key={"id": {"S": "1"}})["Item"]["v"] == {"S": "one"}
    other_arn = f"arn:aws:dynamodb:us-east-1:{server.account_id}:table/{other}"
    assert error_of(lambda: ddb.put_item(TableName=other, Item={"id": {"S": "1"}})) == (
        "AccessDeniedException",
        f"User: {user.arn} is not authorized to perform: dynamodb:PutItem on resource: "
        f"{other_arn} because no identity-based policy allows the dynamodb:PutItem action",
        400,
    )


def test_sqs_request_tags_are_condition_keys(server: LiveServer) -> None:
    """aws:RequestTag/* holds the tags a CreateQueue asks for.

    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-requesttag
    """
    user = make_user(
        server,
        name("sqs"),
        allow("sqs:CreateQueue", Condition={"StringEquals": {"aws:RequestTag/team": "blue"}}),
    )
    sqs = client(server, "sqs", user.key)
    assert sqs.create_queue(QueueName=name("q"), tags={"team": "blue"})["QueueUrl"]
    code, message, _ = error_of(lambda: sqs.create_queue(QueueName=name("q"), tags={"team": "red"}))
    assert code == "AccessDenied" and "sqs:CreateQueue" in message


def test_sns_query_denial_and_audit(server: LiveServer) -> None:
    """A query service answers AuthorizationError (SNS's denial code) in <ErrorResponse> XML, and
    the call is an audit event of sns.amazonaws.com."""
    user = make_user(server, name("sns"))
    sns = client(server, "sns", user.key)
    code, message, status = error_of(lambda: sns.list_topics())
    assert (code, status) == ("AuthorizationError", 403) and "sns:ListTopics" in message
    events = [
        e
        for e in gateway_events(server, "sns.amazonaws.com")
        if e["userIdentity"].get("userName") == user.name
    ]
    assert [(e["eventName"], e["errorCode"]) for e in events] == [
        ("ListTopics", "AuthorizationError")
    ]


def test_unknown_operation_is_denied_naming_it(server: LiveServer) -> None:
    """An operation the model does not have is never forwarded."""
    body = b"{}"
    request = AWSRequest(
        method="POST",
        url=server.url + "/",
        data=body,
        headers={
            "X-Amz-Target": "DynamoDB_20120810.NoSuchOperation",
            "Content-Type": "application/x-amz-json-1.0",
        },
    )
    SigV4Auth(Credentials(ROOT_KEY, ROOT_SECRET), "dynamodb", "us-east-1").add_auth(request)
    prepared = request.prepare()
    raw = urllib.request.Request(
        prepared.url, data=body, method="POST", headers=dict(prepared.headers)
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(raw, timeout=30)
    answer = json.loads(refused.value.read())
    assert refused.value.code == 400
    assert answer["__type"] == "AccessDeniedException"
    assert "cannot map dynamodb:NoSuchOperation" in answer["message"]


def test_ec2_resource_tags_are_read_from_the_backend(server: LiveServer) -> None:
    """ec2:ResourceTag/<key> is the tag the instance has (read with DescribeTags).

    https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/control-access-with-iam.html
    """
    root = server.client("ec2")
    image = root.describe_images()["Images"][0]["ImageId"]
    ids = [
        i["InstanceId"]
        for i in root.run_instances(ImageId=image, MinCount=2, MaxCount=2)["Instances"]
    ]
    root.create_tags(Resources=[ids[0]], Tags=[{"Key": "team", "Value": "blue"}])
    root.create_tags(Resources=[ids[1]], Tags=[{"Key": "team", "Value": "red"}])
    user = make_user(
        server,
        name("operator"),
        allow(
            "ec2:StopInstances",
            Condition={"StringEquals": {"ec2:ResourceTag/team": "blue"}},
        ),
    )
    ec2 = client(server, "ec2", user.key)
    assert ec2.stop_instances(InstanceIds=[ids[0]])["StoppingInstances"][0]["InstanceId"] == ids[0]
    code, message, status = error_of(lambda: ec2.stop_instances(InstanceIds=[ids[1]]))
    assert (code, status) == ("UnauthorizedOperation", 403)
    assert f"instance/{ids[1]}" in message


def test_an_arn_naming_another_account_needs_that_accounts_consent(server: LiveServer) -> None:
    """The backend behind the gateway is one account, but an ARN the caller writes with
    another account's id is a cross-account request to iamd: the caller's identity policy
    alone does not allow it (no resource policy of that account grants it), even with
    ``Resource: *``. Written with its own account, the same call is allowed.

    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
    """
    topic = server.client("sns").create_topic(Name=name("xacct"))["TopicArn"]
    user = make_user(server, name("publisher"), allow("sns:Publish"))
    sns = client(server, "sns", user.key)
    sns.publish(TopicArn=topic, Message="own account")
    foreign = topic.replace(f":{server.account_id}:", ":999988887777:")
    code, message, status = error_of(lambda: sns.publish(TopicArn=foreign, Message="x"))
    assert (code, status) == ("AuthorizationError", 403)
    assert f"sns:Publish on resource: {foreign}" in message
