"""The compute-job set a data-centre operator submits for one market day.

Jobs are drawn with `benchmarks.job_instances.synthetic_job_problem` (power lognormal, median 80 kW; 1-8 h;
windows with slack; 30% interruptible; deterministic per seed) and re-homed onto real regions:
each job's home is the partition's region and it may run in any region that has a carbon
forecast for the day (the job's own `allowed_regions` draw is kept in spirit: jobs pinned to one
region stay home). Data-centre capacity per region and hour is the generator's, `capacity_headroom` (default 3) times the
mean load of the jobs over the day.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime

import numpy as np

from energy_assets.benchmarks.job_instances import synthetic_job_problem
from energy_assets.optimize.compute_jobs import ComputeJob, RegionSignal


def region_job_set(
    hour_starts_utc: Sequence[datetime],
    home_region: str,
    carbon_by_region: dict[str, np.ndarray],
    n_jobs: int,
    seed: int,
    capacity_headroom: float = 3.0,
) -> tuple[list[ComputeJob], list[RegionSignal]]:
    regions = list(carbon_by_region)
    synthetic = synthetic_job_problem(
        n_jobs,
        n_regions=1,
        hours=len(hour_starts_utc),
        seed=seed,
        start_utc=hour_starts_utc[0],
        capacity_headroom=capacity_headroom,
    )
    capacity = synthetic.regions[0].capacity_kw
    jobs = [
        dataclasses.replace(
            job,
            home_region=home_region,
            allowed_regions=(home_region,) if len(job.allowed_regions) == 1 else tuple(regions),
        )
        for job in synthetic.jobs
    ]
    signals = [
        RegionSignal(
            region=r,
            carbon_gco2_per_kwh=carbon_by_region[r],
            price_usd_per_kwh=None,
            capacity_kw=capacity,
        )
        for r in regions
    ]
    return jobs, signals
