"""Resource-based policies of services other than S3 through the gateway: KMS key policies, SQS
queue policies, SNS topic policies, Secrets Manager and Lambda resource policies, read from the
backend and applied with the identity policies, as AWS evaluates them.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html

The backend keeps every iamd account's resources in one account (the embedded moto's, iamd's
own): an ARN or queue URL naming another account names that account's resource, as on AWS.
"""

from __future__ import annotations

import asyncio
import io
import json
import uuid
import zipfile
from typing import Any

import boto3

from support.gateway import allow, client, error_of, gateway_events, make_user, policy
from support.live import LiveServer

REGION = "us-east-1"


def name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def new_account(server: LiveServer) -> tuple[str, dict[str, str]]:
    """Another iamd account and its root's key (as test_gateway_s3 makes one)."""
    account = f"5555{uuid.uuid4().int % 10**8:08d}"
    key = f"AKIAOTHER{uuid.uuid4().hex[:11].upper()}"
    secret = uuid.uuid4().hex + uuid.uuid4().hex[:8]
    with server.app.store.write() as tx:
        tx.accounts.create(account)
        tx.access_keys.create(account, None, key, secret)
    return account, {"AccessKeyId": key, "SecretAccessKey": secret}


def user_in(
    server: LiveServer, root: dict[str, str], user: str, *statements: dict[str, Any]
) -> tuple[str, dict[str, str]]:
    """A user of the account whose root key is ``root``: its ARN and key."""
    iam = client(server, "iam", root)
    arn = str(iam.create_user(UserName=user)["User"]["Arn"])
    if statements:
        iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=policy(*statements))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    return arn, {"AccessKeyId": key["AccessKeyId"], "SecretAccessKey": key["SecretAccessKey"]}


# KMS -----------------------------------------------------------------------------------------


