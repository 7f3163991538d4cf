"""harmonized/*: one schema for every region: hourly UTC intervals, MW and gCO2/kWh.

Which provider builds a region's tables on a market day is in the region registry
(`energy_assets/regions.py`, `providers`, in order of preference) and `harmonize/sources.py`
(the raw feeds each provider's harmonizer reads): CAISO from its Today's Outlook from 2019 on and
from EIA-930 before, every other US region from EIA-930. The carbon intensity comes from the
fuel mix (`harmonize/carbon.py`, factors documented there).

The raw feeds are declared as dependencies (lineage, backfill order) and read from the warehouse
for the provider that serves the day; a day whose provider's feeds are not stored fails naming
them, and a feed a day can do without (EIA's fuel mix, EIA's demand) leaves its columns null with
coverage 0, which the completeness check reports.
"""

import dagster as dg
import polars as pl

from energy_assets.defs.raw import feed_regions, raw_key
from energy_assets.defs_support.ranges import RANGE_POLICY, per_region_day, read_days
from energy_assets.defs_support.resources import WarehouseResource
from energy_assets.defs_support.validation import (
    COMPLETENESS_CHECK,
    PARTITION_EXPR,
    check_specs,
    completeness_result,
    validated_output,
)
from energy_assets.defs_support.warehouse import missing_upstream_message
from energy_assets.harmonize.carbon import METHOD, carbon_intensity_from_mix
from energy_assets.harmonize.gb import (
    intensity_from_generation_mix,
    no_operator_forecast,
    published_intensity_hourly,
)
from energy_assets.harmonize.plausibility import implausible_demand_hours
from energy_assets.harmonize.sources import (
    GRID_SOURCES,
    PUBLISHED_INTENSITY_FEEDS,
    PUBLISHED_MIX_FEEDS,
    WEATHER_FEED,
    GridSource,
    grid_source,
    published_intensity_provider,
    published_without_fuel_mix,
    weather_provider,
)
from energy_assets.harmonize.weather import weather_hourly as harmonize_weather
from energy_assets.layers import raw_job_name
from energy_assets.partitions import (
    RegionDay,
    partition_keys,
    region_day_partitions,
    same_day_mapping,
)
from energy_assets.regions import Region, region, regions_with
from energy_assets.schemas import harmonized as schemas
from energy_assets.sources.registry import feed as registered_feed

GRID_REGIONS = [
    code
    for code in regions_with("grid")
    if any(p in GRID_SOURCES for p in region(code).providers_of("grid"))
]
GRID_PARTITIONS = region_day_partitions(GRID_REGIONS)

_GRID_KEY = dg.AssetKey(["harmonized", "grid_hourly"])
PLAUSIBLE_CHECK = "plausible_demand"
_CARBON_KEY = dg.AssetKey(["harmonized", "carbon_intensity"])
_OPERATOR_KEY = dg.AssetKey(["harmonized", "operator_load_forecast"])
_WEATHER_KEY = dg.AssetKey(["harmonized", "weather_hourly"])


def _raw_deps(feeds: str) -> list[dg.AssetDep]:
    """Every raw feed any provider of the regions' `feeds` reads, same market day and region."""
    deps = {}
    for code in GRID_REGIONS:
        for provider in region(code).providers_of(feeds):
            source = GRID_SOURCES.get(provider)
            if source is None:
                continue
            names = source.feeds if feeds == "grid" else (source.operator_feed,)
            for name in names:
                key = raw_key(provider, name)
                upstream = feed_regions(registered_feed(provider, name))
                deps[key] = dg.AssetDep(
                    key, partition_mapping=same_day_mapping(upstream, GRID_REGIONS)
                )
    return list(deps.values())


def _source(feed: str, rd: RegionDay) -> tuple[Region, GridSource]:
    the_region = region(rd.region)
    source = grid_source(the_region, feed, rd.market_date)
    if source is None:
        raise dg.Failure(
            f"partition {rd}: no provider of {rd.region}'s {feed} publishes"
            f" {rd.market_date} (providers: {', '.join(the_region.providers_of(feed))})",
            allow_retries=False,
        )
    return the_region, source


