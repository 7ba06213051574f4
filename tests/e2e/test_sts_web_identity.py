"""AssumeRoleWithWebIdentity over the wire, with boto3 and with boto3's default credential chain.

Two issuers: iamd's built-in one (tokens minted with the server's own key, verified without any
fetch) and a foreign one, a real HTTP server on 127.0.0.1 serving OIDC discovery and a JWKS,
as GitHub Actions or a Kubernetes cluster does.  AWS only takes https issuers; the foreign
one is http, so the tests name it in ``IAMD_OIDC_ALLOW_HTTP``, the setting that lets iamd fetch
keys over http from named issuers.

AWS behaviour and messages:
- https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html
- https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_oidc.html
- trust policies for GitHub and EKS:
  https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html
  https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html
- the default chain's AWS_ROLE_ARN / AWS_WEB_IDENTITY_TOKEN_FILE:
  https://docs.aws.amazon.com/sdkref/latest/guide/feature-assume-role-credentials.html
- "No OpenIDConnect provider found in your account for ...":
  https://github.com/aws-actions/configure-aws-credentials/issues/721
- "Incorrect token audience": https://github.com/awslabs/amazon-eks-irsa-cfn/pull/18
- "Token expired: current date/time ... must be before the expiration date/time ...":
  https://github.com/aws/aws-sdk-java-v2/issues/5709
- "Couldn't retrieve verification key from your identity provider,  please reference ...":
  https://github.com/aws/aws-cli/issues/7194
- "Not authorized to perform sts:AssumeRoleWithWebIdentity" (403):
  https://github.com/aws-actions/configure-aws-credentials/issues/357
- the MaxSessionDuration message: https://github.com/d2a4u/sqs4s/pull/270
"""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from joserfc.jwk import RSAKey

from iamd.server.oidc_issuer import mint
from iamd.services.sts import oidc_verify
from support.idp import OidcIssuer, oidc_issuer, tamper
from support.live import LiveServer

AUD = "sts.amazonaws.com"
GITHUB = "token.actions.githubusercontent.com"
NO_KEY = (
    "Couldn't retrieve verification key from your identity provider,  please reference "
    "AssumeRoleWithWebIdentity documentation for requirements"
)


@pytest.fixture(scope="module")
def foreign() -> Iterator[OidcIssuer]:
    with oidc_issuer() as issuer:
        yield issuer


@pytest.fixture(autouse=True)
def allow_http(monkeypatch: pytest.MonkeyPatch, foreign: OidcIssuer) -> None:
    monkeypatch.setenv("IAMD_OIDC_ALLOW_HTTP", foreign.host)


@pytest.fixture(scope="module")
def providers(server: LiveServer, foreign: OidcIssuer) -> dict[str, str]:
    """The built-in issuer and the foreign one, registered as AWS requires (https URLs)."""
    iam = server.client("iam")
    builtin = server.url.removeprefix("http://")
    out = {}
    for name, host, clients in (
        ("builtin", builtin, [AUD]),
        ("foreign", foreign.host, [AUD, "k8s-client"]),
        ("github", GITHUB, [AUD]),
    ):
        out[name] = iam.create_open_id_connect_provider(
            Url=f"https://{host}", ClientIDList=clients
        )["OpenIDConnectProviderArn"]
    return out


@pytest.fixture
def sts(server: LiveServer) -> Any:
    """An STS client with no credentials at all: the token is the credential."""
    return boto3.client(
        "sts",
        endpoint_url=server.url,
        region_name="us-east-1",
        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}),
    )


def trust(provider_arn: str, conditions: dict[str, Any], actions: list[str] | None = None) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": provider_arn},
                    "Action": actions or ["sts:AssumeRoleWithWebIdentity"],
                    "Condition": conditions,
                }
            ],
        }
    )


def make_role(iam: Any, name: str, trust_policy: str, **kwargs: Any) -> str:
    arn: str = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust_policy, **kwargs)[
        "Role"
    ]["Arn"]
    return arn


