"""How the carbon models' settings were chosen, rerun from a command: the graph's own carbon
features, fitted with each candidate setting, scored over a window of earlier days.

    uv run energy-assets benchmark regions --skip-load --carbon-work DIR   # the warehouse
    uv run energy-assets benchmark carbon-settings --work DIR [--start 2020-07-01] [--end 2020-12-31]
        [--protocol utc|market] [--target direct|lifecycle] [--region PJM ...]

Reads `features/carbon_features_utc` (UTC-day protocol, issued 00:00 UTC) or
`features/carbon_features` (market day, issued D-1 12:00 local) and `harmonized/carbon_intensity`
from the warehouse of a carbon backfill. For every candidate (`CANDIDATES`), a P50 LightGBM
(`models.quantile_lgbm`, no calibration) is trained every `--refit-every` days from `--start`
on D-`--training-days`..D-2 of the fit day and forecasts the days up to the next fit; its MAPE is
over every hour of the window with a target (coverage 0.9, as the models train); each region's
first line says how many of the window's days have feature rows, naming the missing ones (not
scored). Prints one row
per region and candidate, the sum over the regions, the mean of the two single-baseline ratio
models' forecasts (two boosters, twice the training), and a last line naming the adopted
candidate and the best single one:

    carbon_settings adopted=<candidate> sum_mape=<x> best=<candidate> best_sum_mape=<y>
        regions=<n> window=<start>..<end>

This is the comparison `models/carbon_lgbm.py` records (2020-07..12, UTC day, direct). It runs
outside Dagster on purpose: it is a model-selection experiment on stored features, not a
backfill (the graph's weekly fit days are anchored on `REFIT_EPOCH`, these on `--start`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from energy_assets.benchmarks.settings_common import coverage_line, open_warehouse, region_rows
from energy_assets.features import carbon as carbon_features
from energy_assets.models.carbon_lgbm import (
    CARBON_BASELINE_RULE,
    CARBON_NUM_BOOST_ROUND,
    CARBON_PARAMS,
    CARBON_REFIT_EVERY_DAYS,
    CARBON_TRAINING_DAYS,
    CARBON_YOUNG_HISTORY_DAYS,
    CARBON_YOUNG_REFIT_EVERY_DAYS,
    FUEL_MIX_NUM_BOOST_ROUND,
    FUEL_MIX_PARAMS,
    FUEL_MIX_WEIGHT,
    carbon_baseline_columns,
)
from energy_assets.models.fuel_mix_lgbm import train_fuel_mix_forecaster
from energy_assets.models.quantile_lgbm import predict_quantiles, train_quantile_forecaster
from energy_assets.models.training_rows import training_rows

__all__ = ["CANDIDATES", "Candidate", "compare", "configure_parser", "run"]


@dataclass(frozen=True)
class Candidate:
    """One model setting: LightGBM overrides, rounds, and the target transform."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)
    rounds: int = 200
    transform: str = "none"
    # which of the two baseline columns (same hour of D-1, latest hour known) the ratio uses
    baselines: tuple[int, ...] = ()
    rule: str = "first"
    # > 0: with the fuel-mix member (`models/fuel_mix_lgbm.py`) at this weight, trained with
    # the fits whose window holds `young_history_days` stored days (as the graph's)
    fuel_mix_weight: float = 0.0


