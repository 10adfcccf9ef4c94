"""``oemkit build``: the fixed JSON summary, failures per profile, caching, jobs and shards."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from oemkit.shard import select
from oemkit.workspace import Workspace
from tests.conftest import Result

SUMMARY_KEYS = {"id", "path", "version", "firmware_version", "software_version", "firmware_sha256", "cached"}


def _bundles(ws: Path) -> dict[str, bytes]:
    return {p.relative_to(ws).as_posix(): p.read_bytes() for p in sorted((ws / "dist").rglob("*.tar.gz"))}


def test_build_all_writes_verified_bundles(ws: Path, cli: Callable[..., Result]) -> None:
    r = cli("build", "--all", "--format", "json", cwd=ws)
    assert r.code == 0, r.out + r.err
    doc = r.json()
    assert set(doc) == {"bundles", "failed"} and doc["failed"] == []
    assert len(doc["bundles"]) == 6
    for b in doc["bundles"]:
        assert set(b) == SUMMARY_KEYS
        partner = b["id"].split("-")[0]
        assert b["path"] == f"dist/{partner}/{b['id']}-{b['version']}.tar.gz"
        assert b["version"] == b["firmware_version"] == b["software_version"] == "1.0.0"
        assert len(b["firmware_sha256"]) == 64 and b["cached"] is False
    v = cli("verify", *(b["path"] for b in doc["bundles"]))
    assert v.code == 0, v.out


def test_text_output_and_plain_progress(ws: Path, cli: Callable[..., Result]) -> None:
    r = cli("build", "voltway", cwd=ws)
    assert r.code == 0
    assert "built     dist/voltway/voltway-home-22-gb-1.0.0.tar.gz" in r.out
    assert "2 bundle(s) (0 cached), 0 failed" in r.out
    r = cli("build", "voltway", "--format", "json", cwd=ws)
    assert "[2/2]" in r.err  # not a terminal: plain progress lines on stderr, JSON alone on stdout
    json.loads(r.out)


def test_nothing_to_build_is_a_usage_error(ws: Path, cli: Callable[..., Result]) -> None:
    r = cli("build", cwd=ws)
    assert r.code == 2 and "--all" in r.err
    assert cli("build", "no-such-partner", cwd=ws).code == 2
    assert cli("build", "--all", "--jobs", "0", cwd=ws).code == 2
    assert cli("build", "--all", "--shard", "3/2", cwd=ws).code == 2


def test_an_invalid_profile_fails_alone(ws: Path, cli: Callable[..., Result]) -> None:
    f = ws / "profiles/partners/voltway/home-7-gb.yaml"
    f.write_text(f.read_text() + "charging: {max_current_a: 99}\n")
    r = cli("build", "--all", "--format", "json", cwd=ws)
    assert r.code == 1
    doc = r.json()
    assert len(doc["bundles"]) == 5
    assert [x["profile"] for x in doc["failed"]] == ["profiles/partners/voltway/home-7-gb.yaml"]
    finding = doc["failed"][0]["findings"][0]
    assert finding["severity"] == "error" and finding["file"].startswith("profiles/")
    assert not list((ws / "dist/voltway").glob("voltway-home-7-gb-*"))


def test_a_base_layer_is_not_buildable(ws: Path, cli: Callable[..., Result]) -> None:
    r = cli("build", "profiles/partners/voltway/partner.yaml", "--format", "json", cwd=ws)
    assert r.code == 1
    assert r.json()["failed"][0]["findings"][0]["rule"] == "BUILD-NOT-BUILDABLE"


def test_unchanged_inputs_are_not_rebuilt(ws: Path, cli: Callable[..., Result]) -> None:
    assert cli("build", "--all", cwd=ws).code == 0
    before = _bundles(ws)
    doc = cli("build", "--all", "--format", "json", cwd=ws).json()
    assert all(b["cached"] for b in doc["bundles"])
    assert _bundles(ws) == before
    doc = cli("build", "--all", "--format", "json", "--no-cache", cwd=ws).json()
    assert not any(b["cached"] for b in doc["bundles"])
    assert _bundles(ws) == before


def test_an_edit_rebuilds_only_the_profiles_that_use_the_file(ws: Path, cli: Callable[..., Result]) -> None:
    assert cli("build", "--all", cwd=ws).code == 0
    partner = ws / "profiles/partners/voltway/partner.yaml"
    partner.write_text(partner.read_text() + "# a comment only\n")
    doc = cli("build", "--all", "--format", "json", cwd=ws).json()
    cached = {b["id"]: b["cached"] for b in doc["bundles"]}
    assert cached["voltway-home-22-gb"] is False and cached["voltway-home-7-gb"] is False
    assert cached["ampera-wallbox-22-de"] is True
    # A comment changes no value: same version, and (no ledger entry yet) still 1.0.0.
    assert {b["version"] for b in doc["bundles"]} == {"1.0.0"}


def test_a_deleted_or_altered_bundle_is_rebuilt(ws: Path, cli: Callable[..., Result]) -> None:
    assert cli("build", "voltway", cwd=ws).code == 0
    bundle = ws / "dist/voltway/voltway-home-22-gb-1.0.0.tar.gz"
    good = bundle.read_bytes()
    bundle.write_bytes(b"garbage")
    doc = cli("build", "voltway", "--format", "json", cwd=ws).json()
    assert {b["id"]: b["cached"] for b in doc["bundles"]}["voltway-home-22-gb"] is False
    assert bundle.read_bytes() == good
    bundle.unlink()
    assert cli("build", "voltway", cwd=ws).code == 0
    assert bundle.read_bytes() == good


def test_template_change_invalidates_the_cache(ws: Path, cli: Callable[..., Result]) -> None:
    import shutil

    from oemkit.workspace import data_dir

    shutil.copytree(data_dir("templates"), ws / "templates")
    assert cli("build", "voltway-home-22-gb", cwd=ws).code == 0
    some = next(p for p in sorted((ws / "templates").rglob("*")) if p.is_file() and "cookiecutter" not in str(p))
    some.write_bytes(some.read_bytes() + b"\n")
    doc = cli("build", "voltway-home-22-gb", "--format", "json", cwd=ws).json()
    assert doc["bundles"][0]["cached"] is False


def test_parallel_build_gives_the_same_bytes(ws: Path, cli: Callable[..., Result], tmp_path: Path) -> None:
    assert cli("build", "--all", "-o", str(tmp_path / "serial"), cwd=ws).code == 0
    r = cli("build", "--all", "--jobs", "3", "-o", str(tmp_path / "parallel"), "--format", "json", cwd=ws)
    assert r.code == 0, r.err
    assert [b["id"] for b in r.json()["bundles"]] == sorted(b["id"] for b in r.json()["bundles"])
    serial = {p.relative_to(tmp_path / "serial"): p.read_bytes() for p in (tmp_path / "serial").rglob("*.tar.gz")}
    par = {p.relative_to(tmp_path / "parallel"): p.read_bytes() for p in (tmp_path / "parallel").rglob("*.tar.gz")}
    assert serial == par and len(serial) == 6


def test_parallel_build_reports_failures(ws: Path, cli: Callable[..., Result]) -> None:
    f = ws / "profiles/partners/ampera/wallbox-22-no.yaml"
    f.write_text(f.read_text() + "bogus_key: 1\n")
    r = cli("build", "--all", "--jobs", "2", "--format", "json", cwd=ws)
    assert r.code == 1
    assert [x["profile"] for x in r.json()["failed"]] == ["profiles/partners/ampera/wallbox-22-no.yaml"]
    assert len(r.json()["bundles"]) == 5


@pytest.mark.parametrize("total", [1, 2, 3, 7])
def test_shards_partition_the_portfolio(ws: Path, cli: Callable[..., Result], total: int) -> None:
    ids: list[str] = []
    for index in range(1, total + 1):
        r = cli("build", "--all", "--shard", f"{index}/{total}", "--format", "json", cwd=ws)
        assert r.code == 0
        ids += [b["id"] for b in r.json()["bundles"]]
    assert sorted(ids) == sorted(set(ids)) and len(ids) == 6
    w = Workspace(ws)
    rels = [w.rel(p) for p in w.buildable()]
    assert sorted(p for i in range(1, total + 1) for p in select(rels, i, total)) == sorted(rels)


def test_output_folder_option(ws: Path, cli: Callable[..., Result], tmp_path: Path) -> None:
    out = tmp_path / "out"
    doc = cli("build", "voltway-home-22-gb", "-o", str(out), "--format", "json", cwd=ws).json()
    assert Path(doc["bundles"][0]["path"]) == out / "voltway/voltway-home-22-gb-1.0.0.tar.gz"
    (tmp_path / "file").write_text("x")
    assert cli("build", "voltway-home-22-gb", "-o", str(tmp_path / "file"), cwd=ws).code == 2


def test_a_logo_change_rebuilds_and_reaches_the_report(ws: Path, cli: Callable[..., Result]) -> None:
    assert cli("build", "voltway-home-22-gb", cwd=ws).code == 0
    logo = ws / "profiles/partners/voltway/assets/voltway.svg"
    logo.write_text(logo.read_text().replace("</svg>", "<!-- v2 --></svg>"))
    doc = cli("build", "voltway-home-22-gb", "--format", "json", cwd=ws).json()
    assert doc["bundles"][0]["cached"] is False


def test_the_bundle_carries_the_report_page(ws: Path, cli: Callable[..., Result]) -> None:
    import tarfile

    assert cli("build", "voltway-home-22-gb", cwd=ws).code == 0
    with tarfile.open(ws / "dist/voltway/voltway-home-22-gb-1.0.0.tar.gz", "r:gz") as tar:
        page = tar.extractfile("report.html").read()  # type: ignore[union-attr]
    assert b"voltway-home-22-gb" in page and b"1.0.0" in page


def test_an_unwritable_output_is_an_io_error(ws: Path, cli: Callable[..., Result]) -> None:
    (ws / "blocker").write_text("a file where a folder is needed")
    r = cli("build", "voltway-home-22-gb", "-o", str(ws / "blocker" / "out"), "--format", "json", cwd=ws)
    assert r.code == 2
    finding = r.json()["failed"][0]["findings"][0]
    assert finding["rule"] == "IO-ERROR" and "blocker" in finding["message"]


def test_terminal_progress_bar(ws: Path, cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    r = cli("build", "--all", "--format", "json", cwd=ws)
    assert r.code == 0
    assert len(r.json()["bundles"]) == 6  # stdout stays pure JSON while the bar draws on stderr


def test_python_api_returns_the_cli_summary(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import oemkit
    from oemkit.workspace import find_workspace

    monkeypatch.chdir(ws)
    report = oemkit.build(find_workspace(ws))
    doc = report.to_json()
    assert report.exit_code == 0 and len(doc["bundles"]) == 6 and doc["failed"] == []
    assert all(set(b) == SUMMARY_KEYS for b in doc["bundles"])
    assert (ws / doc["bundles"][0]["path"]).is_file()


def test_a_failed_artifact_check_stops_that_profile(ws: Path, cli: Callable[..., Result],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import oemkit.checks
    from oemkit.checks.suite import CheckCase, CheckSuite

    real = oemkit.checks.run_checks_many

    def fake(inputs: list[oemkit.checks.CheckInput], *, cache_dir: Path | None) -> list[CheckSuite]:
        suites = real(inputs, cache_dir=cache_dir)
        for item, suite in zip(inputs, suites, strict=True):
            if item.profile.variant == "home-7-gb":
                suite.cases.append(CheckCase("compiles", "firmware.oem_config.h", False, "error: expected ';'"))
        return suites

    monkeypatch.setattr(oemkit.checks, "run_checks_many", fake)
    r = cli("build", "voltway", "--format", "json", cwd=ws)
    assert r.code == 1
    doc = r.json()
    assert [b["id"] for b in doc["bundles"]] == ["voltway-home-22-gb"]
    finding = doc["failed"][0]["findings"][0]
    assert finding["rule"] == "CHECK-FAILED" and "expected ';'" in finding["message"]
    assert not list((ws / "dist/voltway").glob("voltway-home-7-gb-*"))


def test_secret_values_never_reach_a_bundle(ws: Path, cli: Callable[..., Result],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import gzip

    monkeypatch.setenv("OEMKIT_SECRET_VOLTWAY_CSMS_PASSWORD", "hunter2-very-secret")
    assert cli("build", "voltway-home-22-gb", cwd=ws).code == 0
    raw = gzip.decompress((ws / "dist/voltway/voltway-home-22-gb-1.0.0.tar.gz").read_bytes())
    assert b"hunter2-very-secret" not in raw
    assert b"VOLTWAY_CSMS_PASSWORD" in raw  # the reference is kept, so the backend knows what to inject


def test_a_toolkit_change_invalidates_the_cache(ws: Path, cli: Callable[..., Result],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from oemkit import buildcache

    assert cli("build", "voltway-home-22-gb", cwd=ws).code == 0
    assert cli("build", "voltway-home-22-gb", "--format", "json", cwd=ws).json()["bundles"][0]["cached"] is True
    monkeypatch.setattr(buildcache, "toolkit_digest", lambda: "a newer checkout")
    assert cli("build", "voltway-home-22-gb", "--format", "json", cwd=ws).json()["bundles"][0]["cached"] is False


def test_render_findings_keep_their_file_and_line(ws: Path, cli: Callable[..., Result],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import oemkit.render
    from oemkit.errors import Finding, FindingsError

    finding = Finding(rule="RENDER-UNREPRESENTABLE", severity="error", file="profiles/partners/voltway/partner.yaml",
                      line=7, column=3, path="branding.brand_name", message="a line break cannot go into Kconfig.",
                      hint="remove it.")

    def broken(*args: object, **kwargs: object) -> dict[str, bytes]:
        raise FindingsError([finding])

    monkeypatch.setattr(oemkit.render, "render_all", broken)
    r = cli("build", "voltway-home-22-gb", "--format", "json", cwd=ws)
    assert r.code == 1
    assert r.json()["failed"][0]["findings"] == [finding.to_json()]


def test_a_release_conflict_has_a_readable_rule(ws: Path, cli: Callable[..., Result]) -> None:
    assert cli("release", "voltway-home-22-gb", cwd=ws).code == 0
    p = ws / "profiles/partners/voltway/partner.yaml"
    p.write_text(p.read_text().replace("title: Voltway Home", "title: Voltway Home 2"))
    r = cli("release", "voltway-home-22-gb", "--version", "1.0.0", "--format", "json", cwd=ws)
    assert r.code == 1 and r.json()["failed"][0]["findings"][0]["rule"] == "RELEASE-CONFLICT"


def test_two_profiles_with_one_bundle_id(ws: Path, cli: Callable[..., Result]) -> None:
    src = ws / "profiles/partners/voltway/home-22-gb.yaml"
    (src.parent / "home-22-gb-copy.yaml").write_text(src.read_text())
    r = cli("build", "voltway", "--format", "json", cwd=ws)
    assert r.code == 1
    doc = r.json()
    assert [b["id"] for b in doc["bundles"]] == ["voltway-home-7-gb"]
    assert sorted(f["profile"] for f in doc["failed"]) == ["profiles/partners/voltway/home-22-gb-copy.yaml",
                                                             "profiles/partners/voltway/home-22-gb.yaml"]
    assert {f["findings"][0]["rule"] for f in doc["failed"]} == {"BUILD-DUPLICATE-ID"}


def test_check_results_are_shared_by_every_output_folder(ws: Path, cli: Callable[..., Result],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh output folder (a CI run) reuses the workspace's check results; --no-cache checks everything anew."""
    from oemkit.checks import cache, cheader

    compiled: list[int] = []
    real_batch, real_one = cheader._run_batch, cheader.run_header_check

    def batch(cc: str, items: list[tuple[bytes, object]]) -> list[tuple[bool, str]]:
        compiled.append(len(items))
        return real_batch(cc, items)  # type: ignore[arg-type]

    def one(cc: str, header: bytes, program: str) -> tuple[bool, str]:
        compiled.append(1)
        return real_one(cc, header, program)

    monkeypatch.setattr(cheader, "_run_batch", batch)
    monkeypatch.setattr(cheader, "run_header_check", one)
    cache.clear_memory()
    assert cli("build", "--all", "-o", "first", "--format", "json", cwd=ws).code == 0
    assert sum(compiled) == 6 and (ws / ".oemkit-cache" / "artifacts").is_dir()
    cache.clear_memory()  # a new process
    compiled.clear()
    second = cli("build", "--all", "-o", "second", "--format", "json", cwd=ws)
    assert second.code == 0 and compiled == []
    assert not any(b["cached"] for b in second.json()["bundles"])  # every bundle was built, from cached checks
    for b in second.json()["bundles"]:
        assert (ws / b["path"]).read_bytes() == (ws / b["path"].replace("second/", "first/", 1)).read_bytes()
    cache.clear_memory()
    assert cli("build", "--all", "-o", "third", "--no-cache", "--format", "json", cwd=ws).code == 0
    assert sum(compiled) == 6


