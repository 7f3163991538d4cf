"""What an asset's page shows: numbers rounded to what they mean, and tables the page renders in
place.

Dagster 1.13's asset page renders a `MetadataValue.table` inline (typed columns, sortable);
Markdown, and so an embedded picture, hides behind a "Show Markdown" button. So each forecast
shows its hours as a table (`forecast_hours`) and each schedule its hours or placements
(`schedule_hours`, `fleet_hours`, `placements`); the schedules keep their plot (Markdown, and its
PNG file's path) as well.

Rounding goes by a column's or key's unit (`digits`): MW to 0 decimals, gCO2/kWh to 1, percents
to 2, p-values to 3 significant digits.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import dagster as dg
import polars as pl

from energy_assets.regions import region

# (pattern on a column or metadata key, decimals; None = 3 significant digits), first match wins
_RULES: tuple[tuple[str, int | None], ...] = (
    (r"p_value", None),
    (r"(^|_)gap$", None),
    (r"_pct($|_)", 2),
    (r"_mw2?($|_)", 0),
    (r"(^|_)mw$", 0),
    (r"_gco2_per_kwh", 1),
    (r"_co2_g$", 0),
    (r"_kg($|_)", 1),
    (r"_usd_per_kwh", 4),
    (r"_usd($|_)", 2),
    (r"_kwh($|_)", 2),
    (r"_kw($|_)", 2),
    (r"_s$", 2),
    (r"coverage|rmae|dm_stat", 3),
)


DEFAULT_DIGITS = 3  # a float whose unit no rule names


def digits(name: str, default: int = DEFAULT_DIGITS) -> int | None:
    """Decimals for a column or metadata key by its unit; None: 3 significant digits."""
    for pattern, places in _RULES:
        if re.search(pattern, name):
            return places
    return default


def significant(value: float, figures: int = 3) -> float:
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, figures - 1 - math.floor(math.log10(abs(value))))


def round_value(name: str, value: Any, default: int = DEFAULT_DIGITS) -> Any:
    """`value` rounded for `name`'s unit (a float; anything else as it is). 0-decimal values
    become ints."""
    if not isinstance(value, float) or not math.isfinite(value):
        return value
    places = digits(name, default)
    if places is None:
        return significant(value)
    return int(round(value)) if places == 0 else round(value, places)


def rounded(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """Every float of a metadata dict rounded by its key's unit."""
    return {k: round_value(k, v) for k, v in metadata.items()}


def _column_type(name: str, dtype: pl.DataType) -> str:
    if dtype.is_integer() or (dtype.is_float() and digits(name) == 0):
        return "int"
    if dtype.is_float():
        return "float"
    return "bool" if dtype == pl.Boolean else "string"


def _cell(name: str, value: Any, default: int) -> Any:
    if isinstance(value, float):
        return None if math.isnan(value) else round_value(name, value, default)  # NaN: no JSON
    return value if isinstance(value, int | bool) or value is None else str(value)


def table(
    frame: pl.DataFrame, limit: int = 500, default_digits: int = DEFAULT_DIGITS
) -> dg.TableMetadataValue:
    """`frame` as a table the asset's page renders in place: typed columns, each float rounded by
    its unit (`digits`; `default_digits` where no rule names it), NaN as empty, the first `limit`
    rows."""
    shown = frame.head(limit)
    columns = [
        dg.TableColumn(name, _column_type(name, dtype)) for name, dtype in shown.schema.items()
    ]
    records = [
        dg.TableRecord({k: _cell(k, v, default_digits) for k, v in row.items()})
        for row in shown.iter_rows(named=True)
    ]
    return dg.MetadataValue.table(records, dg.TableSchema(columns=columns))


def _local(column: str, timezone: str) -> pl.Expr:
    """A UTC instant as the region's wall clock, with its zone's abbreviation (a 25-hour day's
    two 01:00s differ: PDT, then PST)."""
    return pl.col(column).dt.convert_time_zone(timezone).dt.strftime("%Y-%m-%d %H:%M %Z")