ADOPTED = " (adopted)"
# the larger trees as first compared (300 rounds at the default learning rate 0.05)
_LARGER = {"num_leaves": 15, "min_data_in_leaf": 40, "max_bin": 63}
CANDIDATES: tuple[Candidate, ...] = (
    Candidate("load_settings_raw"),
    Candidate("larger_trees_raw", _LARGER, 300),
    Candidate("larger_trees_ratio_lag_1d", _LARGER, 300, "ratio", (0,)),
    Candidate("larger_trees_ratio_last_known", _LARGER, 300, "ratio", (1,)),
    Candidate("larger_trees_ratio_mean", _LARGER, 300, "ratio", (0, 1), "mean"),
    # the models before: the same, a third fewer rounds at a higher rate (the time budget)
    Candidate(
        "ratio_mean_200_rounds", {**_LARGER, "learning_rate": 0.075}, 200, "ratio", (0, 1), "mean"
    ),
    # one ratio model per baseline, averaged: each with 100 rounds at 0.15 (what the models use:
    # the training time of one model of 200 rounds), 150 at 0.1, 200 at 0.075, 300 at 0.05 (more
    # accurate on 2020-H2, too slow for the carbon backfill's 60 minutes: `models/carbon_lgbm.py`)
    *(
        Candidate(
            f"each_baseline_{rounds}_rounds{ADOPTED if rounds == CARBON_NUM_BOOST_ROUND else ''}",
            {**CARBON_PARAMS, "learning_rate": rate},
            rounds,
            "ratio",
            (0, 1),
            CARBON_BASELINE_RULE,
        )
        for rounds, rate in ((100, 0.15), (150, 0.1), (200, 0.075), (300, 0.05))
    ),
    # the adopted pair with the fuel-mix member: what `models/carbon_direct_utc_lightgbm`
    # forecasts (UTC day, direct; `models/carbon_lgbm.py`)
    Candidate(
        "each_baseline_100_rounds_with_fuel_mix",
        CARBON_PARAMS,
        CARBON_NUM_BOOST_ROUND,
        "ratio",
        (0, 1),
        CARBON_BASELINE_RULE,
        FUEL_MIX_WEIGHT,
    ),
)
# the two single-baseline ratio models, averaged (two boosters per fit)
PAIR = ("larger_trees_ratio_lag_1d", "larger_trees_ratio_last_known")
PAIR_NAME = "mean_of_the_two_ratio_models"

_TABLES = {"utc": "carbon_features_utc", "market": "carbon_features"}
_TARGETS = {"direct": "carbon_direct_gco2_per_kwh", "lifecycle": "carbon_gco2_per_kwh"}


def _fit_days(start: dt.date, end: dt.date, every: int) -> list[dt.date]:
    return [start + dt.timedelta(days=k) for k in range(0, (end - start).days + 1, every)]


def _fits(
    dates: pl.Series,
    start: dt.date,
    end: dt.date,
    training_days: int,
    every: int,
    young_history_days: int,
    young_every: int = 1,
) -> list[tuple[dt.date, dt.date, dt.date]]:
    """(fit day, first and last day it forecasts): a fit every `every` days from `start`; where
    a fit day's window (F-`training_days`..F-2) holds fewer than `young_history_days` stored
    days of `dates`, its block is fitted every `young_every` days instead (1: each day on its
    own window), as the graph's models are (`defs/models.py`, `CARBON_YOUNG_HISTORY_DAYS`,
    `CARBON_YOUNG_REFIT_EVERY_DAYS`)."""
    stored = set(dates.unique().to_list())
    fits = []
    for fit in _fit_days(start, end, every):
        last = min(fit + dt.timedelta(days=every - 1), end)
        first_train = fit - dt.timedelta(days=training_days)
        held = sum(1 for d in stored if first_train <= d <= fit - dt.timedelta(days=2))
        if held < young_history_days:
            for k in range(0, (last - fit).days + 1, young_every):
                sub = fit + dt.timedelta(days=k)
                fits.append((sub, sub, min(sub + dt.timedelta(days=young_every - 1), last)))
        else:
            fits.append((fit, fit, last))
    return fits


