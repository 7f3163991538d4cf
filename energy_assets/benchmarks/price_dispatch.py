"""The decision value of price forecasts: a 100-home fleet and one household planned on each,
settled at the actual prices (the epftoolbox test period).

    energy-assets benchmark price-dispatch --data PJM.csv --published FORECASTS.csv
        [--forecasts data/benchmarks/epf/PJM/forecasts.csv] [--models ensemble]
        [--n-homes 100] [--seed 0] [--degradation-per-kwh 0.01] [--workers 1] [--out DIR]

For every day of the epf benchmark's test period (the days of `--forecasts`, the `forecasts.csv`
that `energy-assets benchmark epf` writes; run it first) that the published file covers, the
same fleet (`evaluation/price_dispatch.fleet_day`: `--n-homes` homes with PV and batteries made
from one real household year, seed `--seed`) and the same household (the default appliances,
`household_value_rows`) are planned with the cost objective on:

- each of `--models` (columns of `forecasts.csv`; default `ensemble`, our ensemble: the P50 of
  `forecasts/price_day_ahead`, computed by the same code),
- the published DNN ensemble forecast (`DNN Ensemble` of `--published`, Lago et al. 2021),
- the weekly naive forecast (the same hour of D-7),
- perfect foresight (the actual prices),

and each plan is settled at the actual prices against its baseline, idle batteries or the
appliances at their earliest start (`value_rows`, `household_value_rows`: the functions
`evaluation/price_dispatch_value` calls for one day). Printed: per schedule and plan, the days,
the total value (baseline cost - cost, in the market's currency), the share of perfect
foresight's total value it captured, the mean price MAE it was planned on, the batteries'
throughput and the days the plan lost money against the baseline; the last line sums it up. Outputs in `--out` (default `data/benchmarks/price_dispatch/<file stem>/`):
`days.csv` (one row per day and plan) and `summary.json`.

The market (time zone of its hours, currency) is the epftoolbox market of the file's stem
(`sources/epftoolbox.py` `MARKETS`, e.g. PJM: America/New_York, USD).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from energy_assets.evaluation import price_dispatch
from energy_assets.features.price import HOURS
from energy_assets.optimize.fleet_profiles import household_path, load_household_year
from energy_assets.sources.epftoolbox import market as epf_market
from energy_assets.sources.epftoolbox import parse_market_file, parse_published

PUBLISHED_COLUMN = "DNN Ensemble"
PUBLISHED = "published_dnn_ensemble"
NAIVE = "weekly_naive"
FLEET = "vpp_fleet_price_dispatch"
HOUSEHOLD = "household_price_load_shift"


def _by_day(frame: pl.DataFrame, column: str) -> dict:
    """date -> the day's 24 values of `column` (days with exactly 24 hours only)."""
    days = frame.select(pl.col("ts").dt.date().alias("day"), pl.col(column)).group_by(
        "day", maintain_order=True
    )
    return {
        day: part[column].to_numpy().astype(np.float64)
        for (day,), part in days
        if part.height == HOURS
    }


def day_inputs(
    market_file: Path, published_file: Path, forecasts_file: Path, models: Sequence[str]
) -> list[dict[str, Any]]:
    """Per test day: its date, actual prices and the 24 prices of each plan (models, the
    published DNN ensemble, the weekly naive)."""
    actual_frame = parse_market_file(market_file.read_bytes(), str(market_file))
    actual = _by_day(actual_frame.sort("ts"), "price")
    published = _by_day(
        parse_published(published_file.read_bytes(), str(published_file)).sort("ts"),
        PUBLISHED_COLUMN,
    )
    ours = pl.read_csv(forecasts_file, try_parse_dates=True).sort("ts")
    missing = [m for m in models if m not in ours.columns]
    if missing:
        raise ValueError(
            f"{forecasts_file}: no column {', '.join(missing)} (columns: {', '.join(ours.columns)})"
        )
    forecasts = {m: _by_day(ours, m) for m in models}
    check = _by_day(ours, "actual")
    days = []
    for day in sorted(forecasts[models[0]]):
        if day not in published or day not in actual:
            continue
        if not np.allclose(check[day], actual[day], atol=1e-6):
            raise ValueError(
                f"{forecasts_file}: the actual prices of {day} differ from {market_file}'s"
                " (forecasts of another file?)"
            )
        naive_day = day - dt.timedelta(days=7)
        plans = {m: forecasts[m][day] for m in models}
        plans[PUBLISHED] = published[day]
        if naive_day in actual:
            plans[NAIVE] = actual[naive_day]
        days.append({"day": day, "actual": actual[day], "plans": plans})
    return days


