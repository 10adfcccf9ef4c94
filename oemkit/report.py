"""Findings -> text, JSON or SARIF 2.1.0."""

from __future__ import annotations

import json
from typing import Any

from oemkit.check import CheckReport

__all__ = ["render_json", "render_sarif", "render_text"]


def render_text(report: CheckReport) -> str:
    lines = [f.text() for f in report.findings]
    status = "ok" if report.errors == 0 else "failed"
    lines.append(f"{report.profiles} profile(s) checked: {report.errors} error(s), "
                 f"{report.warnings} warning(s) - {status}")
    return "\n".join(lines) + "\n"


def render_json(report: CheckReport) -> str:
    return json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n"


def render_sarif(report: CheckReport, tool_version: str) -> str:
    """SARIF 2.1.0: one run, one rule entry per rule id seen, one result per finding."""
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for f in report.findings:
        if f.rule not in rules:
            entry: dict[str, Any] = {"id": f.rule, "shortDescription": {"text": f.rule}}
            if f.source:
                entry["help"] = {"text": f"Source: {f.source}"}
            rules[f.rule] = entry
        results.append({
            "ruleId": f.rule,
            "level": "error" if f.severity == "error" else "warning",
            "message": {"text": f"{f.message} Fix: {f.hint}" if f.hint else f.message},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": f.file, "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": max(f.line, 1), "startColumn": max(f.column, 1)},
            }, "logicalLocations": [{"fullyQualifiedName": f.path, "kind": "member"}] if f.path else []}],
        })
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "oemkit", "version": tool_version,
                                "informationUri": "https://oemkit.dev", "rules": list(rules.values())}},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": "file:///"}},
            "results": results,
        }],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
