"""OCPP rules: transport security, string limits of the protocol, intervals and version-specific settings."""

from __future__ import annotations

from collections.abc import Iterator

from oemkit.rules import Hit, RuleContext, rule
from oemkit.rules._common import billed, is_commercial

#: OCPP 1.6 BootNotification chargePointModel / 2.0.1 chargingStation.model: CiString20.
_MODEL_MAX = 20


@rule(
    "OCPP-WS-SECURITY",
    severity="error",
    title="Unencrypted ws:// only with security profile 1",
    hint="use a wss:// CSMS URL (TLS), which security profiles 2 and 3 require.",
    source="OCPP 1.6 Security Whitepaper / OCPP 2.0.1 Part 2 A00: profile 1 = unsecured transport + basic auth, "
    "2 = TLS + basic auth, 3 = TLS with client certificates",
    rationale="""
Security profiles 2 and 3 run OCPP over TLS. A ws:// URL has no TLS, so the charger either cannot
connect or falls back to sending the basic-auth password in clear text.
""",
    failing="ocpp: {csms_url: ws://csms.example/ocpp, security_profile: 2}",
    passing="ocpp: {csms_url: wss://csms.example/ocpp, security_profile: 2}",
)
def ws_security(ctx: RuleContext) -> Iterator[Hit]:
    o = ctx.profile.ocpp
    if o.csms_url.startswith("ws://") and o.security_profile != 1:
        yield Hit("ocpp.csms_url", f"ocpp.csms_url is unencrypted ws://, but security profile {o.security_profile} "
                  "needs TLS.", "change ocpp.csms_url to wss://" + o.csms_url.removeprefix("ws://") + ".")


@rule(
    "OCPP-PROFILE-1",
    severity="warning",
    title="Security profile 1 (no TLS) in production",
    hint="use security_profile 2 (TLS + basic auth) or 3 (TLS client certificates) with a wss:// URL.",
    source="OCPP 1.6 Security Whitepaper, security profile 1: only on trusted networks (e.g. a VPN); "
    "shared/domain.md 3.1",
    rationale="""
Security profile 1 sends the charger's basic-auth password without encryption. It is meant only for
chargers on a trusted network such as a private APN or VPN; on the open internet anyone on the path
can read the password and impersonate the charger. Profiles can only be raised later, never lowered.
""",
    failing="ocpp: {csms_url: ws://csms.example/ocpp, security_profile: 1}",
    passing="ocpp: {csms_url: wss://csms.example/ocpp, security_profile: 2}",
)
def profile_1(ctx: RuleContext) -> Iterator[Hit]:
    if ctx.profile.ocpp.security_profile == 1:
        yield Hit("ocpp.security_profile", "security profile 1 sends the CSMS password without TLS; it is safe "
                  "only on a private network (VPN, private APN).")


@rule(
    "OCPP-CISTRING",
    severity="error",
    title="BootNotification model within 20 characters",
    hint="shorten branding.ocpp_identity.model to 20 characters or fewer.",
    source="OCPP 1.6 BootNotification.req chargePointModel CiString20Type; OCPP 2.0.1 "
    "BootNotificationRequest chargingStation.model maxLength 20",
    rationale="""
The charger reports its model in every BootNotification. Both OCPP 1.6 and 2.0.1 limit the model to
20 characters; a longer one makes the CSMS reject the boot message and the charger never comes online.
""",
    failing="branding: {ocpp_identity: {model: Wallbox-Pro-22kW-Tethered}}",
    passing="branding: {ocpp_identity: {model: WB-PRO-22T}}",
)
def cistring(ctx: RuleContext) -> Iterator[Hit]:
    model = ctx.profile.branding.ocpp_identity.model
    if len(model) > _MODEL_MAX:
        yield Hit("branding.ocpp_identity.model", f"branding.ocpp_identity.model '{model}' has {len(model)} "
                  f"characters; BootNotification allows {_MODEL_MAX}.")


