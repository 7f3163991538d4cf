"""Day-ahead electricity prices: market files -> prices -> features -> models -> forecasts -> scores.

Every price asset is partitioned by market day x market (`partitions.market_day_partitions`;
the market, e.g. PJM, is the `region` dimension), over the days of the market's file
(`sources/epftoolbox.py`, `MARKETS`); the day-ahead assets start `PRICE_HISTORY_DAYS` later,
so that every partition has a training history. They are in the asset group `prices`, built by
`price_ingest_job` and `price_job` (`defs/jobs.py`), and reported by `price_report_job`.

- `raw/epftoolbox_prices`: the market file read from the datasets folder, checked whole (a gap,
  a repeated DST hour, a missing column, text in a number, too few days: a failure naming file,
  row and column), and the day's 24 lines archived verbatim (the slice the partition read).
- `harmonized/prices`: the hourly day-ahead price (`price_<currency>_per_mwh`) with market,
  zone and currency; `harmonized/price_exogenous_forecasts`: the market's exogenous day-ahead
  forecasts as operator forecasts (long: one row per series and hour) with `issued_at_utc`.
- `features/price_features`: day D's feature vector (`features/price.py`, `day_features`).
- `models/price_lear`, `models/price_lightgbm`, `models/price_mlx`: one member per window
  (`lear_<w>`: a ridge and a LASSO; `lgbm_<w>`: a booster on the change from D-1 and one on
  the level; `mlp_<w>`: 8 networks), trained for D on the days before D (rolling origin) with
  the benchmark's own code (`models/price_linear.py`, `price_lgbm.py`, `price_mlx.py`);
  artifacts under `data/models/<asset>/<market>/`. The MLPs and the LASSO warm-start from
  D-1's artifact when it is stored (else a full fit, as the benchmark's first day); the MLP
  artifact holds the weights, not Adam's moments or the shuffling generator, so a day-by-day
  run is close to the benchmark's single pass, not bit for bit. The LightGBM transform is
  fitted on the 1456 days before D (the benchmark fits it once before its first forecast day).
- `forecasts/price_day_ahead_members`: each member's forecast of D from its artifact and D's
  features.
- `models/price_ensemble`: the benchmark's ensemble weights for D (fitted on the members'
  forecasts of earlier days), and P10/P90 offsets calibrated on past days only: the quantiles of
  the out-of-sample ensemble errors of the `calibration_days` before D (with fewer than
  `min_days` of them, of the past days' day-over-day price changes).
- `forecasts/price_day_ahead`: P50 = the weighted members, P10/P90 = P50 + the offsets.
- `evaluation/price_forecast_score`: the day's sums per forecaster (ensemble, the families,
  the weekly naive, the published forecasts of the market's file where they cover the day);
  `evaluation/price_forecast_report`: every stored day rolled up (MAE, RMSE, sMAPE, rMAE,
  pinball, coverage, DM against the naive and the published DNN ensemble).
- `dispatch/vpp_fleet_price_dispatch`: a fleet of homes with PV and batteries (100 by default)
  planned on the day-ahead forecast's P50 (or P10/P90 by config), cost objective at those
  prices; `dispatch/household_price_load_shift`: one household's appliances, the same way;
  `evaluation/price_dispatch_value`: both plans settled at the actual prices against their
  baselines, the same fleet and household planned on the published DNN forecast (where the
  market's file covers the day) and on the actual prices (perfect foresight)
  (`evaluation/price_dispatch.py`, which the command `benchmark price-dispatch` runs over the
  epftoolbox test period).

Model sizes are run configuration (`PriceModelsConfig`, the benchmark's defaults): a test or a
quick look runs small windows.
"""

import datetime as dt
import hashlib
import pickle
from dataclasses import asdict
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import dagster as dg
import duckdb
import numpy as np
import polars as pl

from energy_assets import ui_metadata
from energy_assets.atomic import write_atomic
from energy_assets.defs.solar import PvSource, pvwatts_slots
from energy_assets.defs_support.ranges import RANGE_POLICY, once_per_step, per_region_day, read_days
from energy_assets.defs_support.resources import (
    ArchiveResource,
    HttpResource,
    ModelStoreResource,
    WarehouseResource,
)
from energy_assets.defs_support.validation import (
    PARTITION_EXPR,
    check_specs,
    completeness_result,
    table_value,
    validated_output,
)
from energy_assets.evaluation import price_dispatch
from energy_assets.evaluation.price_score import day_scores, report_rows
from energy_assets.features.price import (
    HOURS,
    LINEAR_EXOG_BOUND,
    MAX_LAG,
    Market,
    day_feature_frame,
    day_vector_from_frame,
    exogenous_beyond_bound,
    market_from_days,
    padded_day_features,
)
from energy_assets.models import price_ensemble as ensemble_defaults
from energy_assets.models.price_ensemble import (
    band_offsets,
    ensemble_forecasts,
    ensemble_inputs,
    family_means,
)
from energy_assets.models.price_lgbm import LGBMSpec, LGBMTask
from energy_assets.models.price_linear import LinearSpec, LinearTask
from energy_assets.models.price_mlx import MLPFit, MLPSpec, MLPTask
from energy_assets.optimize.fleet import FleetInfeasible, home_schedule_rows
from energy_assets.optimize.fleet_profiles import (
    day_slot_starts,
    household_path,
    load_household_year,
)
from energy_assets.partitions import (
    RegionDay,
    market_day_partitions,
    partition_keys,
    same_day_mapping,
)
from energy_assets.schemas import prices as schemas
from energy_assets.sources import epftoolbox
from energy_assets.sources.errors import PayloadError, SourceError
from energy_assets.sources.feeds import FeedSource
from energy_assets.sources.registry import MARKET_PROVIDERS

FEED = MARKET_PROVIDERS["epftoolbox"][0]
MARKETS = tuple(FEED.markets)
FIRST_DATE = min(m.first_date for m in FEED.markets.values())
LAST_DATE = max(m.last_date for m in FEED.markets.values())
# the first day-ahead day leaves MAX_LAG days for the lags and 28 days of training rows
PRICE_HISTORY_DAYS = MAX_LAG + 28
FIRST_DAY_AHEAD_DATE = (
    dt.date.fromisoformat(FIRST_DATE) + dt.timedelta(days=PRICE_HISTORY_DAYS)
).isoformat()
PRICE_PARTITIONS = market_day_partitions(MARKETS, FIRST_DATE, LAST_DATE)
PRICE_DAY_AHEAD_PARTITIONS = market_day_partitions(MARKETS, FIRST_DAY_AHEAD_DATE, LAST_DATE)
GROUP = "prices"

RAW = dg.AssetKey(["raw", FEED.asset_name])
PRICES = dg.AssetKey(["harmonized", "prices"])
EXOGENOUS = dg.AssetKey(["harmonized", "price_exogenous_forecasts"])
FEATURES = dg.AssetKey(["features", "price_features"])
LEAR = dg.AssetKey(["models", "price_lear"])
LIGHTGBM = dg.AssetKey(["models", "price_lightgbm"])
MLX = dg.AssetKey(["models", "price_mlx"])
MEMBERS = dg.AssetKey(["forecasts", "price_day_ahead_members"])
ENSEMBLE = dg.AssetKey(["models", "price_ensemble"])
DAY_AHEAD = dg.AssetKey(["forecasts", "price_day_ahead"])
SCORE = dg.AssetKey(["evaluation", "price_forecast_score"])
REPORT = dg.AssetKey(["evaluation", "price_forecast_report"])
FLEET = dg.AssetKey(["dispatch", "vpp_fleet_price_dispatch"])
HOUSEHOLD = dg.AssetKey(["dispatch", "household_price_load_shift"])
FLEET_VALUE = dg.AssetKey(["evaluation", "price_dispatch_value"])

_SAME_DAY = same_day_mapping(MARKETS, MARKETS)


