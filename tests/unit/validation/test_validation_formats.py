"""Text, JSON and SARIF renderings of findings."""

from __future__ import annotations

import json
from typing import Any

from iamd.validation import validate_policy
from iamd.validation.formats import FileReport, to_json, to_sarif, to_text

BAD = """{
  "Statement": [
    {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"},
    {"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "*"}
  ]
}"""


def _reports() -> list[FileReport]:
    return [
        FileReport("policies/bad policy.json", "IDENTITY_POLICY", validate_policy(BAD)),
        FileReport("/abs/ok.json", "IDENTITY_POLICY", []),
    ]


def test_text_lists_file_line_column_type_and_code() -> None:
    text = to_text(_reports())
    assert (
        "policies/bad policy.json:3:51: SECURITY_WARNING PASS_ROLE_WITH_STAR_IN_RESOURCE:" in text
    )
    assert "\x1b[" not in text
    assert text.rstrip().endswith("3 findings (1 error, 1 security warning, 1 warning) in 2 files.")
    assert "\x1b[1;31mERROR" in to_text(_reports(), colour=True)


def test_json_uses_access_analyzer_field_names() -> None:
    out = json.loads(to_json(_reports()))
    first = out["files"][0]
    assert first["policyType"] == "IDENTITY_POLICY"
    codes = [f["issueCode"] for f in first["findings"]]
    assert codes == ["MISSING_VERSION", "PASS_ROLE_WITH_STAR_IN_RESOURCE", "INVALID_ACTION"]
    passrole = first["findings"][1]
    assert passrole["findingType"] == "SECURITY_WARNING"
    assert passrole["learnMoreLink"].startswith("https://docs.aws.amazon.com/")
    [location] = passrole["locations"]
    assert location["path"] == [{"value": "Statement"}, {"index": 0}, {"value": "Resource"}]
    assert location["span"]["start"] == {
        "line": 3,
        "column": 51,
        "offset": location["span"]["start"]["offset"],
    }
    assert out["files"][1]["findings"] == []


def _require(obj: dict[str, Any], *keys: str) -> None:
    for key in keys:
        assert key in obj, key


def test_sarif_is_valid_2_1_0_structure() -> None:
    log = json.loads(to_sarif(_reports(), version="1.2.3"))
    _require(log, "$schema", "version", "runs")
    assert log["version"] == "2.1.0"
    [run] = log["runs"]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("iamd", "1.2.3")
    rule_ids = [rule["id"] for rule in driver["rules"]]
    assert rule_ids == sorted(set(rule_ids))
    for rule in driver["rules"]:
        _require(rule, "id", "shortDescription", "defaultConfiguration")
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
    passrole = next(r for r in driver["rules"] if r["id"] == "PASS_ROLE_WITH_STAR_IN_RESOURCE")
    assert passrole["properties"]["tags"] == ["security"]
    assert len(run["results"]) == 3
    for result in run["results"]:
        _require(result, "ruleId", "ruleIndex", "level", "message", "locations")
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["message"]["text"]
        physical = result["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == "policies/bad%20policy.json"
        region = physical["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        assert (region["endLine"], region["endColumn"]) >= (
            region["startLine"],
            region["startColumn"],
        )
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels["INVALID_ACTION"] == "error"
    assert levels["MISSING_VERSION"] == "warning"


def test_sarif_uri_for_absolute_paths() -> None:
    found = validate_policy('{"Statement": []}')
    log = json.loads(to_sarif([FileReport("/tmp/x y.json", "IDENTITY_POLICY", found)], version="0"))
    uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"][
        "uri"
    ]
    assert uri == "file:///tmp/x%20y.json"