def error_of(call: Callable[[], Any]) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as info:
        call()
    response = info.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def session_client(server: LiveServer, service: str, credentials: dict[str, Any]) -> Any:
    return server.client(
        service,
        credentials["AccessKeyId"],
        credentials["SecretAccessKey"],
        credentials["SessionToken"],
    )


def test_github_actions_style_role_with_the_builtin_issuer(
    server: LiveServer, iam: Any, sts: Any, providers: dict[str, str], unique: Callable[[str], str]
) -> None:
    host = server.url.removeprefix("http://")
    conditions = {
        "StringEquals": {f"{host}:aud": AUD},
        "StringLike": {f"{host}:sub": "repo:octo-org/octo-repo:ref:refs/heads/main"},
    }
    name = unique("gha")
    role_arn = make_role(iam, name, trust(providers["builtin"], conditions))
    token = mint(server.app.store, server.url, "repo:octo-org/octo-repo:ref:refs/heads/main", AUD)
    out = sts.assume_role_with_web_identity(
        RoleArn=role_arn, RoleSessionName="gha-run-1", WebIdentityToken=token
    )
    session_arn = f"arn:aws:sts::{server.account_id}:assumed-role/{name}/gha-run-1"
    assert out["AssumedRoleUser"]["Arn"] == session_arn
    assert out["AssumedRoleUser"]["AssumedRoleId"].endswith(":gha-run-1")
    assert out["SubjectFromWebIdentityToken"] == "repo:octo-org/octo-repo:ref:refs/heads/main"
    assert out["Provider"] == server.url
    assert out["Audience"] == AUD
    assert out["Credentials"]["AccessKeyId"].startswith("ASIA")
    me = session_client(server, "sts", out["Credentials"]).get_caller_identity()
    assert me["Arn"] == session_arn
    server.app.recorder.flush()  # last use is read from the audit trail, written off the path
    assert iam.get_role(RoleName=name)["Role"]["RoleLastUsed"].get("LastUsedDate")

    other_branch = mint(
        server.app.store, server.url, "repo:octo-org/octo-repo:ref:refs/heads/dev", AUD
    )
    assert error_of(
        lambda: sts.assume_role_with_web_identity(
            RoleArn=role_arn, RoleSessionName="x1", WebIdentityToken=other_branch
        )
    ) == ("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity", 403)


