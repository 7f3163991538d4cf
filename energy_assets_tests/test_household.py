"""Household load shifting (CP-SAT) on hand-built signals."""

from __future__ import annotations

import math
import random
import time as wall
from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from energy_assets.optimize.household import (
    Appliance,
    HouseholdProblem,
    ScheduleInfeasible,
    default_household_appliances,
    expand_hourly_to_slots,
    local_day_slots,
    local_window_slots,
    solve_household,
)
from energy_assets.optimize.plots import schedule_plot_png

DAY = date(2024, 6, 5)
SLOTS = local_day_slots(DAY, "UTC")  # 96 x 15 min
N = len(SLOTS)


def problem(appliances, carbon=None, price=None, **kw) -> HouseholdProblem:
    if carbon is None and price is None:
        carbon = [500.0] * N
    kw.setdefault("objective", "carbon" if carbon is not None else "cost")
    return HouseholdProblem(
        slot_starts_utc=SLOTS,
        slot_minutes=15,
        appliances=list(appliances),
        price_usd_per_kwh=price,
        carbon_gco2_per_kwh=carbon,
        **kw,
    )


def on_slots(frame: pl.DataFrame, name: str, slots=SLOTS) -> list[int]:
    index = {s: i for i, s in enumerate(slots)}
    starts = frame.filter(pl.col("appliance") == name)["interval_start_utc"].to_list()
    return sorted(index[s] for s in starts)


def runs(indices: list[int]) -> list[tuple[int, int]]:
    """Maximal consecutive runs as [start, end)."""
    out: list[tuple[int, int]] = []
    for i in indices:
        if out and out[-1][1] == i:
            out[-1] = (out[-1][0], i + 1)
        else:
            out.append((i, i + 1))
    return out


# --- helpers -----------------------------------------------------------------------------------


def test_local_day_slots_follow_dst():
    assert len(local_day_slots(date(2024, 3, 10), "America/New_York")) == 92
    assert len(local_day_slots(date(2024, 11, 3), "America/New_York")) == 100
    assert len(local_day_slots(DAY, "America/New_York")) == 96
    assert SLOTS[0] == datetime(2024, 6, 5, tzinfo=UTC)


def test_expand_hourly_to_slots_repeats_each_hour():
    hours = [datetime(2024, 6, 5, h, tzinfo=UTC) for h in range(24)]
    starts, values = expand_hourly_to_slots(hours, [float(h) for h in range(24)], 15)
    assert starts == SLOTS
    assert values[:8] == [0.0] * 4 + [1.0] * 4
    assert values[-1] == 23.0
    with pytest.raises(ValueError):
        expand_hourly_to_slots(hours, [1.0], 15)


def test_local_window_wraps_midnight():
    window = local_window_slots(
        SLOTS, "UTC", datetime(2000, 1, 1, 19).time(), datetime(2000, 1, 1, 7).time()
    )
    assert window == frozenset(range(28)) | frozenset(range(76, 96))


# --- optimization ------------------------------------------------------------------------------


def test_block_appliance_goes_to_cheapest_window():
    carbon = [float(abs(t - 50)) + 100.0 for t in range(N)]  # V shape, unique 7-slot minimum
    app = Appliance("dishwasher", power_kw=1.8, duration_slots=7)
    result = solve_household(problem([app], carbon))
    assert on_slots(result.frame, "dishwasher") == list(range(47, 54))
    assert result.summary["status"] == "OPTIMAL"
    assert result.frame["power_kw"].to_list() == [1.8] * 7
    assert result.frame["energy_kwh"].to_list() == pytest.approx([0.45] * 7)
    assert result.frame["signal"].to_list() == [carbon[t] for t in range(47, 54)]
    expected = sum(carbon[47:54]) * 1.8 * 0.25
    assert result.summary["objective"] == pytest.approx(expected)
    assert result.summary["best_bound"] == pytest.approx(expected, rel=1e-4)
    assert result.summary["gap"] == pytest.approx(0.0, abs=1e-9)


