"""PuLP + CBC formulations of the household and fleet models, for the dispatch benchmark.

These are independent re-statements, as a MILP / LP in PuLP, of the models that
`energy_assets.optimize.household` (CP-SAT) and `energy_assets.optimize.fleet` (MathOpt + HiGHS)
solve; they are what the prototypes did ("write it in PuLP, hand it to CBC"). They are not used
in production: the benchmark solves the same instances both ways and checks that the optima agree,
which is also the proof that the formulations are the same models.

Household (`household_pulp`): the same constraints as household.py's CP-SAT model, in watts.

* Fixed-power one-block appliances: a binary `x[s]` per feasible start (every slot of the run
  allowed), `sum x = 1`, power `P * sum(x covering t)`.
* Everything else: binary `on[t]` per allowed slot; a start `start[t]` that equals `on[t]` when the
  previous slot is off by definition (first slot, or not allowed), else a binary with
  `start >= on[t] - on[t-1]`, `start <= on[t]`, `start <= 1 - on[t-1]` (exactly
  `start = on[t] and not on[t-1]`, as CP-SAT's reified constraints).
* Minimum run (`min_on_slots` m > 1): `sum(start[t-m+1..t]) <= on[t]`, starts whose run would
  reach past the day or into a disallowed slot are 0. Minimum pause (`min_off_slots` r > 1):
  `sum(stop[t-r+1..t]) <= 1 - on[t]` with `stop[t] = start[t] - on[t] + on[t-1]` (`on[t-1]` if
  slot t is not allowed).
* Non-interruptible appliances on `on` variables (range power): `sum start = 1`. Fixed power:
  `sum on = duration`. Range power: continuous `p[t]` with `min*on <= p <= cap*on` (cap = min(max,
  import limit)) and `sum p = energy` (W-slots). CP-SAT's `p` is an integer number of watts; the
  LP over `p` for a fixed on/off pattern is an interval matrix with integer data, so its vertices
  are integral and the optima coincide.
* Import limit: the appliances' summed power per slot (where it could exceed the limit).
* Objective: `signal[t] * slot_h / 1000` per W-slot plus `startup_cost` per start, in float (the
  CP-SAT model rounds the signal to 1e-5 of its maximum; the comparison tolerance covers that).

Fleet (`fleet_pulp`): the fleet LP with a plain import/export split instead of fleet.py's
flow split. Per battery home and slot: charge `c`, discharge `d` (AC, bounded by the inverter),
SOC `s` (bounds, end target on the last slot), dynamics
`s[t] = s[t-1] + dt*(eta_c*c - d/eta_d)`; with an export price below the import price, `imp`,
`exp >= 0` with `imp - exp = load - pv + c - d` and the bill `dt*(price*imp - export_price*exp)`
(exact at the optimum since export_price <= price); with equal prices the bill is linear in the net
import and no split is needed. Degradation `dt*deg*(c + d)` and fleet.py's deterministic
tie-break (the same pseudo-random cents per battery-slot) in both directions; feeder limits on the
summed net import in the slots where the batteries could break them. Homes without a battery are a
constant. Both the CP-SAT / HiGHS and the CBC objectives include the homes' fixed bills, so the
numbers compare directly.
"""

from __future__ import annotations

import math
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pulp

from energy_assets.optimize.fleet import FleetProblem
from energy_assets.optimize.household import HouseholdProblem

__all__ = [
    "CbcRun",
    "PulpResult",
    "fleet_pulp",
    "household_pulp",
    "solve_cbc",
    "solve_fleet_pulp",
    "solve_household_pulp",
]

FLEET_TIE_BREAK_SEED = 20240229
"""fleet.py's tie-break stream (`np.random.default_rng(20240229)`), replicated here."""


@dataclass
class PulpResult:
    """One PuLP + CBC solve.

    `status`: "optimal", "time limit" (stopped at `time_limit_s` with a solution), "time limit
    (no solution)", "infeasible" or CBC's word otherwise. `objective`: the objective recomputed
    from the solution (None without one). `build_s`: building the PuLP model in Python;
    `solve_s`: `prob.solve` wall time (writing the MPS file, CBC, reading the solution back);
    `cbc_s`: CBC's own wall clock from its log (None if not found).
    """

    status: str
    objective: float | None
    build_s: float
    solve_s: float
    cbc_s: float | None
    num_variables: int
    num_constraints: int
    time_limit_s: float
    extra: dict[str, Any]