def test_default_key_policy_delegates_to_iam_and_a_new_one_takes_over_at_once(
    server: LiveServer,
) -> None:
    """A key created with the default key policy ("Enable IAM User Permissions", principal the
    account's root) lets the account's IAM policies decide: a user allowed kms:Encrypt and
    kms:Decrypt on the key uses it. PutKeyPolicy with a policy that names only another user
    no longer delegates: the first user is denied on the very next call, the named user is
    allowed without any identity policy, and the root user is subject to the key policy too.

    https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
    https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html
    """
    root = server.client("kms")
    key = root.create_key(Description="gateway key policy")["KeyMetadata"]
    default = json.loads(root.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"])
    assert default["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{server.account_id}:root"}
    user = make_user(server, name("kms-user"), allow(["kms:Encrypt", "kms:Decrypt"], key["Arn"]))
    kms = client(server, "kms", user.key)
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"secret")["CiphertextBlob"]
    assert kms.decrypt(KeyId=key["KeyId"], CiphertextBlob=blob)["Plaintext"] == b"secret"
    # The identity policy still limits the user: GenerateDataKey is not in it.
    code, message, status = error_of(
        lambda: kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256")
    )
    assert (code, status) == ("AccessDeniedException", 400)
    assert message == (
        f"User: {user.arn} is not authorized to perform: kms:GenerateDataKey on resource: "
        f"{key['Arn']} because no identity-based policy allows the kms:GenerateDataKey action"
    )
    named = make_user(server, name("kms-named"))
    root.put_key_policy(
        KeyId=key["KeyId"],
        PolicyName="default",
        Policy=policy(
            {
                "Sid": "only the named user",
                "Effect": "Allow",
                "Principal": {"AWS": named.arn},
                "Action": ["kms:Encrypt", "kms:Decrypt"],
                "Resource": "*",
            }
        ),
    )
    code, message, status = error_of(lambda: kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x"))
    assert (code, status) == ("AccessDeniedException", 400)
    assert message == (
        f"User: {user.arn} is not authorized to perform: kms:Encrypt on resource: {key['Arn']} "
        "because no resource-based policy allows the kms:Encrypt action"
    )
    other = client(server, "kms", named.key)
    blob = other.encrypt(KeyId=key["Arn"], Plaintext=b"named")["CiphertextBlob"]
    assert other.decrypt(KeyId=key["KeyId"], CiphertextBlob=blob)["Plaintext"] == b"named"
    # The root user is no exception: the key policy no longer names the account.
    assert error_of(lambda: root.encrypt(KeyId=key["KeyId"], Plaintext=b"x"))[0] == (
        "AccessDeniedException"
    )


def test_an_alias_is_authorized_on_its_key(server: LiveServer) -> None:
    """A request naming a key by its alias is authorized on the key, with the key's policy:
    an identity policy on the key's ARN allows Encrypt with ``alias/...``.

    https://docs.aws.amazon.com/kms/latest/developerguide/alias-authorization.html
    """
    root = server.client("kms")
    key = root.create_key()["KeyMetadata"]
    alias = f"alias/{name('gw')}"
    root.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    user = make_user(server, name("kms-alias"), allow("kms:Encrypt", key["Arn"]))
    kms = client(server, "kms", user.key)
    assert kms.encrypt(KeyId=alias, Plaintext=b"via alias")["KeyId"] == key["Arn"]
    # Repointing the alias through the gateway takes effect at once.
    other = root.create_key()["KeyMetadata"]
    root.update_alias(AliasName=alias, TargetKeyId=other["KeyId"])
    code, message, _ = error_of(lambda: kms.encrypt(KeyId=alias, Plaintext=b"x"))
    assert code == "AccessDeniedException" and other["Arn"] in message


def test_decrypt_without_a_key_id_is_authorized_on_the_ciphertexts_key(
    server: LiveServer,
) -> None:
    """Decrypt may leave out KeyId: the symmetric ciphertext names its key, and KMS authorizes
    kms:Decrypt on that key. A user allowed kms:Decrypt on one key decrypts its ciphertext
    without naming it, and is denied (seeing no plaintext) for another key's ciphertext; the
    denial names the key, and so does the audit event. The key policy applies too, and
    ReEncrypt without SourceKeyId is authorized on the ciphertext's key the same way.

    https://docs.aws.amazon.com/kms/latest/APIReference/API_Decrypt.html
    https://docs.aws.amazon.com/kms/latest/APIReference/API_ReEncrypt.html
    """
    root = server.client("kms")
    mine = root.create_key()["KeyMetadata"]
    theirs = root.create_key()["KeyMetadata"]
    my_blob = root.encrypt(KeyId=mine["KeyId"], Plaintext=b"mine")["CiphertextBlob"]
    their_blob = root.encrypt(KeyId=theirs["KeyId"], Plaintext=b"theirs")["CiphertextBlob"]
    user = make_user(server, name("kms-decrypt"), allow("kms:Decrypt", mine["Arn"]))
    kms = client(server, "kms", user.key)
    answer = kms.decrypt(CiphertextBlob=my_blob)
    assert (answer["Plaintext"], answer["KeyId"]) == (b"mine", mine["Arn"])
    code, message, status = error_of(lambda: kms.decrypt(CiphertextBlob=their_blob))
    assert (code, status) == ("AccessDeniedException", 400)
    assert message == (
        f"User: {user.arn} is not authorized to perform: kms:Decrypt on resource: "
        f"{theirs['Arn']} because no identity-based policy allows the kms:Decrypt action"
    )
    events = [
        e
        for e in gateway_events(server, "kms.amazonaws.com")
        if e["eventName"] == "Decrypt" and e["userIdentity"].get("arn") == user.arn
    ]  # newest first
    assert [(e.get("errorCode"), [r["ARN"] for r in e["resources"]]) for e in events] == [
        ("AccessDeniedException", [theirs["Arn"]]),
        (None, [mine["Arn"]]),
    ]
    # A Deny in the key policy applies as well, found from the answer's key.
    root.put_key_policy(
        KeyId=mine["KeyId"],
        PolicyName="default",
        Policy=policy(
            {
                "Effect": "Deny",
                "Principal": {"AWS": user.arn},
                "Action": "kms:Decrypt",
                "Resource": "*",
            },
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{server.account_id}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
        ),
    )
    code, message, _ = error_of(lambda: kms.decrypt(CiphertextBlob=my_blob))
    assert code == "AccessDeniedException"
    assert message.endswith("with an explicit deny in a resource-based policy")
    # ReEncrypt without SourceKeyId: kms:ReEncryptFrom on the ciphertext's key, found likewise.
    target = root.create_key()["KeyMetadata"]
    mover = make_user(
        server,
        name("kms-reencrypt"),
        allow("kms:ReEncryptFrom", theirs["Arn"]),
        allow("kms:ReEncryptTo", target["Arn"]),
    )
    moving = client(server, "kms", mover.key)
    moved = moving.re_encrypt(CiphertextBlob=their_blob, DestinationKeyId=target["KeyId"])
    assert (moved["SourceKeyId"], moved["KeyId"]) == (theirs["Arn"], target["Arn"])
    code, message, _ = error_of(
        lambda: moving.re_encrypt(CiphertextBlob=my_blob, DestinationKeyId=target["KeyId"])
    )
    assert code == "AccessDeniedException"
    assert f"kms:ReEncryptFrom on resource: {mine['Arn']}" in message
    # A ciphertext that names no key is the backend's own error, relayed as it is.
    garbage = b"not a ciphertext" * 4
    backend_error = error_of(lambda: root.decrypt(CiphertextBlob=garbage))
    assert error_of(lambda: kms.decrypt(CiphertextBlob=garbage)) == backend_error
    assert "is not authorized to perform" not in backend_error[1]


# SQS -----------------------------------------------------------------------------------------


def test_queue_policy_grants_another_account(server: LiveServer) -> None:
    """A queue policy naming another account's user lets it send, with its own identity policy
    allowing too (across accounts both sides must); without the queue policy, or without the
    identity policy, it is denied.

    https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/grant-cross-account-permissions-to-role-and-user-name.html
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
    """
    owner, owner_root = new_account(server)
    _, partner_root = new_account(server)
    queue = name("shared")
    backend_url = client(server, "sqs", owner_root).create_queue(QueueName=queue)["QueueUrl"]
    # On AWS the owner's queue URL names the owner's account.
    url = backend_url.replace(f"/{server.account_id}/", f"/{owner}/")
    queue_arn = f"arn:aws:sqs:{REGION}:{owner}:{queue}"
    user_arn, key = user_in(server, partner_root, "sender", allow("sqs:SendMessage", queue_arn))
    sqs = client(server, "sqs", key)
    code, message, status = error_of(lambda: sqs.send_message(QueueUrl=url, MessageBody="x"))
    assert (code, status) == ("AccessDenied", 400)  # SQS speaks json: a 400, as on AWS
    assert message == (
        f"User: {user_arn} is not authorized to perform: sqs:SendMessage on resource: "
        f"{queue_arn} because no resource-based policy allows the sqs:SendMessage action"
    )
    owner_sqs = client(server, "sqs", owner_root)
    grant = policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": user_arn},
            "Action": "sqs:SendMessage",
            "Resource": queue_arn,
        }
    )
    owner_sqs.set_queue_attributes(QueueUrl=backend_url, Attributes={"Policy": grant})
    assert sqs.send_message(QueueUrl=url, MessageBody="across")["MessageId"]
    got = owner_sqs.receive_message(QueueUrl=backend_url, WaitTimeSeconds=0)["Messages"]
    assert [m["Body"] for m in got] == ["across"]
    # The partner's own identity policy must allow as well.
    client(server, "iam", partner_root).delete_user_policy(UserName="sender", PolicyName="p")
    code, message, _ = error_of(lambda: sqs.send_message(QueueUrl=url, MessageBody="x"))
    assert code == "AccessDenied" and "no identity-based policy allows" in message
    # The owner's own users need no queue policy (it grants them nothing here, denies nothing).
    _, own_key = user_in(server, owner_root, "own", allow("sqs:SendMessage"))
    assert client(server, "sqs", own_key).send_message(QueueUrl=backend_url, MessageBody="mine")


