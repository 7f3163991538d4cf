"""Column generation for compute jobs (`optimize/compute_jobs/columns.py`): the columns are the
0/1 model's schedules, the Lagrangian bound is a bound, and the "columns" method's schedules."""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import pytest
from compute_job_builders import assert_valid, job, problem, region

from energy_assets.benchmarks.job_instances import synthetic_job_problem
from energy_assets.optimize.compute_jobs import (
    JobsInfeasible,
    NoScheduleFound,
    solve_jobs,
)
from energy_assets.optimize.compute_jobs.backends import _solve_lp
from energy_assets.optimize.compute_jobs.baselines import _evaluate, _greedy
from energy_assets.optimize.compute_jobs.columns import (
    ColumnGeneration,
    _lagrangian,
    column_of,
    global_lp_values,
)
from energy_assets.optimize.compute_jobs.model import _build, _check_rows, _global_values
from energy_assets.optimize.compute_jobs.neighbourhood import _job_objective
from energy_assets.optimize.compute_jobs.problem import (
    CO2_UNITS_PER_KG,
    POWER_UNITS_PER_KW,
    _prepare,
)


def tight(n, seed, **kw):
    """Synthetic instance with little capacity headroom, so that capacity binds."""
    kw.setdefault("time_limit_s", 20.0)
    kw.setdefault("num_workers", 2)
    return synthetic_job_problem(n, 4, 24, seed, capacity_headroom=1.2, **kw)


def exact(pb):
    """The optimum, by CP-SAT (proven to its integer objective's rounding: gap <= 1e-6)."""
    s = solve_jobs(replace(pb, method="cp-sat", relative_gap_limit=0.0))
    assert s.summary["all_scheduled"] and s.summary["gap"] <= 1e-6
    return s.summary["objective_value"]


def generated(pb, seconds=20.0) -> ColumnGeneration:
    prep = _prepare(pb)
    cg = ColumnGeneration(prep, np.arange(prep.n_jobs), seeds=[_greedy(prep)])
    assert cg.solve(time.perf_counter() + seconds) == "OPTIMAL"
    return cg


@pytest.mark.parametrize(
    ("seed", "kw"),
    [
        (0, {}),
        (1, {"interruptible_share": 0.6}),
        (2, {"objective": "cost", "carbon_cap_kg": 1.0e9}),
    ],
)
def test_lagrangian_bound_is_below_the_optimum_for_any_duals(seed, kw):
    pb = tight(40, seed, **kw)
    if "carbon_cap_kg" in kw:  # a cap that binds: 2 % above the least CO2 schedule
        least = solve_jobs(replace(pb, objective="carbon", carbon_cap_kg=None, method="cp-sat"))
        pb = replace(pb, carbon_cap_kg=1.02 * least.summary["objective_value"])
    optimum = exact(pb)
    cg = generated(pb)
    assert cg.bound <= optimum + 1e-6
    assert cg.bound == pytest.approx(cg.lp_value, rel=1e-6)
    # the bound holds for any nonnegative duals, not just the LP's
    prep, rng = cg.prep, np.random.default_rng(seed)
    for scale in (0.0, 0.1, 1.0, 10.0):
        mu = scale * rng.exponential(size=prep.capacity.shape) / 1000.0
        nu = 0.0 if cg.cap_units is None else scale * rng.exponential()
        priced = cg.pricer.price(mu, nu)
        bound = _lagrangian(prep, priced, cg.jobs, mu, nu, cg.big, cg.cap_kw, cg.cap_units)
        assert bound <= optimum + 1e-6


def test_column_lp_equals_the_hour_indexed_lp():
    pb = tight(60, 3)
    prep = _prepare(pb)
    hour_lp = _solve_lp(prep, np.arange(prep.n_jobs), 20.0, log=False)
    cg = generated(pb)
    assert cg.lp_value == pytest.approx(hour_lp.bound, rel=1e-6)
    assert cg.bound == pytest.approx(hour_lp.bound, rel=1e-6)
    # the column LP in the model's layout meets the model's rows (fractionally)
    x, _ = cg.values()
    values = global_lp_values(prep, cg.pool, x)
    m = _build(prep, np.arange(prep.n_jobs), skips=False)
    local = values[m.gvar]
    for _one, v, k, lo, hi in m.rows:
        total = float(np.dot(local[v], k))
        assert lo - 1e-6 * max(1, abs(lo)) <= total <= hi + 1e-6 * max(1, abs(hi))


def test_every_column_is_a_schedule_of_the_model_with_its_objective():
    pb = tight(60, 4, carbon_cap_kg=1.0e9)
    cg = generated(pb)
    prep, pool = cg.prep, cg.pool
    for k in range(len(pool)):
        j, r, hrs = pool.job[k], pool.region[k], pool.hours[k]
        assert r in prep.allowed[j].tolist()
        assert len(hrs) == prep.duration[j] == len(set(hrs.tolist()))
        assert prep.earliest[j] <= hrs.min() and hrs.max() < prep.deadline[j]
        if not prep.interruptible[j]:
            assert np.array_equal(hrs, np.arange(hrs[0], hrs[0] + prep.duration[j]))
        assert (prep.capacity_units[r, hrs] >= prep.power_units[j]).all()
        same = column_of(prep, cg.pricer, j, r, hrs)
        assert same is not None and same[1] == pytest.approx(pool.obj[k])
        assert same[2] == pool.co2_units[k]
        assert pool.obj[k] == pytest.approx(_job_objective(prep, j, (r, hrs)))
        # CO2 units: the model's cap row coefficients (rounded up per option or run hour)
        assert pool.co2_units[k] >= pool.obj[k] * CO2_UNITS_PER_KG - 1e-6
    # master rows are the model's: kW from integer watts
    assert np.array_equal(cg.cap_kw, prep.capacity_units / POWER_UNITS_PER_KW)


