"""Resource-based policies for the gateway's other services: which resources have one, how the
backend's answers are read, cached and dropped, and the root user's rule.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from iamd.gateway.calls import Answer
from iamd.gateway.resource_policies import (
    ResourcePolicies,
    Target,
    changes_policy,
    holder,
    lambda_principals,
    localize,
    settle,
)
from iamd.gateway.resource_tags import Arn
from iamd.gateway.s3_actions import Check
from iamd.policy import Decision, Outcome
from iamd.services.caller import Caller

ACCOUNT = "111122223333"
OTHER = "444455556666"
BACKEND = ACCOUNT
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd"
QUEUE = f"arn:aws:sqs:us-east-1:{ACCOUNT}:jobs"


def arn(text: str) -> Arn:
    parsed = Arn.parse(text)
    assert parsed is not None
    return parsed


def default_key_policy(account: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Id": "key-default-1",
            "Statement": [
                {
                    "Sid": "Enable IAM User Permissions",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
        }
    )


# Pure pieces ---------------------------------------------------------------------------------


def test_which_resources_have_a_policy() -> None:
    assert holder(arn(KEY)) == arn(KEY)
    assert holder(arn(f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/app")) is not None
    assert holder(arn(QUEUE)) == arn(QUEUE)
    topic = f"arn:aws:sns:us-east-1:{ACCOUNT}:news"
    assert holder(arn(topic)) == arn(topic)
    assert holder(arn(f"{topic}:0f0e8f1e-1111-2222-3333-444455556666")) is None  # subscription
    function = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:fn"
    assert holder(arn(function)) == arn(function)
    assert holder(arn(f"{function}:$LATEST")) == arn(function)  # $LATEST is the function
    assert holder(arn(f"{function}:prod")) == arn(f"{function}:prod")  # an alias's own
    secret = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:db-AbCdEf"
    assert holder(arn(secret)) == arn(secret)
    for other in (
        f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/t",
        f"arn:aws:lambda:us-east-1:{ACCOUNT}:layer:l:1",
        f"arn:aws:sns:us-east-1:{ACCOUNT}:app/GCM/x",
    ):
        assert holder(arn(other)) is None


def test_the_backends_account_is_read_as_the_owners() -> None:
    document = {
        "Statement": [
            {
                "Principal": {"AWS": [f"arn:aws:iam::{BACKEND}:root", "999988887777"]},
                "Resource": f"arn:aws:sqs:us-east-1:{BACKEND}:q",
                "Condition": {"StringEquals": {"AWS:SourceOwner": BACKEND}},
            }
        ]
    }
    statement = localize(document, BACKEND, OTHER)["Statement"][0]
    assert statement["Principal"] == {"AWS": [f"arn:aws:iam::{OTHER}:root", "999988887777"]}
    assert statement["Resource"] == f"arn:aws:sqs:us-east-1:{OTHER}:q"
    assert statement["Condition"] == {"StringEquals": {"AWS:SourceOwner": OTHER}}


def test_lambda_principals_take_the_form_aws_stores() -> None:
    """AddPermission's Principal, as GetPolicy answers on AWS: an account is its root."""
    document = json.dumps(
        {
            "Statement": [
                {"Sid": "a", "Principal": OTHER},
                {"Sid": "b", "Principal": "s3.amazonaws.com"},
                {"Sid": "c", "Principal": f"arn:aws:iam::{OTHER}:role/r"},
                {"Sid": "d", "Principal": "*"},
                {"Sid": "e", "Principal": {"Service": "sns.amazonaws.com"}},
            ]
        }
    )
    got = [s["Principal"] for s in json.loads(lambda_principals(document))["Statement"]]
    assert got == [
        {"AWS": f"arn:aws:iam::{OTHER}:root"},
        {"Service": "s3.amazonaws.com"},
        {"AWS": f"arn:aws:iam::{OTHER}:role/r"},
        "*",
        {"Service": "sns.amazonaws.com"},
    ]
    assert lambda_principals("not json") == "not json"


def test_which_calls_change_a_policy() -> None:
    for operation, action in (
        ("PutKeyPolicy", "kms:PutKeyPolicy"),
        ("SetQueueAttributes", "sqs:SetQueueAttributes"),
        ("SetTopicAttributes", "sns:SetTopicAttributes"),
        ("AddPermission", "lambda:AddPermission"),
        ("RemovePermission", "sqs:RemovePermission"),
        ("PutResourcePolicy", "secretsmanager:PutResourcePolicy"),
        ("DeleteResourcePolicy", "secretsmanager:DeleteResourcePolicy"),
        ("DeleteQueue", "sqs:DeleteQueue"),
        ("DeleteTopic", "sns:DeleteTopic"),
        ("DeleteFunction", "lambda:DeleteFunction"),
        ("DeleteSecret", "secretsmanager:DeleteSecret"),
        ("UpdateAlias", "kms:UpdateAlias"),
    ):
        assert changes_policy(operation, action), operation
    for operation, action in (
        ("SendMessage", "sqs:SendMessage"),
        ("DeleteMessage", "sqs:DeleteMessage"),
        ("Encrypt", "kms:Encrypt"),
        ("GetKeyPolicy", "kms:GetKeyPolicy"),
        ("Publish", "sns:Publish"),
    ):
        assert not changes_policy(operation, action), operation