class PriceModelsConfig(dg.Config):
    """Sizes of the price models (defaults: the benchmark's, `benchmarks/epf.py`)."""

    lear_windows: list[int] = list(LinearSpec().windows)
    lear_methods: list[str] = list(LinearSpec().methods)
    ridge_days: float = LinearSpec().ridge_days
    # "linear" (standardised load forecasts) or "asinh" (transformed as the prices); another
    # value is refused at launch, before any step runs. `benchmark epf` chooses it per market
    # file on the year before its test period (PJM: "linear", the default)
    lear_exog_transform: Literal["linear", "asinh"] = LinearSpec().exog_transform
    lgbm_windows: list[int] = list(LGBMSpec().windows)
    lgbm_targets: list[str] = list(LGBMSpec().targets)
    lgbm_rounds: int = LGBMSpec().rounds
    mlp_windows: list[int] = list(MLPSpec().windows)
    mlp_hidden: list[int] = list(MLPSpec().hidden)
    mlp_members: int = MLPSpec().members
    mlp_skip_members: int = MLPSpec().skip_members
    mlp_init_epochs: int = MLPSpec().init_epochs
    mlp_daily_days: int = MLPSpec().daily_days


class PriceEnsembleConfig(dg.Config):
    """The benchmark's ensemble (`BenchmarkConfig`) and the quantile calibration window."""

    window_days: int = ensemble_defaults.WINDOW_DAYS
    shrink: float = ensemble_defaults.SHRINK
    min_days: int = ensemble_defaults.MIN_DAYS
    calibration_days: int = ensemble_defaults.CALIBRATION_DAYS


def _market(rd: RegionDay) -> epftoolbox.EpfMarket:
    return epftoolbox.market(rd.region)


def _what(context) -> str:
    return f"{context.asset_key.to_user_string()} partition {context.partition_key}"


# --- raw --------------------------------------------------------------------------------------


class _FileRead:
    """The market file's payload and its parsed rows (once per step: a range parses it once)."""

    def __init__(self, payload, rows: pl.DataFrame) -> None:
        self.payload, self.rows = payload, rows


def _read_file(http: HttpResource, rd: RegionDay) -> _FileRead:
    the_market = _market(rd)
    with http.client() as client:
        source = FeedSource(client, http.datasets(), keys=http.api_keys())
        try:
            (payload,) = FEED.fetch(source, the_market)
        except FileNotFoundError as error:
            raise dg.Failure(
                description=f"{FEED.provider} {FEED.name}, partition {rd}: {error}",
                allow_retries=False,
            ) from error
    try:
        rows = FEED.parse([payload], the_market)
    except PayloadError as error:
        problem = SourceError(FEED.provider, payload.url, str(rd), str(error))
        raise dg.Failure(
            description=str(problem),
            metadata={"source_url": payload.url, "file_sha256": payload.sha256},
            allow_retries=False,
        ) from problem
    return _FileRead(payload, rows)


def _code_reference() -> dict:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.BetaWarning)
        ref = dg.LocalFileCodeReference(file_path=str(Path(epftoolbox.__file__)), line_number=1)
        return {"dagster/code_references": dg.CodeReferencesMetadataValue(code_references=[ref])}


@dg.asset(
    key=RAW,
    description=FEED.description,
    group_name=GROUP,
    partitions_def=PRICE_PARTITIONS,
    metadata={
        "partition_expr": PARTITION_EXPR,
        "provider": FEED.provider,
        "first_date": FIRST_DATE,
        **_code_reference(),
    },
    check_specs=check_specs(RAW, completeness=True),
    kinds={"duckdb", "polars"},
    backfill_policy=RANGE_POLICY,
)
@per_region_day()
def epftoolbox_prices(
    context: dg.AssetExecutionContext, http: HttpResource, archive: ArchiveResource
):
    """The market file's hours of day D, in the file's terms, with the day's lines archived."""
    rd = partition_keys(context)
    read = once_per_step(context, (RAW, rd.region), lambda: _read_file(http, rd))
    day = FEED.day_rows(read.rows, rd.market_date)
    if day.is_empty():
        raise dg.Failure(
            f"{FEED.provider} payload for partition {rd} is unusable: {read.payload.url} has no"
            f" hours for {rd.market_date}",
            allow_retries=False,
        )
    p = read.payload
    stored = archive.archive().put_fetched(
        p, body=FEED.day_slice(p.body, read.rows, rd.market_date)
    )
    rows = day.drop("market_date").with_columns(
        region=pl.lit(rd.region),
        market_date=pl.lit(rd.market_date, dtype=pl.Date),
        payload_sha256=pl.lit(stored.sha256),
        source_url=pl.lit(p.url),
        fetched_at_utc=pl.lit(p.fetched_at, dtype=pl.Datetime("us", "UTC")),
    )
    first = ["region", "market_date", "hour", "interval_start_local"]
    rows = rows.select(first + [c for c in rows.columns if c not in first])
    yield from validated_output(
        context,
        rows,
        schemas.RawEpftoolboxPrices,
        {
            "source_url": p.url,
            "file_sha256": p.sha256,
            "payload_sha256": stored.sha256,
            "payload_path": dg.MetadataValue.path(str(stored.path)),
            "source_rows": f"{int(day['source_row'].min())}-{int(day['source_row'].max())}",
        },
    )
    yield completeness_result(HOURS, rows.height, "hours")


# --- harmonized -------------------------------------------------------------------------------


@dg.asset(
    key=PRICES,
    group_name=GROUP,
    partitions_def=PRICE_PARTITIONS,
    ins={"raw": dg.AssetIn(key=RAW)},
    metadata={"partition_expr": PARTITION_EXPR},
    check_specs=check_specs(PRICES),
    kinds={"duckdb", "polars"},
    backfill_policy=RANGE_POLICY,
)
@per_region_day()
def prices(context: dg.AssetExecutionContext, raw: pl.DataFrame):
    """Hourly day-ahead price of the market's zone for day D, in its currency per MWh, with
    market, zone and currency (24 market-local hours, `hour` 0..23)."""
    the_market = _market(partition_keys(context))
    frame = raw.select(
        "region",
        "market_date",
        "hour",
        "interval_start_local",
        pl.lit(the_market.code).alias("market"),
        pl.lit(the_market.zone).alias("zone"),
        pl.lit(the_market.currency).alias("currency"),
        the_market.price_column,
        pl.lit(FEED.provider).alias("provider"),
    ).sort("hour")
    yield from validated_output(
        context,
        frame,
        schemas.MarketPrices,
        {"mean_price": round(float(frame[the_market.price_column].mean()), 3)},
    )


@dg.asset(
    key=EXOGENOUS,
    group_name=GROUP,
    partitions_def=PRICE_PARTITIONS,
    ins={"raw": dg.AssetIn(key=RAW)},
    metadata={"partition_expr": PARTITION_EXPR},
    check_specs=check_specs(EXOGENOUS),
    kinds={"duckdb", "polars"},
    backfill_policy=RANGE_POLICY,
)
@per_region_day()
def price_exogenous_forecasts(context: dg.AssetExecutionContext, raw: pl.DataFrame):
    """The market's exogenous day-ahead forecasts for day D (load, ...), MW, as operator
    forecasts: one row per series and hour, issued D-1 at the market's issue time."""
    rd = partition_keys(context)
    the_market = _market(rd)
    series = [c for c in raw.columns if c.endswith("_forecast_mw")]
    issued = epftoolbox.issued_at_utc(the_market, rd.market_date)
    frame = pl.concat(
        [
            raw.select(
                "region",
                "market_date",
                "hour",
                "interval_start_local",
                pl.lit(the_market.code).alias("market"),
                pl.lit(name).alias("series"),
                pl.lit(j, dtype=pl.Int8).alias("series_index"),
                pl.col(name).alias("forecast_mw"),
                pl.lit(issued, dtype=pl.Datetime("us", "UTC")).alias("issued_at_utc"),
                pl.lit(FEED.provider).alias("provider"),
            )
            for j, name in enumerate(series, start=1)
        ]
    ).sort("series_index", "hour")
    yield from validated_output(
        context, frame, schemas.MarketExogenousForecasts, {"series": ", ".join(series)}
    )


