"""GetContextKeysForPrincipalPolicy and GetContextKeysForCustomPolicy: the condition keys a set
of policies refers to, so a caller knows which ``ContextEntries`` a simulation needs.

A key is referenced by a ``Condition`` (the key of each operator block) or by a policy variable
such as ``${aws:username}`` in ``Resource``/``NotResource`` or in a condition value.  Keys come
in document order, each once: condition keys ignore case, so the first spelling is kept.
https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetContextKeysForPrincipalPolicy.html
https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetContextKeysForCustomPolicy.html
"""

from __future__ import annotations

from typing import Any

from iamd.errors import InvalidInput
from iamd.policy import PolicyKind
from iamd.services.call import Call
from iamd.services.iam.common import REGISTRY, star_target
from iamd.services.iam.simulate import principal_target
from iamd.services.iam.simulation_support import (
    IDENTITY_TYPE,
    SourcePolicy,
    entity_arn_or_invalid,
    input_policy,
    load_principal,
    policy_keys,
    unique_keys,
)


def _inputs(call: Call) -> list[SourcePolicy]:
    return [
        input_policy(text, PolicyKind.IDENTITY, f"PolicyInputList.{n}", IDENTITY_TYPE)
        for n, text in enumerate(call.param("PolicyInputList") or [], start=1)
    ]


def _keys(policies: list[SourcePolicy]) -> dict[str, Any]:
    return {"ContextKeyNames": unique_keys(k for p in policies for k in policy_keys(p.policy))}


@REGISTRY.operation("GetContextKeysForCustomPolicy", target=star_target)
def get_context_keys_for_custom_policy(call: Call) -> dict[str, Any]:
    return _keys(_inputs(call))


@REGISTRY.operation("GetContextKeysForPrincipalPolicy", target=principal_target)
def get_context_keys_for_principal_policy(call: Call) -> dict[str, Any]:
    """The entity's identity-based policies (a user's groups' too) and the given ones; AWS
    leaves out the permissions boundary and SCPs."""
    source = entity_arn_or_invalid(call.params["PolicySourceArn"])
    if source.account != call.account_id:
        raise InvalidInput(
            f"Invalid Policy Source Arn: caller's account {call.account_id} does not have "
            f"access to policies in account {source.account}"
        )
    extra = _inputs(call)
    with call.store.read() as tx:
        principal = load_principal(tx, call.account_id, source)
    return _keys(principal.identity + extra)
