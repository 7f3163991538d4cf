"""VPP fleet dispatch (`optimize.fleet`) and the fleet builder (`optimize.fleet_profiles`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
import pytest

from energy_assets.optimize.fleet import (
    Battery,
    FleetInfeasible,
    FleetProblem,
    Home,
    home_schedule_rows,
    solve_fleet,
)
from energy_assets.optimize.fleet_profiles import (
    BATTERY_MODELS,
    day_slot_starts,
    household_path,
    load_household_year,
    make_fleet,
)


def _slots(n: int, minutes: int = 60) -> list[datetime]:
    start = datetime(2025, 1, 15, tzinfo=UTC)
    return [start + timedelta(minutes=minutes * i) for i in range(n)]


def _problem(homes, price, carbon=None, slot_minutes=60, **kw) -> FleetProblem:
    n = len(price)
    return FleetProblem(
        slot_starts_utc=_slots(n, slot_minutes),
        slot_minutes=slot_minutes,
        homes=homes,
        price_usd_per_kwh=np.asarray(price, dtype=float),
        carbon_gco2_per_kwh=np.full(n, 300.0) if carbon is None else np.asarray(carbon, float),
        **kw,
    )


def _home(home_id, load, pv=None, battery=None) -> Home:
    load = np.asarray(load, dtype=float)
    return Home(
        home_id, load, np.zeros_like(load) if pv is None else np.asarray(pv, float), battery
    )


def _batt(**kw) -> Battery:
    base = dict(
        capacity_kwh=10.0,
        max_charge_kw=5.0,
        max_discharge_kw=5.0,
        charge_efficiency=1.0,
        discharge_efficiency=1.0,
        soc_min_kwh=0.0,
        soc_max_kwh=10.0,
        initial_soc_kwh=0.0,
        end_soc_target_kwh=0.0,
        degradation_cost_usd_per_kwh=0.001,
    )
    base.update(kw)
    return Battery(**base)


def _home_rows(schedule, home_id: str) -> pl.DataFrame:
    return schedule.per_home.filter(pl.col("home_id") == home_id).sort("interval_start_utc")


def _assert_soc_dynamics(schedule, home: Home, dt_h: float) -> None:
    rows = _home_rows(schedule, home.home_id)
    b = home.battery
    soc = rows["soc_kwh"].to_numpy()
    prev = np.concatenate([[b.initial_soc_kwh], soc[:-1]])
    expected = prev + dt_h * (
        b.charge_efficiency * rows["charge_kw"].to_numpy()
        - rows["discharge_kw"].to_numpy() / b.discharge_efficiency
    )
    np.testing.assert_allclose(soc, expected, atol=1e-6)
    assert soc.min() >= b.soc_min_kwh - 1e-6 and soc.max() <= b.soc_max + 1e-6
    assert soc[-1] >= b.end_soc_target_kwh - 1e-6


# ---------------------------------------------------------------------------------------------
# Hand-built cases with known answers
# ---------------------------------------------------------------------------------------------


def test_charges_cheap_discharges_expensive_with_efficiency_losses():
    batt = _batt(charge_efficiency=0.9, discharge_efficiency=0.9)
    home = _home("a", [0, 0, 2, 2], battery=batt)
    # Export worth nothing: the battery only serves the home's own evening load.
    sched = solve_fleet(_problem([home], [0.1, 0.1, 0.5, 0.5], export_price_usd_per_kwh=0.0))
    rows = _home_rows(sched, "a")
    np.testing.assert_allclose(rows["discharge_kw"].to_numpy()[2:], [2, 2], atol=1e-6)
    # 4 kWh delivered needs 4 / 0.9 = 4.444 kWh stored and 4 / 0.81 = 4.938 kWh bought.
    assert rows["charge_kw"].sum() == pytest.approx(4 / 0.81, abs=1e-6)
    assert rows["charge_kw"].to_numpy()[2:].sum() == pytest.approx(0, abs=1e-9)
    assert rows["soc_kwh"].to_numpy()[1] == pytest.approx(4 / 0.9, abs=1e-6)
    assert rows["soc_kwh"].to_numpy()[-1] == pytest.approx(0, abs=1e-6)
    np.testing.assert_allclose(rows["net_import_kw"].to_numpy()[2:], [0, 0], atol=1e-6)
    s = sched.summary
    assert s["status"] == "optimal"
    assert s["baseline_cost_usd"] == pytest.approx(2.0)
    assert s["optimized_cost_usd"] == pytest.approx(0.1 * 4 / 0.81, abs=1e-6)
    assert s["cost_saving_usd"] == pytest.approx(2.0 - 0.1 * 4 / 0.81, abs=1e-6)
    assert s["objective"] == pytest.approx(
        s["optimized_cost_usd"] + s["degradation_cost_usd"] + s["tie_break_usd"], abs=1e-9
    )
    assert 0 <= s["tie_break_usd"] < 1e-4
    assert s["simultaneous_charge_discharge_kwh"] == 0
    _assert_soc_dynamics(sched, home, 1.0)


def test_end_soc_target_met_at_cheapest_slots():
    batt = _batt(charge_efficiency=0.95, initial_soc_kwh=2.0, end_soc_target_kwh=8.0)
    home = _home("a", [0, 0, 0, 0], battery=batt)
    # No load and worthless exports: the only reason to charge is the end target.
    sched = solve_fleet(_problem([home], [0.3, 0.1, 0.2, 0.3], export_price_usd_per_kwh=0.0))
    rows = _home_rows(sched, "a")
    charge = rows["charge_kw"].to_numpy()
    # 6 kWh to store: 5 kW x 0.95 = 4.75 kWh in the 0.10 slot, the rest in the 0.20 slot.
    np.testing.assert_allclose(charge, [0, 5, 1.25 / 0.95, 0], atol=1e-6)
    assert rows["soc_kwh"].to_numpy()[-1] == pytest.approx(8.0, abs=1e-6)
    _assert_soc_dynamics(sched, home, 1.0)


def test_feeder_export_limit_binds_when_pv_is_high():
    pv = [0, 4, 4, 0]
    homes = [
        _home("a", [0.5, 1.5, 1.5, 1.0], pv=pv, battery=_batt()),
        _home("b", [0.5, 1.5, 1.5, 1.0], pv=pv, battery=_batt(capacity_kwh=5, soc_max_kwh=5)),
    ]
    price = [0.2, 0.2, 0.2, 0.2]  # flat: without a limit the batteries have no reason to move
    free = solve_fleet(_problem(homes, price))
    assert free.summary["battery_charge_kwh"] == pytest.approx(0, abs=1e-9)
    np.testing.assert_allclose(free.fleet["net_import_kw"].to_numpy(), [1, -5, -5, 2])

    limited = solve_fleet(_problem(homes, price, feeder_export_limit_kw=3.0))
    net = limited.fleet["net_import_kw"].to_numpy()
    np.testing.assert_allclose(net[1:3], [-3, -3], atol=1e-6)  # binding at the PV peak
    assert net.min() >= -3 - 1e-6
    assert limited.fleet["charge_kw"].to_numpy()[1:3].sum() == pytest.approx(4, abs=1e-6)
    assert limited.summary["feeder_limit_violation_kw"] <= 1e-6
    for home in homes:
        _assert_soc_dynamics(limited, home, 1.0)


def test_carbon_objective_shifts_differently_from_cost():
    # Evening slot 1 is expensive, slot 2 is dirty; the 1 kWh battery can cover only one.
    home = _home("a", [0, 1, 1], battery=_batt(capacity_kwh=1, soc_max_kwh=1, max_charge_kw=1))
    kw = dict(
        export_price_usd_per_kwh=0.0,
        carbon=[100, 200, 600],
        carbon_credit_exports=False,
    )
    price = [0.05, 0.40, 0.20]
    cost = solve_fleet(_problem([home], price, objective="cost", **kw))
    carbon = solve_fleet(_problem([home], price, objective="carbon", **kw))
    d_cost = _home_rows(cost, "a")["discharge_kw"].to_numpy()
    d_carbon = _home_rows(carbon, "a")["discharge_kw"].to_numpy()
    np.testing.assert_allclose(d_cost, [0, 1, 0], atol=1e-6)
    np.testing.assert_allclose(d_carbon, [0, 0, 1], atol=1e-6)
    assert cost.summary["optimized_cost_usd"] < carbon.summary["optimized_cost_usd"]
    assert carbon.summary["optimized_co2_kg"] < cost.summary["optimized_co2_kg"]
    # Baseline: 1 kWh at 200 g + 1 kWh at 600 g; carbon-optimal: 100 g (charging) + 200 g.
    assert carbon.summary["baseline_co2_kg"] == pytest.approx(0.8)
    assert carbon.summary["optimized_co2_kg"] == pytest.approx(0.3, abs=1e-6)


def test_negative_price_no_simultaneous_charge_discharge():
    # Battery full; negative prices tempt the LP to burn energy by charging and discharging at
    # once. Degradation on both directions (0.01/kWh at 95 %/95 %: break-even ~ -0.195) stops it.
    batt = _batt(
        charge_efficiency=0.95,
        discharge_efficiency=0.95,
        initial_soc_kwh=10.0,
        end_soc_target_kwh=10.0,
        degradation_cost_usd_per_kwh=0.01,
    )
    home = _home("a", [1, 1, 1, 1], battery=batt)
    price = [0.1, -0.05, -0.05, 0.3]
    sched = solve_fleet(_problem([home], price))
    rows = _home_rows(sched, "a")
    assert np.minimum(rows["charge_kw"], rows["discharge_kw"]).max() == pytest.approx(0, abs=1e-9)
    assert sched.summary["simultaneous_charge_discharge_kwh"] == pytest.approx(0, abs=1e-9)
    _assert_soc_dynamics(sched, home, 1.0)

    # Without degradation and a deep negative price the LP does overlap: the schedule is netted
    # (same SOC path) and the overlap reported; forbid_simultaneous=True prevents it exactly.
    free = _home("a", [1, 1, 1, 1], battery=replace(batt, degradation_cost_usd_per_kwh=0.0))
    deep = [0.1, -0.5, -0.5, 0.3]
    lp = solve_fleet(_problem([free], deep))
    assert lp.summary["simultaneous_charge_discharge_kwh"] > 0.1
    rows = _home_rows(lp, "a")
    assert np.minimum(rows["charge_kw"], rows["discharge_kw"]).max() == pytest.approx(0, abs=1e-9)
    _assert_soc_dynamics(lp, free, 1.0)
    mip = solve_fleet(_problem([free], deep, forbid_simultaneous=True))
    assert mip.summary["simultaneous_charge_discharge_kwh"] == pytest.approx(0, abs=1e-9)
    assert mip.summary["lp_method"] == "mip"
    assert mip.summary["objective"] >= lp.summary["objective"] - 1e-9
    _assert_soc_dynamics(mip, free, 1.0)


def _reference_cost_lp(problem: FleetProblem) -> float:
    """The cost objective written the textbook way (import/export variables per home), with
    MathOpt's modelling API: checks the flow-split formulation of `solve_fleet`."""
    from ortools.math_opt.python import mathopt

    dt = problem.slot_minutes / 60
    price = np.asarray(problem.price_usd_per_kwh)
    export = np.asarray(problem.export_price_usd_per_kwh)
    m = mathopt.Model()
    fleet_net = [0.0] * len(price)
    objective = 0.0
    for h in problem.homes:
        b = h.battery
        prev = b.initial_soc_kwh
        for t in range(len(price)):
            c = m.add_variable(lb=0, ub=b.max_charge_kw)
            d = m.add_variable(lb=0, ub=b.max_discharge_kw)
            lb = max(b.soc_min_kwh, b.end_soc_target_kwh if t == len(price) - 1 else 0)
            s = m.add_variable(lb=lb, ub=b.soc_max)
            imp = m.add_variable(lb=0)
            exp = m.add_variable(lb=0)
            m.add_linear_constraint(
                s == prev + dt * (b.charge_efficiency * c - d / b.discharge_efficiency)
            )
            net = h.load_kw[t] - h.pv_kw[t] + c - d
            m.add_linear_constraint(imp - exp == net)
            fleet_net[t] = fleet_net[t] + net
            deg = b.degradation_cost_usd_per_kwh
            objective = objective + dt * (price[t] * imp - export[t] * exp + deg * (c + d))
            prev = s
    for net in fleet_net:
        m.add_linear_constraint(net >= -problem.feeder_export_limit_kw)
    m.minimize(objective)
    result = mathopt.solve(m, mathopt.SolverType.GLOP)
    assert result.termination.reason == mathopt.TerminationReason.OPTIMAL
    return result.objective_value()


