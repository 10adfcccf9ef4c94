"""Files -> resolved document: ``extends`` chains merged into one tree with provenance.

``extends`` paths are relative to the file that declares them and resolved depth-first, left to
right, the file itself last. Missing files, cycles, non-regular files, paths (or symlinks) that
leave the workspace and chains longer than :data:`MAX_EXTENDS_DEPTH` are findings.

Two bounded per-process caches keyed by content (so an edited file is never served stale): parsed
files by (workspace-relative name, sha256 of the bytes), and merged chains by the names and sha256s
of every file in them (:data:`_ChainKey`). Every file is still located, checked and read on each
call, so findings never come from a cache (except in a build, whose Workspace is ``frozen_files``:
it reads each file once, see :attr:`Workspace.file_memo`); what is saved is parsing and merging, and the
provenance table and rule tables derived from a merged profile (:meth:`Resolved.derived`) once per
content, e.g. when HYG-ALWAYS-OVERRIDDEN indexes a profile's siblings and they are checked later.
"""

from __future__ import annotations

import functools
import hashlib
import os
import stat
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

from oemkit.digest import inputs_digest
from oemkit.errors import Finding
from oemkit.fields import merge_strategies
from oemkit.merge import merge, schema_path
from oemkit.tree import Leaf, MapNode, Origin, SeqNode, TNode, plain_and_provenance, to_plain
from oemkit.workspace import Workspace, read_head
from oemkit.yamlio import MAX_FILE_BYTES, LoadFailure, parse_bytes

__all__ = [
    "MAX_EXTENDS_DEPTH", "MAX_LAYERS", "Resolved", "asset_path", "check_ids", "clear_cache", "resolve", "role_of",
]

MAX_EXTENDS_DEPTH = 16
#: Layer visits per profile: a diamond of files that each extend the next many times would
#: otherwise take exponential time (16 hops x 20 parents = 20**16 merges).
MAX_LAYERS = 64
_SRC = "oemkit profile format: extends"
_CACHE_SIZE = 256
#: Merged chains (and parent folds) kept. A partner folder's variants are resolved together by
#: HYG-ALWAYS-OVERRIDDEN shortly before they are checked one by one, so a folder's worth is enough;
#: more only gives the garbage collector more to walk (a folder larger than this merges twice).
_MERGED_SIZE = 64

_T = TypeVar("_T")


class _Merged:
    """A merged chain, shared by every :class:`Resolved` of the same content, and what is derived from it."""

    __slots__ = ("derived", "prov", "tree")

    def __init__(self, tree: MapNode) -> None:
        self.tree = tree
        self.prov: dict[str, TNode] | None = None
        self.derived: dict[Callable[..., Any], Any] = {}


