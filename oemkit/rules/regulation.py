"""Regulation rules: market law a profile must meet, with its facts read from the region pack.

Each rule names the ``rule_set`` a region pack must list in ``region.rule_sets`` for it to run, and
the numbers (thresholds, accepted certifications, required connectors) come from the pack's
``region.regulation`` facts, never from a country code in the code.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

from oemkit.region import FundingProgram, SmartChargingRules
from oemkit.rules import Hit, RuleContext, rule
from oemkit.rules._common import billed, fmt_kw, is_ac, is_commercial, is_public

_GB_SMART = "UK Electric Vehicles (Smart Charge Points) Regulations 2021 (SI 2021/1467)"


def _gb_smart(ctx: RuleContext) -> SmartChargingRules | None:
    """The smart-charge-point facts if they bind this profile: a private charger below the power limit."""
    p = ctx.profile
    rules = p.region.regulation.smart_charging
    if rules is None or is_public(p) or p.hardware.max_power_kw >= rules.applies_below_kw:
        return None
    return rules


@rule(
    "GB-RANDOM-DELAY",
    rule_set="gb-smart-charge-points",
    severity="error",
    title="Randomised delay enabled by default at the regulated duration (GB private chargers)",
    hint="set charging.randomised_delay_s to the region's default (600 s in Great Britain).",
    source=f"{_GB_SMART} reg 11 (random delay of up to 600 s by default, to the nearest second)",
    rationale="""
Private charge points sold in Great Britain below 50 kW must, at every start or change of the charging
rate, wait a random time of up to 600 seconds by default, so that millions of chargers do not switch
at the same moment after a tariff change. The owner may override it later; the shipped default may
not be off. Default and scope come from region.regulation.smart_charging.
""",
    failing="charging: {randomised_delay_s: 0}",
    passing="charging: {randomised_delay_s: 600}",
)
def gb_random_delay(ctx: RuleContext) -> Iterator[Hit]:
    rules = _gb_smart(ctx)
    value = ctx.profile.charging.randomised_delay_s
    if rules is not None and value != rules.random_delay_default_s:
        what = "disabled (0 s)" if value == 0 else f"{value} s"
        yield Hit("charging.randomised_delay_s", f"the default randomised delay is {what}; private chargers below "
                  f"{fmt_kw(rules.applies_below_kw)} kW in {ctx.profile.region.name} must ship with "
                  f"{rules.random_delay_default_s} s.",
                  f"set charging.randomised_delay_s: {rules.random_delay_default_s}.")


@rule(
    "GB-RANDOM-DELAY-MAX",
    rule_set="gb-smart-charge-points",
    severity="error",
    title="Randomised delay adjustable up to the regulated maximum (GB private chargers)",
    hint="set charging.randomised_delay_max_s to at least the region's maximum (1800 s in Great Britain).",
    source=f"{_GB_SMART} reg 11 (capable of a random delay of up to 1800 s, adjustable remotely)",
    rationale="""
The regulations require the charger to be capable of a random delay of up to 1800 seconds, and the
maximum must be adjustable remotely over the network. A firmware cap below that makes the remote
setting impossible.
""",
    failing="charging: {randomised_delay_max_s: 900}",
    passing="charging: {randomised_delay_max_s: 1800}",
)
def gb_random_delay_max(ctx: RuleContext) -> Iterator[Hit]:
    rules = _gb_smart(ctx)
    value = ctx.profile.charging.randomised_delay_max_s
    if rules is not None and value < rules.random_delay_max_s:
        yield Hit("charging.randomised_delay_max_s", f"the randomised delay can be raised only to {value} s; "
                  f"chargers in {ctx.profile.region.name} must allow {rules.random_delay_max_s} s.",
                  f"set charging.randomised_delay_max_s: {rules.random_delay_max_s} (or more).")


@rule(
    "GB-OFF-PEAK-DEFAULT",
    rule_set="gb-smart-charge-points",
    severity="error",
    title="Default charging hours outside peak hours (GB private chargers)",
    hint="set charging.off_peak_default: true and an off-peak charging.off_peak_window such as 22:00-08:00.",
    source=f"{_GB_SMART} reg 10 (pre-set default charging hours outside peak hours, changeable by the owner)",
    rationale="""