def test_export_price_split_matches_textbook_lp():
    rng = np.random.default_rng(5)
    n = 12
    homes = []
    for i in range(4):
        pv = np.clip(np.sin(np.linspace(-1, 4, n)), 0, None) * rng.uniform(0, 5)
        load = rng.uniform(0.2, 2.0, n)
        cap = rng.choice([5.0, 10.0, 13.5])
        batt = _batt(
            capacity_kwh=cap,
            soc_max_kwh=cap,
            max_charge_kw=rng.choice([2.5, 5.0]),
            max_discharge_kw=rng.choice([2.5, 5.0]),
            charge_efficiency=0.95,
            discharge_efficiency=0.93,
            soc_min_kwh=0.1 * cap,
            initial_soc_kwh=0.5 * cap,
            end_soc_target_kwh=0.4 * cap,
            degradation_cost_usd_per_kwh=0.01,
        )
        homes.append(_home(f"h{i}", load, pv=pv, battery=batt))
    price = rng.uniform(0.05, 0.4, n)
    problem = _problem(
        homes,
        price,
        export_price_usd_per_kwh=price * rng.uniform(0.1, 1.0, n),
        feeder_export_limit_kw=4.0,
        tie_break_usd_per_kwh=0.0,
    )
    sched = solve_fleet(problem)
    reference = _reference_cost_lp(problem)
    assert sched.summary["objective"] == pytest.approx(reference, abs=1e-6)
    # The schedule's true bill + degradation is that optimum too.
    s = sched.summary
    assert s["optimized_cost_usd"] + s["degradation_cost_usd"] == pytest.approx(reference, abs=1e-6)
    assert sched.summary["num_variables"] == 4 * n * 5


