"""What the model says about one firmware leaf that a C header or a Kconfig tree needs: kind and bounds.

Read from the pydantic model (the single source of truth), never from a second list: a leaf's
``ge``/``le`` become the Kconfig ``range``, a ``#RRGGBB`` pattern makes it a colour, a ``Literal`` of
integers gives its smallest and largest value. Neighbours: :mod:`oemkit.fields` (layer, impact,
description) and :mod:`oemkit.render.entries` (which turns values into entries).
"""

from __future__ import annotations

import functools
import types
import typing
from dataclasses import dataclass
from typing import Any

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from oemkit.model import Profile

__all__ = ["Bounds", "bounds_of"]

_COLOR_PATTERN = "^#[0-9A-Fa-f]{6}$"


@dataclass(frozen=True, slots=True)
class Bounds:
    """Kind hints and numeric bounds of one leaf (``None`` where the model sets none)."""

    low: int | None = None
    high: int | None = None
    color: bool = False


def _strip_optional(annotation: Any) -> Any:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation


def _field(schema_path: str) -> tuple[FieldInfo | None, Any]:
    """The field at ``a.b.*.c`` and, for ``*`` of a list of scalars, the item annotation."""
    model: type[BaseModel] = Profile
    info: FieldInfo | None = None
    annotation: Any = None
    for part in schema_path.split("."):
        if part == "*":
            args = typing.get_args(_strip_optional(annotation))
            annotation = args[0] if args else None
            info = None
        else:
            info = model.model_fields.get(part)
            if info is None:
                return None, None
            annotation = info.annotation
        inner = _strip_optional(annotation)
        if typing.get_origin(inner) is list:
            item = typing.get_args(inner)[0]
            if isinstance(item, type) and issubclass(item, BaseModel):
                model = item
        elif isinstance(inner, type) and issubclass(inner, BaseModel):
            model = inner
    return info, annotation


@functools.cache
def bounds_of(schema_path: str) -> Bounds:
    """Bounds of the leaf (or list item, ``...*``) at a schema path."""
    info, annotation = _field(schema_path)
    low: int | None = None
    high: int | None = None
    color = False
    for meta in info.metadata if info is not None else ():
        if isinstance(meta, annotated_types.Ge) and isinstance(meta.ge, int):
            low = meta.ge
        elif isinstance(meta, annotated_types.Gt) and isinstance(meta.gt, int):
            low = meta.gt + 1
        elif isinstance(meta, annotated_types.Le) and isinstance(meta.le, int):
            high = meta.le
        elif isinstance(meta, annotated_types.Lt) and isinstance(meta.lt, int):
            high = meta.lt - 1
        elif getattr(meta, "pattern", None) == _COLOR_PATTERN:
            color = True
    literal = _strip_optional(annotation)
    if typing.get_origin(literal) is typing.Literal:
        values = typing.get_args(literal)
        if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            low, high = min(values), max(values)
    return Bounds(low, high, color)
