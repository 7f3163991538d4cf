"""features/*: horizon-safe model inputs. Built by `energy_assets/features/load.py` and
`energy_assets/features/carbon.py`."""

import datetime as dt

import dagster as dg
import polars as pl

from energy_assets.defs.harmonized import GRID_PARTITIONS
from energy_assets.defs_support.ranges import RANGE_POLICY
from energy_assets.defs_support.resources import WarehouseResource
from energy_assets.defs_support.validation import (
    PARTITION_EXPR,
    WindowHistory,
    check_specs,
    validated_output,
)
from energy_assets.features.carbon import build_carbon_features, intensities_for
from energy_assets.features.load import build_load_features, forecast_issue_time
from energy_assets.harmonize.sources import weather_provider
from energy_assets.partitions import (
    RegionDay,
    region_days,
    same_day_mapping,
    window_days,
)
from energy_assets.regions import region
from energy_assets.schemas.features import CarbonFeatures, LoadFeatures

_KEY = dg.AssetKey(["features", "load_features"])
_CARBON_KEY = dg.AssetKey(["features", "carbon_features"])
_CARBON_UTC_KEY = dg.AssetKey(["features", "carbon_features_utc"])


_GRID = dg.AssetKey(["harmonized", "grid_hourly"])
_OPERATOR = dg.AssetKey(["harmonized", "operator_load_forecast"])
_CARBON = dg.AssetKey(["harmonized", "carbon_intensity"])
_WEATHER = dg.AssetKey(["harmonized", "weather_hourly"])


@dg.asset(
    key=_KEY,
    group_name="features",
    partitions_def=GRID_PARTITIONS,
    ins={"operator_forecast": dg.AssetIn(key=_OPERATOR)},
    # the day's grid and weather (the windows D-8..D-1 of the grid, D-2..D-1 of the operator's
    # forecast and D-1..D of the weather are read from the warehouse: a backfill builds those
    # days in the same run, in an earlier step; see partitions.py)
    deps=[
        dg.AssetDep(_GRID, partition_mapping=same_day_mapping()),
        dg.AssetDep(_WEATHER, partition_mapping=same_day_mapping()),
    ],
    metadata={
        "partition_expr": PARTITION_EXPR,
        "reads": "harmonized/grid_hourly D-8..D-1, harmonized/operator_load_forecast D-2..D-1,"
        " harmonized/weather_hourly D-1..D (days a weather feed serves)",
    },
    check_specs=check_specs(_KEY, history=True),
    backfill_policy=RANGE_POLICY,
    kinds={"duckdb", "polars"},
)
def load_features(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    operator_forecast: pl.DataFrame,
):
    """Day-ahead load features for each hour of market day D, as known when our forecast is
    issued (D-1 12:00 local): calendar and holidays, demand at the same local hour on D-2, D-3,
    D-7 (MW), 7-day same-hour mean, D-2 daily mean/max, the operator's day-ahead forecast, its
    error on D-2 and on D-1's known hours, the lags relative to it, and the day-ahead weather
    forecast of the hour with its change from D-1's (stored beside the models' features: not
    yet among them). `available_at_utc` says when each row's latest input became available
    (always <= issue). Reads `harmonized/grid_hourly` for D-8..D-1,
    `harmonized/operator_load_forecast` for D-2..D-1 and, on days a weather feed serves the
    region, `harmonized/weather_hourly` for D-1..D; the `history` check names any missing day."""
    frames, history = [], WindowHistory()
    for rd in region_days(context):
        reg = region(rd.region)
        issued_at = forecast_issue_time(rd.market_date, reg.timezone)
        days = window_days(rd.market_date, -8, -1)
        grid, _ = warehouse.read_days(_GRID, rd.region, days)
        history.add("history", days, grid)
        operator_days = window_days(rd.market_date, -2, -1)
        operator_history, _ = warehouse.read_days(_OPERATOR, rd.region, operator_days)
        history.add("operator_history", operator_days, operator_history)
        operator = _day(operator_forecast, rd)
        weather_days = [
            day
            for day in window_days(rd.market_date, -1, 0)
            if weather_provider(reg, day) is not None
        ]
        weather = pl.DataFrame()
        if weather_days:
            weather, _ = warehouse.read_days(_WEATHER, rd.region, weather_days)
            history.add("weather", weather_days, weather)
        frames.append(
            build_load_features(
                rd.market_date,
                rd.region,
                reg.timezone,
                reg.holiday_country,
                reg.holiday_subdivision,
                grid if grid.width else None,
                operator if operator.width else None,
                issued_at,
                operator_history=operator_history if operator_history.width else None,
                weather=weather if weather.width else None,
            )
        )
    frame = pl.concat(frames)
    yield from validated_output(
        context,
        frame,
        LoadFeatures,
        {
            "issued_at_utc": frame["issued_at_utc"].max().isoformat(),
            "history_days_loaded": history.loaded_count("history"),
            "hours_with_lag_7d": int(frame["lag_7d_mw"].is_not_null().sum()),
            "hours_with_weather": int(frame["weather_temperature_c"].is_not_null().sum()),
        },
    )
    yield history.result()


_CARBON_DEPS = [
    dg.AssetDep(_CARBON, partition_mapping=same_day_mapping()),
    dg.AssetDep(_GRID, partition_mapping=same_day_mapping()),
    dg.AssetDep(_WEATHER, partition_mapping=same_day_mapping()),
]


