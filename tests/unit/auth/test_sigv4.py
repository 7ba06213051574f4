"""SigV4 verification against requests signed by botocore, then against tampered copies.

Expected codes and messages are AWS's. Sources, per message:

- codes and statuses: https://docs.aws.amazon.com/IAM/latest/APIReference/CommonErrors.html;
- the messages in outline: the troubleshooting guide
  https://docs.aws.amazon.com/IAM/latest/UserGuide/signature-v4-troubleshooting.html;
- their exact wording ("Request is missing Authentication Token", the "Authorization header
  requires ..." family, "Date must be in ISO-8601 'basic format'", "Unsupported AWS 'algorithm'",
  "Credential must have exactly 5 slash-delimited elements", the "Credential should be scoped ..."
  family, "Signature expired" / "Signature not yet current", "The security token included in the
  request is invalid.", the signature mismatch text) and the order of the checks: AWS's responses
  as recorded beside each check by dynalite and kinesalite (github.com/mhart);
- "Credential should be scoped to a valid region. " (no region named, trailing space) and
  "Credential should be scoped to correct service: 'sts'. ": STS's responses, as recorded by a
  public probe suite run against STS;
- "'Host' or ':authority' must be a 'SignedHeader' ..." and "(... - 90 sec.)":
  scratchstack-aws-signature (github.com/dacut);
- X-Amz-Expires limits: https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html.
"""

from __future__ import annotations

import dataclasses
import hashlib

import pytest
from botocore.config import Config  # type: ignore[import-untyped]

from iamd.auth import sigv4
from iamd.auth.sigv4 import SignedRequest, SigningSecret, VerifiedRequest, verify
from iamd.errors import (
    AWSError,
    IncompleteSignature,
    InvalidClientTokenId,
    MissingAuthenticationToken,
    SignatureDoesNotMatch,
)

from .signing import (
    ACCESS_KEY,
    SECRET_KEY,
    SESSION_TOKEN,
    SIGNED_AT_EPOCH,
    SIGNED_AT_UTC,
    boto3_call,
    client,
    lookup,
    presigned_url,
    sign,
)

MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)
NOW = SIGNED_AT_EPOCH + 2  # the request arrives two seconds after it was signed


def check(
    request: SignedRequest,
    *,
    now: float = NOW,
    region: str | None = "us-east-1",
    services: set[str] | None = None,
    secrets: sigv4.CredentialLookup = lookup,
) -> VerifiedRequest:
    return verify(
        request,
        secrets,
        now=now,
        region=region,
        allowed_services=services if services is not None else {"iam", "sts"},
    )


def rejected(
    request: SignedRequest,
    *,
    now: float = NOW,
    region: str | None = "us-east-1",
    services: set[str] | None = None,
    secrets: sigv4.CredentialLookup = lookup,
) -> AWSError:
    with pytest.raises(AWSError) as caught:
        check(request, now=now, region=region, services=services, secrets=secrets)
    return caught.value


def assert_error(error: AWSError, kind: type[AWSError], message: str) -> None:
    assert type(error) is kind, repr(error)
    assert error.message == message


def with_headers(request: SignedRequest, **changes: str) -> SignedRequest:
    return dataclasses.replace(request, headers={**request.headers, **changes})


# -- requests as boto3 sends them ----------------------------------------------------------------


@pytest.fixture(scope="module")
def iam_post() -> SignedRequest:
    """IAM over the Query protocol: a POST with a form body, the commonest request iamd sees."""
    iam = client("iam", "http://localhost:8080")
    return boto3_call(lambda: iam.create_user(UserName="bob", Path="/a b/"))


@pytest.fixture(scope="module")
def sts_get() -> SignedRequest:
    """STS over GET, parameters in the query string, signed in the Authorization header."""
    return sign(
        "GET",
        "https://sts.amazonaws.com/",
        service="sts",
        params={"Action": "GetCallerIdentity", "Version": "2011-06-15"},
    )


@pytest.fixture(scope="module")
def sts_presigned() -> SignedRequest:
    """A presigned GetCallerIdentity, as EKS and Vault use to prove an identity."""
    sts = client("sts", "https://sts.amazonaws.com", token=SESSION_TOKEN)
    # botocore signs with the operation's method (POST) unless told the URL will be fetched.
    return presigned_url(
        lambda: sts.generate_presigned_url("get_caller_identity", ExpiresIn=60, HttpMethod="GET")
    )


