"""The ``region`` section: facts of a market, set only by a region pack (``profiles/regions/<cc>.yaml``).

Rules (:mod:`oemkit.rules`) read these facts; no country code is hard-coded in rule logic where the
pack can say it. A fact the domain sources mark unverified is listed in ``region.unverified``, and
the rules that rest on it only warn.
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel

from oemkit.types import STRICT, CountryCode, leaf, node

__all__ = [
    "RULE_SETS",
    "ConnectorType",
    "Earthing",
    "FundingProgram",
    "FundingPrograms",
    "Grid",
    "Region",
    "RegionConnectors",
    "Regulation",
    "RuleSet",
    "SmartChargingRules",
]

ConnectorType = Literal["type1", "type2", "ccs1", "ccs2", "nacs", "chademo", "gbt-ac", "gbt-dc"]
Earthing = Literal["TN-S", "TN-C-S", "TT", "IT"]
#: Named regulatory rule sets a region pack switches on; ``oemkit rules`` shows which rule belongs to which.
RuleSet = Literal[
    "gb-smart-charge-points",
    "gb-public-charge-points",
    "eu-afir",
    "de-eichrecht",
    "us-nevi",
    "us-nist-hb44",
]
RULE_SETS: tuple[str, ...] = get_args(RuleSet)


class Grid(BaseModel):
    """The supply the charger connects to."""

    model_config = STRICT
    nominal_voltage_v: int = leaf("Nominal phase-to-neutral voltage in volts (IEC 60038).", "firmware",
                                  "recertify", ge=90, le=400)
    line_voltage_v: int | None = leaf("Nominal line-to-line voltage in volts for 3-phase supplies.",
                                      "firmware", "recertify", None, ge=100, le=700)
    single_phase_voltage_v: int | None = leaf(
        "Voltage a single-phase charger is wired at when it is not nominal_voltage_v (split-phase supplies: "
        "240 V in North America, 200 V in Japan).", "firmware", "recertify", None, ge=90, le=700)
    frequency_hz: list[Literal[50, 60]] = leaf("Grid frequencies in the market (Japan has both).",
                                               "firmware", "recertify", min_length=1)
    phases: list[Literal[1, 3]] = leaf("Supply phase counts available to chargers.", "firmware",
                                       "recertify", min_length=1)
    earthing: list[Earthing] = leaf("Earthing systems found in the market (IEC 60364).", "firmware",
                                    "recertify", min_length=1)


class RegionConnectors(BaseModel):
    """Connector types the market accepts."""

    model_config = STRICT
    ac: list[ConnectorType] = leaf("Connector types allowed for AC charging.", "firmware", "recertify")
    dc: list[ConnectorType] = leaf("Connector types allowed for DC charging.", "firmware", "recertify")


class SmartChargingRules(BaseModel):
    """Smart-charge-point regulation facts (e.g. GB SI 2021/1467)."""

    model_config = STRICT
    applies_below_kw: float = leaf("The rules apply to private chargers below this power (kW).",
                                   "firmware", "recertify", gt=0)
    random_delay_default_s: int = leaf("Default randomised delay a charger must apply (seconds).",
                                       "firmware", "recertify", ge=0)
    random_delay_max_s: int = leaf("Randomised delay the charger must be capable of (seconds).",
                                   "firmware", "recertify", ge=0)
    off_peak_default_required: bool = leaf("Default charging hours outside peak hours are required.",
                                           "firmware", "recertify")
    offline_charging_required: bool = leaf("The charger must still charge without a network.",
                                           "firmware", "recertify")
    peak_hours: list[str] = leaf("Peak hours (HH:MM-HH:MM, weekdays) that defaults must avoid.",
                                 "firmware", "recertify", default_factory=list)


class FundingProgram(BaseModel):
    """Minimum standards of a public funding program (e.g. US NEVI, 23 CFR 680) for chargers built under it."""

    model_config = STRICT
    dc_connector: ConnectorType = leaf("Connector every DC port must have permanently attached.", "firmware",
                                       "recertify")
    dc_additional_connectors: list[ConnectorType] = leaf(
        "Connectors a DC charger may have in addition to dc_connector.", "firmware", "recertify",
        default_factory=list)
    ac_connector: ConnectorType | None = leaf("Connector every AC port must have.", "firmware", "recertify",
                                              None)
    min_dc_port_power_kw: float = leaf("Power every DC port must deliver simultaneously (kW).", "firmware",
                                       "recertify", gt=0)
    min_ac_port_power_kw: float | None = leaf("Power every AC port must deliver simultaneously (kW).",
                                              "firmware", "recertify", None, gt=0)
    ocpp_version: Literal["1.6J", "2.0.1"] = leaf("OCPP version the chargers must speak.", "software",
                                                  "reboot")
    iso15118_required: bool = leaf("ISO 15118 communication must be enabled.", "firmware", "reflash")
    plug_and_charge_required: bool = leaf("Plug & Charge must be enabled.", "firmware", "reflash")
    price_before_session: bool = leaf("The price per kWh is shown before the session starts.", "software",
                                      "hot")


class FundingPrograms(BaseModel):
    """Funding programs of the market, by the id a profile names in ``access.funding_program``."""

    model_config = STRICT
    nevi: FundingProgram | None = node("US National Electric Vehicle Infrastructure program (23 CFR 680).",
                                       None)


class Regulation(BaseModel):
    """Regulatory facts and limits the rules read."""

    model_config = STRICT
    rcd_dc_6ma_required: bool = leaf("An RCD of type B or 6 mA DC fault detection is required.", "firmware",
                                     "recertify", False)
    open_pen_protection_required: bool = leaf("Built-in open-PEN protection is expected (PME supplies).",
                                              "firmware", "recertify", False)
    billing_meter_certifications: list[str] = leaf(
        "Meter certifications accepted for billed public charging (any one suffices).", "firmware",
        "recertify", default_factory=list)
    signed_meter_values_for_billing: bool = leaf("Billed public charging needs signed meter values.",
                                                 "firmware", "recertify", False)
    billing_display_required: bool = leaf(
        "Billed AC chargers must show the quantity delivered on the charger (e.g. NIST HB 44 S.2.7).",
        "firmware", "recertify", False)
    billing_display_dc_from: str | None = leaf(
        "Date (YYYY-MM-DD) from which the delivery display also binds DC chargers; null: DC is bound now.",
        "firmware", "recertify", None, pattern=r"^\d{4}-\d{2}-\d{2}$")
    sale_by_kwh_required: bool = leaf("Electricity sold as vehicle fuel must be priced per kWh.", "software",
                                      "hot", False)
    contactless_min_kw: float | None = leaf(
        "Public chargers at or above this power must take card or contactless payment.", "firmware",
        "recertify", None, ge=0)
    price_before_session: bool = leaf("Public chargers must show the ad-hoc price before charging starts.",
                                      "software", "hot", False)
    smart_charging: SmartChargingRules | None = node("Smart-charge-point rules for private chargers.", None)
    funding_programs: FundingPrograms = node("Public funding programs and their minimum standards.",
                                             default_factory=FundingPrograms)
    min_current_a: int = leaf("Lowest AC charging current the pilot signal can offer (A).", "firmware",
                              "recertify", 6, ge=1, le=80)
    max_current_a: int = leaf("Highest charging current the market's pilot signalling allows (A).",
                              "firmware", "recertify", 80, ge=6, le=80)


class Region(BaseModel):
    """Facts of the market the profile is sold in; set by a region pack, never by a partner."""

    model_config = STRICT
    country: CountryCode = leaf("ISO 3166-1 alpha-2 country code.", "firmware", "recertify")
    name: str = leaf("Human-readable market name.", "software", "hot", min_length=1, max_length=60)
    grid: Grid = node("The electrical supply of the market.")
    connectors: RegionConnectors = node("Connector types allowed in the market, AC and DC.")
    currency: str = leaf("ISO 4217 currency code used for prices.", "software", "hot",
                         pattern=r"^[A-Z]{3}$")
    languages: list[str] = leaf("BCP 47 language tags customers expect.", "software", "hot", min_length=1)
    rule_sets: list[RuleSet] = leaf("Rule sets that apply in this market (see `oemkit rules`).", "software",
                                    "hot", default_factory=list)
    regulation: Regulation = node("Regulatory facts and limits.", default_factory=Regulation)
    unverified: list[str] = leaf(
        "Facts of this pack (dotted paths under region, e.g. grid.frequency_hz) that the sources mark "
        "unverified; rules resting on them only warn.", "software", "hot", default_factory=list)
