"""Day-ahead output of every fuel, and the direct carbon intensity it implies (DACF's way).

The published day-ahead carbon forecasters (DACF, Maji et al., e-Energy 2022; CarbonCast)
forecast each source's production and combine the forecasts with each source's emission
factor. This module does that with LightGBM: for every fuel of `features.carbon.
GENERATION_COLUMNS` that the region produces, two L1 boosters of its hourly output (MW) on the
carbon features plus the fuel's own output features (`features.carbon.fuel_mw_columns`: D-1's
same hour, D-2's, D-1's mean, the latest hour known): one learns the output itself ("level"),
one its change from D-1's same hour ("delta", trees do not extrapolate a level). Each set of
forecasts implies a direct intensity, sum(factor x MW) / sum(MW) over the fuels
(`harmonize.carbon.DIRECT_EMISSION_FACTORS_GCO2_PER_KWH`, every other fuel 0, as
`carbon_direct_gco2_per_kwh` is computed), and the member's forecast is the mean of the two.

It is the fuel-mix member of the UTC-day direct model (`models/carbon_direct_utc_lightgbm`,
`quantile_lgbm.QuantileForecaster.partner`), off by default (`ENERGY_ASSETS_CARBON_FUEL_MIX=1`):
the forecast is the intensity model's P50 moved halfway to this one, and its P10/P90 by as
much; trained every `carbon_lgbm.FUEL_MIX_REFIT_EVERY_DAYS` (every other fit of the intensity
model, the fits between keep it). Measured, and why it is off (the carbon slice's 60
minutes), in `models/carbon_lgbm.py`.

Artifacts are part of the intensity model's JSON document (`to_document`, `from_document`).
Pure module: no Dagster, no I/O.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from energy_assets.features.carbon import GENERATION_COLUMNS, fuel_mw_columns
from energy_assets.harmonize.carbon import DIRECT_EMISSION_FACTORS_GCO2_PER_KWH

if TYPE_CHECKING:
    import lightgbm as lgb

__all__ = [
    "FuelMixForecaster",
    "from_document",
    "predict_fuel_mw",
    "predict_intensity",
    "to_document",
    "train_fuel_mix_forecaster",
]

_FORMAT = "energy_assets.fuel_mix_lgbm"
_FORMAT_VERSION = 1
# an hour's output is a target where this share of its 5-minute fuel-mix readings was there
MIN_COVERAGE = 0.5


@dataclass
class FuelMixForecaster:
    """One level and one delta booster per fuel, and the factors that turn output into
    intensity."""

    feature_columns: list[str]  # the inputs every fuel's boosters share
    fuels: list[str]  # `GENERATION_COLUMNS` the region produces
    level_boosters: list[lgb.Booster]
    delta_boosters: list[lgb.Booster]
    factors: dict[str, float]
    params: dict[str, Any]
    num_boost_round: int
    trained_on: dict[str, Any] = field(default_factory=dict)


def _inputs(feature_columns: Sequence[str], fuel: str) -> list[str]:
    return [*feature_columns, *fuel_mw_columns(fuel)]


def _matrix(features: pl.DataFrame, columns: Sequence[str]) -> np.ndarray:
    missing = [c for c in columns if c not in features.columns]
    if missing:
        raise ValueError(f"features lack columns {missing}")
    return (
        features.select(pl.col(c).cast(pl.Float64) for c in columns)
        .to_numpy()
        .astype(np.float64, copy=False)
    )


def _column(frame: pl.DataFrame, name: str) -> np.ndarray:
    return frame.get_column(name).cast(pl.Float64).to_numpy().astype(np.float64)


def train_fuel_mix_forecaster(
    features: pl.DataFrame,
    grid: pl.DataFrame,
    feature_columns: Sequence[str],
    params: Mapping[str, Any],
    num_boost_round: int,
    factors: Mapping[str, float] = DIRECT_EMISSION_FACTORS_GCO2_PER_KWH,
) -> FuelMixForecaster:
    """Boosters for every fuel with output in `grid` (`harmonized/grid_hourly` rows: fuel MW
    columns and `fuel_mix_coverage`), on the `features` rows (the carbon feature rows, with
    `FUEL_MW_COLUMNS`) of the same hours. Hours whose fuel mix is under `MIN_COVERAGE` are not
    learnt from; a fuel's missing reading counts 0, negatives 0, as in the intensity.
    `ValueError` where no hour or no fuel is left."""
    present = [c for c in GENERATION_COLUMNS if c in grid.columns]
    actual = grid.filter(pl.col("fuel_mix_coverage").fill_null(0.0) >= MIN_COVERAGE).select(
        "region",
        "interval_start_utc",
        *(
            pl.col(c).cast(pl.Float64).fill_null(0.0).clip(lower_bound=0.0).alias(f"_y_{c}")
            for c in present
        ),
    )
    rows = features.join(actual, on=["region", "interval_start_utc"], how="inner").sort(
        "interval_start_utc"
    )
    fuels = [c for c in present if rows.height and float(rows[f"_y_{c}"].sum()) > 0]
    if not fuels:
        raise ValueError(
            f"no fuel output to learn from: {rows.height} hours of features with a fuel mix"
            f" (grid columns {present})"
        )
    merged = {**params, "num_threads": 1, "deterministic": True, "verbosity": -1}
    dataset_params = {"max_bin": merged.get("max_bin", 255), "verbosity": -1, "num_threads": 1}

    import lightgbm as lgb

    def train(fuel: str) -> tuple[lgb.Booster, lgb.Booster]:
        # the level and the delta booster of a fuel share its inputs' histogram bins (the
        # delta's dataset takes the level's as its reference): binning is about a third of a
        # booster's training time on two years of hourly rows
        inputs = _inputs(feature_columns, fuel)
        x = _matrix(rows, inputs)
        y = _column(rows, f"_y_{fuel}")
        lag = _column(rows, fuel_mw_columns(fuel)[0])
        known = np.isfinite(lag)
        level_data = lgb.Dataset(x, label=y, feature_name=inputs, params=dataset_params)
        level = lgb.train(merged, level_data, num_boost_round=num_boost_round)
        delta_data = lgb.Dataset(
            x[known],
            label=(y - lag)[known],
            feature_name=inputs,
            reference=level_data,
            params=dataset_params,
        )
        return level, lgb.train(merged, delta_data, num_boost_round=num_boost_round)

    workers = max(1, min(len(fuels), os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pairs = list(pool.map(train, fuels))
    return FuelMixForecaster(
        feature_columns=list(feature_columns),
        fuels=fuels,
        level_boosters=[level for level, _ in pairs],
        delta_boosters=[delta for _, delta in pairs],
        factors={c: float(factors.get(c, 0.0)) for c in fuels},
        params=dict(merged),
        num_boost_round=num_boost_round,
        trained_on={
            "rows": rows.height,
            "first_hour_utc": rows["interval_start_utc"].min().isoformat(),
            "last_hour_utc": rows["interval_start_utc"].max().isoformat(),
            "mean_output_mw": {c: round(float(rows[f"_y_{c}"].mean()), 1) for c in fuels},
        },
    )


def predict_fuel_mw(
    model: FuelMixForecaster, features: pl.DataFrame
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(level, delta) forecasts of each fuel's output, MW, at least 0: the delta boosters'
    where the fuel's D-1 same hour is known, the level boosters' elsewhere."""
    level, delta = {}, {}
    for fuel, lb, db in zip(model.fuels, model.level_boosters, model.delta_boosters, strict=True):
        x = _matrix(features, _inputs(model.feature_columns, fuel))
        if not features.height:
            level[fuel] = delta[fuel] = np.empty(0)
            continue
        lv = np.clip(lb.predict(x, num_threads=1), 0.0, None)
        lag = _column(features, fuel_mw_columns(fuel)[0])
        dv = np.where(np.isfinite(lag), db.predict(x, num_threads=1) + lag, lv)
        level[fuel], delta[fuel] = lv, np.clip(dv, 0.0, None)
    return level, delta