S3_KEY = "dir/a b+c=d&~é(1)/../x.txt"


@pytest.fixture(scope="module")
def s3_get() -> SignedRequest:
    """An S3 GET over HTTPS with payload signing off: path needing encoding, UNSIGNED-PAYLOAD."""
    s3 = client(
        "s3",
        "https://s3.example.com",
        config=Config(s3={"payload_signing_enabled": False, "addressing_style": "path"}),
    )
    return boto3_call(lambda: s3.get_object(Bucket="bucket", Key=S3_KEY))


def test_boto3_iam_post_verifies(iam_post: SignedRequest) -> None:
    verified = check(iam_post)
    assert verified.access_key_id == ACCESS_KEY
    assert (verified.region, verified.service) == ("us-east-1", "iam")
    assert verified.signed_headers == ("content-type", "host", "x-amz-date")
    assert verified.request_time == SIGNED_AT_UTC
    assert verified.presigned is False
    assert verified.session_token is None
    assert verified.secret.secret_access_key == SECRET_KEY
    assert verified.payload_hash == hashlib.sha256(iam_post.body).hexdigest()


def test_boto3_sts_post_with_session_token_verifies() -> None:
    sts = client("sts", "https://sts.amazonaws.com", token=SESSION_TOKEN)
    request = boto3_call(sts.get_caller_identity)
    verified = check(request)
    assert verified.service == "sts"
    assert verified.session_token == SESSION_TOKEN
    assert "x-amz-security-token" in verified.signed_headers


def test_sts_get_with_query_verifies(sts_get: SignedRequest) -> None:
    assert sts_get.query == "Action=GetCallerIdentity&Version=2011-06-15"
    assert check(sts_get).service == "sts"


def test_presigned_sts_url_verifies(sts_presigned: SignedRequest) -> None:
    verified = check(sts_presigned)
    assert verified.presigned is True
    assert verified.session_token == SESSION_TOKEN
    assert verified.signed_headers == ("host",)
    assert verified.payload_hash == sigv4.EMPTY_SHA256


def test_s3_get_with_encoded_path_and_unsigned_payload_verifies(s3_get: SignedRequest) -> None:
    # S3 keys are signed as sent: encoded once, and ".." is a name, not a step up.
    assert s3_get.path == "/bucket/dir/a%20b%2Bc%3Dd%26~%C3%A9%281%29/../x.txt"
    assert s3_get.headers["x-amz-content-sha256"] == "UNSIGNED-PAYLOAD"
    verified = check(s3_get, services={"s3"})
    assert verified.payload_hash == "UNSIGNED-PAYLOAD"


def test_presigned_s3_url_verifies() -> None:
    s3 = client("s3", "https://s3.example.com", config=Config(signature_version="s3v4"))
    request = presigned_url(
        lambda: s3.generate_presigned_url(
            "get_object", Params={"Bucket": "bucket", "Key": S3_KEY}, ExpiresIn=3600
        )
    )
    verified = check(request, services={"s3"})
    assert verified.presigned is True
    assert verified.payload_hash == "UNSIGNED-PAYLOAD"


def test_other_services_get_a_normalised_double_encoded_path() -> None:
    request = sign(
        "GET",
        "https://api.example.com/stage/a%20b/./c//d/../e%2Fx%3Dy?b=2&a=1&a=0&empty=&flag",
        service="execute-api",
    )
    assert check(request, services={"execute-api"}).service == "execute-api"


def test_date_header_may_stand_in_for_x_amz_date() -> None:
    request = sign(
        "POST",
        "https://sts.amazonaws.com/",
        service="sts",
        body="Action=GetCallerIdentity&Version=2011-06-15",
        headers={"Date": "Mon, 01 Jan 2024 00:00:00 GMT"},
    )
    assert "x-amz-date" not in request.headers
    assert check(request).request_time == SIGNED_AT_UTC


def test_session_token_can_be_read_before_verifying(sts_presigned: SignedRequest) -> None:
    """A temporary key's secret travels in its token, so the server needs the token first."""
    assert sigv4.session_token(sts_presigned) == SESSION_TOKEN
    header = with_headers(sts_presigned, **{"x-amz-security-token": "from-header"})
    assert sigv4.session_token(header) == "from-header"
    assert sigv4.session_token(dataclasses.replace(sts_presigned, query="")) is None


