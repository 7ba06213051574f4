"""``iamd imds``: an EC2 instance metadata service serving an instance profile's credentials."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

DEFAULT_ENDPOINT = "http://127.0.0.1:8090"


def add_iamd_options(parser: argparse.ArgumentParser) -> None:
    """Where iamd is and whose credentials hand the role over (container-credentials too)."""
    parser.add_argument("--endpoint-url", default=DEFAULT_ENDPOINT, help="the iamd server")
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="use the root credentials in DIR/root-credentials (default: AWS_ACCESS_KEY_ID and "
        "AWS_SECRET_ACCESS_KEY from the environment)",
    )
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument(
        "--duration-seconds",
        type=int,
        help="the role sessions' duration (default: AssumeRole's, one hour)",
    )
    parser.add_argument("--log-level", default="warning")


def register(commands: Any) -> None:
    imds = commands.add_parser(
        "imds", help="serve an instance profile's role credentials as EC2's metadata service"
    )
    imds.add_argument("--instance-profile", required=True, metavar="NAME")
    imds.add_argument("--host", default="127.0.0.1")
    imds.add_argument("--port", type=int, default=1338)
    imds.add_argument(
        "--imdsv1",
        action="store_true",
        help="also answer requests without an IMDSv2 session token",
    )
    imds.add_argument("--instance-id", help="default: a random i-...")
    add_iamd_options(imds)
    imds.set_defaults(handler=run_imds)


def run_imds(args: argparse.Namespace) -> int:
    from iamd.workload.credentials import (
        CredentialsUnavailableError,
        iamd_client,
        operator_credentials,
    )
    from iamd.workload.http import EndpointServer
    from iamd.workload.imds import Imds, Instance, InstanceProfileSource

    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    try:
        operator = operator_credentials(args.data_dir)
    except (OSError, ValueError) as exc:
        print(f"iamd imds: {exc}", file=sys.stderr)
        return 2
    iam = iamd_client("iam", args.endpoint_url, operator, args.region)
    sts = iamd_client("sts", args.endpoint_url, operator, args.region)
    instance = Instance.new(args.region, args.instance_id)
    source = InstanceProfileSource(
        iam, sts, args.instance_profile, instance, duration=args.duration_seconds
    )
    try:
        profile = source.profile()
    except CredentialsUnavailableError as exc:
        print(f"iamd imds: {exc.code}: {exc.message}", file=sys.stderr)
        return 1
    server = EndpointServer(Imds(source, imdsv1=args.imdsv1).handle, args.host, args.port)
    print(
        f"iamd imds: instance {instance.instance_id}, profile {profile.arn} "
        f"(role {profile.role_name or '-'}), listening on {server.url}\n"
        f"  export AWS_EC2_METADATA_SERVICE_ENDPOINT={server.url}",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0
