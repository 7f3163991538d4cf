"""Price tables (market x market day): day-ahead prices, their features, models, forecasts and
scores. Hours are the market's local clock hours of the market day, 24 a day (`hour`,
`interval_start_local`: the epftoolbox files have no DST days, `sources/epftoolbox.py`); real
instants are UTC (`issued_at_utc`, `fetched_at_utc`, `trained_at_utc`). A price column names its
currency: `price_usd_per_mwh` (`price_<currency>_per_mwh`), with `currency` beside it.
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from energy_assets.schemas.common import UtcTimestamp

_PRICE = {"ge": -2_000, "le": 20_000}  # the markets' floors and caps, with room
_LOAD = {"ge": -100_000, "le": 1_000_000}
PRICE = r"^price_[a-z]{3}_per_mwh$"


def _price(**kw) -> object:
    return pa.Field(alias=PRICE, regex=True, **{**_PRICE, **kw})


class _MarketHours(pa.DataFrameModel):
    region: str  # the market code (the partition's `region` dimension), e.g. PJM
    market_date: pl.Date
    hour: pl.Int8 = pa.Field(ge=0, le=23)
    interval_start_local: pl.Datetime


class RawEpftoolboxPrices(_MarketHours):
    """raw/epftoolbox_prices: the file's hours in its own terms, each tied to its archived slice."""

    price: pl.Float64 = _price()
    exogenous: pl.Float64 = pa.Field(alias=r"^.*_forecast_mw$", regex=True, **_LOAD)
    source_row: pl.Int32 = pa.Field(ge=1)
    payload_sha256: str = pa.Field(str_length=64)
    source_url: str
    fetched_at_utc: UtcTimestamp

    class Config:
        unique = ["region", "market_date", "hour"]
        strict = True


class MarketPrices(_MarketHours):
    """harmonized/prices: the hourly day-ahead price of the market's zone."""

    market: str
    zone: str
    currency: str = pa.Field(str_length=3)
    price: pl.Float64 = _price()
    provider: str

    class Config:
        unique = ["region", "market_date", "hour"]
        strict = True


class MarketExogenousForecasts(_MarketHours):
    """harmonized/price_exogenous_forecasts: the market's day-ahead forecasts (load, wind, ...)."""

    market: str
    series: str
    series_index: pl.Int8 = pa.Field(ge=1)
    forecast_mw: pl.Float64 = pa.Field(**_LOAD)
    issued_at_utc: UtcTimestamp
    provider: str

    class Config:
        unique = ["region", "market_date", "hour", "series"]
        strict = True


class PriceFeatures(_MarketHours):
    """features/price_features: day D's feature vector (`features.price.day_features`) as 24 rows."""

    price_lags: pl.Float64 = pa.Field(alias=r"^price_d\d+_[a-z]{3}_per_mwh$", regex=True, **_PRICE)
    exog_lags: pl.Float64 = pa.Field(alias=r"^exog\d+_d\d+_mw$", regex=True, **_LOAD)
    day_of_week: pl.Int8 = pa.Field(ge=0, le=6)
    issued_at_utc: UtcTimestamp

    class Config:
        unique = ["region", "market_date", "hour"]
        strict = True


class PriceModel(pa.DataFrameModel):
    """models/price_lear, price_lightgbm, price_mlx: one row per member trained for day D."""

    region: str
    market_date: pl.Date
    member: str
    model_version: str
    artifact_path: str
    artifact_sha256: str = pa.Field(str_length=64)
    training_days: pl.Int32 = pa.Field(gt=0)
    train_first_date: pl.Date
    train_last_date: pl.Date
    trained_at_utc: UtcTimestamp

    class Config:
        unique = ["region", "market_date", "member"]
        strict = True

    @pa.dataframe_check(error="a model for day D trains on days before D only")
    def before_the_day(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("train_last_date") < pl.col("market_date"))


class PriceMemberForecasts(_MarketHours):
    """forecasts/price_day_ahead_members: each member's point forecast of D's 24 hours."""

    member: str
    model_version: str
    price: pl.Float64 = _price()
    issued_at_utc: UtcTimestamp

    class Config:
        unique = ["region", "market_date", "hour", "member"]
        strict = True


