"""iamd's policy engine, decision for decision, against @cloud-copilot/iam-simulate.

Why a differential test: unit tests check the cases their authors thought of; an independent
engine run over thousands of random requests finds the ones nobody thought of.  The oracle is
iam-simulate 0.1.173 (pinned in ``package.json``), run as an external ``node`` process through
``oracle.mjs``.  It is AGPL-licensed, so the repository only *calls* it and never vendors it.

The workloads come from ``generate.py`` with fixed seeds, so every run is reproducible.  Set
``IAMD_DIFF_SEEDS=1,2,3`` to explore other seeds locally; every unexplained disagreement is
written to ``report.json`` in the pytest temporary directory (the path is printed).  To replay
by hand: ``python tests/differential/generate.py --seed 7 > w.json`` then
``node tests/differential/oracle.mjs w.json``.

Where the two engines disagree and AWS's documentation shows iam-simulate is wrong (or iamd
deliberately goes further), the difference is listed in ``KNOWN_DIFFERENCES.md`` and filtered
here by a precise, feature-based rewrite: the policy set is rewritten to iam-simulate's reading
of that one feature, iamd decides again, and only if iamd then agrees with the oracle is the
disagreement explained.  Any other disagreement fails the test.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import os
import re
import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import pytest

from iamd.policy.workload import load_workload

from . import generate

pytestmark = pytest.mark.differential

HERE = Path(__file__).resolve().parent
ORACLE_SCRIPT = HERE / "oracle.mjs"
ORACLE_PACKAGE = HERE / "node_modules" / "@cloud-copilot" / "iam-simulate"
DEFAULT_SEEDS = (20251123, 7)
SETS_PER_WORKLOAD = 80
REQUESTS_PER_SET = 25
MAX_ORACLE_ERROR_RATE = 0.05
NEVER_MATCHES = "arn:aws:iamd-never-matches:::never-matches"
"""A well-formed ARN no request resource or condition value ever equals."""

Json = dict[str, Any]


# --------------------------------------------------------------------------------------------
# Running the two engines.
# --------------------------------------------------------------------------------------------


def _unavailable(reason: str) -> NoReturn:
    """Skip locally, but fail in CI: CI must run the differential test, never skip it."""
    if os.environ.get("CI"):
        pytest.fail(f"differential test cannot run in CI: {reason}")
    pytest.skip(reason)


def _ensure_oracle() -> str:
    """The ``node`` executable, after installing the pinned oracle with ``npm ci`` if needed."""
    node = shutil.which("node")
    npm = shutil.which("npm")
    if node is None or npm is None:
        _unavailable("node and npm are needed to run the iam-simulate oracle")
    if not ORACLE_PACKAGE.is_dir():
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=HERE,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0 or not ORACLE_PACKAGE.is_dir():
            _unavailable(f"npm ci failed in {HERE}:\n{done.stderr[-2000:]}")
    return node


def run_oracle(node: str, workload_path: Path) -> dict[Any, Json]:
    """iam-simulate's answer for every request of the workload, by request id."""
    # Date.parse reads ISO dates without a zone as local time: pin the zone for reproducibility.
    env = {**os.environ, "TZ": "UTC"}
    done = subprocess.run(
        [node, str(ORACLE_SCRIPT), str(workload_path)],
        cwd=HERE,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=env,
    )
    assert done.returncode == 0, f"oracle failed:\n{done.stderr[-4000:]}"
    answers = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return {answer["id"]: answer for answer in answers}


def decide(policy_set: Json, requests: list[Json]) -> list[str]:
    """iamd's outcome for each request against one policy set (through the workload API)."""
    document = {
        "format": generate.FORMAT,
        "policy_sets": {"set": policy_set},
        "requests": [{**request, "policy_set": "set"} for request in requests],
    }
    return [decision.outcome.value for _, decision in load_workload(document).decide()]


def without_ignored_keys(request: Json, ignored: list[str]) -> Json:
    """The request with the context the oracle actually evaluated (FORMAT.md: ``context``)."""
    if not ignored:
        return request
    dropped = {key.lower() for key in ignored}
    context = {k: v for k, v in request["context"].items() if k.lower() not in dropped}
    return {**request, "context": context}


