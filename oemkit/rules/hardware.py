"""Hardware and electrical rules."""

from __future__ import annotations

from collections.abc import Iterator

from oemkit.rules import Hit, RuleContext, rule


@rule(
    "HW-CURRENT-LIMIT",
    severity="error",
    title="Charging current within the rated current and every connector's limit",
    hint="lower charging.max_current_a to the smallest of hardware.rated_current_a and the connectors' max_current_a.",
    source="IEC 61851-1 (rated current of the EV supply equipment); oemkit hardware model",
    rationale="""
The charger must never offer more current than the hardware is rated for: the pilot signal tells the
vehicle how much it may draw, and the contactor, cable and socket are sized for the rated current.
""",
    failing="""
hardware: {rated_current_a: 32, connectors: [{id: 1, type: type2, cable: socket, max_current_a: 32}]}
charging: {max_current_a: 40}
""",
    passing="""
hardware: {rated_current_a: 32, connectors: [{id: 1, type: type2, cable: socket, max_current_a: 32}]}
charging: {max_current_a: 32}
""",
)
def current_limit(ctx: RuleContext) -> Iterator[Hit]:
    p = ctx.profile
    limit = p.hardware.rated_current_a
    if p.charging.max_current_a > limit:
        yield Hit("charging.max_current_a", f"max_current_a {p.charging.max_current_a} A exceeds the rated "
                  f"current of the hardware ({limit} A).")
    for i, conn in enumerate(p.hardware.connectors):
        if p.charging.max_current_a > conn.max_current_a:
            yield Hit("charging.max_current_a", f"max_current_a {p.charging.max_current_a} A exceeds connector "
                      f"{conn.id}'s limit of {conn.max_current_a} A (hardware.connectors.{i}).")
