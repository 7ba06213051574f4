"""Run a plan against a running iamd with any IAM client, and count what happened.

Each entity's calls run in order; the first error stops that entity (reported as failed with
AWS's error code and message) and the import goes on with the next one, so one bad entry does
not cost the rest.  Running the import again picks up where it failed: the plan only holds
what is still missing.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from iamd.importer.plan import KINDS, EntityPlan

_SNAKE = re.compile(r"(?<!^)(?=[A-Z])")


def method_name(operation: str) -> str:
    """boto3's method for an operation: ``CreatePolicyVersion`` -> ``create_policy_version``."""
    return _SNAKE.sub("_", operation).lower()


@dataclass
class Summary:
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    aws_managed_skipped: int = 0

    def add(self, plan: EntityPlan, status: str | None = None) -> None:
        self.counts[(plan.kind, status or plan.status)] += 1

    def lines(self) -> list[str]:
        out = []
        for kind in KINDS:
            parts = [
                f"{self.counts[(kind, status)]} {label}"
                for status, label in (
                    ("create", "created"),
                    ("update", "updated"),
                    ("unchanged", "unchanged"),
                    ("skip", "skipped"),
                    ("failed", "failed"),
                )
                if self.counts[(kind, status)]
            ]
            if parts:
                out.append(f"  {kind}: {', '.join(parts)}")
        if self.aws_managed_skipped:
            out.append(
                f"  AWS managed policies: {self.aws_managed_skipped} not imported (iamd has them)"
            )
        return out


def error_text(error: Exception) -> str:
    response = getattr(error, "response", None)
    if isinstance(response, dict) and "Error" in response:
        return f"{response['Error'].get('Code')}: {response['Error'].get('Message')}"
    return str(error)


def describe(plan: EntityPlan) -> str:
    note = f" ({plan.note})" if plan.note else ""
    return f"{plan.status:<9} {plan.kind} {plan.name}{note}"


def apply_plan(
    client: Any,
    plans: list[EntityPlan],
    dry_run: bool = False,
    echo: Callable[[str], None] = print,
) -> Summary:
    summary = Summary()
    for plan in plans:
        echo(describe(plan))
        if dry_run or not plan.calls:
            for call in plan.calls:
                echo(f"    would call {call.describe()}")
            summary.add(plan)
            continue
        try:
            for call in plan.calls:
                getattr(client, method_name(call.operation))(**call.params)
        except Exception as error:  # an AWS error for this entity: report, go on
            text = f"{plan.kind} {plan.name}: {call.operation} failed: {error_text(error)}"
            echo(f"    FAILED {call.operation}: {error_text(error)}")
            summary.failures.append(text)
            summary.add(plan, "failed")
            continue
        summary.add(plan)
    return summary
