"""The check path's fast forms give the answers of the plain ones they replace.

Workspace path questions (string ``rel``/``real``/``contains`` with a memo of folders' real paths)
against pathlib and ``os.path.realpath``, including symlinks that leave the workspace; ``read_head``
against ``open().read(n)``; ``check_ids`` (which skips subtrees that cannot hold a list merged on id)
and ``provenance`` against reference copies of their former recursive versions, and the one walk
``plain_and_provenance`` against ``to_plain`` and ``provenance``, on random trees; the YAML composer's
tag resolution against PyYAML's.
"""

from __future__ import annotations

import os
import random
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from oemkit.errors import Finding
from oemkit.fields import merge_strategies
from oemkit.loader import check_ids
from oemkit.merge import schema_path
from oemkit.tree import Leaf, MapNode, Origin, SeqNode, TNode, plain_and_provenance, provenance, to_plain
from oemkit.workspace import Workspace, read_head
from oemkit.yamlio import LoadFailure


def _reference_rel(root: Path, path: Path) -> str:
    try:
        return PurePosixPath(Path(os.path.abspath(path)).relative_to(root)).as_posix()
    except ValueError:
        return str(path)


def _reference_contains(root: Path, path: Path) -> bool:
    try:
        Path(os.path.realpath(path)).relative_to(os.path.realpath(root))
    except ValueError:
        return False
    return True


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, Path]:
    """A workspace with links inside and out, next to a folder whose name extends the root's."""
    root = tmp_path / "ws"
    (root / "profiles" / "partners" / "p").mkdir(parents=True)
    (root / "profiles" / "partners" / "p" / "partner.yaml").write_text("x: 1\n")
    (root / "profiles" / "partners" / "p" / "plain").write_text("not a folder\n")
    (tmp_path / "ws2").mkdir()
    (tmp_path / "ws2" / "secret.yaml").write_text("x: 2\n")
    (tmp_path / "outside.yaml").write_text("x: 3\n")
    folder = root / "profiles" / "partners" / "p"
    os.symlink("partner.yaml", folder / "inside-link.yaml")
    os.symlink(tmp_path / "outside.yaml", folder / "outside-link.yaml")
    os.symlink("../../../../ws2/secret.yaml", folder / "sibling-link.yaml")
    os.symlink("missing.yaml", folder / "dangling.yaml")
    os.symlink("loop-b.yaml", folder / "loop-a.yaml")
    os.symlink("loop-a.yaml", folder / "loop-b.yaml")
    os.symlink(folder, root / "profiles" / "linked-folder")
    os.symlink(tmp_path / "ws2", root / "profiles" / "escaping-folder")
    return root, tmp_path


def _paths(root: Path, tmp_path: Path) -> list[Path]:
    folder = root / "profiles" / "partners" / "p"
    names = ["partner.yaml", "inside-link.yaml", "outside-link.yaml", "sibling-link.yaml", "dangling.yaml",
             "loop-a.yaml", "missing.yaml", "plain/below.yaml"]
    out = [folder / n for n in names]
    out += [root, root / "profiles", tmp_path / "ws2" / "secret.yaml", tmp_path / "outside.yaml", Path("/"),
            root / "profiles" / "linked-folder" / "partner.yaml", root / "profiles" / "escaping-folder" / "secret.yaml",
            root / "profiles" / "partners" / ".." / "partners" / "p" / "partner.yaml",
            Path(str(root) + "/profiles//partners/p/partner.yaml"), Path("profiles/partners/p/partner.yaml"),
            Path("../ws2/secret.yaml"), Path("//" + str(root).lstrip("/"))]
    return out