_WALL = re.compile(r"Wallclock seconds\)?:\s*([0-9.eE+-]+)")
_WALL2 = re.compile(
    r"Total time \(CPU seconds\):\s*[0-9.eE+-]+\s*\(Wallclock seconds\):\s*([0-9.eE+-]+)"
)


_RESULT = re.compile(r"^Result - (.*)$", re.MULTILINE)


@dataclass
class CbcRun:
    """`status` (see `PulpResult`), `wall_s` (`prob.solve`), `cbc_s` (CBC's own wall clock from
    its log, None if absent) and `result` (CBC's "Result - ..." line, or PuLP's status)."""

    status: str
    wall_s: float
    cbc_s: float | None
    result: str


def solve_cbc(
    prob: pulp.LpProblem, time_limit_s: float, *, threads: int = 1, mip: bool = True
) -> CbcRun:
    """Solve with the bundled CBC (`msg=False`, `threads`, `timeLimit` in elapsed seconds)."""
    with tempfile.TemporaryDirectory(prefix="cbc_") as tmp:
        log_path = Path(tmp) / "cbc.log"
        solver = pulp.PULP_CBC_CMD(
            mip=mip,
            msg=False,
            timeLimit=time_limit_s,
            threads=threads,
            logPath=str(log_path),
        )
        t0 = time.perf_counter()
        prob.solve(solver)
        wall = time.perf_counter() - t0
        text = log_path.read_text(errors="replace") if log_path.exists() else ""
    found = _WALL2.findall(text) or _WALL.findall(text)
    cbc_s = float(found[-1]) if found else None
    results = _RESULT.findall(text)
    result = results[-1].strip() if results else pulp.LpStatus.get(prob.status, str(prob.status))
    timed_out = "Stopped on time" in text or (cbc_s if cbc_s is not None else wall) >= time_limit_s
    return CbcRun(_status(prob, timed_out), wall, cbc_s, result)


def _status(prob: pulp.LpProblem, timed_out: bool) -> str:
    sol = prob.sol_status
    if sol == pulp.LpSolutionOptimal:
        return "optimal"
    if sol == pulp.LpSolutionIntegerFeasible:
        return "time limit"  # CBC stopped (on time) with an incumbent
    if timed_out:
        # Includes CBC's "Pre-processing says infeasible" when the limit cuts its cut generators
        # short (seen with a 0.01 s limit on feasible models): not a proof of infeasibility.
        return "time limit (no solution)"
    if prob.status == pulp.LpStatusInfeasible or sol == pulp.LpSolutionInfeasible:
        return "infeasible"
    return pulp.LpStatus.get(prob.status, str(prob.status)).lower()


# ---------------------------------------------------------------------------------------------
# Household MILP
# ---------------------------------------------------------------------------------------------


def _allowed(app, n: int) -> list[bool]:
    latest = n if app.latest_end_slot is None else app.latest_end_slot
    allowed = [app.earliest_start_slot <= t < latest for t in range(n)]
    if app.allowed_slots is not None:
        allowed = [ok and t in app.allowed_slots for t, ok in enumerate(allowed)]
    return allowed


def _signal(problem: HouseholdProblem) -> list[float]:
    carbon = problem.carbon_gco2_per_kwh
    price = problem.price_usd_per_kwh
    if problem.objective == "carbon":
        return [float(v) for v in carbon]
    if problem.objective == "cost":
        return [float(v) for v in price]
    w = problem.blend_weight_carbon

    def normalized(values) -> list[float]:
        values = [float(v) for v in values]
        mean_abs = sum(abs(v) for v in values) / len(values)
        return [v / mean_abs for v in values] if mean_abs > 0 else [0.0] * len(values)

    return [w * c + (1 - w) * p for c, p in zip(normalized(carbon), normalized(price), strict=True)]


