"""Principal Mapper (principalmapper 1.1.5): its local policy simulation, as a peer.

The function timed is ``principalmapper.querying.query_interface.local_check_authorization_full``,
pmapper's own entry point for "is this principal allowed to do this action on this resource with
this context", which checks identity policies, the permissions boundary, the session policy, a
resource policy and SCPs.  It answers a bare boolean, so pmapper cannot tell an explicit from an
implicit deny: it is scored on allowed-ness only.

pmapper 1.1.5 does ``from collections import Mapping``, which Python 3.10 removed.  Rather than
edit site-packages, :func:`install_shims` puts the ``collections.abc`` names back on
``collections`` at run time, before the first import.
"""

from __future__ import annotations

import collections
import collections.abc
from collections.abc import Callable, Sequence
from time import perf_counter_ns
from typing import Any

from peers import (
    ALLOWED,
    DENIED,
    ERROR,
    Document,
    EngineInfo,
    Pass,
    PeerUnavailableError,
    requests_of,
)

_REMOVED_ALIASES = ("Mapping", "MutableMapping", "Sequence", "Iterable", "Callable")


def install_shims() -> None:
    """Restore the ``collections`` aliases removed in Python 3.10 that pmapper still imports."""
    for name in _REMOVED_ALIASES:
        if not hasattr(collections, name):
            setattr(collections, name, getattr(collections.abc, name))


def _node_arn(principal: str) -> tuple[str, bool] | None:
    """The IAM user/role ARN pmapper's ``Node`` accepts for a principal, and whether it is a role.

    An assumed-role session is evaluated as its role (pmapper has no notion of sessions beyond
    the session policy argument); other principal kinds have no ``Node`` and are not run.
    """
    fields = principal.split(":", 5)
    if len(fields) != 6:
        return None
    account, resource = fields[4], fields[5]
    if fields[2] == "iam" and resource.startswith("user/"):
        return principal, False
    if fields[2] == "iam" and resource.startswith("role/"):
        return principal, True
    if fields[2] == "sts" and resource.startswith("assumed-role/"):
        role = resource.split("/")[1]
        return f"arn:{fields[1]}:iam::{account}:role/{role}", True
    return None


class PmapperEngine:
    """Times one ``local_check_authorization_full`` call per request.

    Nodes, ``Policy`` objects and the per-request arguments are built before timing.  The call
    itself deep-copies the context and infers keys such as ``aws:CurrentTime``; that is part of
    what pmapper does for every decision, so it stays inside the timed region.
    """

    def __init__(self, doc: Document, positions: Sequence[int]) -> None:
        install_shims()
        try:
            from principalmapper.common import (  # type: ignore[import-untyped]
                Node,
                Policy,
            )
            from principalmapper.querying.query_interface import (  # type: ignore[import-untyped]
                local_check_authorization_full,
            )
        except ImportError as error:
            raise PeerUnavailableError(f"principalmapper not importable: {error}") from error
        self._check: Callable[..., bool] = local_check_authorization_full

        sets: dict[str, Document] = doc["policy_sets"]
        nodes: dict[tuple[str, str], Any] = {}
        self._calls: list[tuple[Any, str, str, Document, Any, Any, Any, Any]] = []
        run: list[int] = []
        unfaithful: set[int] = set()
        not_run = 0
        for position, raw in zip(positions, requests_of(doc, positions), strict=True):
            name = raw["policy_set"]
            policy_set = sets[name]
            target = _node_arn(raw.get("principal") or "")
            if target is None:
                not_run += 1
                continue
            arn, is_role = target
            node = nodes.get((name, arn))
            if node is None:
                identity = [
                    Policy(
                        f"arn:aws:iam::000000000000:policy/{name}/identity-{i}", f"identity-{i}", p
                    )
                    for i, p in enumerate(policy_set.get("identity") or [])
                ]
                boundary_docs = policy_set.get("boundary") or []
                boundary = (
                    Policy(
                        f"arn:aws:iam::000000000000:policy/{name}/boundary",
                        "boundary",
                        boundary_docs[0],
                    )
                    if boundary_docs
                    else None
                )
                node = Node(
                    arn,
                    f"AID{len(nodes):017d}",
                    identity,
                    [],
                    {} if is_role else None,
                    None,
                    0,
                    False,
                    False,
                    boundary,
                    False,
                    {},
                )
                nodes[(name, arn)] = node
            session_docs = policy_set.get("session") or []
            scp_levels = policy_set.get("scp") or []
            scps = (
                [
                    [
                        Policy(
                            f"arn:aws:organizations::000000000000:policy/scp-{level}-{i}",
                            f"scp-{level}-{i}",
                            p,
                        )
                        for i, p in enumerate(docs)
                    ]
                    for level, docs in enumerate(scp_levels)
                ]
                if scp_levels
                else None
            )
            resource_policy = policy_set.get("resource") or None
            if policy_set.get("rcp"):
                unfaithful.add(position)  # pmapper has no resource control policies
            self._calls.append(
                (
                    node,
                    raw["action"],
                    raw.get("resource", "*"),
                    dict(raw.get("context") or {}),
                    resource_policy,
                    raw.get("resource_account") if resource_policy else None,
                    scps,
                    session_docs[0] if session_docs else None,
                )
            )
            run.append(position)

        notes = [
            "answers a boolean: cannot tell an explicit from an implicit deny, so it is scored "
            "on allowed / not allowed only",
            "timed call: query_interface.local_check_authorization_full (deep-copies the context "
            "and infers aws:CurrentTime, aws:userid, ... on every call)",
        ]
        if not_run:
            notes.append(f"{not_run} requests not run: principal is not an IAM user or role")
        if unfaithful:
            notes.append(f"{len(unfaithful)} requests use RCPs, which pmapper does not model")
        self.info = EngineInfo(
            name="pmapper",
            positions=run,
            three_way=False,
            unfaithful=frozenset(unfaithful),
            not_run=not_run,
            notes=notes,
        )

    def run_pass(self) -> Pass:
        """One pass; an exception from pmapper is recorded as an error for that request."""
        clock = perf_counter_ns
        check = self._check
        times: list[int] = []
        outcomes: list[str] = []
        for node, action, resource, context, rp, owner, scps, session in self._calls:
            try:
                start = clock()
                allowed = check(node, action, resource, context, rp, owner, scps, session)
                end = clock()
            except Exception:
                end = clock()
                times.append(end - start)
                outcomes.append(ERROR)
                continue
            times.append(end - start)
            outcomes.append(ALLOWED if allowed else DENIED)
        return Pass(times, outcomes, sum(times))

    def close(self) -> None:
        """Nothing to release: pmapper runs in-process."""


def build(doc: Document, positions: Sequence[int]) -> list[PmapperEngine]:
    """The pmapper engine over ``positions``; :class:`PeerUnavailableError` if not installed."""
    return [PmapperEngine(doc, positions)]
