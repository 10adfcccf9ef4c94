"""Cross-layer rules: the firmware layer (hardware, device behaviour) and the software layer (backend,
access, tariff) must work together before a release is built."""

from __future__ import annotations

from collections.abc import Iterator

from oemkit.rules import Hit, RuleContext, rule
from oemkit.rules._common import billed, is_public

_ISO = "ISO 15118-2/-20 (high-level communication over the CP line, PLC per ISO 15118-3)"


@rule(
    "XL-PNC-NEEDS-PLC",
    severity="error",
    title="Plug & Charge needs ISO 15118 enabled and a PLC modem",
    hint="set charging.iso15118.enabled: true on hardware with plc_modem: true, or turn plug_and_charge off.",
    source=f"{_ISO}; Plug & Charge is an ISO 15118 service",
    rationale="""
Plug & Charge authenticates the vehicle by its contract certificate, exchanged over ISO 15118
high-level communication. That needs ISO 15118 enabled in the firmware and a PLC modem on the
control pilot line; without them the backend offers Plug & Charge that never works.
""",
    failing="""
hardware: {plc_modem: false}
charging: {iso15118: {enabled: false, plug_and_charge: true}}
""",
    passing="""
hardware: {plc_modem: true}
charging: {iso15118: {enabled: true, plug_and_charge: true}}
""",
)
def pnc_needs_plc(ctx: RuleContext) -> Iterator[Hit]:
    p = ctx.profile
    if not p.charging.iso15118.plug_and_charge:
        return
    if not p.charging.iso15118.enabled:
        yield Hit("charging.iso15118.enabled", "Plug & Charge is on (charging.iso15118.plug_and_charge) but "
                  "ISO 15118 is disabled.", "set charging.iso15118.enabled: true.")
    if not p.hardware.plc_modem:
        yield Hit("charging.iso15118.plug_and_charge", "Plug & Charge is on, but the hardware has no PLC modem "
                  "(hardware.plc_modem: false) to talk ISO 15118 with the vehicle.",
                  "use a product with a PLC modem, or set charging.iso15118.plug_and_charge: false.")


@rule(
    "XL-ISO15118-NEEDS-PLC",
    severity="error",
    title="ISO 15118 needs a PLC modem",
    hint="use a product with hardware.plc_modem: true, or set charging.iso15118.enabled: false.",
    source=_ISO,
    rationale="""
ISO 15118 messages run over power-line communication on the control pilot. Firmware with ISO 15118
enabled on hardware without a PLC modem waits for a link that never comes.
""",
    failing="""
hardware: {plc_modem: false}
charging: {iso15118: {enabled: true, plug_and_charge: false}}
""",
    passing="""
hardware: {plc_modem: true}
charging: {iso15118: {enabled: true, plug_and_charge: false}}
""",
)
def iso_needs_plc(ctx: RuleContext) -> Iterator[Hit]:
    p = ctx.profile
    if p.charging.iso15118.enabled and not p.charging.iso15118.plug_and_charge and not p.hardware.plc_modem:
        yield Hit("charging.iso15118.enabled", "ISO 15118 is enabled, but the hardware has no PLC modem "
                  "(hardware.plc_modem: false).")


@rule(
    "XL-LOCAL-LIST-NEEDS-RFID",
    severity="error",
    title="A local authorisation list needs an RFID reader",
    hint="use a product with an RFID reader (hardware.rfid), or turn the local list off.",
    source="OCPP 1.6 section 3.5 / 2.0.1 C13 Local Authorization List (idTags of ISO 14443/15693 cards)",
    rationale="""
A local authorisation list holds the card IDs the charger accepts by itself (also offline). Without
an RFID reader no card can be presented, so the list, and an offline mode that relies on it, lock
everyone out.
""",
    failing="""
hardware: {rfid: none}
access: {local_auth_list: true}
""",
    passing="""
hardware: {rfid: iso14443}
access: {local_auth_list: true}
""",
)
def local_list_needs_rfid(ctx: RuleContext) -> Iterator[Hit]:
    p = ctx.profile
    if p.hardware.rfid != "none":
        return
    if p.access.local_auth_list:
        yield Hit("access.local_auth_list", "access.local_auth_list is on, but the charger has no RFID reader "
                  "(hardware.rfid: none).", "set access.local_auth_list: false, or use a product with a reader.")
    if p.charging.offline_mode == "local_auth_list":
        yield Hit("charging.offline_mode", "charging.offline_mode is local_auth_list, but the charger has no RFID "
                  "reader (hardware.rfid: none), so nobody can charge offline.",
                  "set charging.offline_mode to free_vend or deny, or use a product with a reader.")


