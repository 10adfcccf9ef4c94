"""The release ledger and versioning: stream identity, immutable versions, release notes."""

from __future__ import annotations

import json
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from oemkit import ledger
from oemkit.diff import bump_version
from tests.conftest import Result

ID = "voltway-home-22-gb"


def _one(r: Result) -> dict[str, Any]:
    assert r.code == 0, r.out + r.err
    bundles = r.json()["bundles"]
    assert len(bundles) == 1
    b: dict[str, Any] = bundles[0]
    return b


def _notes(ws: Path, b: dict[str, Any]) -> str:
    with tarfile.open(ws / b["path"], "r:gz") as tar:
        return tar.extractfile("RELEASE_NOTES.md").read().decode()  # type: ignore[union-attr]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


@pytest.fixture
def released(ws: Path, cli: Callable[..., Result]) -> dict[str, Any]:
    return _one(cli("release", ID, "--format", "json", cwd=ws))


def test_release_records_an_entry(ws: Path, released: dict[str, Any]) -> None:
    assert released["version"] == "1.0.0" and released["released"] is True
    entry = json.loads((ws / "releases" / ID / "1.0.0.json").read_text())
    assert entry["id"] == ID and entry["version"] == "1.0.0"
    assert entry["streams"]["firmware"]["sha256"] == released["firmware_sha256"]
    assert entry["streams"]["software"]["version"] == "1.0.0"
    assert entry["bundle"] == f"{ID}-1.0.0.tar.gz"
    assert entry["profile"]["partner"]["id"] == "voltway"
    assert len(entry["manifest_sha256"]) == 64 and len(entry["profile_sha256"]) == 64


def test_a_dev_build_does_not_touch_the_ledger(ws: Path, cli: Callable[..., Result]) -> None:
    assert cli("build", "--all", cwd=ws).code == 0
    assert not (ws / "releases").exists()


def test_unchanged_profile_gives_the_same_version_and_bytes(
        ws: Path, cli: Callable[..., Result], released: dict[str, Any]) -> None:
    first = (ws / released["path"]).read_bytes()
    (ws / released["path"]).unlink()
    again = _one(cli("release", ID, "--format", "json", cwd=ws))
    assert again["version"] == "1.0.0" and again["released"] is False
    assert (ws / again["path"]).read_bytes() == first
    assert sorted(p.name for p in (ws / "releases" / ID).iterdir()) == ["1.0.0.json"]
    dev = _one(cli("build", ID, "--format", "json", "-o", str(ws / "elsewhere"), cwd=ws))
    assert dev["version"] == "1.0.0"
    assert Path(dev["path"]).read_bytes() == first