@dg.asset(
    key=_CARBON_KEY,
    group_name="features",
    partitions_def=GRID_PARTITIONS,
    # the day's intensity, grid and weather (the windows D-8..D-1, D-2..D-1 and D-1..D are read
    # from the warehouse: a backfill builds those days in the same run, in an earlier step)
    deps=_CARBON_DEPS,
    metadata={
        "partition_expr": PARTITION_EXPR,
        "reads": "harmonized/carbon_intensity D-8..D-1, harmonized/grid_hourly D-2..D-1,"
        " harmonized/weather_hourly D-1..D",
    },
    check_specs=check_specs(_CARBON_KEY, history=True),
    backfill_policy=RANGE_POLICY,
    kinds={"duckdb", "polars"},
)
def carbon_features(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Day-ahead carbon-intensity features for each hour of market day D, as known at D-1 12:00
    local: the day's calendar and D-2 demand, the lifecycle and the direct intensity at the same
    local hour on D-1 (hours that had ended), D-2 and D-7, their D-8..D-2 same-hour means, D-1's
    known mean, its latest known hour and D-2's daily mean (gCO2eq/kWh), solar + wind output at
    the same hour on D-2 (MW), each main fuel's share of generation at the same hour on D-1 and at
    the latest known hour, and the day-ahead weather forecast of the hour with its change from
    D-1's. Independent of the load slice (no operator forecast), so a region's carbon is
    forecast on days its demand is not published. A region whose carbon slice learns the
    operator's own published intensity (`Region.carbon_target`, GB) also has the same seven
    intensity features of it (`published_*`, the API's actual; never its stored forecast). Reads `harmonized/carbon_intensity` for
    D-8..D-1, `harmonized/grid_hourly` for D-2..D-1 and `harmonized/weather_hourly` for D-1..D;
    the `history` check names any missing day."""
    yield from _carbon_features(context, warehouse, utc_day=False)


@dg.asset(
    key=_CARBON_UTC_KEY,
    group_name="features",
    partitions_def=GRID_PARTITIONS,
    deps=_CARBON_DEPS,
    metadata={
        "partition_expr": PARTITION_EXPR,
        "reads": "harmonized/carbon_intensity D-9..D, harmonized/grid_hourly D-3..D-1,"
        " harmonized/weather_hourly D-2..D (market days holding the UTC days needed)",
    },
    check_specs=check_specs(_CARBON_UTC_KEY, history=True),
    backfill_policy=RANGE_POLICY,
    kinds={"duckdb", "polars"},
)
def carbon_features_utc(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """The carbon features at the published carbon benchmarks' protocol (CarbonCast, DACF):
    issued at 00:00 UTC of the UTC day D, for its 24 UTC hours; the partition's date is the UTC
    day. The same features as `features/carbon_features` on the UTC clock: lags at the same UTC
    hour (D-1 whole: every hour has ended by the issue), D-1's mean, D-2's, the last hour of D-1,
    the fuel shares, the weather forecast of the hour and its change from D-1's. Only what had happened by 00:00 UTC is used (`available_at_utc`)."""
    yield from _carbon_features(context, warehouse, utc_day=True)


def _carbon_features(context, warehouse: WarehouseResource, utc_day: bool):
    frames, history = [], WindowHistory()
    for rd in region_days(context):
        reg = region(rd.region)
        # the UTC day D overlaps the region's market days D-1 and D (US zones)
        lead = 1 if utc_day else 0
        carbon_days = window_days(rd.market_date, -8 - lead, -1 + lead)
        grid_days = window_days(rd.market_date, -2 - lead, -1)
        weather_days = window_days(rd.market_date, -1 - lead, 0)
        carbon_history, _ = warehouse.read_days(_CARBON, rd.region, carbon_days)
        grid_history, _ = warehouse.read_days(_GRID, rd.region, grid_days)
        weather, _ = warehouse.read_days(_WEATHER, rd.region, weather_days)
        history.add("carbon_history", carbon_days, carbon_history)
        history.add("grid_history", grid_days, grid_history)
        history.add("weather", weather_days, weather)
        if utc_day:
            tz = "UTC"
            issued_at = dt.datetime.combine(rd.market_date, dt.time(0), dt.UTC)
        else:
            tz = reg.timezone
            issued_at = forecast_issue_time(rd.market_date, tz)
        calendar = build_load_features(
            rd.market_date,
            rd.region,
            tz,
            reg.holiday_country,
            reg.holiday_subdivision,
            grid_history if grid_history.width else None,
            None,
            issued_at,
        )
        try:
            frames.append(
                build_carbon_features(
                    calendar,
                    carbon_history if carbon_history.width else None,
                    grid_history if grid_history.width else None,
                    tz,
                    weather if weather.width else None,
                    # the published intensity's own features, where it is the carbon target
                    intensities=intensities_for(reg.carbon_target),
                )
            )
        except ValueError as error:
            raise dg.Failure(
                f"{context.asset_key.to_user_string()} partition {rd}: {error}",
                allow_retries=False,
            ) from error
    frame = pl.concat(frames)
    yield from validated_output(
        context,
        frame,
        CarbonFeatures,
        {
            "issued_at_utc": frame["issued_at_utc"][0].isoformat(),
            "hours_with_carbon_lag_7d": int(
                frame["carbon_lag_7d_gco2_per_kwh"].is_not_null().sum()
            ),
            "hours_with_weather": int(frame["weather_temperature_c"].is_not_null().sum()),
        },
    )
    yield history.result()


def _day(frame: pl.DataFrame, rd: RegionDay) -> pl.DataFrame:
    """The rows of one region-day of an input that may hold several (a single-run range)."""
    if not frame.width:
        return frame
    return frame.filter((pl.col("region") == rd.region) & (pl.col("market_date") == rd.market_date))
