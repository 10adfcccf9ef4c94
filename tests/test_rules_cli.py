"""``oemkit rules`` lists every rule; ``--explain ID`` gives rationale, source, fix and both snippets."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import yaml
from conftest import Result

from oemkit.commands.rules import render_markdown
from oemkit.rules import all_rules

DOCS = Path(__file__).resolve().parent.parent / "docs" / "rules.md"


def test_list_names_every_rule(ws: Path, cli: Callable[..., Result]) -> None:
    res = cli("rules", cwd=ws)
    assert res.code == 0
    lines = res.out.splitlines()
    for r in all_rules():
        line = next(x for x in lines if x.startswith(r.id + " "))
        assert r.severity in line and r.title in line
        assert (r.rule_set or "-") in line
    assert f"{len(all_rules())} rule(s)" in lines[-1]


def test_list_json_and_family_filter(ws: Path, cli: Callable[..., Result]) -> None:
    doc = cli("rules", "--format", "json", "--family", "ownership", cwd=ws).json()
    assert {r["id"] for r in doc} == {"OWN-LAYER", "OWN-REGION"}
    assert all(r["family"] == "ownership" and r["source"] for r in doc)
    bad = cli("rules", "--family", "nope", cwd=ws)
    assert bad.code == 2 and "hardware" in bad.err


def test_explain_shows_rationale_source_and_snippets(ws: Path, cli: Callable[..., Result]) -> None:
    res = cli("rules", "--explain", "gb-random-delay", cwd=ws)
    assert res.code == 0
    out = res.out
    assert out.startswith("GB-RANDOM-DELAY (error, regulation):")
    assert "SI 2021/1467" in out and "Fix: set charging.randomised_delay_s" in out
    assert "region.rule_sets" in out
    fails, passes = out.split("Fails:\n")[1].split("\n\nPasses:\n")
    assert "randomised_delay_s: 0" in fails and "randomised_delay_s: 600" in passes


def test_explain_json(ws: Path, cli: Callable[..., Result]) -> None:
    doc = cli("rules", "--explain", "XL-PNC-NEEDS-PLC", "--format", "json", cwd=ws).json()
    assert doc["id"] == "XL-PNC-NEEDS-PLC" and doc["family"] == "crosslayer" and doc["rule_set"] is None
    assert yaml.safe_load(doc["failing"])["charging"]["iso15118"]["plug_and_charge"] is True


def test_explain_unknown_rule_is_a_usage_error(ws: Path, cli: Callable[..., Result]) -> None:
    res = cli("rules", "--explain", "GB-RANDOM", cwd=ws)
    assert res.code == 2 and res.out == ""
    assert "Did you mean GB-RANDOM-DELAY" in res.err and "Traceback" not in res.err


def test_every_rule_is_documented_with_parseable_snippets() -> None:
    for r in all_rules():
        assert r.title and r.hint and r.source and r.rationale, r.id
        for snippet in (r.failing, r.passing):  # one YAML document per file shown
            docs = list(yaml.safe_load_all(snippet))
            assert docs and all(isinstance(d, dict) for d in docs), r.id
        assert r.failing != r.passing, r.id


def test_docs_rules_md_is_current() -> None:
    assert DOCS.read_text(encoding="utf-8") == render_markdown(all_rules()), (
        "docs/rules.md is stale: run 'python3 -m oemkit rules --format markdown > docs/rules.md'")
