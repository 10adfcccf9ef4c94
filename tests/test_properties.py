"""Property tests (hypothesis): no input makes oemkit crash, and merging keeps its promises.

Runs in CI with a fixed seed (``derandomize``) and a bounded number of examples (the
``oemkit-properties`` settings profile); set ``OEMKIT_PROPERTY_EXAMPLES`` to explore more locally.

- Random documents and random mutations of the example profiles, through ``check``, ``explain``,
  ``split`` and ``build``: exit 0, 1 or 2, never an internal error, and every finding has a file
  and a line.
- Merge: a layer merged onto itself changes nothing; merging is associative for layers without
  ``null`` clears and ``remove: true`` items (those two are order-dependent by design: they act on
  what is below them, so the spec defines them for the left-to-right fold the loader performs);
  provenance always names a file, line and column that really hold the resolved value.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import EXAMPLE_PROFILES, Result, copy_workspace
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oemkit import loader
from oemkit.fields import merge_strategies
from oemkit.merge import merge
from oemkit.tree import Leaf, MapNode, SeqNode, TNode, provenance, to_plain
from oemkit.workspace import Workspace
from oemkit.yamlio import LoadFailure, parse_bytes

settings.register_profile(
    "oemkit-properties",
    derandomize=True,  # a fixed seed: CI sees the same examples every run
    database=None,
    deadline=None,
    max_examples=int(os.environ.get("OEMKIT_PROPERTY_EXAMPLES", "40")),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CI = settings.get_profile("oemkit-properties")
FEW = settings(CI, max_examples=max(5, CI.max_examples // 4))  # for the slow build property

TARGET = "profiles/partners/voltway/home-22-gb.yaml"
EXAMPLE_FILES = sorted(str(p.relative_to(EXAMPLE_PROFILES.parent)) for p in EXAMPLE_PROFILES.rglob("*.yaml"))

# --- documents ---------------------------------------------------------------------------------

TRICKY_SCALARS = ["yes", "on", "NO", "0777", "1_000", "12:30", "1e999", ".nan", "-.inf", "-0.0", "~", "null",
                  "''", "[]", "{}", "!!binary aGk=", "*nope", "&a x", "<<", "\"\\ud800\"", "x" * 300, "9" * 45,
                  "0x1F", "true", "\"2.0.1\"", "1.6", "- a", "{secret: X}", "\t1"]
KEYS = ["schema_version", "extends", "variant", "partner", "product", "region", "branding", "hardware", "charging",
        "ocpp", "access", "tariff", "portal", "updates", "connectors", "id", "remove", "max_current_a", "phases",
        "brand_name", "secret", "x"]
scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True),
                    st.text(max_size=20), st.sampled_from(TRICKY_SCALARS))
values = st.recursive(scalars, lambda kids: st.one_of(st.lists(kids, max_size=4),
                                                      st.dictionaries(st.sampled_from(KEYS), kids, max_size=4)),
                      max_leaves=20)
documents = st.dictionaries(st.sampled_from(KEYS), values, max_size=8)


@st.composite
def mutated_example(draw: st.DrawFn) -> tuple[str, bytes]:
    """An example file with a few line-level edits, as a partner's copy-paste might make them."""
    name = draw(st.sampled_from(EXAMPLE_FILES))
    lines = (EXAMPLE_PROFILES.parent / name).read_bytes().split(b"\n")
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["drop", "dup", "swap", "value", "indent", "bytes", "truncate"]))
        if op == "drop":
            del lines[i]
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "value" and b":" in lines[i]:
            key = lines[i].split(b":", 1)[0]
            lines[i] = key + b": " + draw(st.sampled_from(TRICKY_SCALARS)).encode()
        elif op == "indent":
            lines[i] = b" " * draw(st.integers(0, 5)) + lines[i].lstrip()
        elif op == "bytes":
            pos = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:pos] + draw(st.binary(max_size=4)) + lines[i][pos:]
        elif op == "truncate":
            lines = lines[: i + 1]
        if not lines:
            lines = [b""]
    return name, b"\n".join(lines)


# --- the CLI under random input ------------------------------------------------------------------


