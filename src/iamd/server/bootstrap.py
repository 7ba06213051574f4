"""First start: the account, the root credentials, the master key.

The account id comes from ``IAMD_ACCOUNT_ID`` or is generated; root credentials come from
``IAMD_ROOT_ACCESS_KEY_ID`` and ``IAMD_ROOT_SECRET_ACCESS_KEY`` (as MinIO takes its root user),
or are generated, printed once, and written to ``root-credentials`` (mode 0600) in the data
directory.  ``IAMD_ROOT_PASSWORD``, when set, is the root user's console password.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from iamd.server.managed_policies import load_into as load_managed_policies
from iamd.store import ConflictError, Store, Tx
from iamd.store.ids import new_account_id, new_id, new_secret
from iamd.store.seal import load_master_key


@dataclass(frozen=True)
class Bootstrapped:
    store: Store
    account_id: str
    root_access_key_id: str


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def _set_root_password(tx: Tx, account_id: str, password: str) -> None:
    """IAMD_ROOT_PASSWORD: the root user's console password (see iamd.console.root_password)."""
    from iamd.console.root_password import set_root_password
    from iamd.errors import AWSError

    try:
        set_root_password(tx, account_id, password)
    except AWSError as error:
        raise SystemExit(f"IAMD_ROOT_PASSWORD: {error.message}") from None


def bootstrap(
    data_dir: Path,
    database_url: str | None,
    env: Mapping[str, str] | None = None,
    default_account: str | None = None,
    store: Store | None = None,
) -> Bootstrapped:
    """Open (or reuse) the store and make sure the account and its root credentials exist."""
    env = os.environ if env is None else env
    data_dir.mkdir(parents=True, exist_ok=True)
    if store is None:
        store = Store.open(database_url, data_dir, load_master_key(data_dir, env))
    with store.write() as tx:
        account = tx.accounts.first()
        if account is None:
            account_id = env.get("IAMD_ACCOUNT_ID") or default_account or new_account_id()
            account = tx.accounts.create(account_id)
        account_id = account.account_id
        wanted_id = env.get("IAMD_ROOT_ACCESS_KEY_ID")
        wanted_secret = env.get("IAMD_ROOT_SECRET_ACCESS_KEY")
        roots = tx.access_keys.root_keys(account_id)
        if wanted_id and wanted_secret:
            current = next((k for k in roots if k.id == wanted_id), None)
            if current is None or current.secret != wanted_secret:
                for key in roots:
                    tx.access_keys.delete(key.id)
                try:
                    tx.access_keys.create(account_id, None, wanted_id, wanted_secret)
                except ConflictError:
                    raise SystemExit(
                        f"IAMD_ROOT_ACCESS_KEY_ID {wanted_id} is already an IAM user's key"
                    ) from None
            root_id = wanted_id
        elif roots:
            root_id = roots[0].id
        else:
            key = tx.access_keys.create(account_id, None, new_id("access-key"), new_secret())
            root_id = key.id
            text = (
                f"account_id = {account_id}\n"
                f"aws_access_key_id = {key.id}\n"
                f"aws_secret_access_key = {key.secret}\n"
            )
            _write_private(data_dir / "root-credentials", text)
            print(
                "iamd: generated root credentials (shown once; also in "
                f"{data_dir / 'root-credentials'}):\n{text}",
                file=sys.stderr,
            )
        tx.changes.record("account", account_id)
        if env.get("IAMD_ROOT_PASSWORD"):
            _set_root_password(tx, account_id, env["IAMD_ROOT_PASSWORD"])
    load_managed_policies(store)
    return Bootstrapped(store, account_id, root_id)