def test_frames_and_summary_shape():
    homes = [_home("a", [1, 2, 1, 2], battery=_batt()), _home("b", [1, 1, 1, 1])]
    sched = solve_fleet(_problem(homes, [0.1, 0.3, 0.1, 0.3]))
    assert sched.per_home.columns == [
        "home_id",
        "interval_start_utc",
        "load_kw",
        "pv_kw",
        "charge_kw",
        "discharge_kw",
        "soc_kwh",
        "net_import_kw",
    ]
    assert sched.per_home.height == 8
    assert sched.per_home.schema["interval_start_utc"] == pl.Datetime("us", "UTC")
    # A home without battery has no SOC and a fixed net import.
    b = _home_rows(sched, "b")
    assert b["soc_kwh"].null_count() == 4
    np.testing.assert_allclose(b["net_import_kw"].to_numpy(), [1, 1, 1, 1])
    assert sched.fleet.height == 4
    np.testing.assert_allclose(
        sched.fleet["net_import_kw"].to_numpy(),
        sched.per_home.group_by("interval_start_utc", maintain_order=True)
        .agg(pl.col("net_import_kw").sum())["net_import_kw"]
        .to_numpy(),
    )
    for key in (
        "status",
        "objective",
        "best_bound",
        "gap",
        "solve_time_s",
        "build_time_s",
        "num_variables",
        "num_constraints",
        "baseline_cost_usd",
        "baseline_co2_kg",
        "optimized_cost_usd",
        "optimized_co2_kg",
        "cost_saving_usd",
        "co2_saving_kg",
    ):
        assert key in sched.summary
    assert sched.summary["num_variables"] == 12  # 4 slots x (charge, discharge, soc)


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------