def compare(
    features: pl.DataFrame,
    actuals: pl.DataFrame,
    target: str,
    start: dt.date,
    end: dt.date,
    *,
    training_days: int = CARBON_TRAINING_DAYS,
    refit_every: int = CARBON_REFIT_EVERY_DAYS,
    young_history_days: int = CARBON_YOUNG_HISTORY_DAYS,
    young_every: int = CARBON_YOUNG_REFIT_EVERY_DAYS,
    candidates: tuple[Candidate, ...] = CANDIDATES,
    grid: pl.DataFrame | None = None,
) -> dict[str, float]:
    """MAPE (%) of each candidate's P50 over `start`..`end` for one region's feature rows and
    `harmonized/carbon_intensity` rows; also `PAIR_NAME` when both of `PAIR` are candidates.
    Fits as `_fits` says (every `young_every` days while the stored window is young). A
    candidate with a fuel-mix member learns each fuel's output from `grid`
    (`harmonized/grid_hourly` rows; a `ValueError` without them)."""
    x_all, y_all = training_rows(features, actuals, target=target, coverage="coverage")
    if x_all.is_empty():
        raise ValueError(f"no feature rows with a {target} target")
    columns = carbon_features.feature_columns_for(target)
    baselines = carbon_baseline_columns(target)
    predictions: dict[str, np.ndarray] = {}
    actual = None
    for candidate in candidates:
        pieces, truth = [], []
        schedule = _fits(
            x_all["market_date"],
            start,
            end,
            training_days,
            refit_every,
            young_history_days,
            young_every,
        )
        for fit, first, last in schedule:
            train = x_all["market_date"].is_between(
                fit - dt.timedelta(days=training_days), fit - dt.timedelta(days=2)
            )
            test = x_all["market_date"].is_between(first, last)
            if not test.any():
                continue
            if not train.any():
                raise ValueError(f"no training rows before {fit}")
            model = train_quantile_forecaster(
                x_all.filter(train),
                y_all.filter(train),
                columns,
                params=candidate.params,
                num_boost_round=candidate.rounds,
                quantiles=(0.5,),
                target_transform=candidate.transform,
                baseline_columns=tuple(baselines[i] for i in candidate.baselines),
                baseline_rule=candidate.rule,
                calibration_days=0,
            )
            held = x_all.filter(train)["market_date"].n_unique()
            if candidate.fuel_mix_weight > 0 and held >= young_history_days:
                if grid is None:
                    raise ValueError(f"{candidate.name} needs harmonized/grid_hourly rows")
                model.partner = train_fuel_mix_forecaster(
                    x_all.filter(train),
                    grid,
                    columns,
                    FUEL_MIX_PARAMS,
                    FUEL_MIX_NUM_BOOST_ROUND,
                )
                model.partner_weight = candidate.fuel_mix_weight
            pieces.append(predict_quantiles(model, x_all.filter(test))["p50"].to_numpy())
            truth.append(y_all.filter(test).to_numpy())
        if not pieces:
            raise ValueError(f"no feature rows with a {target} target in {start}..{end}")
        predictions[candidate.name] = np.concatenate(pieces)
        actual = np.concatenate(truth)
    if all(name in predictions for name in PAIR):
        predictions[PAIR_NAME] = (predictions[PAIR[0]] + predictions[PAIR[1]]) / 2
    return {
        name: float(100 * np.mean(np.abs(p - actual) / actual)) for name, p in predictions.items()
    }


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--work",
        type=Path,
        required=True,
        help="the --carbon-work folder of `benchmark regions --skip-load` (its warehouse)",
    )
    parser.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2020, 7, 1))
    parser.add_argument("--end", type=dt.date.fromisoformat, default=dt.date(2020, 12, 31))
    parser.add_argument("--protocol", choices=sorted(_TABLES), default="utc")
    parser.add_argument("--target", choices=sorted(_TARGETS), default="direct")
    parser.add_argument(
        "--region",
        action="append",
        default=None,
        help="repeatable (default: CAISO PJM ERCOT ISONE, the regions with a published figure)",
    )
    parser.add_argument(
        "--candidate",
        action="append",
        default=None,
        help="repeatable: only the candidates whose names start with this (default: all)",
    )
    parser.add_argument(
        "--training-days",
        type=int,
        default=CARBON_TRAINING_DAYS,
        help=f"the training window, D-N..D-2 (default {CARBON_TRAINING_DAYS}, the adopted)",
    )
    parser.add_argument(
        "--refit-every",
        type=int,
        default=CARBON_REFIT_EVERY_DAYS,
        help=f"days between fits (default {CARBON_REFIT_EVERY_DAYS}, the adopted)",
    )
    parser.add_argument(
        "--young-history-days",
        type=_whole_days_list,
        default=[CARBON_YOUNG_HISTORY_DAYS],
        help="fit every --young-refit-every days while the fit day's window holds fewer stored"
        " days than this; a comma list compares several (e.g. 0,56,91), each a row per"
        f" candidate (default {CARBON_YOUNG_HISTORY_DAYS}, the adopted)",
    )

    parser.add_argument(
        "--young-refit-every",
        type=int,
        default=CARBON_YOUNG_REFIT_EVERY_DAYS,
        help="days between fits while the window is young (default"
        f" {CARBON_YOUNG_REFIT_EVERY_DAYS}, the adopted; 1: every day)",
    )