def test_unsigned_headers_added_after_signing_do_not_matter(iam_post: SignedRequest) -> None:
    request = with_headers(iam_post, **{"x-forwarded-for": "10.0.0.1", "x-amzn-trace-id": "Root"})
    assert check(request).access_key_id == ACCESS_KEY


def test_header_values_are_trimmed_and_collapsed_as_signed(iam_post: SignedRequest) -> None:
    spaced = iam_post.headers["content-type"].replace(" ", "   ")
    assert check(with_headers(iam_post, **{"content-type": f"  {spaced} "})).service == "iam"


def test_repeated_verification_uses_cached_key_and_date(iam_post: SignedRequest) -> None:
    first = check(iam_post)
    assert check(iam_post) == first


def test_now_defaults_to_the_clock(iam_post: SignedRequest) -> None:
    # Signed in 2024: with the real clock the signature is long expired.
    with pytest.raises(SignatureDoesNotMatch, match=r"^Signature expired: 20240101T000000Z"):
        verify(iam_post, lookup, allowed_services={"iam"})


# -- tampering ---------------------------------------------------------------------------------


def test_changed_body_byte_fails(iam_post: SignedRequest) -> None:
    body = iam_post.body.replace(b"bob", b"bib")
    assert_error(
        rejected(dataclasses.replace(iam_post, body=body)), SignatureDoesNotMatch, MISMATCH
    )


def test_changed_signed_header_fails(iam_post: SignedRequest) -> None:
    request = with_headers(iam_post, **{"content-type": "application/json"})
    assert_error(rejected(request), SignatureDoesNotMatch, MISMATCH)


def test_changed_path_fails(s3_get: SignedRequest) -> None:
    request = dataclasses.replace(s3_get, path=s3_get.path.replace("x.txt", "y.txt"))
    assert_error(rejected(request, services={"s3"}), SignatureDoesNotMatch, MISMATCH)


def test_changed_query_parameter_fails(sts_get: SignedRequest) -> None:
    request = dataclasses.replace(sts_get, query=sts_get.query.replace("2011", "2012"))
    assert_error(rejected(request), SignatureDoesNotMatch, MISMATCH)


def test_added_query_parameter_fails(sts_get: SignedRequest) -> None:
    request = dataclasses.replace(sts_get, query=sts_get.query + "&RoleArn=x")
    assert_error(rejected(request), SignatureDoesNotMatch, MISMATCH)


def test_changed_presigned_parameter_fails(sts_presigned: SignedRequest) -> None:
    query = sts_presigned.query.replace("GetCallerIdentity", "GetSessionToken")
    assert_error(
        rejected(dataclasses.replace(sts_presigned, query=query)), SignatureDoesNotMatch, MISMATCH
    )


def test_changed_host_fails(iam_post: SignedRequest) -> None:
    request = with_headers(iam_post, host="evil.example.com")
    assert_error(rejected(request), SignatureDoesNotMatch, MISMATCH)


def test_wrong_secret_fails(iam_post: SignedRequest) -> None:
    other = SigningSecret(ACCESS_KEY, "0" * 40)
    assert_error(rejected(iam_post, secrets=lambda _: other), SignatureDoesNotMatch, MISMATCH)


def test_declared_payload_hash_must_be_the_bodys(iam_post: SignedRequest) -> None:
    declared = hashlib.sha256(iam_post.body).hexdigest()
    request = with_headers(iam_post, **{"x-amz-content-sha256": declared})
    tampered = dataclasses.replace(request, body=iam_post.body + b"&x=1")
    assert_error(rejected(tampered), SignatureDoesNotMatch, MISMATCH)


STREAMING = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"


def test_streaming_payload_is_left_to_the_s3_gateway() -> None:
    request = sign(
        "PUT",
        "https://s3.example.com/bucket/key",
        service="s3",
        body=b"5;chunk-signature=...",
        headers={"X-Amz-Content-SHA256": STREAMING},
        generic_signer=True,
    )
    verified = check(request, services={"s3"})
    assert (verified.payload_hash, len(verified.signature)) == (STREAMING, 64)