Private charge points must come with default charging hours outside peak hours, which the owner can
accept, remove or change at first use and later. A charger shipped without them charges at peak by
default.
""",
    failing="charging: {off_peak_default: false}",
    passing='charging: {off_peak_default: true, off_peak_window: "22:00-08:00"}',
)
def gb_off_peak(ctx: RuleContext) -> Iterator[Hit]:
    rules = _gb_smart(ctx)
    if rules is None or not rules.off_peak_default_required:
        return
    c = ctx.profile.charging
    if not c.off_peak_default:
        yield Hit("charging.off_peak_default", f"private chargers in {ctx.profile.region.name} must ship with "
                  "default charging hours outside peak hours, but charging.off_peak_default is false.")
    elif c.off_peak_window is None:
        yield Hit("charging.off_peak_window", "charging.off_peak_default is true but no charging.off_peak_window "
                  "is set, so the charger has no default hours.",
                  'set charging.off_peak_window, e.g. "22:00-08:00".')


@functools.lru_cache(maxsize=1024)
def _minutes(window: str) -> frozenset[int]:
    """Minutes of the day covered by ``HH:MM-HH:MM`` (may wrap midnight); a portfolio repeats a few windows."""
    start_s, end_s = window.split("-")
    start = int(start_s[:2]) * 60 + int(start_s[3:])
    end = int(end_s[:2]) * 60 + int(end_s[3:])
    if end <= start:
        end += 24 * 60
    return frozenset(m % (24 * 60) for m in range(start, end))


@rule(
    "GB-OFF-PEAK-WINDOW",
    rule_set="gb-smart-charge-points",
    severity="warning",
    title="Default charging window avoids the peak hours (GB private chargers)",
    hint="move charging.off_peak_window out of the peak hours (08:00-11:00 and 16:00-22:00 on weekdays).",
    source=f"{_GB_SMART} reg 10; peak hours 08:00-11:00 and 16:00-22:00 per secondary sources "
    "(reg 2 text not verified, so a warning)",
    rationale="""
The default charging hours must lie outside peak hours. The peak hours come from the region pack
(region.regulation.smart_charging.peak_hours); their exact legal wording was verified only in
secondary sources, so an overlap is a warning.
""",
    failing='charging: {off_peak_default: true, off_peak_window: "18:00-23:00"}',
    passing='charging: {off_peak_default: true, off_peak_window: "22:00-08:00"}',
)
def gb_off_peak_window(ctx: RuleContext) -> Iterator[Hit]:
    rules = _gb_smart(ctx)
    window = ctx.profile.charging.off_peak_window
    if rules is None or window is None or not ctx.profile.charging.off_peak_default:
        return
    clash = [peak for peak in rules.peak_hours if _minutes(window) & _minutes(peak)]
    if clash:
        yield Hit("charging.off_peak_window", f"the default charging window {window} overlaps the peak hours "
                  f"{', '.join(clash)} (region.regulation.smart_charging.peak_hours).")


@rule(
    "GB-OFFLINE-CHARGING",
    rule_set="gb-smart-charge-points",
    severity="error",
    title="Charging possible without a network connection (GB private chargers)",
    hint="set charging.offline_mode to free_vend or local_auth_list.",
    source=f"{_GB_SMART} reg 7 (must still be able to charge when not connected to a network)",
    rationale="""
A private smart charge point must still charge when its communications network is down. An offline
mode of 'deny' stops the owner from charging whenever the backend is unreachable.
""",
    failing="charging: {offline_mode: deny}",
    passing="charging: {offline_mode: free_vend}",
)
def gb_offline(ctx: RuleContext) -> Iterator[Hit]:
    rules = _gb_smart(ctx)
    if rules is not None and rules.offline_charging_required and ctx.profile.charging.offline_mode == "deny":
        yield Hit("charging.offline_mode", "charging.offline_mode is deny, so the charger stops charging "
                  f"without a network; private chargers in {ctx.profile.region.name} must charge offline.")


def _payment(ctx: RuleContext, regime: str) -> Iterator[Hit]:
    p = ctx.profile
    limit = p.region.regulation.contactless_min_kw
    if limit is None or not is_public(p) or not billed(p) or p.hardware.max_power_kw < limit:
        return
    if not p.hardware.payment_terminal:
        yield Hit("hardware.payment_terminal", f"public chargers of {fmt_kw(limit)} kW and more in "
                  f"{p.region.name} must take card or contactless payment ({regime}); this one is "
                  f"{fmt_kw(p.hardware.max_power_kw)} kW without a payment terminal.")


@rule(
    "EU-AFIR-PAYMENT",
    rule_set="eu-afir",
    severity="error",
    title="Card or contactless payment on public chargers at or above the AFIR threshold (50 kW)",
    hint="use a hardware variant with a payment terminal (hardware.payment_terminal: true).",
    source="Regulation (EU) 2023/1804 (AFIR) Art. 5(1): payment card reader or contactless device; QR-only "
    "payment only below 50 kW",
    rationale="""