@pytest.fixture(scope="module")
def module_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_workspace(tmp_path_factory.mktemp("props"))


def _assert_sane(res: Result, what: str) -> None:
    assert res.code in (0, 1, 2), f"{what}: exit {res.code}\n{res.err[-2000:]}"
    assert "internal error" not in res.err and "Traceback" not in res.err, f"{what}: {res.err[-2000:]}"


def _assert_findings_located(res: Result) -> None:
    if res.code == 2:
        return
    doc = res.json()
    assert (doc["errors"] > 0) == (res.code == 1)
    for f in doc["findings"]:
        assert f["file"] and isinstance(f["line"], int) and f["line"] >= 1 and f["column"] >= 1, f


def _run_all(cli: Callable[..., Result], ws: Path, target: str, *, build: bool = False) -> None:
    loader.clear_cache()
    res = cli("check", "--format", "json", target, cwd=ws)
    _assert_sane(res, "check")
    _assert_findings_located(res)
    _assert_sane(cli("explain", target, cwd=ws), "explain")
    _assert_sane(cli("explain", target, "charging.max_current_a", "--format", "json", cwd=ws), "explain KEY")
    _assert_sane(cli("split", target, "--format", "json", cwd=ws), "split")
    if build:
        built = cli("build", target, "--no-cache", "--format", "json", "-o", str(ws / "dist-props"), cwd=ws)
        _assert_sane(built, "build")
        if built.code == 1:
            for failed in built.json()["failed"]:
                for f in failed["findings"]:
                    assert f["file"] and f["line"] >= 1, f


class _Swap:
    """Write a file for one example and put the original back afterwards."""

    def __init__(self, path: Path, data: bytes) -> None:
        self.path, self.data = path, data
        self.saved = path.read_bytes() if path.exists() else None

    def __enter__(self) -> None:
        self.path.write_bytes(self.data)

    def __exit__(self, *_exc: object) -> None:
        if self.saved is None:
            self.path.unlink()
        else:
            self.path.write_bytes(self.saved)


@CI
@given(doc=documents)
def test_random_documents_never_crash(doc: dict[str, Any], module_ws: Path, cli: Callable[..., Result]) -> None:
    text = yaml.safe_dump(doc, allow_unicode=True).encode()
    with _Swap(module_ws / TARGET, text):
        _run_all(cli, module_ws, TARGET)


