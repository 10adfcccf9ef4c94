"""The ``region`` section: facts of a market, set only by a region pack (``profiles/regions/<cc>.yaml``).

Rules read these facts; no country code is hard-coded in rule logic where the pack can say it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from oemkit.types import STRICT, CountryCode, leaf, node

__all__ = ["ConnectorType", "Earthing", "Grid", "Region", "RegionConnectors", "Regulation", "SmartChargingRules"]

ConnectorType = Literal["type1", "type2", "ccs1", "ccs2", "nacs", "chademo", "gbt-ac", "gbt-dc"]
Earthing = Literal["TN-S", "TN-C-S", "TT", "IT"]


class Grid(BaseModel):
    """The supply the charger connects to."""

    model_config = STRICT
    nominal_voltage_v: int = leaf("Nominal phase-to-neutral voltage in volts (IEC 60038).", "firmware",
                                  "recertify", ge=90, le=400)
    line_voltage_v: int | None = leaf("Nominal line-to-line voltage in volts for 3-phase supplies.",
                                      "firmware", "recertify", None, ge=100, le=700)
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
    contactless_min_kw: float | None = leaf(
        "Public chargers at or above this power must take card or contactless payment.", "firmware",
        "recertify", None, ge=0)
    price_before_session: bool = leaf("Public chargers must show the ad-hoc price before charging starts.",
                                      "software", "hot", False)
    smart_charging: SmartChargingRules | None = node("Smart-charge-point rules for private chargers.", None)
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
    rule_sets: list[str] = leaf("Rule sets that apply in this market (see `oemkit rules`).", "software",
                                "hot", default_factory=list)
    regulation: Regulation = node("Regulatory facts and limits.", default_factory=Regulation)