def test_home_schedule_rows_frame_the_homes_with_their_signals_and_settings():
    homes = [_home("a", [1, 2, 1, 2], pv=[0.5, 0, 0, 0], battery=_batt()), _home("b", [1, 1, 1, 1])]
    sched = solve_fleet(_problem(homes, [0.1, 0.3, 0.1, 0.3]))
    slots = sched.fleet["interval_start_utc"]
    signals = pl.DataFrame({"interval_start_utc": slots, "signal": [1.0, 2.0, 3.0, 4.0]})
    rows = home_schedule_rows(
        sched.per_home,
        signals,
        region="X",
        market_date=date(2024, 1, 2),
        columns=["signal", pl.lit(7, dtype=pl.Int64).alias("fleet_seed")],
        feeder_import_limit_kw=None,
        feeder_export_limit_kw=5.0,
    )
    assert rows.columns == [
        "region",
        "market_date",
        *sched.per_home.columns,
        "baseline_net_import_kw",
        "signal",
        "fleet_seed",
        "feeder_import_limit_kw",
        "feeder_export_limit_kw",
    ]
    assert rows.height == 8
    assert rows.schema["market_date"] == pl.Date
    assert rows.schema["interval_start_utc"] == pl.Datetime("us", "UTC")
    assert rows.schema["feeder_import_limit_kw"] == pl.Float64
    assert rows["feeder_import_limit_kw"].null_count() == 8
    a = rows.filter(pl.col("home_id") == "a").sort("interval_start_utc")
    np.testing.assert_allclose(a["baseline_net_import_kw"].to_numpy(), [0.5, 2, 1, 2])
    np.testing.assert_allclose(a["signal"].to_numpy(), [1, 2, 3, 4])


