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


def _sarif_rule(rule_id: str, source: str) -> dict[str, Any]:
    """A reportingDescriptor: title, rationale and fix from the rule registry where the rule is a domain rule."""
    from oemkit.rules import get_rule

    known = get_rule(rule_id)
    if known is None:  # schema, YAML and extends findings: no registry entry
        entry: dict[str, Any] = {"id": rule_id, "shortDescription": {"text": rule_id}}
        if source:
            entry["help"] = {"text": f"Source: {source}"}
        return entry
    return {"id": rule_id, "name": known.title,
            "shortDescription": {"text": known.title},
            "fullDescription": {"text": known.rationale},
            "help": {"text": f"Fix: {known.hint}\nSource: {known.source}\nMore: oemkit rules --explain {rule_id}"},
            "defaultConfiguration": {"level": known.severity},
            "properties": {"family": known.family, **({"ruleSet": known.rule_set} if known.rule_set else {})}}


def render_sarif(report: CheckReport, tool_version: str) -> str:
    """SARIF 2.1.0: one run, one rule entry per rule id seen, one result per distinct finding.

    A finding in a shared base file is reported once even when several profiles inherit it.
    """
    from urllib.parse import quote

    rules: dict[str, dict[str, Any]] = {}
    index: dict[str, int] = {}
    results = []
    for f in dict.fromkeys(report.findings):
        if f.rule not in rules:
            index[f.rule] = len(rules)
            rules[f.rule] = _sarif_rule(f.rule, f.source)
        results.append({
            "ruleId": f.rule,
            "ruleIndex": index[f.rule],
            "level": "error" if f.severity == "error" else "warning",
            "message": {"text": f"{f.message} Fix: {f.hint}" if f.hint else f.message},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": quote(f.file), "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": max(f.line, 1), "startColumn": max(f.column, 1)},
            }, "logicalLocations": [{"fullyQualifiedName": f.path, "kind": "member"}] if f.path else []}],
        })
    doc = {
        "$schema": "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "oemkit", "version": tool_version,
                                "informationUri": "https://oemkit.dev", "rules": list(rules.values())}},
            "originalUriBaseIds": {"%SRCROOT%": {"description": {
                "text": "The oemkit workspace root (the folder holding profiles/ and pyproject.toml)."}}},
            "results": results,
        }],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
