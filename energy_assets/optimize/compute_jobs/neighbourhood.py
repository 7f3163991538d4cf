"""Large neighbourhood search: CP-SAT re-solves a few dozen jobs at a time, the rest fixed."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from energy_assets.optimize.compute_jobs.backends import (
    _LP,
    _solve_cpsat,
)
from energy_assets.optimize.compute_jobs.baselines import (
    _Assignment,
    _best_window_assignment,
    _evaluate,
    _gap,
)
from energy_assets.optimize.compute_jobs.model import (
    _build,
    _decode,
    _global_values,
    _layout,
)
from energy_assets.optimize.compute_jobs.problem import (
    _Prepared,
)

_LNS_K0 = 60  # first neighbourhood size (jobs)
_SUB_MIN_S = 1.0  # time limit of one LNS sub-problem: max(_SUB_MIN_S, _SUB_SHARE x time left)
_SUB_SHARE = 0.05


def _objective_of(prep: _Prepared, assign: _Assignment) -> tuple[int, float]:
    """(unscheduled jobs, objective) of an assignment."""
    key = "total_co2_kg" if prep.problem.objective == "carbon" else "total_cost_usd"
    ev = _evaluate(prep, assign)
    return prep.n_jobs - ev["n_scheduled"], float(ev[key] or 0.0)


def _neighbourhood(
    prep: _Prepared,
    assign: _Assignment,
    kind: str,
    k: int,
    rng: np.random.Generator,
    candidates: np.ndarray,
    ctx: dict[str, Any],
) -> np.ndarray:
    """About k jobs to re-optimise; unscheduled candidates are always in.

    - "regret": an unscheduled job, or a job far from its own best window (current minus
      best-window objective, sampled by that regret), seeds a region and window around its best
      option; free the jobs running there (up to half) and the highest-regret jobs that could
      run there.
    - "hot": the same around a busy region-hour (sampled by utilisation^4), others at random.
    - "lp": jobs placed differently from the LP relaxation, topped up at random.
    - "random": jobs at random.
    """
    placed_mask = np.array([assign[j] is not None for j in range(prep.n_jobs)])
    cand_mask = np.zeros(prep.n_jobs, dtype=bool)
    cand_mask[candidates] = True
    skipped = np.flatnonzero(cand_mask & ~placed_mask)
    placed = np.flatnonzero(cand_mask & placed_mask)
    k_rest = max(k - len(skipped), 0)
    regret = ctx["regret"]
    if kind in ("regret", "hot") and len(placed):
        H = prep.H
        if kind == "regret" and (len(skipped) or regret[placed].sum() > 0):
            if len(skipped) and (rng.random() < 0.7 or regret[placed].sum() <= 0):
                seed = int(rng.choice(skipped))  # make room around an unscheduled job
            else:
                w = regret[placed] ** 2
                seed = int(rng.choice(placed, p=w / w.sum()))
            r, hrs = ctx["best"][seed]
            t = int(hrs[len(hrs) // 2])
        else:
            util = (ctx["load"] / np.maximum(prep.capacity_units, 1)).reshape(-1)
            w = util**4 + 1e-12
            r, t = divmod(int(rng.choice(len(w), p=w / w.sum())), H)
        width = int(rng.integers(2, 10))
        t0, t1 = max(0, t - width), min(H, t + width + 1)
        d_opt = prep.duration[prep.opt_job]
        touch = (prep.opt_region == r) & (prep.opt_start < t1) & (prep.opt_start + d_opt > t0)
        pool = np.zeros(prep.n_jobs, dtype=bool)
        pool[prep.opt_job[touch]] = True
        touch_run = (ctx["run_region"] == r) & (prep.run_hour >= t0) & (prep.run_hour < t1)
        pool[prep.ch_job[prep.run_choice[touch_run]]] = True
        inside = np.array(
            [
                j
                for j in placed.tolist()
                if assign[j][0] == r and bool(np.any((assign[j][1] >= t0) & (assign[j][1] < t1)))
            ],
            dtype=np.int64,
        )
        pool[inside] = False
        pool &= placed_mask & cand_mask
        outside = np.flatnonzero(pool)
        if len(inside) > k_rest // 2:
            inside = rng.choice(inside, size=k_rest // 2, replace=False)
        n_more = max(k_rest - len(inside), 0)
        if len(outside) > n_more:
            if kind == "regret":
                noisy = regret[outside] * rng.uniform(0.5, 1.5, size=len(outside))
                outside = outside[np.argsort(-noisy)[:n_more]]
            else:
                outside = rng.choice(outside, size=n_more, replace=False)
        chosen = np.concatenate([inside, outside])
    elif kind == "lp" and ctx["lp"] is not None and len(placed):
        g_skip0 = _layout(prep)[2]
        diff = np.abs(ctx["values"][:g_skip0] - ctx["lp"][:g_skip0]) > 1e-6
        off = np.intersect1d(np.unique(ctx["var_job"][diff]), placed)
        if len(off) > k_rest:
            off = rng.choice(off, size=k_rest, replace=False)
        rest = np.setdiff1d(placed, off)
        extra = rng.choice(rest, size=min(max(k_rest - len(off), 0), len(rest)), replace=False)
        chosen = np.concatenate([off, extra])
    else:
        chosen = rng.choice(placed, size=min(k_rest, len(placed)), replace=False)
    return np.unique(np.concatenate([skipped, chosen.astype(np.int64)]))


def _job_objective(prep: _Prepared, j: int, a: tuple[int, np.ndarray] | None) -> float:
    if a is None:
        return 0.0
    w = (
        prep.carbon[a[0], a[1]] / 1000.0
        if prep.problem.objective == "carbon"
        else (prep.price[a[0], a[1]])
    )
    return float(prep.power[j] * np.nansum(w))


def _lns(
    prep: _Prepared,
    start: _Assignment,
    candidates: np.ndarray,
    deadline: float,
    lp: _LP,
    scale: float,
) -> tuple[_Assignment, dict[str, Any]]:
    """Large neighbourhood search: re-solve about k jobs at a time with CP-SAT (the rest fixed),
    accept strict improvements of (unscheduled jobs, objective); k grows when sub-problems are
    solved to optimality and shrinks when they time out without improving."""
    rng = np.random.default_rng(0)
    assign = list(start)
    J = prep.n_jobs
    cap = prep.problem.carbon_cap_kg
    best = _best_window_assignment(prep)
    best_obj = np.array([_job_objective(prep, j, best[j]) for j in range(J)])
    job_obj = np.array([_job_objective(prep, j, assign[j]) for j in range(J)])
    job_co2 = np.array(
        [
            prep.power[j] * float(prep.carbon[a[0], a[1]].sum()) / 1000.0 if a is not None else 0.0
            for j, a in enumerate(assign)
        ]
    )
    load = np.zeros_like(prep.capacity_units)
    for j, a in enumerate(assign):
        if a is not None:
            load[a[0], a[1]] += prep.power_units[j]
    ctx: dict[str, Any] = {
        "best": best,
        "load": load,
        "lp": lp.values,
        "values": _global_values(prep, assign),
        "var_job": np.concatenate([prep.opt_job, prep.ch_job, prep.ch_job[prep.run_choice]]),
        "run_region": prep.ch_region[prep.run_choice],
    }
    key = _objective_of(prep, assign)
    kinds = ["regret", "hot", "regret", "lp"] if lp.values is not None else ["regret", "hot"]
    kinds = [*kinds, "random"]
    k = min(len(candidates), _LNS_K0)
    stats: dict[str, Any] = {"iterations": 0, "improvements": 0, "start": key, "sizes": []}
    per_kind = {kd: {"iterations": 0, "improvements": 0, "gain": 0.0} for kd in kinds}
    trace = []
    target_gap = float(prep.problem.relative_gap_limit)
    while True:
        left = deadline - time.perf_counter()
        if left < 0.2 or not len(candidates):
            break
        if key[0] == 0 and lp.bound is not None and _gap(key[1], lp.bound) <= target_gap:
            stats["stopped"] = "gap limit vs LP bound"
            break
        kind = kinds[stats["iterations"] % len(kinds)]
        ctx["regret"] = np.maximum(job_obj - best_obj, 0.0)
        free = _neighbourhood(prep, assign, kind, k, rng, candidates, ctx)
        free_load = np.zeros_like(load)
        for j in free.tolist():
            if assign[j] is not None:
                free_load[assign[j][0], assign[j][1]] += prep.power_units[j]
        fixed_co2 = float(job_co2.sum() - job_co2[free].sum())
        m = _build(
            prep,
            free,
            skips=True,
            capacity_units=prep.capacity_units - (load - free_load),
            co2_budget_kg=None if cap is None else cap - fixed_co2,
        )
        hint = ctx["values"][m.gvar]
        sub_limit = min(left, max(_SUB_MIN_S, _SUB_SHARE * left))
        run = _solve_cpsat(m, prep, scale, hint, sub_limit, presolve=False)
        stats["iterations"] += 1
        stats["sizes"].append(len(free))
        per_kind[kind]["iterations"] += 1
        gain = 0.0
        improved = False
        if run.values is not None:
            old = (int(hint[m.skip].sum()), float(np.dot(m.obj, hint)))
            new = (int(run.values[m.skip].sum()), float(np.dot(m.obj, run.values)))
            if new < old and (new[0] < old[0] or old[1] - new[1] > 1e-9 * max(1.0, abs(old[1]))):
                improved = True
                assign = _decode(prep, m, run.values, assign)
                ctx["values"][m.gvar] = run.values
                load -= free_load
                for j in free.tolist():
                    a = assign[j]
                    job_obj[j] = _job_objective(prep, j, a)
                    job_co2[j] = (
                        prep.power[j] * float(prep.carbon[a[0], a[1]].sum()) / 1000.0
                        if a is not None
                        else 0.0
                    )
                    if a is not None:
                        load[a[0], a[1]] += prep.power_units[j]
                prev = key
                key = (sum(assign[j] is None for j in range(J)), float(job_obj.sum()))
                gain = prev[1] - key[1]
                stats["improvements"] += 1
                per_kind[kind]["improvements"] += 1
                per_kind[kind]["gain"] += gain
        trace.append((kind, len(free), run.status, round(run.wall_s, 2), round(gain, 2)))
        solved = run.status == "OPTIMAL"
        if solved and len(free) == len(candidates) and run.bound is not None:
            # the neighbourhood was the whole problem: solved exactly
            stats["exact_bound"] = run.bound
            stats["stopped"] = "whole problem solved exactly"
            break
        if solved:
            k = int(min(len(candidates), k * 1.15 + 1))
        elif not improved:
            k = int(max(15, k * 0.85))
    key = _objective_of(prep, assign)
    stats["final"] = key
    stats["final_size"] = k
    stats["per_kind"] = per_kind
    stats["trace"] = trace[-200:]  # (kind, jobs, CP-SAT status, seconds, objective gain)
    stats["sizes"] = {
        "min": min(stats["sizes"], default=0),
        "max": max(stats["sizes"], default=0),
        "mean": float(np.mean(stats["sizes"])) if stats["sizes"] else 0.0,
    }
    return assign, stats
