"""``iamd policy``: validate and simulate policies offline, with no server."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from iamd.cli import validate_cmd
from iamd.policy import (
    MalformedPolicyError,
    Outcome,
    Policy,
    PolicyError,
    PolicyKind,
    PolicySet,
    Request,
    parse_policy,
)
from iamd.policy.explain import explain
from iamd.policy.parser import load_json
from iamd.policy.workload import load_workload


def register(commands: Any) -> None:
    policy = commands.add_parser("policy", help="validate and simulate IAM policies")
    sub = policy.add_subparsers(dest="policy_command", required=True, metavar="SUBCOMMAND")
    simulate = sub.add_parser(
        "simulate",
        help="decide requests against policies",
        description="Decide one request against the given policies, or every request of a "
        "workload file.",
    )
    simulate.add_argument(
        "--policy",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="an identity-based policy (repeatable)",
    )
    simulate.add_argument("--boundary", type=Path, metavar="FILE", help="a permissions boundary")
    simulate.add_argument("--session-policy", type=Path, metavar="FILE", help="a session policy")
    simulate.add_argument(
        "--resource-policy",
        type=Path,
        metavar="FILE",
        help="the resource-based policy of the target resource",
    )
    simulate.add_argument(
        "--scp",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="one SCP level, root first (repeatable); a file may hold a list",
    )
    simulate.add_argument(
        "--rcp",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="one RCP level (repeatable); RCPFullAWSAccess is implied",
    )
    simulate.add_argument(
        "--principal",
        metavar="ARN",
        default="arn:aws:iam::123456789012:user/simulated",
        help="the caller (default: %(default)s)",
    )
    simulate.add_argument("--action", metavar="ACTION", help="e.g. s3:GetObject")
    simulate.add_argument("--resource", metavar="ARN", default="*", help="default: *")
    simulate.add_argument(
        "--resource-account",
        metavar="ID",
        help="the account owning the resource (default: from the ARN, else the caller's)",
    )
    simulate.add_argument(
        "--context",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a request context value (repeatable); a list is KEY=a,b",
    )
    simulate.add_argument("--explain", action="store_true", help="trace every statement")
    simulate.add_argument("--format", choices=("text", "json"), default="text")
    simulate.add_argument(
        "--expect",
        choices=[o.value for o in Outcome],
        help="exit 1 unless the decision is this one (for CI checks)",
    )
    simulate.add_argument("--workload", type=Path, help="an iamd-workload/1 file")
    simulate.add_argument(
        "--bench", action="store_true", help="with --workload: time the evaluation alone"
    )
    simulate.set_defaults(handler=run_simulate)
    validate_cmd.register(sub)


def _read_json(path: Path) -> Any:
    return load_json(path.read_bytes())


def run_simulate(args: argparse.Namespace) -> int:
    if args.workload is not None:
        return _simulate_workload(args.workload, args.bench)
    if not args.action:
        print("iamd policy simulate: --action is required (or --workload)", file=sys.stderr)
        return 2
    try:
        policy_set = _policy_set(args)
        context = _context(args.context)
    except _UsageError as exc:
        print(f"iamd policy simulate: {exc}", file=sys.stderr)
        return 2
    except _PolicyFileError as exc:
        for error in exc.errors:
            print(f"{exc.path}: {error}", file=sys.stderr)
        return 1
    request = Request.build(
        principal=args.principal,
        action=args.action,
        resource=args.resource,
        context=context,
        resource_account=args.resource_account,
    )
    trace = explain(policy_set, request)
    decision = trace.decision
    if args.format == "json":
        body = trace.as_dict()
        if not args.explain:
            body.pop("trace")
        body["message"] = decision.message(request.principal.arn, request.action, request.resource)
        print(json.dumps(body, indent=2))
    elif args.explain:
        print(trace.render(colour=sys.stdout.isatty()))
    else:
        print(decision.outcome.value)
        message = decision.message(request.principal.arn, request.action, request.resource)
        if message:
            print(message)
    if args.expect and decision.outcome.value != args.expect:
        return 1
    return 0


class _UsageError(Exception):
    pass


class _PolicyFileError(Exception):
    """A policy file that does not parse, with every error the parser found."""

    def __init__(self, path: Path, errors: list[PolicyError]) -> None:
        super().__init__(str(path))
        self.path = path
        self.errors = errors


def _load_policy(path: Path, kind: PolicyKind) -> Policy:
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise _UsageError(f"cannot read {path}: {exc.strerror}") from None
    try:
        return parse_policy(text, kind, name=str(path))
    except MalformedPolicyError as exc:
        raise _PolicyFileError(path, exc.errors) from None


def _load_level(path: Path, kind: PolicyKind) -> list[Policy]:
    """One organization level: a file with one policy, or with a JSON list of policies."""
    try:
        value = load_json(path.read_bytes())
    except OSError as exc:
        raise _UsageError(f"cannot read {path}: {exc.strerror}") from None
    except ValueError:
        return [_load_policy(path, kind)]
    if not isinstance(value, list):
        return [_load_policy(path, kind)]
    try:
        return [parse_policy(doc, kind, name=f"{path}[{i}]") for i, doc in enumerate(value)]
    except MalformedPolicyError as exc:
        raise _PolicyFileError(path, exc.errors) from None


def _policy_set(args: argparse.Namespace) -> PolicySet:
    return PolicySet(
        identity=[_load_policy(p, PolicyKind.IDENTITY) for p in args.policy],
        boundary=_load_policy(args.boundary, PolicyKind.BOUNDARY) if args.boundary else None,
        session=(
            _load_policy(args.session_policy, PolicyKind.SESSION) if args.session_policy else None
        ),
        resource=(
            _load_policy(args.resource_policy, PolicyKind.RESOURCE)
            if args.resource_policy
            else None
        ),
        scp=[_load_level(p, PolicyKind.SCP) for p in args.scp],
        rcp=[_load_level(p, PolicyKind.RCP) for p in args.rcp],
    )


def _context(pairs: list[str]) -> dict[str, str | list[str]]:
    """``key=value`` pairs; ``key=a,b`` is a multi-valued key.  A repeated key adds values."""
    context: dict[str, str | list[str]] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise _UsageError(f"--context expects KEY=VALUE, got {pair!r}")
        values = value.split(",") if "," in value else [value]
        if key in context:
            previous = context[key]
            context[key] = [*([previous] if isinstance(previous, str) else previous), *values]
        else:
            context[key] = values if len(values) > 1 else values[0]
    return context


def _simulate_workload(path: Path, bench: bool) -> int:
    try:
        workload = load_workload(_read_json(path))
    except MalformedPolicyError as exc:
        for error in exc.errors:
            print(f"{path}: {error}", file=sys.stderr)
        return 1
    except (OSError, ValueError, KeyError) as exc:
        print(f"{path}: {exc}", file=sys.stderr)
        return 1
    if bench:
        return _bench(workload)
    out = sys.stdout
    for item, decision in workload.decide():
        out.write(json.dumps({"id": item.id, "decision": decision.outcome.value}) + "\n")
    return 0


def _bench(workload: Any) -> int:
    """Decisions per second and per-decision latency, for the evaluation alone."""
    items = [(workload.evaluators[i.policy_set], i.request) for i in workload.requests]
    for evaluator, request in items:  # warm the per-action plans
        evaluator.evaluate(request)
    clock = time.perf_counter_ns
    samples: list[int] = []
    for _ in range(3):
        for evaluator, request in items:
            start = clock()
            evaluator.evaluate(request)
            samples.append(clock() - start)
    samples.sort()
    total = sum(samples) / 1e9
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    print(
        json.dumps(
            {
                "decisions": len(samples),
                "decisions_per_second": round(len(samples) / total),
                "median_us": round(statistics.median(samples) / 1000, 3),
                "p99_us": round(p99 / 1000, 3),
            }
        )
    )
    return 0
