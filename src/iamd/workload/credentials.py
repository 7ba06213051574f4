"""Role credentials for a workload endpoint: fetched from iamd's STS, cached, refreshed early.

AWS makes an instance's new credentials available "at least five minutes before the expiration
of the old credentials"; the endpoints here do the same, and keep serving the credentials they
hold while a refresh fails and those are still valid, so that a short outage of iamd does not
take every workload's credentials with it.
https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instance-metadata-security-credentials.html
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from iamd.workload.delegation import Delegation

log = logging.getLogger("iamd.workload")

REFRESH_BEFORE = 300.0
"""Seconds before expiry at which credentials are replaced."""
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class CredentialsUnavailableError(Exception):
    """No credentials can be served; ``code`` is what the endpoint reports."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class RoleCredentials:
    role_arn: str
    access_key_id: str
    secret_access_key: str
    token: str
    expiration: datetime
    last_updated: datetime

    def __repr__(self) -> str:
        return f"RoleCredentials({self.role_arn!r}, key={self.access_key_id!r})"


class CredentialSource(Protocol):
    def fetch(self) -> RoleCredentials: ...


def timestamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime(TIME_FORMAT)


class RefreshingCredentials:
    """One set of credentials, replaced ``refresh_before`` seconds before it expires.

    ``clock`` returns the epoch time; tests pass a fake one to move through a session's life.
    """

    def __init__(
        self,
        source: CredentialSource,
        refresh_before: float = REFRESH_BEFORE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.source = source
        self.refresh_before = refresh_before
        self.clock = clock
        self._held: RoleCredentials | None = None
        self._lock = threading.Lock()

    def get(self) -> RoleCredentials:
        with self._lock:
            held = self._held
            now = self.clock()
            if held is not None and now < held.expiration.timestamp() - self.refresh_before:
                return held
            try:
                fresh = self.source.fetch()
            except CredentialsUnavailableError as exc:
                if held is not None and now < held.expiration.timestamp():
                    log.warning("refreshing credentials failed, serving the current ones: %s", exc)
                    return held
                raise
            self._held = fresh
            return fresh


# Talking to iamd ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OperatorCredentials:
    """The endpoint's own credentials, which hand the role to the service (iam:PassRole)."""

    access_key_id: str
    secret_access_key: str
    session_token: str | None = None

    def __repr__(self) -> str:
        return f"OperatorCredentials(key={self.access_key_id!r})"


def operator_credentials(
    data_dir: Path | None, env: Mapping[str, str] | None = None
) -> OperatorCredentials:
    """From ``root-credentials`` in an iamd data directory, else from AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN."""
    env = os.environ if env is None else env
    if data_dir is not None:
        path = data_dir / "root-credentials"
        values: dict[str, str] = {}
        for line in path.read_text().splitlines():
            key, sep, value = line.partition("=")
            if sep:
                values[key.strip()] = value.strip()
        try:
            return OperatorCredentials(values["aws_access_key_id"], values["aws_secret_access_key"])
        except KeyError:
            raise ValueError(f"{path} holds no aws_access_key_id / aws_secret_access_key") from None
    access_key, secret = env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY")
    if not access_key or not secret:
        raise ValueError(
            "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or --data-dir"
        )
    return OperatorCredentials(access_key, secret, env.get("AWS_SESSION_TOKEN") or None)


def iamd_client(service: str, endpoint_url: str, operator: OperatorCredentials, region: str) -> Any:
    """A botocore client for iamd with explicit credentials: never the default chain, which
    could lead back to this very endpoint."""
    import botocore.session  # type: ignore[import-untyped]
    from botocore.config import Config  # type: ignore[import-untyped]

    session = botocore.session.Session()
    return session.create_client(
        service,
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=operator.access_key_id,
        aws_secret_access_key=operator.secret_access_key,
        aws_session_token=operator.session_token,
        config=Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5),
    )


def _error(exc: Exception) -> CredentialsUnavailableError:
    from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code, message = error.get("Code", "Unknown"), error.get("Message", str(exc))
        return CredentialsUnavailableError(code, message)
    if isinstance(exc, BotoCoreError):
        return CredentialsUnavailableError("IamdUnreachable", str(exc))
    raise exc


def assume_for_service(
    sts: Any,
    role_arn: str,
    session_name: str,
    delegation: Delegation,
    duration: int | None = None,
) -> RoleCredentials:
    """AssumeRole as the service the delegation names."""
    params: dict[str, Any] = {
        "RoleArn": role_arn,
        "RoleSessionName": session_name,
        "ProvidedContexts": delegation.provided_contexts(),
    }
    if duration is not None:
        params["DurationSeconds"] = duration
    try:
        out = sts.assume_role(**params)["Credentials"]
    except Exception as exc:
        raise _error(exc) from None
    return RoleCredentials(
        role_arn=role_arn,
        access_key_id=out["AccessKeyId"],
        secret_access_key=out["SecretAccessKey"],
        token=out["SessionToken"],
        expiration=out["Expiration"].astimezone(UTC),
        last_updated=datetime.now(UTC).replace(microsecond=0),
    )


def translate(call: Callable[[], Any]) -> Any:
    """Run a botocore call, turning its failures into :class:`CredentialsUnavailableError`."""
    try:
        return call()
    except Exception as exc:
        raise _error(exc) from None