def _inputs(
    context, warehouse: WarehouseResource, source: GridSource, feeds, rd: RegionDay
) -> dict[str, pl.DataFrame | None]:
    """The day's rows of each raw feed (None where not stored); fails naming the feeds when a
    required group has none."""
    inputs: dict[str, pl.DataFrame | None] = {}
    for name in feeds:
        frame, missing = read_days(
            context, warehouse, raw_key(source.provider, name), rd.region, [rd.market_date]
        )
        inputs[name] = None if missing or frame.is_empty() else frame
    for group in source.required:
        group = tuple(g for g in group if g in feeds)
        if group and all(inputs[name] is None for name in group):
            names = " or ".join(f"raw/{source.provider}_{g}" for g in group)
            jobs = " or ".join(raw_job_name(source.provider, g) for g in group)
            raise dg.Failure(
                f"partition {rd}: upstream {names} has no partition for {rd} (never"
                f" materialized, or its run failed). Materialize it for that day first ({jobs},"
                " or backfill it with this asset); nothing was computed.",
                metadata={"failed_partitions": [str(rd)]},
                allow_retries=False,
            )
    return inputs


def _hour_completeness(frame: pl.DataFrame, coverage_column: str) -> dg.AssetCheckResult:
    full = frame.filter(pl.col(coverage_column) >= 1.0).height
    partial = frame.filter((pl.col(coverage_column) > 0) & (pl.col(coverage_column) < 1)).height
    return completeness_result(
        frame.height, full, "hours", {"partial_hours": partial, "coverage_column": coverage_column}
    )


@dg.asset(
    key=_GRID_KEY,
    group_name="harmonized",
    partitions_def=GRID_PARTITIONS,
    deps=_raw_deps("grid"),
    metadata={"partition_expr": PARTITION_EXPR},
    check_specs=[
        *check_specs(_GRID_KEY, completeness=True),
        dg.AssetCheckSpec(
            PLAUSIBLE_CHECK,
            asset=_GRID_KEY,
            description="Demand is within the region's plausible range and not stuck at one"
            " value for hours (warns naming the hours; see harmonize/plausibility.py).",
        ),
    ],
    kinds={"duckdb", "polars"},
    backfill_policy=RANGE_POLICY,
)
@per_region_day()
def grid_hourly(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Hourly system demand, net imports and generation by fuel (MW, hourly mean = MWh), every
    hour of the local market day in UTC (23/24/25 rows), with the share of readings behind each
    hour (`demand_coverage`, `fuel_mix_coverage`). Missing hours stay visible as coverage 0.
    Built from the region's first provider that publishes the day (metadata `provider`)."""
    rd = partition_keys(context)
    the_region, source = _source("grid", rd)
    inputs = _inputs(context, warehouse, source, source.feeds, rd)
    frame = source.grid_hourly(the_region, rd.market_date, inputs)
    yield from validated_output(context, frame, schemas.GridHourly, {"provider": source.provider})
    yield _hour_completeness(frame, "demand_coverage")
    yield _plausibility(frame, the_region)


def _plausibility(frame: pl.DataFrame, the_region: Region) -> dg.AssetCheckResult:
    bad = implausible_demand_hours(frame, the_region.demand_mw_range)
    return dg.AssetCheckResult(
        check_name=PLAUSIBLE_CHECK,
        passed=bad.is_empty(),
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "implausible_hours": bad.height,
            "plausible_range_mw": f"{the_region.demand_mw_range[0]:,.0f}..{the_region.demand_mw_range[1]:,.0f}",
            "hours": dg.MetadataValue.json(
                [
                    f"{row['interval_start_utc'].isoformat()} {row['demand_mw']:,.0f} MW: {row['reason']}"
                    for row in bad.head(24).iter_rows(named=True)
                ]
            ),
        },
    )


