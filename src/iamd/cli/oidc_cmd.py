"""``iamd oidc``: mint tokens from iamd's built-in OpenID Connect issuer.

The command opens the store the server uses (the same data directory or database URL, and the
same master key), so a token it mints is signed with the key the server verifies, and any
``iamd serve`` process of the deployment accepts it::

    iamd oidc token --sub repo:org/app:ref:refs/heads/main --aud sts.amazonaws.com \\
        --issuer http://127.0.0.1:8090 --out /tmp/token
    AWS_ROLE_ARN=arn:aws:iam::111122223333:role/ci AWS_WEB_IDENTITY_TOKEN_FILE=/tmp/token \\
        AWS_ENDPOINT_URL_STS=http://127.0.0.1:8090 aws sts get-caller-identity
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any


def register(commands: Any) -> None:
    oidc = commands.add_parser("oidc", help="the built-in OpenID Connect issuer (dev and CI)")
    sub = oidc.add_subparsers(dest="oidc_command", required=True, metavar="SUBCOMMAND")
    token = sub.add_parser(
        "token",
        help="mint an ID token signed by the built-in issuer",
        description="Print (or write) an RS256 ID token signed with the server's OIDC key.",
    )
    token.add_argument("--sub", required=True, help="the subject claim")
    token.add_argument(
        "--aud", action="append", required=True, help="the audience (repeatable for a list)"
    )
    token.add_argument(
        "--claim",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an extra claim; VALUE is read as JSON when it parses, else as a string (repeatable)",
    )
    token.add_argument(
        "--expires-in",
        type=int,
        default=3600,
        metavar="SECONDS",
        help="lifetime in seconds (negative: an already expired token, for tests)",
    )
    token.add_argument(
        "--issuer",
        default=None,
        help="the iss claim (default: $IAMD_OIDC_ISSUER, else http://127.0.0.1:8090)",
    )
    token.add_argument("--out", type=Path, help="write the token to this file (mode 0600)")
    _store_options(token)
    token.set_defaults(handler=run_token)
    keys = sub.add_parser("jwks", help="print the issuer's public keys (a JWK Set)")
    _store_options(keys)
    keys.set_defaults(handler=run_jwks)


def _store_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path("./iamd-data"),
        help="the server's data directory (master key, and SQLite unless --database-url)",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("IAMD_DATABASE_URL"),
        help="postgresql://... when the server shares its state in PostgreSQL",
    )


def parse_claims(items: list[str]) -> dict[str, Any]:
    claims: dict[str, Any] = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or not name:
            raise ValueError(f"--claim {item!r}: expected NAME=VALUE")
        try:
            claims[name] = json.loads(text)
        except ValueError:
            claims[name] = text
    return claims


def _open_store(args: argparse.Namespace) -> Any:
    from iamd.store import Store
    from iamd.store.seal import load_master_key

    data_dir: Path = args.data_dir
    if not data_dir.is_dir():
        raise ValueError(f"no iamd data directory at {data_dir} (see --data-dir)")
    return Store.open(args.database_url, data_dir, load_master_key(data_dir))


def run_token(args: argparse.Namespace) -> int:
    from iamd.server.oidc_issuer import issuer_url, mint

    try:
        claims = parse_claims(args.claim)
        store = _open_store(args)
    except ValueError as exc:
        print(f"iamd oidc token: {exc}", file=sys.stderr)
        return 2
    try:
        audience = args.aud[0] if len(args.aud) == 1 else args.aud
        issuer = (args.issuer or issuer_url()).rstrip("/")
        try:
            token = mint(store, issuer, args.sub, audience, claims, args.expires_in)
        except ValueError as exc:
            print(f"iamd oidc token: {exc}", file=sys.stderr)
            return 2
    finally:
        store.close()
    if args.out is None:
        print(token)
        return 0
    fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token)
    return 0


def run_jwks(args: argparse.Namespace) -> int:
    from iamd.server.oidc_issuer import jwks

    try:
        store = _open_store(args)
    except ValueError as exc:
        print(f"iamd oidc jwks: {exc}", file=sys.stderr)
        return 2
    try:
        print(json.dumps(jwks(store), indent=1))
    finally:
        store.close()
    return 0