Publicly accessible recharging points deployed from 13 April 2024 must accept ad-hoc electronic
payment. At 50 kW and above this must be a payment card reader or a contactless card device; an
internet/QR payment is allowed only below 50 kW. The threshold comes from
region.regulation.contactless_min_kw.
""",
    failing="""
access: {mode: public}
hardware: {max_power_kw: 180, payment_terminal: false}
""",
    passing="""
access: {mode: public}
hardware: {max_power_kw: 180, payment_terminal: true}
""",
)
def afir_payment(ctx: RuleContext) -> Iterator[Hit]:
    yield from _payment(ctx, "AFIR Art. 5(1)")


@rule(
    "GB-PUBLIC-CONTACTLESS",
    rule_set="gb-public-charge-points",
    severity="error",
    title="Contactless payment on public chargers at or above 8 kW (GB)",
    hint="use a hardware variant with a payment terminal (hardware.payment_terminal: true).",
    source="UK Public Charge Point Regulations 2023 (SI 2023/1168): contactless on new public points >= 8 kW "
    "(as reported by trade press)",
    rationale="""
New public charge points of 8 kW and more in the UK must accept contactless payment. The threshold
comes from region.regulation.contactless_min_kw.
""",
    failing="""
access: {mode: public}
hardware: {max_power_kw: 22, payment_terminal: false}
""",
    passing="""
access: {mode: public}
hardware: {max_power_kw: 22, payment_terminal: true}
""",
)
def gb_contactless(ctx: RuleContext) -> Iterator[Hit]:
    yield from _payment(ctx, "SI 2023/1168")


def _price(ctx: RuleContext, regime: str) -> Iterator[Hit]:
    p = ctx.profile
    if p.region.regulation.price_before_session and is_public(p) and billed(p) and not p.tariff.display_price:
        yield Hit("tariff.display_price", f"public chargers in {p.region.name} must show the price before the "
                  f"session starts ({regime}), but tariff.display_price is false.",
                  "set tariff.display_price: true (the charger needs a display).")


@rule(
    "EU-AFIR-PRICE",
    rule_set="eu-afir",
    severity="error",
    title="Ad-hoc price shown before the session on public chargers (AFIR)",
    hint="set tariff.display_price: true.",
    source="Regulation (EU) 2023/1804 (AFIR) Art. 5: ad-hoc price components shown before charging starts",
    rationale="""
Operators of publicly accessible recharging points must show the ad-hoc price (per kWh, per minute,
per session) to the user before the charging session starts.
""",
    failing="""
access: {mode: public}
tariff: {energy_price_per_kwh: "0.59", display_price: false}
""",
    passing="""
access: {mode: public}
tariff: {energy_price_per_kwh: "0.59", display_price: true}
""",
)
def afir_price(ctx: RuleContext) -> Iterator[Hit]:
    yield from _price(ctx, "AFIR Art. 5")


@rule(
    "GB-PUBLIC-PRICE",
    rule_set="gb-public-charge-points",
    severity="error",
    title="Price per kWh shown before the session on public chargers (GB)",
    hint="set tariff.display_price: true.",
    source="UK Public Charge Point Regulations 2023 (SI 2023/1168): total price in pence per kWh shown "
    "(as reported by trade press)",
    rationale="""
Public charge points in the UK must show the total price in pence per kWh before charging, on the
charger or on a device that needs no prior contract.
""",
    failing="""
access: {mode: public}
tariff: {energy_price_per_kwh: "0.79", display_price: false}
""",
    passing="""
access: {mode: public}
tariff: {energy_price_per_kwh: "0.79", display_price: true}
""",
)
def gb_public_price(ctx: RuleContext) -> Iterator[Hit]:
    yield from _price(ctx, "SI 2023/1168")


def _billing_meter(ctx: RuleContext, regime: str) -> Iterator[Hit]:
    p = ctx.profile
    accepted = p.region.regulation.billing_meter_certifications
    if not accepted or not is_commercial(p) or not billed(p):
        return
    if not set(accepted) & set(p.hardware.meter.certifications):
        have = ", ".join(p.hardware.meter.certifications) or "none"
        yield Hit("hardware.meter.certifications", f"this charger bills sessions ({p.access.mode} access), so "
                  f"{regime} requires a meter certified {' or '.join(accepted)}; the meter "
                  f"{p.hardware.meter.model} has {have}.",
                  f"use a product with a {' or '.join(accepted)} certified meter, or make charging free "
                  "(tariff.energy_price_per_kwh: \"0\").")


@rule(
    "DE-EICHRECHT-METER",
    rule_set="de-eichrecht",
    severity="error",
    title="Calibration-law certified meter for billed public charging (DE)",
    hint="use a product with an Eichrecht-certified meter (hardware.meter.certifications includes eichrecht).",
    source="German Mess- und Eichgesetz (MessEG) / Mess- und Eichverordnung (MessEV), PAngV: billing per kWh "
    "at public and commercial chargers since 2019-04-01",
    rationale="""