def test_root_may_do_what_no_policy_denies_except_on_a_key() -> None:
    root = Caller("Root", f"arn:aws:iam::{ACCOUNT}:root", ACCOUNT, ACCOUNT, "", "AKIA")
    user = Caller("IAMUser", f"arn:aws:iam::{ACCOUNT}:user/u", ACCOUNT, "AIDA", "u", "AKIA")
    implicit = Decision(Outcome.IMPLICIT_DENY, None)
    explicit = Decision(Outcome.EXPLICIT_DENY, None)
    policy = ResourcePoliciesHarness.parsed_policy()
    queue = Target(QUEUE, ACCOUNT, policy)
    assert settle(root, queue, implicit).allowed
    assert not settle(root, queue, explicit).allowed
    assert not settle(user, queue, implicit).allowed
    assert not settle(root, Target(QUEUE, OTHER, policy), implicit).allowed  # not its account
    assert not settle(root, Target(KEY, ACCOUNT, policy, key_policy=True), implicit).allowed


# The cache -----------------------------------------------------------------------------------


class ResourcePoliciesHarness:
    """A :class:`ResourcePolicies` over a fake backend that records its calls."""

    def __init__(self, answers: dict[str, Answer] | None = None) -> None:
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self.answers = answers or {}
        self.policies = ResourcePolicies(self.call, self.account, self.url)

    @staticmethod
    def parsed_policy() -> Any:
        from iamd.policy import PolicyKind, parse_policy

        return parse_policy(default_key_policy(ACCOUNT), PolicyKind.RESOURCE, "p")

    async def call(
        self, signing_name: str, operation: str, params: dict[str, Any], region: str
    ) -> Answer:
        self.calls.append((signing_name, operation, params))
        answer = self.answers.get(operation)
        if answer is not None:
            return answer
        if operation == "GetKeyPolicy":
            return Answer(200, {"Policy": default_key_policy(BACKEND)})
        if operation == "DescribeKey":
            return Answer(200, {"KeyMetadata": {"Arn": KEY}})
        if operation == "GetQueueAttributes":
            return Answer(200, {"Attributes": {}})
        raise AssertionError(operation)

    async def account(self, region: str) -> str | None:
        return BACKEND

    async def url(self) -> str:
        return "http://backend:5000"

    def lookup(self, *resources: str, action: str = "kms:Encrypt") -> Any:
        checks = [Check(action, r, None) for r in resources]
        return asyncio.run(self.policies.lookup(checks, "us-east-1"))