def test_streaming_payload_is_refused_outside_s3() -> None:
    request = sign(
        "POST",
        "https://sts.amazonaws.com/",
        service="sts",
        body=b"Action=GetCallerIdentity",
        headers={"X-Amz-Content-SHA256": STREAMING},
    )
    assert_error(rejected(request), SignatureDoesNotMatch, MISMATCH)


def test_presigned_s3_put_leaves_the_body_unsigned() -> None:
    """S3 signs a presigned URL with UNSIGNED-PAYLOAD: it cannot know the body to come."""
    request = sign("PUT", "https://s3.example.com/bucket/key", service="s3", presign_expires=60)
    verified = check(dataclasses.replace(request, body=b"any body"), services={"s3"})
    assert (verified.presigned, verified.payload_hash) == (True, "UNSIGNED-PAYLOAD")


def test_non_ascii_signature_fails_cleanly(iam_post: SignedRequest) -> None:
    authorization = iam_post.headers["authorization"][:-1] + "é"
    request = with_headers(iam_post, authorization=authorization)
    assert_error(rejected(request), SignatureDoesNotMatch, MISMATCH)


# -- credential scope --------------------------------------------------------------------------


def test_scope_region_must_be_the_endpoints(iam_post: SignedRequest) -> None:
    assert_error(
        rejected(iam_post, region="eu-west-1"),
        SignatureDoesNotMatch,
        "Credential should be scoped to a valid region. ",
    )


def test_scope_service_must_be_allowed(sts_get: SignedRequest) -> None:
    assert_error(
        rejected(sts_get, services={"iam"}),
        SignatureDoesNotMatch,
        "Credential should be scoped to correct service: 'iam'. ",
    )


def test_scope_faults_are_reported_together(sts_get: SignedRequest) -> None:
    assert_error(
        rejected(sts_get, region="eu-west-1", services={"iam"}),
        SignatureDoesNotMatch,
        "Credential should be scoped to a valid region. "
        "Credential should be scoped to correct service: 'iam'. ",
    )


def test_scope_terminator_and_date_are_checked(iam_post: SignedRequest) -> None:
    authorization = iam_post.headers["authorization"].replace(
        f"{ACCESS_KEY}/20240101/us-east-1/iam/aws4_request",
        f"{ACCESS_KEY}/20240102/us-east-1/iam/aws5_request",
    )
    assert_error(
        rejected(with_headers(iam_post, authorization=authorization)),
        SignatureDoesNotMatch,
        "Credential should be scoped with a valid terminator: 'aws4_request', not "
        "'aws5_request'. Date in Credential scope does not match YYYYMMDD from ISO-8601 "
        "version of date from HTTP: '20240102' != '20240101', from '20240101T000000Z'. ",
    )


def test_credential_needs_five_parts(iam_post: SignedRequest) -> None:
    credential = f"{ACCESS_KEY}/20240101/us-east-1/iam"
    authorization = iam_post.headers["authorization"].replace(
        f"{credential}/aws4_request", credential
    )
    assert_error(
        rejected(with_headers(iam_post, authorization=authorization)),
        IncompleteSignature,
        "Credential must have exactly 5 slash-delimited elements, "
        f"e.g. keyid/date/region/service/term, got '{credential}'",
    )


# -- keys --------------------------------------------------------------------------------------


def test_unknown_access_key(iam_post: SignedRequest) -> None:
    assert_error(
        rejected(iam_post, secrets=lambda _: None),
        InvalidClientTokenId,
        "The security token included in the request is invalid.",
    )


def test_inactive_access_key_is_refused_like_an_unknown_one(iam_post: SignedRequest) -> None:
    inactive = SigningSecret(ACCESS_KEY, SECRET_KEY, active=False)
    error = rejected(iam_post, secrets=lambda _: inactive)
    assert_error(
        error, InvalidClientTokenId, "The security token included in the request is invalid."
    )
    assert error.status == 403


def test_secret_never_shows_in_a_repr() -> None:
    assert SECRET_KEY not in repr(SigningSecret(ACCESS_KEY, SECRET_KEY))


# -- time --------------------------------------------------------------------------------------


def test_sixteen_minutes_late_is_expired(iam_post: SignedRequest) -> None:
    assert_error(
        rejected(iam_post, now=SIGNED_AT_EPOCH + 16 * 60),
        SignatureDoesNotMatch,
        "Signature expired: 20240101T000000Z is now earlier than 20240101T000100Z "
        "(20240101T001600Z - 15 min.)",
    )