Public and semi-public charging that is billed (including paid workplace charging) must be measured
by a meter approved under German calibration law (PTB type examination, module B + D). Private home
chargers and free charging are exempt. The accepted certifications come from
region.regulation.billing_meter_certifications.
""",
    failing="""
access: {mode: public}
tariff: {energy_price_per_kwh: "0.59"}
hardware: {meter: {model: Eastron SDM630, certifications: [MID]}}
""",
    passing="""
access: {mode: public}
tariff: {energy_price_per_kwh: "0.59"}
hardware: {meter: {model: LEM DCBM 400/600, certifications: [MID, eichrecht], signed_values: true}}
""",
)
def eichrecht_meter(ctx: RuleContext) -> Iterator[Hit]:
    yield from _billing_meter(ctx, "German calibration law (MessEG/MessEV)")


@rule(
    "DE-EICHRECHT-SIGNED",
    rule_set="de-eichrecht",
    severity="error",
    title="Signed meter values for billed public charging (DE)",
    hint="use a meter that signs its readings (OCMF) and set hardware.meter.signed_values: true.",
    source="MessEG/MessEV: public-key signed measurement records verifiable with the S.A.F.E. transparency "
    "software (OCMF); shared/domain.md 1.5",
    rationale="""
For billed public charging in Germany the driver must be able to verify the billed energy: the meter
signs each reading (OCMF) with a key registered for the device, and the signed data travels through
OCPP to the invoice. The requirement comes from region.regulation.signed_meter_values_for_billing.
""",
    failing="""
access: {mode: public}
tariff: {energy_price_per_kwh: "0.59"}
hardware: {meter: {signed_values: false}}
""",
    passing="""
access: {mode: public}
tariff: {energy_price_per_kwh: "0.59"}
hardware: {meter: {signed_values: true}}
""",
)
def eichrecht_signed(ctx: RuleContext) -> Iterator[Hit]:
    p = ctx.profile
    if (p.region.regulation.signed_meter_values_for_billing and is_commercial(p) and billed(p)
            and not p.hardware.meter.signed_values):
        yield Hit("hardware.meter.signed_values", f"billed {p.access.mode} charging in {p.region.name} needs signed "
                  f"meter values, but the meter {p.hardware.meter.model} does not sign its readings.")


@rule(
    "DE-EICHRECHT-ALIGNED",
    rule_set="de-eichrecht",
    severity="warning",
    title="Clock-aligned meter values every 15 minutes for signed billing (DE)",
    hint="set ocpp.clock_aligned_data_interval_s: 900.",
    source="S.A.F.E. OCMF specification (OCMF-en.md, rev 1.2): recommended OCPP ClockAlignedDataInterval = 900 "
    "with aligned data on the energy register",
    rationale="""
Signed (OCMF) meter values are verified against the readings the backend bills. The S.A.F.E. best
practice is a clock-aligned reading of the energy register every 900 seconds, so billed quarter
hours line up with signed readings. The region pack sets 900 as its default; a different value
breaks that alignment.
""",
    failing="""
access: {mode: public}
tariff: {energy_price_per_kwh: "0.59"}
ocpp: {clock_aligned_data_interval_s: 3600}
""",
    passing="""
access: {mode: public}
tariff: {energy_price_per_kwh: "0.59"}
ocpp: {clock_aligned_data_interval_s: 900}
""",
)
def eichrecht_aligned(ctx: RuleContext) -> Iterator[Hit]:
    p = ctx.profile
    value = p.ocpp.clock_aligned_data_interval_s
    if p.region.regulation.signed_meter_values_for_billing and is_commercial(p) and billed(p) and value != 900:
        yield Hit("ocpp.clock_aligned_data_interval_s", f"ocpp.clock_aligned_data_interval_s is {value} s; signed "
                  "billing in " + p.region.name + " expects clock-aligned meter values every 900 s (OCMF).")


@rule(
    "GB-SIGNED-UPDATES",
    rule_set="gb-smart-charge-points",
    severity="error",
    title="Only signed firmware updates (GB smart charge points)",
    hint="set updates.firmware.require_signed: true.",
    source=f"{_GB_SMART} reg 12 and Schedule 1 (security: secure, authenticated software updates); "
    "ETSI EN 303 645",
    rationale="""
