"""Hardware and electrical rules: currents, power, phases, connectors and protection against the region's grid."""

from __future__ import annotations

from collections.abc import Iterator

from oemkit.rules import Hit, RuleContext, rule
from oemkit.rules._common import AC_CONNECTORS, DC_CONNECTORS, fmt_kw, is_ac

#: Rated values are rounded (32 A x 230 V = 7.36 kW is sold as 7.4 kW); allow this much above the product.
_POWER_TOLERANCE = 1.05


@rule(
    "HW-CURRENT-LIMIT",
    severity="error",
    title="Charging current within the rated current and every connector's limit",
    hint="lower charging.max_current_a to the smallest of hardware.rated_current_a and the connectors' max_current_a.",
    source="IEC 61851-1 (rated current of the EV supply equipment); IEC 62196 connector ratings",
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
    want = p.charging.max_current_a
    if want > p.hardware.rated_current_a:
        yield Hit("charging.max_current_a", f"charging.max_current_a is {want} A, above the hardware's rated "
                  f"current of {p.hardware.rated_current_a} A (hardware.rated_current_a).",
                  f"set charging.max_current_a to {p.hardware.rated_current_a} or less.")
    for i, conn in enumerate(p.hardware.connectors):
        if want > conn.max_current_a:
            yield Hit("charging.max_current_a", f"charging.max_current_a is {want} A, above connector {conn.id}'s "
                      f"rating of {conn.max_current_a} A (hardware.connectors.{i}.max_current_a).",
                      f"set charging.max_current_a to {conn.max_current_a} or less, or fit a connector rated "
                      f"for {want} A.")


@rule(
    "HW-PILOT-RANGE",
    severity="error",
    title="AC charging currents within what the control pilot can signal (6..80 A)",
    hint="keep charging.min_current_a and charging.max_current_a of an AC charger between 6 and 80 A.",
    source="IEC 61851-1 Annex A / SAE J1772 control pilot duty cycle (8-10 % = 6 A ... 96-97 % = 80 A); "
    "shared/domain.md 2.2",
    rationale="""
An AC charger tells the vehicle its current limit through the PWM duty cycle of the control pilot.
The duty cycle can express 6 A to 80 A only: below 6 A no vehicle is obliged to charge, above 80 A
there is no code. The limits come from the region pack (region.regulation.min_current_a/max_current_a).
""",
    failing="""
product: {family: ac-wallbox}
charging: {min_current_a: 4, max_current_a: 32}
""",
    passing="""
product: {family: ac-wallbox}
charging: {min_current_a: 6, max_current_a: 32}
""",
)
def pilot_range(ctx: RuleContext) -> Iterator[Hit]:
    p = ctx.profile
    if not is_ac(p):
        return
    low, high = p.region.regulation.min_current_a, p.region.regulation.max_current_a
    for key in ("min_current_a", "max_current_a"):
        value = getattr(p.charging, key)
        if not low <= value <= high:
            yield Hit(f"charging.{key}", f"charging.{key} is {value} A; the control pilot of an AC charger can "
                      f"signal only {low} to {high} A.", f"set charging.{key} between {low} and {high}.")


@rule(
    "HW-MIN-MAX",
    severity="error",
    title="Minimum charging current not above the maximum",
    hint="set charging.min_current_a at or below charging.max_current_a.",
    source="IEC 61851-1 (EVSE current limits); oemkit charging model",
    rationale="""
The charger offers a current between the minimum and the maximum. A minimum above the maximum leaves
no valid current, so smart charging cannot throttle and the charger cannot start.
""",
    failing="charging: {min_current_a: 16, max_current_a: 10}",
    passing="charging: {min_current_a: 6, max_current_a: 10}",
)
def min_max(ctx: RuleContext) -> Iterator[Hit]:
    c = ctx.profile.charging
    if c.min_current_a > c.max_current_a:
        yield Hit("charging.min_current_a", f"charging.min_current_a ({c.min_current_a} A) is above "
                  f"charging.max_current_a ({c.max_current_a} A).",
                  f"set charging.min_current_a to {min(6, c.max_current_a)}..{c.max_current_a}.")


def _ac_voltage(ctx: RuleContext) -> int:
    """Voltage per current-carrying conductor: phase-to-neutral for 3 phases, the wiring voltage for 1 phase."""
    grid = ctx.profile.region.grid
    if ctx.profile.hardware.phases == 1 and grid.single_phase_voltage_v:
        return grid.single_phase_voltage_v
    return grid.nominal_voltage_v


@rule(
    "HW-POWER",
    severity="error",
    title="Rated power possible with the phases, voltage and current",
    hint="lower hardware.max_power_kw to phases x voltage x rated current, or fix phases/rated_current_a.",
    source="IEC 60038 nominal voltages (region.grid); P = phases x U x I for AC; oemkit hardware model",
    rationale="""
An AC charger cannot deliver more than phases x phase voltage x rated current (3 x 230 V x 32 A =
22 kW). A larger rated power is a typing error in the product data or a wrong phase count, and the
power is what the backend and the type label advertise. A connector's power cannot exceed the
charger's. The voltage comes from the region pack.
""",
    failing="""
region: {grid: {nominal_voltage_v: 230}}
hardware: {phases: 1, rated_current_a: 32, max_power_kw: 22}
""",
    passing="""
region: {grid: {nominal_voltage_v: 230}}
hardware: {phases: 1, rated_current_a: 32, max_power_kw: 7.4}
""",
)
def power(ctx: RuleContext) -> Iterator[Hit]:
    hw = ctx.profile.hardware
    if is_ac(ctx.profile):
        volts = _ac_voltage(ctx)
        possible = hw.phases * volts * hw.rated_current_a / 1000
        if hw.max_power_kw > possible * _POWER_TOLERANCE:
            yield Hit("hardware.max_power_kw", f"hardware.max_power_kw is {fmt_kw(hw.max_power_kw)} kW, but "
                      f"{hw.phases} phase(s) x {volts} V x {hw.rated_current_a} A give at most "
                      f"{fmt_kw(possible)} kW in {ctx.profile.region.name}.",
                      f"set hardware.max_power_kw to {fmt_kw(possible)} or less, or correct hardware.phases / "
                      "hardware.rated_current_a.",
                      severity=ctx.fact_severity("grid.nominal_voltage_v", "grid.single_phase_voltage_v"))
    for i, conn in enumerate(hw.connectors):
        if conn.max_power_kw is not None and conn.max_power_kw > hw.max_power_kw:
            yield Hit(f"hardware.connectors.{i}.max_power_kw", f"connector {conn.id} is rated "
                      f"{fmt_kw(conn.max_power_kw)} kW, above the charger's {fmt_kw(hw.max_power_kw)} kW "
                      "(hardware.max_power_kw).",
                      f"set hardware.connectors.{i}.max_power_kw to {fmt_kw(hw.max_power_kw)} or less.")


@rule(
    "HW-POWER-CURRENT",
    severity="warning",
    title="Advertised power reachable at the configured charging current",
    hint="lower hardware.max_power_kw to what charging.max_current_a delivers, or raise the current.",
    source="IEC 60038 nominal voltages (region.grid); P = phases x U x I for AC",
    rationale="""
When charging.max_current_a is lowered (e.g. to 16 A for an 11 kW grid connection) the rated power
must follow, or the backend, the app and the installer see a power the charger never delivers.
""",
    failing="""
hardware: {phases: 3, rated_current_a: 32, max_power_kw: 22}
charging: {max_current_a: 16}
""",
    passing="""
hardware: {phases: 3, rated_current_a: 32, max_power_kw: 11}
charging: {max_current_a: 16}
""",
)
def power_current(ctx: RuleContext) -> Iterator[Hit]:
    p = ctx.profile
    if not is_ac(p):
        return
    volts = _ac_voltage(ctx)
    reachable = p.hardware.phases * volts * p.charging.max_current_a / 1000
    if p.hardware.max_power_kw > reachable * _POWER_TOLERANCE:
        yield Hit("hardware.max_power_kw", f"hardware.max_power_kw is {fmt_kw(p.hardware.max_power_kw)} kW, but "
                  f"charging.max_current_a {p.charging.max_current_a} A on {p.hardware.phases} phase(s) at "
                  f"{volts} V delivers at most {fmt_kw(reachable)} kW.",
                  f"set hardware.max_power_kw to {fmt_kw(reachable)}, or raise charging.max_current_a.")


@rule(
    "HW-PHASES",
    severity="error",
    title="Phase count available in the region's grid",
    hint="choose a product family whose phase count the region's grid offers (region.grid.phases).",
    source="Region pack grid facts (region.grid.phases), e.g. TEPCO: single-phase 200 V normal charging in Japan",
    rationale="""
A three-phase charger cannot be installed where dwellings get single-phase supplies only, and the
type approval names the supply. The phase counts of a market come from its region pack.
""",
    failing="""
region: {grid: {phases: [1]}}
hardware: {phases: 3}
""",
    passing="""
region: {grid: {phases: [1]}}
hardware: {phases: 1}
""",
)
def phases(ctx: RuleContext) -> Iterator[Hit]:
    p = ctx.profile
    if p.hardware.phases not in p.region.grid.phases:
        offered = " or ".join(str(x) for x in p.region.grid.phases)
        yield Hit("hardware.phases", f"hardware.phases is {p.hardware.phases}, but the grid in {p.region.name} "
                  f"offers {offered} phase(s) (region.grid.phases).",
                  f"extend a product file with {offered} phase(s) for this region.",
                  severity=ctx.fact_severity("grid.phases"))


@rule(
    "HW-CONNECTOR-FAMILY",
    severity="error",
    title="Connector types fit the product family (AC vs DC)",
    hint="use an AC connector (type1, type2, gbt-ac, nacs) on an ac-wallbox and a DC one on a dc-fast charger.",
    source="IEC 62196-2 (AC) / IEC 62196-3 (DC) connector families; SAE J1772, J3400; GB/T 20234.2/.3",
    rationale="""
AC and DC connectors are different hardware with different pins and protocols: an AC wallbox cannot
drive a CCS or CHAdeMO DC port, and a DC charger does not carry a type 2 AC socket. Only SAE J3400
(nacs) carries both.
""",
    failing="""
product: {family: ac-wallbox}
hardware: {connectors: [{id: 1, type: ccs2, cable: tethered, max_current_a: 32}]}
""",
    passing="""
product: {family: ac-wallbox}
hardware: {connectors: [{id: 1, type: type2, cable: tethered, max_current_a: 32}]}
""",
)
def connector_family(ctx: RuleContext) -> Iterator[Hit]:
    p = ctx.profile
    allowed = AC_CONNECTORS if is_ac(p) else DC_CONNECTORS
    kind = "AC" if is_ac(p) else "DC"
    for i, conn in enumerate(p.hardware.connectors):
        if conn.type not in allowed:
            yield Hit(f"hardware.connectors.{i}.type", f"connector {conn.id} is {conn.type}, which is not an {kind} "
                      f"connector, but the product family is {p.product.family}.",
                      f"use one of {', '.join(sorted(allowed))} for connector {conn.id}.")


@rule(
    "HW-CONNECTOR-REGION",
    severity="error",
    title="Connector types allowed in the region",
    hint="use a connector type the region pack allows (region.connectors.ac / region.connectors.dc).",
    source="Region pack connector facts (region.connectors); IEC 62196, SAE J1772/J3400, GB/T 20234, "
    "23 CFR 680.106(c); shared/domain.md 2.4",
    rationale="""
Each market standardised its connectors: type 2 and CCS2 in Europe, type 1/J3400 and CCS1 in North
America, type 1 and CHAdeMO in Japan, GB/T in China. A charger with another connector cannot charge
the market's vehicles and fails type approval. The allowed types come from the region pack.
""",
    failing="""
region: {connectors: {ac: [type2], dc: [ccs2]}}
hardware: {connectors: [{id: 1, type: type1, cable: tethered, max_current_a: 32}]}
""",
    passing="""
region: {connectors: {ac: [type2], dc: [ccs2]}}
hardware: {connectors: [{id: 1, type: type2, cable: tethered, max_current_a: 32}]}
""",
)
def connector_region(ctx: RuleContext) -> Iterator[Hit]:
    p = ctx.profile
    kind = "ac" if is_ac(p) else "dc"
    allowed = getattr(p.region.connectors, kind)
    for i, conn in enumerate(p.hardware.connectors):
        if conn.type not in allowed:
            yield Hit(f"hardware.connectors.{i}.type", f"connector {conn.id} is {conn.type}, which "
                      f"{p.region.name} does not accept for {kind.upper()} charging "
                      f"(region.connectors.{kind}: {', '.join(allowed) or 'none'}).",
                      f"use {' or '.join(allowed) or 'another region'} for connector {conn.id}.",
                      severity=ctx.fact_severity(f"connectors.{kind}"))


@rule(
    "HW-RCD-DC",
    severity="error",
    title="Type B RCD or 6 mA DC fault detection where the region requires it",
    hint="fit hardware.rcd.type B, or set hardware.rcd.dc_fault_detection_6ma: true (RDC-DD per IEC 62955).",
    source="IEC 60364-7-722 / BS 7671 722.531.2.101 (Type B, or Type A/F + RDC-DD); IEC 62955; IEC 62423; "
    "AS/NZS 3000",
    rationale="""
A vehicle's on-board charger can leak smooth DC fault current, which blinds an ordinary Type A RCD.
Every Mode 3 connection point must therefore be protected by a Type B RCD, or by a Type A/F RCD plus
a residual DC detecting device that trips at 6 mA DC. Whether the region requires it comes from the
region pack (region.regulation.rcd_dc_6ma_required).
""",
    failing="""
region: {regulation: {rcd_dc_6ma_required: true}}
hardware: {rcd: {type: A, dc_fault_detection_6ma: false}}
""",
    passing="""
region: {regulation: {rcd_dc_6ma_required: true}}
hardware: {rcd: {type: A, dc_fault_detection_6ma: true}}
""",
)
def rcd_dc(ctx: RuleContext) -> Iterator[Hit]:
    p = ctx.profile
    rcd = p.hardware.rcd
    if p.region.regulation.rcd_dc_6ma_required and rcd.type != "B" and not rcd.dc_fault_detection_6ma:
        yield Hit("hardware.rcd.dc_fault_detection_6ma", f"the RCD is type {rcd.type} without 6 mA DC fault "
                  f"detection, but {p.region.name} requires DC fault protection "
                  "(region.regulation.rcd_dc_6ma_required).",
                  severity=ctx.fact_severity("regulation.rcd_dc_6ma_required"))


@rule(
    "HW-IT-EARTHING",
    severity="error",
    title="IT earthing supported where the region's grid uses it",
    hint="use a hardware variant certified for IT grids and set hardware.it_earthing_support: true.",
    source="IEC 60364 earthing systems; Norwegian 230 V IT grids (about 70 %, no neutral): shared/domain.md 1.13",
    rationale="""
An IT supply has no neutral and 230 V between phases; a charger built for TN/TT can be damaged on it
or charge single-phase between two phases without proper protection. Where the region pack lists IT
in region.grid.earthing the hardware must declare IT support.
""",
    failing="""
region: {grid: {earthing: [IT, TN-C-S]}}
hardware: {it_earthing_support: false}
""",
    passing="""
region: {grid: {earthing: [IT, TN-C-S]}}
hardware: {it_earthing_support: true}
""",
)
def it_earthing(ctx: RuleContext) -> Iterator[Hit]:
    p = ctx.profile
    if "IT" in p.region.grid.earthing and not p.hardware.it_earthing_support:
        yield Hit("hardware.it_earthing_support", f"the grid in {p.region.name} includes IT earthing "
                  "(region.grid.earthing), but the hardware does not declare IT support.",
                  severity=ctx.fact_severity("grid.earthing"))


@rule(
    "HW-OPEN-PEN",
    severity="error",
    title="Open-PEN protection on AC chargers where PME supplies require it",
    hint="use a hardware variant with a built-in open-PEN device and set hardware.open_pen_protection: true.",
    source="BS 7671 722.411.4.1 (PME supply for EV charging points); shared/domain.md 1.3",
    rationale="""
On a PME (TN-C-S) supply a broken PEN conductor puts the vehicle body at a dangerous voltage. Outdoor
charge points must not use the PME earth unless an alternative applies; the common one is a built-in
open-PEN device that disconnects live, neutral and earth. The region pack says whether it is
expected (region.regulation.open_pen_protection_required).
""",
    failing="""
region: {regulation: {open_pen_protection_required: true}}
hardware: {open_pen_protection: false}
""",
    passing="""
region: {regulation: {open_pen_protection_required: true}}
hardware: {open_pen_protection: true}
""",
)
def open_pen(ctx: RuleContext) -> Iterator[Hit]:
    p = ctx.profile
    if is_ac(p) and p.region.regulation.open_pen_protection_required and not p.hardware.open_pen_protection:
        yield Hit("hardware.open_pen_protection", f"AC chargers in {p.region.name} need open-PEN protection "
                  "(region.regulation.open_pen_protection_required), but hardware.open_pen_protection is false.",
                  severity=ctx.fact_severity("regulation.open_pen_protection_required"))
