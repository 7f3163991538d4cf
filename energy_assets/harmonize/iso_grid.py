"""Each ISO's own demand and generation by fuel, hourly, in `harmonized/grid_hourly`'s columns
(`harmonize/grid.GRID_COLUMNS`) plus `provider` and the raw feeds behind each side. Pure
functions on the raw rows stored by `defs/raw.py`; no Dagster.

Power is AVERAGED to the UTC hour, never summed: each series' readings in the hour are averaged
(MW: mean power = MWh in the hour), then the series mapped to one column are added (ISO-NE's
Wood + Refuse + Landfill Gas -> `biomass_mw`; the mean of a sum is the sum of the means). Every
hour of the local market day is a row (23/24/25); an hour without readings keeps null values
and coverage 0. `demand_coverage` / `fuel_mix_coverage`: the distinct reading instants in the
hour over the feed's readings per hour (12 for 5-minute data, 1 for hourly), clipped to 1; a
feed published at irregular instants (ISO-NE's genfuelmix, re-estimated every few minutes) has
coverage 1 for an hour with any reading (its hourly value is the plain mean of those readings).

Fuel mapping per provider (label in the feed -> column); a label not listed goes to `other_mw`
and is reported by `unmapped_fuels`:

- ISO-NE genfuelmix (`fuel`): Solar, Wind, Hydro, Nuclear, Natural Gas, Coal, Oil, Other as
  named; Wood, Refuse and Landfill Gas -> biomass. Demand: hourlysysload `load_mw` (NEPOOL
  AREA, the system load).
- PJM gen_by_fuel: Gas -> natural_gas, Storage -> batteries, Other Renewables (landfill gas,
  wood, waste; PJM lists solar apart) -> biomass, Multiple Fuels -> other; Solar, Wind, Hydro,
  Nuclear, Coal, Oil as named. PJM's demand is not among its raw feeds: `demand_mw` is null.
- NYISO rtfuelmix: Dual Fuel (units that burn gas or oil; NYISO does not split them) ->
  natural_gas, Other Fossil Fuels (oil, and coal until 2020) -> oil, Other Renewables (grid
  solar, biomass, landfill gas together) -> other; Hydro, Nuclear, Natural Gas, Wind as named.
  Demand: pal, the sum of the 11 zones at each instant where every zone of the day is posted,
  then the hour's mean.
- CAISO Daily Renewables Watch (`table`/`fuel`): renewables/solar_pv + solar_thermal -> solar,
  wind_total -> wind, small_hydro -> hydro, geothermal, biomass, biogas -> biomass;
  total/hydro (large hydro) -> hydro, total/nuclear, total/thermal (CAISO's in-state thermal
  fleet, natural gas almost entirely) -> natural_gas, total/imports -> net_imports;
  total/renewables (the renewables table's sum) is left out to count nothing twice. The Watch
  has no demand: `demand_mw` is null.
- BPA balancing authority: wind, hydro as named; thermal (the Columbia Generating Station's
  nuclear and the BA's gas plants together, not split) -> other; load -> demand. Columns a
  newer file adds are not read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import polars as pl

from energy_assets.harmonize.grid import FUEL_COLUMNS, GRID_COLUMNS, hour_grid

UTC = pl.Datetime("us", "UTC")

ISONE_FUELS = {
    "Solar": "solar_mw",
    "Wind": "wind_mw",
    "Hydro": "hydro_mw",
    "Nuclear": "nuclear_mw",
    "Natural Gas": "natural_gas_mw",
    "Coal": "coal_mw",
    "Oil": "oil_mw",
    "Wood": "biomass_mw",
    "Refuse": "biomass_mw",
    "Landfill Gas": "biomass_mw",
    "Other": "other_mw",
}
PJM_FUELS = {
    "Solar": "solar_mw",
    "Wind": "wind_mw",
    "Hydro": "hydro_mw",
    "Nuclear": "nuclear_mw",
    "Gas": "natural_gas_mw",
    "Coal": "coal_mw",
    "Oil": "oil_mw",
    "Other Renewables": "biomass_mw",
    "Storage": "batteries_mw",
    "Multiple Fuels": "other_mw",
    "Other": "other_mw",
}
NYISO_FUELS = {
    "Wind": "wind_mw",
    "Hydro": "hydro_mw",
    "Nuclear": "nuclear_mw",
    "Natural Gas": "natural_gas_mw",
    "Dual Fuel": "natural_gas_mw",
    "Other Fossil Fuels": "oil_mw",
    "Other Renewables": "other_mw",
}
CAISO_WATCH_FUELS = {
    "renewables/solar_pv": "solar_mw",
    "renewables/solar_thermal": "solar_mw",
    "renewables/wind_total": "wind_mw",
    "renewables/small_hydro": "hydro_mw",
    "renewables/geothermal": "geothermal_mw",
    "renewables/biomass": "biomass_mw",
    "renewables/biogas": "biomass_mw",
    "total/hydro": "hydro_mw",
    "total/nuclear": "nuclear_mw",
    "total/thermal": "natural_gas_mw",
    "total/imports": "net_imports_mw",
}
CAISO_WATCH_LEFT_OUT = frozenset({"total/renewables"})
BPA_COLUMNS = {"wind_mw": "wind_mw", "hydro_mw": "hydro_mw", "thermal_mw": "other_mw"}


def _fuel_series(column: str) -> Callable[[pl.DataFrame], pl.DataFrame]:
    def select(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.select("interval_start_utc", pl.col(column).alias("series"), "generation_mw")

    return select


def _watch_series(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(
        "interval_start_utc",
        (pl.col("table") + "/" + pl.col("fuel")).alias("series"),
        "generation_mw",
    ).filter(~pl.col("series").is_in(list(CAISO_WATCH_LEFT_OUT)))


def _bpa_series(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.unpivot(
        on=list(BPA_COLUMNS),
        index="interval_start_utc",
        variable_name="series",
        value_name="generation_mw",
    )


def _isone_load(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.filter(pl.col("location") == "NEPOOL AREA").select(
        "interval_start_utc", pl.col("load_mw").alias("demand_mw")
    )


def _nyiso_load(frame: pl.DataFrame) -> pl.DataFrame:
    zones = frame["zone"].n_unique()
    return (
        frame.group_by("interval_start_utc")
        .agg(pl.col("load_mw").sum().alias("demand_mw"), pl.col("zone").n_unique().alias("n"))
        .filter(pl.col("n") == zones)  # an instant without every zone would read low
        .select("interval_start_utc", "demand_mw")
    )


def _bpa_load(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select("interval_start_utc", pl.col("load_mw").alias("demand_mw"))


@dataclass(frozen=True)
class GridFeed:
    """One raw feed read for `harmonized/iso_grid_hourly`: its fuel mix (long rows per
    `series`, mapped by `fuels`) or its demand."""

    provider: str
    feed: str
    kind: str  # "fuel_mix" or "demand"
    readings_per_hour: int | None  # None: irregular instants
    # raw rows -> interval_start_utc, series, generation_mw (fuel_mix) / demand_mw (demand)
    select: Callable[[pl.DataFrame], pl.DataFrame]
    fuels: Mapping[str, str] | None = None  # series -> GridHourly column (fuel_mix)


GRID_FEEDS: tuple[GridFeed, ...] = (
    GridFeed("isone", "fuel_mix", "fuel_mix", None, _fuel_series("fuel"), ISONE_FUELS),
    GridFeed("isone", "system_load", "demand", 1, _isone_load),
    GridFeed("pjm", "fuel_mix", "fuel_mix", 1, _fuel_series("fuel"), PJM_FUELS),
    GridFeed("nyiso", "fuel_mix", "fuel_mix", 12, _fuel_series("fuel"), NYISO_FUELS),
    GridFeed("nyiso", "actual_load", "demand", 12, _nyiso_load),
    GridFeed(
        "caiso_renewables_watch",
        "hourly_production",
        "fuel_mix",
        1,
        _watch_series,
        CAISO_WATCH_FUELS,
    ),
    GridFeed("bpa", "balancing_authority", "fuel_mix", 12, _bpa_series, BPA_COLUMNS),
    GridFeed("bpa", "balancing_authority", "demand", 12, _bpa_load),
)

ISO_GRID_COLUMNS = (
    *GRID_COLUMNS,
    "provider",
    "demand_source_feed",
    "fuel_mix_source_feed",
)


def grid_feeds_of(provider: str) -> list[GridFeed]:
    return [f for f in GRID_FEEDS if f.provider == provider]


def _coverage(instants: pl.Expr, readings_per_hour: int | None) -> pl.Expr:
    if readings_per_hour is None:
        return pl.when(instants > 0).then(1.0).otherwise(0.0)
    return (instants / readings_per_hour).clip(0.0, 1.0)


def _hour() -> pl.Expr:
    return pl.col("interval_start_utc").cast(UTC).dt.truncate("1h").alias("interval_start_utc")


def fuel_mix_hourly(spec: GridFeed, raw: pl.DataFrame) -> pl.DataFrame:
    """Hourly mean MW per GridHourly column (series averaged, then added per column), and
    `fuel_mix_coverage`; one row per hour with readings."""
    long = spec.select(raw).with_columns(
        column=pl.col("series").replace_strict(spec.fuels or {}, default="other_mw")
    )
    per_series = long.group_by("series", "column", _hour()).agg(
        pl.col("generation_mw").mean().alias("mw")
    )
    wide = per_series.group_by("interval_start_utc", "column").agg(pl.col("mw").sum())
    wide = wide.pivot(on="column", index="interval_start_utc", values="mw")
    coverage = long.group_by(_hour()).agg(
        _coverage(pl.col("interval_start_utc").n_unique(), spec.readings_per_hour).alias(
            "fuel_mix_coverage"
        )
    )
    columns = [*FUEL_COLUMNS, "net_imports_mw"]
    return (
        wide.with_columns(
            [pl.lit(None, dtype=pl.Float64).alias(c) for c in columns if c not in wide.columns]
        )
        .join(coverage, on="interval_start_utc", how="left")
        .select(
            "interval_start_utc",
            *[pl.col(c).cast(pl.Float64) for c in columns],
            "fuel_mix_coverage",
        )
    )


def demand_hourly(spec: GridFeed, raw: pl.DataFrame) -> pl.DataFrame:
    """Hourly mean demand MW and `demand_coverage`; one row per hour with readings."""
    readings = spec.select(raw)
    return readings.group_by(_hour()).agg(
        pl.col("demand_mw").cast(pl.Float64).mean(),
        _coverage(pl.col("interval_start_utc").n_unique(), spec.readings_per_hour).alias(
            "demand_coverage"
        ),
    )


def unmapped_fuels(raw: Mapping[tuple[str, str], pl.DataFrame]) -> list[str]:
    """`provider/feed: label` of every fuel series in the stored rows that the mapping does not
    name (their MW went to `other_mw`)."""
    out = []
    for spec in GRID_FEEDS:
        rows = raw.get((spec.provider, spec.feed))
        if spec.kind != "fuel_mix" or rows is None or rows.is_empty():
            continue
        labels = spec.select(rows)["series"].unique().sort().to_list()
        out += [f"{spec.provider}/{spec.feed}: {s}" for s in labels if s not in (spec.fuels or {})]
    return out


def _feed_name(spec: GridFeed | None) -> pl.Expr:
    name = None if spec is None else f"raw/{spec.provider}_{spec.feed}"
    return pl.lit(name, dtype=pl.String)


def iso_grid_hourly(
    region: str, day: dt.date, tz: str, raw: Mapping[tuple[str, str], pl.DataFrame]
) -> pl.DataFrame:
    """Every hour of the region's local market day: the ISO's demand and generation by fuel in
    GridHourly's columns, from the raw rows stored for the day (`raw[(provider, feed)]`, the
    feeds of `GRID_FEEDS`; absent ones are skipped), one provider per region (the first of
    `GRID_FEEDS` with stored rows). Columns `ISO_GRID_COLUMNS`, sorted by hour."""
    stored = [s for s in GRID_FEEDS if not _empty(raw.get((s.provider, s.feed)))]
    if not stored:
        raise ValueError(f"{region} {day}: none of the ISO grid feeds has rows")
    provider = stored[0].provider
    fuel = next((s for s in stored if s.provider == provider and s.kind == "fuel_mix"), None)
    demand = next((s for s in stored if s.provider == provider and s.kind == "demand"), None)
    frame = hour_grid(region, day, tz)
    if demand is not None:
        frame = frame.join(
            demand_hourly(demand, raw[(demand.provider, demand.feed)]),
            on="interval_start_utc",
            how="left",
        )
    if fuel is not None:
        frame = frame.join(
            fuel_mix_hourly(fuel, raw[(fuel.provider, fuel.feed)]),
            on="interval_start_utc",
            how="left",
        )
    for column in GRID_COLUMNS:
        if column not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.Float64).alias(column))
    return (
        frame.with_columns(
            pl.col("demand_coverage").fill_null(0.0),
            pl.col("fuel_mix_coverage").fill_null(0.0),
            provider=pl.lit(provider, dtype=pl.String),
            demand_source_feed=_feed_name(demand),
            fuel_mix_source_feed=_feed_name(fuel),
        )
        .select(ISO_GRID_COLUMNS)
        .sort("interval_start_utc")
    )


def _empty(frame: pl.DataFrame | None) -> bool:
    return frame is None or frame.is_empty()
