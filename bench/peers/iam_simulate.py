"""@cloud-copilot/iam-simulate (the workload's oracle), run by node in a child process.

iam-simulate is AGPL-licensed JavaScript, so it is only ever *called*: npm installs it into a
directory under the system temp dir (never into the repository), a small runner script is
written there, and node runs it.  The runner builds every simulation once, then on each
``pass`` line from stdin decides them all, timing each ``runSimulation`` call with
``process.hrtime.bigint()``, and writes one JSON line of times and outcomes back.  Keeping one
process alive across passes lets its passes interleave with the Python engines' like every other
engine's, and keeps node start-up and module loading out of the figures.

It is the oracle that produced the expected decisions, so its disagreements should be zero; its
speed (milliseconds per decision) is why it runs on a few hundred requests only.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from peers import Document, EngineInfo, Pass, PeerUnavailableError, requests_of

PACKAGE = "@cloud-copilot/iam-simulate"
DEFAULT_VERSION = "0.1.173"
INSTALL_TIMEOUT_S = 600

RUNNER = r"""// Written by iamd's bench/peers/iam_simulate.py: calls iam-simulate as a library.
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { runSimulation } from '@cloud-copilot/iam-simulate'

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'))

function accountOf(arn) {
  const fields = String(arn ?? '').split(':')
  return fields.length >= 6 && /^\d{12}$/.test(fields[4]) ? fields[4] : '111111111111'
}

function levels(docsByLevel, account, prefix) {
  const count = (docsByLevel ?? []).length
  return (docsByLevel ?? []).map((docs, index) => ({
    orgIdentifier: index === 0 ? 'r-root' : index === count - 1 ? account : `ou-level${index}`,
    policies: docs.map((policy, n) => ({ name: `${prefix}-${index}-${n}`, policy }))
  }))
}

function simulationFor(set, request) {
  const principalAccount = accountOf(request.principal)
  const resourceAccount = request.resource_account ?? principalAccount
  const simulation = {
    request: {
      principal: request.principal,
      action: request.action,
      resource: { resource: request.resource ?? '*', accountId: resourceAccount },
      contextVariables: request.context ?? {}
    },
    identityPolicies: (set.identity ?? []).map((policy, n) => ({ name: `identity-${n}`, policy })),
    serviceControlPolicies: levels(set.scp, principalAccount, 'scp'),
    resourceControlPolicies: levels(set.rcp, resourceAccount, 'rcp')
  }
  if ((set.boundary ?? []).length) {
    simulation.permissionBoundaryPolicies = set.boundary.map((policy, n) => ({
      name: `boundary-${n}`,
      policy
    }))
  }
  if ((set.session ?? []).length) simulation.sessionPolicy = set.session[0]
  if (set.resource) simulation.resourcePolicy = set.resource
  return simulation
}

const simulations = input.requests.map((r) => simulationFor(input.policy_sets[r.policy_set], r))
const options = { simulationMode: 'Strict' }

async function runPass() {
  const fresh = structuredClone(simulations) // untimed: the engine never sees a reused object
  const times = new Array(fresh.length)
  const outcomes = new Array(fresh.length)
  for (let i = 0; i < fresh.length; i++) {
    let result = null
    const start = process.hrtime.bigint()
    try {
      result = await runSimulation(fresh[i], options)
    } catch {
      result = null
    }
    const end = process.hrtime.bigint()
    times[i] = Number(end - start)
    outcomes[i] = result && result.resultType === 'single' ? result.overallResult : 'Error'
  }
  return { times, outcomes }
}

