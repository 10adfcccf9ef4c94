"""The profile model (pydantic v2): one class per section, every leaf with layer and impact.

``Profile`` is a resolved, buildable profile. The per-file (layer) schema is derived from the same
model by :mod:`oemkit.schema`. Layers: ``firmware`` (what the charger does as a machine) and
``software`` (what it does in the networked business); ``meta`` marks identity keys that are not
parameters (``schema_version``, ``extends``, ``variant``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from oemkit.region import ConnectorType, Region
from oemkit.types import STRICT, Color, HHMMWindow, Money, Slug, leaf, node

__all__ = [
    "Access",
    "Branding",
    "Charging",
    "Connector",
    "Hardware",
    "Ocpp",
    "Partner",
    "Portal",
    "Product",
    "Profile",
    "SecretRef",
    "Tariff",
    "Updates",
]

_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
# "\$" inside a class is a plain "$" everywhere; written escaped so that no validator that rewrites an
# end-of-string "$" (fastjsonschema turns it into "\Z") can touch it.
_HTTPS = r"^https://[^\s/\$.?#][^\s]*$"


class SecretRef(BaseModel):
    """A reference to a secret held outside the profile; the value is read from the environment at build time."""

    model_config = STRICT
    secret: str = leaf("Name of the secret (environment variable OEMKIT_SECRET_<NAME> at build time).",
                       "software", "hot", pattern=r"^[A-Z][A-Z0-9_]{1,63}$")


class Partner(BaseModel):
    """Who the variant is for and which layers they may customise."""

    model_config = STRICT
    id: Slug = leaf("Partner slug; the bundle id is <partner.id>-<variant>.", "software", "hot")
    name: str = leaf("Partner's legal or trading name.", "software", "hot", min_length=1, max_length=80)
    customization: list[Literal["software", "firmware"]] = leaf(
        "Layers the partner may set in its own files: a subset of [software, firmware].", "software", "hot",
        max_length=2)


class Product(BaseModel):
    """The product family the variant is built on; set by the factory's product file."""

    model_config = STRICT
    family: Literal["ac-wallbox", "dc-fast"] = leaf("Product family: AC wallbox or DC fast charger.",
                                                    "firmware", "recertify")
    model: str = leaf("Factory model number.", "firmware", "recertify", min_length=1, max_length=40)
    hardware_revision: str = leaf("Hardware revision the firmware targets.", "firmware", "reflash",
                                  pattern=r"^[A-Z0-9][A-Z0-9.-]{0,15}$")


class Colors(BaseModel):
    """Portal and app colours."""

    model_config = STRICT
    primary: Color = leaf("Primary brand colour (#RRGGBB) for portal and app.", "software", "hot")
    secondary: Color = leaf("Secondary brand colour (#RRGGBB).", "software", "hot")


class Support(BaseModel):
    """Where a driver gets help; shown in portal, app and receipts."""

    model_config = STRICT
    url: str = leaf("Support web page (https://...).", "software", "hot", pattern=_HTTPS, max_length=200)
    phone: str = leaf("Support phone number in international format (+CC ...).", "software", "hot",
                      pattern=r"^\+[0-9][0-9 ()-]{5,24}$")
    email: str = leaf("Support e-mail address.", "software", "hot", pattern=_EMAIL, max_length=120)


class Display(BaseModel):
    """What the charger's own display shows (compiled into the firmware)."""

    model_config = STRICT
    boot_text: str = leaf("Text shown while the charger boots (max 32 characters).", "firmware", "reflash",
                          min_length=1, max_length=32)
    languages: list[str] = leaf("BCP 47 tags of the display languages; the first is the default.",
                                "firmware", "reflash", min_length=1, max_length=8)


class Led(BaseModel):
    """Status LED colours (compiled into the firmware)."""

    model_config = STRICT
    idle: Color = leaf("LED colour when idle (#RRGGBB).", "firmware", "reflash")
    charging: Color = leaf("LED colour while charging (#RRGGBB).", "firmware", "reflash")
    fault: Color = leaf("LED colour on a fault (#RRGGBB).", "firmware", "reflash")


class OcppIdentity(BaseModel):
    """BootNotification identity: chargePointVendor and chargePointModel."""

    model_config = STRICT
    vendor: str = leaf("BootNotification chargePointVendor (OCPP 1.6 CiString20: max 20 characters).",
                       "firmware", "reflash", min_length=1, max_length=50)
    model: str = leaf("BootNotification chargePointModel (OCPP 1.6 CiString20: max 20 characters).",
                      "firmware", "reflash", min_length=1, max_length=50)


