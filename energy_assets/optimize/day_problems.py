"""The day's household and fleet problems as the graph poses them, built in one place.

`dispatch/*` plans on the carbon forecast and `evaluation/dispatch_value` re-plans on the actual
intensities (perfect foresight); both build their problem here, so the two can only differ in
the carbon signal they are given. Price is the illustrative time-of-use tariff.
"""

from __future__ import annotations

import datetime as dt
import os

import numpy as np
import polars as pl

from energy_assets.optimize.fleet import FleetProblem
from energy_assets.optimize.fleet_profiles import make_fleet
from energy_assets.optimize.household import (
    HouseholdProblem,
    default_household_appliances,
    expand_hourly_to_slots,
)
from energy_assets.optimize.tariffs import time_of_use_usd_per_kwh

SLOT_MINUTES = 15


def slot_signal(
    hour_starts_utc: list[dt.datetime], carbon_gco2_per_kwh: list[float]
) -> tuple[list[dt.datetime], list[float]]:
    """Hourly carbon intensity -> (15-minute slot starts, carbon per slot)."""
    return expand_hourly_to_slots(hour_starts_utc, carbon_gco2_per_kwh, SLOT_MINUTES)


def household_day_problem(
    slots: list[dt.datetime],
    carbon_gco2_per_kwh: list[float],
    tz: str,
    objective: str,
    blend_weight_carbon: float,
) -> HouseholdProblem:
    """The default household's appliances over the day's slots."""
    return HouseholdProblem(
        slot_starts_utc=slots,
        slot_minutes=SLOT_MINUTES,
        appliances=default_household_appliances(slots, tz=tz, slot_minutes=SLOT_MINUTES),
        carbon_gco2_per_kwh=carbon_gco2_per_kwh,
        price_usd_per_kwh=time_of_use_usd_per_kwh(slots, tz),
        objective=objective,  # type: ignore[arg-type]
        blend_weight_carbon=blend_weight_carbon,
        tz=tz,
    )


def fleet_day_problem(
    market_date: dt.date,
    slots: list[dt.datetime],
    carbon_gco2_per_kwh: list[float],
    tz: str,
    household: pl.DataFrame,
    n_homes: int,
    seed: int,
    objective: str,
    feeder_import_limit_kw: float | None,
    feeder_export_limit_kw: float | None,
    pv_kw_per_kw: np.ndarray | None = None,
) -> FleetProblem:
    """`n_homes` homes diversified from the household year (deterministic per `seed`); their PV
    the household's, or `pv_kw_per_kw` (per slot) x each home's kWp when given."""
    return FleetProblem(
        slot_starts_utc=slots,
        slot_minutes=SLOT_MINUTES,
        homes=make_fleet(
            market_date, n_homes, tz, household, seed, SLOT_MINUTES, pv_kw_per_kw=pv_kw_per_kw
        ),
        price_usd_per_kwh=np.array(time_of_use_usd_per_kwh(slots, tz)),
        carbon_gco2_per_kwh=np.array(carbon_gco2_per_kwh),
        objective=objective,  # type: ignore[arg-type]
        feeder_import_limit_kw=feeder_import_limit_kw,
        feeder_export_limit_kw=feeder_export_limit_kw,
        # the chunks of batteries are independent LPs until the feeder price couples them: one
        # per core at a time (each chunk's optimum does not depend on which thread solved it)
        threads=os.cpu_count() or 1,
    )
