"""``iamd analyze``: its outputs (table, JSON, SARIF 2.1.0 valid against the official schema)
and its exit codes.

SARIF: https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from iamd.cli.main import main
from support import sarif_schema
from support.analysis_builder import (
    ADMIN_ARN,
    Account,
    account_root_trust,
    allow,
    analyse,
    trust,
)


def _file(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "account.json"
    path.write_text(json.dumps(data))
    return path


def _risky() -> dict[str, Any]:
    a = Account()
    role = a.role("ops", account_root_trust(), attached=[ADMIN_ARN])
    a.user("mallory", inline=allow("sts:AssumeRole", role))
    a.role("public", trust("*"), inline=allow("s3:GetObject"))
    return a.data()


def _quiet() -> dict[str, Any]:
    a = Account()
    a.user("reader", inline=allow("s3:GetObject", "arn:aws:s3:::bucket/*"))
    return a.data()


@pytest.fixture(scope="module")
def schema(request: pytest.FixtureRequest) -> dict[str, Any]:
    cache = getattr(request.config, "cache", None)  # absent under -p no:cacheprovider
    folder = (
        Path(str(cache.mkdir("sarif-schema")))
        if cache is not None
        else Path(str(request.getfixturevalue("tmp_path_factory").mktemp("sarif-schema")))
    )
    return sarif_schema.load(folder)


def test_sarif_is_valid_sarif_2_1_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], schema: dict[str, Any]
) -> None:
    code = main(["analyze", str(_file(tmp_path, _risky())), "--format", "sarif"])
    log = json.loads(capsys.readouterr().out)
    jsonschema.validate(log, schema)
    assert code == 1
    [run] = log["runs"]
    rules = {r["id"] for r in run["tool"]["driver"]["rules"]}
    assert {"PRIVILEGE_ESCALATION", "ROLE_PUBLIC_TRUST", "ADMIN_PRINCIPAL"} <= rules
    escalation = next(r for r in run["results"] if r["ruleId"] == "PRIVILEGE_ESCALATION")
    assert escalation["level"] == "error"
    assert escalation["locations"][0]["logicalLocations"][0]["fullyQualifiedName"].endswith(
        ":user/mallory"
    )
    assert run["tool"]["driver"]["rules"][escalation["ruleIndex"]]["id"] == "PRIVILEGE_ESCALATION"


def test_sarif_of_a_clean_account_is_valid_and_empty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], schema: dict[str, Any]
) -> None:
    code = main(["analyze", str(_file(tmp_path, _quiet())), "--format", "sarif"])
    log = json.loads(capsys.readouterr().out)
    jsonschema.validate(log, schema)
    assert code == 0 and log["runs"][0]["results"] == []


def test_the_schema_rejects_a_broken_log(schema: dict[str, Any]) -> None:
    """The control: the schema is strict enough to catch a result without a message."""
    broken = {
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "iamd"}}, "results": [{"ruleId": "X"}]}],
    }
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_json_output_lists_findings_with_their_evidence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["analyze", str(_file(tmp_path, _risky())), "--format", "json"])
    body = json.loads(capsys.readouterr().out)
    assert code == 1
    escalation = next(f for f in body["findings"] if f["rule"] == "PRIVILEGE_ESCALATION")
    assert escalation["severity"] == "critical"
    [step] = escalation["details"]["steps"]
    assert step["method"] == "sts:AssumeRole" and step["gains"].endswith(":role/ops")
    types = {s["policyType"] for s in step["statements"]}
    assert types == {"identity", "resource"}, "the caller's allow and the trust statement"
    assert body["summary"]["critical"] == 2
    assert any("credential report" in n for n in body["notes"])


def test_table_is_the_default_on_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    main(["analyze", str(_file(tmp_path, _risky())), "--fail-on", "critical"])
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["SEVERITY", "RULE", "RESOURCE", "FINDING"]
    assert "user/mallory -[sts:AssumeRole]-> role/ops (admin)" in " ".join(out.split())
    assert "note: no credential report given" in out


@pytest.mark.parametrize(
    ("fail_on", "expected"), [("critical", 1), ("high", 1), ("medium", 1), ("low", 1)]
)
def test_exit_status_follows_fail_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fail_on: str, expected: int
) -> None:
    assert (
        main(["analyze", str(_file(tmp_path, _risky())), "--format", "json", "--fail-on", fail_on])
        == expected
    )


def test_exit_status_below_the_threshold(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = Account()
    a.managed("Broad", allow("s3:*"))  # a medium finding only
    path = _file(tmp_path, a.data())
    assert main(["analyze", str(path), "--format", "json", "--fail-on", "high"]) == 0
    assert main(["analyze", str(path), "--format", "json", "--fail-on", "medium"]) == 1


def test_unreadable_and_foreign_files_are_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["analyze", str(tmp_path / "missing.json")]) == 2
    other = tmp_path / "other.json"
    other.write_text('{"Users": []}')
    assert main(["analyze", str(other)]) == 2
    assert "get-account-authorization-details" in capsys.readouterr().err


def test_who_can_lists_allowed_principals_with_statements(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = Account()
    a.group("readers", inline=allow("s3:GetObject", "arn:aws:s3:::reports/*"))
    a.user("ann", groups=["readers"])
    a.user("ben", inline=allow("s3:PutObject", "*"))
    a.role("etl", trust({"Service": "glue.amazonaws.com"}), inline=allow("s3:*", "*"))
    a.user(
        "denied",
        groups=["readers"],
        inline={
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}],
        },
    )
    path = _file(tmp_path, a.data())
    code = main(
        [
            "analyze",
            str(path),
            "--who-can",
            "s3:GetObject",
            "--resource",
            "arn:aws:s3:::reports/q1.csv",
            "--format",
            "json",
        ]
    )
    body = json.loads(capsys.readouterr().out)
    assert code == 0
    names = {p["principal"].rsplit("/", 1)[-1]: p for p in body["principals"]}
    assert set(names) == {"ann", "etl"}
    assert names["ann"]["statements"][0]["policy"] == "group/readers inline readers-inline"
    assert names["ann"]["groups"] == ["readers"]


def test_who_can_assume_a_role_reads_its_trust_policy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = Account()
    role = a.role("ops", trust({"AWS": a.arn("user", "named")}))
    a.user("named")
    a.user("allowed-but-not-trusted", inline=allow("sts:AssumeRole", role))
    code = main(
        [
            "analyze",
            str(_file(tmp_path, a.data())),
            "--who-can",
            "sts:AssumeRole",
            "--resource",
            role,
            "--format",
            "json",
        ]
    )
    body = json.loads(capsys.readouterr().out)
    assert code == 0
    assert [p["principal"].rsplit("/", 1)[-1] for p in body["principals"]] == ["named"]


def test_credential_report_option_adds_credential_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.csv"
    report.write_text(
        "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
        "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
        "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
        "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
        "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
        "cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n"
        "reader,arn:aws:iam::111122223333:user/reader,2024-01-01T00:00:00+00:00,true,"
        "no_information,2024-01-01T00:00:00+00:00,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,"
        "N/A,N/A,N/A,false,N/A,false,N/A\n"
    )
    path = _file(tmp_path, _quiet())
    code = main(["analyze", str(path), "--credential-report", str(report), "--format", "json"])
    body = json.loads(capsys.readouterr().out)
    assert [f["rule"] for f in body["findings"]] == ["USER_WITHOUT_MFA"]
    assert not any("credential report" in n for n in body["notes"])
    assert code == 0  # medium, below the default --fail-on high
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    assert main(["analyze", str(path), "--credential-report", str(bad)]) == 2


def test_progress_is_reported_by_stage() -> None:
    seen: list[tuple[str, int, int]] = []
    analyse(_risky(), progress=lambda stage, done, total: seen.append((stage, done, total)))
    stages = [s for s, _, _ in seen]
    assert stages[0] == "admins" and "self-escalation" in stages
    assert all(done == total for stage, done, total in seen if stage == "admins")
