"""How the carbon-intensity LightGBM models are trained: their settings, chosen on 2020-07..12.

The carbon models (`models/carbon_lightgbm`, `carbon_direct_lightgbm`,
`carbon_direct_utc_lightgbm`) are `models.quantile_lgbm` forecasters with two differences from
the load models:

- **The target is relative to a recent level.** The boosters learn the hour's intensity over
  the mean of the same hour of D-1 (where known at the issue) and the latest hour known at the
  issue (`baseline_rule="mean"`), and the forecast is multiplied back by it. The P50 of a ratio
  minimises an error relative to the level, closer to the percentage error the benchmarks
  score than the raw gCO2eq/kWh target (whose median minimises the absolute error); the two
  baselines carry the day's shape (D-1's same hour) and its level (the latest hour).
- **Larger trees** than the load models' (which are sized for 56 days of rows): 15 leaves of
  at least 40 rows, 63 histogram bins, 200 rounds at a learning rate of 0.075, for a year of
  hourly rows.

Chosen on 2020-07..12, training on earlier days only (365 days, refit weekly, P50 without
calibration, direct intensity, on the graph's own features: `energy-assets benchmark
carbon-settings --work DIR` on the warehouse of `benchmark regions --skip-load --carbon-work
DIR`, `benchmarks/carbon_settings.py`). MAPE,
raw target and the load settings -> the larger trees alone -> ratio to the same hour of D-1 ->
ratio to the latest hour -> ratio to their mean, UTC-day protocol: PJM 3.22 / 3.14 / 3.15 /
2.85 / 2.93 %, CAISO 8.61 / 8.61 / 8.04 / 8.74 / 8.18 %, ERCOT 10.06 / 9.79 / 9.80 / 9.51 /
9.64 %, ISO-NE 4.47 / 4.34 / 4.34 / 4.25 / 4.25 % (sum 26.36 / 25.88 / 25.33 / 25.34 / 25.01).
The mean is the only single baseline that is better than the raw target in all four regions.
Those candidates had 300 rounds at 0.05; the carbon backfill then took about 62 minutes (from
PJM alone: 674 s against 529 s before), over its 60, so the adopted models have 200 rounds at
0.075, a third less training: sum 25.18 (PJM 2.95, CAISO 8.26, ERCOT 9.71, ISO-NE 4.26; 150
rounds at 0.1: 25.20). Averaging two boosters, one per baseline, was better still (sum 24.38)
at twice the training time, which the 60 minutes do not leave room for.

Pure module: no Dagster, no I/O.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CARBON_BASELINE_RULE",
    "CARBON_NUM_BOOST_ROUND",
    "CARBON_PARAMS",
    "carbon_baseline_columns",
]

# overrides of `quantile_lgbm.DEFAULT_PARAMS`
CARBON_PARAMS: dict[str, Any] = {
    "num_leaves": 15,
    "min_data_in_leaf": 40,
    "max_bin": 63,
    "learning_rate": 0.15,
}
CARBON_NUM_BOOST_ROUND = 100
# one ratio model per baseline column, their forecasts averaged (`quantile_lgbm`)
CARBON_BASELINE_RULE = "each"


def carbon_baseline_columns(target: str) -> tuple[str, str]:
    """The feature columns whose mean a carbon model of `target` (a `..._gco2_per_kwh` column
    of `harmonized/carbon_intensity`, or GB's published one) scales by: the same hour of D-1
    and the latest hour known, of the same intensity (`features.carbon`)."""
    suffix = "_gco2_per_kwh"
    if not target.endswith(suffix):
        raise ValueError(f"not an intensity column: {target}")
    prefix = target.removesuffix(suffix)
    return (f"{prefix}_lag_1d{suffix}", f"{prefix}_last_known{suffix}")
