"""The AWS SDK for JavaScript v3, pinned in an npm project beside the tests that run it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import NoReturn

import pytest


def unavailable(reason: str) -> NoReturn:
    """Skip on a developer's machine without node; fail in CI, where it must run."""
    if os.environ.get("CI"):
        pytest.fail(f"the JavaScript SDK test cannot run in CI: {reason}")
    pytest.skip(reason)


def node_with(project: Path, package: str) -> str:
    """The ``node`` executable, after ``npm ci`` in ``project`` when ``package`` (a path under
    ``node_modules``, e.g. ``@aws-sdk/client-s3``) is not installed yet."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        unavailable("node and npm are needed to run the AWS SDK for JavaScript")
    installed = project / "node_modules" / package
    if not installed.is_dir():
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0 or not installed.is_dir():
            unavailable(f"npm ci failed in {project}:\n{done.stderr[-2000:]}")
    return node