def household_pulp(
    problem: HouseholdProblem, *, name: str = "household"
) -> tuple[pulp.LpProblem, dict[str, list[Any]], list[float]]:
    """The household MILP (watts). Returns (problem, per-appliance power expressions per slot
    (0 or a PuLP expression), the objective signal per slot)."""
    n = len(problem.slot_starts_utc)
    hours = problem.slot_minutes / 60.0
    signal = _signal(problem)
    per_w = [s * hours / 1000.0 for s in signal]  # objective units per W-slot
    limit_w = None if problem.import_limit_kw is None else round(problem.import_limit_kw * 1000)

    prob = pulp.LpProblem(name, pulp.LpMinimize)
    objective: list[tuple[Any, float]] = []
    constant = 0.0
    power: dict[str, list[Any]] = {}
    cap_of: dict[str, int] = {}

    for k, app in enumerate(problem.appliances):
        tag = f"a{k}"
        allowed = _allowed(app, n)
        max_w = round(app.power_kw * 1000)
        fixed = app.min_power_kw is None
        min_w = max_w if fixed else round(app.min_power_kw * 1000)
        cap_w = max_w if limit_w is None else min(max_w, limit_w)
        cap_of[app.name] = cap_w
        slot_power: list[Any] = [0] * n
        if fixed:
            duration = (
                app.duration_slots
                if app.duration_slots is not None
                else math.ceil(app.energy_kwh / (app.power_kw * hours) - 1e-9)
            )

        if fixed and not app.interruptible:
            d = duration
            feasible = [s for s in range(n - d + 1) if all(allowed[s : s + d])]
            x = {s: pulp.LpVariable(f"{tag}_x{s}", cat=pulp.LpBinary) for s in feasible}
            prob += pulp.lpSum(x.values()) == 1, f"{tag}_one_start"
            for t in range(n):
                cover = [x[s] for s in range(max(0, t - d + 1), t + 1) if s in x]
                if cover:
                    slot_power[t] = max_w * pulp.lpSum(cover)
            for s, var in x.items():
                objective.append((var, max_w * sum(per_w[s : s + d])))
            constant += app.startup_cost  # exactly one start
            power[app.name] = slot_power
            continue

        on: list[Any] = [
            pulp.LpVariable(f"{tag}_on{t}", cat=pulp.LpBinary) if allowed[t] else None
            for t in range(n)
        ]
        start: list[Any] = [None] * n
        for t in range(n):
            if on[t] is None:
                continue
            if t == 0 or on[t - 1] is None:
                start[t] = on[t]
                continue
            s = pulp.LpVariable(f"{tag}_st{t}", cat=pulp.LpBinary)
            prob += s >= on[t] - on[t - 1], f"{tag}_st{t}_a"
            prob += s <= on[t], f"{tag}_st{t}_b"
            prob += s <= 1 - on[t - 1], f"{tag}_st{t}_c"
            start[t] = s
        start_vars = [s for s in start if s is not None]

        m = app.min_on_slots
        if m > 1:
            for t in range(n + m - 1):
                recent = [start[s] for s in range(max(0, t - m + 1), min(t, n - 1) + 1)]
                recent = [v for v in recent if v is not None]
                if not recent:
                    continue
                now = on[t] if t < n else None
                if now is None:
                    for v in recent:
                        v.upBound = 0
                elif len(recent) > 1 or recent[0] is not now:
                    prob += pulp.lpSum(recent) <= now, f"{tag}_minon{t}"
        r = app.min_off_slots
        if r > 1:
            stop: list[Any] = [None] * n
            for t in range(1, n):
                if on[t - 1] is None:
                    continue
                stop[t] = on[t - 1] if on[t] is None else start[t] - on[t] + on[t - 1]
            for t in range(n):
                if on[t] is None:
                    continue
                recent = [stop[s] for s in range(max(1, t - r + 1), t + 1) if stop[s] is not None]
                if recent:
                    prob += pulp.lpSum(recent) <= 1 - on[t], f"{tag}_minoff{t}"

        if not app.interruptible:
            prob += pulp.lpSum(start_vars) == 1, f"{tag}_one_run"
        if fixed:
            prob += pulp.lpSum(v for v in on if v is not None) == duration, f"{tag}_duration"
            for t in range(n):
                if on[t] is not None:
                    slot_power[t] = max_w * on[t]
                    objective.append((on[t], max_w * per_w[t]))
        else:
            energy_wslots = round(app.energy_kwh * 1000.0 / hours)
            p_vars = []
            for t in range(n):
                if on[t] is None:
                    continue
                p = pulp.LpVariable(f"{tag}_w{t}", lowBound=0, upBound=cap_w)
                prob += p >= min_w * on[t], f"{tag}_pmin{t}"
                prob += p <= cap_w * on[t], f"{tag}_pmax{t}"
                slot_power[t] = p
                p_vars.append(p)
                objective.append((p, per_w[t]))
            prob += pulp.lpSum(p_vars) == energy_wslots, f"{tag}_energy"
        if app.startup_cost:
            objective.extend((s, app.startup_cost) for s in start_vars)
        power[app.name] = slot_power

    if limit_w is not None:
        for t in range(n):
            terms = [p[t] for p in power.values() if not isinstance(p[t], int)]
            worst = sum(cap_of[name] for name, p in power.items() if not isinstance(p[t], int))
            if terms and worst > limit_w:
                prob += pulp.lpSum(terms) <= limit_w, f"import_limit{t}"

    expr = pulp.LpAffineExpression()
    for var, coef in objective:
        if coef:
            expr.addterm(var, coef)
    expr.constant = constant
    prob += expr
    return prob, power, signal


