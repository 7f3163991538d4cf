"""Small compute-job instances for the tests (`test_compute_jobs.py`, `test_compute_job_columns.py`):
hourly regions, jobs and problems from T0 (UTC), and the check every schedule must pass.
Synthetic benchmark-size instances are `energy_assets.benchmarks.job_instances`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from energy_assets.optimize.compute_jobs import ComputeJob, JobProblem, RegionSignal

T0 = datetime(2025, 6, 1, tzinfo=UTC)


def hours(n: int) -> list[datetime]:
    return [T0 + timedelta(hours=h) for h in range(n)]


def region(name, carbon, capacity=1_000.0, price=None) -> RegionSignal:
    carbon = np.asarray(carbon, dtype=float)
    cap = np.full(len(carbon), capacity) if np.isscalar(capacity) else np.asarray(capacity, float)
    return RegionSignal(
        region=name,
        carbon_gco2_per_kwh=carbon,
        price_usd_per_kwh=None if price is None else np.asarray(price, dtype=float),
        capacity_kw=cap,
    )


def job(job_id, energy=100.0, duration=1, start=0, deadline=6, allowed=("a", "b"), home="a", **kw):
    return ComputeJob(job_id, energy, duration, start, deadline, tuple(allowed), home, **kw)


def problem(jobs, regions, n_hours=6, **kw) -> JobProblem:
    kw.setdefault("time_limit_s", 10.0)
    kw.setdefault("num_workers", 2)
    return JobProblem(hour_starts_utc=hours(n_hours), jobs=jobs, regions=regions, **kw)


def placement(schedule, job_id) -> dict:
    rows = schedule.placements.filter(pl.col("job_id") == job_id).to_dicts()
    assert len(rows) == 1, f"{job_id} not placed exactly once"
    return rows[0]


def assert_valid(pb: JobProblem, schedule) -> None:
    """Capacity, windows, allowed regions, durations, energy and one region per job all hold;
    the hourly CO2 adds up to each placement's and the placements' to the total."""
    jobs = {j.job_id: j for j in pb.jobs}
    for row in schedule.placements.iter_rows(named=True):
        j = jobs[row["job_id"]]
        hrs = row["hours"]
        assert row["region"] in j.allowed_regions
        assert len(hrs) == j.duration_hours == len(set(hrs))
        assert j.earliest_start_hour <= min(hrs) and max(hrs) < j.deadline_hour
        if not j.interruptible:
            assert hrs == list(range(hrs[0], hrs[0] + j.duration_hours))
        assert row["energy_kwh"] == pytest.approx(j.energy_kwh)
    load = schedule.load
    assert (load["load_kw"] <= load["capacity_kw"] + 1e-6).all()
    hourly = schedule.hourly.group_by("job_id").agg(pl.col("co2_kg").sum())
    merged = schedule.placements.join(hourly, on="job_id", suffix="_h")
    assert np.allclose(merged["co2_kg"], merged["co2_kg_h"])
    assert schedule.summary["total_co2_kg"] == pytest.approx(schedule.placements["co2_kg"].sum())
    if pb.carbon_cap_kg is not None:
        assert schedule.summary["total_co2_kg"] <= pb.carbon_cap_kg + 1e-9
