"""``iamd container-credentials``: an ECS container credentials endpoint for a task role."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from iamd.cli.imds_cmd import add_iamd_options


def register(commands: Any) -> None:
    container = commands.add_parser(
        "container-credentials",
        help="serve a role's credentials as ECS's container credentials endpoint",
    )
    container.add_argument("--role-arn", required=True)
    container.add_argument("--host", default="127.0.0.1")
    container.add_argument("--port", type=int, default=1339)
    token = container.add_mutually_exclusive_group()
    token.add_argument(
        "--token", help="the Authorization value clients must send (default: a random one)"
    )
    token.add_argument(
        "--token-file", type=Path, help="read the token from a file (keeps it out of ps)"
    )
    container.add_argument("--path", default="/v2/credentials")
    add_iamd_options(container)
    container.set_defaults(handler=run_container)


def run_container(args: argparse.Namespace) -> int:
    from iamd.workload.container import ContainerCredentials, TaskRoleSource, new_token
    from iamd.workload.credentials import iamd_client, operator_credentials
    from iamd.workload.http import EndpointServer

    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    try:
        operator = operator_credentials(args.data_dir)
        token = args.token_file.read_text().strip() if args.token_file else args.token
    except (OSError, ValueError) as exc:
        print(f"iamd container-credentials: {exc}", file=sys.stderr)
        return 2
    generated = token is None
    token = token or new_token()
    sts = iamd_client("sts", args.endpoint_url, operator, args.region)
    source = TaskRoleSource(sts, args.role_arn, args.region, duration=args.duration_seconds)
    try:
        endpoint = ContainerCredentials(source, token, path=args.path)
    except ValueError as exc:
        print(f"iamd container-credentials: {exc}", file=sys.stderr)
        return 2
    server = EndpointServer(endpoint.handle, args.host, args.port)
    lines = [
        f"iamd container-credentials: task {source.task_arn}, role {args.role_arn}, "
        f"listening on {server.url}{args.path}",
        f"  export AWS_CONTAINER_CREDENTIALS_FULL_URI={server.url}{args.path}",
    ]
    if generated:
        lines.append(f"  export AWS_CONTAINER_AUTHORIZATION_TOKEN={token}")
    print("\n".join(lines), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0