class PriceEnsembleWeights(pa.DataFrameModel):
    """models/price_ensemble: day D's weights (fitted on earlier days) and P10/P90 offsets."""

    region: str
    market_date: pl.Date
    ensemble_input: str
    weight: pl.Float64 = pa.Field(ge=0, le=1)
    weight_days: pl.Int32 = pa.Field(ge=0)
    p10_offset: pl.Float64 = pa.Field(alias=r"^p10_offset_[a-z]{3}_per_mwh$", regex=True)
    p90_offset: pl.Float64 = pa.Field(alias=r"^p90_offset_[a-z]{3}_per_mwh$", regex=True)
    calibration: str = pa.Field(isin=["ensemble", "persistence"])
    calibration_days: pl.Int32 = pa.Field(gt=0)

    class Config:
        unique = ["region", "market_date", "ensemble_input"]
        strict = True


class PriceDayAhead(_MarketHours):
    """forecasts/price_day_ahead: P10/P50/P90 of D's hourly price, issued D-1."""

    p10: pl.Float64 = pa.Field(alias=r"^price_p10_[a-z]{3}_per_mwh$", regex=True, **_PRICE)
    p50: pl.Float64 = pa.Field(alias=r"^price_p50_[a-z]{3}_per_mwh$", regex=True, **_PRICE)
    p90: pl.Float64 = pa.Field(alias=r"^price_p90_[a-z]{3}_per_mwh$", regex=True, **_PRICE)
    currency: str = pa.Field(str_length=3)
    issued_at_utc: UtcTimestamp
    model_version: str

    class Config:
        unique = ["region", "market_date", "hour"]
        strict = True

    @pa.dataframe_check(error="quantiles must be ordered P10 <= P50 <= P90")
    def ordered(cls, data: pa.PolarsData) -> pl.LazyFrame:
        p10, p50, p90 = (pl.col(f"^price_{q}_[a-z]{{3}}_per_mwh$") for q in ("p10", "p50", "p90"))
        return data.lazyframe.select(
            ((p10 <= p50) & (p50 <= p90)).alias("ordered")  # one column per currency present
        )


class PriceForecastScore(pa.DataFrameModel):
    """evaluation/price_forecast_score: a day's sums per forecaster (days roll up exactly); sums
    of errors are in the market's `currency` per MWh."""

    region: str
    market_date: pl.Date
    currency: str = pa.Field(str_length=3)
    forecaster: str
    hours: pl.Int64 = pa.Field(ge=0, le=24)
    abs_error_sum: pl.Float64 = pa.Field(ge=0)
    squared_error_sum: pl.Float64 = pa.Field(ge=0)
    smape_sum: pl.Float64 = pa.Field(ge=0)
    naive_abs_error_sum: pl.Float64 = pa.Field(ge=0)
    pinball_sum: pl.Float64 = pa.Field(nullable=True, ge=0)
    covered_hours: pl.Int64 = pa.Field(nullable=True, ge=0, le=24)

    class Config:
        unique = ["region", "market_date", "forecaster"]
        strict = True


class PriceForecastReport(pa.DataFrameModel):
    """evaluation/price_forecast_report: every scored day per market and forecaster."""

    region: str
    currency: str = pa.Field(str_length=3)
    forecaster: str
    days: pl.Int64 = pa.Field(gt=0)
    hours: pl.Int64 = pa.Field(gt=0)
    mae: pl.Float64 = pa.Field(alias=r"^mae_[a-z]{3}_per_mwh$", regex=True, ge=0)
    rmse: pl.Float64 = pa.Field(alias=r"^rmse_[a-z]{3}_per_mwh$", regex=True, ge=0)
    smape_pct: pl.Float64 = pa.Field(ge=0, le=200)
    rmae: pl.Float64 = pa.Field(nullable=True, ge=0)
    pinball: pl.Float64 = pa.Field(
        alias=r"^pinball_[a-z]{3}_per_mwh$", regex=True, nullable=True, ge=0
    )
    p10_p90_coverage: pl.Float64 = pa.Field(nullable=True, ge=0, le=1)
    dm_vs_naive_stat: pl.Float64 = pa.Field(nullable=True)
    dm_vs_naive_p: pl.Float64 = pa.Field(nullable=True, ge=0, le=1)
    dm_vs_published_stat: pl.Float64 = pa.Field(nullable=True)
    dm_vs_published_p: pl.Float64 = pa.Field(nullable=True, ge=0, le=1)

    class Config:
        unique = ["region", "forecaster"]
        strict = True


_MONEY = r"[a-z]{3}"


def _money(name: str, **kw) -> object:
    """A money column named with the market's currency: `<name>_usd`."""
    return pa.Field(alias=rf"^{name}_{_MONEY}$", regex=True, **kw)


