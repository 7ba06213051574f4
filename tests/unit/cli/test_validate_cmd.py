"""``iamd policy validate``: options, output formats and exit codes."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from iamd.cli.main import main

V = '"Version": "2012-10-17", '
READ = '{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}'
GOOD = f'{{{V}"Statement": {READ}}}'
WARNS = f'{{"Statement": {READ}}}'
ERRS = f'{{{V}"Statement": {{"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "*"}}}}'
EC2 = '{"Service": "ec2.amazonaws.com"}'
TRUST = f'{{{V}"Statement": {{"Effect": "Allow", "Principal": {EC2}, "Action": "sts:AssumeRole"}}}}'


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name, text in {"good": GOOD, "warns": WARNS, "errs": ERRS, "trust": TRUST}.items():
        path = tmp_path / f"{name}.json"
        path.write_text(text)
        out[name] = path
    return out


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["policy", "validate", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_clean_policy_exits_zero(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path]
) -> None:
    code, out, _ = run(capsys, str(files["good"]))
    assert code == 0
    assert out.strip() == "0 findings in 1 file."


def test_warnings_alone_exit_zero(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path]
) -> None:
    code, out, _ = run(capsys, str(files["warns"]))
    assert code == 0
    assert "WARNING MISSING_VERSION" in out


def test_any_error_exits_one(capsys: pytest.CaptureFixture[str], files: dict[str, Path]) -> None:
    code, out, _ = run(capsys, str(files["good"]), str(files["errs"]))
    assert code == 1
    assert f"{files['errs']}:1:" in out and "ERROR INVALID_ACTION" in out


def test_policy_type_maps_to_the_kind(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path]
) -> None:
    assert run(capsys, str(files["trust"]))[0] == 1  # a Principal in an identity policy
    assert run(capsys, "--policy-type", "ROLE_TRUST_POLICY", str(files["trust"]))[0] == 0
    assert run(capsys, "--policy-type", "resource_policy", str(files["good"]))[0] == 1


def test_json_format(capsys: pytest.CaptureFixture[str], files: dict[str, Path]) -> None:
    code, out, _ = run(capsys, "--format", "json", str(files["errs"]))
    assert code == 1
    data = json.loads(out)
    assert data["files"][0]["findings"][0]["issueCode"] == "INVALID_ACTION"


def test_sarif_format(capsys: pytest.CaptureFixture[str], files: dict[str, Path]) -> None:
    code, out, _ = run(capsys, "--format", "sarif", str(files["errs"]), str(files["warns"]))
    assert code == 1
    log = json.loads(out)
    assert log["version"] == "2.1.0"
    assert {r["ruleId"] for r in log["runs"][0]["results"]} == {"INVALID_ACTION", "MISSING_VERSION"}


def test_usage_errors_exit_two(capsys: pytest.CaptureFixture[str], files: dict[str, Path]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["policy", "validate", "--policy-type", "NOPE", str(files["good"])])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["policy", "validate", "--format", "yaml", str(files["good"])])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["policy", "validate"])
    assert info.value.code == 2
    capsys.readouterr()


def test_unreadable_file_exits_two_after_reporting_the_rest(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path], tmp_path: Path
) -> None:
    code, out, err = run(capsys, str(tmp_path / "missing.json"), str(files["errs"]))
    assert code == 2
    assert "missing.json" in err
    assert "INVALID_ACTION" in out


def test_stdin(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(ERRS.encode())))
    code, out, _ = run(capsys, "-")
    assert code == 1
    assert out.startswith("-:1:")


def test_colour_only_on_a_terminal(
    capsys: pytest.CaptureFixture[str], files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, plain, _ = run(capsys, str(files["errs"]))
    assert "\x1b[" not in plain

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    monkeypatch.delenv("NO_COLOR", raising=False)
    main(["policy", "validate", str(files["errs"])])
    assert "\x1b[1;31mERROR" in terminal.getvalue()
    terminal = Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    monkeypatch.setenv("NO_COLOR", "1")
    main(["policy", "validate", str(files["errs"])])
    assert "\x1b[" not in terminal.getvalue()
