"""Schema findings point at the YAML: file, line, dotted path, hint, "did you mean"."""

from __future__ import annotations

from pathlib import Path

from conftest import Result


def _edit(ws: Path, rel: str, old: str, new: str) -> None:
    path = ws / rel
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def _findings(cli, ws: Path, *paths: str) -> list[dict]:  # type: ignore[no-untyped-def]
    res: Result = cli("check", "--format", "json", *paths, cwd=ws)
    assert res.code == 1, res.out + res.err
    return res.json()["findings"]  # type: ignore[no-any-return]


def test_unknown_key_did_you_mean(ws: Path, cli) -> None:  # type: ignore[no-untyped-def]
    _edit(ws, "profiles/partners/ampera/wallbox-22-de.yaml", "  max_current_a: 16", "  max_curent_a: 16")
    (f,) = [f for f in _findings(cli, ws, "profiles/partners/ampera/wallbox-22-de.yaml")
            if f["rule"] == "SCHEMA-UNKNOWN-KEY"]
    assert f["path"] == "charging.max_curent_a"
    assert f["file"] == "profiles/partners/ampera/wallbox-22-de.yaml" and f["line"] == 6 and f["column"] == 3
    assert "Did you mean 'max_current_a'?" in f["message"]


def test_enum_did_you_mean_and_yaml11_bool(ws: Path, cli) -> None:  # type: ignore[no-untyped-def]
    _edit(ws, "profiles/partners/voltway/partner.yaml", "access: {mode: rfid_only,", "access: {mode: rfid-only,")
    _edit(ws, "profiles/partners/voltway/partner.yaml", "display_price: false", "display_price: no")
    found = {f["path"]: f for f in _findings(cli, ws, "profiles/partners/voltway/home-22-gb.yaml")}
    assert "Did you mean 'rfid_only'?" in found["access.mode"]["message"]
    assert found["access.mode"]["file"] == "profiles/partners/voltway/partner.yaml"
    assert "true or false" in found["tariff.display_price"]["hint"]


def test_inherited_error_points_at_the_file_that_set_it(ws: Path, cli) -> None:  # type: ignore[no-untyped-def]
    _edit(ws, "profiles/products/ac-wallbox-7.yaml", "  rated_current_a: 32", "  rated_current_a: \"32\"")
    (f,) = _findings(cli, ws, "profiles/partners/voltway/home-7-gb.yaml")
    assert (f["rule"], f["path"], f["file"], f["line"]) == (
        "SCHEMA-TYPE", "hardware.rated_current_a", "profiles/products/ac-wallbox-7.yaml", 10)
    assert "without quotes" in f["hint"]


def test_missing_key_and_all_errors_at_once(ws: Path, cli) -> None:  # type: ignore[no-untyped-def]
    _edit(ws, "profiles/partners/voltway/partner.yaml", "  security_profile: 2\n", "")
    _edit(ws, "profiles/partners/voltway/partner.yaml", "energy_price_per_kwh: \"0.45\"", "energy_price_per_kwh: -1")
    rules = sorted((f["rule"], f["path"]) for f in _findings(cli, ws, "profiles/partners/voltway/home-22-gb.yaml"))
    assert ("SCHEMA-MISSING", "ocpp.security_profile") in rules
    assert ("SCHEMA-RANGE", "tariff.energy_price_per_kwh") in rules


def test_ocpp_version_as_number_gets_quote_hint(ws: Path, cli) -> None:  # type: ignore[no-untyped-def]
    _edit(ws, "profiles/partners/ampera/partner.yaml", 'version: "1.6J"', "version: 1.6")
    (f,) = [f for f in _findings(cli, ws, "profiles/partners/ampera/wallbox-22-de.yaml") if f["path"] == "ocpp.version"]
    assert "quote" in f["hint"]


def test_base_file_checked_against_layer_schema(ws: Path, cli) -> None:  # type: ignore[no-untyped-def]
    _edit(ws, "profiles/products/ac-wallbox-7.yaml", "  phases: 1", "  phase: 1")
    (f,) = _findings(cli, ws, "profiles/products/ac-wallbox-7.yaml")
    assert f["rule"] == "SCHEMA-UNKNOWN-KEY" and f["path"] == "hardware.phase" and f["line"] == 9
    assert "Did you mean 'phases'?" in f["message"]