# --- history as day arrays --------------------------------------------------------------------


def _history(
    context, warehouse: WarehouseResource, rd: RegionDay, days_back: int, need: int
) -> tuple[Market, int]:
    """The market as day arrays over the consecutive stored days before D (at most `days_back`)
    and D's exogenous forecasts: prices of D-n..D-1, forecasts of D-n..D. D's price row is a
    copy of D-1's, never read (features of D read D-1 and earlier; models train before D).
    Returns (market, index of D). Fewer than `need` days: a failure naming the missing days."""
    the_market = _market(rd)
    first = dt.date.fromisoformat(the_market.first_date)
    days = [
        rd.market_date - dt.timedelta(days=k)
        for k in range(days_back, 0, -1)
        if rd.market_date - dt.timedelta(days=k) >= first
    ]
    price_frame, missing_p = read_days(context, warehouse, PRICES, rd.region, days)
    exog_frame, missing_e = read_days(
        context, warehouse, EXOGENOUS, rd.region, [*days, rd.market_date]
    )
    if rd.market_date in missing_e:
        raise dg.Failure(
            f"{_what(context)}: no {EXOGENOUS.to_user_string()} for {rd.market_date} (the day's"
            " exogenous forecasts). Materialize it first (price_ingest_job).",
            allow_retries=False,
        )
    missing = sorted(set(missing_p) | set(missing_e))
    # the consecutive days ending at D-1: a gap would shift every lag
    kept = [d for d in days if not missing or d > missing[-1]]
    if len(kept) < need:
        shown = ", ".join(d.isoformat() for d in missing[-10:]) or "none"
        raise dg.Failure(
            f"{_what(context)}: needs {need} consecutive days of {PRICES.to_user_string()} and"
            f" {EXOGENOUS.to_user_string()} before {rd.market_date}, found {len(kept)};"
            f" missing: {shown}. Materialize those days first (price_ingest_job).",
            allow_retries=False,
        )
    if missing:
        context.log.warning(
            f"{_what(context)}: history starts {kept[0]} (after the missing day {missing[-1]})"
        )
    price_col = the_market.price_column
    wanted = pl.DataFrame({"market_date": kept}, schema={"market_date": pl.Date})
    p = wanted.join(price_frame, on="market_date", how="left").sort("market_date", "hour")
    prices_arr = p[price_col].to_numpy().astype(np.float64).reshape(len(kept), HOURS)
    exog_days = [*kept, rd.market_date]
    e = exog_frame.filter(pl.col("market_date").is_in(exog_days)).sort(
        "market_date", "series_index", "hour"
    )
    k = int(e["series_index"].max()) if e.height else 0
    exog_arr = (
        e["forecast_mw"].to_numpy().astype(np.float64).reshape(len(exog_days), k, HOURS)
    ).transpose(0, 2, 1)
    prices_arr = np.concatenate([prices_arr, prices_arr[-1:]], axis=0)
    market = market_from_days(rd.region, exog_days, prices_arr, exog_arr)
    return market, len(kept)


# --- features ---------------------------------------------------------------------------------


@dg.asset(
    key=FEATURES,
    group_name=GROUP,
    partitions_def=PRICE_DAY_AHEAD_PARTITIONS,
    deps=[dg.AssetDep(PRICES, partition_mapping=_SAME_DAY)],
    ins={"exogenous": dg.AssetIn(key=EXOGENOUS, partition_mapping=_SAME_DAY)},
    metadata={"partition_expr": PARTITION_EXPR},
    check_specs=check_specs(FEATURES),
    kinds={"duckdb", "polars"},
    backfill_policy=RANGE_POLICY,
)
@per_region_day()
def price_features(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, exogenous: pl.DataFrame
):
    """Day D's feature vector (`features/price.py` `day_features`, the benchmark's): prices of
    D-1, D-2, D-3, D-7 and each exogenous forecast for D, D-1, D-7, same hour; day of week.
    Reads the prices and forecasts of D-7..D-1 from the warehouse."""
    rd = partition_keys(context)
    the_market = _market(rd)
    market, idx = _history(context, warehouse, rd, MAX_LAG, MAX_LAG)
    unit = the_market.price_column.removeprefix("price_")
    frame = day_feature_frame(market, idx, unit).with_columns(
        region=pl.lit(rd.region),
        market_date=pl.lit(rd.market_date, dtype=pl.Date),
        interval_start_local=pl.datetime(
            rd.market_date.year, rd.market_date.month, rd.market_date.day, pl.col("hour")
        ).cast(pl.Datetime("us")),
        issued_at_utc=pl.lit(
            epftoolbox.issued_at_utc(the_market, rd.market_date), dtype=pl.Datetime("us", "UTC")
        ),
    )
    first = ["region", "market_date", "hour", "interval_start_local"]
    frame = frame.select(first + [c for c in frame.columns if c not in first])
    yield from validated_output(context, frame, schemas.PriceFeatures)


# --- models -----------------------------------------------------------------------------------


def _save(model_store: ModelStoreResource, asset: str, rd: RegionDay, member: str, data: bytes):
    path = model_store.path() / asset / rd.region / f"{rd.market_date.isoformat()}_{member}.pkl"
    write_atomic(path, data)
    return path, hashlib.sha256(data).hexdigest()


def _load(path: str, sha256: str) -> Any:
    data = Path(path).read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise dg.Failure(f"model artifact {path} does not match its sha256 {sha256[:12]}")
    return data


def _model_rows(rd: RegionDay, members: list[tuple]) -> pl.DataFrame:
    rows = []
    for member, path, sha256, training_days in members:
        rows.append(
            {
                "region": rd.region,
                "market_date": rd.market_date,
                "member": member,
                "model_version": f"{member}@{rd.market_date.isoformat()}:{sha256[:12]}",
                "artifact_path": str(path),
                "artifact_sha256": sha256,
                "training_days": int(training_days),
                "train_first_date": (rd.market_date - dt.timedelta(days=int(training_days))),
                "train_last_date": rd.market_date - dt.timedelta(days=1),
                "trained_at_utc": dt.datetime.now(dt.UTC),
            }
        )
    return pl.DataFrame(
        rows,
        schema_overrides={
            "training_days": pl.Int32,
            "trained_at_utc": pl.Datetime("us", "UTC"),
        },
    )


def _model_asset(key: dg.AssetKey, kind: str):
    """`@dg.asset` of a model family: partitions, the same-day features dependency, checks."""
    return dg.asset(
        key=key,
        group_name=GROUP,
        partitions_def=PRICE_DAY_AHEAD_PARTITIONS,
        deps=[dg.AssetDep(FEATURES, partition_mapping=_SAME_DAY)],
        metadata={"partition_expr": PARTITION_EXPR},
        check_specs=check_specs(key),
        kinds={kind, "duckdb"},
        backfill_policy=RANGE_POLICY,
    )


def _train(context, spec, warehouse, model_store, key: dg.AssetKey, history_days: int, fit):
    """Day D's members of a family: the market's history before D as day arrays, each member
    fitted (`fit`, with the family's `spec`) and its artifact stored; the model table's rows,
    validated. The spec is the materialization's `training` metadata (rounds, learning rate,
    networks, windows: what the asset page shows the model was trained with)."""
    rd = partition_keys(context)
    market, idx = _history(context, warehouse, rd, history_days + MAX_LAG, PRICE_HISTORY_DAYS)
    raw = padded_day_features(market)
    members = fit(context, spec, model_store, rd, market, raw, idx)
    frame = _model_rows(rd, members)
    metadata = {
        "members": ", ".join(frame["member"]),
        "history_days": idx,
        "training": dg.MetadataValue.json(asdict(spec)),
    }
    if isinstance(spec, LinearSpec) and spec.exog_transform == "linear":
        beyond = _exogenous_beyond_bound(context, rd, market, idx, spec.windows)
        if beyond:
            metadata["exogenous_beyond_bound"] = dg.MetadataValue.json(beyond)
    yield from validated_output(context, frame, schemas.PriceModel, metadata)


