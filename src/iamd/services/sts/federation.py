"""GetFederationToken: temporary credentials for a federated user, for an identity broker.

https://docs.aws.amazon.com/STS/latest/APIReference/API_GetFederationToken.html

The session is the calling IAM user's permissions cut down by the session policies passed
(their intersection); with no session policy the session has no permissions at all, except
where a resource-based policy names the federated user itself.  Federated sessions may call no
IAM operation and no STS operation but GetCallerIdentity: iamd seals that rule into the
session as one more session policy, an explicit deny of ``iam:*`` and ``sts:*`` (GetCallerIdentity
needs no permission and no deny stops it), so every iamd node and the gateway enforce it
without a special case.  Session tags override the user's tags of the same key, whatever its
case (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html).
"""

from __future__ import annotations

import json
from typing import Any

from iamd.errors import AccessDenied
from iamd.services.call import Call
from iamd.services.registry import ContextValue, Target
from iamd.services.sts.common import (
    REGISTRY,
    check_duration,
    issue,
    packed_size,
    session_policies,
    session_tags,
)
from iamd.store import Tx

DEFAULT_SECONDS = 43_200
USER_MAX = 129_600
ROOT_MAX = 3_600
SESSION_CREDENTIALS = "Cannot call GetFederationToken with session credentials"
FEDERATED_LIMITS = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "FederatedUsersCallNoIamOrStsOperation",
                "Effect": "Deny",
                "Action": ["iam:*", "sts:*"],
                "Resource": "*",
            }
        ],
    },
    separators=(",", ":"),
)
"""The session policy every federated session carries: no IAM, no STS but GetCallerIdentity."""


def federated_user_arn(account_id: str, name: str) -> str:
    return f"arn:aws:sts::{account_id}:federated-user/{name}"


def _target(call: Call, tx: Tx) -> Target:
    caller = call.caller
    if caller.kind not in ("IAMUser", "Root") or caller.expires_at is not None:
        # Checked before any permission: the credential kind alone rules the call out.
        raise AccessDenied(SESSION_CREDENTIALS)
    arn = federated_user_arn(call.account_id, call.params["Name"])
    context: dict[str, ContextValue] = {}
    tags = call.param("Tags") or []
    for tag in tags:
        context[f"aws:RequestTag/{tag['Key']}"] = tag.get("Value", "")
    if not tags:
        return Target(arn, context)
    context["aws:TagKeys"] = [t["Key"] for t in tags]
    # Passing session tags needs sts:TagSession besides the operation's own action.
    return Target(arn, context, also=(("sts:TagSession", Target(arn, context)),))


@REGISTRY.operation("GetFederationToken", target=_target)
def get_federation_token(call: Call) -> dict[str, Any]:
    caller = call.caller
    if caller.is_root:
        # Root sessions are held to an hour: a longer request is shortened, not refused (the
        # service model already keeps DurationSeconds within 900..129600).
        requested = call.param("DurationSeconds")
        duration = min(ROOT_MAX, DEFAULT_SECONDS if requested is None else int(requested))
    else:
        duration = check_duration(
            call,
            DEFAULT_SECONDS,
            900,
            USER_MAX,
            f"The requested DurationSeconds exceeds the {USER_MAX} seconds limit for this "
            "principal.",
        )
    requested_tags, _ = session_tags(call)
    policies, arns = session_policies(call)
    packed = packed_size(policies, requested_tags)
    lowered = {key.lower() for key in requested_tags}
    tags = {k: v for k, v in caller.tags.items() if k.lower() not in lowered}
    tags.update(requested_tags)
    name = call.params["Name"]
    arn = federated_user_arn(call.account_id, name)
    federated_id = f"{call.account_id}:{name}"
    _, credentials = issue(
        call,
        duration=duration,
        kind="FederatedUser",
        arn=arn,
        principal_id=federated_id,
        user_id=caller.user_id,
        user_name=caller.name if caller.user_id else None,
        session_policies=[*policies, FEDERATED_LIMITS],
        session_policy_arns=arns,
        tags=tags,
    )
    return {
        "Credentials": credentials,
        "FederatedUser": {"FederatedUserId": federated_id, "Arn": arn},
        "PackedPolicySize": packed,
    }
