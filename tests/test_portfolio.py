"""Portfolio views: distinct firmware parameter sets (``split --all --summary``) and ``diff --all BASE_REF``."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from oemkit.loader import resolve
from oemkit.portfolio import firmware_sha256
from oemkit.workspace import Workspace


def _ids(ws: Path) -> list[str]:
    return sorted(f"{p.parent.name}-{p.stem}" for p in Workspace(ws).buildable())


def _extending(ws: Path, rel: str) -> list[str]:
    """Bundle ids of the buildable profiles whose extends chain includes the file ``rel``."""
    w = Workspace(ws)
    return sorted(f"{p.parent.name}-{p.stem}" for p in w.buildable() if rel in resolve(w, p).files)


def _add_variant(ws: Path, partner: str, name: str, like: str, extra: str) -> None:
    src = (ws / "profiles/partners" / partner / f"{like}.yaml").read_text(encoding="utf-8")
    text = src.replace(f"variant: {like}", f"variant: {name}") + extra
    (ws / "profiles/partners" / partner / f"{name}.yaml").write_text(text, encoding="utf-8")


# --- split --all --summary ------------------------------------------------------------------------


def test_examples_need_six_firmware_sets(ws: Path, cli) -> None:  # type: ignore[no-untyped-def]
    res = cli("split", "--all", "--summary", "--format", "json", cwd=ws)
    assert res.code == 0, res.err
    doc = res.json()
    assert doc["profiles"] == len(_ids(ws)) == 6 and doc["firmware_sets"] == 6 and doc["failed"] == []
    assert sorted(v for s in doc["sets"] for v in s["variants"]) == _ids(ws)
    by_variant = {s["variants"][0]: s for s in doc["sets"]}
    assert by_variant["voltway-home-22-gb"]["product"] == "AWB-22-3P32"
    assert by_variant["voltway-home-22-gb"]["country"] == "GB"
    assert len({s["sha256"] for s in doc["sets"]}) == 6


def test_software_only_variant_shares_firmware_firmware_change_does_not(ws: Path, cli) -> None:  # type: ignore[no-untyped-def]
    # A software-only variant (other tariff and portal title): same firmware build as its sibling.
    _add_variant(ws, "voltway", "home-22-gb-eco", "home-22-gb",
                 "tariff: {energy_price_per_kwh: \"0.29\"}\nportal: {title: Voltway Eco}\n")
    # A firmware customisation (boot text): a build of its own.
    _add_variant(ws, "ampera", "wallbox-22-de-b", "wallbox-22-de", "branding:\n  display: {boot_text: Ampera B}\n")
    res = cli("split", "--all", "--summary", "--format", "json", cwd=ws)
    assert res.code == 0, res.err
    doc = res.json()
    assert doc["profiles"] == 8 and doc["firmware_sets"] == 7
    shared = doc["sets"][0]  # most shared first
    assert shared["variants"] == ["voltway-home-22-gb", "voltway-home-22-gb-eco"]
    assert all(len(s["variants"]) == 1 for s in doc["sets"][1:])
    text = cli("split", "--all", "--summary", cwd=ws)
    assert text.code == 0
    assert "8 profile(s) need 7 distinct firmware parameter set(s)" in text.out
    assert "2 variant(s): voltway-home-22-gb, voltway-home-22-gb-eco" in text.out


def test_summary_hash_is_the_firmware_params_hash(ws: Path, cli) -> None:  # type: ignore[no-untyped-def]
    res = cli("split", "voltway-home-7-gb", "-o", "out", "--format", "json", cwd=ws)
    (item,) = res.json()["written"]
    summary = cli("split", "--all", "--summary", "--format", "json", cwd=ws).json()
    (match,) = [s for s in summary["sets"] if "voltway-home-7-gb" in s["variants"]]
    assert match["sha256"] == item["firmware_sha256"]


def test_firmware_hash_ignores_key_order() -> None:
    assert firmware_sha256({"a": 1, "b": {"c": [1, 2]}}) == firmware_sha256({"b": {"c": [1, 2]}, "a": 1})
    assert firmware_sha256({"a": 1}) != firmware_sha256({"a": 2})


def test_summary_lists_an_invalid_profile_and_exits_1(ws: Path, cli) -> None:  # type: ignore[no-untyped-def]
    _add_variant(ws, "voltway", "broken", "home-22-gb", "charging: {max_current_a: 9999}\n")
    res = cli("split", "--all", "--summary", "--format", "json", cwd=ws)
    assert res.code == 1
    doc = res.json()
    assert doc["firmware_sets"] == 6
    assert [f["id"] for f in doc["failed"]] == ["voltway-broken"]
    assert doc["failed"][0]["findings"][0]["path"] == "charging.max_current_a"


# --- diff --all BASE_REF --------------------------------------------------------------------------


def _git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_GLOBAL": os.devnull,
           "GIT_CONFIG_NOSYSTEM": "1"}
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return done.stdout


@pytest.fixture
def repo(ws: Path) -> Path:
    """The example workspace as a git repository with one commit."""
    _git(ws, "init", "-q", "-b", "main")
    _git(ws, "add", "-A")
    _git(ws, "commit", "-q", "-m", "base")
    return ws


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_region_pack_commit_lists_exactly_the_variants_that_extend_it(repo: Path, cli) -> None:  # type: ignore[no-untyped-def]
    expected = _extending(repo, "profiles/regions/gb.yaml")
    assert "voltway-home-22-gb" in expected and "ampera-wallbox-22-de" not in expected
    _edit(repo / "profiles/regions/gb.yaml", "random_delay_max_s: 1800", "random_delay_max_s: 1200")
    _git(repo, "commit", "-q", "-am", "GB: shorter maximum random delay")
    res = cli("diff", "--all", "HEAD~1", "--format", "json", cwd=repo)
    assert res.code == 0, res.err
    doc = res.json()
    assert doc["base"] == "HEAD~1" and doc["profiles"] == len(_ids(repo)) and doc["changed"] == len(expected)
    assert [v["id"] for v in doc["variants"]] == expected
    for v in doc["variants"]:
        assert v["status"] == "changed" and v["layers"] == ["firmware"] and v["impact"] == "recertify"
        assert v["changes"] == [{"path": "region.regulation.smart_charging.random_delay_max_s", "old": 1800,
                                 "new": 1200, "layer": "firmware", "impact": "recertify"}]
        assert v["streams"] == {"firmware": "minor", "software": "none"}
        assert v["recertification_required"] is True
    assert sorted(doc["unchanged"]) == [i for i in _ids(repo) if i not in expected]


def test_product_file_edit_fans_out_and_software_edit_stays_software(repo: Path, cli) -> None:  # type: ignore[no-untyped-def]
    product = "profiles/products/ac-wallbox-22.yaml"
    _edit(repo / product, "hardware_revision: C", "hardware_revision: D")
    partner = repo / "profiles/partners/hyperion/partner.yaml"
    assert "\nupdates:" not in partner.read_text(encoding="utf-8")
    with partner.open("a", encoding="utf-8") as fh:  # a software-only edit of one partner
        fh.write("updates:\n  software: {approval: two_person}\n")
    res = cli("diff", "--all", "main", "--format", "json", cwd=repo)  # uncommitted work tree vs main
    assert res.code == 0, res.err
    variants = {v["id"]: v for v in res.json()["variants"]}
    on_product = _extending(repo, product)
    hyperion = _extending(repo, "profiles/partners/hyperion/partner.yaml")
    assert on_product and hyperion and not set(on_product) & set(hyperion)
    assert sorted(variants) == sorted(on_product + hyperion)
    for pid in on_product:  # a new hardware target: a major firmware bump for every variant on the product
        assert variants[pid]["streams"] == {"firmware": "major", "software": "none"}
        assert variants[pid]["reflash_required"] is True
    for hid in hyperion:
        assert variants[hid]["layers"] == ["software"] and variants[hid]["impact"] == "hot"
        assert variants[hid]["streams"] == {"firmware": "none", "software": "minor"}
        assert variants[hid]["reflash_required"] is False


def test_added_and_removed_variants(repo: Path, cli) -> None:  # type: ignore[no-untyped-def]
    _add_variant(repo, "voltway", "home-22-gb-eco", "home-22-gb", "")
    (repo / "profiles/partners/hyperion/dc-180-us.yaml").unlink()
    doc = cli("diff", "--all", "main", "--format", "json", cwd=repo).json()
    assert {v["id"]: v["status"] for v in doc["variants"]} == {
        "voltway-home-22-gb-eco": "added", "hyperion-dc-180-us": "removed"}


def test_markdown_table_for_a_pr_comment(repo: Path, cli) -> None:  # type: ignore[no-untyped-def]
    _edit(repo / "profiles/regions/gb.yaml", "name: Great Britain", "name: United Kingdom")
    res = cli("diff", "--all", "main", "--format", "markdown", cwd=repo)
    assert res.code == 0, res.err
    lines = res.out.splitlines()
    expected = _extending(repo, "profiles/regions/gb.yaml")
    assert lines[0] == f"### oemkit: {len(expected)} of {len(_ids(repo))} variant(s) change against `main`"
    header = "| variant | status | layers | impact | firmware | software | reflash | recertify | changed keys |"
    assert header in lines
    rows = [line for line in lines if line.startswith("| `")]
    assert rows == [f"| `{i}` | changed | software | hot | none | patch | no | no | `region.name` |" for i in expected]


def test_text_output_and_nothing_changed(repo: Path, cli) -> None:  # type: ignore[no-untyped-def]
    res = cli("diff", "--all", "main", cwd=repo)
    assert res.code == 0 and res.out.startswith(f"0 of {len(_ids(repo))} variant(s) change against main")
    md = cli("diff", "--all", "main", "--format", "markdown", cwd=repo)
    assert "No buildable variant changes." in md.out


@pytest.mark.parametrize("ref", ["no-such-branch", "--upload-pack=x"])
def test_bad_ref_exits_2(repo: Path, cli, ref: str) -> None:  # type: ignore[no-untyped-def]
    res = cli("diff", f"--all={ref}", cwd=repo)
    assert res.code == 2
    assert "Traceback" not in res.err and ref in res.err


def test_not_a_git_repository_exits_2(ws: Path, cli) -> None:  # type: ignore[no-untyped-def]
    res = cli("diff", "--all", "main", cwd=ws)
    assert res.code == 2 and "git" in res.err


def test_summary_names_the_partner_firmware_customisations(ws: Path, cli) -> None:  # type: ignore[no-untyped-def]
    doc = cli("split", "--all", "--summary", "--format", "json", cwd=ws).json()
    keys = {s["variants"][0]: s["partner_firmware_keys"] for s in doc["sets"]}
    assert keys["voltway-home-22-gb"] == [] and keys["voltway-home-7-gb"] == []  # software-only partner
    assert "charging.max_current_a" in keys["ampera-wallbox-22-de"]  # set in ampera's own variant file
    assert "hardware.it_earthing_support" in keys["ampera-wallbox-22-no"]
    assert "charging.max_current_a" not in keys["ampera-wallbox-22-no"]  # inherited from the product file
    assert not [k for ks in keys.values() for k in ks if k.startswith(("tariff", "portal", "ocpp"))]


def test_workspace_in_a_subfolder_of_the_repository(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    from conftest import copy_workspace

    top = tmp_path / "repo"
    ws = copy_workspace(top / "programs" / "kestrel")
    _git(top, "init", "-q", "-b", "main")
    _git(top, "add", "-A")
    _git(top, "commit", "-q", "-m", "base")
    _edit(ws / "profiles/regions/de.yaml", "name: Germany", "name: Deutschland")
    res = cli("diff", "--all", "main", "--format", "json", cwd=ws / "profiles")
    assert res.code == 0, res.err
    assert [v["id"] for v in res.json()["variants"]] == _extending(ws, "profiles/regions/de.yaml")


def test_a_committed_link_leaving_the_folder_is_refused(repo: Path, cli) -> None:  # type: ignore[no-untyped-def]
    (repo / "profiles/regions/evil.yaml").symlink_to("/etc/hostname")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "a link out")
    res = cli("diff", "--all", "HEAD", cwd=repo)
    assert res.code == 2
    assert "cannot be unpacked safely" in res.err and "Traceback" not in res.err
