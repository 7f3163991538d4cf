"""How the load models' settings were chosen, rerun from a command: the feature sets and the
ensemble's validation window, on the graph's own tables of a load backfill of earlier years.

    uv run energy-assets benchmark regions --start 2016-07-01 --end 2017-06-30 --skip-carbon \
        --load-work DIR                                                  # the warehouse
    uv run energy-assets benchmark load-settings --work DIR [--start 2016-07-01] [--end 2017-06-30]
        [--region CAISO ...] [--every 3] [--models lightgbm,mlx] [--skip-features] [--skip-ensemble]
        [--refit-every 1,7,14,28] [--fit-cost] [--training-days 56,112,182,365]
        [--lightgbm-variants]

Five comparisons (the third only with `--refit-every`, the fourth only with `--fit-cost`, the
fifth only with `--training-days` or `--lightgbm-variants`), per region and summed over the
regions (P50 MAPE, %). The first four train LightGBM on D-56..D-2, the graph's window when they
were made; the fifth compares that window and how the LightGBM is trained on it:

1. **Feature sets** (`FEATURE_SETS`): for every `--every`-th day D of the window, each model is
   trained on D-56..D-2 of `features/load_features` against `harmonized/grid_hourly` (as the
   graph trains it, P50 only and without the band's calibration) with each set of columns, and
   forecasts D. Scored on D's hours with a demand (coverage 0.9) and an operator forecast; the
   operator's own forecast is scored on the same hours (`operator`). `with_weather` (adopted)
   adds the day-ahead weather columns (`features/weather.py`) to `both`; a warehouse built
   before they were stored lacks them, and the set is named and skipped.
2. **The ensemble's validation window** (`ENSEMBLE_WINDOWS`): on the graph's stored member
   forecasts (`forecasts/load_day_ahead_lightgbm`, `_mlx`), the ensemble of each day re-learnt
   with `models.load_ensemble` on the last N days before D-1, and with equal weights; each
   window also with the operator's own day-ahead forecast weighted into the P50 on the same
   days (`<N>_days_with_operator`, `load_ensemble.learn_operator_weight`: the forecast of
   each hour in `features/load_features`, as known at the issue), and the operator's forecast
   alone (`operator`, the equal weights' where it has none); scored on every day of the window
   with an hour of demand (coverage 0.9).
3. **The refit cadence** (`--refit-every`, `compare_refit`): for every `--every`-th day D, each
   model with the adopted features (those the warehouse has: the weather's are named and left
   out where it was built before they were stored) as trained for D's fit day F (F-56..F-2,
   the latest F <= D on the graph's grid of fit days, `defs.models.fit_day`) forecasts D; per
   interval K, each model's P50 and the two models' mean (the ensemble's weights are near
   equal: see the window comparison), scored on the same hours for every K.

4. **The fit's cost** (`--fit-cost`, `compare_fit_cost`, `FIT_COST_SETTINGS`): for every
   `--every`-th day D, each model trained on D-56..D-2 with the adopted features (those the
   warehouse has) and each setting that sets the cost of a fit (LightGBM's histogram bins,
   `max_bin`, and its rounds at a learning rate; MLX's epochs), P50 only, forecasts D; beside
   each setting's P50 MAPE, the CPU seconds of its mean fit. Per model, the cheapest setting
   whose summed MAPE is within `FIT_COST_TOLERANCE` (0.3 %) of that model's lowest is
   `cost_best` (the load half of `benchmark regions` trains both models every day of every
   region: their fits are most of its time). The feature and refit comparisons train
   LightGBM with the adopted setting (`quantile_lgbm.LOAD_PARAMS`, `LOAD_NUM_BOOST_ROUND`), as
   the graph does.

5. **LightGBM's training window** (`--training-days`, `compare_training_days`; and
   `--lightgbm-variants`, `compare_lightgbm_variants`, `LIGHTGBM_VARIANTS`): for every
   `--every`-th day D, LightGBM trained on the days stored of F-N..F-2 (P50 only, the adopted
   features the warehouse has) for its fit day F (D itself every day, or the latest fit day
   of a weekly grid, as the graph refits), for each N with `LOAD_PARAMS` every day
   (`--training-days`), and for each variant of window, cadence, leaves and bagging
   (`--lightgbm-variants`); MLX on D-56..D-2, and the two models' mean with each
   (`window_best` picks the mean's best): what `quantile_lgbm.LOAD_TRAINING_DAYS`,
   `LOAD_PARAMS` and `LOAD_LIGHTGBM_REFIT_EVERY_DAYS` record. The warehouse needs the longest
   window's days before the first scored day (`benchmark regions --history-days`).

Each region's table lines are preceded by how many of the window's days each table read has
(`benchmarks/settings_common.py`), naming the missing ones (not scored).

The last line: `load_settings features_best=<set> ensemble_best=<window>
refit_best=<mean_every_K> cost_best=<setting>[,<setting>] window_best=<mean_N_days>
regions=<n> window=<start>..<end>`
(`-` for a comparison not run). These are the comparisons `features/load.py`,
`models/load_ensemble.py`, the load half of `benchmark regions` (its refit),
`quantile_lgbm.LOAD_PARAMS` and `load_mlx.DEFAULT_CONFIG` (the fit's cost) record
(2016-07..2017-06, before the window it scores).
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from energy_assets.benchmarks.regions import DEFAULT_REGIONS
from energy_assets.benchmarks.settings_common import coverage_line, open_warehouse, region_rows
from energy_assets.features.load import (
    FEATURE_COLUMNS,
    OPERATOR_ERROR_COLUMNS,
    RELATIVE_LAGS,
    WITHOUT_WEATHER_COLUMNS,
)
from energy_assets.models import load_ensemble
from energy_assets.models.quantile_lgbm import (
    LOAD_NUM_BOOST_ROUND,
    LOAD_PARAMS,
    predict_quantiles,
    train_quantile_forecaster,
)
from energy_assets.models.training_rows import training_rows
from energy_assets.partitions import RegionDay

__all__ = [
    "ENSEMBLE_WINDOWS",
    "FEATURE_SETS",
    "FIT_COST_SETTINGS",
    "REFIT_EVERY",
    "cheapest_within",
    "compare_features",
    "compare_fit_cost",
    "compare_refit",
    "LIGHTGBM_VARIANTS",
    "LightgbmVariant",
    "compare_lightgbm_variants",
    "compare_training_days",
    "compare_windows",
    "run",
]

TRAINING_DAYS = 56
_BEFORE = [
    c
    for c in WITHOUT_WEATHER_COLUMNS
    if c not in {*OPERATOR_ERROR_COLUMNS, *RELATIVE_LAGS.values()}
]
FEATURE_SETS: dict[str, list[str]] = {
    "before": _BEFORE,
    "operator_error": [*_BEFORE, *OPERATOR_ERROR_COLUMNS],
    "relative_lags": [*_BEFORE, *RELATIVE_LAGS.values()],
    "both": list(WITHOUT_WEATHER_COLUMNS),
    # both, and the day-ahead weather forecast (`features/weather.py`)
    "with_weather (adopted)": list(FEATURE_COLUMNS),
}
ENSEMBLE_WINDOWS: tuple[int, ...] = (14, 21, 28, 42, 56)
REFIT_EVERY: tuple[int, ...] = (1, 7, 14, 28)
# the load LightGBM's training windows `--training-days` compares (`quantile_lgbm.LOAD_TRAINING_DAYS`)
TRAINING_WINDOWS: tuple[int, ...] = (56, 112, 182, 365)
# (model, overrides): LightGBM parameters over `quantile_lgbm.DEFAULT_PARAMS` (255 bins is
# LightGBM's default) and its `num_boost_round`, MLX config fields over `load_mlx.DEFAULT_CONFIG`
FIT_COST_SETTINGS: dict[str, tuple[str, dict[str, Any]]] = {
    "lightgbm_max_bin_255": ("lightgbm", {"max_bin": 255, "num_boost_round": 200}),
    "lightgbm_max_bin_127": ("lightgbm", {"max_bin": 127, "num_boost_round": 200}),
    "lightgbm_max_bin_63": ("lightgbm", {"max_bin": 63, "num_boost_round": 200}),
    # half the rounds at twice the learning rate (0.05 is `DEFAULT_PARAMS`')
    "lightgbm_max_bin_63_100_rounds": (
        "lightgbm",
        {"max_bin": 63, "learning_rate": 0.1, "num_boost_round": 100},
    ),
    # and 15 leaves with bagging, as the graph trains it since `--lightgbm-variants` (there
    # chosen on two years' windows: what it costs and gives on D-56..D-2)
    "lightgbm_max_bin_63_100_rounds_15_leaves_bagging": (
        "lightgbm",
        {
            "max_bin": 63,
            "learning_rate": 0.1,
            "num_leaves": 15,
            "bagging_fraction": 0.5,
            "bagging_freq": 1,
            "num_boost_round": 100,
        },
    ),
    "mlx_epochs_30": ("mlx", {"epochs": 30}),
    "mlx_epochs_20": ("mlx", {"epochs": 20}),
}
# the share of a model's lowest summed P50 MAPE that a cheaper setting may give away: 0.3 %,
# about 0.05 points of the eight regions' sum of 17.4 (relative, so that it does not loosen
# when fewer regions are compared)
FIT_COST_TOLERANCE = 0.003
EQUAL = "equal_weights"
OPERATOR = "operator"
WITH_OPERATOR = "_with_operator"


def _mape(forecast: np.ndarray, actual: np.ndarray) -> float:
    return float(100 * np.mean(np.abs(forecast - actual) / actual))


def _scored_days(x_all: pl.DataFrame, y_all: pl.Series, days: list[dt.date]):
    """For each of `days` with an operator forecast and at least 28 training days: its training
    rows D-56..D-2 (features, demand), its scored feature rows and their demand."""
    for day in days:
        test = (x_all["market_date"] == day) & x_all["operator_forecast_mw"].is_not_null()
        train = x_all["market_date"].is_between(
            day - dt.timedelta(days=TRAINING_DAYS), day - dt.timedelta(days=2)
        )
        if not test.any() or x_all.filter(train)["market_date"].n_unique() < TRAINING_DAYS // 2:
            continue
        yield (
            x_all.filter(train),
            y_all.filter(train),
            x_all.filter(test),
            y_all.filter(test).to_numpy(),
        )


def compare_features(
    features: pl.DataFrame,
    grid: pl.DataFrame,
    days: list[dt.date],
    models: tuple[str, ...] = ("lightgbm", "mlx"),
    feature_sets: dict[str, list[str]] = FEATURE_SETS,
) -> dict[str, float]:
    """P50 MAPE (%) of each `<model>_<set>` and of the operator over `days` (one region)."""
    x_all, y_all = training_rows(features, grid)
    forecasts: dict[str, list[np.ndarray]] = {
        f"{m}_{s}": [] for m in models for s in feature_sets
    } | {OPERATOR: []}
    truth = []
    for x, y, rows, actual in _scored_days(x_all, y_all, days):
        truth.append(actual)
        forecasts[OPERATOR].append(rows["operator_forecast_mw"].to_numpy())
        for name, columns in feature_sets.items():
            if "lightgbm" in models:
                model = train_quantile_forecaster(
                    x,
                    y,
                    columns,
                    LOAD_PARAMS,
                    LOAD_NUM_BOOST_ROUND,
                    quantiles=(0.5,),
                    calibration_days=0,
                )
                forecasts[f"lightgbm_{name}"].append(
                    predict_quantiles(model, rows)["p50"].to_numpy()
                )
            if "mlx" in models:
                from energy_assets.models.load_mlx import predict_load_mlx, train_load_mlx

                model = train_load_mlx(x, y, columns)
                forecasts[f"mlx_{name}"].append(predict_load_mlx(model, rows)["p50"].to_numpy())
    if not truth:
        raise ValueError("no day of the window has features, demand and 28 training days")
    actual = np.concatenate(truth)
    return {k: _mape(np.concatenate(v), actual) for k, v in forecasts.items()}


def compare_refit(
    features: pl.DataFrame,
    grid: pl.DataFrame,
    days: list[dt.date],
    refit_every: tuple[int, ...] = REFIT_EVERY,
    models: tuple[str, ...] = ("lightgbm", "mlx"),
    columns: list[str] = FEATURE_COLUMNS,
) -> dict[str, float]:
    """P50 MAPE (%) of each model refit every K days (`<model>_every_<K>`), and of the two
    models' mean where both run (`mean_every_<K>`), over `days` (one region), with `columns`
    (the adopted features), P50 only. The model of day D is the one trained on F-56..F-2 for its latest fit
    day F <= D, as the graph refits with `ENERGY_ASSETS_REFIT_EVERY_DAYS` (`defs.models.fit_day`);
    each fit day is trained once. Every K is scored on the same hours: a day is skipped when
    one of its fit days has fewer than 28 training days."""
    from energy_assets.defs.models import fit_day
    from energy_assets.models.load_mlx import predict_load_mlx, train_load_mlx

    x_all, y_all = training_rows(features, grid)
    fitted: dict[tuple[str, dt.date], object] = {}

    def window(fit: dt.date) -> pl.Series:
        """The training rows of fit day F: F-56..F-2."""
        return x_all["market_date"].is_between(
            fit - dt.timedelta(days=TRAINING_DAYS), fit - dt.timedelta(days=2)
        )

    def train(model: str, fit: dt.date):
        if (model, fit) not in fitted:
            x, y = x_all.filter(window(fit)), y_all.filter(window(fit))
            fitted[model, fit] = (
                train_quantile_forecaster(
                    x,
                    y,
                    columns,
                    LOAD_PARAMS,
                    LOAD_NUM_BOOST_ROUND,
                    quantiles=(0.5,),
                    calibration_days=0,
                )
                if model == "lightgbm"
                else train_load_mlx(x, y, columns)
            )
        return fitted[model, fit]

    def predict(model: str, fit: dt.date, rows: pl.DataFrame) -> np.ndarray:
        trained = train(model, fit)
        if model == "lightgbm":
            return predict_quantiles(trained, rows)["p50"].to_numpy()
        return predict_load_mlx(trained, rows)["p50"].to_numpy()

    def enough(fit: dt.date) -> bool:
        return x_all.filter(window(fit))["market_date"].n_unique() >= TRAINING_DAYS // 2

    both = "lightgbm" in models and "mlx" in models
    names = [f"{m}_every_{k}" for k in refit_every for m in models]
    names += [f"mean_every_{k}" for k in refit_every] if both else []
    forecasts: dict[str, list[np.ndarray]] = {name: [] for name in names}
    truth = []
    for day in days:
        test = (x_all["market_date"] == day) & x_all["operator_forecast_mw"].is_not_null()
        fits = {k: fit_day(RegionDay("-", day), k).market_date for k in refit_every}
        if not test.any() or not all(enough(f) for f in set(fits.values())):
            continue
        rows = x_all.filter(test)
        truth.append(y_all.filter(test).to_numpy())
        for k, fit in fits.items():
            p50 = {m: predict(m, fit, rows) for m in models}
            for m, values in p50.items():
                forecasts[f"{m}_every_{k}"].append(values)
            if both:
                forecasts[f"mean_every_{k}"].append((p50["lightgbm"] + p50["mlx"]) / 2)
    if not truth:
        raise ValueError("no day of the window has features, demand and 28 training days")
    actual = np.concatenate(truth)
    return {k: _mape(np.concatenate(v), actual) for k, v in forecasts.items()}


@dataclass(frozen=True)
class LightgbmVariant:
    """How the load LightGBM is trained in `compare_lightgbm_variants`: on the days stored of
    F-`days`..F-2 for its fit day F (D itself, or with `refit_every` > 1 the latest fit day
    F <= D on the graph's grid, `defs.models.fit_day`, each fit day trained once), with
    `params` over `quantile_lgbm.DEFAULT_PARAMS` and `num_boost_round` rounds."""

    days: int
    params: dict[str, Any]
    refit_every: int = 1
    num_boost_round: int = LOAD_NUM_BOOST_ROUND


# `LOAD_PARAMS` before the variants' comparison chose 15 leaves and bagging (7 leaves, every row)
_SEVEN_LEAVES: dict[str, Any] = {"max_bin": 63, "learning_rate": 0.1}
_BAGGING: dict[str, Any] = {"bagging_fraction": 0.5, "bagging_freq": 1}
# What `--lightgbm-variants` compares: the window, the cadence, the trees' size and bagging of
# the load LightGBM (`quantile_lgbm.LOAD_PARAMS`, `LOAD_TRAINING_DAYS`,
# `LOAD_LIGHTGBM_REFIT_EVERY_DAYS` record the choice)
LIGHTGBM_VARIANTS: dict[str, LightgbmVariant] = {
    "365_days_daily": LightgbmVariant(365, _SEVEN_LEAVES),
    "730_days_daily": LightgbmVariant(730, _SEVEN_LEAVES),
    "730_days_weekly": LightgbmVariant(730, _SEVEN_LEAVES, 7),
    "730_days_bagging_weekly": LightgbmVariant(730, {**_SEVEN_LEAVES, **_BAGGING}, 7),
    "730_days_15_leaves_weekly": LightgbmVariant(730, {**_SEVEN_LEAVES, "num_leaves": 15}, 7),
    "730_days_15_leaves_bagging_daily": LightgbmVariant(
        730, {**_SEVEN_LEAVES, "num_leaves": 15, **_BAGGING}
    ),
    "730_days_15_leaves_bagging_weekly": LightgbmVariant(
        730, {**_SEVEN_LEAVES, "num_leaves": 15, **_BAGGING}, 7
    ),
}


def compare_training_days(
    features: pl.DataFrame,
    grid: pl.DataFrame,
    days: list[dt.date],
    windows: tuple[int, ...] = TRAINING_WINDOWS,
    columns: list[str] = FEATURE_COLUMNS,
) -> dict[str, float]:
    """`compare_lightgbm_variants` of LightGBM as the graph trains it (`LOAD_PARAMS`), every
    day, on each window of `windows` (`<N>_days`)."""
    variants = {f"{n}_days": LightgbmVariant(n, LOAD_PARAMS) for n in windows}
    return compare_lightgbm_variants(features, grid, days, variants, columns)


def compare_lightgbm_variants(
    features: pl.DataFrame,
    grid: pl.DataFrame,
    days: list[dt.date],
    variants: dict[str, LightgbmVariant] = LIGHTGBM_VARIANTS,
    columns: list[str] = FEATURE_COLUMNS,
) -> dict[str, float]:
    """P50 MAPE (%) of LightGBM trained as each of `variants` says (`lightgbm_<name>`), of MLX
    on D-56..D-2 (`mlx_56_days`, its window in the graph), and of the two models' mean with each
    variant (`mean_<name>`: the ensemble's weights are near equal), over `days` (one region),
    with `columns`, P50 only. A day is scored when D-56..D-2 holds at least 28 days (every
    variant is scored on the same hours)."""
    from energy_assets.defs.models import fit_day
    from energy_assets.models.load_mlx import predict_load_mlx, train_load_mlx

    x_all, y_all = training_rows(features, grid)
    fitted: dict[tuple[str, dt.date], Any] = {}

    def model(name: str, day: dt.date):
        variant = variants[name]
        fit = fit_day(RegionDay("-", day), variant.refit_every).market_date
        if (name, fit) not in fitted:
            train = x_all["market_date"].is_between(
                fit - dt.timedelta(days=variant.days), fit - dt.timedelta(days=2)
            )
            fitted[name, fit] = train_quantile_forecaster(
                x_all.filter(train),
                y_all.filter(train),
                columns,
                variant.params,
                variant.num_boost_round,
                quantiles=(0.5,),
                calibration_days=0,
            )
        return fitted[name, fit]

    names = [f"lightgbm_{n}" for n in variants] + ["mlx_56_days"]
    names += [f"mean_{n}" for n in variants]
    forecasts: dict[str, list[np.ndarray]] = {name: [] for name in names}
    truth = []
    for x, y, rows, actual in _scored_days(x_all, y_all, days):
        truth.append(actual)
        mlx = predict_load_mlx(train_load_mlx(x, y, columns), rows)["p50"].to_numpy()
        forecasts["mlx_56_days"].append(mlx)
        day = rows["market_date"][0]
        for name in variants:
            p50 = predict_quantiles(model(name, day), rows)["p50"].to_numpy()
            forecasts[f"lightgbm_{name}"].append(p50)
            forecasts[f"mean_{name}"].append((p50 + mlx) / 2)
    if not truth:
        raise ValueError("no day of the window has features, demand and 28 training days")
    actual = np.concatenate(truth)
    return {k: _mape(np.concatenate(v), actual) for k, v in forecasts.items()}


def compare_fit_cost(
    features: pl.DataFrame,
    grid: pl.DataFrame,
    days: list[dt.date],
    settings: dict[str, tuple[str, dict[str, Any]]] = FIT_COST_SETTINGS,
    columns: list[str] = FEATURE_COLUMNS,
) -> tuple[dict[str, float], dict[str, float]]:
    """P50 MAPE (%) of each setting of `settings` over `days` (one region), and the CPU seconds
    of its mean fit (`time.process_time`, this process: LightGBM's threads included). Each
    model is trained on D-56..D-2 with `columns`, P50 only, as `compare_features` trains."""
    from energy_assets.models.load_mlx import DEFAULT_CONFIG, predict_load_mlx, train_load_mlx

    x_all, y_all = training_rows(features, grid)
    forecasts: dict[str, list[np.ndarray]] = {name: [] for name in settings}
    cpu: dict[str, float] = dict.fromkeys(settings, 0.0)
    truth = []
    for x, y, rows, actual in _scored_days(x_all, y_all, days):
        truth.append(actual)
        for name, (model, overrides) in settings.items():
            began = time.process_time()
            if model == "lightgbm":
                params = {k: v for k, v in overrides.items() if k != "num_boost_round"}
                fitted = train_quantile_forecaster(
                    x,
                    y,
                    columns,
                    params=params,
                    num_boost_round=overrides["num_boost_round"],
                    quantiles=(0.5,),
                    calibration_days=0,
                )
                cpu[name] += time.process_time() - began
                forecasts[name].append(predict_quantiles(fitted, rows)["p50"].to_numpy())
            else:
                fitted = train_load_mlx(x, y, columns, replace(DEFAULT_CONFIG, **overrides))
                cpu[name] += time.process_time() - began
                forecasts[name].append(predict_load_mlx(fitted, rows)["p50"].to_numpy())
    if not truth:
        raise ValueError("no day of the window has features, demand and 28 training days")
    actual = np.concatenate(truth)
    mape = {k: _mape(np.concatenate(v), actual) for k, v in forecasts.items()}
    return mape, {k: v / len(truth) for k, v in cpu.items()}


def cheapest_within(
    totals: dict[str, float], cpu: dict[str, float], tolerance: float = FIT_COST_TOLERANCE
) -> str:
    """Per model (the name's part before `_`), the cheapest setting whose summed MAPE is at
    most `1 + tolerance` times that model's lowest; comma-joined, in the order of `totals`."""
    chosen = []
    for model in dict.fromkeys(name.split("_")[0] for name in totals):
        own = {k: v for k, v in totals.items() if k.split("_")[0] == model}
        near = [k for k, v in own.items() if v <= min(own.values()) * (1 + tolerance)]
        chosen.append(min(near, key=lambda k: cpu[k]))
    return ",".join(chosen)


def compare_windows(
    lightgbm: pl.DataFrame,
    mlx: pl.DataFrame,
    grid: pl.DataFrame,
    days: list[dt.date],
    windows: tuple[int, ...] = ENSEMBLE_WINDOWS,
    operator: pl.DataFrame | None = None,
) -> dict[str, float]:
    """P50 MAPE (%) of the ensemble re-learnt on each validation window, and of equal weights,
    over `days` (one region): the graph's members' stored forecasts, `models.load_ensemble`.
    With `operator` (the day-ahead feature rows: `interval_start_utc`, `operator_forecast_mw`),
    each window also with the operator's forecast weighted in (`<n>_days_with_operator`), and
    the operator's forecast alone on the same hours (where it has none, the ensemble's)."""
    frame = load_ensemble.validation_frame(lightgbm, mlx, grid, operator)
    by_day = {key[0]: rows for key, rows in frame.group_by("market_date")}
    equal = load_ensemble.learn_weights(frame.clear())  # fewer than 3 days: equal weights
    names = [f"{n}_days" for n in windows] + [EQUAL]
    if operator is not None:
        names += [f"{n}_days{WITH_OPERATOR}" for n in windows] + [OPERATOR]
    forecasts: dict[str, list[np.ndarray]] = {name: [] for name in names}
    truth = []
    for day in days:
        rows = by_day.get(day)
        if rows is None or not (rows["demand_mw"] > 0).all():
            continue
        truth.append(rows["demand_mw"].to_numpy())
        op = (
            rows[load_ensemble.OPERATOR_COLUMN].fill_null(np.nan).to_numpy()
            if operator is not None
            else None
        )
        forecasts[EQUAL].append(_blend(equal, rows))
        for n in windows:
            window = frame.filter(
                pl.col("market_date").is_between(
                    day - dt.timedelta(days=n + 1), day - dt.timedelta(days=2)
                )
            )
            weights = load_ensemble.learn_weights(window)
            blend = _blend(weights, rows)
            forecasts[f"{n}_days"].append(blend)
            if op is not None:
                v = load_ensemble.learn_operator_weight(
                    window["demand_mw"].to_numpy(),
                    _blend(weights, window),
                    window[load_ensemble.OPERATOR_COLUMN].fill_null(np.nan).to_numpy(),
                )
                forecasts[f"{n}_days{WITH_OPERATOR}"].append(
                    np.where(np.isnan(op), blend, (1 - v) * blend + v * op)
                )
        if op is not None:
            forecasts[OPERATOR].append(np.where(np.isnan(op), forecasts[EQUAL][-1], op))
    if not truth:
        raise ValueError("no day of the window has both members' forecasts and its demand")
    actual = np.concatenate(truth)
    return {k: _mape(np.concatenate(v), actual) for k, v in forecasts.items()}


def _blend(weights: pl.DataFrame, rows: pl.DataFrame) -> np.ndarray:
    """The members' P50 in `rows` weighted by `weights`' P50 weight."""
    w = weights.filter(pl.col("quantile") == 0.5)["weight_lightgbm"][0]
    return (w * rows["lightgbm_p50"] + (1 - w) * rows["mlx_p50"]).to_numpy()


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--work",
        type=Path,
        required=True,
        help="the --load-work folder of `benchmark regions --skip-carbon` (its warehouse)",
    )
    parser.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2016, 7, 1))
    parser.add_argument("--end", type=dt.date.fromisoformat, default=dt.date(2017, 6, 30))
    parser.add_argument(
        "--region", action="append", default=None, help="repeatable (default: the 8 US regions)"
    )
    parser.add_argument(
        "--every", type=int, default=3, help="score every N-th day in the feature comparison"
    )
    parser.add_argument("--models", default="lightgbm,mlx")
    parser.add_argument("--skip-features", action="store_true")
    parser.add_argument("--skip-ensemble", action="store_true")
    parser.add_argument(
        "--fit-cost",
        action="store_true",
        help="compare the settings that set a fit's cost (FIT_COST_SETTINGS), every --every-th day",
    )
    parser.add_argument(
        "--training-days",
        default=None,
        help="comma-separated LightGBM training windows in days to compare, every --every-th"
        f" day (e.g. {','.join(map(str, TRAINING_WINDOWS))}; default: not compared)",
    )
    parser.add_argument(
        "--lightgbm-variants",
        action="store_true",
        help="compare the load LightGBM's windows, cadences and trees (LIGHTGBM_VARIANTS),"
        " every --every-th day",
    )
    parser.add_argument(
        "--refit-every",
        default=None,
        help="comma-separated refit intervals in days to compare, every --every-th day"
        f" (e.g. {','.join(map(str, REFIT_EVERY))}; default: not compared)",
    )


def run(args: argparse.Namespace) -> int:
    command = "load-settings"
    warehouse = open_warehouse(
        args.work, command, "benchmark regions --skip-carbon --load-work DIR"
    )
    regions = args.region or list(DEFAULT_REGIONS)
    models = tuple(m for m in args.models.split(",") if m)
    every_day = [args.start + dt.timedelta(days=k) for k in range((args.end - args.start).days + 1)]
    print(f"load settings {args.start}..{args.end}, {', '.join(regions)}; P50 MAPE %", flush=True)
    began = time.perf_counter()
    totals: dict[str, dict[str, float]] = {
        "features": {},
        "ensemble": {},
        "refit": {},
        "cost": {},
        "window": {},
    }
    cost_cpu: dict[str, list[float]] = {}
    refit_every = tuple(int(k) for k in args.refit_every.split(",")) if args.refit_every else ()
    windows = tuple(int(n) for n in args.training_days.split(",")) if args.training_days else ()
    for region in regions:
        grid = region_rows(warehouse, "harmonized/grid_hourly", region, command)
        parts = []
        features = pl.DataFrame()
        trains = refit_every or args.fit_cost or windows or args.lightgbm_variants
        if not args.skip_features or trains:
            features = region_rows(warehouse, "features/load_features", region, command)
            print(coverage_line(region, "features/load_features", features, every_day))
        if not args.skip_features:
            sets = {k: v for k, v in FEATURE_SETS.items() if set(v) <= set(features.columns)}
            if len(sets) < len(FEATURE_SETS):
                print(
                    f"{region:<6} features/load_features has no column of"
                    f" {', '.join(k for k in FEATURE_SETS if k not in sets)} (built before"
                    " they were added): not compared"
                )
            scores = compare_features(features, grid, every_day[:: args.every], models, sets)
            parts.append(("features", scores))
        columns = [c for c in FEATURE_COLUMNS if c in features.columns]
        if trains and len(columns) < len(FEATURE_COLUMNS):
            print(
                f"{region:<6} features/load_features has no column"
                f" {', '.join(c for c in FEATURE_COLUMNS if c not in columns)} (built before"
                " they were added): the refit and the fit's cost compared without them"
            )
        if refit_every:
            scores = compare_refit(
                features, grid, every_day[:: args.every], refit_every, models, columns
            )
            parts.append(("refit", scores))
        if windows or args.lightgbm_variants:
            variants = {f"{n}_days": LightgbmVariant(n, LOAD_PARAMS) for n in windows}
            variants |= LIGHTGBM_VARIANTS if args.lightgbm_variants else {}
            scores = compare_lightgbm_variants(
                features, grid, every_day[:: args.every], variants, columns
            )
            parts.append(("window", scores))
        if args.fit_cost:
            settings = {k: v for k, v in FIT_COST_SETTINGS.items() if v[0] in models}
            scores, cpu = compare_fit_cost(
                features, grid, every_day[:: args.every], settings, columns
            )
            for name, seconds in cpu.items():
                print(f"{region:<6} cost      {name:<30} {seconds:6.3f} s CPU per fit")
                cost_cpu.setdefault(name, []).append(seconds)
            parts.append(("cost", scores))
        if not args.skip_ensemble:
            members = [
                region_rows(warehouse, f"forecasts/load_day_ahead_{m}", region, command)
                for m in ("lightgbm", "mlx")
            ]
            for member, rows in zip(("lightgbm", "mlx"), members, strict=True):
                table = f"forecasts/load_day_ahead_{member}"
                print(coverage_line(region, table, rows, every_day))
            features = region_rows(warehouse, "features/load_features", region, command)
            operator = features.select("interval_start_utc", "operator_forecast_mw")
            scores = compare_windows(*members, grid, every_day, operator=operator)
            parts.append(("ensemble", scores))
        for part, scores in parts:
            for name, mape in scores.items():
                print(f"{region:<6} {part:<9} {name:<30} {mape:6.3f}", flush=True)
                totals[part][name] = totals[part].get(name, 0.0) + mape
    best = {}
    for part, scores in totals.items():
        for name, total in scores.items():
            print(f"{'sum':<6} {part:<9} {name:<30} {total:6.2f}")
        candidates = {k: v for k, v in scores.items() if k != OPERATOR}
        if part == "cost":
            cpu = {k: float(np.mean(v)) for k, v in cost_cpu.items()}
            for name, seconds in cpu.items():
                print(f"{'mean':<6} cost      {name:<30} {seconds:6.3f} s CPU per fit")
            best[part] = cheapest_within(candidates, cpu) if candidates else "-"
            continue
        if part in ("refit", "window") and any(k.startswith("mean_") for k in candidates):
            candidates = {k: v for k, v in candidates.items() if k.startswith("mean_")}
        best[part] = min(candidates, key=candidates.get).split(" ")[0] if candidates else "-"
    print(f"({time.perf_counter() - began:.0f} s)")
    print(
        f"load_settings features_best={best['features']} ensemble_best={best['ensemble']}"
        f" refit_best={best['refit']} cost_best={best['cost']} window_best={best['window']}"
        f" regions={len(regions)}"
        f" window={args.start}..{args.end}"
    )
    return 0