def _value(e: Any) -> float:
    if isinstance(e, int | float):
        return float(e)
    v = pulp.value(e)
    return 0.0 if v is None else float(v)


def solve_household_pulp(
    problem: HouseholdProblem, time_limit_s: float, *, threads: int = 1
) -> PulpResult:
    """Build and solve the household MILP; the objective is recomputed from the schedule the way
    household.py reports it (signal energy + start-up costs per start)."""
    t0 = time.perf_counter()
    prob, power, signal = household_pulp(problem)
    build_s = time.perf_counter() - t0
    run = solve_cbc(prob, time_limit_s, threads=threads, mip=True)
    status, solve_s, cbc_s = run.status, run.wall_s, run.cbc_s
    objective = None
    starts = None
    if status in ("optimal", "time limit"):  # a MIP incumbent is feasible
        hours = problem.slot_minutes / 60.0
        objective = 0.0
        starts = 0
        for app in problem.appliances:
            watts = [_value(e) for e in power[app.name]]
            watts = [w if w > 0.5 else 0.0 for w in watts]  # CBC's integrality tolerance
            objective += sum(w * s for w, s in zip(watts, signal, strict=True)) * hours / 1000.0
            k = sum(1 for t, w in enumerate(watts) if w > 0 and (t == 0 or watts[t - 1] <= 0))
            starts += k
            objective += k * app.startup_cost
    return PulpResult(
        status=status,
        objective=objective,
        build_s=build_s,
        solve_s=solve_s,
        cbc_s=cbc_s,
        num_variables=len(prob.variables()),
        num_constraints=len(prob.constraints),
        time_limit_s=time_limit_s,
        extra={
            "lp_objective": pulp.value(prob.objective) if objective is not None else None,
            "starts": starts,
            "cbc_result": run.result,
        },
    )


# ---------------------------------------------------------------------------------------------
# Fleet LP
# ---------------------------------------------------------------------------------------------


def _slot_array(value, n: int) -> np.ndarray | None:
    if value is None:
        return None
    arr = np.asarray(value, dtype=np.float64)
    return np.full(n, float(arr)) if arr.ndim == 0 else arr