def test_block_respects_window():
    carbon = [float(abs(t - 50)) + 100.0 for t in range(N)]
    app = Appliance(
        "washer", power_kw=0.8, duration_slots=6, earliest_start_slot=60, latest_end_slot=80
    )
    result = solve_household(problem([app], carbon))
    assert on_slots(result.frame, "washer") == list(range(60, 66))


def test_interruptible_picks_k_cheapest_slots():
    rng = random.Random(7)
    carbon = [float(v) for v in rng.sample(range(100, 100 + 10 * N, 10), N)]  # distinct values
    app = Appliance("water_heater", power_kw=4.5, duration_slots=10, interruptible=True)
    result = solve_household(problem([app], carbon))
    cheapest = sorted(range(N), key=lambda t: carbon[t])[:10]
    assert on_slots(result.frame, "water_heater") == sorted(cheapest)


def test_range_power_delivers_energy_in_cheapest_slots():
    carbon = [300.0] * N
    for t in (10, 11, 12, 30):
        carbon[t] = 100.0
    app = Appliance("ev", power_kw=7.2, min_power_kw=1.4, energy_kwh=6.0, interruptible=True)
    result = solve_household(problem([app], carbon))
    frame = result.frame
    assert frame["energy_kwh"].sum() == pytest.approx(6.0)
    assert set(on_slots(frame, "ev")) <= {10, 11, 12, 30}
    assert frame["power_kw"].min() >= 1.4 - 1e-9
    assert frame["power_kw"].max() <= 7.2 + 1e-9


def test_min_on_is_respected():
    carbon = [400.0 + t for t in range(N)]
    for t in range(0, N, 4):
        carbon[t] = 100.0  # isolated cheap slots tempt one-slot runs
    free = Appliance("free", power_kw=1.0, duration_slots=6, interruptible=True)
    loose = solve_household(problem([free], carbon))
    assert len(runs(on_slots(loose.frame, "free"))) == 6  # the constraint below must bite

    app = Appliance("pump", power_kw=1.0, duration_slots=6, interruptible=True, min_on_slots=3)
    blocks = runs(on_slots(solve_household(problem([app], carbon)).frame, "pump"))
    assert sum(b - a for a, b in blocks) == 6
    assert all(b - a >= 3 for a, b in blocks)


def test_min_off_is_respected():
    carbon = [500.0 + 0.1 * t for t in range(N)]
    for t in (10, 11, 12, 14, 15, 16):
        carbon[t] = 100.0  # two cheap 3-slot runs one slot apart
    for t in (40, 41, 42):
        carbon[t] = 150.0  # the next best run, far enough away
    base = dict(power_kw=1.0, duration_slots=6, interruptible=True, min_on_slots=3)
    loose = solve_household(problem([Appliance("pump", **base)], carbon))
    assert runs(on_slots(loose.frame, "pump")) == [(10, 13), (14, 17)]

    result = solve_household(problem([Appliance("pump", min_off_slots=3, **base)], carbon))
    blocks = runs(on_slots(result.frame, "pump"))
    assert sum(b - a for a, b in blocks) == 6
    assert all(b - a >= 3 for a, b in blocks)
    assert all(nxt[0] - prev[1] >= 3 for prev, nxt in zip(blocks, blocks[1:], strict=False))
    assert blocks == [(10, 13), (40, 43)]


def test_range_power_block_runs_once():
    carbon = [float(abs(t - 50)) + 100.0 for t in range(N)]
    app = Appliance("ev", power_kw=7.2, min_power_kw=1.4, energy_kwh=5.0)
    frame = solve_household(problem([app], carbon)).frame
    assert len(runs(on_slots(frame, "ev"))) == 1
    assert frame["energy_kwh"].sum() == pytest.approx(5.0)
    assert frame["power_kw"].min() >= 1.4 - 1e-9


