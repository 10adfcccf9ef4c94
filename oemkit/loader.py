"""Files -> resolved document: ``extends`` chains merged into one tree with provenance.

``extends`` paths are relative to the file that declares them and resolved depth-first, left to
right, the file itself last. Missing files, cycles, non-regular files, paths (or symlinks) that
leave the workspace and chains longer than :data:`MAX_EXTENDS_DEPTH` are findings. Parsed files
are cached by (real path, size, mtime) in a bounded cache so base layers are parsed once per
process without holding the whole portfolio.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oemkit.digest import inputs_digest
from oemkit.errors import Finding
from oemkit.fields import merge_strategies
from oemkit.merge import merge, schema_path
from oemkit.tree import Leaf, MapNode, Origin, SeqNode, TNode, provenance, to_plain
from oemkit.workspace import Workspace
from oemkit.yamlio import MAX_FILE_BYTES, LoadFailure, parse_bytes

__all__ = [
    "MAX_EXTENDS_DEPTH", "MAX_LAYERS", "Resolved", "asset_path", "check_ids", "clear_cache", "inputs_digest",
    "resolve", "role_of",
]

MAX_EXTENDS_DEPTH = 16
#: Layer visits per profile: a diamond of files that each extend the next many times would
#: otherwise take exponential time (16 hops x 20 parents = 20**16 merges).
MAX_LAYERS = 64
_SRC = "oemkit profile format: extends"
_CACHE_SIZE = 256


@dataclass
class Resolved:
    """A profile after ``extends`` and merging: the tree, the files it came from, and their hash."""

    path: str
    tree: MapNode | None
    files: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    inputs_sha256: str = ""
    _data: Any = None
    _prov: dict[str, TNode] | None = None

    @property
    def ok(self) -> bool:
        return self.tree is not None

    @property
    def data(self) -> dict[str, Any]:
        """Plain resolved data (computed once)."""
        if self._data is None:
            self._data = to_plain(self.tree) if self.tree is not None else {}
        return self._data  # type: ignore[no-any-return]

    @property
    def prov(self) -> dict[str, TNode]:
        """Dotted path -> node with origin and overridden chain."""
        if self._prov is None:
            self._prov = provenance(self.tree) if self.tree is not None else {}
        return self._prov

    @property
    def buildable(self) -> bool:
        return self.tree is not None and "variant" in self.tree.items

    def origin_of(self, path: str) -> Origin:
        """Where the value at ``path`` was set, else its nearest existing ancestor, else the file's start.

        Findings about a missing or inherited value point here, so a partner lands on the right line.
        """
        prov = self.prov
        probe = path
        while True:
            node = prov.get(probe)
            if node is not None:
                return node.origin
            if not probe:
                return Origin(self.path, 1, 1)
            probe = probe.rsplit(".", 1)[0] if "." in probe else ""


def role_of(file: str) -> str:
    """Who owns a file, from where it lives: ``product``, ``region``, ``partner`` or ``other``."""
    parts = file.split("/")
    if len(parts) >= 2 and parts[0] == "profiles":
        return {"products": "product", "regions": "region", "partners": "partner"}.get(parts[1], "other")
    return "other"


_cache: OrderedDict[tuple[str, int, int, int], tuple[MapNode | LoadFailure, str]] = OrderedDict()


def clear_cache() -> None:
    """Forget parsed files (tests, long-running processes)."""
    _cache.clear()


def _fail(rule: str, origin: Origin, message: str, hint: str, path: str = "extends") -> Finding:
    return Finding(rule=rule, severity="error", file=origin.file, line=origin.line, column=origin.column,
                   path=path, message=message, hint=hint, source=_SRC)


def _parse_file(path: Path, rel: str, st: os.stat_result) -> tuple[MapNode | LoadFailure, str]:
    key = (os.path.realpath(path), st.st_size, st.st_mtime_ns, st.st_ino)
    hit = _cache.get(key)
    if hit is not None:
        _cache.move_to_end(key)
        return hit
    with open(path, "rb") as fh:
        data = fh.read(MAX_FILE_BYTES + 1)
    digest = hashlib.sha256(data).hexdigest()
    try:
        tree = parse_bytes(data, rel)
        assert isinstance(tree, MapNode)
        check_ids(tree)
        result: tuple[MapNode | LoadFailure, str] = (tree, digest)
    except LoadFailure as exc:
        result = (exc, digest)
    _cache[key] = result
    if len(_cache) > _CACHE_SIZE:
        _cache.popitem(last=False)
    return result


def check_ids(node: TNode, spath: str = "", strategies: dict[str, str] | None = None) -> None:
    """Refuse what keyed list merge cannot handle: an item without an ``id``, or two with the same one.

    Either would make merging order-dependent (an id-less item is appended by every layer that
    repeats it; of two equal ids one silently wins). Raises :class:`~oemkit.yamlio.LoadFailure`;
    run on every parsed file.
    """
    if strategies is None:
        strategies = merge_strategies()
    if isinstance(node, MapNode):
        for key, sub in node.items.items():
            check_ids(sub, schema_path(spath, key), strategies)
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
                    raise _id_failure("MERGE-MISSING-ID", where, f"{spath}.id",
                                      f"an item of '{spath}' has no usable 'id' (a number or a name); items "
                                      "of this list are merged across files on their id.",
                                      "give the item an id, e.g. {id: 1, ...}.")
                if ident.value in seen:
                    raise _id_failure("MERGE-DUPLICATE-ID", ident.origin, f"{spath}.id",
                                      f"two items of '{spath}' have id {ident.value!r} (first at line "
                                      f"{seen[ident.value].line}); items are merged on id, so one would "
                                      "silently replace the other.",
                                      "give each item its own id, or merge the two items into one.")
                seen[ident.value] = ident.origin
            check_ids(item, item_path, strategies)


def _id_failure(rule: str, origin: Origin, path: str, message: str, hint: str) -> LoadFailure:
    return LoadFailure(Finding(rule=rule, severity="error", file=origin.file, line=origin.line,
                               column=origin.column, path=path, message=message, hint=hint,
                               source="oemkit profile format: keyed list merge on id"))


class _Resolver:
    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.files: list[str] = []
        self.digests: dict[str, str] = {}
        self.findings: list[Finding] = []
        self.strategies = merge_strategies()
        self.layers = 0

    def open(self, path: Path, origin: Origin | None) -> MapNode | None:
        rel = self.ws.rel(path)
        where = origin or Origin(rel, 1, 1)
        key = "extends" if origin is not None else ""
        if not self.ws.contains(path):
            self.findings.append(_fail("EXTENDS-ESCAPE", where, f"'{rel}' is outside the workspace "
                                       f"({self.ws.root}).", "extend only files under profiles/; copy a shared "
                                       "file into the workspace instead of linking to it.", key))
            return None
        try:
            st = os.stat(path)
        except FileNotFoundError:
            self.findings.append(_fail("EXTENDS-MISSING", where, f"'{rel}' does not exist.",
                                       "check the path; it is relative to the file that declares 'extends'.", key))
            return None
        except OSError as exc:
            self.findings.append(_fail("EXTENDS-UNREADABLE", where, f"'{rel}' cannot be read: {exc.strerror}.",
                                       "fix the path or the file's permissions.", key))
            return None
        if not stat.S_ISREG(st.st_mode):
            self.findings.append(_fail("EXTENDS-NOT-FILE", where, f"'{rel}' is not a regular file.",
                                       "point 'extends' at a YAML file.", key))
            return None
        if st.st_size > MAX_FILE_BYTES:
            self.findings.append(_fail("YAML-LIMIT", Origin(rel, 1, 1), f"the file is {st.st_size:,} bytes; "
                                       f"profiles are limited to {MAX_FILE_BYTES:,} bytes.",
                                       "split it into layers with 'extends' or remove pasted data.", ""))
            return None
        try:
            tree, digest = _parse_file(path, rel, st)
        except OSError as exc:
            self.findings.append(_fail("EXTENDS-UNREADABLE", where, f"'{rel}' cannot be read: {exc.strerror}.",
                                       "fix the file's permissions.", key))
            return None
        self.digests[rel] = digest
        if isinstance(tree, LoadFailure):
            self.findings.append(tree.finding)
            return None
        return tree

    def extends_of(self, tree: MapNode, rel: str) -> list[tuple[str, Origin]] | None:
        node = tree.items.get("extends")
        if node is None or (isinstance(node, Leaf) and node.value is None):
            return []
        if isinstance(node, Leaf) and isinstance(node.value, str) and node.value and "\x00" not in node.value:
            return [(node.value, node.origin)]  # a single path is accepted as a list of one
        if not isinstance(node, SeqNode) or not all(
            isinstance(i, Leaf) and isinstance(i.value, str) and i.value and "\x00" not in i.value
            for i in node.items
        ):
            self.findings.append(_fail("EXTENDS-TYPE", node.origin, "'extends' must be a list of file paths.",
                                       "write extends: [../../products/ac-wallbox-22.yaml, ../../regions/gb.yaml]"))
            return None
        return [(i.value, i.origin) for i in node.items if isinstance(i, Leaf)]

    def resolve(self, path: Path, origin: Origin | None, stack: tuple[str, ...]) -> MapNode | None:
        rel = self.ws.rel(path)
        real = os.path.realpath(path)
        if real in stack:
            chain = " -> ".join([self.ws.rel(Path(p)) for p in (*stack[stack.index(real):], real)])
            assert origin is not None
            self.findings.append(_fail("EXTENDS-CYCLE", origin, f"'extends' forms a cycle: {chain}.",
                                       "remove one of the links so that each file extends only more general ones."))
            return None
        if len(stack) > MAX_EXTENDS_DEPTH:
            assert origin is not None
            self.findings.append(_fail("EXTENDS-DEPTH", origin, f"more than {MAX_EXTENDS_DEPTH} levels of 'extends'.",
                                       "flatten the chain: product family -> region -> partner is enough."))
            return None
        self.layers += 1
        if self.layers > MAX_LAYERS:
            if self.layers == MAX_LAYERS + 1:
                assert origin is not None
                self.findings.append(_fail("EXTENDS-LIMIT", origin, f"more than {MAX_LAYERS} layers to merge "
                                           "for one profile.", "extend each file once; a profile needs a product "
                                           "family, a region pack and the partner's files."))
            return None
        tree = self.open(path, origin)
        if tree is None:
            return None
        parents = self.extends_of(tree, rel)
        if parents is None:
            return None
        result: TNode | None = None
        failed = False
        for target, where in parents:
            if os.path.isabs(target):
                self.findings.append(_fail("EXTENDS-ESCAPE", where, f"'{target}' is an absolute path.",
                                           "use a path relative to this file, inside the workspace."))
                failed = True
                continue
            parent = self.resolve(Path(os.path.normpath(path.parent / target)), where, (*stack, real))
            if parent is None:
                failed = True
                continue
            result = merge(result, _without_extends(parent), "", self.strategies)
        if failed:
            return None
        self.files.append(rel)
        merged = merge(result, tree, "", self.strategies)
        assert isinstance(merged, MapNode)
        return merged


def _without_extends(tree: MapNode) -> MapNode:
    if "extends" not in tree.items:
        return tree
    items = {k: v for k, v in tree.items.items() if k != "extends"}
    return MapNode(items, tree.origin, tree.key_origins, tree.overridden)


def resolve(ws: Workspace, path: Path) -> Resolved:
    """Resolve one profile file; problems become findings on the returned object."""
    rel = ws.rel(path)
    resolver = _Resolver(ws)
    tree = resolver.resolve(path, None, ())
    return Resolved(path=rel, tree=tree if not resolver.findings else None, files=resolver.files,
                    findings=resolver.findings, inputs_sha256=inputs_digest(resolver.digests))


def asset_path(ws: Workspace, resolved: Resolved, key: str) -> Path | None:
    """The file a path-valued key names (e.g. ``branding.logo``), relative to the file that set it.

    None when the key is unset or the path leaves the workspace (symlinks followed). The bundle's
    inputs and the report page both read the logo through here, so they always agree on the file.
    """
    node = resolved.prov.get(key)
    value = getattr(node, "value", None)
    if node is None or not isinstance(value, str) or not value:
        return None
    path = ws.root / os.path.normpath(Path(node.origin.file).parent / value)
    return path if ws.contains(path) else None
