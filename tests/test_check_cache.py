"""The check-result cache: a warm check reuses results, and any change to what a result depends on invalidates it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import Result

import oemkit.check


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records which files ``check`` really checks (cache misses)."""
    seen: list[str] = []
    real = oemkit.check.check_profile

    def spy(ws: Any, path: Path, **kw: Any) -> Any:
        seen.append(f"{path.parent.name}/{path.name}")
        return real(ws, path, **kw)

    monkeypatch.setattr(oemkit.check, "check_profile", spy)
    return seen


def _check(cli: Callable[..., Result], ws: Path, *extra: str) -> dict[str, Any]:
    res = cli("check", "--format", "json", *extra, cwd=ws)
    assert res.code in (0, 1), res.err
    doc: dict[str, Any] = res.json()
    return doc


def test_warm_check_reuses_every_result(ws: Path, cli: Callable[..., Result], calls: list[str]) -> None:
    cold = _check(cli, ws)
    assert len(calls) == cold["profiles"] >= 6
    assert (ws / ".oemkit-cache" / "check.json").is_file()
    assert (ws / ".oemkit-cache" / ".gitignore").read_text().strip().endswith("*")
    calls.clear()
    warm = _check(cli, ws)
    assert calls == []
    assert warm == cold


def test_edit_to_a_partner_file_invalidates_and_reports(ws: Path, cli: Callable[..., Result],
                                                        calls: list[str]) -> None:
    assert _check(cli, ws)["errors"] == 0
    partner = ws / "profiles/partners/voltway/partner.yaml"
    partner.write_text(partner.read_text().replace("security_profile: 2", "security_profile: 7"))
    calls.clear()
    doc = _check(cli, ws)
    assert sorted(calls) == ["voltway/home-22-gb.yaml", "voltway/home-7-gb.yaml"]
    assert doc["errors"] >= 2
    assert {f["path"] for f in doc["findings"]} >= {"ocpp.security_profile"}
    # and the failing result is cached too, with its findings
    calls.clear()
    assert _check(cli, ws) == doc and calls == []


def test_region_pack_edit_rechecks_only_its_variants_and_their_partner_group(
        ws: Path, cli: Callable[..., Result], calls: list[str]) -> None:
    _check(cli, ws)
    pack = ws / "profiles/regions/no.yaml"
    pack.write_text(pack.read_text().replace("name: Norway", "name: Kingdom of Norway"))
    calls.clear()
    _check(cli, ws)
    # wallbox-22-no extends the pack; wallbox-22-de shares ampera's partner.yaml with it (cross-profile rules)
    assert sorted(calls) == ["ampera/wallbox-22-de.yaml", "ampera/wallbox-22-no.yaml"]


def test_new_sibling_variant_invalidates_the_partner_group(ws: Path, cli: Callable[..., Result],
                                                            calls: list[str]) -> None:
    _check(cli, ws)
    src = ws / "profiles/partners/hyperion/dc-180-de.yaml"
    (ws / "profiles/partners/hyperion/dc-180-de-2.yaml").write_text(
        src.read_text().replace("variant: dc-180-de", "variant: dc-180-de-2"))
    calls.clear()
    _check(cli, ws)
    assert sorted(calls) == ["hyperion/dc-180-de-2.yaml", "hyperion/dc-180-de.yaml", "hyperion/dc-180-us.yaml"]


def test_one_profile_check_uses_and_fills_the_cache(ws: Path, cli: Callable[..., Result],
                                                    calls: list[str]) -> None:
    one = "profiles/partners/voltway/home-7-gb.yaml"
    first = _check(cli, ws, one)
    assert first["profiles"] == 1 and calls == ["voltway/home-7-gb.yaml"]
    calls.clear()
    assert _check(cli, ws, one) == first and calls == []


def test_asset_change_invalidates(ws: Path, cli: Callable[..., Result], calls: list[str]) -> None:
    _check(cli, ws)
    (ws / "profiles/partners/voltway/assets/voltway.svg").unlink()
    calls.clear()
    _check(cli, ws)
    assert sorted(calls) == ["voltway/home-22-gb.yaml", "voltway/home-7-gb.yaml"]


def test_no_cache_neither_reads_nor_writes(ws: Path, cli: Callable[..., Result], calls: list[str]) -> None:
    _check(cli, ws, "--no-cache")
    assert not (ws / ".oemkit-cache").exists()
    _check(cli, ws)
    calls.clear()
    _check(cli, ws, "--no-cache")
    assert len(calls) >= 6


def test_environment_and_corrupt_index_are_misses(ws: Path, cli: Callable[..., Result], calls: list[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    first = _check(cli, ws)
    monkeypatch.setenv("OEMKIT_BENCH_PROBE", "1")
    calls.clear()
    assert _check(cli, ws) == first and len(calls) == first["profiles"]
    (ws / ".oemkit-cache" / "check.json").write_text("{not json")
    calls.clear()
    assert _check(cli, ws) == first and len(calls) == first["profiles"]


def test_parallel_check_reports_the_same_as_serial(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from oemkit.workspace import find_workspace

    monkeypatch.setattr(oemkit.check, "PARALLEL_MIN", 2)
    partner = ws / "profiles/partners/ampera/partner.yaml"
    partner.write_text(partner.read_text().replace("security_profile: 2", "security_profile: 9"))
    workspace = find_workspace(explicit=ws)
    serial = oemkit.check.check(workspace, jobs=1).to_json()
    assert serial["errors"] >= 2
    assert oemkit.check.check(workspace, jobs=2).to_json() == serial
    assert oemkit.check.check(workspace, jobs=2, cache=True).to_json() == serial  # cold, through the cache
    assert oemkit.check.check(workspace, jobs=2, cache=True).to_json() == serial  # warm


def test_bad_jobs_is_a_usage_error(ws: Path, cli: Callable[..., Result]) -> None:
    res = cli("check", "--jobs", "-1", cwd=ws)
    assert res.code == 2 and "--jobs" in res.err


def test_changed_oemkit_code_drops_every_result(ws: Path, cli: Callable[..., Result], calls: list[str]) -> None:
    import json

    first = _check(cli, ws)
    index = ws / ".oemkit-cache" / "check.json"
    doc = json.loads(index.read_text())
    assert "rules/__init__.py" in doc["code"] and "loader.py" in doc["code"]
    doc["code"]["rules/__init__.py"] = "0" * 64  # as if a rule had been edited since
    index.write_text(json.dumps(doc))
    calls.clear()
    assert _check(cli, ws) == first and len(calls) == first["profiles"]
