"""IAMD_ROOT_PASSWORD at start-up sets the root user's console password (hashed), held to
AWS's rules for the root password.

https://docs.aws.amazon.com/IAM/latest/UserGuide/root-user-password.html
"""

from __future__ import annotations

from pathlib import Path

import pytest

from iamd.auth.passwords import verify_password
from iamd.server.bootstrap import bootstrap
from iamd.store.repos.console_auth import RootPasswords

ENV = {"IAMD_ACCOUNT_ID": "111122223333", "IAMD_MASTER_KEY": "00" * 32}


def test_bootstrap_sets_the_root_password(tmp_path: Path) -> None:
    boot = bootstrap(tmp_path, None, {**ENV, "IAMD_ROOT_PASSWORD": "Good-R00t-pass"})
    try:
        with boot.store.read() as tx:
            stored = tx.repo(RootPasswords).get(boot.account_id)
        assert stored is not None and stored.startswith("scrypt$")
        assert verify_password("Good-R00t-pass", stored)
        # Starting again with the same password keeps the stored hash.
        bootstrap(tmp_path, None, {**ENV, "IAMD_ROOT_PASSWORD": "Good-R00t-pass"}, store=boot.store)
        with boot.store.read() as tx:
            assert tx.repo(RootPasswords).get(boot.account_id) == stored
    finally:
        boot.store.close()


def test_a_weak_root_password_stops_the_start(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="minimum length of 8"):
        bootstrap(tmp_path, None, {**ENV, "IAMD_ROOT_PASSWORD": "short"})


def test_without_the_variable_root_has_no_console_password(tmp_path: Path) -> None:
    boot = bootstrap(tmp_path, None, ENV)
    try:
        with boot.store.read() as tx:
            assert tx.repo(RootPasswords).get(boot.account_id) is None
    finally:
        boot.store.close()
