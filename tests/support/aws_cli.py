"""The real aws CLI, run the way its users run it: a private HOME with its own config file,
no credentials in the environment, and no terminal (so an MFA prompt reads standard input)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

AWS = shutil.which("aws", path=str(Path(sys.executable).parent)) or shutil.which("aws")


def run_aws(home: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """The aws CLI with a private HOME and config file and no credentials in its environment.

    ``start_new_session`` detaches it from any terminal, so the MFA prompt (getpass) reads the
    code from standard input, as it does under CI, instead of from a developer's terminal.
    """
    assert AWS, "the aws CLI is a test dependency (awscli in pyproject)"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "AWS_CONFIG_FILE": str(home / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials"),
    }
    return subprocess.run(
        [AWS, "--output", "json", *args],
        env=env,
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=300,
        start_new_session=True,
    )


def write_config(home: Path, profiles: dict[str, dict[str, str]]) -> None:
    """``HOME/config`` with one ``[profile NAME]`` section per profile."""
    home.mkdir(parents=True, exist_ok=True)
    text = ""
    for name, settings in profiles.items():
        text += f"[profile {name}]\n" + "".join(f"{k} = {v}\n" for k, v in settings.items())
        text += "\n"
    (home / "config").write_text(text)