class VppFleetPriceDispatch(pa.DataFrameModel):
    """dispatch/vpp_fleet_price_dispatch: one row per home per 15-minute slot of the market day
    (UTC instants): the battery schedule planned on the day-ahead price forecast, and what it
    was planned on."""

    region: str
    market_date: pl.Date
    home_id: str
    interval_start_utc: UtcTimestamp
    load_kw: pl.Float64 = pa.Field(ge=0)
    pv_kw: pl.Float64 = pa.Field(ge=0)
    charge_kw: pl.Float64 = pa.Field(ge=0)
    discharge_kw: pl.Float64 = pa.Field(ge=0)
    soc_kwh: pl.Float64 = pa.Field(nullable=True, ge=0)
    net_import_kw: pl.Float64
    baseline_net_import_kw: pl.Float64
    planned_price: pl.Float64 = pa.Field(
        alias=r"^price_planned_[a-z]{3}_per_mwh$", regex=True, **_PRICE
    )
    price_quantile: str = pa.Field(isin=["p10", "p50", "p90"])
    forecast_model_version: str
    fleet_seed: pl.Int64
    degradation: pl.Float64 = pa.Field(
        alias=r"^degradation_cost_[a-z]{3}_per_kwh$", regex=True, ge=0
    )
    feeder_import_limit_kw: pl.Float64 = pa.Field(nullable=True, ge=0)
    feeder_export_limit_kw: pl.Float64 = pa.Field(nullable=True, ge=0)

    class Config:
        unique = ["region", "market_date", "home_id", "interval_start_utc"]
        strict = True


class HouseholdPriceLoadShift(pa.DataFrameModel):
    """dispatch/household_price_load_shift: one row per appliance per 15-minute slot (UTC) in
    which it runs, for the plan made on the price forecast and the run-at-earliest baseline."""

    region: str
    market_date: pl.Date
    plan: str = pa.Field(isin=["optimized", "baseline"])
    appliance: str
    interval_start_utc: UtcTimestamp
    power_kw: pl.Float64 = pa.Field(gt=0, le=100)
    energy_kwh: pl.Float64 = pa.Field(gt=0)
    planned_price: pl.Float64 = pa.Field(
        alias=r"^price_planned_[a-z]{3}_per_mwh$", regex=True, **_PRICE
    )
    price_quantile: str = pa.Field(isin=["p10", "p50", "p90"])
    forecast_model_version: str

    class Config:
        unique = ["region", "market_date", "plan", "appliance", "interval_start_utc"]
        strict = True


class PriceDispatchValue(pa.DataFrameModel):
    """evaluation/price_dispatch_value: per market day, schedule (the fleet, the household) and
    plan (the baseline, the plan on our forecast, on the published DNN forecast where it covers
    the day, perfect foresight), the cost at the actual prices and the value against the
    baseline (idle batteries; appliances run at their earliest), in the market's currency."""

    region: str
    market_date: pl.Date
    currency: str = pa.Field(str_length=3)
    schedule: str = pa.Field(isin=["vpp_fleet_price_dispatch", "household_price_load_shift"])
    plan: str
    planned_on: str
    baseline_cost: pl.Float64 = _money("baseline_cost")
    planned_cost: pl.Float64 = _money("planned_cost", nullable=True)
    energy_cost: pl.Float64 = _money("energy_cost")
    degradation_cost: pl.Float64 = _money("degradation_cost", ge=0)
    cost: pl.Float64 = _money("cost")
    value: pl.Float64 = _money("value")
    perfect_foresight_value: pl.Float64 = _money("perfect_foresight_value")
    share_of_perfect_foresight: pl.Float64 = pa.Field(nullable=True)
    battery_throughput_kwh: pl.Float64 = pa.Field(nullable=True, ge=0)
    price_mae: pl.Float64 = pa.Field(
        alias=r"^price_mae_[a-z]{3}_per_mwh$", regex=True, nullable=True, ge=0
    )

    class Config:
        unique = ["region", "market_date", "schedule", "plan"]
        strict = True

    @pa.dataframe_check(error="no plan is worth more than perfect foresight (0.02 tolerance)")
    def perfect_foresight_is_best(cls, data: pa.PolarsData) -> pl.LazyFrame:
        # tolerance: the fleet LP's tie-break (1e-5 per kWh of throughput) and its tolerances
        value = pl.col(rf"^value_{_MONEY}$")
        best = pl.col(rf"^perfect_foresight_value_{_MONEY}$")
        return data.lazyframe.select(value <= best + 0.02)