@pytest.mark.parametrize(
    ("battery", "match"),
    [
        (_batt(end_soc_target_kwh=11.0), r"home 'x'.*end_soc_target_kwh=11.0 > soc_max_kwh=10"),
        (
            _batt(max_charge_kw=1.0, charge_efficiency=0.95, end_soc_target_kwh=5.0),
            r"home 'x'.*end_soc_target_kwh=5.0 unreachable: at most 3.800",
        ),
        (_batt(soc_min_kwh=6.0, soc_max_kwh=5.0), r"home 'x'.*soc_min_kwh=6.0 > soc_max_kwh=5.0"),
    ],
)
def test_battery_infeasible_before_solving(battery, match):
    with pytest.raises(FleetInfeasible, match=match):
        solve_fleet(_problem([_home("x", [1, 1, 1, 1], battery=battery)], [0.1] * 4))


def test_profile_wrong_length():
    with pytest.raises(FleetInfeasible, match=r"home 'x': load_kw has 3 values, expected 4"):
        solve_fleet(_problem([_home("x", [1, 1, 1])], [0.1] * 4))


def test_feeder_limit_impossible_names_limit_and_first_slot():
    homes = [_home("a", [1, 2, 5, 5]), _home("b", [1, 1, 1, 1])]
    with pytest.raises(FleetInfeasible) as err:
        solve_fleet(_problem(homes, [0.1] * 4, feeder_import_limit_kw=4.0))
    message = str(err.value)
    assert "feeder import limit 4 kW" in message
    assert "slot 2 (2025-01-15 02:00:00+00:00)" in message
    assert "6.000 kW" in message


def test_feeder_export_limit_beyond_battery_power():
    homes = [_home("a", [0, 0, 0, 0], pv=[0, 9, 9, 0], battery=_batt())]
    with pytest.raises(
        FleetInfeasible,
        match=r"feeder export limit 0.5 kW is exceeded at slot 1 .*9.000 kW.*5.000 kW of charge",
    ):
        solve_fleet(_problem(homes, [0.1] * 4, feeder_export_limit_kw=0.5))


def test_solver_infeasible_is_explained():
    # Power is enough in every slot (5 kW discharge), energy is not (2 kWh for 4 x 2 kWh).
    batt = _batt(capacity_kwh=2, soc_max_kwh=2, initial_soc_kwh=2)
    homes = [_home("a", [3, 3, 3, 3], battery=batt)]
    with pytest.raises(
        FleetInfeasible,
        match=r"solver reports the fleet infeasible.*feeder import limit.*exceeded at slot 0",
    ):
        solve_fleet(_problem(homes, [0.1] * 4, feeder_import_limit_kw=1.0))


def test_export_price_above_import_price_rejected():
    with pytest.raises(ValueError, match="export price"):
        solve_fleet(
            _problem([_home("a", [1, 1])], [0.1, 0.1], export_price_usd_per_kwh=[0.05, 0.2])
        )


# ---------------------------------------------------------------------------------------------
# DST days
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("day", "n"), [(date(2025, 3, 30), 92), (date(2025, 10, 26), 100)])
def test_dst_days(day, n):
    # Local (Paris) datetimes are accepted too: they are converted to UTC.
    starts = [s.astimezone(ZoneInfo("Europe/Paris")) for s in day_slot_starts(day, "Europe/Paris")]
    assert len(starts) == n
    t = np.arange(n)
    load = 1.0 - 0.5 * np.sin(t / n * 2 * np.pi)  # evening peak of 4.5 kW for the fleet
    price = 0.1 + 0.1 * (t % 24 > 12)
    homes = [_home("a", load, battery=_batt()), _home("b", load * 2)]
    sched = solve_fleet(
        FleetProblem(starts, 15, homes, price, np.full(n, 300.0), feeder_import_limit_kw=4.2)
    )
    assert sched.summary["num_slots"] == n
    assert sched.per_home.height == 2 * n
    ts = sched.fleet["interval_start_utc"]
    assert ts.len() == n and (ts.diff().drop_nulls() == timedelta(minutes=15)).all()
    assert sched.fleet["net_import_kw"].max() <= 4.2 + 1e-6
    _assert_soc_dynamics(sched, homes[0], 0.25)


