"""Constrained types and the field helper that attaches layer, impact and merge strategy.

Every leaf of the profile model is declared through :func:`leaf`, so the exported JSON Schema
carries ``x-oemkit-layer`` and ``x-oemkit-impact`` and the split (:mod:`oemkit.split`) needs no
second, hand-kept list.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Field, StringConstraints, WithJsonSchema

__all__ = [
    "IMPACTS",
    "LAYERS",
    "STRICT",
    "Color",
    "CountryCode",
    "HHMMWindow",
    "Impact",
    "Layer",
    "Money",
    "Slug",
    "leaf",
    "node",
]

Layer = Literal["firmware", "software", "meta"]
Impact = Literal["hot", "reboot", "reflash", "recertify"]
LAYERS: tuple[str, ...] = ("firmware", "software")
#: Ordered from cheapest to most expensive change.
IMPACTS: tuple[str, ...] = ("hot", "reboot", "reflash", "recertify")

#: Every profile model: unknown keys fail loudly; no silent coercion ("yes" is not a bool, "32" not an int).
STRICT = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,47}$")]
Color = Annotated[str, StringConstraints(pattern=r"^#[0-9A-Fa-f]{6}$")]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
HHMMWindow = Annotated[
    str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$")
]


def _to_decimal(value: Any) -> Any:
    """Prices are decimals; accept "0.45" (preferred, exact) and plain numbers."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (str, int, float)):
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return value
    return value


# The JSON Schema is spelled out: pydantic's own rendering of Decimal changes between releases, and the
# committed schemas must not go stale with a dependency update.
_MONEY_SCHEMA = {"anyOf": [
    {"type": "number", "minimum": 0, "maximum": 1000},
    {"type": "string", "pattern": r"^[0-9]{1,4}(\.[0-9]{1,4})?$"},
]}
Money = Annotated[Decimal, BeforeValidator(_to_decimal),
                  Field(ge=0, le=1000, decimal_places=4, allow_inf_nan=False), WithJsonSchema(_MONEY_SCHEMA)]


def leaf(description: str, layer: Layer, impact: Impact, default: Any = ..., **kw: Any) -> Any:
    """A leaf field: description, layer and change impact are mandatory."""
    extra: dict[str, Any] = {"x-oemkit-layer": layer, "x-oemkit-impact": impact}
    if "merge" in kw:
        extra["x-oemkit-merge"] = kw.pop("merge")
    if "default_factory" in kw:
        return Field(description=description, json_schema_extra=extra, **kw)
    return Field(default, description=description, json_schema_extra=extra, **kw)


def node(description: str, default: Any = ..., *, merge: str | None = None, **kw: Any) -> Any:
    """A section (mapping or list of mappings); its leaves carry layer and impact."""
    extra: dict[str, Any] = {}
    if merge:
        extra["x-oemkit-merge"] = merge
    if "default_factory" in kw:
        return Field(description=description, json_schema_extra=extra or None, **kw)
    return Field(default, description=description, json_schema_extra=extra or None, **kw)