# --------------------------------------------------------------------------------------------
# Walking and rewriting policy sets (for the known differences).
# --------------------------------------------------------------------------------------------


def _documents(policy_set: Json) -> Iterator[Json]:
    yield from policy_set.get("identity") or []
    yield from policy_set.get("boundary") or []
    yield from policy_set.get("session") or []
    if policy_set.get("resource"):
        yield policy_set["resource"]
    for level in (policy_set.get("scp") or []) + (policy_set.get("rcp") or []):
        yield from level


def _statements(document: Json) -> list[Json]:
    body = document.get("Statement", [])
    return [body] if isinstance(body, dict) else list(body)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _rewrite_statements(
    policy_set: Json, change: Callable[[Json], Json | None]
) -> tuple[Json, bool]:
    """A copy of ``policy_set`` with ``change`` applied to every statement (None = unchanged)."""
    result = copy.deepcopy(policy_set)
    changed = False
    for document in _documents(result):
        statements = _statements(document)
        for index, statement in enumerate(statements):
            new = change(statement)
            if new is not None:
                statements[index] = new
                changed = True
        document["Statement"] = statements
    return result, changed


def arn_fields(text: str) -> list[str]:
    """Split an ARN (or ARN pattern) into its six fields, never at a colon inside ``${...}``."""
    fields: list[str] = []
    current: list[str] = []
    index = 0
    while index < len(text):
        if text.startswith("${", index) and (end := text.find("}", index + 2)) >= 0:
            current.append(text[index : end + 1])
            index = end + 1
            continue
        if text[index] == ":" and len(fields) < 5:
            fields.append("".join(current))
            current = []
        else:
            current.append(text[index])
        index += 1
    fields.append("".join(current))
    return fields


def _variable_outside_resource_part(text: str) -> bool:
    fields = arn_fields(text)
    return len(fields) == 6 and any("${" in field for field in fields[1:5])


def _simulate_product_has_variable(text: str) -> bool:
    """iam-simulate's resource-type prefix (split at every colon) swallows a policy variable.

    It splits the policy ARN at every ``:`` (also inside ``${aws:...}``) and takes the text up to
    the first ``/`` or ``:`` of the resource part as a literal resource type.  When the resource
    part opens with a variable (``${aws:username}-queue``), that "type" is ``${aws:`` and the
    entry can never match.
    """
    if _variable_outside_resource_part(text):
        return False
    parts = text.split(":")
    if len(parts) < 6 or "${" not in text:
        return False
    service, region, account = parts[2], parts[3], parts[4]
    if service == "s3" and not region and not account:
        return False
    resource = ":".join(parts[5:])
    cuts = [i for i in (resource.find("/"), resource.find(":")) if i >= 0]
    product = resource[: min(cuts) + 1] if cuts else ""
    return "${" in product


def _replace_resources(policy_set: Json, broken: Callable[[str], bool]) -> Json | None:
    def change(statement: Json) -> Json | None:
        for element in ("Resource", "NotResource"):
            if element not in statement:
                continue
            values = _as_list(statement[element])
            if any(broken(v) for v in values):
                new = dict(statement)
                new[element] = [NEVER_MATCHES if broken(v) else v for v in values]
                return new
        return None

    result, changed = _rewrite_statements(policy_set, change)
    return result if changed else None


def _rewrite_conditions(
    policy_set: Json, change: Callable[[str, str, list[str]], list[str] | None]
) -> Json | None:
    """Rewrite condition values: ``change(operator, key, values)`` returns new values or None."""

    def statement_change(statement: Json) -> Json | None:
        block = statement.get("Condition")
        if not isinstance(block, dict):
            return None
        new_block: Json = {}
        changed = False
        for operator, keys in block.items():
            new_keys: Json = {}
            for key, values in keys.items():
                replaced = change(operator, key, [str(v) for v in _as_list(values)])
                new_keys[key] = values if replaced is None else replaced
                changed = changed or replaced is not None
            new_block[operator] = new_keys
        return {**statement, "Condition": new_block} if changed else None

    result, changed = _rewrite_statements(policy_set, statement_change)
    return result if changed else None


def _context_has(request: Json, key: str) -> bool:
    return key.lower() in {k.lower() for k in request["context"]}


