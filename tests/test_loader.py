"""extends resolution, merge rules and provenance (the profile format's fixed semantics)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import make_workspace

from oemkit.loader import resolve
from oemkit.workspace import Workspace


def test_yaml_12_scalars(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, {
        "a.yaml": "a: NO\nb: on\nc: yes\nd: 02:00\ne: 0777\nf: 1_000\ng: 0o17\nh: ~\ni: 1.5e3\n"})
    data = resolve(ws, ws.profiles / "a.yaml").data
    assert data == {"a": "NO", "b": "on", "c": "yes", "d": "02:00", "e": 777, "f": "1_000", "g": 15,
                    "h": None, "i": 1500.0}


def test_order_depth_first_left_to_right_self_last(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, {
        "base.yaml": "x: base\ny: base\nz: base\n",
        "left.yaml": "extends: [base.yaml]\nx: left\ny: left\n",
        "right.yaml": "y: right\n",
        "top.yaml": "extends: [left.yaml, right.yaml]\nx: top\n",
    })
    res = resolve(ws, ws.profiles / "top.yaml")
    assert res.data["x"] == "top" and res.data["y"] == "right" and res.data["z"] == "base"
    assert res.files == ["profiles/base.yaml", "profiles/left.yaml", "profiles/right.yaml", "profiles/top.yaml"]
    chain = [(o.origin.file, o.value) for o in res.prov["y"].overridden]
    assert chain == [("profiles/left.yaml", "left"), ("profiles/base.yaml", "base")]


def test_keyed_list_merge_remove_and_scalar_lists_replaced(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, {
        "base.yaml": (
            "hardware:\n  connectivity: [ethernet, wifi]\n  connectors:\n"
            "    - {id: 1, type: type2, max_current_a: 32}\n    - {id: 2, type: type2, max_current_a: 32}\n"
        ),
        "top.yaml": (
            "extends: [base.yaml]\nhardware:\n  connectivity: [lte]\n  connectors:\n"
            "    - {id: 2, max_current_a: 16}\n    - {id: 1, remove: true}\n"
            "    - {id: 3, type: ccs2, max_current_a: 200}\n"
        ),
    })
    res = resolve(ws, ws.profiles / "top.yaml")
    hw = res.data["hardware"]
    assert hw["connectivity"] == ["lte"]
    assert hw["connectors"] == [{"id": 2, "type": "type2", "max_current_a": 16},
                                {"id": 3, "type": "ccs2", "max_current_a": 200}]
    node = res.prov["hardware.connectors.0.max_current_a"]
    assert node.origin.file == "profiles/top.yaml"
    assert node.overridden[0].value == 32 and node.overridden[0].origin.file == "profiles/base.yaml"
    assert res.prov["hardware.connectors.0.type"].origin.file == "profiles/base.yaml"


def test_null_clears_and_unkeyed_lists_replace(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, {
        "base.yaml": "branding:\n  logo: a.svg\nupdates:\n  firmware:\n    rollout: [{percent: 5}, {percent: 100}]\n",
        "top.yaml": (
            "extends: [base.yaml]\nbranding:\n  logo: null\nupdates:\n  firmware:\n    rollout: [{percent: 100}]\n"
        ),
    })
    res = resolve(ws, ws.profiles / "top.yaml")
    assert res.data["branding"]["logo"] is None
    assert res.data["updates"]["firmware"]["rollout"] == [{"percent": 100}]


def test_merge_does_not_mutate_cached_bases(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, {
        "base.yaml": "charging: {max_current_a: 32}\n",
        "a.yaml": "extends: [base.yaml]\ncharging: {max_current_a: 16}\n",
        "b.yaml": "extends: [base.yaml]\n",
    })
    assert resolve(ws, ws.profiles / "a.yaml").data["charging"]["max_current_a"] == 16
    b = resolve(ws, ws.profiles / "b.yaml")
    assert b.data["charging"]["max_current_a"] == 32
    assert b.prov["charging.max_current_a"].overridden == ()


@pytest.mark.parametrize(
    ("files", "rule", "line"),
    [
        ({"top.yaml": "extends: [missing.yaml]\n"}, "EXTENDS-MISSING", 1),
        ({"top.yaml": "x: 1\nextends:\n  - a.yaml\n", "a.yaml": "extends: [top.yaml]\n"}, "EXTENDS-CYCLE", 1),
        ({"top.yaml": "extends: [../../outside.yaml]\n"}, "EXTENDS-ESCAPE", 1),
        ({"top.yaml": "extends: [/etc/passwd]\n"}, "EXTENDS-ESCAPE", 1),
        ({"top.yaml": "extends: 42\n"}, "EXTENDS-TYPE", 1),
    ],
)
def test_extends_errors_are_findings(tmp_path: Path, files: dict[str, str], rule: str, line: int) -> None:
    (tmp_path / "outside.yaml").write_text("x: 1\n")
    ws = make_workspace(tmp_path / "w", files)
    res = resolve(ws, ws.profiles / "top.yaml")
    assert not res.ok
    assert [f.rule for f in res.findings] == [rule]
    assert res.findings[0].line >= line and res.findings[0].file.startswith("profiles/")


def test_symlink_out_of_workspace_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret.yaml").write_text("x: 1\n")
    ws = make_workspace(tmp_path / "w", {"top.yaml": "extends: [link.yaml]\n"})
    os.symlink(tmp_path / "secret.yaml", ws.profiles / "link.yaml")
    res = resolve(ws, ws.profiles / "top.yaml")
    assert [f.rule for f in res.findings] == ["EXTENDS-ESCAPE"]


def test_a_build_workspace_resolves_as_a_plain_one(tmp_path: Path) -> None:
    """A frozen-files workspace locates each layer reached through extends once: same results, every time."""
    (tmp_path / "secret.yaml").write_text("x: 1\n")
    ws = make_workspace(tmp_path / "w", {
        "base.yaml": "x: base\ny: [1, 2]\n",
        "mid.yaml": "extends: [base.yaml]\ny: mid\n",
        "sub/top.yaml": "extends: [../mid.yaml, ../linked.yaml, ../sub/../base.yaml]\nx: top\n",
        "sub/two.yaml": "extends: [../linked.yaml, ../mid.yaml]\nz: two\n",
        "sub/bad.yaml": "extends: [../escape.yaml, ../missing.yaml, ../mid.yaml]\n",
        "sub/self.yaml": "extends: [../sub/self.yaml]\n",
    })
    os.symlink("base.yaml", ws.profiles / "linked.yaml")
    os.symlink(tmp_path / "secret.yaml", ws.profiles / "escape.yaml")
    frozen = type(ws)(ws.root, frozen_files=True)
    names = ["top", "two", "bad", "self", "top", "bad", "two"]

    def outcome(workspace: Workspace, name: str) -> tuple[object, ...]:
        res = resolve(workspace, workspace.profiles / "sub" / f"{name}.yaml")
        prov = [(p, n.origin, n.overridden) for p, n in res.prov.items()]
        return res.ok, res.files, res.findings, res.inputs_sha256, res.data, prov

    want = [outcome(ws, n) for n in names]
    assert [outcome(frozen, n) for n in names] == want
    assert frozen.located and all(k.startswith("/") for k in frozen.located)
    assert sum(not ok for ok, *_ in want) == 3  # bad twice, self
