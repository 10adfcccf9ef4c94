"""Resolved values with provenance: value, layer, impact, the file:line that set it, what it overrode."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from oemkit.errors import UsageError
from oemkit.fields import lookup
from oemkit.loader import Resolved
from oemkit.tree import Leaf, MapNode, SeqNode, TNode, to_plain

__all__ = ["Explained", "explain"]


@dataclass(frozen=True)
class Explained:
    """One resolved leaf."""

    path: str
    value: Any
    layer: str
    impact: str
    file: str
    line: int
    column: int
    overridden: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "value": self.value, "layer": self.layer, "impact": self.impact,
                "file": self.file, "line": self.line, "column": self.column, "overridden": self.overridden}


def _leaves(node: TNode, path: str) -> list[tuple[str, TNode]]:
    meta = lookup(path) if path else None
    if isinstance(node, Leaf) or (meta is not None and meta.is_leaf):
        return [(path, node)]
    out: list[tuple[str, TNode]] = []
    if isinstance(node, MapNode):
        for key, child in node.items.items():
            out.extend(_leaves(child, f"{path}.{key}" if path else key))
    elif isinstance(node, SeqNode):
        for i, child in enumerate(node.items):
            out.extend(_leaves(child, f"{path}.{i}" if path else str(i)))
    return out


def _one(path: str, node: TNode) -> Explained:
    meta = lookup(path)
    return Explained(
        path=path, value=to_plain(node), layer=meta.layer if meta else "unknown",
        impact=meta.impact if meta else "unknown", file=node.origin.file, line=node.origin.line,
        column=node.origin.column,
        overridden=[{"file": o.origin.file, "line": o.origin.line, "column": o.origin.column, "value": o.value}
                    for o in node.overridden],
    )


def explain(resolved: Resolved, key: str | None = None) -> list[Explained]:
    """Every leaf under ``key`` (the whole profile when None)."""
    assert resolved.tree is not None
    prov = resolved.prov
    if key:
        key = key.strip(".")
        if key not in prov:
            options = [p for p in prov if p]
            close = difflib.get_close_matches(key, options, n=3, cutoff=0.6)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            raise UsageError(f"'{key}' is not set in {resolved.path}.{hint} Run 'oemkit explain "
                             f"{resolved.path}' to list every key.")
        return [_one(p, n) for p, n in _leaves(prov[key], key)]
    return [_one(p, n) for p, n in _leaves(resolved.tree, "")]