def _context_value(request: Json, key: str) -> Any:
    for name, value in request["context"].items():
        if name.lower() == key.lower():
            return value
    return None


# --------------------------------------------------------------------------------------------
# The known differences (see KNOWN_DIFFERENCES.md for the AWS documentation behind each).
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One request on which the engines disagree, with everything needed to re-decide it."""

    policy_set: Json
    request: Json
    oracle: str
    iamd: str


Rewrite = Callable[[Case], tuple[Json, Json] | None]
"""Rewrites a case to iam-simulate's reading of one feature; None if the feature is absent."""


def _principal_account(arn: str) -> str:
    fields = arn.split(":")
    return fields[4] if len(fields) >= 6 else ""


def session_policy_vs_direct_resource_grant(case: Case) -> tuple[Json, Json] | None:
    """KD1: a same-account resource policy naming the session itself (or ``*``) grants past a
    session policy's implicit deny in iamd; iam-simulate lets the session policy block it."""
    request = case.request
    policy_set = case.policy_set
    principal = request["principal"]
    if not policy_set.get("session") or not policy_set.get("resource"):
        return None
    if ":assumed-role/" not in principal and ":federated-user/" not in principal:
        return None
    if _principal_account(principal) != request.get("resource_account"):
        return None
    session_only = {"identity": policy_set["session"]}
    if decide(session_only, [request])[0] == "Allowed":
        return None

    def names_caller_directly(statement: Json) -> bool:
        if "NotPrincipal" in statement:
            # Allow + NotPrincipal is "everyone but ...", i.e. "*" less some exclusions; when
            # it excludes the caller it does not apply at all, so dropping it changes nothing.
            return True
        element = statement.get("Principal")
        if element == "*":
            return True
        if not isinstance(element, dict):
            return False
        aws = _as_list(element.get("AWS", []))
        return "*" in aws or principal in aws

    resource = copy.deepcopy(policy_set["resource"])
    statements = _statements(resource)
    kept = [s for s in statements if not (s.get("Effect") == "Allow" and names_caller_directly(s))]
    if len(kept) == len(statements):
        return None
    rewritten = copy.deepcopy(policy_set)
    rewritten["resource"] = {**resource, "Statement": kept} if kept else None
    return rewritten, request


def variable_outside_resource_part(case: Case) -> tuple[Json, Json] | None:
    """KD3: iamd substitutes policy variables in every ARN field of Resource/NotResource;
    iam-simulate only in the resource part (others then never match)."""
    rewritten = _replace_resources(case.policy_set, _variable_outside_resource_part)
    return (rewritten, case.request) if rewritten else None


def variable_opening_resource_part(case: Case) -> tuple[Json, Json] | None:
    """KD4: iam-simulate cannot match a Resource whose resource part opens with a variable
    (``arn:aws:sqs:...:${aws:username}-queue``) for services without a resource-type prefix."""
    rewritten = _replace_resources(case.policy_set, _simulate_product_has_variable)
    return (rewritten, case.request) if rewritten else None


def arn_condition_variable_outside_resource_part(case: Case) -> tuple[Json, Json] | None:
    """KD5: iam-simulate splits ``Arn*`` condition values at colons inside ``${aws:...}``, so a
    variable in the account (or region, ...) field never matches."""

    def change(operator: str, key: str, values: list[str]) -> list[str] | None:
        if not operator.lower().split(":")[-1].startswith("arn"):
            return None
        if not any(_variable_outside_resource_part(v) for v in values):
            return None
        return [NEVER_MATCHES if _variable_outside_resource_part(v) else v for v in values]

    rewritten = _rewrite_conditions(case.policy_set, change)
    return (rewritten, case.request) if rewritten else None


_IPV4_ANY = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}/0$")


def ipv4_zero_prefix(case: Case) -> tuple[Json, Json] | None:
    """KD6: iam-simulate computes an IPv4 /0 mask with a 32-bit shift (``-1 << 32 == -1``), so
    ``10.0.0.0/0`` matches only ``10.0.0.0`` instead of every IPv4 address."""

    def change(operator: str, key: str, values: list[str]) -> list[str] | None:
        if "ipaddress" not in operator.lower():
            return None
        if not any(_IPV4_ANY.match(v) for v in values):
            return None
        return [v.split("/")[0] + "/32" if _IPV4_ANY.match(v) else v for v in values]

    rewritten = _rewrite_conditions(case.policy_set, change)
    return (rewritten, case.request) if rewritten else None