def test_a_build_reads_each_file_once(ws: Path, cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch) -> None:
    """A build's Workspace keeps the files it read (bounded); the next build reads them afresh."""
    from oemkit import loader

    reads: list[str] = []
    real = loader._parse_file

    def counting(path: str, rel: str, size: int) -> object:
        reads.append(rel)
        return real(path, rel, size)

    monkeypatch.setattr(loader, "_parse_file", counting)
    first = cli("build", "--all", "--no-cache", "--format", "json", cwd=ws)
    assert first.code == 0
    assert reads and len(reads) == len(set(reads))  # shared layers and partner bases: once each
    product = ws / "profiles/products/ac-wallbox-22.yaml"
    product.write_text(product.read_text().replace("min_current_a: 6", "min_current_a: 7"))
    reads.clear()
    second = cli("build", "--all", "--no-cache", "--format", "json", cwd=ws)
    assert "profiles/products/ac-wallbox-22.yaml" in reads
    before = {b["id"]: b["firmware_sha256"] for b in first.json()["bundles"]}
    after = {b["id"]: b["firmware_sha256"] for b in second.json()["bundles"]}
    assert after["ampera-wallbox-22-de"] != before["ampera-wallbox-22-de"]  # the edit is in the new firmware


@pytest.mark.parametrize(("n", "jobs"), [(0, 2), (1, 2), (7, 2), (100, 2), (1000, 2), (1000, 3), (10_000, 2),
                                         (1000, 1), (129, 1)])
