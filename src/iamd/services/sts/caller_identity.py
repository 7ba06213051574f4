"""GetCallerIdentity: needs no permission, and an explicit deny does not stop it.

https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
"""

from __future__ import annotations

from typing import Any

from iamd.services.call import Call
from iamd.services.registry import Target
from iamd.services.sts.common import REGISTRY
from iamd.store import Tx


def _target(call: Call, tx: Tx) -> Target:
    return Target("*")


@REGISTRY.operation("GetCallerIdentity", target=_target)
def get_caller_identity(call: Call) -> dict[str, Any]:
    caller = call.caller
    return {"UserId": caller.principal_id, "Account": caller.account_id, "Arn": caller.arn}
