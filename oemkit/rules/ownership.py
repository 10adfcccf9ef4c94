"""Ownership rules: who may set what, judged from provenance (the file that set each value).

Product families (``profiles/products``) and region packs (``profiles/regions``) may set any field.
A partner's files may set only fields of the layers in ``partner.customization`` and never ``region``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

from oemkit.fields import field_index, leaf_at
from oemkit.loader import Resolved, role_of
from oemkit.rules import Hit, RuleContext, rule
from oemkit.tree import MapNode

_SPEC = "oemkit profile format (shared/spec/profile.md): layers, owners, impact"


def _partner_rows(resolved: Resolved) -> tuple[tuple[str, str, str], ...]:
    """The partner-set rows of :func:`~oemkit.rules._common.model_leaves`, in its order.

    Filtered on the setting file first: a partner sets about a third of a profile's leaves, and a
    build (which skips the hygiene rules, the other readers of the full table) needs no more.
    """
    partner: dict[str, bool] = {}
    rows: list[tuple[str, str, str]] = []
    for path, node in resolved.prov.items():
        file = node.origin.file
        by_partner = partner.get(file)
        if by_partner is None:
            by_partner = partner[file] = role_of(file) == "partner"
        if by_partner and not isinstance(node, MapNode) and (meta := leaf_at(path)) is not None:
            rows.append((path, meta.layer, meta.impact))
    return tuple(rows)


def _partner_paths(resolved: Resolved) -> frozenset[str]:
    return frozenset(path for path, _, _ in resolved.derived(_partner_rows))


def _partner_leaves(ctx: RuleContext) -> tuple[tuple[str, str, str], ...]:
    """(path, layer, impact) of every model leaf whose value a partner file set (built once per profile)."""
    return ctx.resolved.derived(_partner_rows)


@functools.cache
def _keyed_lists() -> tuple[tuple[str, frozenset[str]], ...]:
    """Top-level lists merged on id (connectors) with the layers of the leaves below them (model facts)."""
    index = field_index()
    return tuple((spath, frozenset(m.layer for p, m in index.items() if m.is_leaf and p.startswith(spath + ".")))
                 for spath, meta in index.items() if meta.merge == "id" and "*" not in spath)


@rule(
    "OWN-LAYER",
    severity="error",
    title="A partner sets only fields of the layers in its customization",
    hint="remove the setting from your file; ask the factory for a product variant that has it, or agree "
    "firmware customisation and add it to partner.customization.",
    source=f"{_SPEC}: a partner may set only fields of the layers in its customization",
    rationale="""
Firmware settings are compiled into the image the factory builds, tests and certifies; a partner
that contracted software customisation only (portal, backend, tariffs) cannot change them, or every
change would need a reflash and possibly a recertification the partner does not own. Ownership is
judged from provenance: a value the product family or the region pack sets is fine, the same value
set in the partner's own file is not.
""",
    failing="""
partner: {id: voltway, customization: [software]}
charging: {max_current_a: 16}      # firmware field, set in the partner's file
""",
    passing="""
partner: {id: voltway, customization: [software]}
tariff: {energy_price_per_kwh: "0.45"}
""",
)
def layer(ctx: RuleContext) -> Iterator[Hit]:
    p = ctx.profile
    allowed: set[str] = set(p.partner.customization)
    shown = ", ".join(p.partner.customization) or "nothing"
    for path, field_layer, impact in _partner_leaves(ctx):
        if path.startswith(("region.", "partner.")) or field_layer not in ("firmware", "software"):
            continue
        if field_layer in allowed:
            continue
        where = ctx.origin(path).file
        yield Hit(path, f"{path} is a {field_layer} setting (a change means: {impact}) and it is set in {where}, "
                  f"but partner {p.partner.id} may customise only: {shown}.",
                  f"remove {path} from {where}; the value then comes from the product family or region pack. "
                  f"For a different {field_layer} value ask the factory for a product variant.")
    yield from _removals(ctx, allowed, shown)


def _removals(ctx: RuleContext, allowed: set[str], shown: str) -> Iterator[Hit]:
    """Lists merged on id (connectors) that a partner file touched without setting a leaf: a removal."""
    for spath, layers in _keyed_lists():
        if layers <= allowed:  # first: the cheapest test, and the usual answer (software lists)
            continue
        node = ctx.resolved.prov.get(spath)
        if node is None or role_of(node.origin.file) != "partner":
            continue
        if any(x.startswith(spath + ".") for x in ctx.resolved.derived(_partner_paths)):
            continue
        where = node.origin.file
        yield Hit(spath, f"{spath} holds {'/'.join(sorted(layers))} settings and {where} removes items from it, "
                  f"but partner {ctx.profile.partner.id} may customise only: {shown}.",
                  f"remove the '{{id: ..., remove: true}}' entries from {where}; ask the factory for a product "
                  "variant instead.")


@rule(
    "OWN-REGION",
    severity="error",
    title="Only region packs set region facts",
    hint="remove 'region' from your file and extend the region pack of your market "
    "(extends: [..., ../../regions/<cc>.yaml]).",
    source=f"{_SPEC}: region is set by the region pack only; a partner may not override it",
    rationale="""
Region facts (grid, allowed connectors, regulation) are compliance data owned by the region pack;
every regulatory rule reads them. A partner that overrides a fact (say, drops the RCD requirement)
would silently switch off the rules that protect it. A partner chooses its market by extending the
pack, nothing more.
""",
    failing="""
extends: [../../products/ac-wallbox-22.yaml, ../../regions/gb.yaml, partner.yaml]
region: {regulation: {rcd_dc_6ma_required: false}}
""",
    passing="""
extends: [../../products/ac-wallbox-22.yaml, ../../regions/gb.yaml, partner.yaml]
""",
)
def region(ctx: RuleContext) -> Iterator[Hit]:
    for path, _layer, _impact in _partner_leaves(ctx):
        if path.startswith("region."):
            where = ctx.origin(path).file
            yield Hit(path, f"{path} is a region fact, set in the partner file {where}; only region packs "
                      "(profiles/regions/) may set region facts.",
                      f"remove {path} from {where}; if the fact is wrong for the market, ask compliance to "
                      "fix the region pack.")