def test_github_provider_specific_claims(
    server: LiveServer,
    iam: Any,
    sts: Any,
    providers: dict[str, str],
    foreign: OidcIssuer,
    unique: Callable[[str], str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The real GitHub issuer name, its keys served from 127.0.0.1: trust policies can test
    ``token.actions.githubusercontent.com:job_workflow_ref`` as in AWS."""
    real_fetch = oidc_verify.fetch_json

    def offline_github(url: str) -> Any:
        if url == f"https://{GITHUB}/.well-known/openid-configuration":
            return {"issuer": f"https://{GITHUB}", "jwks_uri": f"https://{GITHUB}/keys"}
        if url == f"https://{GITHUB}/keys":
            return real_fetch(f"{foreign.url}/keys")
        return real_fetch(url)

    # A cache of its own: the process-wide one must not keep these stand-in keys for the real
    # GitHub issuer.
    monkeypatch.setattr(oidc_verify, "JWKS", oidc_verify.JwksCache(fetch=offline_github))
    workflow = "octo-org/shared/.github/workflows/deploy.yml@refs/heads/main"
    conditions = {
        "StringEquals": {f"{GITHUB}:aud": AUD, f"{GITHUB}:job_workflow_ref": workflow},
        "StringLike": {f"{GITHUB}:sub": "repo:octo-org/*"},
    }
    role_arn = make_role(iam, unique("gh"), trust(providers["github"], conditions))
    sub = "repo:octo-org/octo-repo:environment:prod"
    token = foreign.token(sub, iss=f"https://{GITHUB}", job_workflow_ref=workflow)
    out = sts.assume_role_with_web_identity(
        RoleArn=role_arn, RoleSessionName="gh", WebIdentityToken=token
    )
    assert out["Provider"] == f"https://{GITHUB}"
    rogue = foreign.token(
        sub, iss=f"https://{GITHUB}", job_workflow_ref="octo-org/rogue/.github/workflows/x.yml@x"
    )
    code, _, status = error_of(
        lambda: sts.assume_role_with_web_identity(
            RoleArn=role_arn, RoleSessionName="gh", WebIdentityToken=rogue
        )
    )
    assert (code, status) == ("AccessDenied", 403)


def test_kubernetes_style_role_through_the_default_credential_chain(
    server: LiveServer,
    iam: Any,
    providers: dict[str, str],
    foreign: OidcIssuer,
    unique: Callable[[str], str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """IRSA as EKS sets it up: the SDK reads AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE and
    calls STS at AWS_ENDPOINT_URL_STS; the client code names no credentials and no endpoint
    for STS."""
    conditions = {
        "StringEquals": {
            f"{foreign.host}:sub": "system:serviceaccount:payments:api",
            f"{foreign.host}:aud": AUD,
        }
    }
    name = unique("irsa")
    role_arn = make_role(iam, name, trust(providers["foreign"], conditions))
    iam.put_role_policy(
        RoleName=name,
        PolicyName="read-roles",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "iam:GetRole", "Resource": "*"}],
            }
        ),
    )
    token_file = tmp_path / "token"
    token_file.write_text(foreign.token("system:serviceaccount:payments:api", AUD))
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ROLE_ARN", role_arn)
    monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(token_file))
    monkeypatch.setenv("AWS_ROLE_SESSION_NAME", "pod-7f9c")
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", server.url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_IAM", server.url)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")

    session = boto3.Session()
    assert session.get_credentials().method == "assume-role-with-web-identity"
    me = session.client("sts").get_caller_identity()
    assert me["Arn"] == f"arn:aws:sts::{server.account_id}:assumed-role/{name}/pod-7f9c"
    assert session.client("iam").get_role(RoleName=name)["Role"]["Arn"] == role_arn
    # The session is a role session: its permissions are the role's, nothing more.
    code, _, status = error_of(lambda: session.client("iam").list_users())
    assert (code, status) == ("AccessDenied", 403)


def test_session_tags_and_source_identity_from_the_token(
    server: LiveServer, iam: Any, sts: Any, providers: dict[str, str], unique: Callable[[str], str]
) -> None:
    host = server.url.removeprefix("http://")
    conditions = {"StringEquals": {f"{host}:sub": "ci-bot"}}
    tagged = {
        "https://aws.amazon.com/tags": {
            "principal_tags": {"team": ["payments"]},
            "transitive_tag_keys": ["team"],
        },
        "https://aws.amazon.com/source_identity": "alice@example.com",
    }
    full = make_role(
        iam,
        unique("tags"),
        trust(
            providers["builtin"],
            conditions,
            ["sts:AssumeRoleWithWebIdentity", "sts:TagSession", "sts:SetSourceIdentity"],
        ),
    )
    token = mint(server.app.store, server.url, "ci-bot", AUD, tagged)
    out = sts.assume_role_with_web_identity(
        RoleArn=full, RoleSessionName="tagged", WebIdentityToken=token
    )
    assert out["SourceIdentity"] == "alice@example.com"
    assert out["PackedPolicySize"] >= 1
    # AWS: passing session tags needs sts:TagSession in the trust policy.
    bare = make_role(iam, unique("bare"), trust(providers["builtin"], conditions))
    assert error_of(
        lambda: sts.assume_role_with_web_identity(
            RoleArn=bare, RoleSessionName="tagged", WebIdentityToken=token
        )
    ) == ("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity", 403)


def test_session_tags_reach_the_session(
    server: LiveServer, iam: Any, sts: Any, providers: dict[str, str], unique: Callable[[str], str]
) -> None:
    """aws:PrincipalTag/team in the role's permissions sees the tag the token carried."""
    host = server.url.removeprefix("http://")
    name = unique("abac")
    role_arn = make_role(
        iam,
        name,
        trust(
            providers["builtin"],
            {"StringEquals": {f"{host}:sub": "abac"}},
            ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"],
        ),
    )
    iam.put_role_policy(
        RoleName=name,
        PolicyName="abac",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "iam:GetRole",
                        "Resource": "*",
                        "Condition": {"StringEquals": {"aws:PrincipalTag/team": "payments"}},
                    }
                ],
            }
        ),
    )

    def credentials(team: str) -> dict[str, Any]:
        claims = {"https://aws.amazon.com/tags": {"principal_tags": {"team": [team]}}}
        token = mint(server.app.store, server.url, "abac", AUD, claims)
        out = sts.assume_role_with_web_identity(
            RoleArn=role_arn, RoleSessionName="abac", WebIdentityToken=token
        )
        creds: dict[str, Any] = out["Credentials"]
        return creds

    session_client(server, "iam", credentials("payments")).get_role(RoleName=name)
    other = session_client(server, "iam", credentials("marketing"))
    code, _, _ = error_of(lambda: other.get_role(RoleName=name))
    assert code == "AccessDenied"