def fleet_pulp(problem: FleetProblem, *, name: str = "fleet") -> tuple[pulp.LpProblem, dict]:
    """The fleet LP in PuLP (see the module docstring). Returns (problem, variables)."""
    T = len(problem.slot_starts_utc)
    dt = problem.slot_minutes / 60.0
    price = _slot_array(problem.price_usd_per_kwh, T)
    export_price = _slot_array(problem.export_price_usd_per_kwh, T)
    if export_price is None:
        export_price = price
    carbon = _slot_array(problem.carbon_gco2_per_kwh, T)
    if problem.objective == "cost":
        rate, export_rate = price, export_price
    else:
        rate = carbon / 1000.0 * problem.carbon_price_usd_per_kg
        export_rate = rate if problem.carbon_credit_exports else np.zeros(T)
    split = bool(np.any(export_rate != rate))
    imp_limit = _slot_array(problem.feeder_import_limit_kw, T)
    exp_limit = _slot_array(problem.feeder_export_limit_kw, T)

    homes = problem.homes
    fixed = np.stack([h.load_kw - h.pv_kw for h in homes])
    batt = [i for i, h in enumerate(homes) if h.battery is not None]
    B = len(batt)
    eps = (
        np.random.default_rng(FLEET_TIE_BREAK_SEED).uniform(
            0.0, problem.tie_break_usd_per_kwh, (B, T)
        )
        if problem.tie_break_usd_per_kwh > 0 and B
        else np.zeros((B, T))
    )

    prob = pulp.LpProblem(name, pulp.LpMinimize)
    constant = 0.0
    no_batt = [i for i in range(len(homes)) if homes[i].battery is None]
    if no_batt:
        f = fixed[no_batt]
        constant += float(
            dt * (np.clip(f, 0, None) @ rate - np.clip(-f, 0, None) @ export_rate).sum()
        )
    obj = pulp.LpAffineExpression()
    charge: list[list[Any]] = []
    discharge: list[list[Any]] = []
    socs: list[list[Any]] = []
    for k, i in enumerate(batt):
        b = homes[i].battery
        c = [pulp.LpVariable(f"c{k}_{t}", 0, b.max_charge_kw) for t in range(T)]
        d = [pulp.LpVariable(f"d{k}_{t}", 0, b.max_discharge_kw) for t in range(T)]
        s = [pulp.LpVariable(f"s{k}_{t}", b.soc_min_kwh, b.soc_max) for t in range(T)]
        s[-1].lowBound = max(b.soc_min_kwh, b.end_soc_target_kwh)
        for t in range(T):
            prev = s[t - 1] if t else b.initial_soc_kwh
            prob += (
                s[t] == prev + dt * b.charge_efficiency * c[t] - dt / b.discharge_efficiency * d[t],
                f"soc{k}_{t}",
            )
            flow = dt * (b.degradation_cost_usd_per_kwh + float(eps[k, t]))
            if split:
                imp = pulp.LpVariable(f"i{k}_{t}", 0)
                exp = pulp.LpVariable(f"e{k}_{t}", 0)
                prob += imp - exp - c[t] + d[t] == float(fixed[i, t]), f"net{k}_{t}"
                obj.addterm(imp, dt * float(rate[t]))
                obj.addterm(exp, -dt * float(export_rate[t]))
                obj.addterm(c[t], flow)
                obj.addterm(d[t], flow)
            else:
                obj.addterm(c[t], dt * float(rate[t]) + flow)
                obj.addterm(d[t], -dt * float(rate[t]) + flow)
                f = float(fixed[i, t])
                constant += dt * (max(f, 0.0) * rate[t] - max(-f, 0.0) * export_rate[t])
        charge.append(c)
        discharge.append(d)
        socs.append(s)

    if B and (imp_limit is not None or exp_limit is not None):
        total = fixed.sum(axis=0)
        max_c = sum(homes[i].battery.max_charge_kw for i in batt)
        max_d = sum(homes[i].battery.max_discharge_kw for i in batt)
        for t in range(T):
            hi = None if imp_limit is None else float(imp_limit[t] - total[t])
            lo = None if exp_limit is None else float(-exp_limit[t] - total[t])
            if not ((hi is not None and hi < max_c) or (lo is not None and lo > -max_d)):
                continue  # the batteries cannot break the limits in this slot
            net = pulp.lpSum(charge[k][t] - discharge[k][t] for k in range(B))
            if hi is not None:
                prob += net <= hi, f"feeder_import{t}"
            if lo is not None:
                prob += net >= lo, f"feeder_export{t}"
    obj.constant = constant
    prob += obj
    return prob, {"charge": charge, "discharge": discharge, "soc": socs, "batt": batt}


def solve_fleet_pulp(problem: FleetProblem, time_limit_s: float, *, threads: int = 1) -> PulpResult:
    """Build and solve the fleet LP with CBC (its LP solver, CLP)."""
    t0 = time.perf_counter()
    prob, var = fleet_pulp(problem)
    build_s = time.perf_counter() - t0
    run = solve_cbc(prob, time_limit_s, threads=threads, mip=False)
    status, solve_s, cbc_s = run.status, run.wall_s, run.cbc_s
    objective = None
    extra: dict[str, Any] = {"cbc_result": run.result}
    if status == "time limit":
        # An LP stopped on time has no proven-feasible point (simplex mid-way): no objective.
        extra["objective_at_stop"] = pulp.value(prob.objective)
    if status == "optimal":
        objective = float(pulp.value(prob.objective))
        T = len(problem.slot_starts_utc)
        dt = problem.slot_minutes / 60.0
        c = np.array([[_value(v) for v in row] for row in var["charge"]]).reshape(-1, T)
        d = np.array([[_value(v) for v in row] for row in var["discharge"]]).reshape(-1, T)
        extra["battery_charge_kwh"] = float(dt * c.sum())
        extra["battery_discharge_kwh"] = float(dt * d.sum())
    return PulpResult(
        status=status,
        objective=objective,
        build_s=build_s,
        solve_s=solve_s,
        cbc_s=cbc_s,
        num_variables=prob.numVariables(),
        num_constraints=prob.numConstraints(),
        time_limit_s=time_limit_s,
        extra=extra,
    )
