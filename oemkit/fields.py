"""An index of the profile model: every leaf with its layer, impact and merge strategy.

Built once from the pydantic model (never a second hand-kept list), keyed by schema path with
``*`` for list items (``hardware.connectors.*.max_current_a``). The merge, the split, ``explain``
and the findings all read it.
"""

from __future__ import annotations

import functools
import re
import types
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from oemkit.model import Profile

__all__ = ["FieldMeta", "children", "field_index", "leaf_at", "lookup", "merge_strategies", "schema_path_of"]


@dataclass(frozen=True, slots=True)
class FieldMeta:
    """What the model says about one field."""

    path: str
    layer: str
    impact: str
    description: str
    is_leaf: bool
    merge: str | None = None


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model class inside ``X | None``, ``list[X]`` or ``X`` (None for scalars)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
        return None
    if origin is list:
        return _model_in(typing.get_args(annotation)[0])
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _is_list(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_is_list(a) for a in typing.get_args(annotation))
    return origin is list


def _walk(model: type[BaseModel], prefix: str, out: dict[str, FieldMeta], kids: dict[str, tuple[str, ...]]) -> None:
    kids[prefix] = tuple(model.model_fields)
    for name, info in model.model_fields.items():
        path = f"{prefix}.{name}" if prefix else name
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        sub = _model_in(info.annotation)
        merge = extra.get("x-oemkit-merge")
        if sub is None:
            out[path] = FieldMeta(path, str(extra["x-oemkit-layer"]), str(extra["x-oemkit-impact"]),
                                  info.description or "", True, str(merge) if merge else None)
            continue
        out[path] = FieldMeta(path, "", "", info.description or "", False, str(merge) if merge else None)
        child_prefix = f"{path}.*" if _is_list(info.annotation) else path
        if _is_list(info.annotation):
            kids[path] = ()
        _walk(sub, child_prefix, out, kids)


@functools.cache
def _index() -> tuple[dict[str, FieldMeta], dict[str, tuple[str, ...]]]:
    out: dict[str, FieldMeta] = {}
    kids: dict[str, tuple[str, ...]] = {}
    _walk(Profile, "", out, kids)
    return out, kids


def field_index() -> dict[str, FieldMeta]:
    """Every field of the model by schema path."""
    return _index()[0]


def children(schema_path: str) -> tuple[str, ...]:
    """Allowed keys of the mapping at a schema path (for "did you mean")."""
    return _index()[1].get(schema_path, ())


@functools.cache
def merge_strategies() -> dict[str, str]:
    """Schema paths of lists merged on ``id``."""
    return {p: m.merge for p, m in field_index().items() if m.merge}


_INDEX_RE = re.compile(r"(?<=\.)\d+(?=\.|$)|^\d+(?=\.|$)")


@functools.lru_cache(maxsize=65536)
def schema_path_of(path: str) -> str:
    """``hardware.connectors.0.type`` -> ``hardware.connectors.*.type``."""
    return _INDEX_RE.sub("*", path)


def lookup(path: str) -> FieldMeta | None:
    """The field at a concrete dotted path, if the model has one."""
    return field_index().get(schema_path_of(path))


@functools.lru_cache(maxsize=65536)
def leaf_at(path: str) -> FieldMeta | None:
    """The model leaf at a concrete dotted path; None for sections and unknown keys (cached per path)."""
    meta = field_index().get(schema_path_of(path))
    return meta if meta is not None and meta.is_leaf else None
