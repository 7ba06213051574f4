"""The official SARIF 2.1.0 JSON schema, fetched from a registry package rather than copied.

OASIS publishes the schema (https://docs.oasis-open.org/sarif/sarif/v2.1.0/); Microsoft's
``@microsoft/jest-sarif`` npm package (MIT) ships it unchanged as
``lib/schemas/sarif-2.1.0-rtm.5.json`` (rtm.5 is the final 2.1.0 schema).  No PyPI package
ships it: ``sarif-om`` and ``jschema-to-python`` carry generated classes only.  The package is
pinned, fetched once with ``npm pack`` and kept in pytest's cache directory.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest

PACKAGE = "@microsoft/jest-sarif@1.0.0-beta.0"
MEMBER = "package/lib/schemas/sarif-2.1.0-rtm.5.json"


def load(cache_dir: Path) -> dict[str, Any]:
    """The schema, downloading it into ``cache_dir`` on first use (skips without npm, except
    in CI, where it fails)."""
    target = cache_dir / "sarif-2.1.0-rtm.5.json"
    if not target.exists():
        npm = shutil.which("npm")
        if npm is None:
            if os.environ.get("CI"):
                pytest.fail("npm is needed to fetch the SARIF schema")
            pytest.skip("npm is not installed: cannot fetch the SARIF 2.1.0 schema")
        cache_dir.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [npm, "pack", PACKAGE, "--silent"],
            cwd=cache_dir,
            capture_output=True,
            text=True,
            timeout=120,
        )
        tarballs = list(cache_dir.glob("microsoft-jest-sarif-*.tgz"))
        if done.returncode != 0 or not tarballs:
            if os.environ.get("CI"):
                pytest.fail(f"npm pack {PACKAGE} failed: {done.stderr.strip()}")
            pytest.skip(f"npm pack {PACKAGE} failed: {done.stderr.strip()}")
        with tarfile.open(tarballs[0]) as archive:
            handle = archive.extractfile(MEMBER)
            assert handle is not None
            target.write_bytes(handle.read())
        for tarball in tarballs:
            tarball.unlink()
    schema: dict[str, Any] = json.loads(target.read_text())
    return schema