# ---------------------------------------------------------------------------------------------
# Fleet from the real household
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def household(datasets) -> pl.DataFrame:
    return load_household_year(household_path(datasets))


def test_household_year_loaded_with_gaps(household):
    ts = household["timestamp_utc"]
    assert household.schema["timestamp_utc"] == pl.Datetime("us", "UTC")
    assert (ts.diff().drop_nulls() == timedelta(minutes=30)).all()
    assert 17_000 < household.height < 17_600
    assert household["load_kw"].null_count() > 0  # gaps stay null
    assert household["load_kw"].min() > 0
    night = household.filter(
        pl.col("timestamp_utc").dt.hour() == 1, pl.col("load_kw").is_not_null()
    )
    assert (night["pv_kw"] == 0).all()  # null PV at night means no production
    outage = household.filter(pl.col("timestamp_utc").dt.date() == date(2024, 12, 23))
    assert outage["pv_kw"].null_count() == 48
    assert 3 < household["pv_kw"].max() < 5  # kW, converted from W


def test_fleet_builder_deterministic_and_diversified(household):
    day = date(2025, 6, 20)
    a = make_fleet(day, 200, "Europe/Paris", household, seed=3)
    b = make_fleet(day, 200, "Europe/Paris", household, seed=3)
    c = make_fleet(day, 200, "Europe/Paris", household, seed=4)
    for x, y in zip(a, b, strict=True):
        assert x.home_id == y.home_id and x.battery == y.battery
        np.testing.assert_array_equal(x.load_kw, y.load_kw)
        np.testing.assert_array_equal(x.pv_kw, y.pv_kw)
    assert not np.allclose(np.stack([h.load_kw for h in a]), np.stack([h.load_kw for h in c]))
    # Home i does not depend on the fleet size.
    small = make_fleet(day, 5, "Europe/Paris", household, seed=3)
    for x, y in zip(small, a[:5], strict=False):
        np.testing.assert_array_equal(x.load_kw, y.load_kw)

    loads = np.stack([h.load_kw for h in a])
    assert loads.shape == (200, 96) and np.isfinite(loads).all() and loads.min() >= 0
    daily = loads.sum(axis=1) / 4
    assert daily.std() / daily.mean() > 0.2  # scaled and drawn from different days
    assert len({tuple(np.round(row, 6)) for row in loads}) == 200
    has_pv = np.array([h.pv_kw.max() > 0 for h in a])
    assert 0.45 < has_pv.mean() < 0.75
    pv_days = np.stack([h.pv_kw for h in a])[has_pv]
    assert pv_days.max() < 9.0 / 5.0 * 4.5  # kWp-scaled source PV
    # Shared weather: every PV home has the same shape, only its size differs.
    shapes = pv_days / pv_days.max(axis=1, keepdims=True)
    np.testing.assert_allclose(shapes, np.broadcast_to(shapes[0], shapes.shape), atol=1e-9)
    batteries = [h.battery for h in a if h.battery is not None]
    assert 0.65 < len(batteries) / 200 < 0.95
    assert {b.capacity_kwh for b in batteries} == {m.capacity_kwh for m in BATTERY_MODELS}
    assert all(b.end_soc_target_kwh == b.initial_soc_kwh for b in batteries)


def test_fleet_builder_dst_lengths(household):
    assert len(make_fleet(date(2025, 3, 30), 2, "Europe/Paris", household, 1)[0].load_kw) == 92
    assert len(make_fleet(date(2025, 10, 26), 2, "Europe/Paris", household, 1)[0].pv_kw) == 100
    assert (
        len(make_fleet(date(2025, 11, 2), 2, "America/Los_Angeles", household, 1)[0].pv_kw) == 100
    )


