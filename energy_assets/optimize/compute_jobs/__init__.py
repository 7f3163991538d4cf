"""Carbon-aware placement of compute jobs across regions and hours (pure: numpy, polars, OR-Tools,
highspy).

Modules, one stage each: `problem` (inputs, validation, candidate options), `baselines`
(evaluation, run-now / best-window baselines, greedy and LP-rounding starts), `model` (the 0/1
model as solver-neutral rows), `backends` (CP-SAT, HiGHS), `columns` (column generation over
whole job schedules: bound and dive), `rounding` (the hour-indexed LP's dive), `neighbourhood`
(large neighbourhood search), `solve` (`solve_jobs`). The synthetic instance generator is
`energy_assets.benchmarks.job_instances`.

Problem
-------
`H` hourly steps (`hour_starts_utc`, typically the 48-hour day-ahead horizon), hours indexed
`0..H-1`. Each region has a P50 carbon-intensity forecast (gCO2/kWh), an optional price (USD/kWh)
and the data-centre capacity (kW) per hour. Each job has a total energy (kWh), a whole number of
run hours `duration_hours`, a window `[earliest_start_hour, deadline_hour)` (deadline exclusive),
the regions it may run in and its home region. A job draws constant power
`energy_kwh / duration_hours` kW in every hour it runs.

- A non-interruptible job runs `duration_hours` consecutive hours in one region.
- An interruptible job runs any `duration_hours` hours of its window (not necessarily
  consecutive), all in ONE region: no migration mid-job (state would have to be moved between
  data centres). It may pause and resume; checkpoint/restart overheads are not modelled.
- Per region and hour, the summed power of the jobs running there must not exceed `capacity_kw`.
- Optional `carbon_cap_kg` bounds the total CO2 of the whole set.
- Objective `"carbon"`: least total CO2. Objective `"cost"`: least total cost (every region a job
  may use must then have prices), usually together with `carbon_cap_kg`.

Formulation (0/1 program; CP-SAT, or HiGHS through highspy)
-----------------------------------------------------------
- Non-interruptible job j: one boolean `x[j,r,s]` per allowed region r and start s with
  `earliest <= s <= deadline - duration`, pruned up front where the job's power does not fit the
  region's capacity in some hour of `[s, s+duration)`.
- Interruptible job j: one boolean `y[j,r]` per allowed region, one boolean `z[j,r,t]` per hour t
  of the window where the job's power fits the capacity (regions with fewer than `duration`
  such hours are pruned); `sum_t z[j,r,t] == duration * y[j,r]`.
- One skip boolean `s[j]` per job: `exactly_one(x[j,.,.] or y[j,.] or s[j])`. A skip costs more
  than every job's worst option together, so the optimum schedules as many jobs as possible
  first, then minimises the objective (the lexicographic "partial" answer in one solve).
- Capacity, per region-hour: `sum power_j * (x covering t + z[j,r,t]) <= capacity[r,t]`; rows
  that cannot be exceeded even if every candidate runs there are left out.
- Carbon cap: `sum co2 * (x, z) <= cap`. Objective: CO2 (or cost) of the options (x) and hours (z).

Integer scaling (CP-SAT needs integer coefficients):
- power and capacity in watts: power rounded UP, capacity rounded DOWN, so an integer-feasible
  schedule never overloads a data centre in real (float) terms;
- CO2 in units of 0.1 g (`CO2_UNITS_PER_KG = 10_000`): objective coefficients rounded to nearest,
  coefficients of the carbon-cap row rounded UP and the cap rounded DOWN (the cap is never
  exceeded in float terms; at worst it is 0.05 g per option too strict);
- cost in units of 0.001 US cent (`COST_UNITS_PER_USD = 100_000`), rounded to nearest.
Reported totals are recomputed in floating point from the schedule, not from the scaled objective.
The HiGHS models get the same integer rows (capacity scaled to kW) and float objectives.

Methods (`JobProblem.method`)
-----------------------------
- `"cp-sat"`: the whole model in CP-SAT, hinted with an LP-rounding start; the gap is CP-SAT's
  own. Proves optimality quickly up to ~100 jobs; at 1,000 jobs on 2 cores its presolve alone
  takes ~30 s and the gap stays at tens of percent after 60 s (measured).
- `"highs-mip"`: the whole model as a MIP in HiGHS (highspy, no start given). Good
  bounds, but at 1,000 jobs its root cut loop used the whole 60 s (measured gap 37%).
- `"lp-lns"`: (1) LP relaxation in HiGHS (highspy dual simplex, ~2-3 s at 1,000 jobs x 9
  regions x 48 h) gives the lower bound (its dual objective from the row duals); (2) the start
  is the better of LP rounding (jobs the LP is surest about first, each to its largest-LP-value
  option that fits) and LP diving (`rounding.py`: fix the surest jobs, re-solve the LP warm,
  repeat); (3) large neighbourhood search: CP-SAT re-solves ~15-100 jobs at a time with the
  others fixed (their load taken off the capacity, their CO2 off the cap), neighbourhoods around
  unscheduled/high-regret jobs' best windows, busy region-hours, LP disagreements and at random,
  accepting strict improvements. The reported gap is against the LP bound, so it is honest but
  pessimistic: on the 1,000-job benchmark instance the LP bound is 90,341 kg while HiGHS' root
  cuts lift the bound to 91,767 kg (~50 s, measured). (That bound is nearly tight; what fell
  short was the schedule: its rounding and dive fix the LP's whole jobs first, most of them
  small, and the large fractional ones then go to dirty regions: 94,274 kg at best in 30 s.)
- `"columns"`: (1) the same LP as column generation (`columns.py`: a column is one job's whole
  schedule; pricing picks each job's best region and start, or best run hours, under the
  capacity duals), ~4x faster, its bound a Lagrangian one from the duals (valid at every
  iteration); (2) a dive that fixes the jobs with few ways left to fit and then the largest
  jobs first, re-solving the LP after each round (again in smaller steps while a dive leaves a
  job out); (3) the neighbourhood search above from that start until the gap limit. 1,000 jobs:
  92,270 kg against the bound 91,763 kg (gap 0.55 %) in ~10 s on a loaded 2-core machine.
- `"auto"` (default): `"cp-sat"` up to `AUTO_EXACT_MAX_JOBS` jobs and `AUTO_EXACT_MAX_VARS`
  booleans, else `"columns"`.

Infeasibility
-------------
Detected up front, raised as `JobsInfeasible` naming the job and constraint: unknown region,
window outside the horizon or shorter than the duration, no allowed region/time where the job's
power fits the capacity, missing prices for the cost objective, carbon cap below the least CO2 the
jobs could emit each in its best window ignoring capacity. When the set as a whole cannot be
placed (capacity or cap), `allow_partial=False` raises `JobsInfeasible` naming each job left out
and the binding constraint when the solve proves the number of unscheduled jobs minimal, and
`NoScheduleFound` when jobs are left out at the time limit without such a proof;
`allow_partial=True` returns the partial schedule (most jobs first, then the objective) with
`summary["unscheduled"]` listing every job left out, the constraint and why, and
`summary["unscheduled_proven_minimal"]`. Nothing is dropped silently.

Baselines
---------
`run_now_baseline`: every job starts at its earliest start in its home region and runs
consecutively. `best_window_per_job`: every job independently takes its best (region, start) (the
best hours in one region if interruptible) for the problem's objective, ignoring capacity and the
cap: what a per-job carbon-aware SDK returns. Its total is a lower bound of the optimum; both report
how much capacity they violate.
"""

from energy_assets.optimize.compute_jobs.baselines import best_window_per_job, run_now_baseline
from energy_assets.optimize.compute_jobs.problem import (
    CO2_UNITS_PER_KG,
    COST_UNITS_PER_USD,
    POWER_UNITS_PER_KW,
    ComputeJob,
    JobProblem,
    JobSchedule,
    JobsInfeasible,
    NoScheduleFound,
    Objective,
    RegionSignal,
)
from energy_assets.optimize.compute_jobs.solve import (
    AUTO_EXACT_MAX_JOBS,
    AUTO_EXACT_MAX_VARS,
    solve_jobs,
)

__all__ = [
    "AUTO_EXACT_MAX_JOBS",
    "AUTO_EXACT_MAX_VARS",
    "CO2_UNITS_PER_KG",
    "COST_UNITS_PER_USD",
    "POWER_UNITS_PER_KW",
    "ComputeJob",
    "JobProblem",
    "JobSchedule",
    "JobsInfeasible",
    "NoScheduleFound",
    "Objective",
    "RegionSignal",
    "best_window_per_job",
    "run_now_baseline",
    "solve_jobs",
]
