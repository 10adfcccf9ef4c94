"""Validated profile -> (firmware parameters, software configuration), driven by the model's layer annotations.

Pure: no I/O. Each leaf goes to the document of its ``x-oemkit-layer`` at the same dotted path it
has in the profile (``charging.max_current_a`` -> ``firmware["charging"]["max_current_a"]``); a list of
mappings goes whole to the layer of its leaves. ``meta`` keys (schema_version, extends, variant) go to
neither. Secrets stay references (``{"secret": NAME}``); they are software and never reach firmware.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from typing import Any

from oemkit.fields import field_index, schema_path_of
from oemkit.model import Profile

__all__ = ["SCHEMAS", "firmware_schema", "layer_of", "layer_schema", "software_schema", "split", "split_data"]


def layer_of(path: str) -> str:
    """Layer of a concrete dotted path (a list of mappings: the one layer of all its leaves)."""
    spath = schema_path_of(path)
    meta = field_index().get(spath)
    if meta is not None and meta.is_leaf:
        return meta.layer
    layers = {m.layer for p, m in field_index().items() if m.is_leaf and p.startswith(spath + ".")}
    if len(layers) != 1:
        raise ValueError(f"{path}: mixed layers {sorted(layers)}; a list must belong to one layer")
    return layers.pop()


def _layers_below(path: str) -> set[str]:
    spath = schema_path_of(path)
    return {m.layer for p, m in field_index().items() if m.is_leaf and p.startswith(spath + ".")}


def _place(doc: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    for part in parts[:-1]:
        doc = doc.setdefault(part, {})
    doc[parts[-1]] = value


def _walk(value: Any, path: str, fw: dict[str, Any], sw: dict[str, Any]) -> None:
    meta = field_index().get(schema_path_of(path)) if path else None
    is_leaf = meta is not None and meta.is_leaf
    if isinstance(value, dict) and not is_leaf:
        for key, sub in value.items():
            _walk(sub, f"{path}.{key}" if path else key, fw, sw)
        return
    # An optional section left empty (e.g. no funding program) goes to each layer with leaves in it:
    # both documents learn that it is absent and keep the same shape whatever the profile sets.
    layers = _layers_below(path) if value is None and not is_leaf else {layer_of(path)}
    for layer in layers - {"meta"}:
        _place(fw if layer == "firmware" else sw, path, value)


def split_data(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split plain validated data (``Profile.model_dump(mode="json")``)."""
    fw: dict[str, Any] = {}
    sw: dict[str, Any] = {}
    _walk(data, "", fw, sw)
    return fw, sw


def split(profile: Profile) -> tuple[dict[str, Any], dict[str, Any]]:
    """The firmware parameters and the software configuration of a profile (JSON-ready dicts).

    The same documents as ``split_data(profile.model_dump(mode="json"))``, made by pydantic's own
    serializer from include trees of each layer (several times faster than walking the dump; tests
    hold the two equal).
    """
    firmware, software = _include_trees()
    return (profile.model_dump(mode="json", include=firmware),
            profile.model_dump(mode="json", include=software))


@functools.cache
def _include_trees() -> tuple[dict[str, Any], dict[str, Any]]:
    """``model_dump`` include trees of the firmware and the software layer, from the layer annotations.

    A path's ``*`` (list items) becomes pydantic's ``__all__``; a leaf is ``True`` (included whole,
    e.g. a secret reference or a list of scalars).
    """
    trees: dict[str, dict[str, Any]] = {"firmware": {}, "software": {}}
    for meta in field_index().values():
        if not meta.is_leaf or meta.layer not in trees:
            continue
        node: Any = trees[meta.layer]
        parts = ["__all__" if part == "*" else part for part in meta.path.split(".")]
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if node is True:  # an ancestor is already included whole
                break
        else:
            node[parts[-1]] = True
    return trees["firmware"], trees["software"]


# --- JSON Schemas of the two documents -------------------------------------------------------------
# Derived from the profile schema by keeping, in every $def, only the properties that hold leaves of
# one layer: the layer annotations stay the single source of truth (no second list of fields).

_BASE = "https://oemkit.dev/schemas/"


def _refs(node: Any) -> set[str]:
    """Names of the $defs a schema fragment points at."""
    if isinstance(node, dict):
        found = {node["$ref"].rsplit("/", 1)[-1]} if isinstance(node.get("$ref"), str) else set()
        for value in node.values():
            found |= _refs(value)
        return found
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node)) if node else set()
    return set()


def _def_has_layer(defs: dict[str, Any], name: str, layer: str, seen: frozenset[str] = frozenset()) -> bool:
    if name in seen:
        return False
    return any(_prop_has_layer(defs, prop, layer, seen | {name})
               for prop in defs[name].get("properties", {}).values())


def _prop_has_layer(defs: dict[str, Any], prop: dict[str, Any], layer: str,
                    seen: frozenset[str] = frozenset()) -> bool:
    if "x-oemkit-layer" in prop:  # a leaf (possibly a list of small models, e.g. rollout waves)
        return bool(prop["x-oemkit-layer"] == layer)
    return any(_def_has_layer(defs, ref, layer, seen) for ref in _refs(prop))


def _keep_layer(schema: dict[str, Any], defs: dict[str, Any], layer: str) -> None:
    """Drop the properties without leaves of ``layer``; every kept property is required (split writes all)."""
    props = {k: v for k, v in schema.get("properties", {}).items() if _prop_has_layer(defs, v, layer)}
    schema["properties"] = props
    schema["required"] = list(props)


def layer_schema(layer: str, name: str, title: str, description: str) -> dict[str, Any]:
    """Schema of the document :func:`split` writes for ``layer``."""
    from oemkit.schema import profile_schema

    schema = profile_schema()  # a copy of its own
    defs: dict[str, Any] = schema.pop("$defs")
    original = copy.deepcopy(defs)
    _keep_layer(schema, original, layer)
    for def_schema in defs.values():
        _keep_layer(def_schema, original, layer)
    reachable: set[str] = set()
    todo = _refs(schema)
    while todo:
        ref = todo.pop()
        if ref not in reachable:
            reachable.add(ref)
            todo |= _refs(defs[ref])
    schema.update({"$id": _BASE + name, "title": title, "description": description,
                   "$defs": {k: defs[k] for k in sorted(reachable)}})
    return schema


def firmware_schema() -> dict[str, Any]:
    """Schema of ``firmware/params.json``."""
    return layer_schema("firmware", "firmware-params.schema.json", "oemkit firmware parameters",
                        "What a firmware build consumes: every leaf of the profile with x-oemkit-layer firmware "
                        "(changing one needs a reflash, some a recertification). No prices, portal colours, "
                        "backend URLs or secrets.")


def software_schema() -> dict[str, Any]:
    """Schema of ``software/config.json``."""
    return layer_schema("software", "software-config.schema.json", "oemkit software configuration",
                        "What the backend, portal and provisioning consume: every leaf with x-oemkit-layer "
                        "software (hot or reboot changes, never a reflash). Secrets stay references.")


#: File name under ``schemas/`` -> generator (picked up by :func:`oemkit.schema.all_schemas`).
SCHEMAS: dict[str, Callable[[], dict[str, Any]]] = {
    "firmware-params.schema.json": firmware_schema,
    "software-config.schema.json": software_schema,
}