def _exogenous_beyond_bound(context, rd: RegionDay, market: Market, idx: int, windows) -> list:
    """D's exogenous forecasts beyond `LINEAR_EXOG_BOUND` robust standard deviations of some
    window's days (`features.price.exogenous_beyond_bound`, each with its column's name, as the
    metadata shows them), each named in a warning: the linear models compress them, and they are
    more often a glitch in the market file than a forecast."""
    names = _market(rd).exogenous
    beyond = []
    for item in exogenous_beyond_bound(market, idx, windows):
        j = int(item["series"])
        name = names[j - 1] if j <= len(names) else f"exogenous series {j}"
        beyond.append({"column": name, **item})
        context.log.warning(
            f"{_what(context)}: {name} at hour {item['hour']} of {rd.market_date} is"
            f" {item['value']:,.0f}, {item['z']:+.1f} robust standard deviations from the median"
            f" of the {item['window_days']} days before (bound {LINEAR_EXOG_BOUND:g}); the linear"
            " models compress it (features/price.py bounded_linear). Check the market file."
        )
    return beyond


def _previous(model_store: ModelStoreResource, asset: str, rd: RegionDay, member: str) -> Path:
    """Where the member's artifact of the day before D is (its warm start, when stored)."""
    day_before = (rd.market_date - dt.timedelta(days=1)).isoformat()
    return model_store.path() / asset / rd.region / f"{day_before}_{member}.pkl"


def _lear_spec(config: PriceModelsConfig) -> LinearSpec:
    return LinearSpec(
        windows=tuple(config.lear_windows),
        methods=tuple(config.lear_methods),
        ridge_days=config.ridge_days,
        exog_transform=config.lear_exog_transform,
    )


def _lightgbm_spec(config: PriceModelsConfig) -> LGBMSpec:
    return LGBMSpec(
        windows=tuple(config.lgbm_windows),
        targets=tuple(config.lgbm_targets),
        rounds=config.lgbm_rounds,
    )


def _mlx_spec(config: PriceModelsConfig) -> MLPSpec:
    return MLPSpec(
        windows=tuple(config.mlp_windows),
        hidden=tuple(config.mlp_hidden),
        members=config.mlp_members,
        skip_members=config.mlp_skip_members,
        init_epochs=config.mlp_init_epochs,
        daily_days=config.mlp_daily_days,
    )


def _fit_lear(context, spec: LinearSpec, model_store, rd, market, raw, idx):
    out = []
    for w in spec.windows:
        task = LinearTask(spec, w)
        previous = _previous(model_store, "price_lear", rd, f"lear_{w}")
        if "lasso" in spec.methods and previous.exists():
            task.resume(pickle.loads(previous.read_bytes()))
        fit = task.fit(market, raw, idx)
        path, sha = _save(model_store, "price_lear", rd, f"lear_{w}", pickle.dumps(fit))
        out.append((f"lear_{w}", path, sha, fit.training_days))
    return out


def _fit_lightgbm(context, spec: LGBMSpec, model_store, rd, market, raw, idx):
    out = []
    for w in spec.windows:
        task = LGBMTask(spec, w)
        task.origin = idx  # the transform is fitted on the days before D
        fit = task.fit(market, raw, idx)
        path, sha = _save(model_store, "price_lightgbm", rd, f"lgbm_{w}", pickle.dumps(fit))
        out.append((f"lgbm_{w}", path, sha, fit.training_days))
    return out


def _fit_mlx(context, spec: MLPSpec, model_store, rd, market, raw, idx):
    out = []
    for w in spec.windows:
        task = MLPTask(spec, w)
        previous = _previous(model_store, "price_mlx", rd, f"mlp_{w}")
        if previous.exists():
            task.resume(MLPFit.from_bytes(previous.read_bytes()).models, idx - 1)
            context.log.info(f"models/price_mlx {rd}: warm start from {previous.name}")
        fit = task.fit(market, raw, idx)
        path, sha = _save(model_store, "price_mlx", rd, f"mlp_{w}", fit.to_bytes())
        out.append((f"mlp_{w}", path, sha, fit.training_days))
    return out


@_model_asset(LEAR, "numpy")
@per_region_day()
def price_lear(
    context: dg.AssetExecutionContext,
    config: PriceModelsConfig,
    warehouse: WarehouseResource,
    model_store: ModelStoreResource,
):
    """LEAR-style linear price models for day D, one per window (`lear_windows`): 24 per-hour
    regressions on the day vector (prices asinh-transformed; the exogenous forecasts
    standardised, or asinh-transformed with `lear_exog_transform: asinh`), a ridge and a LASSO
    whose prices are averaged (`lear_methods`; `models/price_linear.py`), trained on the days
    before D."""
    spec = _lear_spec(config)
    yield from _train(context, spec, warehouse, model_store, LEAR, max(spec.windows), _fit_lear)


@_model_asset(LIGHTGBM, "lightgbm")
@per_region_day()
def price_lightgbm(
    context: dg.AssetExecutionContext,
    config: PriceModelsConfig,
    warehouse: WarehouseResource,
    model_store: ModelStoreResource,
):
    """LightGBM price models for day D, one per window (`lgbm_windows`; `models/price_lgbm.py`),
    on (day, hour) rows transformed with the 1456 days before D, trained on the days before D:
    one booster per target (`lgbm_targets`: the change from D-1 and the level), prices
    averaged."""
    spec = _lightgbm_spec(config)
    days = max(max(spec.windows), 1456)
    yield from _train(context, spec, warehouse, model_store, LIGHTGBM, days, _fit_lightgbm)


@_model_asset(MLX, "mlx")
@per_region_day()
def price_mlx(
    context: dg.AssetExecutionContext,
    config: PriceModelsConfig,
    warehouse: WarehouseResource,
    model_store: ModelStoreResource,
):
    """MLX MLP price models for day D (`models/price_mlx.py`), one per window (`mlp_windows`,
    `mlp_members` networks each): fitted on that many days before D, or warm-started from
    D-1's model when it is stored (one epoch on the latest `mlp_daily_days` days)."""
    spec = _mlx_spec(config)
    yield from _train(context, spec, warehouse, model_store, MLX, max(spec.windows), _fit_mlx)


# --- member forecasts -------------------------------------------------------------------------


@dg.asset(
    key=MEMBERS,
    group_name=GROUP,
    partitions_def=PRICE_DAY_AHEAD_PARTITIONS,
    ins={
        "lear": dg.AssetIn(key=LEAR),
        "lightgbm": dg.AssetIn(key=LIGHTGBM),
        "mlx": dg.AssetIn(key=MLX),
        "features": dg.AssetIn(key=FEATURES),
    },
    metadata={"partition_expr": PARTITION_EXPR},
    check_specs=check_specs(MEMBERS),
    kinds={"duckdb", "polars"},
    backfill_policy=RANGE_POLICY,
)
@per_region_day()
def price_day_ahead_members(
    context: dg.AssetExecutionContext,
    lear: pl.DataFrame,
    lightgbm: pl.DataFrame,
    mlx: pl.DataFrame,
    features: pl.DataFrame,
):
    """Each member's forecast of day D's 24 prices, from its artifact and D's features."""
    rd = partition_keys(context)
    the_market = _market(rd)
    n_exog = len({c.split("_")[0] for c in features.columns if c.startswith("exog")})
    vector = day_vector_from_frame(features, n_exog)
    dow = int(features["day_of_week"][0])
    frames = []
    for models in (lear, lightgbm, mlx):
        for row in models.iter_rows(named=True):
            data = _load(row["artifact_path"], row["artifact_sha256"])
            is_mlp = row["member"].partition("_")[0] == "mlp"
            fit = MLPFit.from_bytes(data) if is_mlp else pickle.loads(data)
            forecast = fit.predict(vector, dow, n_exog)
            frames.append(
                features.select("region", "market_date", "hour", "interval_start_local")
                .sort("hour")
                .with_columns(
                    member=pl.lit(row["member"]),
                    model_version=pl.lit(row["model_version"]),
                    **{the_market.price_column: pl.Series(forecast, dtype=pl.Float64)},
                    issued_at_utc=pl.lit(features["issued_at_utc"][0]),
                )
            )
    frame = pl.concat(frames)
    yield from validated_output(context, frame, schemas.PriceMemberForecasts)


