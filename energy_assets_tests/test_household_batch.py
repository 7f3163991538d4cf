"""`solve_households` returns exactly what `solve_household` returns one by one, and the
many-row DP exactly what the one-row DP returns."""

from __future__ import annotations

import os
import random
from datetime import date

import numpy as np
import pytest

from energy_assets.optimize import household_dp
from energy_assets.optimize.household import (
    Appliance,
    HouseholdProblem,
    ScheduleInfeasible,
    default_household_appliances,
    local_day_slots,
    solve_household,
)
from energy_assets.optimize.household_batch import solve_households

SLOTS = local_day_slots(date(2024, 6, 5), "UTC")
N = len(SLOTS)

EXTRA = [
    Appliance(
        "pauses",
        power_kw=2.0,
        duration_slots=6,
        interruptible=True,
        min_on_slots=2,
        min_off_slots=3,
        startup_cost=40.0,
    ),
    Appliance(
        "range_split",
        power_kw=3.3,
        min_power_kw=1.1,
        energy_kwh=4.4,
        interruptible=True,
        min_on_slots=3,
        min_off_slots=2,
        allowed_slots=frozenset([*range(0, 20), *range(30, 50)]),
    ),
]
TOO_LONG = Appliance("too_long", power_kw=1.0, duration_slots=10, allowed_slots=range(5))


def _problems() -> list[HouseholdProblem]:
    rng = random.Random(7)
    apps = [*default_household_appliances(), *EXTRA]
    out = []
    for i in range(14):
        carbon = [round(rng.uniform(-50.0, 600.0), 1) for _ in range(N)]
        kw = {}
        if i == 3:
            kw["import_limit_kw"] = 6.0  # binding: this one goes to CP-SAT
        appliances = apps[:4] if i == 5 else apps  # a different appliance set
        if i in (8, 11):
            appliances = [*apps[:2], TOO_LONG]  # infeasible: CP-SAT names it
        if i == 9:
            carbon = carbon[:10]  # malformed
        out.append(
            HouseholdProblem(
                slot_starts_utc=SLOTS,
                slot_minutes=15,
                appliances=appliances,
                carbon_gco2_per_kwh=carbon,
                **kw,
            )
        )
    return out


def _one_by_one(problems):
    out = []
    for p in problems:
        try:
            out.append(solve_household(p))
        except ScheduleInfeasible as error:
            out.append(error)
    return out


def _same(a, b) -> None:
    if isinstance(a, Exception):
        assert type(a) is type(b) and str(a) == str(b)
        assert (a.appliance, a.constraint, a.appliances) == (
            b.appliance,
            b.constraint,
            b.appliances,
        )
        return
    assert a.frame.equals(b.frame) and a.frame.schema == b.frame.schema
    assert a.baseline_frame.equals(b.baseline_frame)
    drop = {"solve_time_s"}
    assert {k: v for k, v in a.summary.items() if k not in drop} == {
        k: v for k, v in b.summary.items() if k not in drop
    }


@pytest.mark.parametrize("workers", [1, 2])
def test_batch_equals_one_by_one(workers):
    problems = _problems()
    expected = _one_by_one(problems)
    assert {e.summary["method"] for e in expected if not isinstance(e, Exception)} == {
        "dp",
        "cp-sat",
    }
    batch = solve_households(problems, workers, return_exceptions=True)
    assert batch.workers == min(workers, os.cpu_count())
    assert len(batch.schedules) == len(problems) == len(batch.seconds)
    assert all(s > 0 for s in batch.seconds)
    for a, b in zip(expected, batch.schedules, strict=True):
        _same(a, b)


def test_batch_raises_the_first_failure_in_order():
    problems = _problems()
    with pytest.raises(ScheduleInfeasible) as info:
        solve_households(problems, 2)
    assert info.value.appliance == "too_long"  # problem 8 fails before the malformed 9
    with pytest.raises(ValueError, match="workers"):
        solve_households(problems, 0)


def test_many_row_dp_equals_one_row(monkeypatch):
    """Rows of one pass (chunked: tables capped small) give each row's one-row answer."""
    rng = np.random.default_rng(3)
    coefs = rng.integers(-20_000, 100_000, size=(23, N))
    coefs[5] = coefs[4]  # ties between rows
    coefs[6, 40:60] = 0  # ties within a row
    monkeypatch.setattr(household_dp, "TABLE_BYTES", 300_000)
    allowed = [not 30 <= t < 34 for t in range(N)]
    cases = [
        dict(fixed=True, block=True, max_w=1800, min_w=1800, duration=8, energy_wslots=None),
        dict(fixed=True, block=False, max_w=1100, min_w=1100, duration=24, energy_wslots=None),
        dict(fixed=False, block=False, max_w=7200, min_w=1400, duration=None, energy_wslots=44000),
        dict(fixed=False, block=True, max_w=3000, min_w=1000, duration=None, energy_wslots=20000),
    ]
    for case in cases:
        for min_on, min_off, startup in [(1, 0, 0), (4, 0, 0), (2, 3, 50_000_000)]:
            args = dict(case, min_on=min_on, min_off=min_off, startup=startup)
            many = household_dp.appliance_schedules(allowed, coefs, **args)
            for row, found in zip(coefs, many, strict=True):
                assert found == household_dp.appliance_schedule(allowed, row, **args), args
