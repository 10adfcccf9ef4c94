"""Validated profile -> (firmware parameters, software configuration), driven by the model's layer annotations.

Pure: no I/O. Each leaf goes to the document of its ``x-oemkit-layer`` at the same dotted path it
has in the profile (``charging.max_current_a`` -> ``firmware["charging"]["max_current_a"]``); a list of
mappings goes whole to the layer of its leaves. ``meta`` keys (schema_version, extends, variant) go to
neither. Secrets stay references (``{"secret": NAME}``); they are software and never reach firmware.
"""

from __future__ import annotations

from typing import Any

from oemkit.fields import field_index, schema_path_of
from oemkit.model import Profile

__all__ = ["layer_of", "split", "split_data"]


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


def _walk(value: Any, path: str, fw: dict[str, Any], sw: dict[str, Any]) -> None:
    meta = field_index().get(schema_path_of(path)) if path else None
    if isinstance(value, dict) and (meta is None or not meta.is_leaf) and not (
        meta is not None and meta.path.endswith("basic_auth_password")
    ):
        for key, sub in value.items():
            _walk(sub, f"{path}.{key}" if path else key, fw, sw)
        return
    layer = layer_of(path)
    if layer == "meta":
        return
    target = fw if layer == "firmware" else sw
    parts = path.split(".")
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value


def split_data(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split plain validated data (``Profile.model_dump(mode="json")``)."""
    fw: dict[str, Any] = {}
    sw: dict[str, Any] = {}
    _walk(data, "", fw, sw)
    return fw, sw


def split(profile: Profile) -> tuple[dict[str, Any], dict[str, Any]]:
    """The firmware parameters and the software configuration of a profile (JSON-ready dicts)."""
    return split_data(profile.model_dump(mode="json"))
