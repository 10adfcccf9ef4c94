"""Merge annotated trees layer by layer, keeping provenance.

Rules (fixed by the profile format): mappings merge key by key; scalars and lists of scalars are
replaced whole; a list whose strategy is ``id`` merges item by item on ``id`` and an item with
``remove: true`` drops the inherited one; ``null`` replaces (clears) an inherited value. Each
replaced value is remembered in the winner's ``overridden`` chain. Inputs are never mutated, so
cached base layers can be shared between profiles.
"""

from __future__ import annotations

from collections.abc import Mapping

from oemkit.tree import Leaf, MapNode, Override, SeqNode, TNode, to_plain

__all__ = ["merge", "schema_path"]


def schema_path(path: str, key: str | int) -> str:
    """Extend a schema path; list items are ``*`` so strategies do not depend on indices."""
    part = "*" if isinstance(key, int) else key
    return f"{path}.{part}" if path else part


def _item_id(node: TNode) -> object:
    if isinstance(node, MapNode):
        ident = node.items.get("id")
        if isinstance(ident, Leaf) and isinstance(ident.value, (int, str)) and not isinstance(ident.value, bool):
            return ident.value
    return None


def _is_removal(node: TNode) -> bool:
    if not isinstance(node, MapNode):
        return False
    flag = node.items.get("remove")
    return isinstance(flag, Leaf) and flag.value is True


def _fresh(node: TNode, spath: str, strategies: Mapping[str, str]) -> TNode:
    """A subtree with nothing below it: its ``remove: true`` items have nothing to remove, so they go.

    Without this, a removal item in a layer that introduces a list (or a section holding one)
    would survive into the resolved profile, and merging a layer onto itself would not be a no-op.
    Only maps on the way to an id-merged list are walked.
    """
    if isinstance(node, SeqNode):
        if strategies.get(spath) != "id":
            return node
        item_path = schema_path(spath, 0)
        return SeqNode([_fresh(n, item_path, strategies) for n in node.items if not _is_removal(n)],
                       node.origin, node.overridden)
    if isinstance(node, MapNode):
        prefix = f"{spath}." if spath else ""
        if not any(s == "id" and p.startswith(prefix) for p, s in strategies.items()):
            return node
        items = {k: _fresh(v, schema_path(spath, k), strategies) for k, v in node.items.items()}
        return MapNode(items, node.origin, node.key_origins, node.overridden)
    return node


def _replace(base: TNode | None, over: TNode) -> TNode:
    if base is None:
        return over
    chain = (Override(base.origin, to_plain(base)), *base.overridden)
    if isinstance(over, Leaf):
        return Leaf(over.value, over.origin, chain)
    if isinstance(over, SeqNode):
        return SeqNode(over.items, over.origin, chain)
    return MapNode(over.items, over.origin, over.key_origins, chain)


def _merge_by_id(base: SeqNode, over: SeqNode, spath: str, strategies: Mapping[str, str]) -> SeqNode:
    items: list[TNode] = list(base.items)
    index = {ident: i for i, n in enumerate(items) if (ident := _item_id(n)) is not None}
    removed: set[int] = set()
    item_path = schema_path(spath, 0)
    for node in over.items:
        ident = _item_id(node)
        if ident is not None and _is_removal(node):
            if ident in index:
                removed.add(index[ident])
            continue
        if ident is not None and ident in index:
            items[index[ident]] = merge(items[index[ident]], node, item_path, strategies)
        else:
            if ident is not None:
                index[ident] = len(items)
            items.append(_fresh(node, item_path, strategies))
    kept = [n for i, n in enumerate(items) if i not in removed and not _is_removal(n)]
    return SeqNode(kept, over.origin, base.overridden)


def merge(base: TNode | None, over: TNode, spath: str, strategies: Mapping[str, str]) -> TNode:
    """Merge ``over`` onto ``base`` at schema path ``spath`` and return a new tree."""
    if isinstance(over, Leaf):  # most calls: a scalar replaces (``_fresh`` keeps a leaf as it is)
        return _replace(base, over)
    if isinstance(over, MapNode) and isinstance(base, MapNode):
        items = dict(base.items)
        key_origins = dict(base.key_origins)
        prefix = f"{spath}." if spath else ""  # schema_path for a mapping's (string) keys
        for key, node in over.items.items():
            items[key] = merge(items.get(key), node, prefix + key, strategies)
            key_origins[key] = over.key_origins.get(key, node.origin)
        return MapNode(items, over.origin, key_origins, base.overridden)
    if isinstance(over, SeqNode) and isinstance(base, SeqNode) and strategies.get(spath) == "id":
        return _merge_by_id(base, over, spath, strategies)
    return _replace(base, _fresh(over, spath, strategies))