Smart charge points sold in Great Britain must meet the Schedule 1 security requirements, which
include software updates whose origin and integrity the charger checks. A charger that accepts
unsigned firmware can be turned into a remotely switched load by anyone who reaches it.
""",
    failing="updates: {firmware: {require_signed: false}}",
    passing="updates: {firmware: {require_signed: true}}",
)
def gb_signed_updates(ctx: RuleContext) -> Iterator[Hit]:
    p = ctx.profile
    if p.region.regulation.smart_charging is not None and not p.updates.firmware.require_signed:
        yield Hit("updates.firmware.require_signed", f"the charger accepts unsigned firmware, but smart charge "
                  f"points in {p.region.name} must only install authenticated updates.")


def _nevi(ctx: RuleContext) -> FundingProgram | None:
    p = ctx.profile
    program = p.region.regulation.funding_programs.nevi
    return program if p.access.funding_program == "nevi" else None


_NEVI = "23 CFR 680 (NEVI minimum standards, final rule 88 FR 12724)"


@rule(
    "US-NEVI-CONNECTOR",
    rule_set="us-nevi",
    severity="error",
    title="A permanently attached CCS1 connector on every NEVI-funded DC port",
    hint="make every DC connector ccs1 (tethered); J3400 (nacs) only in addition to CCS1.",
    source=f"{_NEVI} 680.106(c): each DCFC port has at least one permanently attached CCS Type 1 connector",
    rationale="""
Each DC charging port funded under NEVI must be able to charge any CCS vehicle and carry at least one
permanently attached CCS Type 1 connector; other non-proprietary connectors (J3400) are allowed only
in addition. The required and additional connectors come from region.regulation.funding_programs.nevi.
""",
    failing="""
access: {funding_program: nevi}
hardware: {connectors: [{id: 1, type: nacs, cable: tethered, max_current_a: 300, max_power_kw: 180}]}
""",
    passing="""
access: {funding_program: nevi}
hardware: {connectors: [{id: 1, type: ccs1, cable: tethered, max_current_a: 300, max_power_kw: 180}]}
""",
)
def nevi_connector(ctx: RuleContext) -> Iterator[Hit]:
    program = _nevi(ctx)
    p = ctx.profile
    if program is None or is_ac(p):
        return
    conns = p.hardware.connectors
    required = program.dc_connector
    has_required = any(c.type == required and c.cable == "tethered" for c in conns)
    for i, conn in enumerate(conns):
        if conn.type == required and conn.cable != "tethered":
            yield Hit(f"hardware.connectors.{i}.cable", f"connector {conn.id} is a {required} socket; NEVI needs "
                      f"a permanently attached (tethered) {required} connector.",
                      f"set hardware.connectors.{i}.cable: tethered.")
        elif conn.type != required and not (conn.type in program.dc_additional_connectors and has_required):
            extra = (f"; {', '.join(program.dc_additional_connectors)} only in addition to a {required} connector"
                     if program.dc_additional_connectors else "")
            yield Hit(f"hardware.connectors.{i}.type", f"connector {conn.id} is {conn.type}, but every NEVI-funded "
                      f"DC port needs a permanently attached {required} connector{extra}.",
                      f"set hardware.connectors.{i}.type: {required}.")


@rule(
    "US-NEVI-AC-CONNECTOR",
    rule_set="us-nevi",
    severity="warning",
    title="J1772 (type 1) on NEVI-funded AC ports (unverified)",
    hint="make every AC connector type1 (J1772).",
    source=f"{_NEVI} 680.106 (AC port connector; wording not verified in the rule text, so a warning)",
    rationale="""
NEVI-funded AC Level 2 ports are commonly said to need a permanently attached J1772 connector. The
requirement was not found in the retrieved rule text, so this is a warning until verified. The
connector comes from region.regulation.funding_programs.nevi.ac_connector.
""",
    failing="""
access: {funding_program: nevi}
product: {family: ac-wallbox}
hardware: {connectors: [{id: 1, type: nacs, cable: tethered, max_current_a: 48}]}
""",
    passing="""
