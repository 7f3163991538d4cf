"""LightGBM quantile forecaster: one booster per quantile (P10/P50/P90), MW out.

Pure module: no Dagster, no I/O except `save_model_atomic` / `load_model`.

Two things happen inside `train_quantile_forecaster`, both stored in the model and applied
by `predict_quantiles`, so callers only ever see MW:

1. Target transform (`target_transform="ratio"`, the default). The boosters learn
   `load / baseline`, where a row's baseline is the first positive value among
   `baseline_columns` (default: just `operator_forecast_mw`), else the mean training load.
   Predictions are multiplied back by the same baseline. Which baseline a row used is an extra
   booster input (`_baseline_source`), so rows with and without an operator forecast are told
   apart; a region with no operator forecast at all is therefore simply a raw-MW model (scaled
   by a constant). Baseline columns never seen in training are not used at prediction.
   `target_transform="none"` learns MW directly. `baseline_rule="mean"` takes the mean of the
   positive values among `baseline_columns` instead of the first (the carbon models: the same
   hour of D-1 and the latest hour known, `models.carbon_lgbm`); the source input is then the
   set of columns that were averaged. `baseline_rule="each"` trains one set of boosters per
   baseline column (each a ratio model to that column alone, `"first"` rule, its own
   calibration) and forecasts the mean of their forecasts in target units: the carbon models,
   where the two single-baseline models averaged beat one model of their mean
   (`models.carbon_lgbm`).
   Measured (rolling origin, 60-day window, P50, features from `features.load`):
   CAISO 2019-20 (133 days): raw MW 2.40 % MAPE, ratio to the operator forecast 2.38 %
   (2.30 % with the default regularization below), CAISO's own day-ahead forecast 2.28 %,
   seasonal naive (lag 7 d) 6.6 %. Without an operator forecast, ratios to `lag_7d_mw` (5.8 %),
   `mean_7d_same_hour_mw` (5.6 %), `lag_2d_mw` (5.5 %) or `daily_mean_2d_mw` (5.4 %) were all
   worse than raw MW (5.2 %); on PJM East 2016-18 ratio to lag 7 d 11.2 % and to
   `daily_mean_2d_mw` 8.7 % vs raw 8.4 %. Hence the operator forecast is the only default baseline.
2. Interval calibration (`calibration_days=7`). Quantile boosters fit on 1-2k rows are
   over-confident out of sample (P10-P90 covered only 46 % of CAISO and 40 % of PJM hours).
   The last `calibration_days` market days are held out, a first set of boosters is trained on
   the rest, and the empirical quantile q of the held-out residuals (in transformed units) becomes
   an additive offset for quantile q; the final boosters are trained on all rows and the offsets
   added at prediction. Offsets only widen the interval (P10 down, P90 up) and P50 is not
   shifted (shifting it by last week's bias raised CAISO MAPE from 2.40 % to 2.78 %). This
   lifted P10-P90 coverage to 0.73 (CAISO) and 0.66 (PJM) with the default parameters: better,
   still below the nominal 0.8 (the calibration days are closer to the training data than the
   next day is). Calibration needs at least 3 x `calibration_days` training days, else it is
   skipped; `trained_on["calibration"]` records what was done. It adds a booster for each
   shifted quantile (P10 and P90: P50, never shifted, needs none).

Artifacts are a single JSON document (no pickle): metadata plus each booster's
`model_to_string()` text, written atomically (temp file in the same folder, fsync, `os.replace`)
and identified by the SHA-256 of the file's bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from energy_assets.atomic import write_atomic

if TYPE_CHECKING:
    import lightgbm as lgb

    from energy_assets.models.fuel_mix_lgbm import FuelMixForecaster

__all__ = [
    "DEFAULT_BASELINE_COLUMNS",
    "DEFAULT_PARAMS",
    "LOAD_NUM_BOOST_ROUND",
    "LOAD_PARAMS",
    "LOAD_TRAINING_DAYS",
    "QUANTILES",
    "QuantileForecaster",
    "load_model",
    "predict_quantiles",
    "quantile_column",
    "save_model_atomic",
    "train_quantile_forecaster",
]

QUANTILES: tuple[float, ...] = (0.1, 0.5, 0.9)
DEFAULT_BASELINE_COLUMNS: tuple[str, ...] = ("operator_forecast_mw",)
TARGET_TRANSFORMS = ("none", "ratio")
BASELINE_RULES = ("first", "mean", "each")
BASELINE_SOURCE_FEATURE = "_baseline_source"
DEFAULT_NUM_BOOST_ROUND = 200
DEFAULT_CALIBRATION_DAYS = 7

# Sized for ~30-60 days of hourly rows (~1-1.5k rows). Small trees with large leaves: on CAISO
# (rolling origin, 67 days) 7 leaves / 60 rows per leaf / 200 rounds beat 15 / 10 / 300 on every
# quantile's pinball loss (P50 MAPE 2.34 % vs 2.40 %, P10-P90 coverage 0.73 vs 0.67); on PJM
# East (no operator forecast) it was 0.25 points worse on P50 MAPE and better on P10.
# num_threads=1 and deterministic=True make training reproducible bit for bit on one machine.
DEFAULT_PARAMS: dict[str, Any] = {
    "objective": "quantile",
    "learning_rate": 0.05,
    "num_leaves": 7,
    "min_data_in_leaf": 60,
    "feature_fraction": 0.9,
    "bagging_fraction": 1.0,
    "lambda_l2": 1.0,
    "num_threads": 1,
    "deterministic": True,
    "force_col_wise": True,
    "verbosity": -1,
}

# The load models' overrides (`models/load_lightgbm`, `benchmark load-settings`): 63 histogram
# bins instead of LightGBM's 255. Chosen on 2016-07..2017-06 with `benchmark load-settings
# --fit-cost` (8 regions, every third day, P50 MAPE summed): 255 bins 17.36, 127 17.34, 63 17.31;
# a P50 fit 0.073 -> 0.056 s of CPU, a fit with the weather's ten continuous columns about
# 0.84 -> 0.47 s as the graph trains it (five boosters). On CAISO with the weather, after the
# regions window: 2019-07..12 1.946 -> 1.934 %, 2020 2.195 -> 2.158 %. Then, the same way and
# rule (the cheapest within 0.3 % of the lowest sum), half the rounds at twice the learning
# rate: 63 bins at 200 rounds of 0.05 17.31, at 100 rounds of 0.1 17.33, for 0.082 -> 0.047 s
# of CPU a P50 fit (`cost_best=lightgbm_max_bin_63_100_rounds`). Then 15 leaves instead of 7
# and bagging, with the window and cadence below.
LOAD_PARAMS: dict[str, Any] = {
    "max_bin": 63,
    "learning_rate": 0.1,
    "num_leaves": 15,
    "bagging_fraction": 0.5,
    "bagging_freq": 1,
}
LOAD_NUM_BOOST_ROUND = 100
# How many days the load LightGBM learns from (D-N..D-2, the days stored; in the graph
# `ENERGY_ASSETS_LOAD_TRAINING_DAYS`, in `benchmark regions` the same default), how often it is
# trained (`ENERGY_ASSETS_LOAD_LIGHTGBM_REFIT_EVERY_DAYS`: weekly, on the fit days of
# `defs.models.fit_day`; the MLX model keeps D-56..D-2 every day) and its trees (15 leaves, each
# tree on a random half of the rows: `LOAD_PARAMS` above). Chosen on 2016-07..2017-06, in two steps.
#
# 1. The window, trained daily with 7 leaves (`benchmark load-settings --skip-features
#    --skip-ensemble --training-days 56,112,182,365,730`, at 1ee6785, on the warehouse of that
#    year's load ingest from 2015-07, every third day, P50 MAPE summed over the eight regions):
#    LightGBM alone 56 / 112 / 182 / 365 / 730 days 17.34 / 17.01 / 16.86 / 16.18 / 16.03; its
#    mean with MLX on 56 days 16.54 / 16.38 / 16.32 / 15.94 / 15.85. A year was adopted first
#    (better than 56 days in seven regions of eight): two years trained every day put the load
#    half of `benchmark regions` on course for about 57 of its 60 minutes (0a582f0). Measured
#    after (at 798e946, BPA 2017-06-01): a fit of the five boosters on two years' rows takes
#    0.47 s of wall time on the 2-core machine, 0.25 on a year, nearly all of it the boosters'
#    rounds (0.15 s a 100-round booster on two years).
# 2. Two years, made affordable by a weekly fit, and the trees for two years of rows
#    (`benchmark load-settings --skip-features --skip-ensemble --lightgbm-variants`, the same
#    year and warehouse; the mean with MLX on 56 days, summed): a year daily (before) 15.94; two
#    years daily 15.85, weekly 15.85; weekly with bagging 15.81, with 15 leaves 15.86; 15 leaves
#    and bagging daily 15.78, **weekly 15.73 (adopted: the lowest)**; LightGBM alone 16.18 ->
#    16.08. Better than a year daily in seven regions of eight (BPA 2.137 -> 2.069, PJM 1.605
#    -> 1.578, NYISO 1.798 -> 1.754; MISO the exception, 1.414 -> 1.449), for a seventh of the
#    fits (each 2.3 times a year's 7-leaf fit: 0.59 s against 0.25, BPA and PJM 2017-06-01).
#
# While a fit day's window holds fewer than LOAD_LIGHTGBM_YOUNG_HISTORY_DAYS stored days (a young
# history: the first year of a region's backfill, or the main job's two months) the LightGBM is
# trained every `ENERGY_ASSETS_REFIT_EVERY_DAYS` instead (every day, as the MLX model): on a
# year's window a weekly fit was worse than a daily one (LightGBM alone 16.18 -> 16.32), and
# on 56 days more so (17.36 -> 17.78, `--refit-every`, 7 leaves), while on two years it was level.
LOAD_TRAINING_DAYS = 730
LOAD_LIGHTGBM_REFIT_EVERY_DAYS = 7
LOAD_LIGHTGBM_YOUNG_HISTORY_DAYS = 365

_FORMAT = "energy_assets.quantile_lgbm"
_FORMAT_VERSION = 1


def quantile_column(q: float) -> str:
    """Output column name of a quantile: 0.1 -> `p10`, 0.5 -> `p50`, 0.975 -> `p97_5`."""
    pct = round(q * 100, 6)
    return f"p{int(pct)}" if float(pct).is_integer() else "p" + f"{pct:g}".replace(".", "_")


@dataclass
class QuantileForecaster:
    """Trained boosters plus everything needed to use and audit them."""

    feature_columns: list[str]
    quantiles: tuple[float, ...]
    boosters: list[lgb.Booster]
    params: dict[str, Any]
    trained_on: dict[str, Any]
    feature_importance: dict[str, float]
    target_transform: str = "ratio"
    baseline_columns: tuple[str, ...] = DEFAULT_BASELINE_COLUMNS
    baseline_fallback: float = float("nan")
    baseline_rule: str = "first"
    num_boost_round: int = DEFAULT_NUM_BOOST_ROUND
    offsets: dict[float, float] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    # `baseline_rule="each"`: one forecaster per baseline column, averaged (no boosters here)
    members: list[QuantileForecaster] = field(default_factory=list)
    # a second forecaster of the P50 (the carbon models' fuel mix, `models.fuel_mix_lgbm`):
    # every quantile moves by `partner_weight` x (its P50 - ours) where it forecasts the hour
    partner: FuelMixForecaster | None = None
    partner_weight: float = 0.0

    @property
    def model_inputs(self) -> list[str]:
        """Column names as the boosters see them (features plus the internal baseline source)."""
        if self.target_transform == "ratio":
            return [*self.feature_columns, BASELINE_SOURCE_FEATURE]
        return list(self.feature_columns)


def _feature_matrix(features: pl.DataFrame, columns: Sequence[str]) -> np.ndarray:
    missing = [c for c in columns if c not in features.columns]
    if missing:
        raise ValueError(f"features lack columns {missing}")
    if not columns:
        raise ValueError("no feature columns")
    frame = features.select([pl.col(c).cast(pl.Float64) for c in columns])
    # Nulls become NaN: LightGBM treats them as missing values.
    return frame.to_numpy(allow_copy=True).astype(np.float64, copy=False)


def _baseline(
    features: pl.DataFrame, baseline_columns: Sequence[str], fallback: float, rule: str = "first"
) -> tuple[np.ndarray, np.ndarray]:
    """Per-row baseline (MW) and which source it came from. `rule="first"`: the first positive
    value among `baseline_columns`, the source its index (len = fallback). `rule="mean"`: the
    mean of the positive values, the source the bit mask of the columns averaged (0 =
    fallback)."""
    n = features.height
    if rule == "mean":
        total, count, source = np.zeros(n), np.zeros(n), np.zeros(n)
        for i, col in enumerate(baseline_columns):
            if col not in features.columns:
                continue
            values = features.get_column(col).cast(pl.Float64).to_numpy().astype(np.float64)
            take = np.isfinite(values) & (values > 0)
            total[take] += values[take]
            count[take] += 1
            source[take] += 2.0**i
        base = np.full(n, fallback)
        np.divide(total, count, out=base, where=count > 0)
        return base, source
    base = np.full(n, np.nan)
    source = np.full(n, float(len(baseline_columns)))
    for i, col in enumerate(baseline_columns):
        if col not in features.columns:
            continue
        values = features.get_column(col).cast(pl.Float64).to_numpy().astype(np.float64)
        take = np.isnan(base) & np.isfinite(values) & (values > 0)
        base[take] = values[take]
        source[take] = i
    base[np.isnan(base)] = fallback
    return base, source


def _as_float_array(target: pl.Series | np.ndarray | Sequence[float]) -> np.ndarray:
    if isinstance(target, pl.Series):
        return target.cast(pl.Float64).to_numpy().astype(np.float64)
    return np.asarray(target, dtype=np.float64)


def _day_span(features: pl.DataFrame) -> tuple[str | None, str | None]:
    if "market_date" not in features.columns or features.height == 0:
        return None, None
    col = features.get_column("market_date")
    return _as_text(col.min()), _as_text(col.max())


def _as_text(value: object) -> str:
    return value.isoformat() if isinstance(value, date | datetime) else str(value)


def train_quantile_forecaster(
    features: pl.DataFrame,
    target: pl.Series | np.ndarray,
    feature_columns: Sequence[str],
    params: dict[str, Any] | None = None,
    num_boost_round: int = DEFAULT_NUM_BOOST_ROUND,
    seed: int = 0,
    *,
    quantiles: Sequence[float] = QUANTILES,
    target_transform: str = "ratio",
    baseline_columns: Sequence[str] = DEFAULT_BASELINE_COLUMNS,
    baseline_rule: str = "first",
    calibration_days: int = DEFAULT_CALIBRATION_DAYS,
    calibrate_median: bool = False,
) -> QuantileForecaster:
    """Train one quantile booster per quantile on `features[feature_columns]` -> `target` (MW).

    Rows whose target is null/NaN are dropped. `params` override `DEFAULT_PARAMS`
    (`objective` and `alpha` are set per quantile). See the module docstring for
    `target_transform`.
    """
    if target_transform not in TARGET_TRANSFORMS:
        raise ValueError(f"target_transform must be one of {TARGET_TRANSFORMS}")
    if baseline_rule not in BASELINE_RULES:
        raise ValueError(f"baseline_rule must be one of {BASELINE_RULES}")
    qs = tuple(float(q) for q in quantiles)
    if not qs or any(not 0.0 < q < 1.0 for q in qs) or len(set(qs)) != len(qs):
        raise ValueError(f"quantiles must be distinct and in (0, 1), got {quantiles}")
    qs = tuple(sorted(qs))
    columns = list(feature_columns)
    merged = {**DEFAULT_PARAMS, **(params or {})}
    merged["objective"] = "quantile"
    merged["seed"] = seed
    y = _as_float_array(target)
    if y.shape[0] != features.height:
        raise ValueError(f"target has {y.shape[0]} values, features {features.height} rows")
    if baseline_rule == "each":
        if target_transform != "ratio":
            raise ValueError('baseline_rule="each" needs target_transform="ratio"')
        if not baseline_columns:
            raise ValueError('baseline_rule="each" needs at least one baseline column')
        # one ratio model per baseline column ("first" rule on that column alone)
        plans = [
            _plan(
                features, y, columns, "ratio", (c,), "first", qs, calibration_days, calibrate_median
            )
            for c in baseline_columns
        ]
    else:
        plans = [
            _plan(
                features,
                y,
                columns,
                target_transform,
                baseline_columns,
                baseline_rule,
                qs,
                calibration_days,
                calibrate_median,
            )
        ]
    # every booster of every plan (calibration and final, each member's) is independent: all
    # trained at once, on the cores there are (`_fit`)
    fitted = _fit(
        [s for plan in plans for s in plan.sets],
        plans[0].inputs,
        [q for plan in plans for q in plan.set_quantiles],
        merged,
        num_boost_round,
    )
    models, start = [], 0
    for plan in plans:
        boosters = fitted[start : start + len(plan.sets)]
        start += len(plan.sets)
        models.append(_finish(plan, boosters, columns, qs, merged, num_boost_round))
    if baseline_rule != "each":
        return models[0]
    first = models[0]
    trained_on = {
        **first.trained_on,
        "calibration": {
            column: m.trained_on["calibration"]
            for column, m in zip(baseline_columns, models, strict=True)
        },
    }
    return QuantileForecaster(
        feature_columns=columns,
        quantiles=qs,
        boosters=[],
        params=first.params,
        trained_on=trained_on,
        feature_importance={
            name: float(np.mean([m.feature_importance[name] for m in models]))
            for name in first.feature_importance
        },
        target_transform="ratio",
        baseline_columns=tuple(baseline_columns),
        baseline_fallback=first.baseline_fallback,
        baseline_rule="each",
        num_boost_round=num_boost_round,
        members=models,
    )


@dataclass
class _Plan:
    """One set of boosters to train: its rows (transformed), and the sets to fit."""

    x: np.ndarray
    y: np.ndarray
    kept: pl.DataFrame
    inputs: list[str]
    target_transform: str
    baseline_columns: tuple[str, ...]
    baseline_fallback: float
    baseline_rule: str
    calibration_days: int
    cal_mask: np.ndarray | None
    cal_qs: tuple[float, ...]
    sets: list[tuple[np.ndarray, np.ndarray]]
    set_quantiles: list[tuple[float, ...]]


def _plan(
    features: pl.DataFrame,
    y: np.ndarray,
    columns: list[str],
    target_transform: str,
    baseline_columns: Sequence[str],
    baseline_rule: str,
    qs: tuple[float, ...],
    calibration_days: int,
    calibrate_median: bool,
) -> _Plan:
    x = _feature_matrix(features, columns)
    keep = np.isfinite(y)
    baseline_cols: tuple[str, ...] = ()
    fallback = float("nan")
    if target_transform == "ratio":
        if not keep.any():
            raise ValueError("no rows with a finite target")
        # Only baselines the boosters will see in training may be used at prediction.
        labelled = features.filter(pl.Series(keep))
        baseline_cols = tuple(
            c
            for c in baseline_columns
            if c in labelled.columns
            and labelled.select((pl.col(c).cast(pl.Float64) > 0).fill_null(False).any()).item()
        )
        fallback = float(np.mean(y[keep]))
        if not fallback > 0:
            raise ValueError("ratio target transform needs a positive mean target")
        base, source = _baseline(features, baseline_cols, fallback, baseline_rule)
        x = np.column_stack([x, source])
        y = y / base
        keep &= np.isfinite(y)
    if not keep.any():
        raise ValueError("no rows with a finite target")
    x, y = x[keep], y[keep]
    inputs = [*columns, BASELINE_SOURCE_FEATURE] if target_transform == "ratio" else columns
    kept = features.filter(pl.Series(keep))
    cal_mask = _calibration_mask(kept, calibration_days)
    # Only the quantiles that get an offset need a calibration booster (P50 is not shifted
    # unless `calibrate_median`).
    cal_qs = tuple(q for q in qs if q != 0.5 or calibrate_median)
    if cal_mask is None or not cal_qs:
        cal_mask, sets, set_quantiles = None, [(x, y)], [qs]
    else:
        sets, set_quantiles = [(x[~cal_mask], y[~cal_mask]), (x, y)], [cal_qs, qs]
    return _Plan(
        x,
        y,
        kept,
        inputs,
        target_transform,
        baseline_cols,
        fallback,
        baseline_rule,
        calibration_days,
        cal_mask,
        cal_qs,
        sets,
        set_quantiles,
    )


def _finish(
    plan: _Plan,
    boosters_per_set: list[list[lgb.Booster]],
    columns: list[str],
    qs: tuple[float, ...],
    merged: dict[str, Any],
    num_boost_round: int,
) -> QuantileForecaster:
    """The model of a `_plan` from its fitted boosters (calibration offsets computed here)."""
    offsets = {q: 0.0 for q in qs}
    calibration: dict[str, Any] = {"days": 0, "rows": 0}
    boosters = boosters_per_set[-1]
    if plan.cal_mask is not None:
        cal_boosters, cal_mask, y = boosters_per_set[0], plan.cal_mask, plan.y
        cal_pred = np.column_stack(
            [b.predict(plan.x[cal_mask], num_threads=1) for b in cal_boosters]
        )
        residual = y[cal_mask][:, None] - cal_pred
        for i, q in enumerate(plan.cal_qs):
            raw = float(np.quantile(residual[:, i], q))
            # Only ever widen: a week of residuals is too few to justify narrowing.
            offsets[q] = min(raw, 0.0) if q < 0.5 else max(raw, 0.0) if q > 0.5 else raw
        calibration = {
            "days": plan.calibration_days,
            "rows": int(cal_mask.sum()),
            "coverage_before": {
                str(q): float(np.mean(residual[:, i] < 0)) for i, q in enumerate(plan.cal_qs)
            },
        }

    mid = int(np.argmin([abs(q - 0.5) for q in qs]))
    gains = boosters[mid].feature_importance(importance_type="gain")
    importance = {name: float(g) for name, g in zip(plan.inputs, gains, strict=True)}
    first_day, last_day = _day_span(plan.kept)
    trained_on = {
        "rows": int(plan.y.shape[0]),
        "first_day": first_day,
        "last_day": last_day,
        "calibration": calibration,
    }
    return QuantileForecaster(
        feature_columns=columns,
        quantiles=qs,
        boosters=boosters,
        params={k: v for k, v in merged.items() if k != "alpha"},
        trained_on=trained_on,
        feature_importance=importance,
        target_transform=plan.target_transform,
        baseline_columns=plan.baseline_columns,
        baseline_fallback=plan.baseline_fallback,
        baseline_rule=plan.baseline_rule,
        num_boost_round=num_boost_round,
        offsets=offsets,
    )


def _fit(
    sets: Sequence[tuple[np.ndarray, np.ndarray]],
    inputs: list[str],
    quantiles: Sequence[tuple[float, ...]],
    params: dict[str, Any],
    num_boost_round: int,
) -> list[list[lgb.Booster]]:
    """One booster per quantile of `quantiles[i]` for each (x, y) set `sets[i]`. Each trains on
    one thread (`num_threads=1`, deterministic) and LightGBM releases the GIL while it trains,
    so they run side by side on up to `os.cpu_count()` threads: the same boosters, bit for bit,
    sooner.

    Each booster has its own `lgb.Dataset` (two boosters training on one Dataset at once crash
    LightGBM), but a set's histogram bins are found once: its first Dataset is built from the
    rows, the others from the same rows with it as `reference`, which copies its bins (the
    same Datasets, so the same boosters, bit for bit; on a year of hourly rows, building a
    set's bins took about half of a 100-round booster's time, a fifth of a 200-round one's)."""
    import lightgbm as lgb

    dataset_params = {k: v for k, v in params.items() if k != "alpha"}
    workers = max(1, min(sum(len(qs) for qs in quantiles), os.cpu_count() or 1))

    def dataset(i: int, reference: lgb.Dataset | None = None) -> lgb.Dataset:
        x, y = sets[i]
        return lgb.Dataset(
            x, label=y, feature_name=inputs, params=dataset_params, reference=reference
        ).construct()

    def train(job: tuple[lgb.Dataset, float]) -> lgb.Booster:
        data, q = job
        return lgb.train({**params, "alpha": q}, data, num_boost_round=num_boost_round)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        # the sets' own bins, side by side (independent Datasets)
        bases = list(pool.map(dataset, range(len(sets))))
        jobs = []
        for i, base in enumerate(bases):
            jobs += [(base, quantiles[i][0])] + [(dataset(i, base), q) for q in quantiles[i][1:]]
        trained = list(pool.map(train, jobs))
    out, start = [], 0
    for qs in quantiles:
        out.append(trained[start : start + len(qs)])
        start += len(qs)
    return out


def _calibration_mask(kept: pl.DataFrame, calibration_days: int) -> np.ndarray | None:
    """Rows of the last `calibration_days` market days, or None if calibration is off or the
    training set is too short to spare them (fewer than 2 x `calibration_days` other days)."""
    if calibration_days <= 0:
        return None
    if "market_date" in kept.columns:
        day = kept.get_column("market_date")
        distinct = day.unique().sort()
        if distinct.len() < 3 * calibration_days:
            return None
        cutoff = distinct[distinct.len() - calibration_days]
        return (day >= cutoff).to_numpy()
    n_cal = 24 * calibration_days  # no dates: the last rows, in the order given
    if kept.height < 3 * n_cal:
        return None
    mask = np.zeros(kept.height, dtype=bool)
    mask[-n_cal:] = True
    return mask


def predict_quantiles(model: QuantileForecaster, features: pl.DataFrame) -> pl.DataFrame:
    """Quantile forecasts (MW), one column per quantile (`p10`, `p50`, `p90`), in row order.

    Missing feature values are allowed (LightGBM's missing-value handling). Quantile crossing
    is removed by sorting each row's quantiles. A model with `members` (`baseline_rule="each"`)
    forecasts the mean of its members' forecasts; one with a `partner` moves every quantile by
    `partner_weight` x (the partner's P50 - its own) where the partner forecasts the hour.
    """
    if model.partner is not None:
        from energy_assets.models.fuel_mix_lgbm import predict_intensity

        own = predict_quantiles(replace(model, partner=None, partner_weight=0.0), features)
        theirs = predict_intensity(model.partner, features)
        p50 = own.get_column(quantile_column(0.5)).to_numpy()
        shift = np.where(np.isfinite(theirs), model.partner_weight * (theirs - p50), 0.0)
        return own.with_columns(pl.col(c) + shift for c in own.columns)
    if model.members:
        frames = [predict_quantiles(member, features) for member in model.members]
        return pl.DataFrame(
            {
                column: np.mean([f.get_column(column).to_numpy() for f in frames], axis=0)
                for column in frames[0].columns
            },
            schema=frames[0].schema,
        )
    x = _feature_matrix(features, model.feature_columns)
    base = None
    if model.target_transform == "ratio":
        base, source = _baseline(
            features, model.baseline_columns, model.baseline_fallback, model.baseline_rule
        )
        x = np.column_stack([x, source])
    if features.height == 0:
        preds = np.empty((0, len(model.boosters)))
    else:
        preds = np.column_stack([b.predict(x, num_threads=1) for b in model.boosters])
        preds = preds + np.array([model.offsets.get(q, 0.0) for q in model.quantiles])
    if base is not None:
        preds = preds * base[:, None]
    preds = np.sort(preds, axis=1)
    return pl.DataFrame(
        {quantile_column(q): preds[:, i] for i, q in enumerate(model.quantiles)},
        schema={quantile_column(q): pl.Float64 for q in model.quantiles},
    )


def _to_document(model: QuantileForecaster) -> dict[str, Any]:
    return {
        "format": _FORMAT,
        "version": _FORMAT_VERSION,
        "feature_columns": model.feature_columns,
        "quantiles": list(model.quantiles),
        "params": model.params,
        "trained_on": model.trained_on,
        "feature_importance": model.feature_importance,
        "target_transform": model.target_transform,
        "baseline_columns": list(model.baseline_columns),
        "baseline_fallback": (
            model.baseline_fallback if np.isfinite(model.baseline_fallback) else None
        ),
        "baseline_rule": model.baseline_rule,
        "num_boost_round": model.num_boost_round,
        "offsets": [[q, model.offsets.get(q, 0.0)] for q in model.quantiles],
        "extra": model.extra,
        "boosters": [b.model_to_string() for b in model.boosters],
        # only where there are members: other artifacts keep their bytes (and sha256)
        **({"members": [_to_document(m) for m in model.members]} if model.members else {}),
        **(_partner_document(model) if model.partner is not None else {}),
    }


def _partner_document(model: QuantileForecaster) -> dict[str, Any]:
    from energy_assets.models.fuel_mix_lgbm import to_document

    return {"partner": to_document(model.partner), "partner_weight": model.partner_weight}


def _partner_of(doc: dict[str, Any]) -> FuelMixForecaster | None:
    if "partner" not in doc:  # artifacts without a fuel-mix member
        return None
    from energy_assets.models.fuel_mix_lgbm import from_document

    return from_document(doc["partner"])


def save_model_atomic(model: QuantileForecaster, path: Path) -> str:
    """Write `model` to `path` atomically as JSON; return the SHA-256 (hex) of the file."""
    payload = json.dumps(_to_document(model), sort_keys=True, allow_nan=False).encode("utf-8")
    digest = hashlib.sha256(payload).hexdigest()
    write_atomic(path, payload)
    return digest


def load_model(path: Path, expected_sha256: str | None = None) -> QuantileForecaster:
    """Read a model written by `save_model_atomic`; raise `ValueError` if the file's SHA-256
    differs from `expected_sha256` (when given) or the file is not such a model."""
    payload = Path(path).read_bytes()
    digest = hashlib.sha256(payload).hexdigest()
    if expected_sha256 is not None and digest != expected_sha256.lower():
        raise ValueError(f"sha256 mismatch for {path}: expected {expected_sha256}, got {digest}")
    doc = json.loads(payload)
    if doc.get("format") != _FORMAT or doc.get("version") != _FORMAT_VERSION:
        raise ValueError(f"{path} is not a {_FORMAT} v{_FORMAT_VERSION} file")
    return _from_document(doc)


def _from_document(doc: dict[str, Any]) -> QuantileForecaster:
    import lightgbm as lgb

    return QuantileForecaster(
        feature_columns=list(doc["feature_columns"]),
        quantiles=tuple(float(q) for q in doc["quantiles"]),
        boosters=[lgb.Booster(model_str=text) for text in doc["boosters"]],
        params=dict(doc["params"]),
        trained_on=dict(doc["trained_on"]),
        feature_importance={k: float(v) for k, v in doc["feature_importance"].items()},
        target_transform=doc["target_transform"],
        baseline_columns=tuple(doc["baseline_columns"]),
        baseline_fallback=(
            float("nan") if doc["baseline_fallback"] is None else float(doc["baseline_fallback"])
        ),
        # artifacts written before the rule existed used the first positive baseline
        baseline_rule=doc.get("baseline_rule", "first"),
        num_boost_round=int(doc["num_boost_round"]),
        offsets={float(q): float(v) for q, v in doc["offsets"]},
        extra=dict(doc.get("extra", {})),
        # artifacts written before `baseline_rule="each"` have no members
        members=[_from_document(member) for member in doc.get("members", [])],
        partner=_partner_of(doc),
        partner_weight=float(doc.get("partner_weight", 0.0)),
    )
