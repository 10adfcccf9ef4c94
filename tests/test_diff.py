"""Change impact and the SemVer bump policy (docs/versioning.md), case by case; ``oemkit diff`` on profiles/bundles."""

from __future__ import annotations

import copy
import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest

from oemkit.check import check_profile
from oemkit.diff import Change, bump_of, bump_version, diff_data
from oemkit.fields import field_index
from oemkit.workspace import Workspace

REPO = Path(__file__).resolve().parent.parent


def _data(rel: str) -> dict[str, Any]:
    result = check_profile(Workspace(REPO), REPO / rel, rules=False)
    assert result.profile is not None, result.findings
    return result.profile.model_dump(mode="json")


@pytest.fixture(scope="module")
def base() -> dict[str, Any]:
    return _data("profiles/partners/ampera/wallbox-22-de.yaml")


def _edit(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(data)
    *parents, last = path.split(".")
    node = out
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[last] = value
    return out


# --- the policy, case by case ---------------------------------------------------------------------


def test_spec_example_recertify_change(base: dict[str, Any]) -> None:
    """shared/spec/cli.md: max_current_a 32 -> 16 is a recertify change and a firmware minor bump."""
    old = _edit(base, "charging.max_current_a", 32)
    new = _edit(base, "charging.max_current_a", 16)
    assert diff_data(old, new).to_json() == {
        "changes": [{"path": "charging.max_current_a", "old": 32, "new": 16, "layer": "firmware",
                     "impact": "recertify"}],
        "streams": {"firmware": "minor", "software": "none"}, "reflash_required": True,
        "recertification_required": True}


def test_reflash_only_change(base: dict[str, Any]) -> None:
    result = diff_data(base, _edit(base, "charging.offline_mode", "deny"))
    assert [(c.path, c.layer, c.impact) for c in result.changes] == [("charging.offline_mode", "firmware", "reflash")]
    assert result.streams == {"firmware": "minor", "software": "none"}
    assert result.reflash_required and not result.recertification_required


def test_hot_software_change(base: dict[str, Any]) -> None:
    price = base["tariff"]["energy_price_per_kwh"]
    result = diff_data(base, _edit(base, "tariff.energy_price_per_kwh", "123.45"))
    assert [(c.path, c.old, c.new, c.layer, c.impact) for c in result.changes] == [
        ("tariff.energy_price_per_kwh", price, "123.45", "software", "hot")]
    assert result.streams == {"firmware": "none", "software": "minor"}
    assert not result.reflash_required and not result.recertification_required


def test_reboot_software_change(base: dict[str, Any]) -> None:
    result = diff_data(base, _edit(base, "ocpp.csms_url", "wss://new.ampera.example/ws"))
    assert [(c.layer, c.impact) for c in result.changes] == [("software", "reboot")]
    assert result.streams == {"firmware": "none", "software": "minor"}
    assert not result.reflash_required


@pytest.mark.parametrize(("path", "value", "stream"), [
    ("branding.colors.primary", "#000000", "software"),
    ("branding.support.phone", "+49 30 1234567", "software"),
    ("portal.title", "Ampera Cloud", "software"),
    ("branding.led.idle", "#FFFFFF", "firmware"),
    ("branding.display.boot_text", "Ampera", "firmware"),
])
def test_cosmetic_change_is_a_patch(base: dict[str, Any], path: str, value: Any, stream: str) -> None:
    result = diff_data(base, _edit(base, path, value))
    other = "software" if stream == "firmware" else "firmware"
    assert result.streams == {stream: "patch", other: "none"}
    # A cosmetic firmware change is still compiled in: it needs a reflash, never a recertification.
    assert result.reflash_required == (stream == "firmware")
    assert not result.recertification_required


def test_cosmetic_and_behaviour_change_together_take_the_larger_bump(base: dict[str, Any]) -> None:
    new = _edit(_edit(base, "portal.title", "X"), "ocpp.heartbeat_interval_s", 900)
    assert diff_data(base, new).streams["software"] == "minor"


def test_added_list_item(base: dict[str, Any]) -> None:
    report = {"id": "daily-energy", "kind": "energy", "schedule": "daily", "recipients": ["a@ampera.example"]}
    new = copy.deepcopy(base)
    new["portal"]["reports"].append(report)
    result = diff_data(base, new)
    (change,) = result.changes
    assert (change.path, change.old, change.new, change.kind) == ("portal.reports[id=daily-energy]", None, report,
                                                                  "added")
    assert (change.layer, change.impact) == ("software", "hot")
    assert result.streams == {"firmware": "none", "software": "minor"}


def test_removed_list_item(base: dict[str, Any]) -> None:
    new = copy.deepcopy(base)
    removed = new["portal"]["reports"].pop(0)
    result = diff_data(base, new)
    (change,) = result.changes
    assert (change.path, change.old, change.new, change.kind) == (
        f"portal.reports[id={removed['id']}]", removed, None, "removed")
    assert result.streams == {"firmware": "none", "software": "major"}


def test_added_and_removed_connector(base: dict[str, Any]) -> None:
    second = {"id": 2, "type": "type2", "cable": "tethered", "max_current_a": 32, "max_power_kw": None}
    more = copy.deepcopy(base)
    more["hardware"]["connectors"].append(second)
    added = diff_data(base, more)
    assert [(c.path, c.kind, c.layer, c.impact) for c in added.changes] == [
        ("hardware.connectors[id=2]", "added", "firmware", "recertify")]
    assert added.streams == {"firmware": "minor", "software": "none"} and added.recertification_required
    removed = diff_data(more, base)
    assert [c.kind for c in removed.changes] == ["removed"]
    assert removed.streams == {"firmware": "major", "software": "none"}


def test_change_inside_a_keyed_item_names_the_id(base: dict[str, Any]) -> None:
    result = diff_data(base, _edit(base, "hardware.connectors.0.max_current_a", 16))
    assert [c.path for c in result.changes] == ["hardware.connectors[id=1].max_current_a"]
    assert result.changes[0].impact == "recertify"


def test_keyed_items_are_matched_by_id_not_position(base: dict[str, Any]) -> None:
    a = {"id": "a", "kind": "energy", "schedule": "daily", "recipients": ["x@y.example"]}
    b = {"id": "b", "kind": "uptime", "schedule": "weekly", "recipients": ["x@y.example"]}
    old, new = copy.deepcopy(base), copy.deepcopy(base)
    old["portal"]["reports"] = [a, b]
    new["portal"]["reports"] = [b, a]
    assert not diff_data(old, new).changed


def test_hardware_target_change_is_major(base: dict[str, Any]) -> None:
    result = diff_data(base, _edit(base, "product.hardware_revision", "D"))
    assert result.streams == {"firmware": "major", "software": "none"}
    assert result.reflash_required


def test_no_change(base: dict[str, Any]) -> None:
    result = diff_data(base, copy.deepcopy(base))
    assert result.to_json() == {"changes": [], "streams": {"firmware": "none", "software": "none"},
                                "reflash_required": False, "recertification_required": False}


def test_meta_keys_are_not_changes(base: dict[str, Any]) -> None:
    new = _edit(_edit(base, "variant", "other"), "extends", ["x.yaml"])
    assert not diff_data(base, new).changed


def test_bool_to_number_is_a_change(base: dict[str, Any]) -> None:
    assert diff_data(base, _edit(base, "hardware.plc_modem", 1)).changed


def test_optional_section_set_reports_each_leaf(base: dict[str, Any]) -> None:
    old = _edit(base, "region.regulation.smart_charging", None)
    rules = {"applies_below_kw": 50.0, "random_delay_default_s": 600, "random_delay_max_s": 1800,
             "off_peak_default_required": True, "offline_charging_required": True, "peak_hours": []}
    result = diff_data(old, _edit(base, "region.regulation.smart_charging", rules))
    assert {c.path for c in result.changes} == {f"region.regulation.smart_charging.{k}" for k in rules}
    assert all(c.old is None for c in result.changes)


def _leaf_paths(data: Any, prefix: str = "") -> list[str]:
    if isinstance(data, dict):
        return [p for k, v in data.items() for p in _leaf_paths(v, f"{prefix}.{k}" if prefix else k)]
    if isinstance(data, list) and data and isinstance(data[0], dict):
        return [p for i, v in enumerate(data) for p in _leaf_paths(v, f"{prefix}.{i}")]
    return [prefix]


def test_a_software_only_change_never_bumps_firmware(base: dict[str, Any]) -> None:
    """Every software leaf of a real profile, changed alone: the firmware stream stays put, no reflash."""
    from oemkit.fields import lookup

    paths = [p for p in _leaf_paths(base) if (m := lookup(p)) is not None and m.is_leaf and m.layer == "software"]
    assert len(paths) > 30
    for path in paths:
        result = diff_data(base, _edit(base, path, "changed-value"))
        assert result.changed, path
        assert result.streams["firmware"] == "none", path
        assert result.streams["software"] in ("patch", "minor", "major"), path
        assert not result.reflash_required and not result.recertification_required, path


def test_every_firmware_change_needs_a_reflash(base: dict[str, Any]) -> None:
    from oemkit.fields import lookup

    paths = [p for p in _leaf_paths(base) if (m := lookup(p)) is not None and m.is_leaf and m.layer == "firmware"]
    assert len(paths) > 30
    for path in paths:
        result = diff_data(base, _edit(base, path, "changed-value"))
        assert result.reflash_required and result.streams["firmware"] != "none", path
        assert result.streams["software"] == "none", path
        assert result.recertification_required == (field_index()[lookup(path).path].impact == "recertify"), path  # type: ignore[union-attr]


def test_bump_of_ranks_removed_over_everything() -> None:
    change = Change("portal.reports[id=x]", {"id": "x"}, None, "software", "hot", "removed", "portal.reports")
    assert bump_of(change) == "major"


@pytest.mark.parametrize(("version", "level", "expected"), [
    ("1.2.3", "none", "1.2.3"),
    ("1.2.3", "patch", "1.2.4"),
    ("1.2.3", "minor", "1.3.0"),
    ("1.2.3", "major", "2.0.0"),
    ("0.9.9", "minor", "0.10.0"),
])
def test_bump_version(version: str, level: str, expected: str) -> None:
    assert bump_version(version, level) == expected


@pytest.mark.parametrize(("version", "level"), [("1.2", "minor"), ("v1.2.3", "patch"), ("1.2.3", "huge")])
def test_bump_version_rejects_bad_input(version: str, level: str) -> None:
    with pytest.raises(ValueError):
        bump_version(version, level)


# --- CLI ------------------------------------------------------------------------------------------


def test_cli_diff_two_profiles_json(ws: Path, cli) -> None:  # type: ignore[no-untyped-def]
    res = cli("diff", "voltway-home-22-gb", "voltway-home-7-gb", "--format", "json", cwd=ws)
    assert res.code == 0, res.err
    doc = res.json()
    assert set(doc) == {"changes", "streams", "reflash_required", "recertification_required"}
    assert all(set(c) == {"path", "old", "new", "layer", "impact"} for c in doc["changes"])
    by_path = {c["path"]: c for c in doc["changes"]}
    assert by_path["product.model"] == {"path": "product.model", "old": "AWB-22-3P32", "new": "AWB-7-1P32",
                                        "layer": "firmware", "impact": "recertify"}
    assert by_path["portal.alerts[id=fault]"]["old"] is None  # home-7-gb adds an SMS fault alert
    assert doc["streams"] == {"firmware": "major", "software": "minor"}
    assert doc["reflash_required"] and doc["recertification_required"]


def test_cli_diff_text_after_editing_a_profile(ws: Path, cli) -> None:  # type: ignore[no-untyped-def]
    old = ws / "profiles/partners/voltway/home-22-gb.yaml"
    new = ws / "profiles/partners/voltway/home-22-gb-new.yaml"
    new.write_text(old.read_text(encoding="utf-8") + "tariff: {energy_price_per_kwh: \"0.49\"}\n", encoding="utf-8")
    res = cli("diff", str(old), str(new), cwd=ws)
    assert res.code == 0, res.err
    assert 'tariff.energy_price_per_kwh: "0.45" -> "0.49"  [software, hot]' in res.out
    assert "firmware stream: none" in res.out and "software stream: minor" in res.out
    assert "reflash required: no" in res.out


def _bundle(path: Path, doc: Any, member: str = "profile.resolved.json") -> Path:
    raw = json.dumps(doc).encode()
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo(member)
        info.size = len(raw)
        tar.addfile(info, io.BytesIO(raw))
    return path


def test_cli_diff_two_bundles_both_member_shapes(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    data = _data("profiles/partners/voltway/home-22-gb.yaml")
    old = _bundle(tmp_path / "voltway-home-22-gb-1.0.0.tar.gz", {"profile": data, "provenance": {}})
    delay = data["charging"]["randomised_delay_s"]
    changed = _edit(data, "charging.randomised_delay_s", delay + 300)
    new = _bundle(tmp_path / "voltway-home-22-gb-1.1.0.tar.gz", changed)
    res = cli("diff", str(old), str(new), "--format", "json", cwd=tmp_path)  # no workspace needed
    assert res.code == 0, res.err
    assert res.json()["changes"] == [{"path": "charging.randomised_delay_s", "old": delay, "new": delay + 300,
                                      "layer": "firmware", "impact": "reflash"}]
    assert res.json()["streams"] == {"firmware": "minor", "software": "none"}


def test_cli_diff_bundle_with_raw_resolved_data_normalises_defaults(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    full = _data("profiles/partners/voltway/home-22-gb.yaml")
    sparse = copy.deepcopy(full)
    del sparse["ocpp"]["connection_timeout_s"]  # left to its default (60) as a resolved file would
    old = _bundle(tmp_path / "a.tar.gz", sparse)
    new = _bundle(tmp_path / "b.tar.gz", full)
    res = cli("diff", str(old), str(new), "--format", "json", cwd=tmp_path)
    assert res.code == 0 and res.json()["changes"] == []


@pytest.mark.parametrize("case", ["missing", "not-tar", "no-member", "bad-json", "one-arg", "all-and-pair"])
def test_cli_diff_usage_and_io_errors_exit_2(tmp_path: Path, ws: Path, cli, case: str) -> None:  # type: ignore[no-untyped-def]
    good = _bundle(tmp_path / "good.tar.gz", {"schema_version": 1})
    argv: tuple[str, ...]
    if case == "missing":
        argv = ("diff", str(tmp_path / "nope.tar.gz"), str(good))
    elif case == "not-tar":
        (tmp_path / "x.tar.gz").write_bytes(b"not a tarball")
        argv = ("diff", str(tmp_path / "x.tar.gz"), str(good))
    elif case == "no-member":
        argv = ("diff", str(_bundle(tmp_path / "y.tar.gz", {}, "manifest.json")), str(good))
    elif case == "bad-json":
        with tarfile.open(tmp_path / "z.tar.gz", "w:gz") as tar:
            info = tarfile.TarInfo("profile.resolved.json")
            info.size = 3
            tar.addfile(info, io.BytesIO(b"{x]"))
        argv = ("diff", str(tmp_path / "z.tar.gz"), str(good))
    elif case == "one-arg":
        argv = ("diff", str(good))
    else:
        argv = ("diff", "--all", "HEAD", str(good), str(good))
    res = cli(*argv, cwd=ws)
    assert res.code == 2, (res.out, res.err)
    assert "Traceback" not in res.err and "internal error" not in res.err


def test_cli_diff_invalid_profile_exits_1(ws: Path, cli) -> None:  # type: ignore[no-untyped-def]
    bad = ws / "profiles/partners/voltway/home-22-gb.yaml"
    bad.write_text(bad.read_text(encoding="utf-8") + "charging: {max_curent_a: 16}\n", encoding="utf-8")
    res = cli("diff", "voltway-home-7-gb", "voltway-home-22-gb", cwd=ws)
    assert res.code == 1
    assert "max_curent_a" in res.err


def test_cli_diff_two_real_bundles(ws: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """End to end with `oemkit build`: a software-only edit between two bundles keeps the firmware stream."""
    first = cli("build", "voltway-home-22-gb", "-o", "one", "--format", "json", cwd=ws)
    assert first.code == 0, first.err
    partner = ws / "profiles/partners/voltway/partner.yaml"
    text = partner.read_text(encoding="utf-8")
    assert "\nupdates:" not in text
    partner.write_text(text + "updates:\n  software: {approval: two_person}\n", encoding="utf-8")
    second = cli("build", "voltway-home-22-gb", "-o", "two", "--format", "json", cwd=ws)
    assert second.code == 0, second.err
    old, new = (ws / r.json()["bundles"][0]["path"] for r in (first, second))
    res = cli("diff", str(old), str(new), "--format", "json", cwd=ws)
    assert res.code == 0, res.err
    assert res.json() == {"changes": [{"path": "updates.software.approval", "old": "single", "new": "two_person",
                                       "layer": "software", "impact": "hot"}],
                          "streams": {"firmware": "none", "software": "minor"}, "reflash_required": False,
                          "recertification_required": False}
