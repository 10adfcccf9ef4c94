"""Change impact between two resolved profiles: every changed leaf, its layer and impact, and the SemVer bump
of each release stream (firmware, software).

Pure: no I/O. Inputs are plain resolved profile data (``Profile.model_dump(mode="json")`` or the
``profile.resolved.json`` of a bundle); the layer and impact of each path come from the model's
annotations (:func:`oemkit.fields.field_index`). The bump policy is written down in
``docs/versioning.md``; :func:`bump_of` is its single implementation. The release pipeline calls
:func:`diff_data` and :func:`bump_version`; ``oemkit diff`` renders the result.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import semver

from oemkit.fields import field_index, merge_strategies
from oemkit.types import IMPACTS

__all__ = [
    "BUMPS",
    "COSMETIC",
    "Change",
    "DiffResult",
    "bump_of",
    "bump_version",
    "diff_data",
    "render_change",
    "render_markdown",
    "render_text",
]

Bump = Literal["none", "patch", "minor", "major"]
Kind = Literal["changed", "added", "removed"]
#: Ordered from no bump to the largest.
BUMPS: tuple[Bump, ...] = ("none", "patch", "minor", "major")
STREAMS: tuple[str, ...] = ("firmware", "software")

#: Presentation only: what a person reads or sees, not how the charger or the backend behaves.
#: A change confined to these paths is a patch of its stream (see docs/versioning.md).
COSMETIC: tuple[str, ...] = (
    "branding.brand_name",
    "branding.colors",
    "branding.logo",
    "branding.support",
    "branding.display.boot_text",
    "branding.led",
    "portal.title",
    "region.name",
)
#: The hardware the firmware targets: changing it makes the image unfit for the chargers in the field.
TARGET_PREFIX = "product."


@dataclass(frozen=True, slots=True)
class Change:
    """One changed leaf, or one added or removed item of a list merged on ``id``."""

    path: str
    old: Any
    new: Any
    layer: str
    impact: str
    kind: Kind = "changed"
    schema_path: str = ""

    @property
    def cosmetic(self) -> bool:
        """True when the change only touches presentation (see :data:`COSMETIC`)."""
        return self.kind == "changed" and any(
            self.schema_path == p or self.schema_path.startswith(p + ".") for p in COSMETIC)

    def to_json(self) -> dict[str, Any]:
        """The fixed shape of ``diff --format json`` (docs: shared/spec/cli.md)."""
        return {"path": self.path, "old": self.old, "new": self.new, "layer": self.layer, "impact": self.impact}


@dataclass(frozen=True)
class DiffResult:
    """Changes between two profiles and what they cost."""

    changes: tuple[Change, ...]
    streams: dict[str, str] = field(default_factory=dict)
    reflash_required: bool = False
    recertification_required: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    @property
    def layers(self) -> list[str]:
        """Layers touched, firmware first."""
        touched = {c.layer for c in self.changes}
        return [lay for lay in (*STREAMS, "unknown") if lay in touched]

    @property
    def impact(self) -> str | None:
        """The most expensive impact among the changes (None when nothing changed)."""
        known = [IMPACTS.index(c.impact) for c in self.changes if c.impact in IMPACTS]
        return IMPACTS[max(known)] if known else None

    def to_json(self) -> dict[str, Any]:
        """Exactly the ``diff --format json`` object of shared/spec/cli.md."""
        return {"changes": [c.to_json() for c in self.changes], "streams": dict(self.streams),
                "reflash_required": self.reflash_required,
                "recertification_required": self.recertification_required}


# --- walking the two documents ---------------------------------------------------------------------


def _classify(schema_path: str) -> tuple[str, str]:
    """(layer, impact) of a schema path; a section or list item: the one layer and the top impact of its leaves."""
    index = field_index()
    meta = index.get(schema_path)
    if meta is not None and meta.is_leaf:
        return meta.layer, meta.impact
    leaves = [m for p, m in index.items() if m.is_leaf and p.startswith(schema_path + ".")]
    layers = {m.layer for m in leaves}
    if len(layers) != 1:
        return "unknown", "hot"
    return layers.pop(), IMPACTS[max(IMPACTS.index(m.impact) for m in leaves)]


def _same(old: Any, new: Any) -> bool:
    """Equal as JSON values: True == 1 in Python, but a bool that became a number is a change (22 == 22.0 is not)."""
    if isinstance(old, bool) or isinstance(new, bool):
        return type(old) is type(new) and old == new
    if isinstance(old, dict) and isinstance(new, dict):
        return old.keys() == new.keys() and all(_same(v, new[k]) for k, v in old.items())
    if isinstance(old, list) and isinstance(new, list):
        return len(old) == len(new) and all(_same(a, b) for a, b in zip(old, new, strict=True))
    return bool(old == new)


def _item_id(item: Any) -> Any:
    return item.get("id") if isinstance(item, dict) else None


def _walk(old: Any, new: Any, path: str, spath: str) -> Iterator[Change]:
    if _same(old, new):
        return
    meta = field_index().get(spath) if spath else None
    is_leaf = meta is not None and meta.is_leaf
    if not is_leaf and isinstance(old, dict | None) and isinstance(new, dict | None):
        before, after = old or {}, new or {}
        for key in [*before, *(k for k in after if k not in before)]:
            yield from _walk(before.get(key), after.get(key), f"{path}.{key}" if path else key,
                             f"{spath}.{key}" if spath else key)
        return
    if merge_strategies().get(spath) == "id" and isinstance(old, list | None) and isinstance(new, list | None):
        yield from _walk_keyed(old or [], new or [], path, spath)
        return
    layer, impact = _classify(spath)
    yield Change(path, old, new, layer, impact, "changed", spath)


def _walk_keyed(old: list[Any], new: list[Any], path: str, spath: str) -> Iterator[Change]:
    """Lists merged on ``id`` (connectors, reports, alerts): match items by id, not by position."""
    before = {_item_id(i): i for i in old}
    after = {_item_id(i): i for i in new}
    layer, impact = _classify(spath)
    for key in [*before, *(k for k in after if k not in before)]:
        where = f"{path}[id={key}]"
        if key not in after:
            yield Change(where, before[key], None, layer, impact, "removed", spath)
        elif key not in before:
            yield Change(where, None, after[key], layer, impact, "added", spath)
        else:
            yield from _walk(before[key], after[key], where, f"{spath}.*")


# --- the bump policy (docs/versioning.md) ----------------------------------------------------------


def bump_of(change: Change) -> Bump:
    """The bump one change asks of its stream.

    major: an item removed from a keyed list, or the hardware target (``product.*``) changed;
    minor: any other behaviour change (recertify, reflash, reboot, hot) or an added item;
    patch: a presentation-only change (:data:`COSMETIC`).
    """
    if change.kind == "removed" or change.schema_path.startswith(TARGET_PREFIX):
        return "major"
    if change.cosmetic:
        return "patch"
    return "minor"


def _streams(changes: tuple[Change, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for stream in STREAMS:
        # Only changes of the stream's own layer count: a software change never bumps firmware.
        levels = [BUMPS.index(bump_of(c)) for c in changes if c.layer == stream]
        out[stream] = BUMPS[max(levels, default=0)]
    return out


def diff_data(old: dict[str, Any], new: dict[str, Any]) -> DiffResult:
    """Compare two resolved profiles (plain data). ``meta`` keys (schema_version, extends, variant) are skipped."""
    changes = tuple(c for c in _walk(old, new, "", "") if c.layer != "meta")
    return DiffResult(
        changes=changes,
        streams=_streams(changes),
        reflash_required=any(c.layer == "firmware" or c.impact in ("reflash", "recertify") for c in changes),
        recertification_required=any(c.impact == "recertify" for c in changes),
    )


def bump_version(version: str, level: str) -> str:
    """``bump_version("1.2.3", "minor") == "1.3.0"``; ``none`` returns the version unchanged.

    Raises ValueError for a version that is not SemVer 2.0 or an unknown level.
    """
    parsed = semver.Version.parse(version)
    if level == "none":
        return str(parsed)
    if level not in ("patch", "minor", "major"):
        raise ValueError(f"unknown bump level {level!r}; use one of {', '.join(BUMPS)}")
    return str(parsed.next_version(part=level))


# --- text ------------------------------------------------------------------------------------------


def _short(value: Any, limit: int = 60) -> str:
    import json

    text = "(none)" if value is None else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def render_change(c: Change) -> str:
    """``path: old -> new  [layer, impact]`` (or ``added``/``removed`` and the item)."""
    if c.kind == "changed":
        body = f"{_short(c.old)} -> {_short(c.new)}"
    else:
        body = f"{c.kind} {_short(c.new if c.kind == 'added' else c.old)}"
    return f"{c.path}: {body}  [{c.layer}, {c.impact}]"


def render_text(result: DiffResult) -> str:
    """Human-readable change list and verdict."""
    lines = [render_change(c) for c in result.changes]
    if not lines:
        lines.append("no changes")
    lines.append("")
    for stream in STREAMS:
        lines.append(f"{stream} stream: {result.streams.get(stream, 'none')}")
    lines.append(f"reflash required: {'yes' if result.reflash_required else 'no'}")
    lines.append(f"recertification required: {'yes' if result.recertification_required else 'no'}")
    return "\n".join(lines) + "\n"


def render_markdown(result: DiffResult) -> str:
    """The verdict and a table of the changes (for a pull-request comment)."""
    fw, sw = result.streams.get("firmware", "none"), result.streams.get("software", "none")
    lines = [f"**firmware {fw} · software {sw} · reflash {'yes' if result.reflash_required else 'no'} · "
             f"recertify {'yes' if result.recertification_required else 'no'}**", ""]
    if not result.changes:
        return "\n".join([*lines, "No changes."]) + "\n"
    lines += ["| key | old | new | layer | impact |", "|---|---|---|---|---|"]
    for c in result.changes:
        cells = [f"`{c.path}`", _short(c.old, 40), _short(c.new, 40), c.layer, c.impact]
        lines.append("| " + " | ".join(x.replace("|", "\\|") for x in cells) + " |")
    return "\n".join(lines) + "\n"
