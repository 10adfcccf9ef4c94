"""``oemkit check --format sarif`` is valid SARIF 2.1.0 (official OASIS schema, vendored under tests/data)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import Result

SCHEMA = Path(__file__).resolve().parent / "data" / "sarif-schema-2.1.0.json"
CASES = Path(__file__).resolve().parent / "rules"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def _add_case(ws: Path, rule_id: str, name: str) -> str:
    target = ws / "profiles" / "partners" / "case" / f"{name}.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(CASES / rule_id / "fail" / "profile.yaml", target)
    return target.relative_to(ws).as_posix()


def _sarif(cli: Callable[..., Result], ws: Path, *paths: str) -> tuple[int, dict[str, Any], dict[str, Any]]:
    res = cli("check", *paths, "--format", "sarif", cwd=ws)
    as_json = cli("check", *paths, "--format", "json", cwd=ws)
    return res.code, json.loads(res.out), as_json.json()


def _errors(validator: jsonschema.Draft4Validator, doc: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]


def test_clean_portfolio_is_valid_sarif(ws: Path, cli: Callable[..., Result],
                                        validator: jsonschema.Draft4Validator) -> None:
    code, doc, _ = _sarif(cli, ws)
    assert code == 0
    assert _errors(validator, doc) == []
    assert doc["version"] == "2.1.0" and doc["runs"][0]["results"] == []


def test_findings_are_valid_sarif_and_point_at_file_and_line(ws: Path, cli: Callable[..., Result],
                                                             validator: jsonschema.Draft4Validator) -> None:
    a = _add_case(ws, "GB-RANDOM-DELAY", "a")
    b = _add_case(ws, "REG-LANGUAGE", "b")
    broken = ws / "profiles" / "partners" / "case" / "c.yaml"
    broken.write_text("schema_version: 1\nextends: [../voltway/home-22-gb.yaml]\ncharging: {max_current_a: lots}\n",
                      encoding="utf-8")
    code, doc, plain = _sarif(cli, ws, a, b, "profiles/partners/case/c.yaml")
    assert code == 1
    assert _errors(validator, doc) == []
    run = doc["runs"][0]
    results, rules = run["results"], run["tool"]["driver"]["rules"]
    assert len(results) == len({json.dumps(f, sort_keys=True) for f in plain["findings"]}) > 0
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids))
    distinct = list({json.dumps(f, sort_keys=True): f for f in plain["findings"]}.values())
    for res, finding in zip(results, distinct, strict=True):
        assert res["ruleId"] == finding["rule"]
        assert rules[res["ruleIndex"]]["id"] == finding["rule"]
        assert res["level"] == finding["severity"]
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"] == finding["file"]
        assert loc["region"]["startLine"] == finding["line"]
        assert finding["message"] in res["message"]["text"]
    by_rule = {r["ruleId"]: r for r in results}
    assert by_rule["GB-RANDOM-DELAY"]["level"] == "error"
    assert by_rule["REG-LANGUAGE"]["level"] == "warning"
    delay = rules[ids.index("GB-RANDOM-DELAY")]
    assert "SI 2021/1467" in delay["help"]["text"]
    assert delay["shortDescription"]["text"].startswith("Randomised delay")


def test_finding_in_a_shared_file_is_one_result(ws: Path, cli: Callable[..., Result],
                                                validator: jsonschema.Draft4Validator) -> None:
    a = _add_case(ws, "XL-PRICE-NEEDS-DISPLAY", "a")
    b = _add_case(ws, "XL-PRICE-NEEDS-DISPLAY", "b")  # both inherit display_price from ampera/partner.yaml
    _, doc, plain = _sarif(cli, ws, a, b)
    assert _errors(validator, doc) == []
    shared = [f for f in plain["findings"] if f["rule"] == "XL-PRICE-NEEDS-DISPLAY"]
    assert len(shared) == 2 and shared[0] == shared[1]
    results = [r for r in doc["runs"][0]["results"] if r["ruleId"] == "XL-PRICE-NEEDS-DISPLAY"]
    assert len(results) == 1
    assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "profiles/partners/ampera/partner.yaml")
