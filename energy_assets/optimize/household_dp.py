"""Exact single-appliance schedules by dynamic programming over the day's slots.

Pure module (numpy). When a household's appliances do not interact (no import limit, or one
that no slot can reach), the household's optimum is each appliance's own optimum, and
`appliance_schedule` finds it exactly on the same integer objective as the CP-SAT model in
`household.py` (`coef[t]` per W-slot, `startup` per start) in about a millisecond:

- fixed power in one block: every feasible start, by a running sum (closed form);
- everything else: a DP whose state is the run state (not started yet; on for 1..m-1 or >= m
  slots, m = `min_on_slots`; off for 1..r-1 or >= r slots since the last stop, r =
  `min_off_slots`, or done for a one-block appliance) and the energy delivered so far, in units
  of `g` W-slots: one on-slot for fixed power; for a power range, g = gcd(min W, max W, energy):
  with the on-slots fixed, the energy split is an LP whose optimal vertex has every slot at its
  min or max but one, so the optimum is a multiple of g everywhere and no optimum is lost.

Same rules as the CP-SAT model: off before the first slot, runs end inside the day and last at
least m allowed slots, a pause after a stop lasts at least r slots (disallowed slots count as
off), a one-block appliance starts exactly once. Ties go to the first optimum found
walking back from the end of the day, preferring to stay in the current state (off stays off,
a run goes on), so among equal optima runs come as early as that rule allows, and a schedule
is a function of its inputs. CP-SAT breaks ties its own way: on ties the two may differ in
schedule, never in objective.
"""

from __future__ import annotations

import math

import numpy as np

INF = 1 << 60


TABLE_BYTES = 32 << 20
"""Households whose DP runs together are chunked so that one chunk's tables stay under this."""


def appliance_schedule(
    allowed: list[bool],
    coef: np.ndarray,
    *,
    fixed: bool,
    block: bool,
    max_w: int,
    min_w: int,
    duration: int | None,
    energy_wslots: int | None,
    min_on: int,
    min_off: int,
    startup: int,
) -> tuple[list[int], int] | None:
    """Watts per slot and the integer objective of the best schedule, or None if none exists.

    `coef`: int64 objective per W-slot; fixed power runs `duration` slots at `max_w`; a range
    runs at `min_w`..`max_w` W and delivers `energy_wslots` W-slots in all.
    """
    return appliance_schedules(
        allowed,
        np.asarray(coef, dtype=np.int64).reshape(1, -1),
        fixed=fixed,
        block=block,
        max_w=max_w,
        min_w=min_w,
        duration=duration,
        energy_wslots=energy_wslots,
        min_on=min_on,
        min_off=min_off,
        startup=startup,
    )[0]