def test_sixteen_minutes_early_is_not_yet_current(iam_post: SignedRequest) -> None:
    assert_error(
        rejected(iam_post, now=SIGNED_AT_EPOCH - 16 * 60),
        SignatureDoesNotMatch,
        "Signature not yet current: 20240101T000000Z is still later than 20231231T235900Z "
        "(20231231T234400Z + 15 min.)",
    )


@pytest.mark.parametrize("offset", [-15 * 60, 15 * 60])
def test_fifteen_minutes_either_way_is_accepted(iam_post: SignedRequest, offset: int) -> None:
    assert check(iam_post, now=SIGNED_AT_EPOCH + offset).service == "iam"


def test_expired_presigned_url(sts_presigned: SignedRequest) -> None:
    assert check(sts_presigned, now=SIGNED_AT_EPOCH + 60).presigned
    assert_error(
        rejected(sts_presigned, now=SIGNED_AT_EPOCH + 61),
        SignatureDoesNotMatch,
        "Signature expired: 20240101T000000Z is now earlier than 20240101T000001Z "
        "(20240101T000101Z - 1 min.)",
    )


def test_presigned_url_lifetime_is_shown_in_seconds_when_not_whole_minutes() -> None:
    request = sign("GET", "https://sts.amazonaws.com/", service="sts", presign_expires=90)
    assert_error(
        rejected(request, now=SIGNED_AT_EPOCH + 100),
        SignatureDoesNotMatch,
        "Signature expired: 20240101T000000Z is now earlier than 20240101T000010Z "
        "(20240101T000140Z - 90 sec.)",
    )


def test_presigned_url_may_live_a_week_but_no_longer() -> None:
    week = sigv4.MAX_EXPIRES_SECONDS
    request = sign("GET", "https://sts.amazonaws.com/", service="sts", presign_expires=week)
    assert check(request, now=SIGNED_AT_EPOCH + week).presigned
    too_long = dataclasses.replace(
        request, query=request.query.replace(f"X-Amz-Expires={week}", "X-Amz-Expires=604801")
    )
    assert_error(
        rejected(too_long),
        IncompleteSignature,
        "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires "
        "must be less than 604800 seconds",
    )
    not_a_number = dataclasses.replace(
        request, query=request.query.replace(f"X-Amz-Expires={week}", "X-Amz-Expires=-1")
    )
    assert_error(rejected(not_a_number), IncompleteSignature, "X-Amz-Expires should be a number")


def test_malformed_date(iam_post: SignedRequest) -> None:
    assert_error(
        rejected(with_headers(iam_post, **{"x-amz-date": "2024-01-01T00:00:00Z"})),
        IncompleteSignature,
        "Date must be in ISO-8601 'basic format'. Got '2024-01-01T00:00:00Z'. "
        "See http://en.wikipedia.org/wiki/ISO_8601",
    )


def test_changed_timestamp_fails(iam_post: SignedRequest) -> None:
    request = with_headers(iam_post, **{"x-amz-date": "20240101T000001Z"})
    assert_error(rejected(request), SignatureDoesNotMatch, MISMATCH)


# -- missing and malformed signatures ----------------------------------------------------------


def test_no_signature_at_all(iam_post: SignedRequest) -> None:
    headers = {k: v for k, v in iam_post.headers.items() if k != "authorization"}
    error = rejected(dataclasses.replace(iam_post, headers=headers))
    assert_error(error, MissingAuthenticationToken, "Request is missing Authentication Token")
    assert error.status == 403


@pytest.mark.parametrize("authorization", ["Bearer abc", "AWS AKIDEXAMPLE:c2lnbmF0dXJl", ""])
def test_other_authorization_schemes_count_as_none(
    iam_post: SignedRequest, authorization: str
) -> None:
    assert_error(
        rejected(with_headers(iam_post, authorization=authorization)),
        MissingAuthenticationToken,
        "Request is missing Authentication Token",
    )


