"""Calls through the gateway feed the tools that read the trail: Access Advisor (service last
accessed) and Access Analyzer's policy generation, exactly as AWS's own data does.

https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_last-accessed.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-policy-generation.html
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from support.gateway import allow, client, error_of, make_user, policy
from support.live import LiveServer

TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
}


def _wait(call: Any, done: Any) -> Any:
    for _ in range(200):
        out = call()
        if done(out):
            return out
        time.sleep(0.05)
    raise AssertionError("the job did not finish")


def test_gateway_calls_feed_access_advisor_and_policy_generation(server: LiveServer) -> None:
    """A role reads a bucket and a queue through the gateway. Access Advisor then names the
    role as the last to use S3 and SQS (and not DynamoDB, which it may use but did not), and
    a policy generated from the trail grants what the calls needed: ListObjectsV2 is
    s3:ListBucket on the bucket, GetObject s3:GetObject on the object. Action-level Access
    Advisor names the action (ListBucket), not the operation.

    https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_last-accessed-action-last-accessed.html
    """
    iam = server.client("iam")
    suffix = uuid.uuid4().hex[:8]
    bucket = f"feeds-{suffix}"
    root_s3 = server.client("s3")
    root_s3.create_bucket(Bucket=bucket)
    root_s3.put_object(Bucket=bucket, Key="reports/q1.csv", Body=b"a,b\n")
    role = iam.create_role(RoleName=f"feeds-{suffix}", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.put_role_policy(
        RoleName=f"feeds-{suffix}",
        PolicyName="p",
        PolicyDocument=policy(
            allow(["s3:ListBucket", "s3:GetObject", "sqs:*", "dynamodb:GetItem"], "*")
        ),
    )
    start = datetime.now(UTC) - timedelta(minutes=1)
    assumer = make_user(server, f"assumer-{suffix}", allow("sts:AssumeRole", role["Role"]["Arn"]))
    creds = client(server, "sts", assumer.key).assume_role(
        RoleArn=role["Role"]["Arn"], RoleSessionName="reader"
    )["Credentials"]
    s3 = client(server, "s3", creds)
    s3.list_objects_v2(Bucket=bucket, Prefix="reports/")
    s3.get_object(Bucket=bucket, Key="reports/q1.csv")
    assert error_of(lambda: s3.delete_object(Bucket=bucket, Key="reports/q1.csv"))[0] == (
        "AccessDenied"
    )
    sqs = client(server, "sqs", creds)
    url = sqs.create_queue(QueueName=f"feeds-{suffix}")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="hello")
    server.app.recorder.flush()

    job = iam.generate_service_last_accessed_details(Arn=role["Role"]["Arn"])["JobId"]
    details = _wait(
        lambda: iam.get_service_last_accessed_details(JobId=job),
        lambda out: out["JobStatus"] != "IN_PROGRESS",
    )
    services = {s["ServiceNamespace"]: s for s in details["ServicesLastAccessed"]}
    for used in ("s3", "sqs"):
        assert services[used]["LastAuthenticatedEntity"] == role["Role"]["Arn"], used
        assert services[used]["LastAuthenticatedRegion"] == "us-east-1"
        assert services[used]["LastAuthenticated"] >= start
    assert "LastAuthenticated" not in services["dynamodb"]

    analyzer = server.client("accessanalyzer")
    account = server.account_id
    job = analyzer.start_policy_generation(
        policyGenerationDetails={"principalArn": role["Role"]["Arn"]},
        cloudTrailDetails={
            "trails": [{"cloudTrailArn": f"arn:aws:cloudtrail:us-east-1:{account}:trail/t"}],
            "accessRole": f"arn:aws:iam::{account}:role/reader",
            "startTime": start,
            "endTime": datetime.now(UTC) + timedelta(minutes=1),
        },
    )["jobId"]
    out = _wait(
        lambda: analyzer.get_generated_policy(jobId=job),
        lambda out: out["jobDetails"]["status"] != "IN_PROGRESS",
    )
    assert out["jobDetails"]["status"] == "SUCCEEDED"
    statements = [
        s
        for p in out["generatedPolicyResult"]["generatedPolicies"]
        for s in json.loads(p["policy"])["Statement"]
    ]
    resources = {a: s["Resource"] for s in statements for a in s["Action"]}
    assert resources["s3:ListBucket"] == f"arn:aws:s3:::{bucket}"
    assert resources["s3:GetObject"] == f"arn:aws:s3:::{bucket}/reports/q1.csv"
    # The denied delete is access the workload asked for: generation keeps it (iamd's rule).
    assert resources["s3:DeleteObject"] == f"arn:aws:s3:::{bucket}/reports/q1.csv"
    assert {"sqs:CreateQueue", "sqs:SendMessage"} <= set(resources)
    assert "s3:ListObjectsV2" not in resources  # an operation, not an action
    assert not any(a.startswith("dynamodb:") for a in resources)

    job = iam.generate_service_last_accessed_details(
        Arn=role["Role"]["Arn"], Granularity="ACTION_LEVEL"
    )["JobId"]
    details = _wait(
        lambda: iam.get_service_last_accessed_details(JobId=job),
        lambda out: out["JobStatus"] != "IN_PROGRESS",
    )
    services = {s["ServiceNamespace"]: s for s in details["ServicesLastAccessed"]}
    tracked = {a["ActionName"]: a for a in services["s3"].get("TrackedActionsLastAccessed", [])}
    assert tracked["ListBucket"]["LastAccessedEntity"] == role["Role"]["Arn"]
    assert "GetObject" not in tracked  # S3 data events are not tracked, as on AWS