def test_refusals_leave_nothing_behind(
    server: LiveServer,
    iam: Any,
    sts: Any,
    providers: dict[str, str],
    foreign: OidcIssuer,
    unique: Callable[[str], str],
) -> None:
    conditions = {"StringEquals": {f"{foreign.host}:sub": "system:serviceaccount:ns:sa"}}
    name = unique("guarded")
    role_arn = make_role(
        iam, name, trust(providers["foreign"], conditions), MaxSessionDuration=3600
    )
    good = foreign.token("system:serviceaccount:ns:sa", AUD)

    def attempt(token: str, **kwargs: Any) -> tuple[str, str, int]:
        params = {"RoleArn": role_arn, "RoleSessionName": "s1", "WebIdentityToken": token}
        params.update(kwargs)
        return error_of(lambda: sts.assume_role_with_web_identity(**params))

    code, message, status = attempt(tamper(good))
    assert (code, status) == ("InvalidIdentityToken", 400)

    code, message, status = attempt(foreign.token("system:serviceaccount:ns:sa", expires_in=-600))
    assert (code, status) == ("ExpiredTokenException", 400)
    assert re.fullmatch(
        r"Token expired: current date/time \d+ must be before the expiration date/time \d+",
        message,
    )

    unpublished = RSAKey.generate_key(2048, parameters={"kid": "unpublished"})
    assert attempt(foreign.token("system:serviceaccount:ns:sa", key=unpublished))[:2] == (
        "InvalidIdentityToken",
        NO_KEY,
    )
    same_kid = RSAKey.generate_key(2048, parameters={"kid": foreign.keys[0].kid})
    code, _, status = attempt(foreign.token("system:serviceaccount:ns:sa", key=same_kid))
    assert (code, status) == ("InvalidIdentityToken", 400)

    assert attempt(foreign.token("system:serviceaccount:ns:sa", "someone-else"))[:2] == (
        "InvalidIdentityToken",
        "Incorrect token audience",
    )
    assert attempt(foreign.token("system:serviceaccount:ns:other", AUD)) == (
        "AccessDenied",
        "Not authorized to perform sts:AssumeRoleWithWebIdentity",
        403,
    )
    assert attempt(good, DurationSeconds=7200) == (
        "ValidationError",
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        400,
    )
    missing = role_arn.replace(name, unique("missing"))
    assert attempt(good, RoleArn=missing)[0] == "AccessDenied"
    assert attempt("not-a-jwt-at-all")[0] == "InvalidIdentityToken"

    # Nothing was issued, so the role was never used.
    assert "LastUsedDate" not in iam.get_role(RoleName=name)["Role"]["RoleLastUsed"]
    # And the genuine token still works.
    sts.assume_role_with_web_identity(RoleArn=role_arn, RoleSessionName="s1", WebIdentityToken=good)