def _published_deps() -> list[dg.AssetDep]:
    """The raw feeds holding the regions' own published intensity (GB's Carbon Intensity API)."""
    deps = {}
    for code in GRID_REGIONS:
        for provider in region(code).providers_of("carbon_intensity"):
            for name in (
                PUBLISHED_INTENSITY_FEEDS.get(provider),
                PUBLISHED_MIX_FEEDS.get(provider),
            ):
                if name is None:
                    continue
                key = raw_key(provider, name)
                upstream = feed_regions(registered_feed(provider, name))
                deps[key] = dg.AssetDep(
                    key, partition_mapping=same_day_mapping(upstream, GRID_REGIONS)
                )
    return list(deps.values())


@dg.asset(
    key=_CARBON_KEY,
    group_name="harmonized",
    partitions_def=GRID_PARTITIONS,
    # the day's grid; a day built from the published intensity alone does without it (the
    # asset fails, naming it, on every other day: see the docstring)
    ins={"grid": dg.AssetIn(key=_GRID_KEY, metadata={"missing_days": "checked_by_asset"})},
    deps=_published_deps(),
    metadata={"partition_expr": PARTITION_EXPR},
    check_specs=check_specs(_CARBON_KEY),
    kinds={"duckdb", "polars"},
    backfill_policy=RANGE_POLICY,
)
@per_region_day()
def carbon_intensity(
    context: dg.AssetExecutionContext, grid: pl.DataFrame, warehouse: WarehouseResource
):
    """Hourly carbon intensity of supply in gCO2eq/kWh, from the fuel mix with lifecycle emission
    factors (IPCC AR5 medians); batteries and storage excluded. Imports: CAISO's Outlook days at
    CARB's unspecified-power factor (428 g/kWh); EIA-930 days production-based (imports not
    counted, as the published EIA-930 carbon data sets do). See
    `energy_assets/harmonize/carbon.py` for the table. Beside it, where the region's operator
    publishes an intensity of its own (GB: the Carbon Intensity API, `harmonize/gb.py`), that
    one as published (`published_gco2_per_kwh`, its method, not ours) and its stored forecast;
    null with `published_coverage` 0 where none is published (metadata `published_by: none`).
    A day whose grid has no fuel mix (GB) takes ours from that provider's generation mix where
    it is stored (`harmonize/gb.py`; metadata `ours_from`), else leaves ours null.

    Built without the day's grid on exactly these days: the region's registry lists a provider
    of its own published intensity that publishes the day, the region's grid provider for the
    day carries no fuel mix (`harmonize/sources.published_without_fuel_mix`: GB from 2023), and
    `harmonized/grid_hourly` has no partition for the day (offline, NESO's demand ends in 2020).
    Every hour of the market day is then stored with ours null and `coverage` 0 (what the grid,
    having no fuel mix, would have given) beside the published intensity (metadata `grid:
    none`). Every other day without its grid fails naming it, as before; the US regions' path
    is unchanged."""
    rd = partition_keys(context)
    the_region, source = _source("grid", rd)
    published_by = published_intensity_provider(the_region, rd.market_date)
    grid_stored = not grid.is_empty()
    if not grid_stored:
        if published_without_fuel_mix(the_region, rd.market_date) is None:
            raise dg.Failure(
                missing_upstream_message(
                    f"harmonized/carbon_intensity partition {rd} (input `grid`)",
                    _GRID_KEY,
                    [{"date": rd.market_date.isoformat(), "region": rd.region}],
                ),
                metadata={"failed_partitions": [str(rd)]},
                allow_retries=False,
            )
        # no grid stored, and it could not have given ours: every hour, ours null, coverage 0
        frame = intensity_from_generation_mix(rd.region, rd.market_date, the_region.timezone, None)
    else:
        frame = carbon_intensity_from_mix(grid, source.imports_gco2_per_kwh)
    raw = None
    if published_by is not None:
        name = PUBLISHED_INTENSITY_FEEDS[published_by]
        raw, missing = read_days(
            context, warehouse, raw_key(published_by, name), rd.region, [rd.market_date]
        )
        if missing:
            raise dg.Failure(
                f"partition {rd}: upstream raw/{published_by}_{name} has no partition for {rd}"
                f" (never materialized, or its run failed). Materialize it for that day first"
                f" ({raw_job_name(published_by, name)}); nothing was computed.",
                metadata={"failed_partitions": [str(rd)]},
                allow_retries=False,
            )
    ours_from = "fuel mix" if frame["coverage"].max() > 0 else "none"
    mix_feed = PUBLISHED_MIX_FEEDS.get(published_by or "")
    if ours_from == "none" and mix_feed is not None:
        # no fuel mix in the grid (GB): ours from the provider's generation mix where stored
        # (live only; offline there is none, and ours stays null with coverage 0)
        mix, missing = read_days(
            context, warehouse, raw_key(published_by, mix_feed), rd.region, [rd.market_date]
        )
        if not missing and not mix.is_empty():
            frame = intensity_from_generation_mix(
                rd.region, rd.market_date, the_region.timezone, mix
            )
            ours_from = f"raw/{published_by}_{mix_feed}"
    published, zeros = published_intensity_hourly(
        rd.region, rd.market_date, the_region.timezone, raw
    )
    frame = frame.join(published, on="interval_start_utc", how="left").with_columns(
        pl.col("published_coverage").fill_null(0.0)
    )
    mean = frame["carbon_gco2_per_kwh"].mean()
    method = METHOD if source.imports_gco2_per_kwh is not None else _PRODUCTION_METHOD
    published_mean = frame["published_gco2_per_kwh"].mean()
    yield from validated_output(
        context,
        frame,
        schemas.CarbonIntensity,
        {
            "method": method,
            "provider": source.provider,
            "mean_gco2_per_kwh": round(mean, 1) if mean is not None else None,
            "ours_from": ours_from,
            "published_by": published_by or "none",
            "published_mean_gco2_per_kwh": round(published_mean, 1)
            if published_mean is not None
            else None,
            "published_zero_actuals_dropped": zeros,
            **({} if grid_stored else {"grid": "none"}),
        },
    )