# SNS -----------------------------------------------------------------------------------------


def test_a_deny_in_the_topic_policy_applies_within_the_account(server: LiveServer) -> None:
    """An explicit Deny in a topic policy denies a user of the topic's own account whose identity
    policy allows the action; the root user, not named in the Deny, still publishes.

    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
    https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html
    """
    root = server.client("sns")
    topic = root.create_topic(Name=name("topic"))["TopicArn"]
    user = make_user(server, name("sns-user"), allow("sns:Publish"))
    sns = client(server, "sns", user.key)
    assert sns.publish(TopicArn=topic, Message="before")["MessageId"]
    deny = policy(
        {
            "Effect": "Deny",
            "Principal": {"AWS": user.arn},
            "Action": "sns:Publish",
            "Resource": topic,
        }
    )
    root.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=deny)
    code, message, status = error_of(lambda: sns.publish(TopicArn=topic, Message="after"))
    assert (code, status) == ("AuthorizationError", 403)
    assert message == (
        f"User: {user.arn} is not authorized to perform: sns:Publish on resource: {topic} "
        "with an explicit deny in a resource-based policy"
    )
    assert root.publish(TopicArn=topic, Message="root")["MessageId"]


# Secrets Manager -----------------------------------------------------------------------------


def test_secret_resource_policy_grants_another_account(server: LiveServer) -> None:
    """GetSecretValue by another account's user needs the secret's resource policy to name it;
    DeleteResourcePolicy through the gateway withdraws the grant at once.

    https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples_cross.html
    """
    root = server.client("secretsmanager")
    secret = root.create_secret(Name=name("secret"), SecretString="s3cr3t")["ARN"]
    _, partner_root = new_account(server)
    user_arn, key = user_in(
        server, partner_root, "reader", allow("secretsmanager:GetSecretValue", secret)
    )
    secrets = client(server, "secretsmanager", key)
    code, message, status = error_of(lambda: secrets.get_secret_value(SecretId=secret))
    assert (code, status) == ("AccessDeniedException", 400)
    assert "because no resource-based policy allows" in message
    root.put_resource_policy(
        SecretId=secret,
        ResourcePolicy=policy(
            {
                "Effect": "Allow",
                "Principal": {"AWS": user_arn},
                "Action": "secretsmanager:GetSecretValue",
                "Resource": "*",
            }
        ),
    )
    assert secrets.get_secret_value(SecretId=secret)["SecretString"] == "s3cr3t"
    root.delete_resource_policy(SecretId=secret)
    assert error_of(lambda: secrets.get_secret_value(SecretId=secret))[0] == (
        "AccessDeniedException"
    )


