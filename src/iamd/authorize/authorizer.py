"""Decides each call with the policy engine, caching a compiled evaluator per principal.

Caches are dropped whenever the change feed reports a write (from this process at once, from
other processes sharing the database within a second), so a deleted policy stops granting on
the very next call.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from iamd.authorize.policies import boundary_policy, role_policies, user_policies
from iamd.policy import (
    Decision,
    Evaluator,
    Outcome,
    Policy,
    PolicyKind,
    PolicySet,
    Request,
    parse_policy,
)
from iamd.policy.decision import PolicyType
from iamd.policy.service_rules import immutable
from iamd.services.caller import Caller
from iamd.store import Store

_ROOT_ALLOWED = Decision(Outcome.ALLOWED, None)
_ALLOW_ALL = parse_policy(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
    PolicyKind.IDENTITY,
    "root",
)


class Authorizer:
    def __init__(self, store: Store, cache_size: int = 10_000) -> None:
        self.store = store
        self.cache_size = cache_size
        self._evaluators: OrderedDict[str, Evaluator] = OrderedDict()
        self._with_resource: OrderedDict[tuple[int, int], tuple[Evaluator, Policy, Evaluator]]
        self._with_resource = OrderedDict()
        """(the caller's evaluator, a resource policy) -> the two together: the gateway passes
        the same cached policy object for a resource for 30 s, so the compiled plans are
        reused instead of rebuilt on every call (measured ~90 us a decision rebuilt, ~25 reused).
        The key's objects are kept in the value, so their ids stay theirs."""
        self._lock = threading.Lock()

    def invalidate(self) -> None:
        with self._lock:
            self._evaluators.clear()
            self._with_resource.clear()

    def evaluator(self, caller: Caller) -> Evaluator:
        # A session's permissions depend on its own session policies: cache per credential.
        key = caller.access_key_id if caller.session_policies else caller.principal_id
        with self._lock:
            hit = self._evaluators.get(key)
        if hit is not None:
            return hit
        with self.store.read() as tx:
            if caller.user_id:
                user = tx.users.get_by_id(caller.user_id)
                identity = user_policies(tx, caller.user_id) if user else []
                boundary = boundary_policy(tx, user.permissions_boundary) if user else None
            elif caller.role_id:
                role = tx.roles.get_by_id(caller.role_id)
                identity = role_policies(tx, caller.role_id) if role else []
                boundary = boundary_policy(tx, role.permissions_boundary) if role else None
            elif caller.kind == "FederatedUser":
                # The account's root called GetFederationToken: root may do anything, so the
                # session may do what its session policies allow.
                identity, boundary = [_ALLOW_ALL], None
            else:
                identity, boundary = [], None
        sessions = [
            parse_policy(document, PolicyKind.SESSION, f"session[{index}]")
            for index, document in enumerate(caller.session_policies)
        ]
        evaluator = Evaluator(
            PolicySet(identity=identity, boundary=boundary, session=sessions or None)
        )
        with self._lock:
            self._evaluators[key] = evaluator
            if len(self._evaluators) > self.cache_size:
                self._evaluators.popitem(last=False)
        return evaluator

    def _combined(self, evaluator: Evaluator, resource_policy: Policy) -> Evaluator:
        key = (id(evaluator), id(resource_policy))
        with self._lock:
            hit = self._with_resource.get(key)
        if hit is not None:
            return hit[2]
        cached = evaluator.policies
        combined = Evaluator(
            PolicySet(
                identity=cached.identity,
                boundary=cached.boundary,
                session=cached.session,
                resource=resource_policy,
            )
        )
        with self._lock:
            self._with_resource[key] = (evaluator, resource_policy, combined)
            if len(self._with_resource) > self.cache_size:
                self._with_resource.popitem(last=False)
        return combined

    def authorize(
        self,
        caller: Caller,
        action: str,
        resource: str,
        context: dict[str, Any],
        resource_account: str | None = None,
        resource_policy: Policy | None = None,
    ) -> Decision:
        """The decision for one call.  The root user of the account may do anything in it,
        except where a resource policy (a role's trust policy) must name it."""
        request = Request.build(caller.arn, action, resource, context, resource_account)
        if (
            caller.is_root
            and request.same_account
            and resource_policy is None
            and not immutable(action, resource)
        ):
            return _ROOT_ALLOWED
        try:
            evaluator = self.evaluator(caller)
            if resource_policy is not None:
                evaluator = self._combined(evaluator, resource_policy)
            return evaluator.evaluate(request)
        except Exception:  # an internal error must deny, never allow
            return Decision(Outcome.IMPLICIT_DENY, PolicyType.IDENTITY)
