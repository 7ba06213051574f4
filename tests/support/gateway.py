"""Helpers shared by the gateway's end-to-end tests."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import pyotp
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from iamd.store.repos.audit_events import AuditEvents, AuditFilter
from support.live import LiveServer

VERSION = "2012-10-17"
NO_RETRIES = Config(retries={"max_attempts": 1, "mode": "standard"})


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": VERSION, "Statement": list(statements)})


def allow(action: str | list[str], resource: str | list[str] = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def error_of(call: Callable[[], Any]) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as info:
        call()
    response = info.value.response
    return (
        response["Error"]["Code"],
        response["Error"].get("Message", ""),
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def client(server: LiveServer, service: str, creds: dict[str, str], **config: Any) -> Any:
    return boto3.client(
        service,
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds.get("SessionToken"),
        config=NO_RETRIES.merge(Config(**config)) if config else NO_RETRIES,
        verify=str(server.ca_bundle) if server.ca_bundle else None,
    )


@dataclass
class User:
    name: str
    arn: str
    key: dict[str, str]


def make_user(server: LiveServer, name: str, *statements: dict[str, Any]) -> User:
    iam = server.client("iam")
    arn = iam.create_user(UserName=name)["User"]["Arn"]
    if statements:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=policy(*statements))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return User(
        name, arn, {"AccessKeyId": key["AccessKeyId"], "SecretAccessKey": key["SecretAccessKey"]}
    )


class Mfa:
    """An enabled virtual MFA device of a user, handing out one fresh code at a time."""

    def __init__(self, server: LiveServer, user: str) -> None:
        iam = server.client("iam")
        device = iam.create_virtual_mfa_device(VirtualMFADeviceName=f"{user}-mfa")
        self.serial = device["VirtualMFADevice"]["SerialNumber"]
        self.totp = pyotp.TOTP(device["VirtualMFADevice"]["Base32StringSeed"].decode())
        if time.time() % 30 > 20:
            time.sleep(30 - time.time() % 30 + 0.2)
        step = int(time.time()) // 30
        iam.enable_mfa_device(
            UserName=user,
            SerialNumber=self.serial,
            AuthenticationCode1=self.totp.generate_otp(step - 3),
            AuthenticationCode2=self.totp.generate_otp(step - 2),
        )
        self.next_step = step - 1

    def code(self) -> str:
        step = self.next_step
        self.next_step += 1
        return str(self.totp.generate_otp(step))


def gateway_events(server: LiveServer, source: str) -> list[dict[str, Any]]:
    server.app.recorder.flush()
    with server.app.store.read() as tx:
        stored = tx.repo(AuditEvents).list(AuditFilter(event_source=source), limit=1000)
    return [s.event for s in stored]