# Lambda --------------------------------------------------------------------------------------


def _function(server: LiveServer) -> str:
    """A function on the backend (created through the gateway). Lambda's CreateFunction needs
    an execution role in the backend's own IAM, which iamd does not proxy: it is made on the
    backend directly."""
    gateway = server.app.gateway
    assert gateway is not None
    backend_url = asyncio.run(gateway.backend.url())
    backend_iam = boto3.client(
        "iam",
        endpoint_url=backend_url,
        region_name=REGION,
        aws_access_key_id="iamd-gateway",
        aws_secret_access_key="unused",
    )
    trust = policy(
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    )
    role = backend_iam.create_role(RoleName=name("fn-role"), AssumeRolePolicyDocument=trust)
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return event\n")
    created = server.client("lambda").create_function(
        FunctionName=name("fn"),
        Runtime="python3.11",
        Role=role["Role"]["Arn"],
        Handler="index.handler",
        Code={"ZipFile": code.getvalue()},
    )
    return str(created["FunctionArn"])


def test_function_policy_grants_another_account(server: LiveServer) -> None:
    """lambda:GetFunction by another account's user, allowed by AddPermission naming its
    account (which delegates to that account's IAM policies), withdrawn by RemovePermission.

    https://docs.aws.amazon.com/lambda/latest/dg/permissions-function-cross-account.html
    """
    function = _function(server)
    partner, partner_root = new_account(server)
    _, key = user_in(server, partner_root, "caller", allow("lambda:GetFunction", function))
    lam = client(server, "lambda", key)
    code, message, status = error_of(lambda: lam.get_function(FunctionName=function))
    # Lambda (rest-json) answers a denial with 403, unlike the json services' 400:
    # https://docs.aws.amazon.com/lambda/latest/api/CommonErrors.html
    assert (code, status) == ("AccessDeniedException", 403)
    assert "because no resource-based policy allows the lambda:GetFunction action" in message
    root = server.client("lambda")
    root.add_permission(
        FunctionName=function,
        StatementId="partner",
        Action="lambda:GetFunction",
        Principal=partner,
    )
    assert lam.get_function(FunctionName=function)["Configuration"]["FunctionArn"] == function
    root.remove_permission(FunctionName=function, StatementId="partner")
    assert error_of(lambda: lam.get_function(FunctionName=function))[0] == ("AccessDeniedException")
