"""The annotated tree: profile values that remember where they were written.

Each node carries its :class:`Origin` (file, line, column) and, after merging, the chain of
definitions it overrode. Plain data for validation comes from :func:`to_plain`; the provenance
table for ``explain`` and findings comes from :func:`provenance`; a resolved profile needs both and
takes them from one walk (:func:`plain_and_provenance`).
"""

from __future__ import annotations

from typing import Any, NamedTuple

__all__ = ["Leaf", "MapNode", "Origin", "Override", "SeqNode", "TNode", "plain_and_provenance", "provenance",
           "to_plain"]


class Origin(NamedTuple):
    """Where a value was written: workspace-relative file, 1-based line and column."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class Override(NamedTuple):
    """An earlier definition that a later layer replaced."""

    origin: Origin
    value: Any


class Leaf:
    """A scalar value (or a list of scalars after replacement)."""

    __slots__ = ("origin", "overridden", "value")

    def __init__(self, value: Any, origin: Origin, overridden: tuple[Override, ...] = ()) -> None:
        self.value = value
        self.origin = origin
        self.overridden = overridden


class SeqNode:
    """A list; merged whole or item by item on ``id`` depending on the field's strategy."""

    __slots__ = ("items", "origin", "overridden")

    def __init__(self, items: list[TNode], origin: Origin, overridden: tuple[Override, ...] = ()) -> None:
        self.items = items
        self.origin = origin
        self.overridden = overridden


class MapNode:
    """A mapping with the position of each key (for unknown-key findings)."""

    __slots__ = ("items", "key_origins", "origin", "overridden")

    def __init__(
        self,
        items: dict[str, TNode],
        origin: Origin,
        key_origins: dict[str, Origin] | None = None,
        overridden: tuple[Override, ...] = (),
    ) -> None:
        self.items = items
        self.origin = origin
        self.key_origins = key_origins if key_origins is not None else {}
        self.overridden = overridden


TNode = Leaf | SeqNode | MapNode


def to_plain(node: TNode) -> Any:
    """Plain Python data (dicts, lists, scalars) for validation and hashing."""
    if isinstance(node, Leaf):
        return node.value
    if isinstance(node, MapNode):
        return {k: to_plain(v) for k, v in node.items.items()}
    return [to_plain(v) for v in node.items]


def provenance(node: TNode, prefix: str = "", out: dict[str, TNode] | None = None) -> dict[str, TNode]:
    """Map every dotted path (``a.b.0.c``; ``""`` for the root) to its node, depth first."""
    if out is None:
        out = {}
    _fill(node, prefix, out)
    return out


def _fill(node: TNode, path: str, out: dict[str, TNode]) -> None:
    # Once per profile on every node: leaves are stored without a call of their own.
    out[path] = node
    if isinstance(node, Leaf):
        return
    base = f"{path}." if path else ""
    pairs = node.items.items() if isinstance(node, MapNode) else enumerate(node.items)
    for key, child in pairs:
        if isinstance(child, Leaf):
            out[f"{base}{key}"] = child
        else:
            _fill(child, f"{base}{key}", out)


def plain_and_provenance(node: TNode) -> tuple[Any, dict[str, TNode]]:
    """``(to_plain(node), provenance(node))`` from one walk of the tree (a check needs both of every profile)."""
    out: dict[str, TNode] = {}
    return _both(node, "", out), out


def _both(node: TNode, path: str, out: dict[str, TNode]) -> Any:
    # As _fill, in the same order, building the plain value on the way.
    out[path] = node
    if isinstance(node, Leaf):
        return node.value
    base = f"{path}." if path else ""
    if isinstance(node, MapNode):
        data: dict[str, Any] = {}
        for key, child in node.items.items():
            if isinstance(child, Leaf):
                out[base + key] = child
                data[key] = child.value
            else:
                data[key] = _both(child, base + key, out)
        return data
    items: list[Any] = []
    for i, child in enumerate(node.items):
        if isinstance(child, Leaf):
            out[f"{base}{i}"] = child
            items.append(child.value)
        else:
            items.append(_both(child, f"{base}{i}", out))
    return items
