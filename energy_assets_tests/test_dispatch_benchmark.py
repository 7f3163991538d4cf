"""Dispatch benchmark: the PuLP + CBC formulations are the same models as ours (equal optima)."""

from __future__ import annotations

import argparse
import json
import re
from datetime import date, time

import numpy as np
import pytest

from energy_assets.benchmarks import dispatch
from energy_assets.benchmarks.pulp_models import solve_fleet_pulp, solve_household_pulp
from energy_assets.optimize.fleet import Battery, FleetProblem, Home, solve_fleet
from energy_assets.optimize.household import (
    Appliance,
    HouseholdProblem,
    local_day_slots,
    local_window_slots,
    solve_household,
)

TIME_LIMIT = 30.0


@pytest.mark.parametrize("n", [1, 3])
def test_household_ours_and_cbc_agree(n):
    res = dispatch.run_household(n, seed=0, time_limit_s=TIME_LIMIT)
    assert res["ours"]["status_counts"] == {"optimal": n}
    assert res["pulp"]["status_counts"] == {"optimal": n}
    cmp = res["comparison"]
    assert cmp["both_optimal"] == n and cmp["agree"], cmp
    assert cmp["max_rel_diff"] <= dispatch.HOUSEHOLD_RTOL
    assert res["ours"]["objective_total"] < res["ours"]["baseline_objective_total"]
    assert len(res["items"]) == n


def test_household_instances_deterministic_and_diverse():
    a = dispatch.household_instances(3, seed=0, time_limit_s=5)
    b = dispatch.household_instances(5, seed=0, time_limit_s=5)
    c = dispatch.household_instances(3, seed=1, time_limit_s=5)
    for x, y in zip(a, b[:3], strict=True):  # household i does not depend on N
        assert x.carbon_gco2_per_kwh == y.carbon_gco2_per_kwh
    assert a[0].carbon_gco2_per_kwh != a[1].carbon_gco2_per_kwh
    assert a[0].carbon_gco2_per_kwh != c[0].carbon_gco2_per_kwh
    for p in a:
        assert len(p.slot_starts_utc) == 96
        carbon = np.array(p.carbon_gco2_per_kwh)
        assert 20 <= carbon.min() < carbon.max() < 800
        assert carbon[48:60].mean() < carbon[76:84].mean()  # solar midday dip < evening peak


def test_household_formulation_with_every_feature():
    """Import limit, start-up costs, min on/off, a range-power block, an energy-sized fixed
    appliance and a wrapping window: both models find the same optimum."""
    tz = "Europe/Berlin"
    slots = local_day_slots(date(2024, 3, 5), tz)
    n = len(slots)
    rng = np.random.default_rng(5)
    price = list(0.25 + 0.1 * np.sin(np.arange(n) / 8) + rng.normal(0, 0.02, n))
    carbon = list(300 + 120 * np.cos(np.arange(n) / 10) + rng.normal(0, 15, n))
    appliances = [
        Appliance("dishwasher", 1.8, duration_slots=8, startup_cost=0.3),
        Appliance(
            "heat_pump",
            2.0,
            energy_kwh=6.0,
            interruptible=True,
            min_on_slots=3,
            min_off_slots=4,
            startup_cost=0.05,
        ),
        Appliance(
            "ev",
            7.2,
            min_power_kw=1.4,
            energy_kwh=9.0,
            allowed_slots=local_window_slots(slots, tz, time(18), time(7)),
            startup_cost=0.1,
        ),
        Appliance(
            "boiler",
            3.0,
            min_power_kw=1.0,
            energy_kwh=5.0,
            interruptible=True,
            min_on_slots=2,
            min_off_slots=2,
            earliest_start_slot=10,
            latest_end_slot=80,
        ),
    ]
    for objective in ("cost", "blend"):
        problem = HouseholdProblem(
            slot_starts_utc=slots,
            slot_minutes=15,
            appliances=appliances,
            price_usd_per_kwh=price,
            carbon_gco2_per_kwh=carbon,
            objective=objective,
            import_limit_kw=7.5,
            time_limit_s=TIME_LIMIT,
        )
        ours = solve_household(problem).summary
        theirs = solve_household_pulp(problem, TIME_LIMIT)
        assert ours["status"] == "OPTIMAL" and theirs.status == "optimal"
        assert theirs.objective == pytest.approx(ours["objective"], rel=dispatch.HOUSEHOLD_RTOL)
        assert theirs.extra["starts"] == ours["optimized_starts"]


def test_household_pulp_respects_time_limit():
    # CBC cut short in pre-processing sometimes says "infeasible": it must read as a time limit.
    problem = dispatch.household_instances(1, seed=0, time_limit_s=5)[0]
    for _ in range(4):
        res = solve_household_pulp(problem, 0.01)
        assert res.status in {"time limit", "time limit (no solution)"}, res.extra
        assert res.solve_s < 10


@pytest.fixture(scope="module")
def household_data(datasets):
    return dispatch._household_year()


@pytest.mark.parametrize("n", [1, 3])
def test_fleet_ours_and_cbc_agree(household_data, n):
    res = dispatch.run_fleet(n, seed=0, time_limit_s=TIME_LIMIT)
    assert res["ours"]["status"] == "optimal"
    assert res["pulp"]["status"] == "optimal"
    assert res["comparison"]["agree"], res["comparison"]
    assert res["comparison"]["max_rel_diff"] <= dispatch.FLEET_RTOL
    assert res["ours"]["build_s"] >= 0 and res["pulp"]["build_s"] > 0


