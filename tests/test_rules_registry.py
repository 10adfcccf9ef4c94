"""Registry behaviour: facts come from region packs (rule sets, thresholds, unverified facts downgrade to
warnings), ownership from provenance, portfolio hygiene reported once, and the examples are clean."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from conftest import Result

from oemkit.check import check, check_profile
from oemkit.errors import Finding
from oemkit.rules import FAMILIES
from oemkit.workspace import Workspace

RULES_SRC = Path(__file__).resolve().parent.parent / "oemkit" / "rules"
REGIONS = ("gb", "de", "no", "us", "fr", "nl", "ie", "jp", "au", "ca", "in", "cn", "nz")


def _profile(ws: Path, text: str, name: str = "case") -> Path:
    path = ws / "profiles" / "partners" / "case" / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("schema_version: 1\n" + text, encoding="utf-8")
    return path


def _findings(ws: Path, path: Path, rule_id: str) -> list[Finding]:
    result = check_profile(Workspace(ws), path)
    assert result.profile is not None, [f.text() for f in result.findings]
    return [f for f in result.findings if f.rule == rule_id]


def test_examples_are_clean(ws: Path, cli: Callable[..., Result]) -> None:
    doc = cli("check", "--format", "json", cwd=ws).json()
    assert (doc["errors"], doc["warnings"]) == (0, 0), doc["findings"]


@pytest.mark.parametrize("cc", REGIONS)
def test_region_pack_is_complete_and_valid(ws: Path, cc: str) -> None:
    path = ws / "profiles" / "regions" / f"{cc}.yaml"
    result = check_profile(Workspace(ws), path)
    assert result.findings == []
    region = yaml.safe_load(path.read_text(encoding="utf-8"))["region"]
    assert region["country"] == cc.upper()
    assert "Sources:" in path.read_text(encoding="utf-8")


def test_unverified_fact_turns_an_error_into_a_warning(ws: Path) -> None:
    base = "extends: [../../products/ac-wallbox-22.yaml, ../../regions/{cc}.yaml, ../ampera/partner.yaml]\n" \
           "variant: power-{cc}\nhardware:\n  max_power_kw: 30\n  connectors: [{{id: 1, type: {conn}}}]\n" \
           "tariff: {{currency: {cur}}}\nbranding: {{display: {{languages: [{lang}]}}}}\n"
    cn = _profile(ws, base.format(cc="cn", conn="gbt-ac", cur="CNY", lang="zh"), "cn")
    fr = _profile(ws, base.format(cc="fr", conn="type2", cur="EUR", lang="fr"), "fr")
    (cn_hit,) = _findings(ws, cn, "HW-POWER")  # CN grid voltage is unverified in the pack
    (fr_hit,) = _findings(ws, fr, "HW-POWER")
    assert (cn_hit.severity, fr_hit.severity) == ("warning", "error")
    assert "220 V" in cn_hit.message and "230 V" in fr_hit.message


def test_rule_sets_and_thresholds_come_from_the_region_pack(ws: Path) -> None:
    gb = (ws / "profiles" / "regions" / "gb.yaml").read_text(encoding="utf-8")
    xx = gb.replace("country: GB", "country: XX").replace("name: Great Britain", "name: Testland")
    (ws / "profiles" / "regions" / "xx.yaml").write_text(xx.replace("random_delay_default_s: 600",
                                                                    "random_delay_default_s: 300"), encoding="utf-8")
    (ws / "profiles" / "regions" / "yy.yaml").write_text(
        xx.replace("rule_sets: [gb-smart-charge-points, gb-public-charge-points]", "rule_sets: []"),
        encoding="utf-8")
    text = "extends: [../../products/ac-wallbox-22.yaml, ../../regions/{cc}.yaml, ../voltway/partner.yaml]\n" \
           "variant: delay-{cc}\n"
    (hit,) = _findings(ws, _profile(ws, text.format(cc="xx"), "xx"), "GB-RANDOM-DELAY")
    assert "600 s" in hit.message and "300 s" in hit.message and "Testland" in hit.message
    assert hit.file == "profiles/regions/xx.yaml"  # the pack's own default, now wrong for its own rule
    assert _findings(ws, _profile(ws, text.format(cc="yy"), "yy"), "GB-RANDOM-DELAY") == []
    de = _profile(ws, "extends: [../ampera/wallbox-22-de.yaml]\ncharging: {randomised_delay_s: 0}\n", "de")
    assert _findings(ws, de, "GB-RANDOM-DELAY") == []


def test_partner_removing_a_firmware_list_item_is_an_ownership_error(ws: Path) -> None:
    path = _profile(ws, "extends: [../hyperion/dc-180-de.yaml]\npartner: {customization: [software]}\n"
                        "hardware:\n  connectors: [{id: 2, remove: true}]\n")
    hits = {f.path: f for f in _findings(ws, path, "OWN-LAYER")}
    removal = hits["hardware.connectors"]
    assert (removal.file, removal.line) == ("profiles/partners/case/case.yaml", 5)
    assert "removes items" in removal.message
    led = hits["branding.led.idle"]  # set in hyperion/partner.yaml, a partner file: who set it counts
    assert led.file == "profiles/partners/hyperion/partner.yaml" and "firmware" in led.message
    assert "hardware.phases" not in hits  # the product family may set firmware fields


def test_always_overridden_is_reported_once_per_portfolio(ws: Path) -> None:
    shared = ws / "profiles" / "partners" / "case" / "base.yaml"
    shared.parent.mkdir(parents=True)
    shared.write_text("schema_version: 1\ntariff: {energy_price_per_kwh: \"0.39\"}\n", encoding="utf-8")
    for n in (1, 2):
        _profile(ws, f"extends: [../ampera/wallbox-22-de.yaml, base.yaml]\nvariant: v{n}\n"
                     f"tariff: {{energy_price_per_kwh: \"0.4{n}\"}}\n", f"v{n}")
    report = check(Workspace(ws))
    hits = [f for f in report.findings if f.rule == "HYG-ALWAYS-OVERRIDDEN"]
    assert [(f.file, f.line, f.path) for f in hits] == [
        ("profiles/partners/case/base.yaml", 2, "tariff.energy_price_per_kwh")]
    assert "v1.yaml" in hits[0].message and "v2.yaml" in hits[0].message


def test_rule_logic_names_no_country() -> None:
    for name in FAMILIES:
        text = (RULES_SRC / f"{name}.py").read_text(encoding="utf-8")
        assert "region.country" not in text, name
        code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith(("#", '"', "'")))
        assert not re.search(r"""==\s*["'][A-Z]{2}["']""", code), name


def test_rule_ids_are_stable_slugs() -> None:
    from oemkit.region import RULE_SETS
    from oemkit.rules import all_rules

    for r in all_rules():
        assert re.fullmatch(r"[A-Z0-9]+(-[A-Z0-9]+)+", r.id), r.id
        assert r.rule_set is None or r.rule_set in RULE_SETS, r.id
        assert r.severity in ("error", "warning")


def test_nevi_needs_a_tethered_ccs1(ws: Path) -> None:
    path = _profile(ws, "extends: [../hyperion/dc-180-us.yaml]\nhardware:\n  connectors: [{id: 1, cable: socket}]\n")
    (hit,) = _findings(ws, path, "US-NEVI-CONNECTOR")
    assert (hit.path, hit.line) == ("hardware.connectors.0.cable", 4)
    assert "tethered" in hit.hint


def test_delivery_display_on_dc_is_a_warning_until_the_pack_date(ws: Path) -> None:
    path = _profile(ws, "extends: [../hyperion/dc-180-us.yaml]\nhardware: {display: none}\n"
                        "tariff: {display_price: false}\naccess: {funding_program: none}\n")
    (hit,) = _findings(ws, path, "US-HB44-DISPLAY")
    assert hit.severity == "warning" and "2028-01-01" in hit.message


def test_unknown_rule_set_in_a_region_pack_is_a_finding(ws: Path) -> None:
    pack = ws / "profiles" / "regions" / "gb.yaml"
    pack.write_text(pack.read_text(encoding="utf-8").replace("gb-public-charge-points]", "gb-public]"),
                    encoding="utf-8")
    findings = check_profile(Workspace(ws), pack).findings
    assert findings and all(f.file == "profiles/regions/gb.yaml" for f in findings)
    assert any("region.rule_sets" in f.path for f in findings), [f.text() for f in findings]