def _intensity(model: FuelMixForecaster, output: dict[str, np.ndarray], n: int) -> np.ndarray:
    emitted, produced = np.zeros(n), np.zeros(n)
    for fuel in model.fuels:
        emitted += model.factors[fuel] * output[fuel]
        produced += output[fuel]
    out = np.full(n, np.nan)
    np.divide(emitted, produced, out=out, where=produced > 0)
    return out


def predict_intensity(model: FuelMixForecaster, features: pl.DataFrame) -> np.ndarray:
    """The intensity (gCO2eq/kWh) the fuel forecasts imply: the mean of the level and the delta
    forecasts' (NaN where no output is forecast)."""
    level, delta = predict_fuel_mw(model, features)
    n = features.height
    return (_intensity(model, level, n) + _intensity(model, delta, n)) / 2


def to_document(model: FuelMixForecaster) -> dict[str, Any]:
    return {
        "format": _FORMAT,
        "version": _FORMAT_VERSION,
        "feature_columns": model.feature_columns,
        "fuels": model.fuels,
        "factors": model.factors,
        "params": model.params,
        "num_boost_round": model.num_boost_round,
        "trained_on": model.trained_on,
        "level_boosters": [b.model_to_string() for b in model.level_boosters],
        "delta_boosters": [b.model_to_string() for b in model.delta_boosters],
    }


def from_document(doc: Mapping[str, Any]) -> FuelMixForecaster:
    import lightgbm as lgb

    if doc.get("format") != _FORMAT or doc.get("version") != _FORMAT_VERSION:
        raise ValueError(f"not a {_FORMAT} v{_FORMAT_VERSION} document")
    return FuelMixForecaster(
        feature_columns=list(doc["feature_columns"]),
        fuels=list(doc["fuels"]),
        level_boosters=[lgb.Booster(model_str=t) for t in doc["level_boosters"]],
        delta_boosters=[lgb.Booster(model_str=t) for t in doc["delta_boosters"]],
        factors={k: float(v) for k, v in doc["factors"].items()},
        params=dict(doc["params"]),
        num_boost_round=int(doc["num_boost_round"]),
        trained_on=dict(doc["trained_on"]),
    )