access: {funding_program: nevi}
product: {family: ac-wallbox}
hardware: {connectors: [{id: 1, type: type1, cable: tethered, max_current_a: 48}]}
""",
)
def nevi_ac_connector(ctx: RuleContext) -> Iterator[Hit]:
    program = _nevi(ctx)
    p = ctx.profile
    if program is None or program.ac_connector is None or not is_ac(p):
        return
    for i, conn in enumerate(p.hardware.connectors):
        if conn.type != program.ac_connector:
            yield Hit(f"hardware.connectors.{i}.type", f"connector {conn.id} is {conn.type}; NEVI-funded AC ports "
                      f"are expected to carry {program.ac_connector}.",
                      f"set hardware.connectors.{i}.type: {program.ac_connector}.")


@rule(
    "US-NEVI-OCPP",
    rule_set="us-nevi",
    severity="error",
    title="OCPP 2.0.1 on NEVI-funded chargers",
    hint='set ocpp.version: "2.0.1".',
    source=f"{_NEVI} 680.108(b): OCPP 1.6J or higher, OCPP 2.0.1 from 2024-02-28",
    rationale="""
NEVI-funded chargers must speak OCPP 2.0.1 (since 28 February 2024) so that the network provider can
be switched without hardware changes. The version comes from region.regulation.funding_programs.nevi.
""",
    failing='ocpp: {version: "1.6J"}',
    passing='ocpp: {version: "2.0.1"}',
)
def nevi_ocpp(ctx: RuleContext) -> Iterator[Hit]:
    program = _nevi(ctx)
    if program is not None and ctx.profile.ocpp.version != program.ocpp_version:
        yield Hit("ocpp.version", f"ocpp.version is {ctx.profile.ocpp.version}, but NEVI-funded chargers must use "
                  f"OCPP {program.ocpp_version}.", f'set ocpp.version: "{program.ocpp_version}".')


@rule(
    "US-NEVI-ISO15118",
    rule_set="us-nevi",
    severity="error",
    title="ISO 15118 and Plug & Charge on NEVI-funded DC chargers",
    hint="set charging.iso15118: {enabled: true, plug_and_charge: true} (needs hardware.plc_modem).",
    source=f"{_NEVI} 680.108(a): ISO 15118-3 conformant, -2/-20 capable hardware, Plug & Charge software "
    "from 2024-02-28",
    rationale="""
NEVI-funded chargers must conform to ISO 15118-3, have hardware capable of ISO 15118-2 and -20, and
since 28 February 2024 run ISO 15118-2 software that is Plug & Charge capable.
""",
    failing="""
access: {funding_program: nevi}
charging: {iso15118: {enabled: true, plug_and_charge: false}}
""",
    passing="""
access: {funding_program: nevi}
charging: {iso15118: {enabled: true, plug_and_charge: true}}
""",
)
def nevi_iso15118(ctx: RuleContext) -> Iterator[Hit]:
    program = _nevi(ctx)
    p = ctx.profile
    if program is None or is_ac(p):
        return
    if program.iso15118_required and not p.charging.iso15118.enabled:
        yield Hit("charging.iso15118.enabled", "NEVI-funded DC chargers must run ISO 15118, but "
                  "charging.iso15118.enabled is false.", "set charging.iso15118.enabled: true.")
    if program.plug_and_charge_required and not p.charging.iso15118.plug_and_charge:
        yield Hit("charging.iso15118.plug_and_charge", "NEVI-funded DC chargers must be Plug & Charge capable, "
                  "but charging.iso15118.plug_and_charge is false.", "set charging.iso15118.plug_and_charge: true.")


@rule(
    "US-NEVI-POWER",
    rule_set="us-nevi",
    severity="error",
    title="150 kW on every NEVI-funded DC port at the same time (6 kW per AC port)",
    hint="give every DC port at least 150 kW and the charger 150 kW per port, or use fewer ports.",
    source=f"{_NEVI} 680.106(d): each DCFC port simultaneously up to 150 kW as requested by the vehicle; "
    "AC Level 2 at least 6 kW per port simultaneously",
    rationale="""
Each NEVI-funded DC port must be able to deliver 150 kW while every other port of the charger does
the same. A 180 kW cabinet shared by two ports fails when both are in use. The power comes from
region.regulation.funding_programs.nevi.min_dc_port_power_kw.
""",
    failing="""
access: {funding_program: nevi}
hardware:
  max_power_kw: 180
  connectors:
    - {id: 1, type: ccs1, cable: tethered, max_current_a: 300, max_power_kw: 180}
    - {id: 2, type: ccs1, cable: tethered, max_current_a: 300, max_power_kw: 180}
""",
    passing="""
access: {funding_program: nevi}
hardware:
  max_power_kw: 180
  connectors:
    - {id: 1, type: ccs1, cable: tethered, max_current_a: 300, max_power_kw: 180}
    - {id: 2, remove: true}