process.stdout.write(JSON.stringify({ ready: true, node: process.version }) + '\n')
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() !== 'pass') break
  process.stdout.write(JSON.stringify(await runPass()) + '\n')
}
process.exit(0)
"""


def oracle_version(doc: Document) -> str:
    """The iam-simulate version named in the workload's ``oracle`` field (else the default).

    Timing the same version that produced the expected decisions keeps its disagreement count
    meaningful.
    """
    match = re.search(re.escape(PACKAGE) + r"\s+v?(\S+)", str(doc.get("oracle") or ""))
    return match.group(1) if match else DEFAULT_VERSION


def install(version: str) -> Path:
    """A directory holding ``node_modules/@cloud-copilot/iam-simulate`` at ``version``.

    Reused across runs when already there, so only the first run pays for ``npm install``.
    """
    npm = shutil.which("npm")
    if shutil.which("node") is None or npm is None:
        raise PeerUnavailableError("node/npm not found on PATH")
    home = Path(tempfile.gettempdir()) / f"iamd-bench-iam-simulate-{version}"
    manifest = home / "node_modules" / "@cloud-copilot" / "iam-simulate" / "package.json"
    if manifest.is_file() and json.loads(manifest.read_text()).get("version") == version:
        return home
    home.mkdir(parents=True, exist_ok=True)
    (home / "package.json").write_text(
        json.dumps({"name": "iamd-bench-iam-simulate", "private": True, "type": "module"})
    )
    try:
        done = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--loglevel=error", f"{PACKAGE}@{version}"],
            cwd=home,
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise PeerUnavailableError(f"npm install {PACKAGE}@{version} failed: {error}") from error
    if done.returncode != 0 or not manifest.is_file():
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise PeerUnavailableError(f"npm install {PACKAGE}@{version} failed: {tail[0]}")
    return home


class IamSimulateEngine:
    """A node child process deciding the requests with ``runSimulation`` (Strict mode)."""

    def __init__(self, doc: Document, positions: Sequence[int]) -> None:
        version = oracle_version(doc)
        home = install(version)
        runner = home / "bench-runner.mjs"
        runner.write_text(RUNNER)
        raws = requests_of(doc, positions)
        names = {raw["policy_set"] for raw in raws}
        subset = {
            "policy_sets": {name: doc["policy_sets"][name] for name in names},
            "requests": list(raws),
        }
        handle, input_name = tempfile.mkstemp(prefix="requests-", suffix=".json", dir=home)
        with os.fdopen(handle, "w") as stream:
            json.dump(subset, stream)
        self._input = Path(input_name)
        # The child's stderr for its whole life, read only if it dies: not a with-block.
        self._stderr: IO[str] = tempfile.TemporaryFile("w+")  # noqa: SIM115
        node = shutil.which("node") or "node"
        self._process = subprocess.Popen(
            [node, str(runner), str(self._input)],
            cwd=home,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        ready = self._read()
        self.info = EngineInfo(
            name="iam-simulate",
            positions=list(positions),
            notes=[
                f"{PACKAGE} {version} (the workload's oracle), Strict mode, node {ready['node']}; "
                "timed in node with process.hrtime.bigint around each runSimulation call",
                "its API takes policy documents, so each call also validates and parses them",
            ],
        )

    def _read(self) -> dict[str, Any]:
        """The next JSON line from the runner, or the reason it died."""
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            self._process.wait()
            self._stderr.seek(0)
            tail = self._stderr.read().strip().splitlines()[-3:]
            self.close()
            raise PeerUnavailableError(
                f"iam-simulate runner exited: {' | '.join(tail) or 'no output'}"
            )
        value: dict[str, Any] = json.loads(line)
        return value

    def run_pass(self) -> Pass:
        """Ask the runner for one pass and read its times and outcomes."""
        assert self._process.stdin is not None
        self._process.stdin.write("pass\n")
        self._process.stdin.flush()
        answer = self._read()
        times = [int(t) for t in answer["times"]]
        return Pass(times, [str(o) for o in answer["outcomes"]], sum(times))

    def close(self) -> None:
        """Stop the runner (it exits on end of input) and remove the request file."""
        if self._process.poll() is None and self._process.stdin is not None:
            try:
                self._process.stdin.close()
                self._process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self._process.kill()
                self._process.wait()
        self._stderr.close()
        self._input.unlink(missing_ok=True)


def build(doc: Document, positions: Sequence[int]) -> list[IamSimulateEngine]:
    """The iam-simulate engine over ``positions``; :class:`PeerUnavailableError` if it can't."""
    return [IamSimulateEngine(doc, positions)]