class Branding(BaseModel):
    """The partner's brand: portal side (software) and charger side (firmware)."""

    model_config = STRICT
    brand_name: str = leaf("Brand name in portal, app and receipts.", "software", "hot", min_length=1,
                           max_length=60)
    colors: Colors = node("Portal/app colours.")
    logo: str | None = leaf("Logo file (svg or png), relative to the file that sets it; inside the workspace.",
                            "software", "hot", None, pattern=r"^[^\s].*\.([sS][vV][gG]|[pP][nN][gG])$", max_length=200)
    support: Support = node("Support contacts.")
    display: Display = node("Charger display texts.")
    led: Led = node("Status LED colours.")
    ocpp_identity: OcppIdentity = node("Identity the charger reports in BootNotification.")


class Connector(BaseModel):
    """One connector (outlet) of the charger."""

    model_config = STRICT
    id: int = leaf("Connector id (1-based, as in OCPP).", "firmware", "recertify", ge=1, le=8)
    type: ConnectorType = leaf("Connector type.", "firmware", "recertify")
    cable: Literal["tethered", "socket"] = leaf("Tethered cable or socket outlet.", "firmware", "recertify")
    max_current_a: int = leaf("Highest current this connector is rated for (A).", "firmware", "recertify",
                              ge=1, le=600)
    max_power_kw: float | None = leaf("Highest power of this connector (kW); DC ports.", "firmware",
                                      "recertify", None, gt=0, le=1000)


class Rcd(BaseModel):
    """Residual current protection."""

    model_config = STRICT
    type: Literal["A", "B", "F"] = leaf("RCD type (IEC 62423 / IEC 61008).", "firmware", "recertify")
    dc_fault_detection_6ma: bool = leaf("6 mA DC residual current detection (IEC 62955 RDC-DD).", "firmware",
                                        "recertify")


class Meter(BaseModel):
    """The energy meter."""

    model_config = STRICT
    model: str = leaf("Meter model.", "firmware", "recertify", min_length=1, max_length=40)
    certifications: list[str] = leaf("Meter certifications, e.g. MID, eichrecht, ntep.", "firmware",
                                     "recertify", default_factory=list)
    signed_values: bool = leaf("The meter signs its readings (OCMF), as calibration law requires.",
                               "firmware", "recertify", False)


class Hardware(BaseModel):
    """The fitted hardware options of the variant."""

    model_config = STRICT
    phases: Literal[1, 3] = leaf("Supply phases used.", "firmware", "recertify")
    rated_current_a: int = leaf("Rated current per phase (A).", "firmware", "recertify", ge=1, le=600)
    max_power_kw: float = leaf("Rated power of the charger (kW).", "firmware", "recertify", gt=0, le=1000)
    connectors: list[Connector] = node("Connectors; merged item by item on 'id', 'remove: true' drops one.",
                                       merge="id", min_length=1, max_length=8)
    rcd: Rcd = node("Residual current device (RCD) fitted.")
    meter: Meter = node("Energy meter.")
    rfid: Literal["none", "iso14443", "iso15693"] = leaf("RFID reader fitted.", "firmware", "reflash")
    display: Literal["none", "segment", "lcd"] = leaf("Display fitted.", "firmware", "reflash")
    connectivity: list[Literal["ethernet", "wifi", "lte"]] = leaf("Network interfaces fitted.", "firmware",
                                                                  "reflash", min_length=1)
    payment_terminal: bool = leaf("Card/contactless payment terminal fitted.", "firmware", "reflash")
    plc_modem: bool = leaf("PLC modem for ISO 15118 high-level communication.", "firmware", "reflash")
    it_earthing_support: bool = leaf("Certified for IT earthing systems (e.g. Norway).", "firmware",
                                     "recertify", False)
    open_pen_protection: bool = leaf("Built-in open-PEN protection device (BS 7671 722.411.4.1).",
                                     "firmware", "recertify", False)


class Iso15118(BaseModel):
    """ISO 15118 high-level communication."""

    model_config = STRICT
    enabled: bool = leaf("ISO 15118 communication with the vehicle.", "firmware", "reflash")
    plug_and_charge: bool = leaf("Plug & Charge (contract certificates in the vehicle).", "firmware", "reflash")