def test_fifty_home_fleet_from_real_data_solves(household):
    day = date(2025, 7, 15)
    tz = "Europe/Paris"
    homes = make_fleet(day, 50, tz, household, seed=7)
    starts = day_slot_starts(day, tz)
    local_hour = np.array([s.astimezone(ZoneInfo(tz)).hour for s in starts])
    price = np.where((local_hour >= 17) & (local_hour < 21), 0.35, 0.12)
    price = np.where((local_hour >= 11) & (local_hour < 15), 0.06, price)
    carbon = np.where((local_hour >= 10) & (local_hour < 16), 150.0, 350.0)
    baseline_export = -(
        np.stack([h.load_kw for h in homes]) - np.stack([h.pv_kw for h in homes])
    ).sum(axis=0)
    limit = 0.7 * baseline_export.max()  # binds at the PV peak
    sched = solve_fleet(
        FleetProblem(
            starts,
            15,
            homes,
            price,
            carbon,
            export_price_usd_per_kwh=0.05,
            feeder_export_limit_kw=limit,
        )
    )
    s = sched.summary
    assert s["status"] == "optimal"
    assert s["num_homes"] == 50 and s["num_slots"] == 96
    assert s["cost_saving_usd"] > 0
    assert s["feeder_limit_violation_kw"] <= 1e-4
    assert sched.fleet["net_import_kw"].min() >= -limit - 1e-4
    assert sched.per_home.height == 50 * 96
    for home in homes:
        if home.battery is not None:
            _assert_soc_dynamics(sched, home, 0.25)


# --------------------------------------------------------------------------------------------
# The structured solve (chunks, lazy feeder rows, coordinating price) against the one-piece LP
# --------------------------------------------------------------------------------------------


def _real_fleet_problem(household, n: int, share: float, **kw) -> FleetProblem:
    day = date(2024, 6, 20)
    tz = "Europe/Paris"
    homes = make_fleet(day, n, tz, household, seed=3)
    starts = day_slot_starts(day, tz)
    local_hour = np.array([s.astimezone(ZoneInfo(tz)).hour for s in starts])
    price = np.where((local_hour >= 17) & (local_hour < 21), 0.34, 0.15)
    fixed = np.sum([h.load_kw - h.pv_kw for h in homes], axis=0)
    return FleetProblem(
        starts,
        15,
        homes,
        price,
        np.full(len(starts), 100.0),
        export_price_usd_per_kwh=0.06,
        feeder_export_limit_kw=share * float(-fixed.min()),
        **kw,
    )


@pytest.mark.parametrize("coupled_max", [10_000, 0])
def test_structured_solve_matches_one_piece_lp_with_proven_gap(household, monkeypatch, coupled_max):
    """Lazy feeder rows (exact) and the coordinating price (to its gap tolerance) give the
    one-piece LP's optimum (GLOP's simplex through MathOpt), and a bound below it."""
    from energy_assets.optimize import fleet_highs

    monkeypatch.setattr(fleet_highs, "COUPLED_MAX_BATTERIES", coupled_max)
    problem = _real_fleet_problem(household, 60, 0.6, gap_tolerance=1e-6)
    ours = solve_fleet(problem).summary
    reference = solve_fleet(replace(problem, solver="glop")).summary
    assert ours["status"] == "optimal"
    assert ours["feeder_rows_added"] > 0  # the limit binds
    assert ours["feeder_limit_violation_kw"] <= 1e-4
    assert ours["best_bound"] <= ours["objective"] + 1e-9
    assert ours["gap"] <= 1e-6
    assert ours["objective"] == pytest.approx(reference["objective"], rel=2e-6)


def test_structured_solve_threads_do_not_change_the_schedule(household):
    problem = _real_fleet_problem(household, 60, 0.6)
    one = solve_fleet(problem)
    two = solve_fleet(replace(problem, threads=2))
    assert one.summary["objective"] == two.summary["objective"]
    assert one.per_home.equals(two.per_home)


def test_without_binding_limit_the_relaxation_is_the_answer(household):
    problem = _real_fleet_problem(household, 30, 10.0)
    s = solve_fleet(problem).summary
    assert s["status"] == "optimal"
    assert s["feeder_rows_added"] == 0 and s["coupling_rounds"] == 0
    assert s["gap"] <= 1e-6


def test_time_limit_is_never_reported_optimal(household):
    from energy_assets.optimize.fleet import FleetSolveError

    problem = _real_fleet_problem(household, 200, 0.6, time_limit_s=1e-4)
    try:
        s = solve_fleet(problem).summary
    except FleetSolveError as error:
        assert "time" in str(error).lower()
    else:
        assert s["status"] == "time_limit"
        assert s["gap"] is not None
