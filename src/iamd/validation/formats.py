"""Rendering findings: plain text for people, JSON for scripts, SARIF 2.1.0 for code scanning.

The JSON form uses the field names of Access Analyzer's ``ValidatePolicy`` response
(``findingType``, ``issueCode``, ``findingDetails``, ``learnMoreLink``, ``locations``), so tools
written for ``aws accessanalyzer validate-policy`` read it too.  Positions are 1-based lines and
columns counted in characters, with 0-based character offsets.
https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_ValidatePolicy.html
https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import quote

from iamd.validation.codes import CODES, issue
from iamd.validation.findings import Finding, FindingType, Position, Span

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
_LEVELS = {
    FindingType.ERROR: "error",
    FindingType.SECURITY_WARNING: "warning",
    FindingType.WARNING: "warning",
    FindingType.SUGGESTION: "note",
}
_COLOURS = {
    FindingType.ERROR: "\x1b[1;31m",
    FindingType.SECURITY_WARNING: "\x1b[1;35m",
    FindingType.WARNING: "\x1b[33m",
    FindingType.SUGGESTION: "\x1b[36m",
}
_RESET = "\x1b[0m"
_DIM = "\x1b[2m"


@dataclass(frozen=True, slots=True)
class FileReport:
    path: str
    """The file as the user named it."""
    policy_type: str
    findings: Sequence[Finding]


def _where(finding: Finding) -> str:
    if finding.span is None:
        return ""
    return f"{finding.span.start.line}:{finding.span.start.column}:"


def to_text(reports: Sequence[FileReport], *, colour: bool = False) -> str:
    lines: list[str] = []
    counts = dict.fromkeys(FindingType, 0)
    for report in reports:
        for f in report.findings:
            counts[f.type] += 1
            kind = f.type.value
            pointer = f" [{f.pointer or '/'}]"
            if colour:
                kind = f"{_COLOURS[f.type]}{kind}{_RESET}"
                pointer = f"{_DIM}{pointer}{_RESET}"
            lines.append(f"{report.path}:{_where(f)} {kind} {f.code}: {f.message}{pointer}")
    total = sum(counts.values())
    parts = [
        f"{n} {t.value.lower().replace('_', ' ')}{'s' if n != 1 else ''}"
        for t, n in counts.items()
        if n
    ]
    summary = f"{total} finding{'s' if total != 1 else ''}"
    if parts:
        summary += f" ({', '.join(parts)})"
    files = len(reports)
    lines.append(f"{summary} in {files} file{'s' if files != 1 else ''}.")
    return "\n".join(lines) + "\n"


def _position(position: Position) -> dict[str, int]:
    return {"line": position.line, "column": position.column, "offset": position.offset}


def _path(pointer: str) -> list[dict[str, Any]]:
    """A JSON pointer as Access Analyzer's path: ``[{"value": "Statement"}, {"index": 0}]``."""
    out: list[dict[str, Any]] = []
    for raw in pointer.split("/")[1:] if pointer else []:
        token = raw.replace("~1", "/").replace("~0", "~")
        out.append({"index": int(token)} if token.isdigit() else {"value": token})
    return out


def _location(f: Finding) -> dict[str, Any]:
    location: dict[str, Any] = {"path": _path(f.pointer), "pointer": f.pointer}
    if f.span is not None:
        location["span"] = {"start": _position(f.span.start), "end": _position(f.span.end)}
    return location


def to_json(reports: Sequence[FileReport]) -> str:
    files = []
    for report in reports:
        findings = []
        for f in report.findings:
            entry: dict[str, Any] = {
                "findingType": f.type.value,
                "issueCode": f.code,
                "findingDetails": f.message,
                "locations": [_location(f)],
            }
            link = issue(f.code).help_uri
            if link:
                entry["learnMoreLink"] = link
            findings.append(entry)
        files.append({"path": report.path, "policyType": report.policy_type, "findings": findings})
    return json.dumps({"files": files}, indent=2) + "\n"


def _rule_name(code: str) -> str:
    return "".join(word.capitalize() for word in code.split("_"))


def _region(span: Span) -> dict[str, int]:
    return {
        "startLine": span.start.line,
        "startColumn": span.start.column,
        "endLine": span.end.line,
        "endColumn": span.end.column,
        "charOffset": span.start.offset,
        "charLength": span.end.offset - span.start.offset,
    }


def _uri(path: str) -> str:
    """A URI reference for the file: ``file://`` when absolute, else relative and escaped."""
    if PurePath(path).is_absolute():
        return Path(path).as_uri()
    return quote(PurePath(path).as_posix(), safe="/._-~")


def to_sarif(reports: Sequence[FileReport], *, version: str) -> str:
    """One SARIF run; each issue code that occurs is a rule, with its Access Analyzer type."""
    used = sorted({f.code for r in reports for f in r.findings})
    rules = []
    for code in used:
        entry = CODES[code]
        rule: dict[str, Any] = {
            "id": code,
            "name": _rule_name(code),
            "shortDescription": {"text": entry.title},
            "defaultConfiguration": {"level": _LEVELS[entry.type]},
            "properties": {"findingType": entry.type.value},
        }
        if entry.help_uri:
            rule["helpUri"] = entry.help_uri
        if entry.type is FindingType.SECURITY_WARNING:
            rule["properties"]["tags"] = ["security"]
        rules.append(rule)
    index = {code: i for i, code in enumerate(used)}
    results = []
    for report in reports:
        for f in report.findings:
            physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(report.path)}}
            if f.span is not None:
                physical["region"] = _region(f.span)
            results.append(
                {
                    "ruleId": f.code,
                    "ruleIndex": index[f.code],
                    "level": _LEVELS[f.type],
                    "message": {"text": f.message},
                    "locations": [
                        {
                            "physicalLocation": physical,
                            "logicalLocations": [
                                {"fullyQualifiedName": f.pointer or "/", "kind": "member"}
                            ],
                        }
                    ],
                    "properties": {"findingType": f.type.value, "policyType": report.policy_type},
                }
            )
    log = {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "iamd",
                        "version": version,
                        "rules": rules,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2) + "\n"