class ConnectorLock(BaseModel):
    """Connector lock behaviour."""

    model_config = STRICT
    permanent: bool = leaf("Keep a socket's cable locked when idle (anti-theft).", "firmware", "reflash", False)
    unlock_on_power_loss: bool = leaf("Release the lock when mains power fails.", "firmware", "recertify", True)


class Charging(BaseModel):
    """How the charger behaves as a machine."""

    model_config = STRICT
    max_current_a: int = leaf("Highest charging current offered (A): <= hardware.rated_current_a and every "
                              "connector's max; 6..80 A for AC (IEC 61851-1 pilot).", "firmware", "recertify",
                              ge=1, le=600)
    min_current_a: int = leaf("Lowest charging current offered (A); at least 6 A for AC (IEC 61851-1).",
                              "firmware", "recertify", ge=1, le=600)
    randomised_delay_s: int = leaf("Default randomised delay before a start or a rate change (seconds).",
                                   "firmware", "reflash", 0, ge=0, le=3600)
    randomised_delay_max_s: int = leaf("Largest randomised delay the backend may set remotely (seconds).",
                                       "firmware", "reflash", 1800, ge=0, le=3600)
    off_peak_default: bool = leaf("Ship with default charging hours outside peak hours.", "firmware", "reflash",
                                  False)
    off_peak_window: HHMMWindow | None = leaf("Default charging hours (HH:MM-HH:MM, local time).", "firmware",
                                              "reflash", None)
    offline_mode: Literal["free_vend", "local_auth_list", "deny"] = leaf(
        "What the charger does without a backend connection.", "firmware", "reflash")
    iso15118: Iso15118 = node("ISO 15118 settings.")
    connector_lock: ConnectorLock = node("How the connector lock behaves.", default_factory=ConnectorLock)


class Ocpp(BaseModel):
    """Backend connection (OCPP)."""

    model_config = STRICT
    version: Literal["1.6J", "2.0.1"] = leaf("OCPP version (quote it: \"2.0.1\").", "software", "reboot")
    csms_url: str = leaf("CSMS websocket URL: wss://... (ws:// only with security_profile 1).", "software",
                         "reboot", pattern=r"^wss?://[^\s/\$.?#][^\s]*$", max_length=512)
    security_profile: Literal[1, 2, 3] = leaf("OCPP security profile (1: basic auth, 2: TLS + basic auth, "
                                              "3: TLS client certificates).", "software", "reboot")
    heartbeat_interval_s: int = leaf("Heartbeat interval (s).", "software", "hot", 300, ge=30, le=86400)
    meter_value_sample_interval_s: int = leaf("Meter value sample interval during a transaction (s).",
                                              "software", "hot", 60, ge=0, le=3600)
    clock_aligned_data_interval_s: int = leaf("Clock-aligned meter data interval (s); 900 for OCMF.",
                                              "software", "hot", 900, ge=0, le=86400)
    connection_timeout_s: int = leaf("Time a driver has to plug in after authorising (s).", "software", "hot",
                                     60, ge=10, le=600)
    basic_auth_password: SecretRef | None = node("Basic-auth password reference (security profiles 1 and 2).",
                                                 None)


class Access(BaseModel):
    """Who may charge and how they authenticate."""

    model_config = STRICT
    mode: Literal["public", "private", "rfid_only"] = leaf("Access mode.", "software", "hot")
    local_auth_list: bool = leaf("Keep a local authorisation list on the charger.", "software", "hot", False)
    funding_program: Literal["none", "nevi"] = leaf("Public funding program the site is built under.",
                                                    "software", "hot", "none")


class Tariff(BaseModel):
    """Prices shown and billed."""

    model_config = STRICT
    currency: str = leaf("ISO 4217 currency code.", "software", "hot", pattern=r"^[A-Z]{3}$")
    energy_price_per_kwh: Money = leaf("Energy price per kWh, as a quoted decimal (\"0.45\"); 0 = free.",
                                       "software", "hot")
    session_fee: Money = leaf("Fee per session (decimal).", "software", "hot", default_factory=lambda: Decimal("0"))
    display_price: bool = leaf("Show the price on the charger's display before the session.", "software",
                               "hot", False)


