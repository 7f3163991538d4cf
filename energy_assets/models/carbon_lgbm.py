"""How the carbon-intensity LightGBM models are trained: their settings, chosen on 2020-07..12.

The carbon models (`models/carbon_lightgbm`, `carbon_direct_lightgbm`,
`carbon_direct_utc_lightgbm`) are `models.quantile_lgbm` forecasters with two differences from
the load models:

- **The target is relative to a recent level, twice.** Each model is two ratio models whose
  forecasts are averaged (`baseline_rule="each"`): one learns the hour's intensity over the
  same hour of D-1 (where known at the issue), the other over the latest hour known at the
  issue, and each forecast is multiplied back by its baseline. The P50 of a ratio minimises an
  error relative to the level, closer to the percentage error the benchmarks score than the
  raw gCO2eq/kWh target (whose median minimises the absolute error); the two baselines carry
  the day's shape (D-1's same hour) and its level (the latest hour), and the two models' errors
  are different enough for their mean to beat either, and one model of the two baselines'
  mean.
- **Larger trees** than the load models' (which are sized for 56 days of rows): 15 leaves of
  at least 40 rows, 63 histogram bins, for a year of hourly rows; 100 rounds at a learning rate
  of 0.15 for each of the two models, so the pair trains in the time one model of 200 rounds
  did (more rounds are more accurate, but the carbon backfill has no room for them: below).

Chosen on 2020-07..12, training on earlier days only (365 days, refit weekly, P50 without
calibration, direct intensity, on the graph's own features: `energy-assets benchmark
carbon-settings --work DIR` on the warehouse of `benchmark regions --skip-load --carbon-work
DIR`, `benchmarks/carbon_settings.py`). MAPE,
raw target and the load settings -> the larger trees alone -> ratio to the same hour of D-1 ->
ratio to the latest hour -> ratio to their mean, UTC-day protocol: PJM 3.22 / 3.14 / 3.15 /
2.85 / 2.93 %, CAISO 8.61 / 8.61 / 8.04 / 8.74 / 8.18 %, ERCOT 10.06 / 9.79 / 9.80 / 9.51 /
9.64 %, ISO-NE 4.47 / 4.34 / 4.34 / 4.25 / 4.25 % (sum 26.36 / 25.88 / 25.33 / 25.34 / 25.01).
Those candidates had 300 rounds at 0.05. The mean of the two single-baseline models was better
still (sum 24.38) at twice the training, which the carbon backfill's 60 minutes did not leave
room for, so the models first had one booster of the mean at 200 rounds at 0.075 (sum 25.18).
The pair at 100 rounds at 0.15 each (adopted): PJM 2.90, CAISO 8.03, ERCOT 9.54, ISO-NE
4.20 (sum 24.67), in the same training time (`quantile_lgbm._fit` trains the two models'
boosters in one pool, and finds each set's histogram bins once).

The training window and cadence are `CARBON_TRAINING_DAYS` and `CARBON_REFIT_EVERY_DAYS` below,
the graph's defaults (`ENERGY_ASSETS_CARBON_TRAINING_DAYS`,
`ENERGY_ASSETS_CARBON_REFIT_EVERY_DAYS`) and `benchmark regions`' alike: 730 days refit every
28, chosen the same way after the pair: 365 days weekly 24.67, 730 days weekly 23.99, 730 days
every 14 days 23.87 (PJM 2.80, CAISO 7.70, ERCOT 9.31, ISO-NE 4.06; in 2020-H2 that is every
day of the data set, from 2019-01-01); with the weather forecasts on their own day
(`sources/gfs_regional.py`), every 14 / 21 / 28 days 23.14 / 23.08 / 23.16, a tie: the fewest
fits taken (a quarter less CPU time for the slice). The graph's models had 56 days refit every
day until ad50e17 (the main job's windows are two months); on the market-day protocol of the
lifecycle intensity (`carbon_lightgbm`, `--protocol market --target lifecycle --candidate
each_baseline_100`, 2026-12-01), CAISO / PJM / ERCOT / ISO-NE: 56 days daily 9.69 / 3.47 /
11.24 / 4.99 % (sum 29.40), 56 every 28 sum 32.30, 365 every 28 26.84, 730 every 28 9.07 / 2.89
/ 9.66 / 4.43 (26.05): the longer window is better in every region, at a 28th of the fits.
GB's published intensity (`benchmark gb-carbon`, 2023-H2 on the days since 2023-01-01, no
weather features), MAE: 56 days daily 47.05, 56 every 28 55.12, 730 daily 46.44, every 7
47.50, every 28 48.77: the longer window helps there too, but GB loses from models kept four
weeks while its history is short, where the US regions tied; with the young cadence below
(every 4 days: GB's 2023 window never holds 365 days) 46.62, MAPE 40.87 %.

While a region's history is young the cadence differs (`CARBON_YOUNG_HISTORY_DAYS`,
`CARBON_YOUNG_REFIT_EVERY_DAYS`): while a fit day's window holds fewer than 365 stored days,
the models are trained every 4 days (fit days `REFIT_EPOCH` + 4k, a finer grid holding the
28-day one) instead of every 28, so a region's first year has 91 fits instead of 13. Chosen
on 2019-02..06, the first months of the carbon data set (from 2019-01-01), on PJM, ERCOT,
ISO-NE and MISO, CAISO held out (`benchmark carbon-settings --start 2019-02-01 --end
2019-06-30 --candidate each_baseline_100 --young-history-days N --young-refit-every K` on the
warehouse of `benchmark regions --skip-load --carbon-start 2019-01-01 --carbon-end
2019-06-30`, UTC day, direct, 2026-12-01). Sum of the four regions' MAPE (CAISO's beside it):
every 28 (as before) 27.11 (19.14); every day while the window holds under 56 / 91 / 120 /
150 / 182 days 26.91 / 26.25 / 25.95 (17.55) / 25.60 / 25.51 (17.53); under 120 days every 2 /
4 / 7 days 26.12 / 26.23 / 26.50; under 365 days every 7 26.13 (18.10), every 4 25.88
(17.63, adopted: PJM 3.76, ERCOT 11.09, ISO-NE 5.69, MISO 5.34). More fits were better all
the way, and a young fit costs a third to three fifths of one on two years' rows (one model,
the pair and its three quantiles, on synthetic rows of the same 47 features, timed outside the
command, 2026-12-01: 1.0 s of CPU on 180 days, 1.5 s on 365, 2.6 s on 730, about 0.5 s of it
fixed), so the choice is the fewest fits for most of the gain: every 4 days under 365 beat
every day under 120 with three quarters of its fits. Why 365: GB's published intensity on 2023-H2 (6 to 12 months of
history, above) was better refit every 7 days than every 28 (47.50 against 48.77), and the US
regions on 2020-H2 (18 to 24 months) tied at 14 / 21 / 28. From 365 stored days on the fits
are the 28-day grid's, so the later days' models are the ones they were: the 2020-H2
comparisons here and the 2021-H1 figures are unchanged by it.

Then the rounds of the pair, on the same window and features (730 days, refit every 28,
`--candidate each_baseline`, 2026-11-30): 100 rounds at 0.15 / 150 at 0.1 / 200 at 0.075 / 300
at 0.05 each, sum 23.16 / 22.87 / 22.77 / 22.79 (200 at 0.075: CAISO 7.81 -> 7.65, PJM 2.76 ->
2.70, ERCOT 8.62 -> 8.49, ISO-NE 3.98 -> 3.93), for about 1.3 / 1.55 / 2.2 times the fits' CPU.
Not adopted: in the graph (`benchmark regions --skip-load`, two regions at a time) 200 rounds
made the three carbon models' steps 0.29-0.32 s a region-day instead of about 0.12, and their
fits on both cores slowed the region beside them: CAISO and PJM took 1,436 s together against
874 s, and ERCOT and ISO-NE had run 1,200 s (666 s before) when the run was stopped with MISO
still to come, on course to pass the slice's 60 minutes. On 2021-H1 the two finished regions
moved little: UTC day CAISO 10.64 -> 10.56 %, PJM 3.11 -> 3.13 %. Measured beside
it outside the command, none better than 200 rounds by more than 0.04 of the sum: a third ratio
model (to D-8..D-2's same-hour mean, or D-7's) or a raw-target one in the mean (23.18-23.59),
recent rows weighted twice (23.02-23.27), 31 or 7 leaves, 100 rows a leaf, 255 bins at 200
rounds (22.73-23.13).

Then two structural levers, on the same window and the graph's own features, outside the
command (2026-12-01; the pair's sum there 23.17):

- **An MLX MLP beside the pair, their forecasts averaged** (the P50 of the intensity over the
  two baselines' mean, inputs standardized and filled as `models/load_mlx.py`). One hidden
  layer of 64 with input noise 1.0: the mean is worse (CAISO 7.81, PJM 2.80, ERCOT 8.73,
  ISO-NE 4.14; sum 23.48). 128 units, 30 epochs, noise 0.5: ERCOT 8.62 -> 8.40, ISO-NE
  3.98 -> 3.93 (noise 0.25: 3.89, 2.3 % of itself). Not adopted: a fit costs about 14 s of
  CPU against about 1.2 s for the pair, twelve times the fits the slice's 60 minutes pay for,
  and ISO-NE needs 3.4 % on 2021-H1 to pass DACF's figure.
- **The weather's change applied to D-1's fuel mix**: the solar share of D-1's hour scaled by
  the forecast irradiance of D over that of D-1, the wind share by the wind speed's ratio
  cubed, and D-1's direct intensity with gas (370 g/kWh) taking up the difference. As a naive
  forecast it is worse than D-1's same hour (CAISO 12.51 against 10.48 %, PJM 4.81 against
  4.41): the regional mean irradiance does not say how much the solar output changes. As
  features, or as the baseline of one of the two ratio models: at most 0.9 % of the sum
  (CAISO + PJM 10.57 -> 10.48, ERCOT + ISO-NE 12.60 -> 12.47). Not adopted.

Then **the fuel-mix member** (`models/fuel_mix_lgbm.py`; DACF's and CarbonCast's method: each
source's output forecast, combined with its emission factor), for the UTC-day direct model
(`models/carbon_direct_utc_lightgbm`, the one held against DACF's figures), **built but off by
default** (`ENERGY_ASSETS_CARBON_FUEL_MIX=1` switches it on; why, at the end): the pair's
forecast moves halfway (`FUEL_MIX_WEIGHT`) to the direct intensity implied by each fuel's
forecast output, the mean of a level and a delta-from-D-1 L1 booster per fuel, on the carbon
features plus the fuel's own output features (`features.carbon.FUEL_MW_COLUMNS`). Chosen on
2020-07..12 (730 days, refit every 28, UTC day, direct, P50 MAPE; first outside the graph, on
the data set's files with features of the graph's kind, 2026-12-02, where the pair alone came
out within 0.06 of the graph's figures: CAISO 7.79 / PJM 2.73 / ERCOT 8.67 / ISO-NE 3.93 %,
sum 23.11):

| member beside the pair, weight | CAISO | PJM | ERCOT | ISO-NE | sum |
|---|---|---|---|---|---|
| none (the pair alone) | 7.79 | 2.73 | 8.67 | 3.93 | 23.11 |
| fuel outputs, L2 level boosters, 0.5 | 7.67 | 2.71 | 8.67 | 3.75 | 22.80 |
| fuel outputs, L1 level boosters, 0.5 | 7.64 | 2.73 | 8.59 | 3.74 | 22.70 |
| fuel outputs, L1 delta boosters, 0.5 | 7.60 | 2.72 | 8.55 | 3.79 | 22.65 |
| **L1 level and delta, 0.25 each (adopted)** | **7.56** | **2.71** | **8.53** | **3.74** | **22.53** |
| the same, with D-1's, D-2's, D-1's mean and the latest output only (the graph's) | 7.52 | 2.70 | 8.58 | 3.75 | 22.55 |
| emitting fuels' shares (L2), 0.25 | 7.80 | 2.76 | 8.77 | 3.92 | 23.26 |
| emissions and total output, two boosters, 0.25 | 7.85 | 2.79 | 8.70 | 3.93 | 23.27 |
| emitting fuels and the rest as one, 0.25 | 7.71 | 2.72 | 8.64 | 3.86 | 22.93 |
| 50 rounds at 0.3 instead of 100 at 0.15, 0.5 | 7.70 | 2.76 | 8.64 | 3.75 | 22.84 |

Fuel by fuel matters: the fewer series the output is lumped into, the less the member adds. In
a region's first year (2019-02..06, the pair fitted every 4 days), a member refit every 28 days
made PJM and ISO-NE worse (3.61 -> 3.73, 5.90 -> 6.21 %) where one refit every 4 days helped
everywhere (PJM 3.60, ERCOT 10.76 -> 10.51, ISO-NE 5.87, MISO 5.10 -> 4.98); trained every 4
days it would cost about 1.6 times the pair's fits (16 boosters a fit against the pair's 10, on
the same rows: 6.1 s of CPU against 2.3 s for its six quantile boosters on two years of ISO-NE,
timed outside the command), past the carbon slice's 60 minutes. So the member is trained with
the fits of a window holding `CARBON_YOUNG_HISTORY_DAYS` stored days (the 28-day grid's), and a
young fit has none. The half-year scored against DACF, looked at once after the choice (outside
the graph, the same files): CAISO 10.48 -> 10.21, PJM 3.01 -> 2.98, ERCOT 11.73 -> 11.54,
ISO-NE 4.51 -> 4.38, MISO 5.64 -> 5.54 %, better in every region. `benchmark carbon-settings
--candidate each_baseline_100_rounds` reruns the comparison of the pair with and without the
member on the graph's own features (`each_baseline_100_rounds_with_fuel_mix`).

**Through the graph it gained less and cost too much, so it is off** (`benchmark regions
--skip-load --carbon-work DIR --profile` with the member on, at 22335c8, 2026-12-02, on a clone
of its own; the first 2.5 minutes shared with tests): UTC day on 2021-H1, CAISO 10.64 -> 10.32,
PJM 3.11 -> 3.13, ERCOT 11.90 -> 11.83, ISO-NE 4.59 -> 4.44 (level with DACF's 4.44, not
below: the count stays 1/4), MISO 5.78 -> 5.79 % (the market-day and lifecycle models, without
it, the same to the digit), a sum of 30.24 -> 29.72 over the four with a published figure (1.7 %, against 2.1 %
outside the graph); and the slice took 3,729 s against 2,935 s (6,268 s of
user time against 4,760 s), past its 60 minutes: the UTC-day model's step 0.45-0.48 s a
region-day against the others' 0.28-0.30 s. Cheaper members (fewer fuels, rounds or fits) were
worse outside the graph (table above).

**A member refit every 56 days** (`FUEL_MIX_REFIT_EVERY_DAYS`: every other fit of the pair; the
fits between keep the latest member), its level and delta boosters sharing each fuel's
histogram bins (a fit of 8 fuels on two years of synthetic rows: 7.0 s of CPU against 8.1 s):
the same command with the member on, at 9d44dfe, 2026-12-02, its own clone, nothing else
running. UTC day on 2021-H1: CAISO 10.35, PJM 3.04, ERCOT 11.94, ISO-NE 4.46 (0.02 above
DACF's 4.44), MISO 5.77 %; the sum over the four 29.79, against 29.72 refit every 28 and
30.24 without the member: most of the gain kept. The slice took 3,665 s (5,912 s of user
time, 1.5 GiB peak), still past its 60 minutes: the UTC-day model's step 0.34-0.45 s a
region-day against the others' 0.16-0.28 s (CAISO and PJM 1,126 s together, ERCOT and ISO-NE
1,398 s, MISO alone 1,010 s, against 621 s at 5c7f2e1: this machine's speed varies between
runs). So the member stays off by default, and refit every 56 days where it is switched on.

Pure module: no Dagster, no I/O.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CARBON_BASELINE_RULE",
    "CARBON_NUM_BOOST_ROUND",
    "CARBON_PARAMS",
    "CARBON_REFIT_EVERY_DAYS",
    "CARBON_TRAINING_DAYS",
    "CARBON_YOUNG_HISTORY_DAYS",
    "CARBON_YOUNG_REFIT_EVERY_DAYS",
    "FUEL_MIX_NUM_BOOST_ROUND",
    "FUEL_MIX_PARAMS",
    "FUEL_MIX_REFIT_EVERY_DAYS",
    "FUEL_MIX_WEIGHT",
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

# How many days the carbon models learn from (D-N..D-2, every day stored) and how often they are
# trained, in the graph (`ENERGY_ASSETS_CARBON_TRAINING_DAYS`, `..._CARBON_REFIT_EVERY_DAYS`) and
# the carbon slice of `benchmark regions` alike; chosen on 2020-07..12 with training on earlier
# days only (the README says how; `benchmark carbon-settings --training-days N --refit-every K`):
# two years of training days (every day since 2019-01 in this data set), refit every four weeks.
# Sum of the four regions' UTC-day direct P50 MAPE on 2020-07..12: 365 days weekly 24.67, 730
# days weekly 23.99, 730 days every 14 days 23.87 (the models above); with the weather on its own
# day (`sources/gfs_regional.py`), 730 days every 14 / 21 / 28 days 23.14 / 23.08 / 23.16, a tie
# (within 0.08, no region moving by more than 0.11), so the fewest fits: CAISO's region alone
# (`--carbon-region CAISO --profile`, idle) took 883 s and 1,205 s of CPU every 14 days, 705 s
# and 899 s every 28; the three models' steps 0.47 s a region-day against 0.29 s. (An earlier
# comparison, 717 s against 722 s, set one region of a five-region run against a region run alone
# on another day: this machine's speed varies by a fifth between runs.)
CARBON_TRAINING_DAYS = 730
CARBON_REFIT_EVERY_DAYS = 28
# While a fit day's window holds fewer stored days than this (a region's first year), the
# models are trained every CARBON_YOUNG_REFIT_EVERY_DAYS instead (`ENERGY_ASSETS_CARBON_YOUNG_
# HISTORY_DAYS`, `..._YOUNG_REFIT_EVERY_DAYS`; 0 days: never; 1: every day): a model kept four
# weeks loses most while the window is short (chosen on 2019-02..06: the module's doc). A
# divisor of the refit interval, so the young fit days hold the 28-day grid's.
CARBON_YOUNG_HISTORY_DAYS = 365
CARBON_YOUNG_REFIT_EVERY_DAYS = 4

# The UTC-day direct model's fuel-mix member (`models/fuel_mix_lgbm.py`), off by default
# (`ENERGY_ASSETS_CARBON_FUEL_MIX=1`: the module doc says why): its forecast moves the pair's
# halfway to the intensity the fuel forecasts imply. Trained with the models fitted on its own
# grid (FUEL_MIX_REFIT_EVERY_DAYS, below) once the window holds CARBON_YOUNG_HISTORY_DAYS stored
# days; a young fit has none. The carbon trees', with an L1 objective.
FUEL_MIX_WEIGHT = 0.5
FUEL_MIX_PARAMS: dict[str, Any] = {
    "objective": "l1",
    "num_leaves": 15,
    "min_data_in_leaf": 40,
    "max_bin": 63,
    "learning_rate": 0.15,
    "feature_fraction": 0.9,
    "lambda_l2": 1.0,
    "force_col_wise": True,
}
FUEL_MIX_NUM_BOOST_ROUND = 100
# The member is trained on its own, sparser grid of fit days, REFIT_EPOCH + k x this (every
# other day of the pair's 28-day grid): the pair's fits in between keep the member of the
# latest member fit (`ENERGY_ASSETS_CARBON_FUEL_MIX_REFIT_EVERY_DAYS`; chosen through the graph,
# the module's doc). A multiple of CARBON_REFIT_EVERY_DAYS.
FUEL_MIX_REFIT_EVERY_DAYS = 56


def carbon_baseline_columns(target: str) -> tuple[str, str]:
    """The feature columns whose mean a carbon model of `target` (a `..._gco2_per_kwh` column
    of `harmonized/carbon_intensity`, or GB's published one) scales by: the same hour of D-1
    and the latest hour known, of the same intensity (`features.carbon`)."""
    suffix = "_gco2_per_kwh"
    if not target.endswith(suffix):
        raise ValueError(f"not an intensity column: {target}")
    prefix = target.removesuffix(suffix)
    return (f"{prefix}_lag_1d{suffix}", f"{prefix}_last_known{suffix}")