_PRODUCTION_METHOD = "lifecycle IPCC AR5 medians; production-based (imports not counted)"


@dg.asset(
    key=_OPERATOR_KEY,
    group_name="harmonized",
    partitions_def=GRID_PARTITIONS,
    deps=_raw_deps("operator_load_forecast"),
    metadata={"partition_expr": PARTITION_EXPR},
    check_specs=check_specs(_OPERATOR_KEY),
    kinds={"duckdb", "polars"},
    backfill_policy=RANGE_POLICY,
)
@per_region_day()
def operator_load_forecast(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """The operator's own day-ahead hourly load forecast (MW) with `issued_at_utc`. Neither
    CAISO's history files nor EIA-930 carry an issue time; it is set to D-1 10:00 local, the
    day-ahead market close, the latest it can have been issued (see `harmonize/eia930.py`).
    Hours whose forecast is outside the region's plausible demand range are dropped and counted
    (`implausible_hours_dropped`). A region-day no operator forecast serves (GB) is stored with
    every hour's forecast null and `provider: none`: the features' operator column is then null
    and the score leaves the operator out."""
    rd = partition_keys(context)
    if grid_source(region(rd.region), "operator_load_forecast", rd.market_date) is None:
        # a region-day no operator forecast serves (GB: NESO's history files carry none):
        # every hour stored with a null forecast and provider "none", so the load features and
        # the score see "no operator forecast", never a made-up one
        the_region = region(rd.region)
        yield from validated_output(
            context,
            no_operator_forecast(rd.region, rd.market_date, the_region.timezone),
            schemas.OperatorLoadForecast,
            {
                "provider": "none",
                "implausible_hours_dropped": 0,
                "note": f"no operator day-ahead load forecast serves {rd.region} on"
                f" {rd.market_date}",
            },
        )
        return
    the_region, source = _source("operator_load_forecast", rd)
    inputs = _inputs(context, warehouse, source, (source.operator_feed,), rd)
    frame, dropped = source.operator_load_forecast(
        the_region, rd.market_date, inputs[source.operator_feed]
    )
    if frame.is_empty():
        raise dg.Failure(
            f"harmonized/operator_load_forecast partition {rd}: raw/{source.provider}_"
            f"{source.operator_feed} has no usable day-ahead forecast for the day (every hour"
            f" missing{f', or {dropped} implausible' if dropped else ''}); nothing was stored,"
            " and the day's load features, which read it, are not built.",
            metadata={"failed_partitions": [str(rd)], "implausible_hours_dropped": dropped},
            allow_retries=False,
        )
    yield from validated_output(
        context,
        frame,
        schemas.OperatorLoadForecast,
        {"provider": source.provider, "implausible_hours_dropped": dropped},
    )


def _weather_deps() -> list[dg.AssetDep]:
    providers = {p for code in GRID_REGIONS for p in region(code).providers_of("weather")}
    deps = []
    for provider in sorted(providers):
        key = raw_key(provider, WEATHER_FEED)
        upstream = feed_regions(registered_feed(provider, WEATHER_FEED))
        deps.append(dg.AssetDep(key, partition_mapping=same_day_mapping(upstream, GRID_REGIONS)))
    return deps


@dg.asset(
    key=_WEATHER_KEY,
    group_name="harmonized",
    partitions_def=GRID_PARTITIONS,
    deps=_weather_deps(),
    metadata={"partition_expr": PARTITION_EXPR},
    check_specs=check_specs(_WEATHER_KEY, completeness=True),
    kinds={"duckdb", "polars"},
    backfill_policy=RANGE_POLICY,
)
@per_region_day()
def weather_hourly(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Day-ahead weather forecast averaged over the region, every hour of the local market day:
    temperature and dew point (C), 10 m wind (m/s), shortwave radiation (W/m2), precipitation
    (mm/h), from the region's weather provider (GFS regional forecasts offline, Open-Meteo at
    the registry's weather points live). A region-day no weather provider serves (a region
    without one, or a day before its first) is stored with every hour at coverage 0 and
    metadata `provider: none`; the features then leave their weather columns null. A day a
    provider serves but whose raw feed is not stored fails naming it."""
    rd = partition_keys(context)
    the_region = region(rd.region)
    provider = weather_provider(the_region, rd.market_date)
    raw = None
    if provider is not None:
        raw, missing = read_days(
            context, warehouse, raw_key(provider, WEATHER_FEED), rd.region, [rd.market_date]
        )
        if missing or raw.is_empty():
            raise dg.Failure(
                f"partition {rd}: upstream raw/{provider}_{WEATHER_FEED} has no partition for"
                f" {rd} (never materialized, or its run failed). Materialize it for that day"
                f" first ({raw_job_name(provider, WEATHER_FEED)}); nothing was computed.",
                metadata={"failed_partitions": [str(rd)]},
                allow_retries=False,
            )
    frame = harmonize_weather(
        rd.region, rd.market_date, the_region.timezone, raw, provider or "none"
    )
    yield from validated_output(
        context,
        frame,
        schemas.WeatherHourly,
        {
            "provider": provider or "none",
            "mean_temperature_c": round(frame["temperature_c"].mean(), 1)
            if frame["temperature_c"].is_not_null().any()
            else None,
        },
    )
    if provider is None:
        yield dg.AssetCheckResult(
            check_name=COMPLETENESS_CHECK,
            passed=True,
            metadata={"note": f"no weather provider serves {rd.region} on {rd.market_date}"},
        )
    else:
        yield _hour_completeness(frame, "coverage")