@rule(
    "XL-RFID-MODE-NEEDS-READER",
    severity="error",
    title="access.mode rfid_only needs an RFID reader",
    hint="use a product with an RFID reader, or choose another access.mode.",
    source="OCPP 1.6 Authorize.req / 2.0.1 C01 (idToken types ISO14443, ISO15693)",
    rationale="""
In rfid_only mode a session starts only after a card is read. A charger without a reader can never
start a session.
""",
    failing="""
hardware: {rfid: none}
access: {mode: rfid_only}
""",
    passing="""
hardware: {rfid: iso14443}
access: {mode: rfid_only}
""",
)
def rfid_mode(ctx: RuleContext) -> Iterator[Hit]:
    p = ctx.profile
    if p.access.mode == "rfid_only" and p.hardware.rfid == "none":
        yield Hit("access.mode", "access.mode is rfid_only, but the charger has no RFID reader "
                  "(hardware.rfid: none), so no session can start.")


@rule(
    "XL-PRICE-NEEDS-DISPLAY",
    severity="error",
    title="display_price needs a display",
    hint="use a product with a display (hardware.display: lcd or segment), or set tariff.display_price: false.",
    source="OCPP 2.0.1 DisplayMessageCtrlr / TariffCostCtrlr (shown on the charger's display)",
    rationale="""
tariff.display_price shows the price on the charger before the session. Without a display the
setting does nothing, and a market that requires the price to be shown is not served.
""",
    failing="""
hardware: {display: none}
tariff: {display_price: true}
""",
    passing="""
hardware: {display: lcd}
tariff: {display_price: true}
""",
)
def price_needs_display(ctx: RuleContext) -> Iterator[Hit]:
    p = ctx.profile
    if p.tariff.display_price and p.hardware.display == "none":
        yield Hit("tariff.display_price", "tariff.display_price is on, but the charger has no display "
                  "(hardware.display: none).")


@rule(
    "XL-VENDOR-NEEDS-201",
    severity="error",
    title="A vendor name over 20 characters needs OCPP 2.0.1",
    hint='shorten branding.ocpp_identity.vendor to 20 characters, or set ocpp.version: "2.0.1".',
    source="OCPP 1.6 BootNotification.req chargePointVendor CiString20Type; OCPP 2.0.1 vendorName maxLength 50",
    rationale="""
The vendor name is compiled into the firmware and sent in every BootNotification. OCPP 1.6 allows 20
characters; only OCPP 2.0.1 allows up to 50. A 1.6 backend rejects the longer name and the charger
never comes online.
""",
    failing='ocpp: {version: "1.6J"}\nbranding: {ocpp_identity: {vendor: Northern Lights Charging Co}}',
    passing='ocpp: {version: "1.6J"}\nbranding: {ocpp_identity: {vendor: Northern Lights}}',
)
def vendor_needs_201(ctx: RuleContext) -> Iterator[Hit]:
    p = ctx.profile
    vendor = p.branding.ocpp_identity.vendor
    if p.ocpp.version == "1.6J" and len(vendor) > 20:
        yield Hit("branding.ocpp_identity.vendor", f"the vendor name '{vendor}' has {len(vendor)} characters; "
                  "OCPP 1.6 allows 20 (only 2.0.1 allows 50).")


@rule(
    "XL-OFFLINE-FREE-VEND",
    severity="warning",
    title="Billed chargers give energy away when offline in free_vend mode",
    hint="set charging.offline_mode: local_auth_list (known cards charge offline and are billed later).",
    source="OCPP 1.6 section 3.4 / 2.0.1 C15 offline behaviour (transactions without authorisation)",
    rationale="""
In free_vend mode anyone can charge while the backend is unreachable, and those sessions cannot be
billed to a customer. For a billed public charger that is lost revenue on every outage.
""",
    failing="""
access: {mode: public}
tariff: {energy_price_per_kwh: "0.45"}
charging: {offline_mode: free_vend}
""",
    passing="""
access: {mode: public}
tariff: {energy_price_per_kwh: "0.45"}
charging: {offline_mode: local_auth_list}
""",
)
def offline_free_vend(ctx: RuleContext) -> Iterator[Hit]:
    p = ctx.profile
    if p.charging.offline_mode == "free_vend" and billed(p) and is_public(p):
        yield Hit("charging.offline_mode", "this public charger bills sessions, but offline it lets "
                  "anyone charge for free (charging.offline_mode: free_vend).")