def test_dive_gives_a_schedule_that_meets_the_models_rows():
    pb = tight(80, 5)
    cg = generated(pb)
    assign, stats = cg.dive(time.perf_counter() + 20.0)
    prep = cg.prep
    assert all(a is not None for a in assign)
    assert stats["rounds"] >= 1 and stats["lost"] == 0
    m = _build(prep, np.arange(prep.n_jobs), skips=True)
    _check_rows(m, _global_values(prep, assign)[m.gvar])  # raises on a violated row
    ev = _evaluate(prep, assign)
    assert ev["capacity_violations"]["overloaded_region_hours"] == 0
    assert ev["total_co2_kg"] >= cg.bound - 1e-6


@pytest.fixture(scope="module")
def synthetic_50():
    pb = synthetic_job_problem(
        50, 9, 48, seed=3, time_limit_s=20, num_workers=2, relative_gap_limit=1e-3
    )
    return pb, solve_jobs(pb)


def test_columns_method_on_synthetic_agrees_with_the_exact_solve(synthetic_50):
    pb, ex = synthetic_50
    cols = replace(pb, method="columns", time_limit_s=6)
    s = solve_jobs(cols)
    sm = s.summary
    assert sm["method"] == "columns" and sm["all_scheduled"]
    assert_valid(cols, s)
    # the column LP's bound, or CP-SAT's once the search's neighbourhood is the whole problem
    assert sm["bound_source"].startswith(("column generation", "cp-sat"))
    assert sm["details"]["lp"]["bound"] <= ex.summary["objective_value"] + 1e-6
    assert sm["best_bound"] <= ex.summary["objective_value"] + 1e-6
    assert sm["objective_value"] >= ex.summary["best_bound"] - 1e-6
    assert sm["objective_value"] <= 1.02 * ex.summary["objective_value"]
    assert sm["objective_value"] == pytest.approx(sm["total_co2_kg"])
    assert sm["objective_value"] == pytest.approx(s.placements["co2_kg"].sum())
    assert sm["details"]["start"]["how"] == "column dive"
    assert sm["details"]["columns"]["iterations"] >= 1


def test_auto_uses_columns_above_the_exact_size():
    pb = synthetic_job_problem(
        300, 9, 48, seed=0, time_limit_s=20, num_workers=2, relative_gap_limit=0.01
    )
    s = solve_jobs(pb)
    sm = s.summary
    assert sm["method"] == "columns"
    assert sm["status"] == "optimal_within_gap_limit" and sm["gap"] <= 0.01
    assert_valid(pb, s)


def test_time_limit_reports_the_incumbent_and_its_gap_not_optimal():
    pb = synthetic_job_problem(
        300, 9, 48, seed=1, time_limit_s=1.0, num_workers=1, relative_gap_limit=0.0
    )
    pb = replace(pb, method="columns", allow_partial=True)
    s = solve_jobs(pb)
    sm = s.summary
    assert sm["status"] in {"feasible", "partial"}
    if sm["status"] == "feasible":
        assert sm["gap"] is None or sm["gap"] > 0.0
        if sm["best_bound"] is not None:
            assert sm["best_bound"] <= sm["objective_value"] + 1e-6
    assert_valid(pb, s)


def test_lp_bound_of_an_interruptible_job_split_over_regions_is_the_integral_optimum():
    regions = [region("a", [10, 1000]), region("b", [10, 1000])]
    flexible = job("flex", energy=20.0, duration=2, deadline=2, interruptible=True)
    s = solve_jobs(problem([flexible], regions, n_hours=2, method="columns", num_workers=1))
    assert s.summary["details"]["lp"]["bound"] == pytest.approx(10.1)
    assert s.summary["objective_value"] == pytest.approx(10.1)


def test_capacity_infeasible_set_stays_an_error_or_a_listed_partial():
    regions = [region("a", [100.0] * 3, capacity=120.0), region("b", [50.0] * 3, capacity=120.0)]
    jobs = [job(f"j{i}", energy=100.0, deadline=1) for i in range(3)]  # 3 x 100 kW in hour 0
    with pytest.raises((JobsInfeasible, NoScheduleFound), match=r"j\d"):
        solve_jobs(problem(jobs, regions, n_hours=3, method="columns"))
    pb = problem(jobs, regions, n_hours=3, allow_partial=True, method="columns")
    s = solve_jobs(pb)
    assert s.summary["status"] == "partial" and s.summary["n_scheduled"] == 2
    assert [u["constraint"] for u in s.summary["unscheduled"]] == ["capacity"]
    assert_valid(pb, s)