def _timezone(frame: pl.DataFrame) -> str:
    return region(frame["region"][0]).timezone


_QUANTILE = re.compile(r"^(?P<what>[a-z_]+?)_(?P<q>p10|p50|p90)_(?P<unit>.+)$")


def forecast_hours(
    frame: pl.DataFrame, operator: pl.DataFrame | None = None
) -> dg.TableMetadataValue:
    """A forecast's hours: local interval start, P10/P50/P90 in the forecast's unit and, where
    given (`operator`: `interval_start_utc`, `operator_forecast_mw`), the grid operator's own
    day-ahead forecast of the same hours."""
    tz = _timezone(frame)
    quantiles = {
        name: f"{m['q']}_{m['unit']}"
        for name in frame.columns
        if (m := _QUANTILE.match(name)) is not None
    }
    hours = frame.sort("interval_start_utc").select(
        "interval_start_utc",
        _local("interval_start_utc", tz).alias("interval_start_local"),
        *[pl.col(name).alias(alias) for name, alias in quantiles.items()],
    )
    if operator is not None and "operator_forecast_mw" in operator.columns:
        hours = hours.join(
            operator.select("interval_start_utc", "operator_forecast_mw"),
            on="interval_start_utc",
            how="left",
        )
    return table(hours.drop("interval_start_utc"))


def schedule_hours(frame: pl.DataFrame) -> dg.TableMetadataValue:
    """A household schedule by local hour: energy of the optimized and the baseline plan (kWh,
    every appliance), the carbon forecast and the price planned against."""
    tz = _timezone(frame)
    hour = pl.col("interval_start_utc").dt.truncate("1h")
    hours = (
        frame.with_columns(hour.alias("hour_utc"))
        .group_by("hour_utc")
        .agg(
            pl.col("energy_kwh").filter(pl.col("plan") == "optimized").sum().alias("optimized_kwh"),
            pl.col("energy_kwh").filter(pl.col("plan") == "baseline").sum().alias("baseline_kwh"),
            pl.col("carbon_forecast_gco2_per_kwh").mean(),
            pl.col("price_usd_per_kwh").mean(),
        )
        .sort("hour_utc")
    )
    return table(hours.select(_local("hour_utc", tz).alias("hour_local"), pl.exclude("hour_utc")))


def fleet_hours(frame: pl.DataFrame) -> dg.TableMetadataValue:
    """A fleet's dispatch by local hour: every home's power summed, averaged over the hour's
    slots (kW), the carbon forecast and the price planned against."""
    tz = _timezone(frame)
    power = ["load_kw", "pv_kw", "charge_kw", "discharge_kw", "net_import_kw"]
    power += ["baseline_net_import_kw"]
    slots = frame.group_by("interval_start_utc").agg(
        *[pl.col(c).sum() for c in power],
        pl.col("carbon_forecast_gco2_per_kwh").first(),
        pl.col("price_usd_per_kwh").first(),
    )
    hours = (
        slots.with_columns(pl.col("interval_start_utc").dt.truncate("1h").alias("hour_utc"))
        .group_by("hour_utc")
        .agg(pl.exclude("interval_start_utc").mean())
        .sort("hour_utc")
    )
    return table(hours.select(_local("hour_utc", tz).alias("hour_local"), pl.exclude("hour_utc")))


def placements(frame: pl.DataFrame, limit: int = 200) -> dg.TableMetadataValue:
    """Compute jobs as placed: region and local start/end (the home region's clock), delay,
    energy and CO2."""
    tz = _timezone(frame)
    return table(
        frame.sort("start_utc", "job_id").select(
            "job_id",
            "placed_region",
            _local("start_utc", tz).alias("start_local"),
            _local("end_utc", tz).alias("end_local"),
            "delay_hours",
            "interruptible",
            "energy_kwh",
            "co2_kg",
        ),
        limit=limit,
    )