# --- ensemble and the day-ahead forecast ------------------------------------------------------


def _member_arrays(frame: pl.DataFrame, price_col: str, days: list[dt.date]) -> dict:
    out = {}
    for member in sorted(frame["member"].unique().to_list(), key=_member_order):
        part = frame.filter(pl.col("member") == member).sort("market_date", "hour")
        out[member] = part[price_col].to_numpy().reshape(len(days), HOURS)
    return out


def _member_order(name: str) -> tuple[int, int]:
    family, _, window = name.partition("_")
    return ({"lear": 0, "lgbm": 1, "mlp": 2}.get(family, 3), int(window) if window else 0)


@dg.asset(
    key=ENSEMBLE,
    group_name=GROUP,
    partitions_def=PRICE_DAY_AHEAD_PARTITIONS,
    ins={"members": dg.AssetIn(key=MEMBERS)},
    metadata={"partition_expr": PARTITION_EXPR},
    check_specs=check_specs(ENSEMBLE),
    kinds={"duckdb", "numpy"},
    backfill_policy=RANGE_POLICY,
)
@per_region_day()
def price_ensemble(
    context: dg.AssetExecutionContext,
    config: PriceEnsembleConfig,
    warehouse: WarehouseResource,
    members: pl.DataFrame,
):
    """Day D's ensemble: the benchmark's convex weights (`models/price_ensemble.py`, fitted on
    the members' forecasts of the `window_days` before D, shrunk halfway to equal) and P10/P90
    offsets from the out-of-sample ensemble errors of the `calibration_days` before D."""
    rd = partition_keys(context)
    the_market = _market(rd)
    col = the_market.price_column
    span = config.window_days + config.calibration_days
    first = dt.date.fromisoformat(FIRST_DAY_AHEAD_DATE)
    back = [
        rd.market_date - dt.timedelta(days=k)
        for k in range(span, 0, -1)
        if rd.market_date - dt.timedelta(days=k) >= first
    ]
    past, missing = read_days(context, warehouse, MEMBERS, rd.region, back)
    names = set(members["member"].unique().to_list())
    if past.width:
        complete = past.group_by("market_date").agg(pl.col("member").n_unique().alias("n"))
        have = set(complete.filter(pl.col("n") == len(names))["market_date"].to_list())
    else:
        have = set()
    days = [d for d in back if d in have]
    days = [d for d in days if not [m for m in back if m not in have and m > d]]  # consecutive
    actual_frame, _ = read_days(context, warehouse, PRICES, rd.region, days) if days else (None, [])
    all_days = [*days, rd.market_date]
    frame = pl.concat(
        [past.filter(pl.col("market_date").is_in(days)).select(members.columns), members]
        if days
        else [members]
    )
    arrays = _member_arrays(frame.filter(pl.col("member").is_in(names)), col, all_days)
    actual = np.full((len(all_days), HOURS), np.nan)
    if days:
        actual[:-1] = actual_frame.sort("market_date", "hour")[col].to_numpy().reshape(-1, HOURS)
    inputs = ensemble_inputs(arrays)
    ens, weights = ensemble_forecasts(
        inputs, actual, config.window_days, config.shrink, config.min_days
    )
    calib = min(len(days), config.calibration_days)
    if calib >= config.min_days:
        p10_offset, p90_offset = band_offsets(actual[-1 - calib : -1], ens[-1 - calib : -1])
        how = "ensemble"
    else:
        hist, _ = _history(context, warehouse, rd, config.calibration_days + 1, 2)
        p = hist.prices[:-1]  # D's row is a placeholder
        p10_offset, p90_offset = band_offsets(p[1:], p[:-1])
        how, calib = "persistence", p.shape[0] - 1
    unit = col.removeprefix("price_")
    out = pl.DataFrame(
        {
            "region": rd.region,
            "market_date": rd.market_date,
            "ensemble_input": list(inputs),
            "weight": weights[-1],
            "weight_days": min(len(days), config.window_days),
            f"p10_offset_{unit}": p10_offset,
            f"p90_offset_{unit}": p90_offset,
            "calibration": how,
            "calibration_days": calib,
        },
        schema_overrides={"weight_days": pl.Int32, "calibration_days": pl.Int32},
    )
    if missing:
        context.log.warning(f"{_what(context)}: no member forecasts stored for {len(missing)} days")
    yield from validated_output(
        context,
        out,
        schemas.PriceEnsembleWeights,
        {
            "weights": table_value(out.select("ensemble_input", "weight")),
            "past_days": len(days),
            "calibration": how,
        },
    )


@dg.asset(
    key=DAY_AHEAD,
    group_name=GROUP,
    partitions_def=PRICE_DAY_AHEAD_PARTITIONS,
    ins={"ensemble": dg.AssetIn(key=ENSEMBLE), "members": dg.AssetIn(key=MEMBERS)},
    metadata={"partition_expr": PARTITION_EXPR},
    check_specs=check_specs(DAY_AHEAD),
    kinds={"duckdb", "polars"},
    backfill_policy=RANGE_POLICY,
)
@per_region_day()
def price_day_ahead(
    context: dg.AssetExecutionContext, ensemble: pl.DataFrame, members: pl.DataFrame
):
    """Day-ahead P10/P50/P90 of day D's hourly price, issued D-1: P50 the weighted members
    (`models/price_ensemble`), P10/P90 P50 plus the offsets calibrated on past days."""
    rd = partition_keys(context)
    the_market = _market(rd)
    col = the_market.price_column
    unit = col.removeprefix("price_")
    arrays = _member_arrays(members, col, [rd.market_date])
    inputs = ensemble_inputs(arrays)
    weights = dict(zip(ensemble["ensemble_input"], ensemble["weight"], strict=True))
    p50 = sum(weights[name] * inputs[name][0] for name in inputs)
    lo, hi = float(ensemble[f"p10_offset_{unit}"][0]), float(ensemble[f"p90_offset_{unit}"][0])
    base = members.filter(pl.col("member") == members["member"][0]).sort("hour")
    frame = base.select(
        "region",
        "market_date",
        "hour",
        "interval_start_local",
        pl.Series(f"price_p10_{unit}", p50 + lo),
        pl.Series(f"price_p50_{unit}", p50),
        pl.Series(f"price_p90_{unit}", p50 + hi),
        pl.lit(the_market.currency).alias("currency"),
        "issued_at_utc",
        pl.lit("ensemble:" + ",".join(sorted(members["model_version"].unique()))).alias(
            "model_version"
        ),
    )
    frame = frame.with_columns(
        pl.col("model_version").map_elements(
            lambda v: "ensemble:" + hashlib.sha256(v.encode()).hexdigest()[:12],
            return_dtype=pl.String,
        )
    )
    yield from validated_output(
        context,
        frame,
        schemas.PriceDayAhead,
        {"mean_p50": round(float(p50.mean()), 3), "band_mean": round(hi - lo, 3)},
    )


# --- evaluation -------------------------------------------------------------------------------


