"""Carbon-aware compute-job placement: known answers, infeasibility, baselines, large-scale path."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest
from compute_job_builders import T0, assert_valid, hours, job, placement, problem, region

from energy_assets.benchmarks.job_instances import synthetic_job_problem
from energy_assets.optimize.compute_jobs import (
    JobProblem,
    JobsInfeasible,
    best_window_per_job,
    run_now_baseline,
    solve_jobs,
)

# ---------------------------------------------------------------- known answers


def test_single_job_goes_to_least_carbon_region_hour():
    regions = [
        region("a", [300, 250, 200, 260, 280, 300]),
        region("b", [400, 90, 350, 80, 120, 500]),
    ]
    pb = problem([job("j1", energy=50.0)], regions)
    s = solve_jobs(pb)
    p = placement(s, "j1")
    assert (p["region"], p["hours"]) == ("b", [3])
    assert p["start_utc"] == T0 + timedelta(hours=3)
    assert p["end_utc"] == T0 + timedelta(hours=4)
    assert p["co2_kg"] == pytest.approx(50.0 * 80 / 1000)
    assert s.summary["status"] == "optimal"
    assert s.summary["gap"] == 0.0
    assert_valid(pb, s)


def test_capacity_forces_second_job_elsewhere():
    regions = [
        region("a", [100, 100, 100, 100], capacity=150.0),
        region("b", [50, 50, 50, 50], capacity=150.0),
    ]
    jobs = [
        job("j1", energy=200.0, duration=2, deadline=4),
        job("j2", energy=200.0, duration=2, deadline=4),
    ]
    # each job draws 100 kW for 2 h; "b" has room for one job at a time, and both windows
    # [0, 4) allow running one after the other in "b"
    s = solve_jobs(problem(jobs, regions, n_hours=4))
    assert sorted(s.placements["region"].to_list()) == ["b", "b"]
    hrs = sorted(tuple(h) for h in s.placements["hours"].to_list())
    assert hrs == [(0, 1), (2, 3)]
    # now both must run in hours [0, 2): the second one goes to "a"
    jobs = [job(f"j{i}", energy=200.0, duration=2, deadline=2) for i in (1, 2)]
    pb = problem(jobs, regions, n_hours=4)
    s = solve_jobs(pb)
    assert sorted(s.placements["region"].to_list()) == ["a", "b"]
    assert s.summary["total_co2_kg"] == pytest.approx((200 * 50 + 200 * 100) / 1000)
    assert_valid(pb, s)
    bw = s.summary["best_window_per_job"]
    assert bw["capacity_violations"]["overloaded_region_hours"] == 2
    assert bw["capacity_violations"]["max_overload_kw"] == pytest.approx(50.0)
    assert bw["total_co2_kg"] == pytest.approx(20.0)  # both in "b": a lower bound
    assert bw["total_co2_kg"] <= s.summary["total_co2_kg"]


def test_interruptible_job_picks_the_cheapest_hours():
    carbon = [500, 100, 400, 120, 450, 110, 600, 480]
    regions = [region("a", carbon)]
    flexible = job("flex", energy=30.0, duration=3, deadline=8, allowed=("a",), interruptible=True)
    rigid = job("rigid", energy=30.0, duration=3, deadline=8, allowed=("a",))
    s = solve_jobs(problem([flexible, rigid], regions, n_hours=8))
    assert placement(s, "flex")["hours"] == [1, 3, 5]
    assert placement(s, "flex")["co2_kg"] == pytest.approx(10.0 * (100 + 120 + 110) / 1000)
    # best 3 consecutive hours: 1-3 (620) vs 3-5 (680) vs ...
    assert placement(s, "rigid")["hours"] == [1, 2, 3]
    p = placement(s, "flex")
    assert p["start_utc"] == T0 + timedelta(hours=1) and p["end_utc"] == T0 + timedelta(hours=6)


def test_lp_bound_of_an_interruptible_job_split_over_regions_is_the_integral_optimum():
    # Without z <= y, the LP takes half of region a and half of b, each running its one clean
    # hour at full power: 10 kW x (10 + 10) g = 0.2 kg. With it, the bound is the true 10.1 kg.
    regions = [region("a", [10, 1000]), region("b", [10, 1000])]
    flexible = job("flex", energy=20.0, duration=2, deadline=2, interruptible=True)
    s = solve_jobs(problem([flexible], regions, n_hours=2, method="lp-lns", num_workers=1))
    assert s.summary["details"]["lp"]["bound"] == pytest.approx(10.1)
    assert s.summary["objective_value"] == pytest.approx(10.1)


def test_cost_objective_under_carbon_cap_differs_from_carbon_objective():
    # "clean" is low-carbon but expensive, "cheap" is dirty but cheap
    regions = [
        region("clean", [50.0] * 4, price=[0.30] * 4),
        region("cheap", [500.0] * 4, price=[0.05] * 4),
    ]
    jobs = [
        job(f"j{i}", energy=100.0, deadline=4, allowed=("clean", "cheap"), home="cheap")
        for i in range(3)
    ]
    carbon = solve_jobs(problem(jobs, regions, n_hours=4))
    assert set(carbon.placements["region"]) == {"clean"}
    assert carbon.summary["total_co2_kg"] == pytest.approx(15.0)

    cost_free = solve_jobs(problem(jobs, regions, n_hours=4, objective="cost"))
    assert set(cost_free.placements["region"]) == {"cheap"}
    assert cost_free.summary["total_cost_usd"] == pytest.approx(15.0)

    # cap 110 kg: at most 2 jobs in "cheap" (2 * 50 + 5 = 105 kg); 3 would be 150 kg
    pb = problem(jobs, regions, n_hours=4, objective="cost", carbon_cap_kg=110.0)
    capped = solve_jobs(pb)
    assert sorted(capped.placements["region"].to_list()) == ["cheap", "cheap", "clean"]
    assert capped.summary["total_co2_kg"] == pytest.approx(105.0)
    assert capped.summary["total_cost_usd"] == pytest.approx(5 + 5 + 30)
    assert capped.summary["objective"] == "cost"
    assert capped.summary["objective_value"] == pytest.approx(40.0)
    assert_valid(pb, capped)


def test_cost_objective_needs_prices():
    regions = [region("a", [100.0] * 4, price=[0.1] * 4), region("b", [100.0] * 4)]
    with pytest.raises(JobsInfeasible, match="j1.*price missing.*'b'"):
        solve_jobs(problem([job("j1", deadline=4)], regions, n_hours=4, objective="cost"))


# ---------------------------------------------------------------- infeasible sets


def test_carbon_cap_below_any_schedule_raises_naming_the_cap():
    regions = [region("a", [100.0] * 4), region("b", [200.0] * 4)]
    jobs = [job("j1", energy=100.0, deadline=4), job("j2", energy=100.0, deadline=4)]
    with pytest.raises(JobsInfeasible, match="carbon cap.*at least 20.000 kg.*cap of 15.000 kg"):
        solve_jobs(problem(jobs, regions, n_hours=4, carbon_cap_kg=15.0))


def test_carbon_cap_partial_lists_the_unscheduled_job():
    regions = [region("a", [100.0] * 4), region("b", [200.0] * 4)]
    jobs = [job("small", energy=50.0, deadline=4), job("big", energy=300.0, deadline=4)]
    pb = problem(jobs, regions, n_hours=4, carbon_cap_kg=20.0, allow_partial=True)
    s = solve_jobs(pb)
    assert s.summary["status"] == "partial"
    assert s.placements["job_id"].to_list() == ["small"]
    assert s.summary["n_scheduled"] == 1 and not s.summary["all_scheduled"]
    (u,) = s.summary["unscheduled"]
    assert u["job_id"] == "big" and u["constraint"] == "carbon cap"
    assert "proven minimal" in u["reason"]
    assert_valid(pb, s)


def test_capacity_infeasible_set_raises_or_returns_partial():
    regions = [region("a", [100.0] * 3, capacity=120.0), region("b", [50.0] * 3, capacity=120.0)]
    jobs = [job(f"j{i}", energy=100.0, deadline=1) for i in range(3)]  # 3 x 100 kW in hour 0
    with pytest.raises(JobsInfeasible, match=r"job 'j\d': capacity: .*proven minimal"):
        solve_jobs(problem(jobs, regions, n_hours=3))
    pb = problem(jobs, regions, n_hours=3, allow_partial=True)
    s = solve_jobs(pb)
    assert s.summary["n_scheduled"] == 2
    assert sorted(s.placements["region"].to_list()) == ["a", "b"]
    assert [u["constraint"] for u in s.summary["unscheduled"]] == ["capacity"]
    assert s.summary["unscheduled_proven_minimal"] is True
    assert_valid(pb, s)


# ---------------------------------------------------------------- up-front errors


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (job("late", duration=3, start=4, deadline=6), r"'late': window shorter than duration"),
        (job("far", start=2, deadline=9), r"'far': window outside horizon"),
        (job("mars", allowed=("a", "mars")), r"'mars': allowed region unknown: \['mars'\]"),
        (job("huge", energy=5_000.0), r"'huge': capacity \(job does not fit anywhere\).*5000.0 kW"),
    ],
)
def test_up_front_infeasibility_names_the_job(bad, message):
    regions = [region("a", [100.0] * 6), region("b", [100.0] * 6)]
    with pytest.raises(JobsInfeasible, match=message):
        solve_jobs(problem([job("ok"), bad], regions))


def test_job_that_never_fits_is_listed_with_allow_partial():
    regions = [region("a", [100.0] * 6), region("b", [100.0] * 6)]
    pb = problem([job("ok"), job("huge", energy=5_000.0)], regions, allow_partial=True)
    s = solve_jobs(pb)
    assert s.placements["job_id"].to_list() == ["ok"]
    assert s.summary["unscheduled"][0]["job_id"] == "huge"
    assert (
        "does not fit" in s.summary["unscheduled"][0]["reason"]
        or "no allowed region" in (s.summary["unscheduled"][0]["reason"])
    )


def test_malformed_inputs_raise_value_error():
    with pytest.raises(ValueError, match="home_region 'c' is not in allowed_regions"):
        job("j", home="c")
    with pytest.raises(ValueError, match="energy_kwh must be > 0"):
        job("j", energy=0.0)
    with pytest.raises(ValueError, match="duplicate job_id 'j'"):
        solve_jobs(problem([job("j"), job("j")], [region("a", [1.0] * 6), region("b", [1.0] * 6)]))
    with pytest.raises(ValueError, match="shape"):
        solve_jobs(problem([job("j")], [region("a", [1.0] * 5), region("b", [1.0] * 6)]))
    with pytest.raises(ValueError, match="consecutive hours"):
        JobProblem(hours(3)[::-1], [], [])  # constructing is fine; solving validates
        solve_jobs(JobProblem(hours(3)[::-1], [], [region("a", [1.0] * 3)]))


# ---------------------------------------------------------------- synthetic problems


def test_synthetic_generator_is_deterministic_and_realistic():
    a = synthetic_job_problem(200, 9, 48, seed=7)
    b = synthetic_job_problem(200, 9, 48, seed=7)
    c = synthetic_job_problem(200, 9, 48, seed=8)
    assert a.jobs == b.jobs and a.jobs != c.jobs
    assert all(
        np.array_equal(x.carbon_gco2_per_kwh, y.carbon_gco2_per_kwh)
        for x, y in zip(a.regions, b.regions, strict=True)
    )
    assert len(a.regions) == 9 and len(a.hour_starts_utc) == 48
    durations = [j.duration_hours for j in a.jobs]
    assert min(durations) >= 1 and max(durations) <= 8
    assert all(j.deadline_hour - j.earliest_start_hour >= j.duration_hours for j in a.jobs)
    share = np.mean([j.interruptible for j in a.jobs])
    assert 0.2 < share < 0.4
    carbon = {r.region: r.carbon_gco2_per_kwh for r in a.regions}
    assert carbon["eu-north"].mean() < 100 < carbon["us-central"].mean()
    assert carbon["us-west"].max() - carbon["us-west"].min() > 100  # solar duck curve
    assert all(r.price_usd_per_kwh is not None for r in a.regions)


@pytest.fixture(scope="module")
def synthetic_50():
    pb = synthetic_job_problem(
        50, 9, 48, seed=3, time_limit_s=20, num_workers=2, relative_gap_limit=1e-3
    )
    return pb, solve_jobs(pb)


def test_synthetic_50_jobs_solves_and_beats_run_now(synthetic_50):
    pb, s = synthetic_50
    sm = s.summary
    assert sm["method"] == "cp-sat"
    assert sm["all_scheduled"] and sm["n_scheduled"] == 50
    assert sm["status"] in {"optimal", "optimal_within_gap_limit"}
    assert sm["gap"] <= 1e-3 + 1e-12
    assert_valid(pb, s)
    run_now = run_now_baseline(pb)
    best = best_window_per_job(pb)
    assert run_now == {**sm["run_now"]}
    assert best["total_co2_kg"] == pytest.approx(sm["best_window_per_job"]["total_co2_kg"])
    # best-window ignores capacity: a lower bound; running now is far worse
    assert best["total_co2_kg"] <= sm["total_co2_kg"] + 1e-6
    assert sm["total_co2_kg"] < 0.8 * run_now["total_co2_kg"]
    assert sm["saving_vs_run_now_pct"] > 20
    assert sm["capacity_violations"]["overloaded_region_hours"] == 0
    assert sm["model"]["bool_vars"] > 0 and sm["model"]["capacity_rows"] > 0
    assert sm["start_heuristic"]["total_co2_kg"] >= sm["total_co2_kg"] - 1e-6


def test_lns_path_on_synthetic_matches_exact_within_reason(synthetic_50):
    pb, exact = synthetic_50

    lns_pb = replace(pb, method="lp-lns", time_limit_s=6)
    s = solve_jobs(lns_pb)
    sm = s.summary
    assert sm["method"] == "lp-lns" and sm["all_scheduled"]
    assert_valid(lns_pb, s)
    assert sm["best_bound"] is not None and sm["best_bound"] <= sm["objective_value"] + 1e-6
    assert sm["best_bound"] <= exact.summary["objective_value"] + 1e-6  # LP bound is a bound
    assert sm["objective_value"] >= exact.summary["best_bound"] - 1e-6
    assert sm["objective_value"] <= 1.05 * exact.summary["objective_value"]
    assert sm["details"]["lns"]["iterations"] >= 1


def test_highs_mip_method_gives_the_known_answer():
    regions = [
        region("a", [100, 100, 100, 100], capacity=150.0),
        region("b", [50, 50, 50, 50], capacity=150.0),
    ]
    jobs = [job(f"j{i}", energy=200.0, duration=2, deadline=2) for i in (1, 2)]
    pb = problem(jobs, regions, n_hours=4, method="highs-mip")
    s = solve_jobs(pb)
    assert sorted(s.placements["region"].to_list()) == ["a", "b"]
    assert s.summary["total_co2_kg"] == pytest.approx(30.0)
    assert s.summary["status"] == "optimal"


def test_frames_have_the_documented_columns(synthetic_50):
    _, s = synthetic_50
    assert s.placements.columns == [
        "job_id",
        "region",
        "home_region",
        "interruptible",
        "start_utc",
        "end_utc",
        "hours",
        "delay_hours",
        "power_kw",
        "energy_kwh",
        "co2_kg",
        "cost_usd",
    ]
    assert s.hourly.columns == [
        "job_id",
        "region",
        "hour",
        "hour_start_utc",
        "power_kw",
        "energy_kwh",
        "co2_kg",
        "cost_usd",
    ]
    assert s.hourly["energy_kwh"].sum() == pytest.approx(s.placements["energy_kwh"].sum())
    assert s.load.height == 9 * 48


def test_lns_with_cost_objective_respects_the_carbon_cap():
    base = synthetic_job_problem(150, 9, 48, seed=5)
    run_now = run_now_baseline(base)["total_co2_kg"]
    pb = synthetic_job_problem(
        150,
        9,
        48,
        seed=5,
        objective="cost",
        carbon_cap_kg=0.6 * run_now,
        method="lp-lns",
        time_limit_s=4,
        num_workers=2,
    )
    s = solve_jobs(pb)
    sm = s.summary
    assert sm["all_scheduled"] and sm["objective"] == "cost"
    assert_valid(pb, s)
    assert sm["total_co2_kg"] <= 0.6 * run_now + 1e-9
    assert sm["objective_value"] == pytest.approx(sm["total_cost_usd"])
    assert sm["best_bound"] <= sm["objective_value"] + 1e-6
    # the LP-rounding start for cost runs out of cap here; the least-carbon start places all
    assert sm["details"]["start"]["unscheduled_jobs"] == 0
