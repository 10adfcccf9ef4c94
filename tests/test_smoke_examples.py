"""The example workspace passes check; explain names the file and line that set a value."""

from __future__ import annotations

from pathlib import Path

from conftest import Result


def test_examples_pass_check(ws: Path, cli) -> None:  # type: ignore[no-untyped-def]
    res: Result = cli("check", "--format", "json", cwd=ws)
    doc = res.json()
    assert res.code == 0, res.out
    assert doc["profiles"] >= 6
    assert doc["errors"] == 0


def test_explain_names_setter_and_overridden(ws: Path, cli) -> None:  # type: ignore[no-untyped-def]
    res = cli("explain", "ampera-wallbox-22-de", "charging.max_current_a", "--format", "json", cwd=ws)
    assert res.code == 0, res.err
    (item,) = res.json()["values"]
    assert item["value"] == 16
    assert item["file"] == "profiles/partners/ampera/wallbox-22-de.yaml"
    assert item["line"] == 6
    assert item["layer"] == "firmware" and item["impact"] == "recertify"
    assert item["overridden"][0]["file"] == "profiles/products/ac-wallbox-22.yaml"
    assert item["overridden"][0]["value"] == 32