def _published(http: HttpResource, the_market: epftoolbox.EpfMarket, day: dt.date) -> dict:
    """The published forecasts of the day (column name -> 24 values), where the market has a
    published file that covers it."""
    if the_market.published is None:
        return {}
    path = http.datasets() / the_market.published
    if not path.is_file():
        return {}
    frame = epftoolbox.parse_published(path.read_bytes(), f"datasets:{the_market.published}")
    day_rows = frame.filter(pl.col("ts").dt.date() == day).sort("ts")
    if day_rows.height != HOURS:
        return {}
    names = {"DNN Ensemble": "published_dnn_ensemble", "LEAR Ensemble": "published_lear_ensemble"}
    return {names[c]: day_rows[c].to_numpy() for c in names if c in day_rows.columns}


@dg.asset(
    key=SCORE,
    group_name=GROUP,
    partitions_def=PRICE_DAY_AHEAD_PARTITIONS,
    ins={"forecast": dg.AssetIn(key=DAY_AHEAD), "members": dg.AssetIn(key=MEMBERS)},
    deps=[dg.AssetDep(PRICES, partition_mapping=_SAME_DAY)],
    metadata={"partition_expr": PARTITION_EXPR},
    check_specs=check_specs(SCORE),
    kinds={"duckdb", "polars"},
    backfill_policy=RANGE_POLICY,
)
@per_region_day()
def price_forecast_score(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    http: HttpResource,
    forecast: pl.DataFrame,
    members: pl.DataFrame,
):
    """Scores of day D's price forecasts once D's prices are known: sums of absolute and squared
    errors, sMAPE terms, the weekly naive's errors (rMAE), pinball and P10-P90 hits of the
    ensemble, beside each model family, the weekly naive (same hour of D-7) and the published
    forecasts of the market's file (DNN and LEAR ensembles, where they cover the day), all on
    the same hours."""
    rd = partition_keys(context)
    the_market = _market(rd)
    col = the_market.price_column
    unit = col.removeprefix("price_")
    naive_day = rd.market_date - dt.timedelta(days=7)
    stored, missing = read_days(context, warehouse, PRICES, rd.region, [naive_day, rd.market_date])
    if missing:
        raise dg.Failure(
            f"{_what(context)}: no {PRICES.to_user_string()} for"
            f" {', '.join(d.isoformat() for d in missing)} (the actual and the naive's D-7)."
            " Materialize them first (price_ingest_job).",
            allow_retries=False,
        )

    def day(d: dt.date) -> np.ndarray:
        return stored.filter(pl.col("market_date") == d).sort("hour")[col].to_numpy()

    actual, naive = day(rd.market_date), day(naive_day)
    fc = forecast.sort("hour")
    arrays = _member_arrays(members, col, [rd.market_date])
    families = {
        name: v[0] for name, v in {**family_means(arrays), **ensemble_inputs(arrays)}.items()
    }
    forecasts = {
        "ensemble": fc[f"price_p50_{unit}"].to_numpy(),
        **families,
        "naive": naive,
        **_published(http, the_market, rd.market_date),
    }
    rows = day_scores(
        actual,
        forecasts,
        naive,
        {"ensemble": (fc[f"price_p10_{unit}"].to_numpy(), fc[f"price_p90_{unit}"].to_numpy())},
    )
    frame = pl.DataFrame(
        rows,
        schema={
            "forecaster": pl.String,
            "hours": pl.Int64,
            "abs_error_sum": pl.Float64,
            "squared_error_sum": pl.Float64,
            "smape_sum": pl.Float64,
            "naive_abs_error_sum": pl.Float64,
            "pinball_sum": pl.Float64,
            "covered_hours": pl.Int64,
        },
    ).select(
        pl.lit(rd.region).alias("region"),
        pl.lit(rd.market_date, dtype=pl.Date).alias("market_date"),
        pl.lit(the_market.currency).alias("currency"),
        pl.all(),
    )
    by = {r["forecaster"]: r for r in frame.iter_rows(named=True)}
    yield from validated_output(
        context,
        frame,
        schemas.PriceForecastScore,
        {
            f"mae_{unit}_{k}": round(v["abs_error_sum"] / v["hours"], 3)
            for k, v in by.items()
            if v["hours"]
        },
    )


@dg.asset(
    key=REPORT,
    group_name=GROUP,
    deps=[SCORE],
    check_specs=check_specs(REPORT),
    kinds={"duckdb", "polars"},
)
def price_forecast_report(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Every scored day of `evaluation/price_forecast_score` rolled up per market and
    forecaster: MAE, RMSE, sMAPE, rMAE (against the weekly naive on the same hours), mean
    pinball loss and P10-P90 coverage, and one-sided Diebold-Mariano tests on daily MAE against
    the naive and the published DNN ensemble. Rebuilt whole on each materialization."""
    try:
        scores = warehouse.query("select * from evaluation.price_forecast_score")
    except (FileNotFoundError, duckdb.CatalogException) as error:
        raise dg.Failure(
            f"evaluation/price_forecast_report: no scored days yet ({error}). Materialize"
            " evaluation/price_forecast_score for some market-days first (price_job)."
        ) from error
    parts = []
    for currency, part in scores.group_by("currency", maintain_order=True):
        unit = f"{str(currency[0]).lower()}_per_mwh"
        parts.append(
            report_rows(part, unit)
            .with_columns(currency=pl.lit(currency[0]))
            .select("region", "currency", pl.exclude("region", "currency"))
        )
    report = pl.concat(parts, how="diagonal_relaxed")
    report = report.with_columns(pl.col("days", "hours").cast(pl.Int64))
    ensemble = report.filter(pl.col("forecaster") == "ensemble")
    yield from validated_output(
        context,
        report,
        schemas.PriceForecastReport,
        {
            "results": table_value(report),
            "days_scored": int(report["days"].max()),
            **{
                f"{c}_{r['region']}_ensemble": round(r[c], 4)
                for r in ensemble.iter_rows(named=True)
                for c in report.columns
                if c.startswith("mae_") and r[c] is not None
            },
        },
    )


# --- the fleet on prices ----------------------------------------------------------------------


class PriceQuantile(StrEnum):
    """Which quantile of the day-ahead price forecast the fleet plans on."""

    p10 = "p10"
    p50 = "p50"
    p90 = "p90"


class PriceFleetConfig(dg.Config):
    """The fleet planned on the price forecast (`evaluation/price_dispatch.py`).

    `price_quantile`: "p50" (expected prices), or "p90" / "p10". The forecast's P10/P90 are P50
    plus one offset each for the whole day, so a quantile shifts every hour alike: it changes
    what the batteries' losses cost (a dearer day makes marginal cycles unprofitable), not when
    they charge. `degradation_per_kwh`: battery wear per kWh charged and per kWh discharged, in
    the market's currency (the fleet's default 0.01). `feeder_*_limit_kw`: optional limits on
    the fleet's net import / export per slot."""

    n_homes: int = 100
    price_quantile: PriceQuantile = PriceQuantile.p50
    seed: int = 0
    degradation_per_kwh: float = price_dispatch.DEGRADATION_PER_KWH
    feeder_import_limit_kw: float | None = None
    feeder_export_limit_kw: float | None = None
    # "household" (default) or "pvwatts": the market's region's PVWatts typical year
    # (harmonized/pv_profile, pv_profile_job) x each home's kWp, as dispatch/vpp_fleet_dispatch
    pv_source: PvSource = PvSource.household


def _required_day(
    context, warehouse: WarehouseResource, key: dg.AssetKey, job: str
) -> pl.DataFrame:
    """The partition's own day of `key` from the warehouse; a failure naming the partition and
    the job that builds it when it is not stored (never a plan on nothing)."""
    rd = partition_keys(context)
    frame, missing = read_days(context, warehouse, key, rd.region, [rd.market_date])
    if missing or not frame.height:
        raise dg.Failure(
            f"{_what(context)}: no {key.to_user_string()} for {rd.region} {rd.market_date}"
            f" (partition {context.partition_key}: never materialized, or its run failed)."
            f" Materialize it first ({job}).",
            metadata={"failed_partitions": [str(context.partition_key)]},
            allow_retries=False,
        )
    return frame