def test_unknown_and_unreachable_issuers(
    server: LiveServer,
    iam: Any,
    sts: Any,
    providers: dict[str, str],
    unique: Callable[[str], str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    role_arn = make_role(iam, unique("any"), trust(providers["builtin"], {}))
    with oidc_issuer() as unregistered:
        token = unregistered.token("x")
        assert error_of(
            lambda: sts.assume_role_with_web_identity(
                RoleArn=role_arn, RoleSessionName="s1", WebIdentityToken=token
            )
        ) == (
            "InvalidIdentityToken",
            f"No OpenIDConnect provider found in your account for {unregistered.url}",
            400,
        )
    with oidc_issuer() as down:
        iam.create_open_id_connect_provider(Url=f"https://{down.host}", ClientIDList=[AUD])
        down.available = False
        monkeypatch.setenv("IAMD_OIDC_ALLOW_HTTP", down.host)
        token = down.token("x")
        assert error_of(
            lambda: sts.assume_role_with_web_identity(
                RoleArn=role_arn, RoleSessionName="s1", WebIdentityToken=token
            )
        )[:2] == ("InvalidIdentityToken", NO_KEY)
        # An http issuer iamd is not told to trust is never fetched.
        down.available = True
        monkeypatch.setenv("IAMD_OIDC_ALLOW_HTTP", "")
        fetched = len(down.requests)
        code, message, _ = error_of(
            lambda: sts.assume_role_with_web_identity(
                RoleArn=role_arn, RoleSessionName="s1", WebIdentityToken=token
            )
        )
        assert code == "InvalidIdentityToken" and "IAMD_OIDC_ALLOW_HTTP" in message
        assert len(down.requests) == fetched


def test_key_rotation_at_the_issuer(
    server: LiveServer,
    iam: Any,
    sts: Any,
    providers: dict[str, str],
    foreign: OidcIssuer,
    unique: Callable[[str], str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A token signed with a key the issuer published after iamd cached its JWKS: iamd
    refetches once on the unknown kid (ES256 here, which AWS also accepts)."""
    role_arn = make_role(
        iam,
        unique("rotate"),
        trust(providers["foreign"], {"StringEquals": {f"{foreign.host}:sub": "rotating"}}),
    )
    sts.assume_role_with_web_identity(
        RoleArn=role_arn, RoleSessionName="a1", WebIdentityToken=foreign.token("rotating")
    )
    new_key = foreign.add_key(unique("kid"), "EC")
    monkeypatch.setattr(oidc_verify.JWKS, "refresh_floor", 0.0)
    fetched = len(foreign.requests)
    out = sts.assume_role_with_web_identity(
        RoleArn=role_arn,
        RoleSessionName="b1",
        WebIdentityToken=foreign.token("rotating", key=new_key),
    )
    assert len(foreign.requests) == fetched + 2  # discovery and JWKS, once
    assert out["AssumedRoleUser"]["Arn"].endswith("/b1")


def test_server_publishes_discovery_and_jwks(server: LiveServer) -> None:
    with urllib.request.urlopen(f"{server.url}/.well-known/openid-configuration") as response:
        discovery = json.load(response)
    assert discovery["issuer"] == server.url
    with urllib.request.urlopen(discovery["jwks_uri"]) as response:
        keys = json.load(response)["keys"]
    token = mint(server.app.store, server.url, "s", AUD)
    kid = oidc_verify.parse_token(token).kid
    assert kid in {k["kid"] for k in keys}