""",
)
def nevi_power(ctx: RuleContext) -> Iterator[Hit]:
    program = _nevi(ctx)
    p = ctx.profile
    if program is None:
        return
    ports = len(p.hardware.connectors)
    if is_ac(p):
        need_ac = program.min_ac_port_power_kw
        if need_ac is not None and p.hardware.max_power_kw < need_ac * ports:
            yield Hit("hardware.max_power_kw", f"{fmt_kw(p.hardware.max_power_kw)} kW over {ports} AC port(s) gives "
                      f"less than the {fmt_kw(need_ac)} kW per port NEVI requires.")
        return
    need = program.min_dc_port_power_kw
    for i, conn in enumerate(p.hardware.connectors):
        port = conn.max_power_kw if conn.max_power_kw is not None else p.hardware.max_power_kw
        if port < need:
            yield Hit(f"hardware.connectors.{i}.max_power_kw", f"connector {conn.id} delivers at most "
                      f"{fmt_kw(port)} kW; NEVI-funded DC ports need {fmt_kw(need)} kW.")
    if p.hardware.max_power_kw < need * ports:
        yield Hit("hardware.max_power_kw", f"the charger's {fmt_kw(p.hardware.max_power_kw)} kW shared by {ports} "
                  f"ports cannot give each NEVI-funded port {fmt_kw(need)} kW at the same time (needs "
                  f"{fmt_kw(need * ports)} kW).",
                  f"use a product with {fmt_kw(need * ports)} kW, or keep "
                  f"{int(p.hardware.max_power_kw // need)} port(s) (remove the others with "
                  "'- {id: N, remove: true}').")


@rule(
    "US-NEVI-PRICE",
    rule_set="us-nevi",
    severity="error",
    title="Price per kWh shown before the session on NEVI-funded chargers",
    hint="set tariff.display_price: true and price energy per kWh (tariff.energy_price_per_kwh).",
    source=f"{_NEVI} 680.116(a): price displayed before the session in $/kWh",
    rationale="""
The price for charging at a NEVI-funded charger must be displayed before the session starts and be
given in dollars per kWh; it cannot change during the session.
""",
    failing="""
access: {funding_program: nevi}
tariff: {energy_price_per_kwh: "0.48", display_price: false}
""",
    passing="""
access: {funding_program: nevi}
tariff: {energy_price_per_kwh: "0.48", display_price: true}
""",
)
def nevi_price(ctx: RuleContext) -> Iterator[Hit]:
    program = _nevi(ctx)
    t = ctx.profile.tariff
    if program is None or not program.price_before_session:
        return
    if not t.display_price:
        yield Hit("tariff.display_price", "NEVI-funded chargers must show the price before the session, but "
                  "tariff.display_price is false.", "set tariff.display_price: true.")
    if t.energy_price_per_kwh == 0 and t.session_fee > 0:
        yield Hit("tariff.session_fee", "NEVI-funded chargers must price energy per kWh, but this tariff charges "
                  "only a session fee.", "set tariff.energy_price_per_kwh and drop or reduce tariff.session_fee.")


@rule(
    "US-HB44-NTEP",
    rule_set="us-nist-hb44",
    severity="error",
    title="NTEP-certified meter for commercial (billed) charging (US)",
    hint="use a product with an NTEP-certified meter (hardware.meter.certifications includes ntep).",
    source="NIST Handbook 44 section 3.40 (EV fueling systems), permanent from 2023-01-01, adopted by the "
    "states; NTEP certification",
    rationale="""
Selling electricity as vehicle fuel is legal-for-trade metering: states that adopted NIST Handbook 44
section 3.40 require an NTEP-certified EVSE for commercial charging. The accepted certifications come
from region.regulation.billing_meter_certifications.
""",
    failing="""
access: {mode: public}
tariff: {energy_price_per_kwh: "0.48"}
hardware: {meter: {model: LEM DCBM 400/600, certifications: [MID]}}
""",
    passing="""
access: {mode: public}
tariff: {energy_price_per_kwh: "0.48"}
hardware: {meter: {model: LEM DCBM 400/600, certifications: [ntep]}}
""",
)
def hb44_ntep(ctx: RuleContext) -> Iterator[Hit]:
    yield from _billing_meter(ctx, "NIST Handbook 44 section 3.40")


@rule(
    "US-HB44-DISPLAY",
    rule_set="us-nist-hb44",
    severity="error",
    title="Delivered energy shown on billed AC chargers (US; DC from 2028)",
    hint="use a hardware variant with a display (hardware.display: lcd or segment).",
    source="NIST Handbook 44 section 3.40 S.2.7 (indication of delivery); DC EVSE exempt until 2028-01-01",
    rationale="""
