"""Small predicates the rule families share (what a profile is: AC or DC, billed, public), and the
table of a profile's model leaves that the provenance rules (ownership, hygiene) read."""

from __future__ import annotations

from typing import TYPE_CHECKING

from oemkit.fields import FieldMeta, leaf_at
from oemkit.loader import role_of
from oemkit.tree import Leaf, SeqNode

if TYPE_CHECKING:
    from oemkit.loader import Resolved
    from oemkit.model import Profile

__all__ = ["AC_CONNECTORS", "DC_CONNECTORS", "ModelLeaf", "billed", "fmt_kw", "is_ac", "is_commercial",
           "is_public", "model_leaves"]

#: Connector types by the current they carry (IEC 62196, SAE J1772/J3400, GB/T 20234); J3400 carries both.
AC_CONNECTORS = frozenset({"type1", "type2", "gbt-ac", "nacs"})
DC_CONNECTORS = frozenset({"ccs1", "ccs2", "chademo", "gbt-dc", "nacs"})


def is_ac(p: Profile) -> bool:
    """An AC wallbox (pilot-signal current limits apply)."""
    return p.product.family == "ac-wallbox"


def is_public(p: Profile) -> bool:
    """Open to any driver (ad-hoc charging)."""
    return p.access.mode == "public"


def is_commercial(p: Profile) -> bool:
    """Not a private home charger: public, or semi-public behind RFID (workplace, fleet)."""
    return p.access.mode != "private"


def billed(p: Profile) -> bool:
    """Sessions cost money (an energy price or a session fee)."""
    return p.tariff.energy_price_per_kwh > 0 or p.tariff.session_fee > 0


def fmt_kw(value: float) -> str:
    """``22.08`` -> ``22.1``; ``50.0`` -> ``50``."""
    return f"{value:.1f}".removesuffix(".0")


#: A model leaf of a resolved profile (a scalar, or a list replaced whole): its dotted path, node,
#: field metadata, and whether a partner's file (``profiles/partners/``) set it. A plain tuple: one
#: is made for every leaf of every profile.
ModelLeaf = tuple[str, Leaf | SeqNode, FieldMeta, bool]


def _model_leaves(resolved: Resolved) -> tuple[ModelLeaf, ...]:
    partner: dict[str, bool] = {}
    out: list[ModelLeaf] = []
    for path, node in resolved.prov.items():
        meta = leaf_at(path)
        if meta is None or not isinstance(node, (Leaf, SeqNode)):
            continue
        file = node.origin.file
        by_partner = partner.get(file)
        if by_partner is None:
            by_partner = partner[file] = role_of(file) == "partner"
        out.append((path, node, meta, by_partner))
    return tuple(out)


def model_leaves(resolved: Resolved) -> tuple[ModelLeaf, ...]:
    """Every model leaf of a profile in provenance order, built once per content and shared by the rules."""
    return resolved.derived(_model_leaves)
