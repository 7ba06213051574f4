"""``iamd serve``: the IAM and STS server."""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
from pathlib import Path
from typing import Any


def register(commands: Any) -> None:
    serve = commands.add_parser("serve", help="run the IAM and STS server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8090)
    serve.add_argument(
        "--data-dir",
        type=Path,
        default=Path("./iamd-data"),
        help="where SQLite, the master key and root credentials live",
    )
    serve.add_argument(
        "--database-url",
        default=os.environ.get("IAMD_DATABASE_URL"),
        help="postgresql://... to share state between processes",
    )
    serve.add_argument(
        "--trusted-proxy",
        action="append",
        default=[],
        metavar="CIDR",
        help="believe X-Forwarded-For from these peers (repeatable)",
    )
    serve.add_argument(
        "--dev",
        action="store_true",
        help="accept any unknown access key as root of 123456789012 (tests only)",
    )
    serve.add_argument(
        "--audit-retention-days",
        type=int,
        default=90,
        metavar="DAYS",
        help="prune audit events older than DAYS (default 90, like CloudTrail; 0 keeps them)",
    )
    serve.add_argument(
        "--backend",
        default=os.environ.get("IAMD_BACKEND_URL"),
        metavar="URL",
        help="the AWS-compatible endpoint the gateway forwards S3, EC2, ... to "
        "(default: an embedded moto server)",
    )
    serve.add_argument(
        "--backend-access-key", default=os.environ.get("IAMD_BACKEND_ACCESS_KEY_ID", "")
    )
    serve.add_argument(
        "--backend-secret-key", default=os.environ.get("IAMD_BACKEND_SECRET_ACCESS_KEY", "")
    )
    serve.add_argument(
        "--s3-domain",
        action="append",
        default=[],
        metavar="DOMAIN",
        help="serve S3 virtual-hosted requests for BUCKET.DOMAIN (repeatable; default "
        "localhost, s3.localhost and s3.amazonaws.com, or IAMD_S3_DOMAINS, comma-separated)",
    )
    serve.add_argument(
        "--no-gateway",
        action="store_true",
        help="serve only iamd's own services (IAM, STS, Access Analyzer, CloudTrail)",
    )
    serve.add_argument(
        "--tls-cert",
        type=Path,
        metavar="FILE",
        help="serve HTTPS with this PEM certificate (with --tls-key); aws:SecureTransport is "
        "then true",
    )
    serve.add_argument(
        "--tls-key", type=Path, metavar="FILE", help="the PEM private key of --tls-cert"
    )
    serve.add_argument("--log-level", default="warning")
    serve.set_defaults(handler=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from iamd.authorize.credentials import DEV_ACCOUNT
    from iamd.server.app import IamdApp
    from iamd.server.bootstrap import bootstrap
    from iamd.server.config import Settings

    if (args.tls_cert is None) != (args.tls_key is None):
        raise SystemExit("iamd serve: --tls-cert and --tls-key go together")
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    settings = Settings(
        host=args.host,
        port=args.port,
        data_dir=args.data_dir,
        database_url=args.database_url,
        dev=args.dev,
        audit_retention_days=max(0, args.audit_retention_days),
        trusted_proxies=tuple(ipaddress.ip_network(p, strict=False) for p in args.trusted_proxy),
        gateway=not args.no_gateway,
        backend_url=args.backend,
        backend_access_key=args.backend_access_key,
        backend_secret_key=args.backend_secret_key,
        s3_domains=_s3_domains(args.s3_domain),
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
    )
    default_account = DEV_ACCOUNT if settings.dev else None
    if settings.dev:
        # Test suites run throw-away identity providers over plain http.
        os.environ.setdefault("IAMD_OIDC_ALLOW_HTTP", "*")
    boot = bootstrap(settings.data_dir, settings.database_url, default_account=default_account)
    app = IamdApp(
        settings,
        boot,
        rebootstrap=lambda: bootstrap(
            settings.data_dir,
            settings.database_url,
            default_account=default_account,
            store=boot.store,
        ),
    )
    print(
        f"iamd: account {boot.account_id}, listening on "
        f"{settings.scheme}://{args.host}:{args.port}",
        flush=True,
    )
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        access_log=False,
        lifespan="on",
        # X-Forwarded-For and X-Forwarded-Proto are believed from --trusted-proxy peers only,
        # by iamd itself: uvicorn's own handling would believe any local client's.
        proxy_headers=False,
        ssl_certfile=str(settings.tls_cert) if settings.tls_cert else None,
        ssl_keyfile=str(settings.tls_key) if settings.tls_key else None,
    )
    return 0


def _s3_domains(given: list[str]) -> tuple[str, ...]:
    """The domains of virtual-hosted S3 addressing: the flags, else ``IAMD_S3_DOMAINS``, else
    the defaults. A leading dot or a port is dropped: the Host header is matched without it."""
    from iamd.server.config import Settings

    raw = given or [d for d in os.environ.get("IAMD_S3_DOMAINS", "").split(",") if d.strip()]
    domains = tuple(d.strip().strip(".").lower().rsplit(":", 1)[0] for d in raw)
    return domains or Settings.s3_domains