def _household(http: HttpResource) -> pl.DataFrame:
    return load_household_year(household_path(http.datasets()))


def _hourly(frame: pl.DataFrame, column: str, what: str) -> np.ndarray:
    """The day's 24 values of `column` by `hour`; a failure naming `what` when any is missing."""
    values = frame.sort("hour")
    if values["hour"].to_list() != list(range(HOURS)) or values[column].null_count():
        raise dg.Failure(
            f"{what}: expected the 24 hours 0..23 of {column}, got"
            f" {values.filter(pl.col(column).is_not_null())['hour'].to_list()}",
            allow_retries=False,
        )
    return values[column].to_numpy().astype(np.float64)


@dg.asset(
    key=FLEET,
    group_name=GROUP,
    partitions_def=PRICE_DAY_AHEAD_PARTITIONS,
    # read by the asset (a missing forecast fails naming the partition and price_job)
    deps=[DAY_AHEAD],
    metadata={
        "partition_expr": PARTITION_EXPR,
        "reads": "harmonized/pv_profile of the market's region, when pv_source is pvwatts",
    },
    check_specs=check_specs(FLEET),
    kinds={"highs", "duckdb"},
    backfill_policy=RANGE_POLICY,
)
@per_region_day()
def vpp_fleet_price_dispatch(
    context: dg.AssetExecutionContext,
    config: PriceFleetConfig,
    http: HttpResource,
    warehouse: WarehouseResource,
):
    """Battery dispatch of a fleet of homes with PV and batteries (100 by default, diversified
    from one real household year, `optimize/fleet_profiles.py`) for market day D, 15-minute
    slots in UTC, planned on D's day-ahead price forecast (P50 by default; `price_quantile`)
    with the cost objective: imports and exports at the slot's price, battery losses and wear
    (`optimize/fleet.py`, HiGHS). Per home and slot: charge, discharge, SOC, net import, the
    price planned on."""
    rd = partition_keys(context)
    the_market = _market(rd)
    unit = the_market.price_column.removeprefix("price_")
    cur = the_market.currency.lower()
    quantile = config.price_quantile.value
    forecast = _required_day(context, warehouse, DAY_AHEAD, "price_job")
    planned = _hourly(forecast, f"price_{quantile}_{unit}", _what(context))
    pv_kw_per_kw, pv_metadata = None, {"pv_source": config.pv_source.value}
    if config.pv_source == PvSource.pvwatts:
        slots = day_slot_starts(rd.market_date, the_market.timezone, price_dispatch.SLOT_MINUTES)
        pv_kw_per_kw, profile_metadata = pvwatts_slots(context, warehouse, rd.region, slots)
        pv_metadata |= profile_metadata
    day = price_dispatch.fleet_day(
        rd.market_date,
        the_market.timezone,
        _household(http),
        config.n_homes,
        config.seed,
        config.degradation_per_kwh,
        config.feeder_import_limit_kw,
        config.feeder_export_limit_kw,
        pv_kw_per_kw,
    )
    try:
        schedule = price_dispatch.plan_fleet(day, planned)
    except (FleetInfeasible, ValueError) as error:
        raise dg.Failure(f"{_what(context)}: {error}", allow_retries=False) from error
    slot_price = pl.DataFrame(
        {
            "interval_start_utc": day.slots,
            f"price_planned_{cur}_per_mwh": planned[
                price_dispatch.slot_hour_index(day.slots, day.tz)
            ],
        },
        schema={
            "interval_start_utc": pl.Datetime("us", "UTC"),
            f"price_planned_{cur}_per_mwh": pl.Float64,
        },
    )
    frame = home_schedule_rows(
        schedule.per_home,
        slot_price,
        region=rd.region,
        market_date=rd.market_date,
        columns=[
            f"price_planned_{cur}_per_mwh",
            pl.lit(quantile).alias("price_quantile"),
            pl.lit(str(forecast["model_version"][0])).alias("forecast_model_version"),
            pl.lit(config.seed, dtype=pl.Int64).alias("fleet_seed"),
            pl.lit(config.degradation_per_kwh, dtype=pl.Float64).alias(
                f"degradation_cost_{cur}_per_kwh"
            ),
        ],
        feeder_import_limit_kw=config.feeder_import_limit_kw,
        feeder_export_limit_kw=config.feeder_export_limit_kw,
    )
    arrays = price_dispatch.schedule_arrays(frame, day)
    planned_cost = price_dispatch.settle(day, **arrays, hourly_per_mwh=planned)
    base_cost = price_dispatch.settle(
        day, **price_dispatch.baseline_arrays(day), hourly_per_mwh=planned
    )
    summary = schedule.summary
    metadata = {
        "price_quantile": quantile,
        "currency": the_market.currency,
        "status": summary["status"],
        "gap": summary["gap"],
        "solve_time_s": summary["solve_time_s"],
        "num_homes": summary["num_homes"],
        "num_batteries": summary["num_batteries"],
        f"planned_cost_{cur}": planned_cost.cost,
        f"planned_baseline_cost_{cur}": base_cost.cost,
        f"planned_value_{cur}": base_cost.cost - planned_cost.cost,
        "battery_throughput_kwh": planned_cost.throughput_kwh,
        **pv_metadata,
    }
    yield from validated_output(
        context, frame, schemas.VppFleetPriceDispatch, ui_metadata.rounded(metadata)
    )


class PriceHouseholdConfig(dg.Config):
    """The household planned on the price forecast: which quantile (see `PriceFleetConfig`)."""

    price_quantile: PriceQuantile = PriceQuantile.p50


@dg.asset(
    key=HOUSEHOLD,
    group_name=GROUP,
    partitions_def=PRICE_DAY_AHEAD_PARTITIONS,
    # read by the asset (a missing forecast fails naming the partition and price_job)
    deps=[DAY_AHEAD],
    metadata={"partition_expr": PARTITION_EXPR},
    check_specs=check_specs(HOUSEHOLD),
    kinds={"ortools", "duckdb"},
    backfill_policy=RANGE_POLICY,
)
@per_region_day()
def household_price_load_shift(
    context: dg.AssetExecutionContext,
    config: PriceHouseholdConfig,
    warehouse: WarehouseResource,
):
    """One household's deferrable appliances (dishwasher, washer, dryer, EV charger, pool pump,
    water heater; `optimize/household.py`) placed in 15-minute slots of market day D (UTC) at
    least cost on D's day-ahead price forecast (P50 by default; `price_quantile`), exact by
    dynamic programming. Rows for the plan and the run-at-earliest baseline, with the price
    planned on."""
    rd = partition_keys(context)
    the_market = _market(rd)
    unit = the_market.price_column.removeprefix("price_")
    cur = the_market.currency.lower()
    quantile = config.price_quantile.value
    forecast = _required_day(context, warehouse, DAY_AHEAD, "price_job")
    planned = _hourly(forecast, f"price_{quantile}_{unit}", _what(context))
    try:
        schedule = price_dispatch.plan_household(rd.market_date, the_market.timezone, planned)
    except ValueError as error:  # ScheduleInfeasible is one
        raise dg.Failure(f"{_what(context)}: {error}", allow_retries=False) from error
    slots = day_slot_starts(rd.market_date, the_market.timezone, price_dispatch.SLOT_MINUTES)
    slot_price = pl.DataFrame(
        {
            "interval_start_utc": slots,
            f"price_planned_{cur}_per_mwh": planned[
                price_dispatch.slot_hour_index(slots, the_market.timezone)
            ],
        },
        schema={
            "interval_start_utc": pl.Datetime("us", "UTC"),
            f"price_planned_{cur}_per_mwh": pl.Float64,
        },
    )

    def rows(frame: pl.DataFrame, plan: str) -> pl.DataFrame:
        return (
            frame.with_columns(pl.col("interval_start_utc").dt.convert_time_zone("UTC"))
            .join(slot_price, on="interval_start_utc", how="left")
            .select(
                pl.lit(rd.region).alias("region"),
                pl.lit(rd.market_date, dtype=pl.Date).alias("market_date"),
                pl.lit(plan).alias("plan"),
                "appliance",
                "interval_start_utc",
                "power_kw",
                "energy_kwh",
                f"price_planned_{cur}_per_mwh",
                pl.lit(quantile).alias("price_quantile"),
                pl.lit(str(forecast["model_version"][0])).alias("forecast_model_version"),
            )
        )

    frame = pl.concat(
        [rows(schedule.frame, "optimized"), rows(schedule.baseline_frame, "baseline")]
    )
    tz, day = the_market.timezone, rd.market_date
    planned_cost = price_dispatch.household_cost(schedule.frame, day, tz, planned)
    base_cost = price_dispatch.household_cost(schedule.baseline_frame, day, tz, planned)
    summary = schedule.summary
    metadata = {
        "price_quantile": quantile,
        "currency": the_market.currency,
        "status": summary["status"],
        "gap": summary["gap"],
        "solve_time_s": summary["solve_time_s"],
        f"planned_cost_{cur}": planned_cost,
        f"planned_baseline_cost_{cur}": base_cost,
        f"planned_value_{cur}": base_cost - planned_cost,
    }
    yield from validated_output(
        context, frame, schemas.HouseholdPriceLoadShift, ui_metadata.rounded(metadata)
    )