@CI
@given(data=st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_random_bytes_never_crash(data: bytes, module_ws: Path, cli: Callable[..., Result]) -> None:
    with _Swap(module_ws / TARGET, data):
        _run_all(cli, module_ws, TARGET)


@CI
@given(case=mutated_example())
def test_mutated_examples_never_crash(case: tuple[str, bytes], module_ws: Path,
                                      cli: Callable[..., Result]) -> None:
    name, data = case
    with _Swap(module_ws / name, data):
        _run_all(cli, module_ws, TARGET)
        if name != TARGET and "partners" in name:
            _run_all(cli, module_ws, name)


@FEW
@given(case=mutated_example())
def test_mutated_examples_never_crash_build(case: tuple[str, bytes], module_ws: Path,
                                            cli: Callable[..., Result]) -> None:
    name, data = case
    with _Swap(module_ws / name, data):
        _run_all(cli, module_ws, TARGET, build=True)
    shutil.rmtree(module_ws / "dist-props", ignore_errors=True)


# --- merge ------------------------------------------------------------------------------------

leaf = st.one_of(st.integers(-3, 3), st.booleans(), st.sampled_from(["a", "b", "NO", "0777"]))
plain = st.recursive(leaf, lambda kids: st.one_of(st.lists(kids, max_size=3),
                                                  st.dictionaries(st.sampled_from("abc"), kids, max_size=3)),
                     max_leaves=8)


def _connectors(removals: bool) -> st.SearchStrategy[list[dict[str, Any]]]:
    optional: dict[str, st.SearchStrategy[Any]] = {
        "type": st.sampled_from(["type2", "ccs2"]), "max_current_a": st.integers(6, 32)}
    if removals:
        optional["remove"] = st.just(True)
    item = st.fixed_dictionaries({"id": st.integers(1, 4)}, optional=optional)
    return st.lists(item, max_size=4, unique_by=lambda d: d["id"])


def _layers(clears: bool) -> st.SearchStrategy[dict[str, Any]]:
    value = st.one_of(plain, st.none()) if clears else plain
    return st.fixed_dictionaries({}, optional={
        "x": value, "y": st.dictionaries(st.sampled_from("abc"), value, max_size=3),
        "hardware": st.fixed_dictionaries({}, optional={"connectors": _connectors(clears),
                                                        "phases": st.integers(1, 3)}),
        "portal": st.fixed_dictionaries({}, optional={"features": st.lists(st.sampled_from(["a", "b"]), max_size=2)}),
    })


def _tree(layer: dict[str, Any], name: str) -> MapNode:
    tree = parse_bytes(yaml.safe_dump(layer, sort_keys=False).encode(), name)
    assert isinstance(tree, MapNode)
    return tree


def _fold(*trees: TNode) -> TNode:
    out: TNode | None = None
    for t in trees:
        out = merge(out, t, "", merge_strategies())
    assert out is not None
    return out


@CI
@given(layer=_layers(clears=True))
def test_a_layer_merged_onto_itself_changes_nothing(layer: dict[str, Any]) -> None:
    once = _fold(_tree(layer, "a.yaml"))
    assert to_plain(merge(once, _tree(layer, "a.yaml"), "", merge_strategies())) == to_plain(once)


@CI
@given(a=_layers(clears=False), b=_layers(clears=False), c=_layers(clears=False))
def test_merge_is_associative_without_clears_and_removals(a: dict[str, Any], b: dict[str, Any],
                                                          c: dict[str, Any]) -> None:
    ta, tb, tc = _tree(a, "a.yaml"), _tree(b, "b.yaml"), _tree(c, "c.yaml")
    left = merge(merge(ta, tb, "", merge_strategies()), tc, "", merge_strategies())
    right = merge(ta, merge(tb, tc, "", merge_strategies()), "", merge_strategies())
    assert to_plain(left) == to_plain(right)


def _leaves(node: TNode) -> dict[tuple[str, int, int], Any]:
    return {(n.origin.file, n.origin.line, n.origin.column): n.value
            for n in provenance(node).values() if isinstance(n, Leaf)}


@CI
@given(layers=st.lists(_layers(clears=True), min_size=1, max_size=4))
def test_provenance_names_a_file_that_holds_the_value(layers: list[dict[str, Any]], tmp_path_factory:
                                                      pytest.TempPathFactory) -> None:
    root = tmp_path_factory.mktemp("prov")
    (root / "profiles").mkdir()
    names = [f"profiles/l{i}.yaml" for i in range(len(layers))]
    for i, layer in enumerate(layers):
        doc = {"extends": [Path(names[i - 1]).name]} if i else {}
        (root / names[i]).write_text(yaml.safe_dump({**doc, **layer}, sort_keys=False), encoding="utf-8")
    loader.clear_cache()
    resolved = loader.resolve(Workspace(root), root / names[-1])
    if resolved.tree is None:  # e.g. a clear of a whole section: the loader may refuse, never crash
        assert all(f.file and f.line >= 1 for f in resolved.findings)
        return
    written: dict[tuple[str, int, int], Any] = {}
    for name in names:
        try:
            written.update(_leaves(parse_bytes((root / name).read_bytes(), name)))
        except LoadFailure as exc:  # pragma: no cover - the files were written by yaml.safe_dump
            raise AssertionError(exc.finding) from None
    for path, node in resolved.prov.items():
        o = node.origin
        assert o.file in names, (path, o)
        if isinstance(node, Leaf):
            assert written[(o.file, o.line, o.column)] == node.value, (path, o)
        for old in node.overridden:
            assert old.origin.file in names, (path, old)
            if not isinstance(old.value, (dict, list)):
                assert written[tuple(old.origin)] == old.value, (path, old)
        if isinstance(node, SeqNode | MapNode):
            assert node.origin.file in names