def test_rel_real_contains_match_the_plain_forms(tree: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    root, tmp_path = tree
    monkeypatch.chdir(root)
    ws = Workspace(root)
    for _ in range(2):  # the second round answers from the memo of folders
        for path in _paths(root, tmp_path):
            assert ws.rel(path) == _reference_rel(root, path), path
            assert ws.rel(str(path)) == _reference_rel(root, path), path
            assert ws.real(path) == os.path.realpath(path), path
            assert ws.contains(path) == _reference_contains(root, path), path


def test_real_stat_is_the_stat_of_a_file_that_is_not_a_link(tree: tuple[Path, Path]) -> None:
    root, _ = tree
    ws = Workspace(root)
    folder = root / "profiles" / "partners" / "p"
    real, st = ws.real_stat(str(folder / "partner.yaml"))
    assert real == str(folder / "partner.yaml") and st is not None
    assert (st.st_mode, st.st_size, st.st_ino) == (lambda s: (s.st_mode, s.st_size, s.st_ino))(os.stat(real))
    for link in ("inside-link.yaml", "outside-link.yaml", "dangling.yaml", "missing.yaml"):
        assert ws.real_stat(str(folder / link))[1] is None  # a link or nothing: the loader stats it itself


def test_escapes_stay_refused(tree: tuple[Path, Path]) -> None:
    root, tmp_path = tree
    ws = Workspace(root)
    folder = root / "profiles" / "partners" / "p"
    assert ws.contains(folder / "inside-link.yaml")
    assert not ws.contains(folder / "outside-link.yaml")
    assert not ws.contains(folder / "sibling-link.yaml")  # ws2 starts with the root's name: still outside
    assert not ws.contains(root / "profiles" / "escaping-folder" / "secret.yaml")
    assert not ws.contains(tmp_path / "ws2" / "secret.yaml")


def test_relative_root_keeps_the_pathlib_answers(tree: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    root, tmp_path = tree
    monkeypatch.chdir(root)
    ws = Workspace(Path("."))
    for path in _paths(root, tmp_path):
        assert ws.rel(path) == _reference_rel(Path("."), path), path
        assert ws.contains(path) == _reference_contains(Path("."), path), path


@pytest.mark.parametrize("size", [0, 1, 100, 64 * 1024 - 1, 64 * 1024, 64 * 1024 + 1, 200_000, 262_144, 262_145,
                                  300_000])
def test_read_head_reads_what_open_read_does(tmp_path: Path, size: int) -> None:
    path = tmp_path / "f.yaml"
    data = random.Random(size).randbytes(size)
    path.write_bytes(data)
    limit = 262_145
    with open(path, "rb") as fh:
        want = fh.read(limit)
    for first in (1, size + 1, 64 * 1024, limit, 10 * limit):
        assert read_head(path, limit, first) == want
    assert read_head(path, 1024 * 1024) == data[: 1024 * 1024]


def _reference_check_ids(node: TNode, spath: str = "", strategies: dict[str, str] | None = None) -> None:
    """check_ids as it was: every node walked."""
    strategies = merge_strategies() if strategies is None else strategies
    if isinstance(node, MapNode):
        for key, sub in node.items.items():
            _reference_check_ids(sub, schema_path(spath, key), strategies)
    elif isinstance(node, SeqNode):
        item_path = schema_path(spath, 0)
        keyed = strategies.get(spath) == "id"
        seen: dict[object, Origin] = {}
        for item in node.items:
            if keyed:
                ident = item.items.get("id") if isinstance(item, MapNode) else None
                if not (isinstance(ident, Leaf) and isinstance(ident.value, (int, str))
                        and not isinstance(ident.value, bool)):
                    where = ident.origin if ident is not None else item.origin
                    raise LoadFailure(Finding(rule="MERGE-MISSING-ID", severity="error", file=where.file,
                                              line=where.line, column=where.column, path=f"{spath}.id",
                                              message="", hint="", source=""))
                if ident.value in seen:
                    raise LoadFailure(Finding(rule="MERGE-DUPLICATE-ID", severity="error", file=ident.origin.file,
                                              line=ident.origin.line, column=ident.origin.column,
                                              path=f"{spath}.id", message="", hint="", source=""))
                seen[ident.value] = ident.origin
            _reference_check_ids(item, item_path, strategies)


_KEYS = ["hardware", "connectors", "portal", "reports", "alerts", "id", "type", "", "0", "hardware.connectors",
         "updates", "firmware", "rollout", "x"]


def _random_tree(rng: random.Random, depth: int = 0) -> TNode:
    origin = Origin("f.yaml", rng.randint(1, 50), rng.randint(1, 9))
    roll = rng.random()
    if depth > 5 or roll < 0.25:
        return Leaf(rng.choice([1, 2, "a", "b", True, None, 1.5]), origin)
    if roll < 0.7:
        return MapNode({rng.choice(_KEYS): _random_tree(rng, depth + 1) for _ in range(rng.randint(0, 4))}, origin)
    return SeqNode([_random_tree(rng, depth + 1) for _ in range(rng.randint(0, 4))], origin)


def _outcome(func: Any, node: TNode) -> tuple[str, int, int, str] | None:
    try:
        func(node)
    except LoadFailure as exc:
        f = exc.finding
        return f.rule, f.line, f.column, f.path
    return None


def test_check_ids_finds_what_the_full_walk_finds() -> None:
    rng = random.Random(20261126)
    raised = 0
    for _ in range(20_000):
        node = _random_tree(rng)
        want = _outcome(_reference_check_ids, node)
        raised += want is not None
        assert _outcome(check_ids, node) == want
    assert raised > 100  # the trees do reach lists merged on id


def _reference_provenance(node: TNode, prefix: str = "", out: dict[str, TNode] | None = None) -> dict[str, TNode]:
    out = {} if out is None else out
    out[prefix] = node
    if isinstance(node, MapNode):
        for k, v in node.items.items():
            _reference_provenance(v, f"{prefix}.{k}" if prefix else k, out)
    elif isinstance(node, SeqNode):
        for i, v in enumerate(node.items):
            _reference_provenance(v, f"{prefix}.{i}" if prefix else str(i), out)
    return out


def test_provenance_is_the_recursive_table_in_the_same_order() -> None:
    rng = random.Random(7)
    for _ in range(5_000):
        node = _random_tree(rng)
        for prefix in ("", "p"):
            want = [(k, id(v)) for k, v in _reference_provenance(node, prefix).items()]
            assert [(k, id(v)) for k, v in provenance(node, prefix).items()] == want


def test_one_walk_gives_the_plain_data_and_the_table_of_the_two_walks() -> None:
    rng = random.Random(11)
    for _ in range(5_000):
        node = _random_tree(rng)
        data, prov = plain_and_provenance(node)
        assert repr(data) == repr(to_plain(node))  # repr: also the types (1 vs True vs 1.0) and the order
        assert [(k, id(v)) for k, v in prov.items()] == [(k, id(v)) for k, v in provenance(node).items()]


def test_the_composer_resolves_tags_as_pyyaml_s_resolver_does() -> None:
    from yaml.nodes import MappingNode, ScalarNode, SequenceNode
    from yaml.resolver import BaseResolver

    from oemkit.yamlio import _Composer

    composer = _Composer("")
    rng = random.Random(3)
    words = ["", "~", "null", "Null", "NULL", "nul", "true", "True", "TRUE", "tRue", "false", "yes", "NO", "on",
             "0", "-1", "+2", "0o17", "0o8", "0x1F", "0xg", "1.5", ".5", "-.5", "1e3", "1E-3", ".inf", "-.Inf",
             ".NaN", ".nan", "02:00", "1_000", "2024-01-01", "abc", "-", "+", ".", "0.", "1.2.3", " 1", "1 "]
    words += ["".join(rng.choice("01tTfFnN~.-+eExo9a: ") for _ in range(rng.randint(0, 6))) for _ in range(3_000)]
    try:
        for value in words:
            for kind in (ScalarNode, SequenceNode, MappingNode):
                for implicit in ((True, False), (False, True), (True, True), (False, False)):
                    want = BaseResolver.resolve(composer, kind, value, implicit)
                    assert composer.resolve(kind, value, implicit) == want, (kind, value, implicit)
    finally:
        composer.dispose()
