"""``iamd policy simulate``, driven as a user would, through ``main()``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iamd.cli.main import main

POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Home",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::b/home/${aws:username}/*",
        },
        {
            "Effect": "Deny",
            "Action": "s3:*",
            "Resource": "*",
            "Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
        },
    ],
}
BOB = "arn:aws:iam::111122223333:user/bob"


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(POLICY))
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["policy", "simulate", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def base(policy_file: Path, *extra: str) -> list[str]:
    return [
        "--policy",
        str(policy_file),
        "--principal",
        BOB,
        "--action",
        "s3:GetObject",
        "--resource",
        "arn:aws:s3:::b/home/bob/f",
        "--context",
        "aws:username=bob",
        *extra,
    ]


def test_allowed(capsys: pytest.CaptureFixture[str], policy_file: Path) -> None:
    code, out, _ = run(capsys, *base(policy_file, "--context", "aws:SourceIp=10.1.1.1"))
    assert code == 0 and out.strip() == "Allowed"


def test_denied_prints_the_aws_message(
    capsys: pytest.CaptureFixture[str], policy_file: Path
) -> None:
    code, out, _ = run(capsys, *base(policy_file, "--context", "aws:SourceIp=8.8.8.8"))
    assert code == 0
    assert out.splitlines() == [
        "ExplicitlyDenied",
        f"User: {BOB} is not authorized to perform: s3:GetObject on resource: "
        "arn:aws:s3:::b/home/bob/f with an explicit deny in an identity-based policy",
    ]


def test_expect_sets_the_exit_code(capsys: pytest.CaptureFixture[str], policy_file: Path) -> None:
    assert run(capsys, *base(policy_file, "--expect", "Allowed"))[0] == 1
    assert run(capsys, *base(policy_file, "--expect", "ExplicitlyDenied"))[0] == 0


def test_json_with_explain(capsys: pytest.CaptureFixture[str], policy_file: Path) -> None:
    code, out, _ = run(
        capsys,
        *base(policy_file, "--context", "aws:SourceIp=10.0.0.1", "--format", "json", "--explain"),
    )
    body = json.loads(out)
    assert code == 0 and body["decision"] == "Allowed"
    assert body["trace"][0]["resources"][0]["resolved"] == "arn:aws:s3:::b/home/bob/*"


def test_list_context_values(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "tags.json"
    path.write_text(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "ec2:CreateTags",
                        "Resource": "*",
                        "Condition": {
                            "ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team"]}
                        },
                    }
                ],
            }
        )
    )
    args = ["--policy", str(path), "--action", "ec2:CreateTags"]
    assert run(capsys, *args, "--context", "aws:TagKeys=env,team")[1].strip() == "Allowed"
    assert run(capsys, *args, "--context", "aws:TagKeys=env,owner")[1].startswith(
        "ImplicitlyDenied\n"
    )


def test_malformed_policy_reports_every_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"Statement": {"Effect": "Alow", "Action": "s3get", "Resource": "b"}}')
    code, _, err = run(capsys, "--policy", str(path), "--action", "s3:GetObject")
    assert code == 1
    assert err.count(str(path)) == 3 and "/Statement/Effect: Invalid effect: Alow" in err


def test_workload_mode(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    workload = {
        "format": "iamd-workload/1",
        "policy_sets": {"p": {"identity": [POLICY]}},
        "requests": [
            {
                "id": "a",
                "policy_set": "p",
                "principal": BOB,
                "action": "s3:GetObject",
                "resource": "arn:aws:s3:::b/home/bob/f",
                "resource_account": "111122223333",
                "context": {"aws:username": "bob", "aws:SourceIp": "10.0.0.1"},
            },
            {
                "id": "b",
                "policy_set": "p",
                "principal": BOB,
                "action": "s3:GetObject",
                "resource": "arn:aws:s3:::b/home/eve/f",
                "resource_account": "111122223333",
                "context": {"aws:username": "bob", "aws:SourceIp": "10.0.0.1"},
            },
        ],
    }
    path = tmp_path / "w.json"
    path.write_text(json.dumps(workload))
    code, out, _ = run(capsys, "--workload", str(path))
    assert code == 0
    assert [json.loads(line) for line in out.splitlines()] == [
        {"id": "a", "decision": "Allowed"},
        {"id": "b", "decision": "ImplicitlyDenied"},
    ]
    code, out, _ = run(capsys, "--workload", str(path), "--bench")
    figures = json.loads(out)
    assert code == 0 and figures["decisions"] == 6 and figures["median_us"] > 0


def test_missing_action_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys)
    assert code == 2 and "--action is required" in err
