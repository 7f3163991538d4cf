"""Synthetic compute-job problems (deterministic per seed) for the benchmark, tests and the graph's
daily job sets (`optimize/job_sets.py`).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from energy_assets.optimize.compute_jobs.problem import (
    ComputeJob,
    JobProblem,
    Objective,
    RegionSignal,
)

# name, UTC offset (h), base gCO2/kWh, solar dip, evening peak, wind noise, price USD/kWh
_ARCHETYPES: list[tuple[str, int, float, float, float, float, float]] = [
    ("us-west", -8, 300.0, 190.0, 70.0, 25.0, 0.11),
    ("us-east", -5, 400.0, 50.0, 60.0, 30.0, 0.09),
    ("eu-central", 1, 380.0, 160.0, 60.0, 90.0, 0.16),
    ("eu-north", 1, 30.0, 5.0, 10.0, 8.0, 0.05),
    ("us-central", -6, 480.0, 40.0, 40.0, 110.0, 0.06),
    ("eu-west", 1, 70.0, 15.0, 30.0, 15.0, 0.12),
    ("uk", 0, 210.0, 50.0, 50.0, 70.0, 0.18),
    ("asia-east", 9, 470.0, 90.0, 50.0, 25.0, 0.14),
    ("australia-se", 10, 560.0, 260.0, 80.0, 60.0, 0.10),
    ("india", 5, 650.0, 110.0, 40.0, 30.0, 0.07),
    ("canada-east", -5, 35.0, 5.0, 15.0, 10.0, 0.06),
    ("us-south", -6, 390.0, 130.0, 60.0, 90.0, 0.07),
]


def _continent(name: str) -> str:
    return "eu" if name.startswith(("eu", "uk")) else name.split("-")[0]


def synthetic_job_problem(
    n_jobs: int,
    n_regions: int = 9,
    hours: int = 48,
    seed: int = 0,
    *,
    objective: Objective = "carbon",
    carbon_cap_kg: float | None = None,
    capacity_headroom: float = 2.0,
    interruptible_share: float = 0.3,
    start_utc: datetime = datetime(2025, 6, 1, tzinfo=UTC),
    time_limit_s: float = 60.0,
    **problem_kwargs: Any,
) -> JobProblem:
    """Deterministic synthetic instance.

    Regions follow archetypes (solar-heavy duck curves, wind-driven, hydro/nuclear-flat,
    coal-heavy) shifted to their local time, with day-to-day cloudiness and AR(1) wind noise; prices
    are only loosely tied to carbon. Jobs: power lognormal (median 80 kW), durations 1-8 h, windows
    of 0-36 h slack mostly starting on the first day, 20% pinned to their home region, 40% to
    their continent, the rest anywhere; `interruptible_share` interruptible. Data-centre capacity
    is `capacity_headroom` x the mean load per region (varied by region, with a maintenance dip in
    some), and at least 1.5x the largest job.
    """
    rng = np.random.default_rng(seed)
    arche = [_ARCHETYPES[i % len(_ARCHETYPES)] for i in range(n_regions)]
    names = [
        a[0] if i < len(_ARCHETYPES) else f"{a[0]}-{i // len(_ARCHETYPES) + 1}"
        for i, a in enumerate(arche)
    ]
    t = np.arange(hours)
    hour0 = start_utc.hour
    carbon = np.zeros((n_regions, hours))
    price = np.zeros((n_regions, hours))
    for i, (_, offset, base, dip, peak, wind, p0) in enumerate(arche):
        local = (t + hour0 + offset) % 24
        day = (t + hour0 + offset) // 24
        solar = np.clip(np.sin(np.pi * (local - 6) / 12), 0, None) ** 1.5
        cloud = rng.uniform(0.5, 1.0, size=int(day.max() - day.min()) + 1)[day - day.min()]
        evening = np.exp(-((local - 19) ** 2) / 8.0)
        morning = np.exp(-((local - 8) ** 2) / 6.0)
        noise = np.zeros(hours)
        eps = rng.normal(0, 1, size=hours)
        for k in range(hours):
            noise[k] = (0.85 * noise[k - 1] if k else 0.0) + eps[k] * math.sqrt(1 - 0.85**2)
        c = base - dip * solar * cloud + peak * evening + wind * noise
        carbon[i] = np.clip(c, 8.0, None)
        pr = p0 * (1 + 0.45 * evening + 0.2 * morning - 0.25 * solar * cloud * (dip / 200))
        price[i] = np.clip(pr + 0.01 * rng.normal(0, 1, size=hours), 0.01, None)

    # jobs
    power = np.clip(rng.lognormal(math.log(80.0), 0.8, size=n_jobs), 5.0, 1500.0)
    duration = rng.choice(
        np.arange(1, 9), size=n_jobs, p=[0.2, 0.18, 0.15, 0.12, 0.1, 0.1, 0.08, 0.07]
    )
    duration = np.minimum(duration, hours)
    slack = rng.choice(
        [0, 2, 4, 8, 12, 24, 36], size=n_jobs, p=[0.1, 0.15, 0.2, 0.2, 0.15, 0.1, 0.1]
    )
    home = rng.integers(0, n_regions, size=n_jobs)
    scope = rng.choice(["home", "continent", "any"], size=n_jobs, p=[0.2, 0.4, 0.4])
    interruptible = rng.random(n_jobs) < interruptible_share
    first_day = min(24, hours)
    jobs = []
    for k in range(n_jobs):
        d = int(duration[k])
        es = int(rng.integers(0, max(1, min(first_day, hours - d) + 1)))
        dl = min(hours, es + d + int(slack[k]))
        if scope[k] == "home":
            allowed = (names[home[k]],)
        elif scope[k] == "continent":
            allowed = tuple(n for n in names if _continent(n) == _continent(names[home[k]]))
        else:
            allowed = tuple(names)
        jobs.append(
            ComputeJob(
                job_id=f"job-{k:04d}",
                energy_kwh=round(float(power[k] * d), 3),
                duration_hours=d,
                earliest_start_hour=es,
                deadline_hour=dl,
                allowed_regions=allowed,
                home_region=names[home[k]],
                interruptible=bool(interruptible[k]),
            )
        )
    mean_load = float(np.sum(power * duration)) / hours / max(n_regions, 1)
    floor_kw = 1.5 * float(power.max()) if n_jobs else 100.0
    regions = []
    for i in range(n_regions):
        cap = max(capacity_headroom * mean_load * rng.uniform(0.6, 1.4), floor_kw)
        cap_h = np.full(hours, round(cap, 1))
        if rng.random() < 0.3:  # maintenance: half capacity for 4 hours
            m0 = int(rng.integers(0, max(1, hours - 4)))
            cap_h[m0 : m0 + 4] = max(0.5 * cap, 1.1 * floor_kw / 1.5)
        regions.append(
            RegionSignal(
                region=names[i],
                carbon_gco2_per_kwh=np.round(carbon[i], 2),
                price_usd_per_kwh=np.round(price[i], 5),
                capacity_kw=cap_h,
            )
        )
    hour_starts = [start_utc + timedelta(hours=h) for h in range(hours)]
    return JobProblem(
        hour_starts_utc=hour_starts,
        jobs=jobs,
        regions=regions,
        objective=objective,
        carbon_cap_kg=carbon_cap_kg,
        time_limit_s=time_limit_s,
        **problem_kwargs,
    )
