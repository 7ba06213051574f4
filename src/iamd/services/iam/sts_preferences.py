"""SetSecurityTokenServicePreferences: which token version the global STS endpoint issues.

https://docs.aws.amazon.com/IAM/latest/APIReference/API_SetSecurityTokenServicePreferences.html
"""

from __future__ import annotations

from typing import Any

from iamd.services.call import Call
from iamd.services.iam.common import REGISTRY, star_target
from iamd.store.repos.meta import Meta

KEY = "global_endpoint_token_version:{account}"


def token_version(call: Call) -> int:
    """1 (valid only in default regions) unless set to v2Token; GetAccountSummary reports it."""
    with call.store.read() as tx:
        value = tx.repo(Meta).get(KEY.format(account=call.account_id))
    return 2 if value == "v2Token" else 1


@REGISTRY.operation("SetSecurityTokenServicePreferences", target=star_target)
def set_security_token_service_preferences(call: Call) -> dict[str, Any]:
    with call.store.write() as tx:
        tx.repo(Meta).set(
            KEY.format(account=call.account_id), call.params["GlobalEndpointTokenVersion"]
        )
    return {}