def _whole_days_list(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma list of whole days: {text!r}") from None
    if any(v < 0 for v in values):
        raise argparse.ArgumentTypeError(f"days must be >= 0: {text!r}")
    return values


def _label(candidate: str, young: int, compared: list[int]) -> str:
    """The candidate's row name; with several young-history thresholds compared, prefixed
    `young_<N>:` (and adopted only at the adopted threshold)."""
    if len(compared) == 1:
        return candidate
    if young != CARBON_YOUNG_HISTORY_DAYS:
        candidate = candidate.removesuffix(ADOPTED)
    return f"young_{young}:{candidate}"


def run(args: argparse.Namespace) -> int:
    command = "carbon-settings"
    warehouse = open_warehouse(
        args.work, command, "benchmark regions --skip-load --carbon-work DIR"
    )
    table, target = _TABLES[args.protocol], _TARGETS[args.target]
    regions = args.region or ["CAISO", "PJM", "ERCOT", "ISONE"]
    candidates = tuple(
        c
        for c in CANDIDATES
        if not args.candidate or any(c.name.startswith(prefix) for prefix in args.candidate)
    )
    if args.target != "direct":  # the fuel mix implies a direct intensity
        candidates = tuple(c for c in candidates if c.fuel_mix_weight == 0)
    if not candidates:
        names = ", ".join(c.name.split(" ")[0] for c in CANDIDATES)
        raise SystemExit(f"{command}: no candidate starts with {args.candidate} ({names})")
    print(
        f"carbon settings: {target}, {args.protocol} protocol ({table}), {args.start}..{args.end},"
        f" {args.training_days} training days, refit every {args.refit_every} (every"
        f" {args.young_refit_every} while the window holds under"
        f" {','.join(map(str, args.young_history_days))} days), P50 MAPE %",
        flush=True,
    )
    began = time.perf_counter()
    totals: dict[str, float] = {}
    window = [args.start + dt.timedelta(days=k) for k in range((args.end - args.start).days + 1)]
    for name in regions:
        features = region_rows(warehouse, f"features/{table}", name, command)
        actuals = region_rows(warehouse, "harmonized/carbon_intensity", name, command)
        grid = (
            region_rows(warehouse, "harmonized/grid_hourly", name, command)
            if any(c.fuel_mix_weight > 0 for c in candidates)
            else None
        )
        if grid is not None and not set(carbon_features.FUEL_MW_COLUMNS) <= set(features.columns):
            raise SystemExit(
                f"{command}: features/{table} of {name} has no fuel output columns (built before"
                " them): rebuild the warehouse, or leave out the fuel-mix candidate"
            )
        print(coverage_line(name, f"features/{table}", features, window), flush=True)
        for young in args.young_history_days:
            scores = compare(
                features,
                actuals,
                target,
                args.start,
                args.end,
                training_days=args.training_days,
                refit_every=args.refit_every,
                young_history_days=young,
                young_every=args.young_refit_every,
                candidates=candidates,
                grid=grid,
            )
            for candidate, mape in scores.items():
                label = _label(candidate, young, args.young_history_days)
                print(f"{name:<6} {label:<36} {mape:6.2f}", flush=True)
                totals[label] = totals.get(label, 0.0) + mape
    for candidate, total in totals.items():
        print(f"{'sum':<6} {candidate:<36} {total:6.2f}")
    singles = {k: v for k, v in totals.items() if k != PAIR_NAME}
    best = min(singles, key=singles.get)
    adopted = next((k for k in singles if k.endswith(ADOPTED)), None)
    print(f"({time.perf_counter() - began:.0f} s)")
    chosen = (
        f"adopted={adopted.split(' ')[0]} sum_mape={singles[adopted]:.2f}"
        if adopted
        else "adopted=not_run sum_mape=nan"
    )
    print(
        f"carbon_settings {chosen} best={best.split(' ')[0]} best_sum_mape={singles[best]:.2f}"
        f" regions={len(regions)} window={args.start}..{args.end}"
    )
    return 0
