"""The ``iamd-workload/1`` format: many requests against named policy sets.

The format is described in ``shared/workloads/FORMAT.md``.  This module turns an already-loaded
JSON value into evaluators and requests; it does no I/O, so the CLI, the benchmark and the
differential tests share it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from iamd.policy.decision import Decision
from iamd.policy.evaluator import Evaluator, PolicySet
from iamd.policy.model import Policy, PolicyKind
from iamd.policy.parser import parse_policy
from iamd.policy.request import Request

FORMAT = "iamd-workload/1"


@dataclass(frozen=True, slots=True)
class WorkloadRequest:
    id: Any
    policy_set: str
    request: Request
    expected: str | None


@dataclass(frozen=True)
class Workload:
    evaluators: Mapping[str, Evaluator]
    requests: list[WorkloadRequest]

    def decide(self) -> Iterator[tuple[WorkloadRequest, Decision]]:
        for item in self.requests:
            yield item, self.evaluators[item.policy_set].evaluate(item.request)


def _parse_many(docs: Any, kind: PolicyKind, label: str) -> list[Policy]:
    return [parse_policy(doc, kind, f"{label}[{i}]") for i, doc in enumerate(docs or [])]


def policy_set_from_json(name: str, value: Mapping[str, Any]) -> PolicySet:
    """A :class:`PolicySet` from one entry of a workload's ``policy_sets``."""
    boundary = _parse_many(value.get("boundary"), PolicyKind.BOUNDARY, f"{name}.boundary")
    session = _parse_many(value.get("session"), PolicyKind.SESSION, f"{name}.session")
    resource = value.get("resource")
    resource_kind = PolicyKind.RESOURCE
    if resource is None and value.get("trust") is not None:
        # iamd's extension of the format: a role's trust policy stands in the resource's place.
        resource, resource_kind = value["trust"], PolicyKind.TRUST
    return PolicySet(
        identity=_parse_many(value.get("identity"), PolicyKind.IDENTITY, f"{name}.identity"),
        boundary=boundary[0] if boundary else None,
        session=session[0] if session else None,
        resource=(
            parse_policy(resource, resource_kind, f"{name}.{resource_kind.value}")
            if resource
            else None
        ),
        scp=[
            _parse_many(level, PolicyKind.SCP, f"{name}.scp[{i}]")
            for i, level in enumerate(value.get("scp") or [])
        ],
        rcp=[
            _parse_many(level, PolicyKind.RCP, f"{name}.rcp[{i}]")
            for i, level in enumerate(value.get("rcp") or [])
        ],
    )


def load_workload(value: Mapping[str, Any]) -> Workload:
    """Compile every policy set and build every request of a workload document."""
    if value.get("format") != FORMAT:
        raise ValueError(f"not an {FORMAT} document (format={value.get('format')!r})")
    evaluators = {
        name: Evaluator(policy_set_from_json(name, entry))
        for name, entry in value.get("policy_sets", {}).items()
    }
    requests = []
    for raw in value.get("requests", []):
        if raw["policy_set"] not in evaluators:
            raise ValueError(f"request {raw.get('id')!r} names unknown policy set")
        requests.append(
            WorkloadRequest(
                id=raw.get("id"),
                policy_set=raw["policy_set"],
                request=Request.build(
                    principal=raw.get("principal"),
                    action=raw["action"],
                    resource=raw.get("resource", "*"),
                    context=raw.get("context") or {},
                    resource_account=raw.get("resource_account"),
                ),
                expected=raw.get("expected"),
            )
        )
    return Workload(evaluators=evaluators, requests=requests)