def _ip_version(text: str) -> int | None:
    try:
        return ipaddress.ip_address(text).version
    except ValueError:
        return None


def bare_address_other_version(case: Case) -> tuple[Json, Json] | None:
    """KD8: iam-simulate makes a bare address (no ``/prefix``) of the other IP version fail
    ``NotIpAddress``; an IPv6 caller is not the IPv4 host ``10.20.30.40``, so it should hold."""

    def change(operator: str, key: str, values: list[str]) -> list[str] | None:
        if "notipaddress" not in operator.lower():
            return None
        actual = _context_value(case.request, key)
        version = _ip_version(actual) if isinstance(actual, str) else None
        if version is None:
            return None

        def other(value: str) -> bool:
            found = _ip_version(value) if "/" not in value else None
            return found is not None and found != version

        if not any(other(v) for v in values):
            return None
        assert isinstance(actual, str)
        # iam-simulate's reading: the clause fails, as if the policy listed the caller's address.
        return [actual if other(v) else v for v in values]

    rewritten = _rewrite_conditions(case.policy_set, change)
    return (rewritten, case.request) if rewritten else None


_EPOCH = re.compile(r"^-?\d+$")


def _iso_seconds(text: str) -> float | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def epoch_and_iso_dates_mixed(case: Case) -> tuple[Json, Json] | None:
    """KD7: iam-simulate reads epoch values as seconds but ISO 8601 values as milliseconds, so
    a Date* comparison between an epoch and an ISO value is off by a factor of 1000."""

    def change(operator: str, key: str, values: list[str]) -> list[str] | None:
        if not operator.lower().split(":")[-1].startswith("date"):
            return None
        actual = _context_value(case.request, key)
        if not isinstance(actual, str):
            return None
        request_epoch = bool(_EPOCH.match(actual))
        out: list[str] = []
        for value in values:
            if bool(_EPOCH.match(value)) == request_epoch:
                out.append(value)
            elif request_epoch:
                # ISO policy value (ms in iam-simulate) against epoch seconds: scale it up.
                seconds = _iso_seconds(value)
                out.append(value if seconds is None else str(round(seconds * 1000)))
            else:
                # Epoch policy value (s) against an ISO request value (ms): scale it down.
                moment = datetime.fromtimestamp(int(value) / 1000, tz=UTC)
                out.append(moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"))
        return out if out != values else None

    rewritten = _rewrite_conditions(case.policy_set, change)
    return (rewritten, case.request) if rewritten else None


def variables_in_old_policy_versions(case: Case) -> tuple[Json, Json] | None:
    """KD9: policy variables exist only in Version 2012-10-17; iamd reads ``${...}`` literally
    in a 2008-10-17 policy or one without Version, iam-simulate substitutes it anyway."""
    rewritten = copy.deepcopy(case.policy_set)
    changed = False
    for document in _documents(rewritten):
        if document.get("Version") != "2012-10-17" and "${" in json.dumps(document):
            document["Version"] = "2012-10-17"
            changed = True
    return (rewritten, case.request) if changed else None


@dataclass(frozen=True)
class KnownDifference:
    name: str
    """The heading of the entry in KNOWN_DIFFERENCES.md."""
    rewrite: Rewrite


KNOWN_DIFFERENCES = (
    KnownDifference(
        "KD1 session policy vs direct resource-policy grant",
        session_policy_vs_direct_resource_grant,
    ),
    KnownDifference(
        "KD3 policy variable outside the resource part of a Resource ARN",
        variable_outside_resource_part,
    ),
    KnownDifference(
        "KD4 policy variable opening a resource part without a type prefix",
        variable_opening_resource_part,
    ),
    KnownDifference(
        "KD5 policy variable outside the resource part of an Arn* condition value",
        arn_condition_variable_outside_resource_part,
    ),
    KnownDifference("KD6 IPv4 /0 CIDR block", ipv4_zero_prefix),
    KnownDifference("KD7 epoch vs ISO 8601 Date* comparison", epoch_and_iso_dates_mixed),
    KnownDifference(
        "KD8 bare IP address of the other version in NotIpAddress", bare_address_other_version
    ),
    KnownDifference(
        "KD9 policy variables in a policy older than Version 2012-10-17",
        variables_in_old_policy_versions,
    ),
)


def explain(case: Case) -> str | None:
    """The known difference(s) that account for a disagreement, or None if none does."""
    applicable: list[tuple[KnownDifference, tuple[Json, Json]]] = []
    for known in KNOWN_DIFFERENCES:
        rewritten = known.rewrite(case)
        if rewritten is not None:
            applicable.append((known, rewritten))
    for known, (policy_set, request) in applicable:
        if decide(policy_set, [request])[0] == case.oracle:
            return known.name
    if not applicable:
        return None
    # Several documented features at once: apply the rewrites until none applies any more (one
    # can expose another, e.g. a Resource rewrite that makes a session policy stop allowing).
    current = case
    names: list[str] = []
    for _ in range(2 * len(KNOWN_DIFFERENCES)):
        changed = False
        for known in KNOWN_DIFFERENCES:
            rewritten = known.rewrite(current)
            if rewritten is not None:
                changed = True
                short = known.name.split()[0]
                if short not in names:
                    names.append(short)
                current = Case(rewritten[0], rewritten[1], case.oracle, case.iamd)
        if not changed:
            break
    if decide(current.policy_set, [current.request])[0] == case.oracle:
        return " + ".join(sorted(names))
    return None


# --------------------------------------------------------------------------------------------
# One minimal, executable example per known difference (the ones in KNOWN_DIFFERENCES.md).
# --------------------------------------------------------------------------------------------

HOME = generate.HOME
ALICE = f"arn:aws:iam::{HOME}:user/alice"
APP_SESSION = f"arn:aws:sts::{HOME}:assumed-role/AppRole/s1"
OBJECT = "arn:aws:s3:::team-data/home/alice/notes.txt"


def _policy(*statements: Json, version: str | None = "2012-10-17") -> Json:
    return {**({"Version": version} if version else {}), "Statement": list(statements)}


def _allow_get(condition: Json) -> Json:
    """Identity policy: s3:GetObject on everything, under ``condition``."""
    return _policy(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": condition}
    )


def _example(
    identity: list[Json],
    *,
    principal: str = ALICE,
    action: str = "s3:GetObject",
    resource: str = OBJECT,
    context: Json | None = None,
    session: Json | None = None,
    resource_policy: Json | None = None,
) -> tuple[Json, Json]:
    """A policy set and a same-account request, with only the layers an example needs."""
    policy_set = {
        "identity": identity,
        "boundary": [],
        "session": [session] if session else [],
        "resource": resource_policy,
        "scp": [],
        "rcp": [],
    }
    request = {
        "principal": principal,
        "action": action,
        "resource": resource,
        "resource_account": HOME,
        "context": context or {},
    }
    return policy_set, request


@dataclass(frozen=True)
class Example:
    known: str
    """The KNOWN_DIFFERENCES entry (its ``KDn`` label) the example demonstrates."""
    policy_set: Json
    request: Json
    iamd: str
    oracle: str


EXAMPLES = (
    Example(
        "KD1",
        *_example(
            [_policy({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})],
            principal=APP_SESSION,
            session=_policy({"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}),
            resource_policy=_policy(
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": APP_SESSION},
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::team-data/*",
                }
            ),
        ),
        iamd="Allowed",
        oracle="ImplicitlyDenied",
    ),
    Example(
        "KD3",
        *_example(
            [
                _policy(
                    {
                        "Effect": "Allow",
                        "Action": "dynamodb:GetItem",
                        "Resource": "arn:aws:dynamodb:*:${aws:PrincipalAccount}:table/*",
                    }
                )
            ],
            action="dynamodb:GetItem",
            resource=f"arn:aws:dynamodb:us-east-1:{HOME}:table/Orders",
            context={"aws:PrincipalAccount": HOME},
        ),
        iamd="Allowed",
        oracle="ImplicitlyDenied",
    ),
    Example(
        "KD4",
        *_example(
            [
                _policy(
                    {
                        "Effect": "Allow",
                        "Action": "sqs:SendMessage",
                        "Resource": f"arn:aws:sqs:us-east-1:{HOME}:${{aws:username}}-queue",
                    }
                )
            ],
            action="sqs:SendMessage",
            resource=f"arn:aws:sqs:us-east-1:{HOME}:alice-queue",
            context={"aws:username": "alice"},
        ),
        iamd="Allowed",
        oracle="ImplicitlyDenied",
    ),
    Example(
        "KD5",
        *_example(
            [
                _allow_get(
                    {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::${aws:PrincipalAccount}:user/*"}}
                )
            ],
            context={"aws:PrincipalArn": ALICE, "aws:PrincipalAccount": HOME},
        ),
        iamd="Allowed",
        oracle="ImplicitlyDenied",
    ),
    Example(
        "KD6",
        *_example(
            [_allow_get({"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}})],
            context={"aws:SourceIp": "203.0.113.9"},
        ),
        iamd="Allowed",
        oracle="ImplicitlyDenied",
    ),
    Example(
        "KD7",
        *_example(
            [_allow_get({"DateLessThan": {"aws:CurrentTime": "1704067200"}})],
            context={"aws:CurrentTime": "2023-12-31T23:59:59Z"},
        ),
        iamd="Allowed",
        oracle="ImplicitlyDenied",
    ),
    Example(
        "KD8",
        *_example(
            [_allow_get({"NotIpAddress": {"aws:SourceIp": "10.20.30.40"}})],
            context={"aws:SourceIp": "2001:db8::1"},
        ),
        iamd="Allowed",
        oracle="ImplicitlyDenied",
    ),
    Example(
        "KD9",
        *_example(
            [
                _policy(
                    {
                        "Effect": "Allow",
                        "Action": "s3:GetObject",
                        "Resource": "arn:aws:s3:::team-data/home/${aws:username}/*",
                    },
                    version="2008-10-17",
                )
            ],
            context={"aws:username": "alice"},
        ),
        iamd="ImplicitlyDenied",
        oracle="Allowed",
    ),
)


# --------------------------------------------------------------------------------------------
# The comparison, run once for the module.
# --------------------------------------------------------------------------------------------


@dataclass
class Comparison:
    """What the comparison found, for the assertions and the printed summary."""

    requests: int
    oracle_errors: Counter[str]
    agreements: Counter[str]
    explained: Counter[str]
    unexplained: list[Case]
    seconds: float

    def summary(self) -> str:
        lines = [
            f"{self.requests} requests in {self.seconds:.1f}s; "
            f"oracle errors {sum(self.oracle_errors.values())}; "
            f"agreements {sum(self.agreements.values())} {dict(self.agreements)}",
            f"known differences: {dict(self.explained) or 'none'}",
            f"unexplained disagreements: {len(self.unexplained)}",
        ]
        return "\n".join(lines)


def _repro(case: Case) -> str:
    request = {k: v for k, v in case.request.items() if k != "policy_set"}
    return (
        f"oracle={case.oracle} iamd={case.iamd}\n"
        f"request: {json.dumps(request)}\n"
        f"policy set: {json.dumps(case.policy_set)}"
    )


@pytest.fixture(scope="module")
def comparison(tmp_path_factory: pytest.TempPathFactory) -> Comparison:
    """Generate the seeded workloads, let both engines decide them, and classify every answer.

    Runs once per module: the oracle is the slow part, and every test reads the same result.
    The full list of unexplained disagreements is written to ``report.json`` for minimising.
    """
    node = _ensure_oracle()
    started = time.monotonic()
    seeds_text = os.environ.get("IAMD_DIFF_SEEDS")
    seeds = tuple(int(s) for s in seeds_text.split(",")) if seeds_text else DEFAULT_SEEDS
    directory = tmp_path_factory.mktemp("differential")
    result = Comparison(0, Counter(), Counter(), Counter(), [], 0.0)
    for seed in seeds:
        workload = generate.generate(seed, SETS_PER_WORKLOAD, REQUESTS_PER_SET)
        path = directory / f"workload-{seed}.json"
        path.write_text(json.dumps(workload))
        answers = run_oracle(node, path)
        by_set: dict[str, list[Json]] = {}
        for request in workload["requests"]:
            result.requests += 1
            answer = answers.get(request["id"], {"decision": "Error", "error": "no answer"})
            if answer["decision"] == "Error":
                result.oracle_errors[str(answer["error"])[:120]] += 1
                continue
            request = without_ignored_keys(request, answer.get("ignored") or [])
            by_set.setdefault(request["policy_set"], []).append(request)
        for name, requests in by_set.items():
            policy_set = workload["policy_sets"][name]
            try:
                outcomes = decide(policy_set, requests)
            except Exception as error:  # iamd refused a policy the oracle accepted
                outcomes = [f"iamd error: {error}"] * len(requests)
            for request, outcome in zip(requests, outcomes, strict=True):
                expected = answers[request["id"]]["decision"]
                if outcome == expected:
                    result.agreements[expected] += 1
                    continue
                case = Case(policy_set, request, expected, outcome)
                reason = explain(case) if not outcome.startswith("iamd error") else None
                if reason is None:
                    result.unexplained.append(case)
                else:
                    result.explained[reason] += 1
    result.seconds = time.monotonic() - started
    report = directory / "report.json"
    report.write_text(
        json.dumps(
            {
                "summary": result.summary(),
                "unexplained": [
                    {
                        "oracle": c.oracle,
                        "iamd": c.iamd,
                        "request": c.request,
                        "policy_set": c.policy_set,
                    }
                    for c in result.unexplained
                ],
            },
            indent=1,
        )
    )
    print(result.summary(), f"\nreport: {report}")
    return result


def test_known_differences_still_hold(tmp_path: Path) -> None:
    """Each documented difference, on its minimal example: iamd and the pinned oracle still
    answer as KNOWN_DIFFERENCES.md says, and the filter attributes it to that entry alone.

    If this fails after an upgrade of iam-simulate or a change in iamd, the entry (and its
    filter) must be revisited rather than left to hide other disagreements.
    """
    node = _ensure_oracle()
    workload = {
        "format": generate.FORMAT,
        "policy_sets": {f"ex{i}": ex.policy_set for i, ex in enumerate(EXAMPLES)},
        "requests": [
            {**ex.request, "id": i, "policy_set": f"ex{i}"} for i, ex in enumerate(EXAMPLES)
        ],
    }
    path = tmp_path / "examples.json"
    path.write_text(json.dumps(workload))
    answers = run_oracle(node, path)
    problems = []
    for i, ex in enumerate(EXAMPLES):
        oracle = answers[i]["decision"]
        iamd = decide(ex.policy_set, [ex.request])[0]
        reason = explain(Case(ex.policy_set, ex.request, oracle, iamd))
        if (
            (oracle, iamd) != (ex.oracle, ex.iamd)
            or reason is None
            or reason.split()[0] != ex.known
        ):
            problems.append(f"{ex.known}: oracle={oracle} iamd={iamd} explained as {reason!r}")
    assert not problems, "\n".join(problems)


def test_oracle_accepts_the_generated_requests(comparison: Comparison) -> None:
    """The generator must produce requests iam-simulate can decide, or the test proves little."""
    errors = sum(comparison.oracle_errors.values())
    assert errors <= MAX_ORACLE_ERROR_RATE * comparison.requests, (
        f"{errors} of {comparison.requests} requests were oracle errors: "
        f"{comparison.oracle_errors.most_common(5)}"
    )


def test_workloads_reach_every_outcome(comparison: Comparison) -> None:
    """Guards the generator against drifting into a workload where everything is denied."""
    total = sum(comparison.agreements.values()) or 1
    for outcome in ("Allowed", "ExplicitlyDenied", "ImplicitlyDenied"):
        share = comparison.agreements[outcome] / total
        assert share >= 0.1, f"only {share:.0%} of decisions are {outcome}: {comparison.summary()}"


def test_iamd_agrees_with_iam_simulate(comparison: Comparison) -> None:
    """Every disagreement must be a documented known difference (KNOWN_DIFFERENCES.md)."""
    unexplained = comparison.unexplained
    if unexplained:
        shown = "\n\n".join(_repro(case) for case in unexplained[:3])
        by_kind = Counter((c.oracle, c.iamd) for c in unexplained)
        pytest.fail(
            f"{len(unexplained)} unexplained disagreements {dict(by_kind)}\n"
            f"{comparison.summary()}\n\nfirst repros:\n{shown}",
            pytrace=False,
        )