class Report(BaseModel):
    """A scheduled portal report."""

    model_config = STRICT
    id: Slug = leaf("Report id (merge key).", "software", "hot")
    kind: Literal["sessions", "energy", "uptime", "revenue"] = leaf("What the report covers.", "software", "hot")
    schedule: Literal["daily", "weekly", "monthly"] = leaf("How often it is sent.", "software", "hot")
    recipients: list[str] = leaf("E-mail recipients.", "software", "hot", min_length=1)


class Alert(BaseModel):
    """An operational alert from the backend."""

    model_config = STRICT
    id: Slug = leaf("Alert id (merge key).", "software", "hot")
    event: Literal["offline", "fault", "firmware_failed", "tamper"] = leaf("Event that raises it.", "software",
                                                                            "hot")
    channel: Literal["email", "sms", "webhook"] = leaf("Delivery channel.", "software", "hot")
    target: str = leaf("Address, number or https URL to deliver to.", "software", "hot", min_length=1,
                       max_length=200)


class Portal(BaseModel):
    """Portal and app branding and features."""

    model_config = STRICT
    title: str | None = leaf("Portal title; defaults to branding.brand_name.", "software", "hot", None,
                             max_length=60)
    domain: str | None = leaf("Portal host name.", "software", "hot", None,
                              pattern=r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")
    features: list[Literal["sessions", "energy", "remote_start", "reservations", "tariffs", "fleet"]] = leaf(
        "Portal features enabled.", "software", "hot", default_factory=list)
    reports: list[Report] = node("Scheduled reports; merged on 'id'.", default_factory=list, merge="id")
    alerts: list[Alert] = node("Alerts; merged on 'id'.", default_factory=list, merge="id")


class RolloutWave(BaseModel):
    """One wave of a staged firmware rollout."""

    model_config = STRICT
    percent: int = leaf("Cumulative share of the fleet updated by the end of this wave (%).", "software", "hot",
                        ge=1, le=100)
    soak_hours: int = leaf("Hours to watch this wave before the next starts.", "software", "hot", ge=0, le=720)


class FirmwareUpdates(BaseModel):
    """Governance of the firmware stream."""

    model_config = STRICT
    rollout: list[RolloutWave] = leaf("Rollout waves (replaced whole).", "software", "hot", min_length=1,
                                      max_length=10, merge="replace")
    approval: Literal["single", "two_person"] = leaf("Approvals needed before a rollout starts.", "software",
                                                     "hot")
    rollback: Literal["automatic", "manual"] = leaf("What happens when a wave fails.", "software", "hot")
    maintenance_window: HHMMWindow = leaf("Local time window for installing (HH:MM-HH:MM).", "software", "hot")
    require_signed: bool = leaf("The charger accepts only signed firmware images.", "firmware", "reflash", True)


class SoftwareUpdates(BaseModel):
    """Governance of the software stream (config pushes)."""

    model_config = STRICT
    approval: Literal["single", "two_person"] = leaf("Approvals needed before a config push.", "software", "hot",
                                                     "single")


class Updates(BaseModel):
    """Update governance of each stream."""

    model_config = STRICT
    firmware: FirmwareUpdates = node("Firmware stream.")
    software: SoftwareUpdates = node("Software stream.", default_factory=SoftwareUpdates)


class Profile(BaseModel):
    """A resolved, buildable partner profile."""

    model_config = STRICT
    schema_version: Literal[1] = leaf("Profile format version (1).", "meta", "hot")
    extends: list[str] = leaf("Files this one builds on, relative to it; later wins.", "meta", "hot",
                              default_factory=list)
    variant: Slug = leaf("Variant slug; only files with a variant are built.", "meta", "hot")
    partner: Partner = node("The partner.")
    product: Product = node("Product family and model.")
    region: Region = node("Market facts, from the region pack.")
    branding: Branding = node("Branding, portal side and charger side.")
    hardware: Hardware = node("Fitted hardware.")
    charging: Charging = node("Charging behaviour.")
    ocpp: Ocpp = node("Backend connection.")
    access: Access = node("Access rules.")
    tariff: Tariff = node("Prices shown and billed to drivers (software layer).")
    portal: Portal = node("Operator portal and app: title, domain, features, reports, alerts.", default_factory=Portal)
    updates: Updates = node("Update governance.")


# Field(...) is re-exported for models elsewhere that extend this one.
_ = Field
