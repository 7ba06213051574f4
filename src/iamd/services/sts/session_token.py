"""GetSessionToken: temporary credentials for an IAM user (or root), optionally with MFA.

https://docs.aws.amazon.com/STS/latest/APIReference/API_GetSessionToken.html
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from iamd.errors import AccessDenied
from iamd.services.call import Call
from iamd.services.registry import Target
from iamd.services.sts.common import REGISTRY, check_duration, check_mfa, issue, mfa_params
from iamd.store import Tx

USER_MAX = 129_600
ROOT_MAX = 3_600


def _target(call: Call, tx: Tx) -> Target:
    # No permission is needed to get a session token for oneself; an explicit deny still holds.
    return Target(call.caller.arn, self_service=True)


@REGISTRY.operation("GetSessionToken", target=_target)
def get_session_token(call: Call) -> dict[str, Any]:
    caller = call.caller
    if caller.kind not in ("IAMUser", "Root") or caller.expires_at is not None:
        raise AccessDenied("Cannot call GetSessionToken with session credentials")
    duration = check_duration(
        call,
        43_200,
        900,
        USER_MAX,
        f"The requested DurationSeconds exceeds the {USER_MAX} seconds limit for this principal.",
    )
    if caller.is_root:
        # "If the duration is longer than one hour, the session for AWS account owners
        # defaults to one hour": shortened, not refused.
        duration = min(duration, ROOT_MAX)
    mfa_time = None
    mfa = mfa_params(call)
    if mfa is not None:
        with call.store.write() as tx:
            check_mfa(call, tx, *mfa, consume=True)
        mfa_time = datetime.now(UTC).timestamp()
    _, credentials = issue(
        call,
        duration=duration,
        kind=caller.kind,
        arn=caller.arn,
        principal_id=caller.principal_id,
        user_id=caller.user_id,
        user_name=caller.name if caller.user_id else None,
        tags=dict(caller.tags),
        mfa_authenticated=mfa_time is not None,
        mfa_auth_time=mfa_time,
    )
    return {"Credentials": credentials}
