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
from iamd.policy import Decision, Evaluator, Outcome, PolicySet, Request
from iamd.policy.decision import PolicyType
from iamd.policy.service_rules import immutable
from iamd.services.caller import Caller
from iamd.store import Store

_ROOT_ALLOWED = Decision(Outcome.ALLOWED, None)


class Authorizer:
    def __init__(self, store: Store, cache_size: int = 10_000) -> None:
        self.store = store
        self.cache_size = cache_size
        self._evaluators: OrderedDict[str, Evaluator] = OrderedDict()
        self._lock = threading.Lock()

    def invalidate(self) -> None:
        with self._lock:
            self._evaluators.clear()

    def evaluator(self, caller: Caller, session: PolicySet | None = None) -> Evaluator:
        key = caller.principal_id
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
            else:
                identity, boundary = [], None
        evaluator = Evaluator(PolicySet(identity=identity, boundary=boundary))
        with self._lock:
            self._evaluators[key] = evaluator
            if len(self._evaluators) > self.cache_size:
                self._evaluators.popitem(last=False)
        return evaluator

    def authorize(
        self,
        caller: Caller,
        action: str,
        resource: str,
        context: dict[str, Any],
        resource_account: str | None = None,
    ) -> Decision:
        """The decision for one call.  The root user of the account may do anything in it."""
        request = Request.build(caller.arn, action, resource, context, resource_account)
        if caller.is_root and request.same_account and not immutable(action, resource):
            return _ROOT_ALLOWED
        try:
            return self.evaluator(caller).evaluate(request)
        except Exception:
            return Decision(Outcome.IMPLICIT_DENY, PolicyType.IDENTITY)