def test_a_key_policy_is_read_once_and_kept() -> None:
    harness = ResourcePoliciesHarness()
    found = harness.lookup(KEY)
    target = found.target(Check("kms:Encrypt", KEY, None))
    assert target.policy is not None and target.key_policy and not target.unknown
    assert target.account == ACCOUNT and target.resource == KEY
    harness.lookup(KEY)
    assert harness.calls == [
        ("kms", "GetKeyPolicy", {"KeyId": KEY, "PolicyName": "default"}),
    ]
    # No resource with a policy: no work at all.
    assert harness.lookup("*", f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/t").targets == {}
    assert len(harness.calls) == 1


def test_another_accounts_key_is_read_in_the_backends_account() -> None:
    """The request names the key in its owner's account; the backend holds it in its own, and
    the default policy it wrote names its account where the owner's belongs."""
    harness = ResourcePoliciesHarness()
    theirs = KEY.replace(ACCOUNT, OTHER)
    target = harness.lookup(theirs).target(Check("kms:Encrypt", theirs, None))
    assert harness.calls[0][2]["KeyId"] == KEY
    assert target.account == OTHER and target.policy is not None
    statement = target.policy.statements[0]
    assert statement.principal is not None
    assert f"arn:aws:iam::{OTHER}:root" in statement.principal.aws


def test_an_alias_resolves_to_its_key() -> None:
    harness = ResourcePoliciesHarness()
    for alias in (
        f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/app",
        f"arn:aws:kms:us-east-1:{ACCOUNT}:key/alias/app",  # a KeyId of alias/app
    ):
        target = harness.lookup(alias).target(Check("kms:Encrypt", alias, None))
        assert target.resource == KEY and target.policy is not None
    assert [c[1] for c in harness.calls] == ["DescribeKey", "GetKeyPolicy", "DescribeKey"]
    assert harness.calls[0][2] == {"KeyId": "alias/app"}


def test_a_successful_policy_write_drops_the_entry_at_once() -> None:
    harness = ResourcePoliciesHarness()
    harness.lookup(KEY)
    write = [Check("kms:PutKeyPolicy", KEY, None)]
    harness.policies.after("PutKeyPolicy", write, 400)  # refused: nothing changed
    harness.lookup(KEY)
    assert len(harness.calls) == 1
    harness.policies.after("PutKeyPolicy", write, 200)
    harness.lookup(KEY)
    assert len(harness.calls) == 2
    harness.policies.after("Encrypt", [Check("kms:Encrypt", KEY, None)], 200)
    harness.lookup(KEY)
    assert len(harness.calls) == 2


def test_lambda_permission_changes_drop_every_qualifier() -> None:
    function = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:fn"
    harness = ResourcePoliciesHarness({"GetPolicy": Answer(404, {"Error": {"Code": "x"}})})
    harness.lookup(function, f"{function}:prod", action="lambda:InvokeFunction")
    assert [c[2] for c in harness.calls] == [
        {"FunctionName": function},
        {"FunctionName": function, "Qualifier": "prod"},
    ]
    harness.policies.after("AddPermission", [Check("lambda:AddPermission", function, None)], 201)
    harness.lookup(function, f"{function}:prod", action="lambda:InvokeFunction")
    assert len(harness.calls) == 4


def test_a_queue_is_read_by_its_url_in_the_backends_account() -> None:
    harness = ResourcePoliciesHarness()
    theirs = QUEUE.replace(ACCOUNT, OTHER)
    target = harness.lookup(theirs, action="sqs:SendMessage").target(
        Check("sqs:SendMessage", theirs, None)
    )
    assert target.policy is None and not target.unknown and target.account == OTHER
    assert harness.calls == [
        (
            "sqs",
            "GetQueueAttributes",
            {"QueueUrl": f"http://backend:5000/{BACKEND}/jobs", "AttributeNames": ["Policy"]},
        )
    ]


def test_failures_and_bad_policies_are_unknown_and_not_kept() -> None:
    """A backend that fails (or refuses the gateway) or a policy that does not parse leaves
    the policy unknown (the gateway then denies); a failure is asked again next time."""
    failing = ResourcePoliciesHarness(
        {"GetKeyPolicy": Answer(500, {"Error": {"Code": "InternalFailure"}})}
    )
    for _ in range(2):
        target = failing.lookup(KEY).target(Check("kms:Encrypt", KEY, None))
        assert target.unknown and target.policy is None
    assert len(failing.calls) == 2
    bad = ResourcePoliciesHarness({"GetKeyPolicy": Answer(200, {"Policy": '{"Statement": 1}'})})
    assert bad.lookup(KEY).target(Check("kms:Encrypt", KEY, None)).unknown

    async def unreachable(*_: Any) -> Answer:
        raise OSError("connection refused")

    down = ResourcePoliciesHarness()
    down.policies.call_backend = unreachable
    assert down.lookup(KEY).target(Check("kms:Encrypt", KEY, None)).unknown
    missing = ResourcePoliciesHarness(
        {"GetKeyPolicy": Answer(400, {"Error": {"Code": "NotFoundException"}})}
    )
    target = missing.lookup(KEY).target(Check("kms:Encrypt", KEY, None))
    assert target.policy is None and not target.unknown  # no such key: the backend says so


def test_a_cache_hit_is_cheap() -> None:
    """The cost of reading policies always: a hit is a few dictionary lookups (bounded here
    generously, as the machine is shared; measured ~13 us per lookup)."""
    harness = ResourcePoliciesHarness()
    checks = [Check("kms:Encrypt", KEY, None)]
    policies = harness.policies

    async def many(count: int) -> float:
        await policies.lookup(checks, "us-east-1")
        start = time.perf_counter()
        for _ in range(count):
            await policies.lookup(checks, "us-east-1")
        return (time.perf_counter() - start) / count

    per_lookup = asyncio.run(many(2000))
    assert len(harness.calls) == 1
    assert per_lookup < 100e-6, per_lookup


def test_a_queue_url_naming_another_account_names_that_accounts_queue() -> None:
    """A queue URL names its owner's account, as on AWS; the backend's own account (in which it
    keeps every account's queues) stands for the caller's.

    https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-queue-message-identifiers.html
    """
    from iamd.gateway.generic import map_request
    from iamd.gateway.services import service_info

    CALLER = "222233334444"  # noqa: N806
    sqs = service_info("sqs")
    assert sqs is not None

    def resource(url: str, backend: str | None) -> str:
        body = json.dumps({"QueueUrl": url, "MessageBody": "x"}).encode()
        headers = {"x-amz-target": "AmazonSQS.SendMessage"}
        found = map_request(sqs, "POST", "/", "", headers, body, "us-east-1", CALLER, backend)
        return found.checks[0].resource

    mine = f"arn:aws:sqs:us-east-1:{CALLER}:jobs"
    assert resource(f"http://b/{OTHER}/jobs", BACKEND) == QUEUE.replace(ACCOUNT, OTHER)
    assert resource(f"http://b/{BACKEND}/jobs", BACKEND) == mine  # the caller's
    assert resource(f"http://b/{OTHER}/jobs", None) == mine  # backend unknown: as before
