"""Load test: iamd against a moto server, side by side in one run, with wrk.

Every request is a presigned (SigV4 query-string) GET, signed before the run so that no signing
cost lands on the client; iamd verifies and authorizes each one in full.  moto accepts any
signature.  Operations: GetUser, ListUsers (a page of 100 users), CreateUser with unique names
(for ``--create-duration`` seconds only: the account's quota is 5,000 users), AssumeRole (by a
user the role's trust policy names, the same session name every time), and GetCallerIdentity
signed with the temporary credentials of a role session (with
``X-Amz-Security-Token``, so iamd opens the sealed session token on every request).
LookupEvents (CloudTrail's json protocol: a POST signed in its headers, sent unchanged for the
run) reads the newest 50 GetUser events of the audit trail the earlier runs filled; moto has no
LookupEvents, so it has no peer figure.

moto's server picks the backend from the ``Authorization`` header's credential scope and
otherwise falls back to S3 (a presigned GET has no such header: moto would answer every one of
them with S3 ListBuckets).  So the requests sent to moto also carry an unverified
``Authorization`` header naming the service and access key; iamd gets the plain presigned URL.

    python bench/server.py [--duration 10] [--connections 4] [--json]

Needs wrk (Debian package ``wrk``) and the bench extra (``moto[server]``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import boto3
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from harness import KEY, SECRET, run_iamd, run_moto, wrk

VERSIONS = {"iam": "2010-05-08", "sts": "2011-06-15"}
ROLE = "bench-role"
ASSUMER = "bench-assumer"


@dataclass(frozen=True)
class Signer:
    """Credentials to presign with, and the service whose endpoint the request is for."""

    key: str = KEY
    secret: str = SECRET
    token: str | None = None
    service: str = "iam"

    def moto_header(self) -> str:
        """The ``Authorization`` header moto routes by (it checks no signature)."""
        scope = f"{self.key}/20250101/us-east-1/{self.service}/aws4_request"
        return (
            f"Authorization: AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host, Signature=0"
        )


ROOT = Signer()


def presign(endpoint: str, params: dict[str, str], signer: Signer = ROOT) -> str:
    version = VERSIONS[signer.service]
    query = "&".join(
        f"{k}={quote(v, safe='')}"
        for k, v in {"Action": params.pop("Action"), "Version": version, **params}.items()
    )
    request = AWSRequest(method="GET", url=f"{endpoint}/?{query}")
    credentials = Credentials(signer.key, signer.secret, signer.token)
    SigV4QueryAuth(credentials, signer.service, "us-east-1", expires=3600).add_auth(request)
    url: str = request.url
    return url


def client(endpoint: str, service: str, key: str = KEY, secret: str = SECRET) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}),
    )


@dataclass(frozen=True)
class Fixture:
    role_arn: str
    assumer: Signer
    session: Signer


def prepare(endpoint: str) -> Fixture:
    """100 users; a role whose trust policy names one user (allowed sts:AssumeRole by its own
    policy too, as a real deployment would write it); and a role session of that user."""
    iam = client(endpoint, "iam")
    iam.create_user(UserName="bench")
    for index in range(99):
        iam.create_user(UserName=f"user{index:03d}")
    user = iam.create_user(UserName=ASSUMER)["User"]
    key = iam.create_access_key(UserName=ASSUMER)["AccessKey"]
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": user["Arn"]}, "Action": "sts:AssumeRole"}
        ],
    }
    role = iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    allow_assume = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role["Arn"]}],
    }
    iam.put_user_policy(
        UserName=ASSUMER, PolicyName="assume", PolicyDocument=json.dumps(allow_assume)
    )
    read_only = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["iam:Get*", "iam:List*"], "Resource": "*"}],
    }
    iam.put_role_policy(RoleName=ROLE, PolicyName="read", PolicyDocument=json.dumps(read_only))
    sts = client(endpoint, "sts", key["AccessKeyId"], key["SecretAccessKey"])
    credentials = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="bench-session")[
        "Credentials"
    ]
    return Fixture(
        role_arn=role["Arn"],
        assumer=Signer(key["AccessKeyId"], key["SecretAccessKey"], service="sts"),
        session=Signer(
            credentials["AccessKeyId"],
            credentials["SecretAccessKey"],
            credentials["SessionToken"],
            service="sts",
        ),
    )


@dataclass
class Result:
    server: str
    operation: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


PEERLESS = {"LookupEvents"}
"""Operations moto does not implement: measured on iamd only."""

TARGETS = {"GetUser": 5000, "AssumeRole": 2000, "GetCallerIdentity": 5000}
"""Requests per second iamd must sustain at 4 connections."""
P99_MAX_MS = 10


_LUA = """
local paths = dofile("{paths}")
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end
function init(args)
  index = id + 1
