"""Firmware parameters -> flat, typed entries: one per value, shared by the C header, the Kconfig tree and fragment.

Each leaf of the firmware document (``oemkit.split.split``) becomes an :class:`Entry` named after its
dotted path (``charging.max_current_a`` -> ``OEM_CHARGING_MAX_CURRENT_A``); lists of scalars add a
``_COUNT`` entry and one entry per item; lists of mappings recurse with the index
(``OEM_HARDWARE_CONNECTORS_0_ID``). Literals are escaped here, once, with :mod:`oemkit.escape`, so a
template only places them. ``origin`` is the ``file:line`` that set the value (``resolved.prov``),
or ``model default``.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from oemkit.escape import UnrepresentableText, c_string, comment_text, kconfig_string
from oemkit.fields import lookup, schema_path_of
from oemkit.render.fieldinfo import Bounds, bounds_of

if TYPE_CHECKING:
    from oemkit.tree import TNode

__all__ = ["Entry", "Kind", "firmware_entries", "origin_of"]

Kind = Literal["bool", "int", "float", "string", "color", "unset"]
_INT_MAX = 2**31 - 1
_NAME_RE = re.compile(r"[^A-Z0-9]+")


@dataclass(frozen=True, slots=True)
class Entry:
    """One firmware value with its literals for every firmware syntax."""

    path: str
    name: str
    kind: Kind
    value: Any
    origin: str
    help: str
    c_literal: str | None
    kconfig_type: str | None
    kconfig_value: str | None
    kconfig_range: tuple[str, str] | None

    @property
    def prompt(self) -> str:
        """The Kconfig prompt: the profile path (letters, digits, dots and underscores only)."""
        return self.path


def origin_of(prov: dict[str, TNode], path: str) -> str:
    """``file:line`` that set the value at ``path`` (a list item: its own or its list's), comment-safe."""
    node = prov.get(path)
    if node is None and "." in path and path.rsplit(".", 1)[1].isdigit():
        node = prov.get(path.rsplit(".", 1)[0])
    if node is None:
        return "model default"
    return _comment(node.origin.file, node.origin.line)


@functools.lru_cache(maxsize=8192)
def _comment(file: str, line: int) -> str:
    return comment_text(f"{file}:{line}")


@functools.lru_cache(maxsize=8192)
def _static(path: str) -> tuple[str, Bounds]:
    """Name and bounds of a path: the same for every profile, so computed once."""
    return "OEM_" + _NAME_RE.sub("_", path.upper()).strip("_"), bounds_of(schema_path_of(path))


@functools.lru_cache(maxsize=8192)
def _help(path: str) -> str:
    meta = lookup(path)
    if meta is not None and meta.description:
        text = meta.description
    else:
        parent = lookup(path.rsplit(".", 1)[0]) if "." in path else None
        text = f"{parent.description} (one item)" if parent is not None and parent.description else path
    return " ".join(text.split())


# Entries are immutable and most values repeat across the profiles of a portfolio (and between the
# renderer's call and the checks' call for one profile), so each distinct entry is built once: keyed
# by path, value (with its type: True is not 1) and the origin node's position, the inputs of the
# entry's fields. Floats are not cached: -0.0 == 0.0 but they are written differently.
_CACHE_MAX = 1 << 14  # a few thousand distinct entries for a portfolio of hundreds of profiles
_cache: dict[tuple[Any, ...], Entry] = {}
_CACHEABLE = frozenset({str, int, bool, type(None)})


def _entry(path: str, value: Any, origin: str, help_text: str) -> Entry:
    try:
        return _make(path, value, origin, help_text)
    except UnrepresentableText as exc:
        exc.path = path  # the renderer turns it into a finding at this path
        raise


def _node(prov: dict[str, TNode], path: str) -> TNode | None:
    """The provenance node of ``path`` (a list item without its own: its list's), as :func:`origin_of` finds it."""
    node = prov.get(path)
    if node is None and "." in path and path.rsplit(".", 1)[1].isdigit():
        node = prov.get(path.rsplit(".", 1)[0])
    return node


def _origin_text(node: TNode | None) -> str:
    return "model default" if node is None else _comment(node.origin.file, node.origin.line)


def _value_entry(path: str, value: Any, prov: dict[str, TNode]) -> Entry:
    """The entry of a leaf or a list item (help text from the model)."""
    node = prov.get(path) if prov else None
    if node is None and prov:
        node = _node(prov, path)  # a list item without a node of its own: its list's
    kind = type(value)
    if kind not in _CACHEABLE:
        return _entry(path, value, _origin_text(node), _help(path))
    # The whole origin (its column too) keys the cache: no slice to build, and an entry made for
    # another column of the same line is equal anyway.
    key = (path, kind, value, None if node is None else node.origin)
    hit = _cache.get(key)
    if hit is None:
        hit = _entry(path, value, _origin_text(node), _help(path))
        if len(_cache) >= _CACHE_MAX:
            _cache.clear()
        _cache[key] = hit
    return hit


def _count_entry(path: str, count: int, prov: dict[str, TNode]) -> Entry:
    """The ``<list>.count`` entry of the list at ``path``."""
    node = _node(prov, path) if prov else None
    key = ("count", path, count, None if node is None else node.origin[:2])
    hit = _cache.get(key)
    if hit is None:
        hit = _entry(f"{path}.count", count, _origin_text(node), f"Number of items in {path}.")
        if len(_cache) >= _CACHE_MAX:
            _cache.clear()
        _cache[key] = hit
    return hit


def _make(path: str, value: Any, origin: str, help_text: str) -> Entry:
    name, bounds = _static(path)
    if value is None:
        return Entry(path, name, "unset", None, origin, help_text, None, None, None, None)
    if isinstance(value, bool):
        return Entry(path, name, "bool", value, origin, help_text, "true" if value else "false", "bool",
                     "y" if value else "n", None)
    if isinstance(value, int):
        low = bounds.low if bounds.low is not None else -_INT_MAX - 1
        high = bounds.high if bounds.high is not None else _INT_MAX
        rng = (str(low), str(high)) if bounds.low is not None or bounds.high is not None else None
        return Entry(path, name, "int", value, origin, help_text, f"INT32_C({value})", "int", str(value), rng)
    if isinstance(value, float):
        text = repr(value)
        return Entry(path, name, "float", value, origin, help_text, text, "string", kconfig_string(text), None)
    if isinstance(value, str) and bounds.color:
        rgb = value[1:].upper()
        return Entry(path, name, "color", value, origin, help_text, f"UINT32_C(0x{rgb})", "hex", f"0x{rgb}",
                     ("0x0", "0xFFFFFF"))
    if isinstance(value, str):
        return Entry(path, name, "string", value, origin, help_text, c_string(value), "string",
                     kconfig_string(value), None)
    raise TypeError(f"{path}: no firmware literal for {type(value).__name__}")


def _walk(value: Any, path: str, prov: dict[str, TNode], out: list[Entry]) -> None:
    if isinstance(value, dict):
        for key, sub in value.items():
            sub_path = f"{path}.{key}" if path else key
            kind = type(sub)
            if kind in _CACHEABLE:  # a plain leaf: no call of its own
                out.append(_value_entry(sub_path, sub, prov))
            else:
                _walk(sub, sub_path, prov, out)
        return
    if isinstance(value, list):
        out.append(_count_entry(path, len(value), prov))
        if value and all(isinstance(v, dict) for v in value):
            for i, item in enumerate(value):
                _walk(item, f"{path}.{i}", prov, out)
            return
        for i, item in enumerate(value):
            out.append(_value_entry(f"{path}.{i}", item, prov))
        return
    out.append(_value_entry(path, value, prov))


def firmware_entries(firmware: dict[str, Any], prov: dict[str, TNode]) -> list[Entry]:
    """Every value of the firmware document, in document order."""
    out: list[Entry] = []
    _walk(firmware, "", prov, out)
    if len({e.name for e in out}) != len(out):  # e.g. a.b_c and a_b.c; the model must not allow it
        dups = sorted(name for name, n in Counter(e.name for e in out).items() if n > 1)
        raise ValueError(f"several firmware values map to the C/Kconfig names {dups}; rename one in the model")
    return out