def test_import_limit_prevents_overlap():
    carbon = [500.0] * N
    for t in range(40, 44):
        carbon[t] = 100.0
    apps = [
        Appliance("a", power_kw=4.0, duration_slots=4),
        Appliance("b", power_kw=4.0, duration_slots=4),
    ]
    free = solve_household(problem(apps, carbon))
    assert on_slots(free.frame, "a") == on_slots(free.frame, "b") == [40, 41, 42, 43]
    assert free.summary["optimized_peak_kw"] == pytest.approx(8.0)

    capped = solve_household(problem(apps, carbon, import_limit_kw=5.0))
    a, b = set(on_slots(capped.frame, "a")), set(on_slots(capped.frame, "b"))
    assert not a & b
    assert len(a) == len(b) == 4
    per_slot = capped.frame.group_by("interval_start_utc").agg(pl.col("power_kw").sum())
    assert per_slot["power_kw"].max() <= 5.0
    assert capped.summary["optimized_peak_kw"] == pytest.approx(4.0)


def test_import_limit_caps_range_power():
    carbon = [500.0] * N
    apps = [
        Appliance("ev", power_kw=7.2, min_power_kw=1.4, energy_kwh=11.0, interruptible=True),
        Appliance("heater", power_kw=4.5, duration_slots=8, interruptible=True),
    ]
    result = solve_household(problem(apps, carbon, import_limit_kw=6.0))
    per_slot = result.frame.group_by("interval_start_utc").agg(pl.col("power_kw").sum())
    assert per_slot["power_kw"].max() <= 6.0 + 1e-9
    ev = result.frame.filter(pl.col("appliance") == "ev")
    assert ev["energy_kwh"].sum() == pytest.approx(11.0)


def test_startup_cost_reduces_fragmentation():
    carbon = [100.0 if t % 2 == 0 else 120.0 for t in range(N)]
    base = dict(power_kw=2.0, duration_slots=8, interruptible=True)
    fragmented = solve_household(problem([Appliance("x", **base)], carbon))
    assert len(runs(on_slots(fragmented.frame, "x"))) == 8
    assert fragmented.summary["optimized_starts"] == 8

    # One start costs more than all the savings from alternating slots (4 x 0.5 kWh x 20 g).
    smooth = solve_household(problem([Appliance("x", startup_cost=50.0, **base)], carbon))
    assert len(runs(on_slots(smooth.frame, "x"))) == 1
    assert smooth.summary["optimized_starts"] == 1
    energy_g = sum(carbon[t] for t in on_slots(smooth.frame, "x")) * 2.0 * 0.25
    assert smooth.summary["objective"] == pytest.approx(energy_g + 50.0)


def test_blend_lies_between_carbon_and_cost():
    carbon = [400.0] * N
    price = [0.20] * N
    for t in range(10, 14):
        carbon[t] = 100.0  # cleanest at 02:30
    for t in range(60, 64):
        price[t] = 0.05  # cheapest at 15:00
    for t in range(30, 34):  # a compromise window
        carbon[t], price[t] = 200.0, 0.10
    app = Appliance("dryer", power_kw=2.5, duration_slots=4)

    def run(objective, w=0.5):
        return solve_household(
            problem([app], carbon, price, objective=objective, blend_weight_carbon=w)
        )

    green, cheap = run("carbon"), run("cost")
    assert on_slots(green.frame, "dryer") == [10, 11, 12, 13]
    assert on_slots(cheap.frame, "dryer") == [60, 61, 62, 63]
    assert on_slots(run("blend", 1.0).frame, "dryer") == [10, 11, 12, 13]
    assert on_slots(run("blend", 0.0).frame, "dryer") == [60, 61, 62, 63]
    mid = run("blend", 0.5)
    assert on_slots(mid.frame, "dryer") == [30, 31, 32, 33]
    s = mid.summary
    assert s["objective_unit"] == "normalized kWh"
    assert (
        green.summary["optimized_co2_g"] <= s["optimized_co2_g"] <= cheap.summary["optimized_co2_g"]
    )
    assert cheap.summary["optimized_cost_usd"] <= s["optimized_cost_usd"]
    assert s["optimized_cost_usd"] <= green.summary["optimized_cost_usd"]
    # The blended objective is the normalized weighted sum.
    mean_c, mean_p = sum(carbon) / N, sum(price) / N
    expected = sum(0.5 * carbon[t] / mean_c + 0.5 * price[t] / mean_p for t in range(30, 34))
    assert s["objective"] == pytest.approx(expected * 2.5 * 0.25)