def test_truncated_authorization_header(iam_post: SignedRequest) -> None:
    truncated = iam_post.headers["authorization"].split(", SignedHeaders")[0]
    error = rejected(with_headers(iam_post, authorization=truncated))
    assert_error(
        error,
        IncompleteSignature,
        "Authorization header requires 'Signature' parameter. "
        "Authorization header requires 'SignedHeaders' parameter. "
        f"Authorization={truncated}",
    )
    assert error.status == 400


def test_every_missing_piece_is_named(iam_post: SignedRequest) -> None:
    headers = {k: v for k, v in iam_post.headers.items() if k != "x-amz-date"}
    request = dataclasses.replace(
        iam_post, headers={**headers, "authorization": "AWS4-HMAC-SHA256"}
    )
    assert_error(
        rejected(request),
        IncompleteSignature,
        "Authorization header requires 'Credential' parameter. "
        "Authorization header requires 'Signature' parameter. "
        "Authorization header requires 'SignedHeaders' parameter. "
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        "Authorization=AWS4-HMAC-SHA256",
    )


def test_parameter_without_equal_sign(iam_post: SignedRequest) -> None:
    authorization = "AWS4-HMAC-SHA256 Signature=b,    Credential,    SignedHeaders"
    assert_error(
        rejected(with_headers(iam_post, authorization=authorization)),
        IncompleteSignature,
        "'Credential' not a valid key=value pair (missing equal-sign) in Authorization header: "
        f"'{authorization}'.",
    )


def test_a_second_authorization_header_is_refused(iam_post: SignedRequest) -> None:
    """Repeated headers arrive joined with ','; a second signature cannot ride on the first."""
    authorization = iam_post.headers["authorization"]
    doubled = f"{authorization},{authorization.replace('Signature=', 'Signature=0')}"
    assert_error(
        rejected(with_headers(iam_post, authorization=doubled)),
        IncompleteSignature,
        "'AWS4-HMAC-SHA256' not a valid key=value pair (missing equal-sign) in Authorization "
        f"header: '{doubled}'.",
    )


def test_commas_alone_may_separate_parameters(iam_post: SignedRequest) -> None:
    authorization = iam_post.headers["authorization"].replace(", ", ",")
    assert check(with_headers(iam_post, authorization=authorization)).service == "iam"


def test_unsupported_algorithm(iam_post: SignedRequest) -> None:
    authorization = iam_post.headers["authorization"].replace(
        "AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512"
    )
    assert_error(
        rejected(with_headers(iam_post, authorization=authorization)),
        IncompleteSignature,
        "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512' (only AWS4-HMAC-SHA256 for now). ",
    )


def test_host_must_be_signed(iam_post: SignedRequest) -> None:
    authorization = iam_post.headers["authorization"].replace(
        "SignedHeaders=content-type;host;x-amz-date", "SignedHeaders=content-type;x-amz-date"
    )
    assert_error(
        rejected(with_headers(iam_post, authorization=authorization)),
        SignatureDoesNotMatch,
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    )


def test_header_and_query_signatures_together(iam_post: SignedRequest) -> None:
    request = dataclasses.replace(iam_post, query="X-Amz-Algorithm=AWS4-HMAC-SHA256")
    assert_error(
        rejected(request),
        SignatureDoesNotMatch,
        "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.",
    )


def test_presigned_url_missing_parameters(sts_presigned: SignedRequest) -> None:
    query = "&".join(
        part
        for part in sts_presigned.query.split("&")
        if not part.startswith(("X-Amz-Signature=", "X-Amz-Date="))
    )
    query += "&X-Amz-Signature="
    assert_error(
        rejected(dataclasses.replace(sts_presigned, query=query)),
        IncompleteSignature,
        "AWS query-string parameters must include 'X-Amz-Signature'. "
        "AWS query-string parameters must include 'X-Amz-Date'. "
        "Re-examine the query-string parameters.",
    )


def test_check_order_follows_aws(iam_post: SignedRequest) -> None:
    """Expiry is reported before the scope, and the scope before the key (dynalite's order)."""
    authorization = iam_post.headers["authorization"].replace("aws4_request", "aws5_request")
    request = with_headers(iam_post, authorization=authorization)
    expired = rejected(request, now=SIGNED_AT_EPOCH + 3600, secrets=lambda _: None)
    assert expired.message.startswith("Signature expired")
    scope = rejected(request, secrets=lambda _: None)
    assert scope.message.startswith("Credential should be scoped with a valid terminator")
