"""Compute-job placement: the problem (jobs, regions, limits) and its validated, prepared form.

`ComputeJob`, `RegionSignal`, `JobProblem`, `JobSchedule`, the errors (`JobsInfeasible`,
`NoScheduleFound`) and `_prepare`: validation (each bad input named: job, region, constraint)
and every job's candidate options (non-interruptible starts, interruptible region choices and
run hours) with their CO2 and cost. See the package docstring for the model.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

import numpy as np
import polars as pl
from numpy.lib.stride_tricks import sliding_window_view

POWER_UNITS_PER_KW = 1_000  # watts
CO2_UNITS_PER_KG = 10_000  # 0.1 g
COST_UNITS_PER_USD = 100_000  # 0.001 US cent
_EPS = 1e-9

Objective = Literal["carbon", "cost"]


class JobsInfeasible(ValueError):
    """The jobs cannot all be placed. `problems` lists (job_id or None, constraint, detail)."""

    def __init__(self, problems: Sequence[tuple[str | None, str, str]]):
        self.problems = list(problems)
        lines = [
            f"job {job!r}: {constraint}: {detail}" if job is not None else f"{constraint}: {detail}"
            for job, constraint, detail in self.problems
        ]
        shown = lines[:20]
        if len(lines) > 20:
            shown.append(f"... and {len(lines) - 20} more")
        super().__init__("; ".join(shown))


class NoScheduleFound(RuntimeError):
    """Jobs were left out at the time limit and infeasibility is not proven (raise the limit, or
    pass `allow_partial=True` to get the partial schedule with the jobs listed)."""


@dataclass(frozen=True)
class ComputeJob:
    """A batch job. Power while running is `energy_kwh / duration_hours` kW.

    `deadline_hour` is exclusive: the job must finish by the start of that hour.
    `interruptible`: may run any `duration_hours` hours of its window, all in one region.
    `home_region` (where it runs today) must be one of `allowed_regions`.
    """

    job_id: str
    energy_kwh: float
    duration_hours: int
    earliest_start_hour: int
    deadline_hour: int
    allowed_regions: tuple[str, ...]
    home_region: str
    interruptible: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "allowed_regions", tuple(self.allowed_regions))
        if not (isinstance(self.energy_kwh, int | float) and self.energy_kwh > 0):
            raise ValueError(f"job {self.job_id!r}: energy_kwh must be > 0, got {self.energy_kwh}")
        if int(self.duration_hours) != self.duration_hours or self.duration_hours < 1:
            raise ValueError(
                f"job {self.job_id!r}: duration_hours must be a whole number >= 1, "
                f"got {self.duration_hours}"
            )
        if not self.allowed_regions:
            raise ValueError(f"job {self.job_id!r}: allowed_regions is empty")
        if self.home_region not in self.allowed_regions:
            raise ValueError(
                f"job {self.job_id!r}: home_region {self.home_region!r} is not in "
                f"allowed_regions {list(self.allowed_regions)}"
            )

    @property
    def power_kw(self) -> float:
        return self.energy_kwh / self.duration_hours


@dataclass(frozen=True)
class RegionSignal:
    """Hourly signals of one region; every array has one value per hour of the horizon."""

    region: str
    carbon_gco2_per_kwh: np.ndarray
    price_usd_per_kwh: np.ndarray | None
    capacity_kw: np.ndarray


@dataclass(frozen=True)
class JobProblem:
    """`hour_starts_utc`: consecutive hours (UTC; naive datetimes are read as UTC).
    `time_limit_s`: wall-clock budget of the whole solve (LP, heuristics and search).
    `num_workers`: CP-SAT threads. `allow_partial`: return the most jobs that fit instead of
    raising. `use_hint`: hint CP-SAT with the LP-rounding start. `log_search`: solver logs."""

    hour_starts_utc: Sequence[datetime] | pl.Series
    jobs: Sequence[ComputeJob]
    regions: Sequence[RegionSignal]
    objective: Objective = "carbon"
    carbon_cap_kg: float | None = None
    time_limit_s: float = 60.0
    num_workers: int = field(default_factory=lambda: min(8, os.cpu_count() or 1))
    # Stop when (objective - bound) / objective <= relative_gap_limit.
    relative_gap_limit: float = 1e-4
    allow_partial: bool = False
    # "auto": "cp-sat" for small problems, else "columns". See the package docstring.
    method: Literal["auto", "cp-sat", "highs-mip", "lp-lns", "columns"] = "auto"
    use_hint: bool = True
    log_search: bool = False


@dataclass(frozen=True)
class JobSchedule:
    """`placements`: one row per scheduled job. `hourly`: one row per job-hour. `load`: per
    region-hour load against capacity. `summary`: status, objective, bound, gap, times, model
    size, totals, unscheduled jobs (with reasons) and the baseline comparisons."""

    placements: pl.DataFrame
    hourly: pl.DataFrame
    load: pl.DataFrame
    summary: dict[str, Any]


# --------------------------------------------------------------------------------------------
# Preparation: validation and candidate options
# --------------------------------------------------------------------------------------------


@dataclass
class _Prepared:
    problem: JobProblem
    hours: pl.Series  # Datetime(us, UTC)
    region_names: list[str]
    carbon: np.ndarray  # (R, H) g/kWh
    price: np.ndarray  # (R, H) USD/kWh, NaN where missing
    has_price: np.ndarray  # (R,) bool
    capacity: np.ndarray  # (R, H) kW
    capacity_units: np.ndarray  # (R, H) int64 W, floored
    job_ids: list[str]
    power: np.ndarray  # (J,) kW
    power_units: np.ndarray  # (J,) int64 W, ceiled
    duration: np.ndarray  # (J,) int
    earliest: np.ndarray
    deadline: np.ndarray
    interruptible: np.ndarray  # (J,) bool
    home: np.ndarray  # (J,) region index
    allowed: list[np.ndarray]  # per job, region indices
    # non-interruptible options, grouped by job (job order)
    opt_job: np.ndarray
    opt_region: np.ndarray
    opt_start: np.ndarray
    opt_ptr: np.ndarray  # (J+1,)
    opt_co2: np.ndarray  # kg
    opt_cost: np.ndarray  # USD (NaN without price)
    # interruptible (job, region) choices, grouped by job; run hours grouped by choice
    ch_job: np.ndarray
    ch_region: np.ndarray
    ch_ptr: np.ndarray  # (J+1,)
    run_choice: np.ndarray
    run_hour: np.ndarray
    run_ptr: np.ndarray  # (n_choices+1,)
    run_co2: np.ndarray
    run_cost: np.ndarray
    no_fit: dict[int, str]  # job index -> why no option fits capacity (only with allow_partial)

    @property
    def n_jobs(self) -> int:
        return len(self.job_ids)

    @property
    def H(self) -> int:
        return self.carbon.shape[1]

    def n_options(self, j: int) -> int:
        if self.interruptible[j]:
            return int(self.ch_ptr[j + 1] - self.ch_ptr[j])
        return int(self.opt_ptr[j + 1] - self.opt_ptr[j])


def _hours_series(hour_starts: Sequence[datetime] | pl.Series) -> pl.Series:
    s = hour_starts if isinstance(hour_starts, pl.Series) else pl.Series(list(hour_starts))
    if len(s) == 0:
        raise ValueError("hour_starts_utc is empty")
    if not isinstance(s.dtype, pl.Datetime):
        raise ValueError(f"hour_starts_utc must hold datetimes, got {s.dtype}")
    if s.dtype.time_zone is None:
        s = s.dt.replace_time_zone("UTC")
    s = s.dt.convert_time_zone("UTC").dt.cast_time_unit("us").rename("hour_start_utc")
    if s.null_count():
        raise ValueError("hour_starts_utc has nulls")
    if len(s) > 1:
        steps = s.diff().drop_nulls().unique().to_list()
        if steps != [timedelta(hours=1)]:
            raise ValueError(f"hour_starts_utc must be consecutive hours, got steps {steps}")
    return s


def _region_array(values: Any, name: str, region: str, H: int) -> np.ndarray:
    a = np.asarray(values, dtype=float)
    if a.shape != (H,):
        raise ValueError(f"region {region!r}: {name} has shape {a.shape}, expected ({H},)")
    if not np.all(np.isfinite(a)):
        bad = int(np.flatnonzero(~np.isfinite(a))[0])
        raise ValueError(f"region {region!r}: {name} is not finite at hour {bad}")
    if np.any(a < 0):
        bad = int(np.flatnonzero(a < 0)[0])
        raise ValueError(f"region {region!r}: {name} is negative at hour {bad}")
    return a


def _prepare(problem: JobProblem) -> _Prepared:
    if problem.objective not in ("carbon", "cost"):
        raise ValueError(f"objective must be 'carbon' or 'cost', got {problem.objective!r}")
    hours = _hours_series(problem.hour_starts_utc)
    H = len(hours)
    names = [r.region for r in problem.regions]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate region names in {names}")
    R = len(names)
    carbon = np.zeros((R, H))
    price = np.full((R, H), np.nan)
    has_price = np.zeros(R, dtype=bool)
    capacity = np.zeros((R, H))
    for i, r in enumerate(problem.regions):
        carbon[i] = _region_array(r.carbon_gco2_per_kwh, "carbon_gco2_per_kwh", r.region, H)
        capacity[i] = _region_array(r.capacity_kw, "capacity_kw", r.region, H)
        if r.price_usd_per_kwh is not None:
            price[i] = _region_array(r.price_usd_per_kwh, "price_usd_per_kwh", r.region, H)
            has_price[i] = True
    capacity_units = np.floor(capacity * POWER_UNITS_PER_KW + _EPS).astype(np.int64)
    index = {n: i for i, n in enumerate(names)}

    jobs = list(problem.jobs)
    ids = [j.job_id for j in jobs]
    if len(set(ids)) != len(ids):
        seen: set[str] = set()
        dup = next(i for i in ids if i in seen or seen.add(i))
        raise ValueError(f"duplicate job_id {dup!r}")

    problems: list[tuple[str | None, str, str]] = []
    for job in jobs:
        unknown = [r for r in job.allowed_regions if r not in index]
        if unknown:
            problems.append(
                (job.job_id, "allowed region unknown", f"{unknown} not among regions {names}")
            )
        if job.earliest_start_hour < 0 or job.deadline_hour > H:
            problems.append(
                (
                    job.job_id,
                    "window outside horizon",
                    f"window [{job.earliest_start_hour}, {job.deadline_hour}) is not within "
                    f"hours [0, {H})",
                )
            )
        if job.deadline_hour - job.earliest_start_hour < job.duration_hours:
            problems.append(
                (
                    job.job_id,
                    "window shorter than duration",
                    f"window [{job.earliest_start_hour}, {job.deadline_hour}) has "
                    f"{job.deadline_hour - job.earliest_start_hour} h, job needs "
                    f"{job.duration_hours} h",
                )
            )
        if problem.objective == "cost" and not unknown:
            missing = [r for r in job.allowed_regions if not has_price[index[r]]]
            if missing:
                problems.append(
                    (job.job_id, "price missing", f"objective 'cost' needs prices for {missing}")
                )
    if problems:
        raise JobsInfeasible(problems)

    J = len(jobs)
    power = np.array([j.power_kw for j in jobs], dtype=float)
    power_units = np.ceil(power * POWER_UNITS_PER_KW - _EPS).astype(np.int64)
    duration = np.array([j.duration_hours for j in jobs], dtype=np.int64)
    earliest = np.array([j.earliest_start_hour for j in jobs], dtype=np.int64)
    deadline = np.array([j.deadline_hour for j in jobs], dtype=np.int64)
    interruptible = np.array([j.interruptible for j in jobs], dtype=bool)
    home = np.array([index[j.home_region] for j in jobs], dtype=np.int64)
    allowed = [
        np.array(sorted({index[r] for r in j.allowed_regions}), dtype=np.int64) for j in jobs
    ]

    carbon_cum = np.concatenate([np.zeros((R, 1)), np.cumsum(carbon, axis=1)], axis=1)
    price_cum = np.concatenate([np.zeros((R, 1)), np.cumsum(np.nan_to_num(price), axis=1)], axis=1)
    min_cap: dict[int, np.ndarray] = {}

    opt_parts: list[tuple[int, np.ndarray, np.ndarray]] = []
    opt_ptr = np.zeros(J + 1, dtype=np.int64)
    ch_parts: list[tuple[int, int]] = []
    ch_ptr = np.zeros(J + 1, dtype=np.int64)
    run_parts: list[np.ndarray] = []
    no_fit: dict[int, str] = {}
    n_opt = 0
    for j in range(J):
        d, es, dl, pu = int(duration[j]), int(earliest[j]), int(deadline[j]), power_units[j]
        regs = allowed[j]
        if not interruptible[j]:
            if d not in min_cap:
                min_cap[d] = sliding_window_view(capacity_units, d, axis=1).min(axis=2)
            starts = np.arange(es, dl - d + 1)
            fit = min_cap[d][np.ix_(regs, starts)] >= pu
            ri, si = np.nonzero(fit)
            if len(ri):
                opt_parts.append((j, regs[ri], starts[si]))
            n_opt += len(ri)
        else:
            for r in regs:
                hrs = np.arange(es, dl)
                hrs = hrs[capacity_units[r, hrs] >= pu]
                if len(hrs) >= d:
                    ch_parts.append((j, int(r)))
                    run_parts.append(hrs)
        opt_ptr[j + 1] = n_opt
        ch_ptr[j + 1] = len(ch_parts)
        if opt_ptr[j + 1] == opt_ptr[j] and ch_ptr[j + 1] == ch_ptr[j]:
            best = max(
                (float(capacity[r, es:dl].max()), names[r]) for r in regs
            )  # largest capacity anywhere in the window
            no_fit[j] = (
                f"no allowed region has {power[j]:.1f} kW free for "
                f"{'any' if interruptible[j] else 'consecutive'} {d} h in window [{es}, {dl}) "
                f"(largest capacity in the window: {best[0]:.1f} kW in {best[1]})"
            )
    if no_fit and not problem.allow_partial:
        raise JobsInfeasible(
            [(ids[j], "capacity (job does not fit anywhere)", why) for j, why in no_fit.items()]
        )

    if opt_parts:
        opt_job = np.concatenate([np.full(len(r), j, dtype=np.int64) for j, r, _ in opt_parts])
        opt_region = np.concatenate([r for _, r, _ in opt_parts]).astype(np.int64)
        opt_start = np.concatenate([s for _, _, s in opt_parts]).astype(np.int64)
    else:
        opt_job = opt_region = opt_start = np.zeros(0, dtype=np.int64)
    d_opt = duration[opt_job]
    opt_co2 = (
        power[opt_job]
        * (carbon_cum[opt_region, opt_start + d_opt] - carbon_cum[opt_region, opt_start])
        / 1000.0
    )
    opt_cost = power[opt_job] * (
        price_cum[opt_region, opt_start + d_opt] - price_cum[opt_region, opt_start]
    )
    opt_cost = np.where(has_price[opt_region], opt_cost, np.nan)

    ch_job = np.array([c[0] for c in ch_parts], dtype=np.int64)
    ch_region = np.array([c[1] for c in ch_parts], dtype=np.int64)
    run_ptr = np.zeros(len(ch_parts) + 1, dtype=np.int64)
    if run_parts:
        run_ptr[1:] = np.cumsum([len(h) for h in run_parts])
        run_hour = np.concatenate(run_parts).astype(np.int64)
        run_choice = np.repeat(np.arange(len(ch_parts)), np.diff(run_ptr))
    else:
        run_hour = run_choice = np.zeros(0, dtype=np.int64)
    run_region = ch_region[run_choice] if len(run_choice) else run_choice
    run_job = ch_job[run_choice] if len(run_choice) else run_choice
    run_co2 = power[run_job] * carbon[run_region, run_hour] / 1000.0
    run_cost = power[run_job] * price[run_region, run_hour]

    return _Prepared(
        problem=problem,
        hours=hours,
        region_names=names,
        carbon=carbon,
        price=price,
        has_price=has_price,
        capacity=capacity,
        capacity_units=capacity_units,
        job_ids=ids,
        power=power,
        power_units=power_units,
        duration=duration,
        earliest=earliest,
        deadline=deadline,
        interruptible=interruptible,
        home=home,
        allowed=allowed,
        opt_job=opt_job,
        opt_region=opt_region,
        opt_start=opt_start,
        opt_ptr=opt_ptr,
        opt_co2=opt_co2,
        opt_cost=opt_cost,
        ch_job=ch_job,
        ch_region=ch_region,
        ch_ptr=ch_ptr,
        run_choice=run_choice,
        run_hour=run_hour,
        run_ptr=run_ptr,
        run_co2=run_co2,
        run_cost=run_cost,
        no_fit=no_fit,
    )