@rule(
    "OCPP-VENDOR-PORTABLE",
    severity="warning",
    title="BootNotification vendor fits OCPP 1.6 too (20 characters)",
    hint="shorten branding.ocpp_identity.vendor to 20 characters so the charger can also run OCPP 1.6.",
    source="OCPP 1.6 chargePointVendor CiString20Type vs OCPP 2.0.1 vendorName maxLength 50; shared/domain.md 5.3",
    rationale="""
OCPP 2.0.1 allows a vendor name of up to 50 characters, OCPP 1.6 only 20. A longer name works today
but blocks moving the same firmware to a 1.6 backend (many CSMS still are).
""",
    failing='ocpp: {version: "2.0.1"}\nbranding: {ocpp_identity: {vendor: Northern Lights Charging Co}}',
    passing='ocpp: {version: "2.0.1"}\nbranding: {ocpp_identity: {vendor: Northern Lights}}',
)
def vendor_portable(ctx: RuleContext) -> Iterator[Hit]:
    vendor = ctx.profile.branding.ocpp_identity.vendor
    if ctx.profile.ocpp.version == "2.0.1" and len(vendor) > 20:
        yield Hit("branding.ocpp_identity.vendor", f"the vendor name '{vendor}' has {len(vendor)} characters: fine "
                  "for OCPP 2.0.1, too long for OCPP 1.6 (20).")


@rule(
    "OCPP-ALIGNED-INTERVAL",
    severity="warning",
    title="Clock-aligned meter interval divides the day",
    hint="use an interval that divides 24 hours evenly, e.g. 900 (15 minutes) or 3600.",
    source="OCPP 1.6 section 9.1.3 ClockAlignedDataInterval / 2.0.1 AlignedDataCtrlr.Interval: intervals "
    "start at midnight; OCMF best practice 900 s",
    rationale="""
Clock-aligned meter values are taken at fixed times counted from midnight. An interval that does not
divide the day evenly (e.g. 7 minutes) produces readings at shifting times and a short interval
before midnight, which billing and grid reports cannot line up with quarter hours.
""",
    failing="ocpp: {clock_aligned_data_interval_s: 420}",
    passing="ocpp: {clock_aligned_data_interval_s: 900}",
)
def aligned_interval(ctx: RuleContext) -> Iterator[Hit]:
    value = ctx.profile.ocpp.clock_aligned_data_interval_s
    if value and 86400 % value:
        yield Hit("ocpp.clock_aligned_data_interval_s", f"ocpp.clock_aligned_data_interval_s is {value} s, which "
                  "does not divide the day (86400 s) evenly.")


@rule(
    "OCPP-SAMPLE-INTERVAL",
    severity="warning",
    title="Meter values sampled during billed sessions",
    hint="set ocpp.meter_value_sample_interval_s to e.g. 60.",
    source="OCPP 1.6 section 9.1.18 MeterValueSampleInterval / 2.0.1 SampledDataCtrlr.TxUpdatedInterval "
    "(0 = no sampled meter values)",
    rationale="""
With a sample interval of 0 the charger sends no meter values during a transaction: the app shows no
running cost, and an interrupted session can only be billed from the start and stop readings.
""",
    failing='ocpp: {meter_value_sample_interval_s: 0}\ntariff: {energy_price_per_kwh: "0.45"}',
    passing='ocpp: {meter_value_sample_interval_s: 60}\ntariff: {energy_price_per_kwh: "0.45"}',
)
def sample_interval(ctx: RuleContext) -> Iterator[Hit]:
    p = ctx.profile
    if p.ocpp.meter_value_sample_interval_s == 0 and billed(p) and is_commercial(p):
        yield Hit("ocpp.meter_value_sample_interval_s", "this charger bills sessions but sends no meter values "
                  "during them (ocpp.meter_value_sample_interval_s: 0).")


@rule(
    "OCPP-16-PNC",
    severity="warning",
    title="Plug & Charge over OCPP 1.6 needs the PnC extension on the CSMS",
    hint='use ocpp.version "2.0.1" (Plug & Charge is native there), or confirm the CSMS implements the '
    "OCPP 1.6 Plug & Charge application note.",
    source="OCA 'Using ISO 15118 Plug & Charge with OCPP 1.6' application note (DataTransfer, ISO15118PnCEnabled); "
    "OCPP 2.0.1 ISO15118Ctrlr",
    rationale="""
OCPP 1.6 has no Plug & Charge messages: certificates travel in DataTransfer messages defined by an
application note that not every backend implements. With OCPP 2.0.1 Plug & Charge is part of the
protocol.
""",
    failing='ocpp: {version: "1.6J"}\ncharging: {iso15118: {enabled: true, plug_and_charge: true}}',
    passing='ocpp: {version: "2.0.1"}\ncharging: {iso15118: {enabled: true, plug_and_charge: true}}',
)
def pnc_16(ctx: RuleContext) -> Iterator[Hit]:
    p = ctx.profile
    if p.ocpp.version == "1.6J" and p.charging.iso15118.plug_and_charge:
        yield Hit("charging.iso15118.plug_and_charge", "Plug & Charge is on, but OCPP 1.6 carries it only through "
                  "the PnC application note's DataTransfer messages.")
