"""CloudTrail's ConsoleLogin events (eventType ``AwsConsoleSignIn``).

https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-aws-console-sign-in-events.html

A failed sign-in for a user name that does not exist names no one: CloudTrail writes
``HIDDEN_DUE_TO_SECURITY_REASONS`` for the user name, because people type passwords into the
user name box.  The credential report reads ``password_last_used`` from successful events.
"""

from __future__ import annotations

import uuid
from typing import Any

from iamd.audit import events as audit
from iamd.services.caller import Caller

FAILED = "Failed authentication"


def identity_of(caller: Caller) -> dict[str, Any]:
    identity: dict[str, Any] = {
        "type": caller.kind,
        "principalId": caller.principal_id,
        "arn": caller.arn,
        "accountId": caller.account_id,
        "accessKeyId": "",
    }
    if caller.kind == "IAMUser":
        identity["userName"] = caller.name
    return identity


def unknown_user(account_id: str) -> dict[str, Any]:
    return {
        "type": "IAMUser",
        "principalId": "",
        "accountId": account_id,
        "accessKeyId": "",
        "userName": audit.HIDDEN,
    }


def console_login(
    *,
    identity: dict[str, Any],
    account_id: str,
    region: str,
    source_ip: str,
    user_agent: str,
    success: bool,
    mfa_used: bool,
    login_to: str,
    error: str = FAILED,
) -> dict[str, Any]:
    event = audit.build(
        service="signin",
        operation="ConsoleLogin",
        identity=identity,
        account_id=account_id,
        region=region,
        source_ip=source_ip,
        user_agent=user_agent,
        request_id=str(uuid.uuid4()),
    )
    if not success:
        event["errorMessage"] = error
    event["requestParameters"] = None
    event["responseElements"] = {"ConsoleLogin": "Success" if success else "Failure"}
    event["additionalEventData"] = {
        "LoginTo": login_to,
        "MobileVersion": "No",
        "MFAUsed": "Yes" if mfa_used else "No",
    }
    event["eventType"] = "AwsConsoleSignIn"
    event.pop("requestID", None)  # CloudTrail's sign-in events carry none
    return event