def appliance_schedules(
    allowed: list[bool],
    coefs: np.ndarray,
    *,
    fixed: bool,
    block: bool,
    max_w: int,
    min_w: int,
    duration: int | None,
    energy_wslots: int | None,
    min_on: int,
    min_off: int,
    startup: int,
) -> list[tuple[list[int], int] | None]:
    """`appliance_schedule` for the same appliance under each row of `coefs` (households ×
    slots), in one pass of the DP over all rows (the same integer operations per row, so each
    row's answer is exactly the one-row answer)."""
    coefs = np.asarray(coefs, dtype=np.int64)
    n = len(allowed)
    if fixed and block:
        return _one_block(allowed, coefs, max_w, int(duration), startup)
    if fixed:
        unit, lo, hi, target = max_w, 1, 1, int(duration)
    else:
        g = math.gcd(math.gcd(min_w, max_w), int(energy_wslots))
        if g == 0:
            return [([0] * n, 0) for _ in range(len(coefs))]
        unit, lo, hi, target = g, min_w // g, max_w // g, int(energy_wslots) // g
    m, states = max(1, min_on), 1 + max(1, min_on) + (1 if block else max(min_off, 1))
    per_row = n * states * (target + 1) * 8
    rows = max(1, TABLE_BYTES // max(per_row, 1))
    out: list[tuple[list[int], int] | None] = []
    for k in range(0, len(coefs), rows):
        out += _dp(allowed, coefs[k : k + rows], unit, lo, hi, target, block, m, min_off, startup)
    return out


def _one_block(allowed, coefs, max_w, d, startup):
    h, n = coefs.shape
    if d <= 0 or d > n:
        return [None] * h
    ok = np.asarray(allowed, dtype=np.int64)
    runs = np.convolve(ok, np.ones(d, dtype=np.int64), mode="valid") == d
    if not runs.any():
        return [None] * h
    csum = np.concatenate([np.zeros((h, 1), dtype=np.int64), np.cumsum(coefs, axis=1)], axis=1)
    window = csum[:, d:] - csum[:, :-d]
    cost = np.where(runs, max_w * window + startup, INF)
    best = np.argmin(cost, axis=1)
    out = []
    for row, s in enumerate(best.tolist()):
        power = [0] * n
        power[s : s + d] = [max_w] * d
        out.append((power, int(cost[row, s])))
    return out


def _conv(rows: np.ndarray, step_cost: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """new[h, .., e] = min over levels l in [lo, hi] of rows[h, .., e - l] + l * step_cost[h]."""
    h, k, width = rows.shape
    c = step_cost.reshape(h, 1, 1)
    if lo == hi:
        out = np.empty((h, k, width), dtype=np.int64)
        out[..., : min(lo, width)] = INF
        if lo < width:
            np.add(rows[..., : width - lo], lo * c, out=out[..., lo:])
            np.minimum(out, INF, out=out)
        return out
    # w[j] = rows[j] - j*c; new[e] = e*c + min(w[e-hi .. e-lo]) (indices < 0 are INF)
    jc = np.arange(width, dtype=np.int64) * c
    wp = np.empty((h, k, hi + width), dtype=np.int64)
    wp[..., :hi] = INF
    np.subtract(rows, jc, out=wp[..., hi:])
    mins = _window_min(wp[..., : width + hi - lo], hi - lo + 1)
    return np.minimum(mins + jc, INF)


def _window_min(x: np.ndarray, size: int) -> np.ndarray:
    """out[..., k] = min(x[..., k : k + size]) by doubling spans (a sparse table), O(log size)."""
    span, m = 1, x
    while 2 * span <= size:
        m = np.minimum(m[..., :-span], m[..., span:])
        span *= 2
    count = x.shape[-1] - size + 1
    return np.minimum(m[..., :count], m[..., size - span : size - span + count])


def _dp(allowed, coefs, unit, lo, hi, target, block, m, r, startup):
    """The DP for every row of `coefs` at once; tables are (slot, row, state, energy)."""
    n = len(allowed)
    h = len(coefs)
    width = target + 1
    R = max(r, 1)
    n_off = 1 if block else R  # block: one "done" state
    # states: 0 never started, 1..m on (m: >= m), then off 1..R (R: >= R) or done
    on0, off0 = 1, 1 + m
    S = 1 + m + n_off
    step_costs = unit * coefs
    tables = np.empty((n, h, S, width), dtype=np.int64)
    prev = np.full((h, S, width), INF, dtype=np.int64)
    prev[:, 0, 0] = 0
    first = next((t for t in range(n) if allowed[t]), n)
    tables[:first] = prev  # nothing can start before the first allowed slot: still "never"
    for t in range(first, n):
        new = tables[t]
        new[:, 0] = prev[:, 0]
        # off / done: a stop from "on >= m", or the pause goes on
        if block or R == 1:
            np.minimum(prev[:, on0 + m - 1], prev[:, off0], out=new[:, off0])
        else:
            new[:, off0] = prev[:, on0 + m - 1]
            new[:, off0 + 1 : off0 + R - 1] = prev[:, off0 : off0 + R - 2]
            np.minimum(prev[:, off0 + R - 2], prev[:, off0 + R - 1], out=new[:, off0 + R - 1])
        if allowed[t]:
            into = np.empty((h, m, width), dtype=np.int64)
            start = into[:, 0]
            if block:
                np.add(prev[:, 0], startup, out=start)
            else:
                np.minimum(prev[:, 0], prev[:, off0 + R - 1], out=start)
                start += startup
            np.minimum(start, INF, out=start)
            if m == 1:
                np.minimum(start, prev[:, on0], out=start)
            else:
                into[:, 1 : m - 1] = prev[:, on0 : on0 + m - 2]
                np.minimum(prev[:, on0 + m - 2], prev[:, on0 + m - 1], out=into[:, m - 1])
            new[:, on0 : on0 + m] = _conv(into, step_costs[:, t], lo, hi)
        else:
            new[:, on0 : on0 + m] = INF
        prev = new
    # ties: prefer ending off (so runs come as early as the optimum allows; see `_backtrack`);
    # argmin takes the first of equal values, in this order
    finals = ([0] if target == 0 else []) + list(range(off0 + n_off - 1, off0 - 1, -1))
    finals.append(on0 + m - 1)
    ends = prev[:, finals, target]
    picks = np.argmin(ends, axis=1).tolist()
    out = []
    for row, pick in enumerate(picks):
        best = int(ends[row, pick])
        if best >= INF // 2:
            out.append(None)
            continue
        power = _backtrack(
            tables[:, row], allowed, coefs[row], unit, lo, hi, block, m, R, startup, finals[pick]
        )
        out.append((power, best))
    return out


def _backtrack(tables, allowed, coef, unit, lo, hi, block, m, R, startup, state):
    """Walk the DP tables (slot, state, energy) back from (state, target) to the watts of each
    slot; among equal predecessors the first in the order below (levels from `lo` up, then
    sources in their listed order)."""
    n = len(tables)
    on0, off0 = 1, 1 + m
    e = tables.shape[2] - 1
    power = [0] * n
    empty = np.full(tables.shape[1:], INF, dtype=np.int64)
    empty[0, 0] = 0
    t = n
    while t > 0:
        t -= 1
        if state == 0:
            break  # "never started" is only reached from itself: off from here back
        value = int(tables[t, state, e])
        if state >= off0:
            k = state - off0
            if block or R == 1:
                sources = [state, on0 + m - 1]
            elif k == 0:
                sources = [on0 + m - 1]
            elif k < R - 1:
                sources = [state - 1]
            else:
                sources = [state, state - 1]
            if sources[0] == state:
                # staying off comes first: skip back over the slots it explains at once
                moved = np.flatnonzero(tables[:t, state, e] != value)
                t = int(moved[-1]) + 1 if moved.size else 0
                sources = sources[1:]
            prev = tables[t - 1] if t else empty
            state = next(s for s in sources if prev[s, e] == value)
            continue
        prev = tables[t - 1] if t else empty
        # on: which level and which predecessor
        i = state - on0
        c = unit * int(coef[t])
        if i == 0:
            sources = [(on0, 0)] if m == 1 else []
            starts = [0] if block else [off0 + R - 1, 0]
            sources += [(s, startup) for s in starts]
        elif i < m - 1:
            sources = [(on0 + i - 1, 0)]
        else:
            sources = [(on0 + m - 1, 0), (on0 + m - 2, 0)]
        if lo == hi:
            state = next(s for s, extra in sources if prev[s, e - lo] + extra + lo * c == value)
            level = lo
        else:
            levels = np.arange(lo, min(hi, e) + 1)
            rows = np.array([s for s, _ in sources])
            extra = np.array([x for _, x in sources], dtype=np.int64)
            match = prev[rows[:, None], e - levels] + extra[:, None] + levels * c == value
            first = int(np.argmax(match.T.ravel()))  # level by level, sources in order
            level, state = int(levels[first // len(sources)]), int(rows[first % len(sources)])
        power[t] = level * unit
        e -= level
    return power
