"""Hygiene rules (warnings): settings that do nothing and hide what a profile really changes.

``HYG-SAME-VALUE`` looks at one profile's provenance. ``HYG-ALWAYS-OVERRIDDEN`` looks at the
portfolio: a value in a partner's shared base file that every profile using the file overrides is
dead. It is reported once, with the first profile (by path) that uses the base file. Only the
profiles in the base file's own folder are read (partners keep their shared files beside their
variants), so checking one profile does not resolve the whole portfolio.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from oemkit.fields import field_index, schema_path_of
from oemkit.loader import Resolved, resolve, role_of
from oemkit.rules import Hit, RuleContext, rule
from oemkit.rules._common import model_leaves
from oemkit.tree import Leaf, Origin, SeqNode, to_plain

if TYPE_CHECKING:
    from oemkit.workspace import Workspace

_SPEC = "oemkit profile format (shared/spec/profile.md): extends and merge semantics"


def _leaf_rows(resolved: Resolved) -> tuple[tuple[str, Leaf | SeqNode], ...]:
    return tuple([(path, node) for path, node, meta, _ in model_leaves(resolved) if meta.layer != "meta"])


def _leaves(resolved: Resolved) -> tuple[tuple[str, Leaf | SeqNode], ...]:
    """Every model leaf (scalar, or a list replaced whole) of a resolved profile with its node (built once)."""
    return resolved.derived(_leaf_rows)


def _is_merge_key(path: str) -> bool:
    """``hardware.connectors.0.id``: the key that selects a list item, which must be restated to change it."""
    spath = schema_path_of(path)
    if not spath.endswith(".*.id"):
        return False
    meta = field_index().get(spath.removesuffix(".*.id"))
    return meta is not None and meta.merge == "id"


def _show(value: Any) -> str:
    return "null" if value is None else repr(value) if isinstance(value, str) else str(value)


@rule(
    "HYG-SAME-VALUE",
    severity="warning",
    title="A value that overrides an inherited one with the same value",
    hint="remove the line; the inherited value stays in force.",
    source=f"{_SPEC}: later files override earlier ones",
    rationale="""
Restating an inherited value changes nothing today, but it pins the value: when the product family or
region pack later changes its default (a new regulatory delay, a corrected limit), this profile
silently keeps the old one. It also makes `oemkit explain` and reviews point at the wrong file.
""",
    failing="""
extends: [../../products/ac-wallbox-22.yaml]   # sets charging.min_current_a: 6
charging: {min_current_a: 6}
""",
    passing="""
extends: [../../products/ac-wallbox-22.yaml]   # sets charging.min_current_a: 6
charging: {min_current_a: 8}
""",
)
def same_value(ctx: RuleContext) -> Iterator[Hit]:
    for path, node in _leaves(ctx.resolved):
        if not node.overridden or _is_merge_key(path):
            continue
        previous = node.overridden[0]
        value = to_plain(node)
        if value == previous.value and type(value) is type(previous.value):
            yield Hit(path, f"{path} is set to {_show(value)} in {node.origin.file}, the value it already has from "
                      f"{previous.origin}.", f"remove {path} from {node.origin.file}.")


@dataclass
class _Portfolio:
    """Which profiles use each file, and which values of each file win somewhere."""

    users: dict[str, list[str]] = field(default_factory=dict)
    winners: dict[str, set[Origin]] = field(default_factory=dict)

    def add(self, resolved: Resolved) -> None:
        if resolved.path in self.users.get(resolved.path, []) or not resolved.ok:
            return
        for name in resolved.files:
            self.users.setdefault(name, []).append(resolved.path)
        for _path, node in _leaves(resolved):
            self.winners.setdefault(node.origin.file, set()).add(node.origin)


@dataclass
class _Memo:
    """The index of one Workspace object (one ``check`` run) and the folders already read into it."""

    ws: weakref.ref[Workspace]
    folio: _Portfolio = field(default_factory=_Portfolio)
    folders: set[str] = field(default_factory=set)


_MEMO: dict[int, _Memo] = {}


def _portfolio(ws: Workspace, folders: set[str]) -> _Portfolio:
    """The index of the buildable profiles in ``folders`` (workspace-relative), built once per run."""
    memo = _MEMO.get(id(ws))
    if memo is None or memo.ws() is not ws:
        _MEMO.clear()  # one workspace at a time: a finished run's index is not kept alive
        memo = _MEMO[id(ws)] = _Memo(weakref.ref(ws))
    for folder in sorted(folders - memo.folders):
        # Only the shared file's own folder is read: a single-profile check stays O(variants of one partner).
        for path in ws.buildable(ws.root / folder, recursive=False):
            memo.folio.add(resolve(ws, path))
        memo.folders.add(folder)
    return memo.folio


@rule(
    "HYG-ALWAYS-OVERRIDDEN",
    severity="warning",
    title="A shared partner value that every profile using it overrides",
    hint="remove the value from the shared file, or stop overriding it where the shared value is right.",
    source=f"{_SPEC}: later files override earlier ones",
    rationale="""
A value in a partner's shared base file (partner.yaml) that every variant overrides never takes
effect. Readers of the shared file believe it is in force, and a new variant that forgets to
override it gets a value nobody meant to ship.
""",
    failing="""
# profiles/partners/acme/partner.yaml
tariff: {energy_price_per_kwh: "0.39"}
---
# every variant that extends partner.yaml
tariff: {energy_price_per_kwh: "0.49"}
""",
    passing="""
# profiles/partners/acme/partner.yaml
tariff: {energy_price_per_kwh: "0.39"}
---
# one variant overrides it, another keeps it
tariff: {energy_price_per_kwh: "0.49"}
""",
)
def always_overridden(ctx: RuleContext) -> Iterator[Hit]:
    shared = {f for f in ctx.resolved.files if f != ctx.resolved.path and role_of(f) == "partner"}
    if not shared:
        return
    folio = _portfolio(ctx.workspace, {f.rsplit("/", 1)[0] for f in shared})
    folio.add(ctx.resolved)
    reported: set[Origin] = set()
    for path, node in _leaves(ctx.resolved):
        for old in node.overridden:
            base = old.origin.file
            if (old.origin in reported or base == ctx.resolved.path or role_of(base) != "partner"
                    or old.origin in folio.winners.get(base, set())):
                continue
            users = sorted(folio.users.get(base, []))
            if not users or users[0] != ctx.resolved.path:
                continue
            reported.add(old.origin)
            yield Hit(path, f"{path} = {_show(old.value)} in {base} is overridden by every profile that uses the "
                      f"file ({', '.join(users)}), so it never takes effect.",
                      f"remove {path} from {base}, or drop the override where {_show(old.value)} is right.",
                      at=old.origin)
