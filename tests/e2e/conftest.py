"""End-to-end fixtures: a live server per test module, and clients acting as its principals."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from support import postgres
from support.live import LiveServer, live_server


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A live server per module, on the embedded SQLite and again on PostgreSQL."""
    data_dir = tmp_path_factory.mktemp("iamd-data")
    if request.param == "sqlite":
        with live_server(data_dir) as live:
            yield live
        return
    with postgres.schema_url() as url, live_server(data_dir, database_url=url) as live:
        yield live


@pytest.fixture
def iam(server: LiveServer) -> Any:
    """An IAM client signed with the account's root credentials."""
    return server.client("iam")


@pytest.fixture
def unique() -> Callable[[str], str]:
    """Names that never collide between tests sharing a server."""
    return lambda prefix: f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def user_client(server: LiveServer, iam: Any, unique: Callable[[str], str]) -> Callable[..., Any]:
    """A client for a fresh IAM user holding the given identity policy (a dict)."""

    def make(policy: dict[str, Any] | None = None, service: str = "iam") -> Any:
        name = unique("user")
        iam.create_user(UserName=name)
        if policy is not None:
            iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName=name)["AccessKey"]
        client = server.client(service, key["AccessKeyId"], key["SecretAccessKey"])
        client.user_name = name  # type: ignore[attr-defined]
        return client

    return make


def allow_all() -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    }


def data_dir_of(server: LiveServer) -> Path:
    return server.data_dir