#: Identity of a merged chain: a file's workspace-relative name, its sha256 and its parents' keys in
#: ``extends`` order. The merged tree is a function of these alone (the strategies are the model's).
_ChainKey = tuple[str, str, tuple[Any, ...]]


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
    _shared: _Merged | None = field(default=None, repr=False, compare=False)
    _derived: dict[Callable[..., Any], Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.tree is not None

    @property
    def data(self) -> dict[str, Any]:
        """Plain resolved data (computed once)."""
        if self._data is None:
            self._walk()
        return self._data  # type: ignore[no-any-return]

    @property
    def prov(self) -> dict[str, TNode]:
        """Dotted path -> node with origin and overridden chain (shared by every Resolved of the same files)."""
        if self._prov is None:
            self._walk()
        assert self._prov is not None
        return self._prov

    def _walk(self) -> None:
        """Fill in :attr:`data` and :attr:`prov`: one walk of the tree for both, as a check reads both."""
        shared = self._shared
        if self.tree is None:
            data: Any = {}
            prov: dict[str, TNode] = {}
        elif shared is not None and shared.prov is not None:
            data, prov = (to_plain(self.tree) if self._data is None else self._data), shared.prov
        else:
            data, prov = plain_and_provenance(self.tree)
            if shared is not None:
                shared.prov = prov
        if self._data is None:
            self._data = data
        self._prov = prov

    def derived(self, compute: Callable[[Resolved], _T]) -> _T:
        """``compute(self)``, computed once per content (shared with every Resolved of the same files).

        For tables that are a function of the resolved profile alone (the rules' per-leaf tables);
        the result is shared, so callers must not change it.
        """
        store = self._shared.derived if self._shared is not None else self._derived
        if compute not in store:
            store[compute] = compute(self)
        return cast(_T, store[compute])

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


@functools.lru_cache(maxsize=4096)
def role_of(file: str) -> str:
    """Who owns a file, from where it lives: ``product``, ``region``, ``partner`` or ``other``."""
    parts = file.split("/")
    if len(parts) >= 2 and parts[0] == "profiles":
        return {"products": "product", "regions": "region", "partners": "partner"}.get(parts[1], "other")
    return "other"


_cache: OrderedDict[tuple[str, str], MapNode | LoadFailure] = OrderedDict()
_merged: OrderedDict[_ChainKey, _Merged] = OrderedDict()
#: Parents merged in order, by their keys: variants extending the same product family and region
#: pack (and partner file) share the first merges of their fold.
_folds: OrderedDict[tuple[_ChainKey, ...], TNode] = OrderedDict()


def clear_cache() -> None:
    """Forget parsed files and merged chains (tests, long-running processes)."""
    _cache.clear()
    _merged.clear()
    _folds.clear()


def _remember(cache: OrderedDict[Any, Any], key: Any, value: Any) -> None:
    cache[key] = value
    if len(cache) > _MERGED_SIZE:
        cache.popitem(last=False)


def _fail(rule: str, origin: Origin, message: str, hint: str, path: str = "extends") -> Finding:
    return Finding(rule=rule, severity="error", file=origin.file, line=origin.line, column=origin.column,
                   path=path, message=message, hint=hint, source=_SRC)


def _parse_file(path: str, rel: str, size: int) -> tuple[MapNode | LoadFailure, str]:
    # Always read: hashing a profile costs microseconds, and the bytes (not the mtime) are the key.
    data = read_head(path, MAX_FILE_BYTES + 1, size + 1)
    digest = hashlib.sha256(data).hexdigest()
    key = (rel, digest)  # the name too: origins in the tree carry it
    hit = _cache.get(key)
    if hit is not None:
        _cache.move_to_end(key)
        return hit, digest
    result: MapNode | LoadFailure
    try:
        tree = parse_bytes(data, rel)
        assert isinstance(tree, MapNode)
        check_ids(tree)
        result = tree
    except LoadFailure as exc:
        result = exc
    _cache[key] = result
    if len(_cache) > _CACHE_SIZE:
        _cache.popitem(last=False)
    return result, digest


def check_ids(node: TNode, spath: str = "", strategies: dict[str, str] | None = None) -> None:
    """Refuse what keyed list merge cannot handle: an item without an ``id``, or two with the same one.

    Either would make merging order-dependent (an id-less item is appended by every layer that
    repeats it; of two equal ids one silently wins). Raises :class:`~oemkit.yamlio.LoadFailure`;
    run on every parsed file.
    """
    if strategies is None:
        strategies = merge_strategies()
    _check_ids(node, spath, strategies, _toward_keyed(frozenset(p for p, s in strategies.items() if s == "id")))


@functools.lru_cache(maxsize=16)
def _toward_keyed(keyed: frozenset[str]) -> frozenset[str]:
    """Schema paths at or above a list merged on id (and ``""``, whose keys start afresh): elsewhere
    :func:`check_ids` can find nothing, so it does not walk there."""
    out = {""}
    for path in keyed:
        parts = path.split(".")
        out.update(".".join(parts[: i + 1]) for i in range(len(parts)))
    return frozenset(out)


def _check_ids(node: TNode, spath: str, strategies: dict[str, str], toward: frozenset[str]) -> None:
    if isinstance(node, MapNode):
        for key, sub in node.items.items():
            child = schema_path(spath, key)
            if child in toward:
                _check_ids(sub, child, strategies, toward)
    elif isinstance(node, SeqNode):
        item_path = schema_path(spath, 0)
        keyed = strategies.get(spath) == "id"
        descend = item_path in toward
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
            if descend:
                _check_ids(item, item_path, strategies, toward)


def _id_failure(rule: str, origin: Origin, path: str, message: str, hint: str) -> LoadFailure:
    return LoadFailure(Finding(rule=rule, severity="error", file=origin.file, line=origin.line,
                               column=origin.column, path=path, message=message, hint=hint,
                               source="oemkit profile format: keyed list merge on id"))


#: Files one build keeps read (the shared product and region layers stay; partner files pass through).
_FILE_MEMO_SIZE = 256


class _Resolver:
    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.files: list[str] = []
        self.digests: dict[str, str] = {}
        self.findings: list[Finding] = []
        self.strategies = merge_strategies()
        self.layers = 0

    def open(self, path: str, rel: str, real: str, lst: os.stat_result | None,
             origin: Origin | None) -> tuple[MapNode, str] | None:
        """The parsed file and its sha256, or None with a finding. ``lst``: its lstat if not a symlink."""
        memo = self.ws.file_memo
        memo_key = (rel, real)  # a tree names its file: a link and its target are parsed apart
        if memo is not None and memo_key in memo:  # read before in this run (its checks passed then)
            memo.move_to_end(memo_key)
            tree, digest = memo[memo_key]
            self.digests[rel] = digest
            return tree, digest
        where = origin or Origin(rel, 1, 1)
        key = "extends" if origin is not None else ""
        if not self.ws.contains_real(real):
            self.findings.append(_fail("EXTENDS-ESCAPE", where, f"'{rel}' is outside the workspace "
                                       f"({self.ws.root}).", "extend only files under profiles/; copy a shared "
                                       "file into the workspace instead of linking to it.", key))
            return None
        try:
            st = lst if lst is not None else os.stat(path)
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
            tree, digest = _parse_file(path, rel, st.st_size)
        except OSError as exc:
            self.findings.append(_fail("EXTENDS-UNREADABLE", where, f"'{rel}' cannot be read: {exc.strerror}.",
                                       "fix the file's permissions.", key))
            return None
        self.digests[rel] = digest
        if isinstance(tree, LoadFailure):
            self.findings.append(tree.finding)
            return None
        if memo is not None:
            memo[memo_key] = (tree, digest)
            if len(memo) > _FILE_MEMO_SIZE:
                memo.popitem(last=False)
        return tree, digest

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

    def resolve(self, path: str, origin: Origin | None, stack: tuple[str, ...]) -> tuple[_ChainKey, _Merged] | None:
        """The merged chain of ``path`` (normalised), or None with findings.

        Every file is located and read each time (so findings are always fresh); only the merge is
        taken from :data:`_merged` when the chain's names and contents are unchanged.
        """
        # A build locates each shared layer once (a profile itself is resolved once a run; relative
        # paths depend on the current folder).
        located = self.ws.located if origin is not None and os.path.isabs(path) else None
        known = located.get(path) if located is not None else None
        lst: os.stat_result | None = None
        if known is not None:
            rel, real = known  # no lstat: open() finds the file in the memo (else it stats it)
        else:
            rel = self.ws.rel(path)
            real, lst = self.ws.real_stat(path)
        if real in stack:
            chain = " -> ".join([self.ws.rel(p) for p in (*stack[stack.index(real):], real)])
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
        opened = self.open(path, rel, real, lst, origin)
        if opened is None:
            return None
        if located is not None:
            located[path] = (rel, real)
        tree, digest = opened
        targets = self.extends_of(tree, rel)
        if targets is None:
            return None
        parents: list[tuple[_ChainKey, _Merged]] = []
        failed = False
        folder = os.path.dirname(path)
        for target, where in targets:
            if os.path.isabs(target):
                self.findings.append(_fail("EXTENDS-ESCAPE", where, f"'{target}' is an absolute path.",
                                           "use a path relative to this file, inside the workspace."))
                failed = True
                continue
            parent = self.resolve(os.path.normpath(os.path.join(folder, target)), where, (*stack, real))
            if parent is None:
                failed = True
                continue
            parents.append(parent)
        if failed:
            return None
        self.files.append(rel)
        key: _ChainKey = (rel, digest, tuple(k for k, _ in parents))
        hit = _merged.get(key)
        if hit is not None:
            _merged.move_to_end(key)
            return key, hit
        merged = merge(self.fold(parents), tree, "", self.strategies)
        assert isinstance(merged, MapNode)
        entry = _Merged(merged)
        _remember(_merged, key, entry)
        return key, entry

    def fold(self, parents: list[tuple[_ChainKey, _Merged]]) -> TNode | None:
        """The parents merged left to right, resuming from the longest fold already made."""
        keys = tuple(k for k, _ in parents)
        start, result = 0, None
        for n in range(len(keys), 0, -1):
            hit = _folds.get(keys[:n])
            if hit is not None:
                _folds.move_to_end(keys[:n])
                start, result = n, hit
                break
        for n in range(start, len(parents)):
            result = merge(result, _without_extends(parents[n][1].tree), "", self.strategies)
            _remember(_folds, keys[: n + 1], result)
        return result


def _without_extends(tree: MapNode) -> MapNode:
    if "extends" not in tree.items:
        return tree
    items = {k: v for k, v in tree.items.items() if k != "extends"}
    return MapNode(items, tree.origin, tree.key_origins, tree.overridden)


def resolve(ws: Workspace, path: Path) -> Resolved:
    """Resolve one profile file; problems become findings on the returned object."""
    rel = ws.rel(path)
    resolver = _Resolver(ws)
    top = resolver.resolve(os.fspath(path), None, ())
    shared = top[1] if top is not None and not resolver.findings else None
    return Resolved(path=rel, tree=shared.tree if shared is not None else None, files=resolver.files,
                    findings=resolver.findings, inputs_sha256=inputs_digest(resolver.digests), _shared=shared)


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
