"""An ECS container credentials endpoint serving a task role's credentials.

Set ``AWS_CONTAINER_CREDENTIALS_FULL_URI`` to its URL and ``AWS_CONTAINER_AUTHORIZATION_TOKEN``
to its token, and the AWS SDKs' default credential chain fetches the role's credentials from
it, sending the token as the ``Authorization`` header; the answer is ECS's JSON document
(``AccessKeyId``, ``SecretAccessKey``, ``Token``, ``Expiration``, ``RoleArn``).
https://docs.aws.amazon.com/sdkref/latest/guide/feature-container-credentials.html
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html

The role is assumed *as ECS* (``ecs-tasks.amazonaws.com``, see
:mod:`iamd.workload.service_assume`): its trust policy must trust ECS tasks, and the
endpoint's operator must be allowed ``iam:PassRole`` on it for ECS, as whoever registers a
task definition with that task role must be in AWS.  A request without the token is 401, with
a wrong one 403; a failure to get credentials is 500 with a ``code`` and ``message``, the form
SDKs report.
"""

from __future__ import annotations

import hmac
import json
import secrets
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from iamd.workload.credentials import (
    CredentialsUnavailableError,
    RefreshingCredentials,
    RoleCredentials,
    assume_for_service,
    timestamp,
)
from iamd.workload.delegation import ECS_TASKS, Delegation
from iamd.workload.http import Response

DEFAULT_PATH = "/v2/credentials"
CLUSTER = "iamd"


class TaskRoleSource:
    """The task role's credentials, assumed as ECS through iamd's STS; the session is named
    after the task, as ECS names it."""

    def __init__(
        self,
        sts: Any,
        role_arn: str,
        region: str,
        task_id: str | None = None,
        duration: int | None = None,
    ) -> None:
        self.sts = sts
        self.role_arn = role_arn
        self.task_id = task_id or uuid.uuid4().hex
        self.duration = duration
        account = role_arn.split(":")[4] if role_arn.count(":") >= 5 else ""
        self.task_arn = f"arn:aws:ecs:{region}:{account}:task/{CLUSTER}/{self.task_id}"

    def fetch(self) -> RoleCredentials:
        delegation = Delegation(ECS_TASKS, source_arn=self.task_arn)
        return assume_for_service(self.sts, self.role_arn, self.task_id, delegation, self.duration)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def _json(status: int, value: Mapping[str, Any]) -> Response:
    return Response(status, json.dumps(value).encode(), content_type="application/json")


class ContainerCredentials:
    """The endpoint as a function of the request (served by :mod:`.http`)."""

    def __init__(
        self,
        source: TaskRoleSource,
        token: str,
        *,
        path: str = DEFAULT_PATH,
        credentials: RefreshingCredentials | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not token or "\r" in token or "\n" in token:
            raise ValueError("the authorization token must be one non-empty line")
        self.source = source
        self.token = token
        self.path = path
        self.credentials = credentials or RefreshingCredentials(source, clock=clock)

    def handle(self, method: str, raw_path: str, headers: Mapping[str, str]) -> Response:
        if method not in ("GET", "HEAD"):
            return Response(405, b"Method Not Allowed", {"Allow": "GET, HEAD"})
        if raw_path.split("?", 1)[0] != self.path:
            return _json(404, {"code": "NotFound", "message": "No such path."})
        presented = headers.get("authorization")
        if presented is None:
            return _json(401, {"code": "Unauthorized", "message": "Authorization is required."})
        if not hmac.compare_digest(presented.encode(), self.token.encode()):
            return _json(403, {"code": "Forbidden", "message": "Invalid authorization token."})
        try:
            held = self.credentials.get()
        except CredentialsUnavailableError as exc:
            return _json(500, {"code": exc.code, "message": exc.message})
        return _json(
            200,
            {
                "RoleArn": held.role_arn,
                "AccessKeyId": held.access_key_id,
                "SecretAccessKey": held.secret_access_key,
                "Token": held.token,
                "Expiration": timestamp(held.expiration),
            },
        )