end
function request()
  local path = paths[index]
  index = index + 2
  if path == nil then path = paths[1] end
  return wrk.format("GET", path)
end
"""


def create_user_script(work: Path, endpoint: str, label: str, count: int) -> Path:
    """A wrk script sending CreateUser with a different name each time (two threads interleave)."""
    paths = []
    for index in range(count):
        url = presign(endpoint, {"Action": "CreateUser", "UserName": f"load-{index:07d}"})
        paths.append(url[len(endpoint) :])
    table = work / f"{label}-paths.lua"
    table.write_text("return {\n" + ",\n".join(json.dumps(p) for p in paths) + "\n}\n")
    script = work / f"{label}-create.lua"
    script.write_text(_LUA.format(paths=table))
    return script


_POST_LUA = """
wrk.method = "POST"
wrk.body = {body}
{headers}
"""

LOOKUP_BODY = json.dumps(
    {"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "GetUser"}]}
).encode()


def signed_post_script(work: Path, endpoint: str, label: str) -> tuple[Path, dict[str, str]]:
    """A wrk script sending one LookupEvents POST, signed once in its headers (valid for the
    15 minutes SigV4 allows), and those headers."""
    headers = {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents",
    }
    request = AWSRequest(method="POST", url=f"{endpoint}/", data=LOOKUP_BODY, headers=headers)
    SigV4Auth(Credentials(KEY, SECRET), "cloudtrail", "us-east-1").add_auth(request)
    signed = {k: str(v) for k, v in request.headers.items()}
    lines = "\n".join(f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in signed.items())
    script = work / f"{label}-lookup.lua"
    script.write_text(_POST_LUA.format(body=json.dumps(LOOKUP_BODY.decode()), headers=lines))
    return script, signed


def check_lookup(endpoint: str, headers: dict[str, str]) -> None:
    request = urllib.request.Request(f"{endpoint}/", data=LOOKUP_BODY, headers=headers)
    with urllib.request.urlopen(request) as response:
        answer = json.loads(response.read())
    if not answer.get("Events"):
        raise RuntimeError(f"LookupEvents: unexpected answer {answer!r:.300}")


def measure(label: str, endpoint: str, work: Path, args: argparse.Namespace) -> list[Result]:
    fixture = prepare(endpoint)
    results = []
    assume = {"Action": "AssumeRole", "RoleArn": fixture.role_arn, "RoleSessionName": "bench"}
    plans: list[tuple[str, str, Path | None, Signer]] = [
        ("GetUser", presign(endpoint, {"Action": "GetUser", "UserName": "bench"}), None, ROOT),
        ("ListUsers", presign(endpoint, {"Action": "ListUsers"}), None, ROOT),
        ("AssumeRole", presign(endpoint, assume, fixture.assumer), None, fixture.assumer),
        (
            "GetCallerIdentity",
            presign(endpoint, {"Action": "GetCallerIdentity"}, fixture.session),
            None,
            fixture.session,
        ),
    ]
    if not args.skip_create:
        count = args.create_names
        plans.append(
            ("CreateUser", endpoint + "/", create_user_script(work, endpoint, label, count), ROOT)
        )
    if label == "iamd":
        lookup, lookup_headers = signed_post_script(work, endpoint, label)
        plans.append(("LookupEvents", endpoint + "/", lookup, ROOT))
    for operation, url, script, signer in plans:
        if operation not in args.operations:
            continue
        if operation == "LookupEvents":
            check_lookup(endpoint, lookup_headers)
        check(label, operation, url, script is None, signer)
        header = signer.moto_header() if label == "moto" else None
        duration = args.create_duration if operation == "CreateUser" else args.duration
        load = wrk(url, duration, args.connections, script, header)
        rps, p50, p99, total, errors = (
            load.rps,
            load.p50_ms,
            load.p99_ms,
            load.requests,
            load.errors,
        )
        results.append(Result(label, operation, round(rps), p50, p99, total, errors))
        print(
            f"  {label:5} {operation:17} {rps:10,.0f} req/s  p50 {p50:7.2f} ms"
            f"  p99 {p99:7.2f} ms  errors {errors}",
            file=sys.stderr,
            flush=True,
        )
    return results


_EXPECTED = {
    "GetUser": b"<GetUserResult>",
    "ListUsers": b"<ListUsersResult>",
    "AssumeRole": b"<AssumeRoleResult>",
    "GetCallerIdentity": b"assumed-role/" + ROLE.encode() + b"/bench-session",
}


def check(label: str, operation: str, url: str, fixed: bool, signer: Signer) -> None:
    """Send the request once and make sure the server answers the operation asked for.

    A benchmark that times the wrong answer (an error, or another service's response) is
    worse than none; wrk itself only counts non-2xx statuses.
    """
    if not fixed:
        return
    headers = {}
    if label == "moto":
        name, value = signer.moto_header().split(": ", 1)
        headers[name] = value
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as response:
        body = response.read()
    if _EXPECTED[operation] not in body:
        raise RuntimeError(f"{label} {operation}: unexpected answer {body[:300]!r}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per operation")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument(
        "--operations",
        default="GetUser,ListUsers,CreateUser,AssumeRole,GetCallerIdentity,LookupEvents",
    )
    parser.add_argument(
        "--create-names",
        type=int,
        default=20_000,
        help="unique CreateUser requests prepared per server",
    )
    parser.add_argument(
        "--create-duration",
        type=int,
        default=2,
        help="seconds of CreateUser: an account holds at most 5,000 users (iamd enforces "
        "AWS's quota, after which every CreateUser is a LimitExceeded error), so this run "
        "must stay under 4,900 creations",
    )
    parser.add_argument("--skip-create", action="store_true")
    parser.add_argument("--no-moto", action="store_true")
    parser.add_argument("--json", action="store_true", help="print only the JSON summary")
    args = parser.parse_args()
    args.operations = set(args.operations.split(","))
    if shutil.which("wrk") is None:
        print("bench/server.py needs wrk: apt-get install wrk", file=sys.stderr)
        return 2
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with run_iamd(work) as (endpoint, _):
            results += measure("iamd", endpoint, work, args)
        if not args.no_moto:
            with run_moto() as endpoint:
                results += measure("moto", endpoint, work, args)
    by_key = {(r.server, r.operation): r for r in results}
    ratios = {}
    for (server, operation), result in by_key.items():
        peer = by_key.get(("moto", operation))
        if server == "iamd" and peer and peer.requests_per_second:
            ratios[operation] = round(result.requests_per_second / peer.requests_per_second, 1)
    summary: dict[str, Any] = {
        "benchmark": "iamd-server",
        "connections": args.connections,
        "duration_s": args.duration,
        "results": [asdict(r) for r in results],
        "ratio_to_moto": ratios,
    }
    targets = {}
    for operation, minimum in TARGETS.items():
        found = by_key.get(("iamd", operation))
        if found:
            targets[operation] = {
                "rps_min": minimum,
                "p99_ms_max": P99_MAX_MS,
                "met": found.requests_per_second >= minimum
                and found.p99_ms <= P99_MAX_MS
                and not found.errors,
            }
    if targets:
        summary["targets"] = targets
    if not args.json:
        print(
            f"\n{'operation':19}{'server':8}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}"
        )
        for r in results:
            print(
                f"{r.operation:19}{r.server:8}{r.requests_per_second:>10,.0f}{r.p50_ms:>10.2f}"
                f"{r.p99_ms:>10.2f}{r.errors:>8}"
            )
        for operation, ratio in ratios.items():
            print(f"iamd / moto, {operation}: {ratio}x")
        for operation in sorted(PEERLESS & {r.operation for r in results}):
            print(f"iamd / moto, {operation}: no peer (moto does not implement it)")
        for operation, target in targets.items():
            verdict = "met" if target["met"] else "MISSED"
            print(
                f"target {operation}: >= {target['rps_min']:,} req/s, p99 <= {P99_MAX_MS} ms:"
                f" {verdict}"
            )
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
