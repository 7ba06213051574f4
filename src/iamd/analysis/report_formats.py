"""``iamd analyze`` output: a table for people, JSON for scripts, SARIF 2.1.0 for code scanning.

SARIF: one run; each rule that occurs is a ``reportingDescriptor`` with its default level and
a ``security-severity`` score (how GitHub code scanning ranks security results); each finding
is a result located in the account file, with the ARN it concerns as a logical location and a
fingerprint that stays the same from one run to the next.
https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html
https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning
"""

from __future__ import annotations

import hashlib
import json
import textwrap
from collections import Counter
from collections.abc import Sequence
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import quote

from iamd.analysis.analyze import AccountReport
from iamd.analysis.escalation import short
from iamd.analysis.findings import RULES, Finding, Severity, statement_dicts
from iamd.analysis.who_can import Grantee

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
INFORMATION_URI = "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html"
_LEVELS = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
_SCORES = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}
_COLOURS = {
    Severity.CRITICAL: "\x1b[1;31m",
    Severity.HIGH: "\x1b[31m",
    Severity.MEDIUM: "\x1b[33m",
    Severity.LOW: "\x1b[36m",
    Severity.INFO: "\x1b[2m",
}
_RESET = "\x1b[0m"


def _summary(findings: Sequence[Finding]) -> dict[str, int]:
    counts = Counter(f.severity for f in findings)
    return {s.value: counts.get(s, 0) for s in Severity}


# --- table -------------------------------------------------------------------------------------


def _table(rows: list[list[str]], width: int, wrap_last: bool = True) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    used = sum(widths) + 2 * len(widths)
    last = max(30, width - used) if wrap_last else 10_000
    out = []
    for row in rows:
        head = "".join(cell.ljust(w + 2) for cell, w in zip(row, widths, strict=False))
        wrapped = textwrap.wrap(row[-1], last, break_on_hyphens=False) or [""]
        out.append(head + wrapped[0])
        out.extend(" " * used + more for more in wrapped[1:])
    return out


def to_table(report: AccountReport, *, width: int = 120, colour: bool = False) -> str:
    lines: list[str] = []
    if report.findings:
        rows = [["SEVERITY", "RULE", "RESOURCE", "FINDING"]]
        for f in report.findings:
            rows.append([f.severity.value, f.rule, short(f.resource), f.message])
        table = _table(rows, width)
        if colour:
            table = [_paint(line) for line in table]
        lines += table
    counts = _summary(report.findings)
    total = len(report.findings)
    parts = [f"{n} {s}" for s, n in counts.items() if n]
    stats = report.stats
    lines.append(
        f"{total} finding{'s' if total != 1 else ''}"
        + (f" ({', '.join(parts)})" if parts else "")
        + f" in account {report.account_id or '(unknown)'}: {stats.get('users', 0)} users, "
        f"{stats.get('roles', 0)} roles, {stats.get('groups', 0)} groups, "
        f"{stats.get('policies', 0)} managed policies; {stats.get('seconds', 0)} s."
    )
    lines += [f"note: {n}" for n in report.notes]
    return "\n".join(lines) + "\n"


def _paint(line: str) -> str:
    for severity, code in _COLOURS.items():
        if line.startswith(severity.value + " "):
            return code + severity.value + _RESET + line[len(severity.value) :]
    return line


# --- JSON --------------------------------------------------------------------------------------


def finding_dict(f: Finding) -> dict[str, Any]:
    return {
        "rule": f.rule,
        "title": f.title,
        "severity": f.severity.value,
        "resource": f.resource,
        "message": f.message,
        "details": dict(f.details),
        "statements": statement_dicts(f.statements),
    }


def to_json(report: AccountReport) -> str:
    body = {
        "accountId": report.account_id,
        "summary": _summary(report.findings),
        "findings": [finding_dict(f) for f in report.findings],
        "notes": report.notes,
        "stats": report.stats,
    }
    return json.dumps(body, indent=2) + "\n"


# --- SARIF -------------------------------------------------------------------------------------


def _uri(path: str) -> str:
    if PurePath(path).is_absolute():
        return Path(path).as_uri()
    return quote(PurePath(path).as_posix(), safe="/._-~")


def _fingerprint(f: Finding) -> str:
    return hashlib.sha256(f"{f.rule}\0{f.resource}\0{f.message}".encode()).hexdigest()[:32]


def to_sarif(report: AccountReport, *, source: str, version: str) -> str:
    used = sorted({f.rule for f in report.findings})
    index = {rule: i for i, rule in enumerate(used)}
    rules = []
    for rule_id in used:
        rule = RULES[rule_id]
        rules.append(
            {
                "id": rule.id,
                "name": "".join(w.capitalize() for w in rule.id.split("_")),
                "shortDescription": {"text": rule.title},
                "fullDescription": {"text": rule.help},
                "help": {"text": rule.help},
                "defaultConfiguration": {"level": _LEVELS[rule.severity]},
                "properties": {
                    "tags": ["security", "iam"],
                    "security-severity": _SCORES[rule.severity],
                },
            }
        )
    results = []
    for f in report.findings:
        results.append(
            {
                "ruleId": f.rule,
                "ruleIndex": index[f.rule],
                "level": _LEVELS[f.severity],
                "message": {"text": f.message},
                "locations": [
                    {
                        "physicalLocation": {"artifactLocation": {"uri": _uri(source)}},
                        "logicalLocations": [
                            {"fullyQualifiedName": f.resource, "kind": "resource"}
                        ],
                    }
                ],
                "partialFingerprints": {"iamdFinding/v1": _fingerprint(f)},
                "properties": {
                    "severity": f.severity.value,
                    "security-severity": _SCORES[f.severity],
                    "details": dict(f.details),
                    "statements": statement_dicts(f.statements),
                },
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
                        "informationUri": INFORMATION_URI,
                        "rules": rules,
                    }
                },
                "artifacts": [{"location": {"uri": _uri(source)}}],
                "results": results,
                "properties": {"accountId": report.account_id, "notes": report.notes},
            }
        ],
    }
    return json.dumps(log, indent=2) + "\n"


# --- who can -----------------------------------------------------------------------------------


def grantee_dict(g: Grantee) -> dict[str, Any]:
    return {
        "principal": g.principal.arn,
        "type": g.principal.kind,
        "groups": list(g.principal.groups),
        "decidedBy": g.decision.decided_by.value if g.decision.decided_by else None,
        "statements": statement_dicts(g.decision.statements),
    }


def who_can_json(action: str, resource: str, grantees: Sequence[Grantee]) -> str:
    body = {
        "action": action,
        "resource": resource,
        "principals": [grantee_dict(g) for g in grantees],
    }
    return json.dumps(body, indent=2) + "\n"


def who_can_table(action: str, resource: str, grantees: Sequence[Grantee], width: int = 120) -> str:
    lines = []
    if grantees:
        rows = [["PRINCIPAL", "TYPE", "ALLOWED BY"]]
        for g in grantees:
            rows.append(
                [
                    short(g.principal.arn),
                    g.principal.kind,
                    "; ".join(str(s) for s in g.decision.statements),
                ]
            )
        lines += _table(rows, width)
    n = len(grantees)
    lines.append(f"{n} principal{'s' if n != 1 else ''} can perform {action} on {resource}.")
    return "\n".join(lines) + "\n"
