"""Every domain rule has a failing and a passing case under tests/rules/<RULE-ID>/{fail,pass}/.

A case is a small profile laid into a private copy of the example workspace; the failing case must
produce exactly the findings its ``expect.yaml`` lists (rule id, dotted path, file and line), the
passing case none of the rule and no error at all.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import copy_workspace

from oemkit.check import ProfileResult, check_profile
from oemkit.errors import Finding
from oemkit.rules import all_rules, get_rule
from oemkit.workspace import Workspace

CASES = Path(__file__).resolve().parent / "rules"
CASE_FILE = "profiles/partners/case/profile.yaml"


def run_case(tmp_path: Path, case: Path) -> ProfileResult:
    """Lay ``case`` into a copy of the example workspace and check its profile."""
    ws = copy_workspace(tmp_path / "ws")
    overlay = case / "workspace"
    if overlay.is_dir():
        shutil.copytree(overlay, ws, dirs_exist_ok=True)
    target = ws / CASE_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(case / "profile.yaml", target)
    return check_profile(Workspace(ws), target)


def _cases(kind: str) -> list[Any]:
    return [pytest.param(d.name, id=d.name) for d in sorted(CASES.iterdir()) if (d / kind).is_dir()]


def _of(result: ProfileResult, rule_id: str) -> list[Finding]:
    return [f for f in result.findings if f.rule == rule_id]


def test_every_rule_has_a_failing_and_a_passing_case() -> None:
    ids = {r.id for r in all_rules()}
    folders = {d.name for d in CASES.iterdir() if d.is_dir()}
    assert folders == ids, f"cases without a rule: {folders - ids}; rules without cases: {ids - folders}"
    for rule_id in ids:
        assert (CASES / rule_id / "fail" / "profile.yaml").is_file(), rule_id
        assert (CASES / rule_id / "fail" / "expect.yaml").is_file(), rule_id
        assert (CASES / rule_id / "pass" / "profile.yaml").is_file(), rule_id


@pytest.mark.parametrize("rule_id", _cases("fail"))
def test_failing_case(tmp_path: Path, rule_id: str) -> None:
    case = CASES / rule_id / "fail"
    rule = get_rule(rule_id)
    assert rule is not None
    result = run_case(tmp_path, case)
    assert result.profile is not None, [f.text() for f in result.findings]
    expect = yaml.safe_load((case / "expect.yaml").read_text(encoding="utf-8"))["findings"]
    wanted = sorted((e["path"], e.get("file", CASE_FILE), e["line"], e.get("severity", rule.severity))
                    for e in expect)
    found = _of(result, rule_id)
    got = sorted((f.path, f.file, f.line, f.severity) for f in found)
    assert got == wanted, "\n".join(f.text() for f in result.findings)
    for f in found:  # readable by a partner alone: what, where, how to fix, on which authority
        assert f.message.endswith(".") and f.hint and f.source, f.text()
        assert f.column >= 1


@pytest.mark.parametrize("rule_id", _cases("pass"))
def test_passing_case(tmp_path: Path, rule_id: str) -> None:
    result = run_case(tmp_path, CASES / rule_id / "pass")
    assert result.profile is not None, [f.text() for f in result.findings]
    assert _of(result, rule_id) == []
    errors = [f.text() for f in result.findings if f.severity == "error"]
    assert errors == []
