"""Small predicates the rule families share (what a profile is: AC or DC, billed, public)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from oemkit.model import Profile

__all__ = ["AC_CONNECTORS", "DC_CONNECTORS", "billed", "fmt_kw", "is_ac", "is_commercial", "is_public"]

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