_PLANNED_ON = {
    price_dispatch.BASELINE: "the baseline (idle batteries; appliances at their earliest)",
    "published_dnn_ensemble": "published DNN ensemble forecast (epftoolbox, Lago et al. 2021)",
    price_dispatch.PERFECT_FORESIGHT: "the actual prices",
}


def _check_forecast(what: str, key: dg.AssetKey, stored: pl.DataFrame, forecast: pl.DataFrame):
    """The plan was made on the forecast stored now (else it is stale: plan again)."""
    made_on, now = str(stored["forecast_model_version"][0]), str(forecast["model_version"][0])
    if made_on != now:
        raise dg.Failure(
            f"{what}: {key.to_user_string()} was planned on forecast {made_on},"
            f" {DAY_AHEAD.to_user_string()} is now {now}. Materialize {key.to_user_string()}"
            " again.",
            allow_retries=False,
        )


@dg.asset(
    key=FLEET_VALUE,
    group_name=GROUP,
    partitions_def=PRICE_DAY_AHEAD_PARTITIONS,
    # read by the asset, a day at a time (the fleet: ~1 MB of per-home rows a day); a missing
    # input fails naming the partition and the job that builds it
    deps=[FLEET, HOUSEHOLD, DAY_AHEAD, dg.AssetDep(PRICES, partition_mapping=_SAME_DAY)],
    metadata={"partition_expr": PARTITION_EXPR},
    check_specs=check_specs(FLEET_VALUE),
    kinds={"highs", "duckdb"},
    backfill_policy=RANGE_POLICY,
)
@per_region_day()
def price_dispatch_value(
    context: dg.AssetExecutionContext,
    http: HttpResource,
    warehouse: WarehouseResource,
):
    """What `dispatch/vpp_fleet_price_dispatch` and `dispatch/household_price_load_shift` earned
    on day D once D's prices were known, in the market's currency: each plan's cost at the
    actual prices (the fleet: energy + battery wear) against its baseline (idle batteries;
    appliances run at their earliest), value = baseline cost - cost; beside it the same fleet
    (rebuilt from the seed in the plan's rows and checked against them) and household planned
    on the published DNN ensemble forecast where the market's published file covers D, and
    planned on the actual prices (perfect foresight: the most any plan could earn). One row per
    schedule and plan, with the share of perfect foresight's value each captured
    (`evaluation/price_dispatch.py`)."""
    rd = partition_keys(context)
    the_market = _market(rd)
    unit = the_market.price_column.removeprefix("price_")
    cur = the_market.currency.lower()
    tz = the_market.timezone
    what = _what(context)
    fleet = _required_day(context, warehouse, FLEET, "price_job")
    house = _required_day(context, warehouse, HOUSEHOLD, "price_job")
    forecast = _required_day(context, warehouse, DAY_AHEAD, "price_job")
    actual = _required_day(context, warehouse, PRICES, "price_ingest_job")
    _check_forecast(what, FLEET, fleet, forecast)
    _check_forecast(what, HOUSEHOLD, house, forecast)
    actual_prices = _hourly(actual, the_market.price_column, what)
    published = _published(http, the_market, rd.market_date).get("published_dnn_ensemble")
    first = fleet.row(0, named=True)
    fleet_q, house_q = first["price_quantile"], str(house["price_quantile"][0])
    day = price_dispatch.fleet_day(
        rd.market_date,
        tz,
        _household(http),
        fleet["home_id"].n_unique(),
        int(first["fleet_seed"]),
        float(first[f"degradation_cost_{cur}_per_kwh"]),
        first["feeder_import_limit_kw"],
        first["feeder_export_limit_kw"],
    )
    try:
        price_dispatch.check_fleet(day, fleet)
        day = price_dispatch.with_planned_pv(day, fleet)  # the plan's PV (pv_source)
        fleet_plans: dict = {
            f"ensemble_{fleet_q}": (
                _hourly(forecast, f"price_{fleet_q}_{unit}", what),
                price_dispatch.schedule_arrays(fleet, day),
            )
        }
        house_plans: dict = {
            f"ensemble_{house_q}": (
                _hourly(forecast, f"price_{house_q}_{unit}", what),
                house.filter(pl.col("plan") == "optimized"),
            )
        }
        if published is not None:
            fleet_plans["published_dnn_ensemble"] = (published, None)
            house_plans["published_dnn_ensemble"] = (published, None)
        rows = [
            {"schedule": FLEET.path[1], **r}
            for r in price_dispatch.value_rows(day, actual_prices, fleet_plans)
        ] + [
            {"schedule": HOUSEHOLD.path[1], **r}
            for r in price_dispatch.household_value_rows(
                rd.market_date,
                tz,
                actual_prices,
                house_plans,
                baseline=house.filter(pl.col("plan") == "baseline"),
            )
        ]
    except (FleetInfeasible, ValueError) as error:
        raise dg.Failure(f"{what}: {error}", allow_retries=False) from error
    planned_on = {
        **_PLANNED_ON,
        **{
            f"ensemble_{q}": f"{DAY_AHEAD.to_user_string()} {q.upper()}" for q in (fleet_q, house_q)
        },
    }
    frame = pl.DataFrame(
        price_dispatch.currency_columns(rows, cur),
        schema_overrides={
            "share_of_perfect_foresight": pl.Float64,
            "battery_throughput_kwh": pl.Float64,
            f"planned_cost_{cur}": pl.Float64,
            f"price_mae_{cur}_per_mwh": pl.Float64,
        },
    ).select(
        pl.lit(rd.region).alias("region"),
        pl.lit(rd.market_date, dtype=pl.Date).alias("market_date"),
        pl.lit(the_market.currency).alias("currency"),
        "schedule",
        "plan",
        pl.col("plan").replace_strict(planned_on, return_dtype=pl.String).alias("planned_on"),
        pl.exclude("schedule", "plan"),
    )
    short = {FLEET.path[1]: "fleet", HOUSEHOLD.path[1]: "household"}
    metadata: dict = {}
    for r in frame.iter_rows(named=True):
        if r["plan"] == price_dispatch.BASELINE:
            continue
        name = f"{short[r['schedule']]}_{r['plan']}"
        metadata[f"{name}_value_{cur}"] = r[f"value_{cur}"]
        if r["plan"] != price_dispatch.PERFECT_FORESIGHT:
            metadata[f"{name}_share_of_perfect_foresight"] = r["share_of_perfect_foresight"]
    yield from validated_output(
        context,
        frame,
        schemas.PriceDispatchValue,
        ui_metadata.rounded(metadata) | {"values": table_value(frame)},
    )
