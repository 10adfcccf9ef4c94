"""The check path's per-process memos: keyed by content, bounded, and shared where the work repeats.

Parsed files and merged chains are cached by file name and sha256, so an edit is seen even when
size, mtime and inode stay the same; a symlinked file is named by the path that was followed, as a
copy would be. In a portfolio check each file is parsed once and each profile's provenance and rule
tables are built once, although HYG-ALWAYS-OVERRIDDEN resolves a profile's siblings too.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from conftest import copy_workspace, make_workspace

from oemkit import loader
from oemkit.check import check
from oemkit.loader import Resolved, resolve
from oemkit.workspace import Workspace


def _rewrite_keeping_stat(path: Path, text: str) -> None:
    """Change a file's bytes but not its size, mtime or inode (what a stat-keyed cache would miss)."""
    before = os.stat(path)
    assert len(text.encode()) == before.st_size
    with open(path, "r+", encoding="utf-8") as fh:
        fh.write(text)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(path)
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (before.st_size, before.st_mtime_ns, before.st_ino)


def test_an_edit_is_seen_even_with_the_same_size_mtime_and_inode(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, {"base.yaml": "charging: {max_current_a: 32}\n",
                        "top.yaml": "extends: [base.yaml]\nvariant: v\n"})
    first = resolve(ws, ws.profiles / "top.yaml")
    assert first.data["charging"]["max_current_a"] == 32
    _rewrite_keeping_stat(ws.profiles / "base.yaml", "charging: {max_current_a: 16}\n")
    second = resolve(ws, ws.profiles / "top.yaml")
    assert second.data["charging"]["max_current_a"] == 16
    assert second.inputs_sha256 != first.inputs_sha256
    assert second.prov["charging.max_current_a"].origin.file == "profiles/base.yaml"


def test_a_parse_error_written_in_place_is_reported(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, {"top.yaml": "variant: v\nx: 1\n"})
    assert resolve(ws, ws.profiles / "top.yaml").ok
    _rewrite_keeping_stat(ws.profiles / "top.yaml", "variant: v\nx: [\n")
    res = resolve(ws, ws.profiles / "top.yaml")
    assert not res.ok and res.findings


@pytest.mark.parametrize("order", [("a", "b"), ("b", "a")])
def test_a_symlinked_base_is_named_by_its_link_whatever_was_read_first(tmp_path: Path,
                                                                      order: tuple[str, str]) -> None:
    ws = make_workspace(tmp_path, {"partners/p/partner.yaml": "branding: {brand_name: Acme}\n",
                        "partners/p/a.yaml": "extends: [partner.yaml]\nvariant: a\n",
                        "partners/p/b.yaml": "extends: [link.yaml]\nvariant: b\n"})
    os.symlink("partner.yaml", ws.profiles / "partners/p/link.yaml")
    loader.clear_cache()
    got = {name: resolve(ws, ws.profiles / f"partners/p/{name}.yaml") for name in order}
    assert got["a"].prov["branding.brand_name"].origin.file == "profiles/partners/p/partner.yaml"
    assert got["b"].prov["branding.brand_name"].origin.file == "profiles/partners/p/link.yaml"
    assert got["b"].files == ["profiles/partners/p/link.yaml", "profiles/partners/p/b.yaml"]


def _leaf_count(resolved: Resolved) -> int:
    calls[resolved.path] += 1
    return len(resolved.prov)


calls: Counter[str] = Counter()


def test_derived_tables_are_shared_per_content_and_rebuilt_after_an_edit(tmp_path: Path) -> None:
    calls.clear()
    ws = make_workspace(tmp_path, {"base.yaml": "a: 1\n", "top.yaml": "extends: [base.yaml]\nb: 2\n"})
    one, two = resolve(ws, ws.profiles / "top.yaml"), resolve(ws, ws.profiles / "top.yaml")
    assert one is not two and one.tree is two.tree and one.prov is two.prov
    assert one.derived(_leaf_count) == two.derived(_leaf_count) == 5  # '', a, extends, extends.0, b
    assert calls["profiles/top.yaml"] == 1
    (ws.profiles / "base.yaml").write_text("a: 1\nc: 3\n")
    three = resolve(ws, ws.profiles / "top.yaml")
    assert three.tree is not one.tree and three.derived(_leaf_count) == 6
    assert calls["profiles/top.yaml"] == 2
    failed = Resolved(path="x.yaml", tree=None)  # no shared entry: computed on the object itself
    assert failed.derived(_leaf_count) == 0 and failed.derived(_leaf_count) == 0
    assert calls["x.yaml"] == 1


def test_the_memos_stay_bounded(tmp_path: Path) -> None:
    files = {"base.yaml": "a: 1\n"} | {f"v{i}.yaml": f"extends: [base.yaml]\nb: {i}\n" for i in range(100)}
    ws = make_workspace(tmp_path, files)
    loader.clear_cache()
    for i in range(100):
        assert resolve(ws, ws.profiles / f"v{i}.yaml").data["b"] == i
    assert len(loader._merged) <= loader._MERGED_SIZE and len(loader._folds) <= loader._MERGED_SIZE
    assert len(loader._cache) <= loader._CACHE_SIZE


def test_a_portfolio_check_parses_each_file_once_and_builds_each_profile_table_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = copy_workspace(tmp_path / "ws")
    ws = Workspace(root)
    parsed: Counter[str] = Counter()
    tables: Counter[int] = Counter()
    parse_bytes, walk = loader.parse_bytes, loader.plain_and_provenance

    def counting_parse(data: bytes, rel: str) -> Any:
        parsed[rel] += 1
        return parse_bytes(data, rel)

    def counting_walk(node: Any) -> Any:
        tables[id(node)] += 1
        return walk(node)

    monkeypatch.setattr(loader, "parse_bytes", counting_parse)
    monkeypatch.setattr(loader, "plain_and_provenance", counting_walk)
    loader.clear_cache()
    report = check(ws)
    assert report.profiles == len(ws.buildable()) >= 6
    assert parsed and max(parsed.values()) == 1, parsed
    # HYG-ALWAYS-OVERRIDDEN resolves every sibling and the check resolves each again: one table each.
    assert len(tables) == report.profiles and max(tables.values()) == 1, tables