def test_source_date_of_a_release_is_kept_on_rebuild(
        ws: Path, cli: Callable[..., Result], released: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    first = (ws / released["path"]).read_bytes()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")
    again = _one(cli("build", ID, "--format", "json", "--no-cache", cwd=ws))
    assert again["version"] == "1.0.0"
    assert (ws / again["path"]).read_bytes() == first


def test_software_only_change_keeps_the_firmware_stream(
        ws: Path, cli: Callable[..., Result], released: dict[str, Any]) -> None:
    _edit(ws / "profiles/partners/voltway/partner.yaml", 'energy_price_per_kwh: "0.45"', 'energy_price_per_kwh: "0.49"')
    b = _one(cli("build", ID, "--format", "json", cwd=ws))
    assert b["firmware_version"] == released["firmware_version"] == "1.0.0"
    assert b["firmware_sha256"] == released["firmware_sha256"]
    assert b["software_version"] != "1.0.0"
    assert ledger.parse_version(b["software_version"]) > (1, 0, 0)
    assert ledger.parse_version(b["version"]) > (1, 0, 0)
    notes = _notes(ws, b)
    assert "No reflash needed" in notes and released["firmware_sha256"] in notes
    assert "REFLASH" not in notes and "RECERTIFICATION" not in notes
    assert '`tariff.energy_price_per_kwh`: `"0.45"` -> `"0.49"`' in notes
    assert "### Software" in notes and "### Firmware" not in notes
    # The dev build recorded nothing; releasing it does, under the same version and bytes.
    assert sorted(p.name for p in (ws / "releases" / ID).iterdir()) == ["1.0.0.json"]
    built = (ws / b["path"]).read_bytes()
    r = _one(cli("release", ID, "--format", "json", cwd=ws))
    assert r["version"] == b["version"] and (ws / r["path"]).read_bytes() == built
    assert (ws / "releases" / ID / f"{b['version']}.json").is_file()


def test_firmware_change_bumps_firmware_and_shows_banners(
        ws: Path, cli: Callable[..., Result], released: dict[str, Any]) -> None:
    _edit(ws / "profiles/products/ac-wallbox-22.yaml", "  min_current_a: 6", "  min_current_a: 8")
    b = _one(cli("build", ID, "--format", "json", cwd=ws))
    assert b["firmware_sha256"] != released["firmware_sha256"]
    assert ledger.parse_version(b["firmware_version"]) > (1, 0, 0)
    notes = _notes(ws, b)
    assert "REFLASH REQUIRED" in notes
    assert "### Firmware" in notes and "`charging.min_current_a`: `6` -> `8`" in notes
    manifest_requires = f">={b['firmware_version']}"
    with tarfile.open(ws / b["path"], "r:gz") as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    assert manifest["compatibility"]["requires"]["firmware"] == manifest_requires


def test_recertification_banner(ws: Path, cli: Callable[..., Result], released: dict[str, Any]) -> None:
    _edit(ws / "profiles/products/ac-wallbox-22.yaml", "  max_current_a: 32\n  min", "  max_current_a: 30\n  min")
    b = _one(cli("build", ID, "--format", "json", cwd=ws))
    assert "RECERTIFICATION REQUIRED" in _notes(ws, b)


def test_explicit_existing_version_with_other_content_is_refused(
        ws: Path, cli: Callable[..., Result], released: dict[str, Any]) -> None:
    _edit(ws / "profiles/partners/voltway/partner.yaml", "title: Voltway Home", "title: Voltway Home+")
    r = cli("release", ID, "--version", "1.0.0", "--format", "json", cwd=ws)
    assert r.code == 1
    finding = r.json()["failed"][0]["findings"][0]
    assert "already released with different content" in finding["message"]
    entry = json.loads((ws / "releases" / ID / "1.0.0.json").read_text())
    assert entry["manifest_sha256"] != ""
    assert (ws / released["path"]).is_file()


def test_explicit_versions(ws: Path, cli: Callable[..., Result], released: dict[str, Any]) -> None:
    _edit(ws / "profiles/partners/voltway/partner.yaml", "title: Voltway Home", "title: Voltway Home+")
    assert cli("release", ID, "--version", "0.9.0", cwd=ws).code == 2  # lower than the last release
    with pytest.raises(SystemExit):  # build takes no --version: a development build never picks one
        cli("build", ID, "--version", "3.0.0", cwd=ws)
    b = _one(cli("release", ID, "--version", "2.0.0", "--format", "json", cwd=ws))
    assert b["version"] == "2.0.0"
    assert b["firmware_version"] == "1.0.0"
    assert sorted(p.name for p in (ws / "releases" / ID).iterdir()) == ["1.0.0.json", "2.0.0.json"]


def test_append_is_exclusive(tmp_path: Path) -> None:
    entry = {"id": "x-y", "version": "1.0.0", "manifest_sha256": "a" * 64}
    assert ledger.append(tmp_path, entry) is True
    assert ledger.append(tmp_path, dict(entry)) is False
    with pytest.raises(ledger.ReleaseConflict, match="never rewritten"):
        ledger.append(tmp_path, {**entry, "manifest_sha256": "b" * 64})
    assert json.loads((tmp_path / "releases/x-y/1.0.0.json").read_text())["manifest_sha256"] == "a" * 64


def test_corrupt_ledger_is_a_clear_error(ws: Path, cli: Callable[..., Result], released: dict[str, Any]) -> None:
    (ws / "releases" / ID / "1.0.0.json").write_text("{not json")
    r = cli("build", ID, "--format", "json", cwd=ws)
    assert r.code == 2
    assert "restore the file from git" in r.json()["failed"][0]["findings"][0]["message"]


def test_next_versions_policy() -> None:
    last = {"version": "1.4.2", "streams": {"firmware": {"version": "1.1.0", "sha256": "f"},
                                            "software": {"version": "1.4.0", "sha256": "s"}}}
    assert ledger.next_versions(None, {}, {"firmware": "f", "software": "s"}, bump_version) == (
        "1.0.0", {"firmware": "1.0.0", "software": "1.0.0"})
    v, s = ledger.next_versions(last, {"firmware": "none", "software": "minor"}, {"firmware": "f", "software": "t"},
                                bump_version)
    assert (v, s) == ("1.5.0", {"firmware": "1.1.0", "software": "1.5.0"})
    v, s = ledger.next_versions(last, {"firmware": "none", "software": "none"}, {"firmware": "g", "software": "s"},
                                bump_version)
    assert (v, s) == ("1.4.3", {"firmware": "1.1.1", "software": "1.4.0"})
    v, s = ledger.next_versions(last, {"firmware": "major", "software": "none"}, {"firmware": "g", "software": "s"},
                                bump_version)
    assert (v, s) == ("2.0.0", {"firmware": "2.0.0", "software": "1.4.0"})


def test_software_edit_that_shifts_lines_keeps_the_firmware_stream(ws: Path, cli: Callable[..., Result]) -> None:
    first = _one(cli("release", "ampera-wallbox-22-de", "--format", "json", cwd=ws))
    _edit(ws / "profiles/partners/ampera/partner.yaml", "  brand_name: Ampera\n",
          "  brand_name: Ampera\n  # the portal brand, shown on receipts\n")
    b = _one(cli("build", "ampera-wallbox-22-de", "--format", "json", cwd=ws))
    assert b["firmware_sha256"] == first["firmware_sha256"]
    assert b["firmware_version"] == first["firmware_version"]


def test_history_moves_forward_and_old_versions_reproduce(
        ws: Path, cli: Callable[..., Result], released: dict[str, Any]) -> None:
    first = (ws / released["path"]).read_bytes()
    partner = ws / "profiles/partners/voltway/partner.yaml"
    original = partner.read_text()
    _edit(partner, "title: Voltway Home", "title: Voltway Home+")
    second = _one(cli("release", ID, "--format", "json", cwd=ws))
    partner.write_text(original)  # revert: the content of 1.0.0 again
    third = _one(cli("build", ID, "--format", "json", cwd=ws))
    assert ledger.parse_version(third["version"]) > ledger.parse_version(second["version"])  # never back to 1.0.0
    assert "Previous release: " + second["version"] in _notes(ws, third)
    # The released 1.0.0 is still reproducible byte for byte from these inputs.
    (ws / released["path"]).unlink()
    again = _one(cli("release", ID, "--version", "1.0.0", "--format", "json", cwd=ws))
    assert again["released"] is False and (ws / again["path"]).read_bytes() == first
    assert ledger.History(ws, ID).versions == ["1.0.0", second["version"]]


def test_a_failing_profile_records_nothing(ws: Path, cli: Callable[..., Result]) -> None:
    f = ws / "profiles/partners/voltway/home-22-gb.yaml"
    f.write_text(f.read_text() + "charging: {max_current_a: 99}\n")
    r = cli("release", "voltway", "--format", "json", cwd=ws)
    assert r.code == 1
    assert [b["id"] for b in r.json()["bundles"]] == ["voltway-home-7-gb"]
    assert sorted(p.parent.name for p in (ws / "releases").rglob("*.json")) == ["voltway-home-7-gb"]


def test_release_text_output(ws: Path, cli: Callable[..., Result]) -> None:
    r = cli("release", ID, cwd=ws)
    assert r.code == 0 and r.out.startswith(f"released  dist/voltway/{ID}-1.0.0.tar.gz")
    r = cli("release", ID, cwd=ws)
    assert r.code == 0 and r.out.startswith(f"unchanged dist/voltway/{ID}-1.0.0.tar.gz")