def test_baseline_is_earliest_start_at_max_power():
    carbon = [float(t) + 100.0 for t in range(N)]  # later is dirtier: optimized stays at start
    apps = [
        Appliance(
            "wash", power_kw=1.0, duration_slots=4, earliest_start_slot=20, latest_end_slot=60
        ),
        Appliance(
            "ev",
            power_kw=7.2,
            min_power_kw=1.4,
            energy_kwh=4.0,
            interruptible=True,
            earliest_start_slot=70,
        ),
        Appliance(
            "dish",
            power_kw=1.8,
            duration_slots=2,
            allowed_slots={0, 1, 2, 90, 91},
            baseline_start_slot=90,
        ),
    ]
    result = solve_household(problem(apps, list(reversed(carbon))))
    base = result.baseline_frame
    assert on_slots(base, "wash") == [20, 21, 22, 23]
    assert on_slots(base, "ev") == [70, 71, 72]  # 1.8 + 1.8 + 0.4 kWh
    ev_kw = base.filter(pl.col("appliance") == "ev")["power_kw"].to_list()
    assert ev_kw == pytest.approx([7.2, 7.2, 1.6])
    assert on_slots(base, "dish") == [90, 91]
    reversed_carbon = list(reversed(carbon))
    expected = sum(
        r["power_kw"] * 0.25 * reversed_carbon[SLOTS.index(r["interval_start_utc"])]
        for r in base.iter_rows(named=True)
    )
    assert result.summary["baseline_objective"] == pytest.approx(expected)
    assert result.summary["baseline_co2_g"] == pytest.approx(expected)
    assert result.summary["objective"] <= result.summary["baseline_objective"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_optimized_never_worse_than_baseline(seed):
    rng = random.Random(seed)
    carbon = [rng.uniform(100, 700) for _ in range(N)]
    price = [rng.uniform(-0.02, 0.4) for _ in range(N)]
    apps = default_household_appliances(SLOTS, tz="UTC")
    for objective in ("carbon", "cost", "blend"):
        s = solve_household(problem(apps, carbon, price, objective=objective)).summary
        assert s["objective"] <= s["baseline_objective"] + 1e-6
        assert s["saving_pct"] >= 0
        if objective == "carbon":
            assert s["optimized_co2_g"] <= s["baseline_co2_g"]
        if objective == "cost":
            assert s["optimized_cost_usd"] <= s["baseline_cost_usd"]


def test_deterministic():
    rng = random.Random(11)
    carbon = [rng.uniform(100, 700) for _ in range(N)]
    apps = default_household_appliances(SLOTS, tz="UTC")
    first = solve_household(problem(apps, carbon, import_limit_kw=8.0))
    second = solve_household(problem(apps, carbon, import_limit_kw=8.0))
    assert first.frame.equals(second.frame)


@pytest.mark.parametrize(("day", "count"), [(date(2024, 3, 10), 92), (date(2024, 11, 3), 100)])
def test_dst_days(day, count):
    tz = "America/New_York"
    slots = local_day_slots(day, tz)
    assert len(slots) == count
    carbon = [400 + 150 * math.cos(2 * math.pi * (i - 56) / count) for i in range(count)]
    apps = default_household_appliances(slots, tz=tz)
    result = solve_household(
        HouseholdProblem(slots, 15, apps, carbon_gco2_per_kwh=carbon, import_limit_kw=9.0, tz=tz)
    )
    frame = result.frame
    assert result.summary["num_slots"] == count
    energy = dict(frame.group_by("appliance").agg(pl.col("energy_kwh").sum()).iter_rows())
    assert energy == pytest.approx(
        {
            "dishwasher": 1.8 * 2,
            "washer": 0.8 * 1.5,
            "dryer": 2.5 * 1,
            "ev_charger": 11.0,
            "pool_pump": 1.1 * 6,
            "water_heater": 4.5 * 2,
        }
    )
    local_hours = {
        t.astimezone(__import__("zoneinfo").ZoneInfo(tz)).hour
        for t in frame.filter(pl.col("appliance") == "dishwasher")["interval_start_utc"]
    }
    assert all(h >= 19 or h < 7 for h in local_hours)


def test_default_appliances_solve_fast():
    carbon = [400 + 150 * math.cos(2 * math.pi * (i - 56) / N) + (i % 7) for i in range(N)]
    price = [0.12 + 0.08 * math.sin(2 * math.pi * (i - 60) / N) for i in range(N)]
    apps = default_household_appliances(SLOTS, tz="UTC")
    assert [a.name for a in apps] == [
        "dishwasher",
        "washer",
        "dryer",
        "ev_charger",
        "pool_pump",
        "water_heater",
    ]
    assert default_household_appliances() == apps  # a regular UTC day is the default
    start = wall.perf_counter()
    result = solve_household(problem(apps, carbon, price, objective="blend", import_limit_kw=9.0))
    elapsed = wall.perf_counter() - start
    s = result.summary
    assert s["status"] == "OPTIMAL"
    assert elapsed < 5.0
    assert s["solve_time_s"] < 5.0
    assert s["num_variables"] > 0 and s["num_constraints"] > 0
    assert set(result.frame["appliance"].unique()) == {a.name for a in apps}
    assert result.frame.columns == [
        "appliance",
        "interval_start_utc",
        "power_kw",
        "energy_kwh",
        "signal",
    ]
    assert result.frame["interval_start_utc"].dtype == pl.Datetime("us", "UTC")
    assert s["optimized_peak_kw"] <= 9.0 + 1e-9
    for key in ("baseline_co2_g", "optimized_co2_g", "baseline_cost_usd", "optimized_cost_usd"):
        assert key in s


# --- infeasible and malformed requests ---------------------------------------------------------


def raises(problem_: HouseholdProblem, *fragments: str, constraint: str | None = None):
    with pytest.raises(ScheduleInfeasible) as info:
        solve_household(problem_)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message
    if constraint is not None:
        assert info.value.constraint == constraint
    return info.value


def test_window_shorter_than_duration():
    app = Appliance(
        "dishwasher", power_kw=1.8, duration_slots=8, earliest_start_slot=72, latest_end_slot=76
    )
    err = raises(
        problem([app]),
        "dishwasher: allowed window 18:00–19:00 (4 slots) is shorter than its duration of 8 slots",
        constraint="window",
    )
    assert err.appliance == "dishwasher"


def test_block_needs_an_uninterrupted_part():
    app = Appliance(
        "dishwasher",
        power_kw=1.8,
        duration_slots=8,
        allowed_slots=set(range(4)) | set(range(90, 96)),
    )
    raises(
        problem([app]),
        "dishwasher",
        "longest uninterrupted part 22:30–24:00 (6 slots)",
        constraint="window",
    )


def test_fixed_energy_above_window():
    app = Appliance("heater", power_kw=2.0, energy_kwh=5.0, interruptible=True, latest_end_slot=8)
    raises(problem([app]), "heater", "shorter than its duration of 10 slots (5 kWh at 2 kW)")


def test_energy_above_max_power_times_window():
    app = Appliance(
        "ev_charger",
        power_kw=7.2,
        min_power_kw=1.4,
        energy_kwh=30.0,
        interruptible=True,
        earliest_start_slot=4,
        latest_end_slot=12,
    )
    raises(
        problem([app]),
        "ev_charger: energy 30 kWh is above max power 7.2 kW × 8 slots",
        constraint="energy",
    )


def test_min_power_above_max():
    app = Appliance("ev_charger", power_kw=7.2, min_power_kw=8.0, energy_kwh=5.0)
    raises(
        problem([app]),
        "ev_charger: min power 8 kW is above its max power 7.2 kW",
        constraint="power_range",
    )


def test_import_limit_below_appliance_power():
    apps = [
        Appliance("washer", power_kw=0.8, duration_slots=4),
        Appliance("water_heater", power_kw=4.5, duration_slots=8),
    ]
    raises(
        problem(apps, import_limit_kw=3.0),
        "water_heater: import limit 3 kW is below its power of 4.5 kW",
        constraint="import_limit",
    )


def test_import_limit_caps_range_energy():
    app = Appliance(
        "ev", power_kw=7.2, min_power_kw=1.4, energy_kwh=11.0, interruptible=True, latest_end_slot=8
    )
    raises(
        problem([app], import_limit_kw=5.0),
        "ev: energy 11 kWh is above import limit 5 kW × 8 slots",
    )


def test_min_on_longer_than_duration():
    app = Appliance("pump", power_kw=1.0, duration_slots=2, interruptible=True, min_on_slots=4)
    raises(
        problem([app]),
        "pump: duration of 2 slots is shorter than its min_on_slots of 4",
        constraint="min_on",
    )


def test_import_limit_with_all_appliances_reported_after_solving():
    apps = [
        Appliance("a", power_kw=4.0, duration_slots=4, earliest_start_slot=40, latest_end_slot=44),
        Appliance("fridge_defrost", power_kw=0.3, duration_slots=2),
        Appliance("b", power_kw=4.0, duration_slots=4, earliest_start_slot=40, latest_end_slot=45),
    ]
    err = raises(
        problem(apps, import_limit_kw=5.0),
        "import limit 5 kW cannot be met with a, b",
        constraint="import_limit",
    )
    assert err.appliances == ["a", "b"]
    assert "fridge_defrost" not in str(err)


def test_appliance_constraints_infeasible_after_solving():
    # 5 slots in runs of >= 3 in two 3-slot parts: prechecks pass, CP-SAT proves it.
    app = Appliance(
        "pump",
        power_kw=1.0,
        duration_slots=5,
        interruptible=True,
        min_on_slots=3,
        allowed_slots={10, 11, 12, 20, 21, 22},
    )
    raises(
        problem([app]),
        "pump: its constraints cannot be met together",
        "min_on_slots=3",
        constraint="constraints",
    )


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"objective": "cost"}, "objective 'cost' needs price_usd_per_kwh"),
        ({"carbon": [1.0] * 10}, "carbon_gco2_per_kwh has 10 values for 96 slots"),
        ({"carbon": [float("nan")] * N}, "not finite"),
        ({"blend_weight_carbon": 2.0}, "blend_weight_carbon"),
    ],
)
def test_malformed_problem(kwargs, fragment):
    raises(problem([Appliance("x", power_kw=1.0, duration_slots=2)], **kwargs), fragment)