def _value_days(
    days: list[dict], tz: str, n_homes: int, seed: int, degradation: float, datasets: str
) -> list[dict]:
    household = load_household_year(household_path(Path(datasets)))
    rows = []
    for d in days:
        fleet = price_dispatch.fleet_day(d["day"], tz, household, n_homes, seed, degradation)
        plans = {name: (prices, None) for name, prices in d["plans"].items()}
        for row in price_dispatch.value_rows(fleet, d["actual"], plans):
            rows.append({"market_date": d["day"], "schedule": FLEET, **row})
        for row in price_dispatch.household_value_rows(d["day"], tz, d["actual"], plans):
            rows.append({"market_date": d["day"], "schedule": HOUSEHOLD, **row})
    return rows


def run_days(
    days: list[dict],
    tz: str,
    n_homes: int,
    seed: int,
    degradation: float,
    workers: int = 1,
    log: Callable[[str], None] | None = None,
) -> pl.DataFrame:
    """Every day's value rows (`price_dispatch.value_rows`, `household_value_rows`), in day
    order; the days in chunks of about a month (on `workers` processes when > 1), each chunk
    logged as it is done."""
    from energy_assets import settings

    datasets = str(settings.datasets_dir())
    chunks = [
        [days[i] for i in c]
        for c in np.array_split(np.arange(len(days)), max(1, len(days) // 30))
        if c.size
    ]
    args = (tz, n_homes, seed, degradation, datasets)
    rows: list[dict] = []

    def done(part: list[dict], chunk: list[dict]) -> None:
        rows.extend(part)
        if log:
            log(
                f"  {chunk[-1]['day']}: {sum(1 for r in rows if r['plan'] == 'baseline') // 2} days"
            )

    if workers <= 1:
        for chunk in chunks:
            done(_value_days(chunk, *args), chunk)
    else:
        import multiprocessing as mp

        with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
            futures = [pool.submit(_value_days, chunk, *args) for chunk in chunks]
            for chunk, future in zip(chunks, futures, strict=True):
                done(future.result(), chunk)
    return pl.DataFrame(rows, infer_schema_length=None).sort("market_date", maintain_order=True)


def summarize(frame: pl.DataFrame) -> pl.DataFrame:
    """Per schedule and plan over all days: total value, share of perfect foresight's total,
    price MAE, battery throughput, days the batteries moved, days the plan lost money."""
    parts = []
    for (schedule,), part in frame.group_by("schedule", maintain_order=True):
        parts.append(_summarize(part).select(pl.lit(schedule).alias("schedule"), pl.all()))
    return pl.concat(parts)


def _summarize(frame: pl.DataFrame) -> pl.DataFrame:
    perfect_total = float(
        frame.filter(pl.col("plan") == price_dispatch.PERFECT_FORESIGHT)["value"].sum()
    )
    return (
        frame.group_by("plan", maintain_order=True)
        .agg(
            pl.len().alias("days"),
            pl.col("value").sum().alias("value"),
            pl.col("value").mean().alias("value_per_day"),
            pl.col("degradation_cost").sum().alias("degradation_cost"),
            pl.col("price_mae_per_mwh").mean().alias("price_mae_per_mwh"),
            (pl.col("battery_throughput_kwh").fill_null(0).sum() / 1000).alias("throughput_mwh"),
            (pl.col("battery_throughput_kwh") > 1e-6).sum().alias("days_cycled"),
            (pl.col("value") < -1e-6).sum().alias("days_lost"),
        )
        .with_columns(
            (
                pl.col("value") / perfect_total
                if perfect_total > 0
                else pl.lit(None, dtype=pl.Float64)
            ).alias("share_of_perfect_foresight")
        )
    )


def _default_out(data: Path) -> Path:
    from energy_assets import settings

    return settings.data_dir() / "benchmarks" / "price_dispatch" / data.stem


def _default_forecasts(data: Path) -> Path:
    from energy_assets import settings

    return settings.data_dir() / "benchmarks" / "epf" / data.stem / "forecasts.csv"


def configure_parser(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Options of `energy-assets benchmark price-dispatch`."""
    parser.add_argument("--data", required=True, type=Path, help="epftoolbox market CSV")
    parser.add_argument(
        "--published", required=True, type=Path, help="published forecasts CSV (epftoolbox)"
    )
    parser.add_argument(
        "--forecasts",
        type=Path,
        help="forecasts.csv of `benchmark epf` (default data/benchmarks/epf/<file stem>/)",
    )
    parser.add_argument(
        "--models",
        default="ensemble",
        help="comma-separated columns of forecasts.csv to plan on (default: ensemble)",
    )
    parser.add_argument("--n-homes", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--degradation-per-kwh",
        type=float,
        default=price_dispatch.DEGRADATION_PER_KWH,
        help="battery wear per kWh charged and per kWh discharged, market currency",
    )
    parser.add_argument("--workers", type=int, default=1, help="processes (days split)")
    parser.add_argument("--days", type=int, help="only the first N test days (a quick look)")
    parser.add_argument("--out", type=Path, help="output folder")
    return parser


def run(args: argparse.Namespace) -> int:
    began = time.perf_counter()
    load_start = os.getloadavg()
    data = Path(args.data)
    forecasts = Path(args.forecasts) if args.forecasts else _default_forecasts(data)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    try:
        the_market = epf_market(data.stem)
        if not forecasts.is_file():
            raise ValueError(
                f"{forecasts} not found: run `energy-assets benchmark epf --data {data}` first"
                " (it writes the forecasts of the test period), or pass --forecasts"
            )
        days = day_inputs(data, Path(args.published), forecasts, models)
    except (KeyError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.days:
        days = days[: args.days]
    if not days:
        print(
            "error: no test day is covered by the forecasts and the published file", file=sys.stderr
        )
        return 2
    print(
        f"{the_market.code}: {len(days)} days {days[0]['day']}..{days[-1]['day']}, {args.n_homes}"
        f" homes (seed {args.seed}), plans {list(days[0]['plans'])} + perfect foresight,"
        f" {args.workers} process(es)",
        flush=True,
    )
    frame = run_days(
        days,
        the_market.timezone,
        args.n_homes,
        args.seed,
        args.degradation_per_kwh,
        args.workers,
        lambda line: print(line, flush=True),
    )
    summary = summarize(frame)
    seconds = time.perf_counter() - began
    cur = the_market.currency.lower()
    out = Path(args.out) if args.out else _default_out(data)
    out.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(price_dispatch.currency_columns(frame.to_dicts(), cur)).write_csv(out / "days.csv")
    info = {
        "market": the_market.code,
        "currency": the_market.currency,
        "data": str(data),
        "published": str(args.published),
        "forecasts": str(forecasts),
        "days": [str(days[0]["day"]), str(days[-1]["day"]), len(days)],
        "n_homes": args.n_homes,
        "seed": args.seed,
        "degradation_per_kwh": args.degradation_per_kwh,
        "summary": summary.to_dicts(),
        "seconds": seconds,
        "workers": args.workers,
        "load_average_start": load_start,
        "load_average_end": os.getloadavg(),
    }
    (out / "summary.json").write_text(json.dumps(info, indent=2, default=str) + "\n")
    c = the_market.currency
    for (schedule,), part in summary.group_by("schedule", maintain_order=True):
        print(
            f"\n{schedule:<24} {'days':>5} {'value ' + c:>11} {c + '/day':>8} {'share PF':>9}"
            f" {'MAE/MWh':>8} {'MWh cycled':>10} {'days lost':>9}"
        )
        for r in part.iter_rows(named=True):
            share = r["share_of_perfect_foresight"]
            mae = r["price_mae_per_mwh"]
            print(
                f"  {r['plan']:<22} {r['days']:>5} {r['value']:>11.2f} {r['value_per_day']:>8.3f}"
                f" {'' if share is None else f'{share:.1%}':>9}"
                f" {'' if mae is None else f'{mae:.3f}':>8}"
                f" {r['throughput_mwh']:>10.1f} {r['days_lost']:>9}"
            )
    print(f"outputs in {out}")
    print(_last_line(summary, models, c, len(days), seconds))
    return 0


def _last_line(
    summary: pl.DataFrame, models: list[str], currency: str, days: int, seconds: float
) -> str:
    """`price-dispatch USD fleet: ensemble=<value>(<share>) ... household: ... days=<n> seconds=<s>`"""
    parts = [f"price-dispatch {currency}"]
    for (schedule,), part in summary.group_by("schedule", maintain_order=True):
        by = {r["plan"]: r for r in part.iter_rows(named=True)}
        parts.append("fleet:" if schedule == FLEET else "household:")
        for name in [*models, PUBLISHED, NAIVE, price_dispatch.PERFECT_FORESIGHT]:
            if name not in by:
                continue
            share = by[name]["share_of_perfect_foresight"]
            shown = (
                ""
                if share is None or name == price_dispatch.PERFECT_FORESIGHT
                else f"({share:.3f})"
            )
            parts.append(f"{name}={by[name]['value']:.2f}{shown}")
    return " ".join(parts) + f" days={days} seconds={seconds:.0f}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = configure_parser(
        argparse.ArgumentParser(
            prog="python -m energy_assets.benchmarks.price_dispatch", description=__doc__
        )
    )
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
