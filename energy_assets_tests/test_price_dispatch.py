"""The fleet on prices (`evaluation/price_dispatch.py`) on real PJM days (through the datasets
setting): slot prices on the market's clock, idle batteries worth 0, perfect foresight worth at
least any forecast's plan, and `benchmark price-dispatch` runs the same function."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
import pytest

from energy_assets.benchmarks import price_dispatch as bench
from energy_assets.evaluation import price_dispatch
from energy_assets.optimize.fleet_profiles import household_path, load_household_year
from energy_assets.sources import epftoolbox

PJM = epftoolbox.market("PJM")
# a calm winter day, spring-forward (92 slots), a volatile summer day, fall-back (100 slots),
# and the cold snap of January 2018 (a 110 USD/MWh spread)
DAYS = ("2017-01-10", "2017-03-12", "2017-07-19", "2017-11-05", "2018-01-05")


@pytest.fixture(scope="module")
def files(datasets: Path) -> dict[str, Path]:
    paths = {"data": datasets / PJM.file, "published": datasets / str(PJM.published)}
    household = household_path(datasets)
    for path in (*paths.values(), household):
        if not path.is_file():
            pytest.skip(f"{path} not found")
    return {**paths, "household": household}


@pytest.fixture(scope="module")
def slice_(files) -> dict:
    rows = epftoolbox.parse_market_file(files["data"].read_bytes(), "PJM")
    published = epftoolbox.parse_published(files["published"].read_bytes(), "published")
    household = load_household_year(files["household"])

    def day(frame: pl.DataFrame, column: str, d: dt.date) -> np.ndarray:
        return frame.filter(pl.col("ts").dt.date() == d).sort("ts")[column].to_numpy()

    out = {}
    for text in DAYS:
        d = dt.date.fromisoformat(text)
        fleet = price_dispatch.fleet_day(d, PJM.timezone, household)
        actual = day(rows, "price", d)
        plans = {
            "published_dnn_ensemble": (day(published, "DNN Ensemble", d), None),
            "weekly_naive": (day(rows, "price", d - dt.timedelta(days=7)), None),
            "flat": (np.full(24, float(actual.mean())), None),
        }
        out[text] = (fleet, actual, price_dispatch.value_rows(fleet, actual, plans))
    return out


def test_slot_prices_follow_the_market_clock(slice_) -> None:
    hourly = np.arange(24, dtype=float) * 10
    for text, slots, used in (
        ("2017-01-10", 96, list(range(24))),
        ("2017-03-12", 92, [h for h in range(24) if h != 2]),  # 02:00 does not exist
        ("2017-11-05", 100, list(range(24))),  # 01:00 twice: 8 slots at hour 1's price
    ):
        fleet = slice_[text][0]
        assert len(fleet.slots) == slots
        assert all(s.tzinfo == dt.UTC for s in fleet.slots)
        prices = price_dispatch.slot_prices(fleet.slots, fleet.tz, hourly)
        assert sorted(set((prices * 1000 / 10).round().astype(int))) == used
        # the first slot is local midnight of the market day
        local = fleet.slots[0].astimezone(ZoneInfo(PJM.timezone))
        assert (local.date().isoformat(), local.hour) == (text, 0)
    fall_back = price_dispatch.slot_prices(slice_["2017-11-05"][0].slots, PJM.timezone, hourly)
    assert (fall_back == 0.01).sum() == 8
    with pytest.raises(ValueError, match="expected 24 hourly prices"):
        price_dispatch.slot_prices(slice_["2017-01-10"][0].slots, PJM.timezone, hourly[:23])


def test_idle_batteries_are_worth_nothing_and_perfect_foresight_the_most(slice_) -> None:
    for text, (_, _, rows) in slice_.items():
        by = {r["plan"]: r for r in rows}
        assert list(by) == [
            "baseline",
            "published_dnn_ensemble",
            "weekly_naive",
            "flat",
            "perfect_foresight",
        ]
        base = by["baseline"]
        assert base["value"] == 0 and base["battery_throughput_kwh"] == 0
        assert base["cost"] == base["baseline_cost"] and base["degradation_cost"] == 0
        best = by["perfect_foresight"]["value"]
        assert best >= 0, text
        for name, row in by.items():
            assert row["value"] <= best + 0.02, (text, name)  # the LP's tie-break, tolerances
            assert row["perfect_foresight_value"] == best
            assert row["cost"] == pytest.approx(row["energy_cost"] + row["degradation_cost"])
        # planned on the actual prices, the plan's planned cost is its realized cost
        pf = by["perfect_foresight"]
        assert pf["planned_cost"] == pytest.approx(pf["cost"]) and pf["price_mae_per_mwh"] == 0
        # a flat forecast sees no spread: the batteries stay idle
        assert by["flat"]["battery_throughput_kwh"] < 1e-6 and abs(by["flat"]["value"]) < 1e-6
    cold = {r["plan"]: r for r in slice_["2018-01-05"][2]}
    assert cold["perfect_foresight"]["value"] > 10  # a 110 USD/MWh spread is worth cycling
    assert 0 < cold["published_dnn_ensemble"]["share_of_perfect_foresight"] <= 1
    calm = {r["plan"]: r for r in slice_["2017-01-10"][2]}
    # a 16 USD/MWh spread does not pay for 2 x 10 USD/MWh of wear plus ~10 % losses
    assert calm["perfect_foresight"]["value"] < price_dispatch.MIN_PERFECT_VALUE
    assert calm["published_dnn_ensemble"]["share_of_perfect_foresight"] is None


def test_the_household_on_prices(slice_) -> None:
    for text, (fleet, actual, _) in slice_.items():
        day = fleet.market_date
        dnn = slice_[text][2][1]["price_mae_per_mwh"]  # planned on the DNN forecast
        assert dnn is not None
        rows = price_dispatch.household_value_rows(
            day, PJM.timezone, actual, {"flat": (np.full(24, float(actual.mean())), None)}
        )
        by = {r["plan"]: r for r in rows}
        assert list(by) == ["baseline", "flat", "perfect_foresight"]
        assert by["baseline"]["value"] == 0
        best = by["perfect_foresight"]["value"]
        assert best > 0, text  # on these days the earliest starts are not the cheapest hours
        assert all(r["value"] <= best + 1e-6 for r in rows), text
        assert by["perfect_foresight"]["battery_throughput_kwh"] is None
        # planned on the actual prices, the plan's planned cost is its realized cost
        pf = by["perfect_foresight"]
        assert pf["planned_cost"] == pytest.approx(pf["cost"])


def test_a_stored_schedule_settles_as_it_was_solved(slice_) -> None:
    fleet, actual, _ = slice_["2017-07-19"]
    schedule = price_dispatch.plan_fleet(fleet, actual)
    arrays = price_dispatch.schedule_arrays(schedule.per_home.reverse(), fleet)  # any row order
    settled = price_dispatch.settle(fleet, **arrays, hourly_per_mwh=actual)
    assert settled.energy_cost == pytest.approx(schedule.summary["optimized_cost_usd"], abs=1e-6)
    assert settled.degradation_cost == pytest.approx(
        schedule.summary["degradation_cost_usd"], abs=1e-6
    )
    price_dispatch.check_fleet(fleet, schedule.per_home)
    other = price_dispatch.FleetDay(**{**fleet.__dict__, "seed": 1, "homes": fleet.homes[::-1]})
    with pytest.raises(ValueError, match="no row for home"):
        price_dispatch.schedule_arrays(schedule.per_home.head(10), other)
    with pytest.raises(ValueError, match="does not match the fleet rebuilt from seed"):
        price_dispatch.check_fleet(other, schedule.per_home.with_columns(pl.col("load_kw") * 1.1))


def test_the_benchmark_values_days_with_the_same_function(files, slice_, tmp_path: Path) -> None:
    published = epftoolbox.parse_published(files["published"].read_bytes(), "published")
    # a forecasts.csv as `benchmark epf` writes it, its `ensemble` here the published LEAR's
    days = [dt.date(2018, 1, 4), dt.date(2018, 1, 5)]
    forecasts = published.filter(pl.col("ts").dt.date().is_in(days)).select(
        "ts", pl.col("Real price").alias("actual"), pl.col("LEAR Ensemble").alias("ensemble")
    )
    path = tmp_path / "forecasts.csv"
    forecasts.write_csv(path, datetime_format="%Y-%m-%d %H:%M:%S")
    parser = bench.configure_parser(argparse.ArgumentParser())
    out = tmp_path / "out"
    args = parser.parse_args(
        ["--data", str(files["data"]), "--published", str(files["published"]),
         "--forecasts", str(path), "--out", str(out)]
    )  # fmt: skip
    assert bench.run(args) == 0
    table = pl.read_csv(out / "days.csv", try_parse_dates=True)
    # 2 days x 2 schedules x (baseline, ensemble, DNN, naive, perfect foresight)
    assert table.height == 2 * 2 * 5
    assert {"value_usd", "perfect_foresight_value_usd", "price_mae_usd_per_mwh"} <= set(
        table.columns
    )
    # the benchmark's row for the DNN plan of 2018-01-05 is the graph's function's
    row = table.filter(
        (pl.col("market_date") == days[1])
        & (pl.col("plan") == "published_dnn_ensemble")
        & (pl.col("schedule") == "vpp_fleet_price_dispatch")
    ).row(0, named=True)
    direct = {r["plan"]: r for r in slice_["2018-01-05"][2]}["published_dnn_ensemble"]
    assert row["value_usd"] == pytest.approx(direct["value"], abs=1e-6)
    assert bench.price_dispatch is price_dispatch
    missing = parser.parse_args(
        ["--data", str(files["data"]), "--published", str(files["published"]),
         "--forecasts", str(tmp_path / "none.csv"), "--out", str(out)]
    )  # fmt: skip
    assert bench.run(missing) == 2