@pytest.mark.parametrize(
    ("appliance", "fragment"),
    [
        (Appliance("x", power_kw=1.0), "x: give duration_slots or energy_kwh"),
        (Appliance("x", power_kw=0.0, duration_slots=2), "x: power must be positive"),
        (
            Appliance("x", power_kw=1.0, duration_slots=2, latest_end_slot=120),
            "x: latest_end_slot 120 is past",
        ),
        (Appliance("x", power_kw=2.0, min_power_kw=1.0), "x: a power range needs energy_kwh"),
    ],
)
def test_malformed_appliance(appliance, fragment):
    raises(problem([appliance]), fragment)


def test_duplicate_names_rejected():
    apps = [Appliance("x", power_kw=1.0, duration_slots=2)] * 2
    raises(problem(apps), "duplicate appliance names: x")


def test_unaligned_slots_rejected():
    slots = [*SLOTS[:10], SLOTS[10] + timedelta(minutes=5)]
    bad = HouseholdProblem(
        slots, 15, [Appliance("x", power_kw=1.0, duration_slots=2)], carbon_gco2_per_kwh=[1.0] * 11
    )
    raises(bad, "not 15 minutes", constraint="slots")


# --- plot --------------------------------------------------------------------------------------


def test_schedule_plot_png():
    tz = "America/New_York"
    slots = local_day_slots(date(2024, 11, 3), tz)
    carbon = [400 + 100 * math.sin(i / 10) for i in range(len(slots))]
    result = solve_household(
        HouseholdProblem(
            slots, 15, default_household_appliances(slots, tz=tz), carbon_gco2_per_kwh=carbon, tz=tz
        )
    )
    png = schedule_plot_png(slots, carbon, "gCO2/kWh", result.frame, "household schedule", tz)
    assert png.startswith(b"\x89PNG")
    assert len(png) > 5_000
    empty = schedule_plot_png(slots, carbon, "gCO2/kWh", result.frame.clear(), "nothing", tz)
    assert empty.startswith(b"\x89PNG")