def test_windows_cover_every_profile_once_large_first(n: int, jobs: int) -> None:
    from oemkit import pipeline

    paths = [Path(f"p{i}.yaml") for i in range(n)]
    windows = list(pipeline._windows(paths, jobs))
    assert [p for w in windows for p in w] == paths and all(windows)
    assert all(len(w) <= pipeline.WINDOW for w in windows)
    sizes = [len(w) for w in windows]
    if jobs > 1 and n >= 1000:  # large windows (few compiler runs), then at least 2 per worker that are smaller
        assert sizes[0] == pipeline.WINDOW and len(windows) >= 2 * jobs
        assert sizes[-2 * jobs:] == sorted(sizes[-2 * jobs:], reverse=True)
    if n == 1000 and jobs == 2:
        assert len(windows) == 10  # 17 with windows of 62 throughout


def test_parallel_no_cache_build_keeps_check_results_in_memory_only(
        ws: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import tempfile

    from oemkit import pipeline

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    log = tmp_path / "caches.txt"
    real = pipeline._Builder.__init__

    def spy(self: pipeline._Builder, root: Path, options: pipeline.BuildOptions) -> None:
        real(self, root, options)
        with open(log, "a", encoding="utf-8") as fh:  # workers are other processes: tell through a file
            fh.write(f"{self.check_cache}\n")

    monkeypatch.setattr(pipeline._Builder, "__init__", spy)
    paths = sorted(Workspace(ws).buildable())
    options = pipeline.BuildOptions(out_dir=ws / "dist", jobs=2, use_cache=False)
    results = list(pipeline.iter_build(Workspace(ws), paths * 3, options))  # 18 profiles: several windows
    assert len(results) == 18 and all(r["ok"] for r in results)
    assert set(log.read_text().split()) == {"None"}  # every worker: memory only
    assert not (ws / ".oemkit-cache" / "artifacts").exists()  # --no-cache: the workspace cache is untouched
    assert not list(scratch.iterdir())  # and no folder of the build's own is left anywhere


def test_a_release_runs_its_checks_even_when_the_workspace_has_their_results(
        ws: Path, cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch) -> None:
    from oemkit.checks import cache, cheader

    assert cli("build", "--all", "--format", "json", cwd=ws).code == 0  # the workspace cache now knows every header
    compiled: list[int] = []
    real = cheader._run_batch

    def batch(cc: str, items: list[tuple[bytes, object]]) -> list[tuple[bool, str]]:
        compiled.append(len(items))
        return real(cc, items)  # type: ignore[arg-type]

    monkeypatch.setattr(cheader, "_run_batch", batch)
    cache.clear_memory()  # a new process
    assert cli("release", "--all", "--format", "json", cwd=ws).code == 0
    assert sum(compiled) == 6  # compiled for the release, not taken from the development builds' cache


def test_without_a_compiler_every_profile_fails_with_its_own_file_and_exit_2(
        ws: Path, cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch) -> None:
    from oemkit.checks import cache

    cache.clear_memory()
    monkeypatch.setenv("CC", "no-such-cc-oemkit")
    r = cli("build", "--all", "--no-cache", "--format", "json", cwd=ws)
    assert r.code == 2 and "Traceback" not in r.err
    failed = r.json()["failed"]
    assert len(failed) == 6 and not r.json()["bundles"]
    for f in failed:
        (finding,) = f["findings"]
        assert finding["file"] == f["profile"] and "C compiler not found" in finding["message"]
    assert not (ws / "dist").exists() or not list((ws / "dist").rglob("*.tar.gz"))


def test_a_build_skips_the_rules_that_can_only_warn(ws: Path, cli: Callable[..., Result]) -> None:
    """Same errors, no warning-only rule run: a build acts on errors alone (`oemkit check` shows warnings)."""
    from oemkit.check import check_profile
    from oemkit.rules import all_rules

    variant = ws / "profiles/partners/ampera/wallbox-22-de.yaml"  # a partner that may set firmware values
    text = variant.read_text()
    variant.write_text(text.replace("charging:\n", "charging:\n  min_current_a: 6\n", 1))  # restates the inherited 6
    workspace = Workspace(ws)
    full = check_profile(workspace, variant)
    errors_only = check_profile(Workspace(ws), variant, warnings=False)
    warn_only = {r.id for r in all_rules() if r.severity == "warning"}
    assert any(f.rule == "HYG-SAME-VALUE" for f in full.findings)
    assert not any(f.rule in warn_only for f in errors_only.findings)
    assert [f for f in full.findings if f.severity == "error"] == errors_only.findings
    assert cli("build", "ampera", "--format", "json", cwd=ws).code == 0


def test_a_build_dumps_each_profile_once(ws: Path, cli: Callable[..., Result],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The render and the release step share one full dump, even with a window of profiles between them."""
    from oemkit.model import Profile

    dumps: list[str] = []
    real = Profile.model_dump

    def counting(self: Profile, **kwargs: object) -> dict[str, object]:
        if kwargs.get("include") is None:  # the layer splits use include trees
            dumps.append(self.variant)
        return real(self, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Profile, "model_dump", counting)
    assert cli("build", "--all", "--no-cache", "--format", "json", cwd=ws).code == 0
    assert sorted(dumps) == sorted(set(dumps)) and len(dumps) == 6


def test_only_a_release_fsyncs_its_bundles(ws: Path, cli: Callable[..., Result],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A development bundle is rebuilt when lost (its cache record holds its hash); a released one is fsynced."""
    import os

    from oemkit import atomic

    synced: list[int] = []
    monkeypatch.setattr(atomic.os, "fsync", lambda fd: synced.append(fd))
    assert cli("build", "voltway", cwd=ws).code == 0
    assert synced == []
    bundle = ws / "dist/voltway/voltway-home-22-gb-1.0.0.tar.gz"
    os.truncate(bundle, 100)  # what a power cut may leave of a file that was never fsynced
    doc = cli("build", "voltway", "--format", "json", cwd=ws).json()
    assert {b["id"]: b["cached"] for b in doc["bundles"]}["voltway-home-22-gb"] is False
    assert cli("release", "voltway", cwd=ws).code == 0
    assert len(synced) >= 2  # each bundle, and the ledger entries


def _cached(doc: dict[str, Any]) -> set[bool]:
    return {b["cached"] for b in doc["bundles"]}


def test_a_damaged_record_database_is_replaced(ws: Path, cli: Callable[..., Result]) -> None:
    assert cli("build", "--all", cwd=ws).code == 0
    db = ws / "dist/.oemkit-cache/builds.sqlite"
    assert db.is_file()
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    db.write_bytes(b"not a database" * 100)
    first = cli("build", "--all", "--format", "json", cwd=ws)
    assert first.code == 0 and _cached(first.json()) == {False}
    assert _cached(cli("build", "--all", "--format", "json", cwd=ws).json()) == {True}


def test_records_that_cannot_be_kept_cost_only_a_rebuild(ws: Path, cli: Callable[..., Result]) -> None:
    (ws / "dist/.oemkit-cache/builds.sqlite").mkdir(parents=True)  # no database can be made there
    for _ in range(2):
        result = cli("build", "--all", "--format", "json", cwd=ws)
        assert result.code == 0 and _cached(result.json()) == {False}


def test_a_parallel_build_records_every_profile(ws: Path, cli: Callable[..., Result]) -> None:
    assert cli("build", "--all", "--jobs", "2", cwd=ws).code == 0
    again = cli("build", "--all", "--jobs", "2", "--format", "json", cwd=ws).json()
    assert _cached(again) == {True} and len(again["bundles"]) == 6


def test_a_database_damaged_inside_is_replaced_too(ws: Path, cli: Callable[..., Result]) -> None:
    assert cli("build", "--all", cwd=ws).code == 0
    db = ws / "dist/.oemkit-cache/builds.sqlite"
    data = bytearray(db.read_bytes())
    assert len(data) > 4096 and not Path(f"{db}-wal").exists()  # checkpointed at the end of the build
    data[4096:] = b"\xff" * (len(data) - 4096)  # the header and schema page intact, the records page not
    db.write_bytes(bytes(data))
    first = cli("build", "--all", "--format", "json", cwd=ws)
    assert first.code == 0 and _cached(first.json()) == {False}
    assert _cached(cli("build", "--all", "--format", "json", cwd=ws).json()) == {True}