A commercial EVSE must show the initial zero and the quantity delivered. DC chargers are exempt until
1 January 2028 (a warning until then). The requirement and the DC date come from
region.regulation.billing_display_required and billing_display_dc_from.
""",
    failing="""
product: {family: ac-wallbox}
access: {mode: public}
tariff: {energy_price_per_kwh: "0.30"}
hardware: {display: none}
""",
    passing="""
product: {family: ac-wallbox}
access: {mode: public}
tariff: {energy_price_per_kwh: "0.30"}
hardware: {display: lcd}
""",
)
def hb44_display(ctx: RuleContext) -> Iterator[Hit]:
    p = ctx.profile
    reg = p.region.regulation
    if not reg.billing_display_required or not is_commercial(p) or not billed(p) or p.hardware.display != "none":
        return
    if is_ac(p) or reg.billing_display_dc_from is None:
        yield Hit("hardware.display", "this charger bills energy but has no display to show the quantity "
                  "delivered (hardware.display: none).")
    else:
        yield Hit("hardware.display", f"DC chargers that bill energy must show the quantity delivered from "
                  f"{reg.billing_display_dc_from}; this one has no display.", severity="warning")


@rule(
    "US-HB44-KWH",
    rule_set="us-nist-hb44",
    severity="error",
    title="Electricity sold by the kWh (US)",
    hint='set tariff.energy_price_per_kwh (e.g. "0.45"); fees for parking or time may come on top.',
    source="NIST Handbook 130 (method of sale: electricity as vehicle fuel by the kWh)",
    rationale="""
Electricity sold as vehicle fuel must be sold by the kWh. A tariff with only a session fee sells
energy by the session, which the method-of-sale regulation does not allow; other services may be
charged separately. The requirement comes from region.regulation.sale_by_kwh_required.
""",
    failing='tariff: {energy_price_per_kwh: "0", session_fee: "5.00"}',
    passing='tariff: {energy_price_per_kwh: "0.45", session_fee: "1.00"}',
)
def hb44_kwh(ctx: RuleContext) -> Iterator[Hit]:
    p = ctx.profile
    t = p.tariff
    if p.region.regulation.sale_by_kwh_required and t.energy_price_per_kwh == 0 and t.session_fee > 0:
        yield Hit("tariff.energy_price_per_kwh", f"the tariff charges a session fee of {t.session_fee} "
                  f"{t.currency} but no price per kWh; in {p.region.name} electricity must be sold by the kWh.")


@rule(
    "REG-CURRENCY",
    severity="error",
    title="Prices in the region's currency",
    hint="set tariff.currency to the region's currency (region.currency).",
    source="Region pack currency (region.currency, ISO 4217); AFIR Art. 5, SI 2023/1168 and 23 CFR 680.116 "
    "require prices in local units",
    rationale="""
Prices shown to drivers and billed must be in the market's currency; price-display rules (pence per
kWh, dollars per kWh) assume it. A profile priced in another currency was usually copied from another
market.
""",
    failing="""
region: {currency: GBP}
tariff: {currency: EUR}
""",
    passing="""
region: {currency: GBP}
tariff: {currency: GBP}
""",
)
def currency(ctx: RuleContext) -> Iterator[Hit]:
    p = ctx.profile
    if p.tariff.currency != p.region.currency:
        yield Hit("tariff.currency", f"tariff.currency is {p.tariff.currency}, but prices in {p.region.name} are "
                  f"in {p.region.currency}.", f"set tariff.currency: {p.region.currency} and convert the prices.")


def _primary(tag: str) -> str:
    return tag.split("-")[0].lower()


@rule(
    "REG-LANGUAGE",
    severity="warning",
    title="Charger display speaks a language of the region",
    hint="add one of the region's languages (region.languages) to branding.display.languages.",
    source="Region pack languages (region.languages); consumer information duties of the market",
    rationale="""
Drivers must understand what the charger's display tells them (errors, prices, instructions). A
display without any of the region's languages usually means the display settings were copied from
another market.
""",
    failing="""
region: {languages: [de-DE, en]}
branding: {display: {languages: [fr]}}
""",
    passing="""
region: {languages: [de-DE, en]}
branding: {display: {languages: [de, en]}}
""",
)
def language(ctx: RuleContext) -> Iterator[Hit]:
    p = ctx.profile
    wanted = {_primary(t) for t in p.region.languages}
    shown = p.branding.display.languages
    if not wanted & {_primary(t) for t in shown}:
        yield Hit("branding.display.languages", f"the display languages ({', '.join(shown)}) include none of "
                  f"{p.region.name}'s ({', '.join(p.region.languages)}).",
                  f"add {p.region.languages[0]} to branding.display.languages.")