# ---------------------------------------------------------------------------------------------
# Independent appliances: the per-appliance DP against the whole-household CP-SAT model
# ---------------------------------------------------------------------------------------------

DP_APPLIANCES = [
    Appliance("block", power_kw=1.8, duration_slots=8, allowed_slots=frozenset(range(70, 96))),
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
        "range_block",
        power_kw=3.0,
        min_power_kw=1.0,
        energy_kwh=5.0,
        earliest_start_slot=10,
        latest_end_slot=60,
    ),
    Appliance(
        "range_split",
        power_kw=3.3,
        min_power_kw=1.1,
        energy_kwh=4.4,
        interruptible=True,
        min_on_slots=3,
        min_off_slots=2,
        startup_cost=80.0,
        allowed_slots=frozenset([*range(0, 20), *range(30, 50)]),
    ),
    Appliance(
        "range_from_zero",
        power_kw=2.0,
        min_power_kw=0.0,
        energy_kwh=3.0,
        interruptible=True,
        min_on_slots=2,
    ),
]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_independent_appliances_dp_matches_cp_sat(monkeypatch, seed):
    """Without an import limit each appliance is solved alone by dynamic programming; its
    objective equals the CP-SAT model's (the same integer objective, both proven optimal)."""
    from energy_assets.optimize import household

    rng = random.Random(seed)
    carbon = [round(rng.uniform(-50.0, 600.0), 1) for _ in range(N)]
    appliances = [*DP_APPLIANCES, *default_household_appliances()]
    dp = solve_household(problem(appliances, carbon))
    assert dp.summary["method"] == "dp" and dp.summary["gap"] == 0.0
    monkeypatch.setattr(household, "_solve_independent", lambda preps: [None] * len(preps))
    cp = solve_household(problem(appliances, carbon))
    assert cp.summary["method"] == "cp-sat" and cp.summary["status"] == "OPTIMAL"
    assert dp.summary["objective"] == pytest.approx(cp.summary["objective"], rel=1e-9, abs=1e-6)
    assert dp.summary["best_bound"] == pytest.approx(cp.summary["best_bound"], rel=1e-9)
    for app in appliances:
        on = on_slots(dp.frame, app.name)
        blocks = runs(on)
        if not app.interruptible:
            assert len(blocks) == 1
        else:
            if app.min_power_kw != 0.0:  # a run at 0 W is on but does not show
                assert all(b - a >= app.min_on_slots for a, b in blocks), (app.name, blocks)
            assert all(
                c - b >= app.min_off_slots
                for (_, b), (c, _) in zip(blocks, blocks[1:], strict=False)
            )
        energy = dp.frame.filter(pl.col("appliance") == app.name)["energy_kwh"].sum()
        expected = app.energy_kwh or app.power_kw * app.duration_slots * 0.25
        assert energy == pytest.approx(expected, abs=1e-9)


def test_binding_import_limit_still_uses_cp_sat():
    apps = default_household_appliances()
    result = solve_household(problem(apps, [500.0 - t for t in range(N)], import_limit_kw=6.0))
    assert result.summary["method"] == "cp-sat"


def test_infeasible_appliance_is_still_named_without_import_limit():
    app = Appliance("too_long", power_kw=1.0, duration_slots=10, allowed_slots=frozenset(range(5)))
    with pytest.raises(ScheduleInfeasible) as info:
        solve_household(problem([app]))
    assert info.value.appliance == "too_long"