def test_fleet_export_limit_binds(household_data):
    problem, limit, peak = dispatch.fleet_instance(10, seed=0, time_limit_s=TIME_LIMIT)
    assert limit is not None and 0 < limit < peak
    res = dispatch.run_fleet(10, seed=0, time_limit_s=TIME_LIMIT, pulp=False)
    assert res["ours"]["export_limit_binding"]
    assert res["ours"]["max_fleet_export_kw"] <= limit + 1e-4


def test_fleet_formulation_variants():
    """Equal import/export price (no split), carbon objective, both feeder limits."""
    T = 24
    slots = local_day_slots(date(2024, 6, 5), "UTC", 60)
    rng = np.random.default_rng(2)
    homes = []
    for i in range(4):
        pv = np.clip(4 * np.sin(np.pi * (np.arange(T) - 6) / 12), 0, None) * (i % 2)
        load = 0.5 + rng.uniform(0, 1.5, T)
        batt = (
            Battery(10, 4, 4, 0.93, 0.96, 1.0, 9.5, 5.0, 6.0, degradation_cost_usd_per_kwh=0.02)
            if i < 3
            else None
        )
        homes.append(Home(f"h{i}", load, pv, batt))
    price = 0.1 + 0.2 * rng.random(T)
    carbon = 200 + 300 * rng.random(T)
    for kw in (
        {"objective": "cost", "feeder_import_limit_kw": 4.0, "feeder_export_limit_kw": 1.0},
        {"objective": "carbon", "carbon_credit_exports": False, "feeder_import_limit_kw": 5.0},
        {"objective": "cost", "export_price_usd_per_kwh": 0.5 * price, "tie_break_usd_per_kwh": 0},
    ):
        problem = FleetProblem(slots, 60, homes, price, carbon, time_limit_s=TIME_LIMIT, **kw)
        ours = solve_fleet(problem).summary
        theirs = solve_fleet_pulp(problem, TIME_LIMIT)
        assert theirs.status == "optimal"
        assert theirs.objective == pytest.approx(ours["objective"], rel=1e-6, abs=1e-6), kw


def test_jobs_small():
    res = dispatch.run_jobs(5, seed=0, time_limit_s=TIME_LIMIT)
    ours = res["ours"]
    assert ours["status"] in {"optimal", "optimal_within_gap_limit", "feasible"}
    assert ours["n_scheduled"] == 5
    assert ours["total_co2_kg"] <= res["run_now"]["total_co2_kg"] + 1e-9
    assert ours["total_co2_kg"] >= res["best_window_per_job"]["total_co2_kg"] - 1e-6


def test_run_writes_json_and_prints_table(household_data, tmp_path, capsys):
    parser = dispatch.configure_parser(argparse.ArgumentParser())
    out = tmp_path / "dispatch.json"
    args = parser.parse_args(
        [
            "--sizes",
            "1",
            "--kinds",
            "household,fleet",
            "--time-limit",
            "30",
            "--fleet-extra-sizes",
            "none",
            "--out",
            str(out),
        ]
    )
    assert dispatch.run(args) == 0
    printed = capsys.readouterr().out
    last = printed.strip().splitlines()[-1]
    assert re.fullmatch(
        r"dispatch fleet1000_s=na fleet1000_gap=na fleet10000_s=na jobs1000_s=na "
        r"jobs1000_gap=na household_ms=[0-9.]+ pulp_min_ratio=[0-9.]+",
        last,
    ), last
    assert "load average before" in printed
    assert "| kind | N |" in printed
    assert "| household | 1 |" in printed and "| fleet | 1 |" in printed
    report = json.loads(out.read_text())
    assert [(r["kind"], r["n"]) for r in report["results"]] == [("household", 1), ("fleet", 1)]
    assert report["disagreements"] == []
    for r in report["results"]:
        assert r["comparison"]["agree"]
        assert r["pulp"]["time_limit_s"] == 30


def test_parser_rejects_bad_kinds():
    parser = dispatch.configure_parser(argparse.ArgumentParser())
    with pytest.raises(SystemExit):
        parser.parse_args(["--kinds", "household,nope"])
    args = parser.parse_args([])
    assert args.sizes == [1, 10, 100, 1000] and args.kinds == ["household", "fleet", "jobs"]


def test_summary_line_takes_the_named_sizes_and_the_smallest_ratio():
    def fleet(n, wall, gap, ratio):
        return {
            "kind": "fleet",
            "n": n,
            "ours": {"wall_s": wall, "gap": gap},
            "comparison": None if ratio is None else {"ratio_wall": ratio},
        }

    results = [
        {  # one household end to end: the figure the line reports
            "kind": "household",
            "n": 1,
            "ours": {"batch_wall_s": 0.0031, "wall_s": {"median": 0.0029}},
            "comparison": {"ratio_wall": 14.0},
        },
        {  # a batch's per-household time in its worker is not that figure
            "kind": "household",
            "n": 1000,
            "ours": {"batch_wall_s": 0.39, "wall_s": {"median": 0.0005}},
            "comparison": {"ratio_wall": 150.0},
        },
        fleet(1000, 1.5, 4e-7, 9.0),
        fleet(10_000, 12.25, 5e-7, None),
        {"kind": "jobs", "n": 1000, "ours": {"wall_s": 30.1, "gap": 0.05}},
    ]
    assert dispatch.summary_line(results) == (
        "dispatch fleet1000_s=1.500 fleet1000_gap=4.00e-07 fleet10000_s=12.250 "
        "jobs1000_s=30.100 jobs1000_gap=0.0500 household_ms=3.100 pulp_min_ratio=9.00"
    )
