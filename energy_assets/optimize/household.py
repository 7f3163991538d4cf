"""Household load shifting: schedule flexible appliances against a carbon and/or price signal.

Pure module (no Dagster): `solve_household(HouseholdProblem) -> HouseholdSchedule`.

The day is cut into equal slots (15 min by default; a local day has 92, 96 or 100 of them
around DST changes). Every appliance must deliver its run (a duration at fixed power, or an
energy at a power in a range) inside its allowed slots; the schedule minimizes the chosen signal
(`carbon` in gCO2, `cost` in USD, or a normalized `blend`) plus start-up penalties, under an
optional household import cap. Appliances are never dropped: a request that cannot be met raises
`ScheduleInfeasible`, naming the appliance and the constraint.

Solving
-------
Without an import limit (or with one that the appliances allowed in a slot cannot reach
together, the graph's default household) the appliances do not interact, and each is solved
alone, exactly, by dynamic programming on the same integer objective as the CP-SAT model below
(`household_dp`, ~1 ms for the default appliances; `summary["method"] == "dp"`, gap 0). A
binding import limit couples them: the CP-SAT model (`method` "cp-sat"). An appliance the DP
finds no schedule for goes to CP-SAT too, whose infeasibility diagnosis names it. On equal
optima the two can pick different schedules (same objective).

CP-SAT model (OR-Tools)
-----------------------
* Power is in whole **watts** (integer variables / coefficients).
* The objective signal is scaled to integers so that the largest |signal| of the day maps to
  `SIGNAL_STEPS` (= 100 000, i.e. a relative resolution of 1e-5). One objective unit of the
  integer model is therefore `scale = max|signal| * slot_hours / 1000 / SIGNAL_STEPS` (signal units
  per W-slot); start-up costs are divided by the same `scale` and rounded. The reported
  `objective` is recomputed exactly in float from the chosen schedule; `best_bound` is the
  solver's integer bound times `scale`, and `gap` is taken on the integer model.
* Fixed-power, uninterruptible appliances use one boolean per feasible start slot
  (`add_exactly_one`); the power in slot t is `P * sum(starts covering t)`, which is LP-tight.
* Everything else gets a boolean `on[t]` per allowed slot and a start indicator
  `start[t] <=> on[t] and not on[t-1]` (built with `only_enforce_if`). Range-power appliances add
  an integer power `p[t]` with `min*on[t] <= p[t] <= max*on[t]` and `sum p = energy`.
  `min_on_slots` / `min_off_slots` are the aggregated turn-on / turn-off inequalities
  (`sum(start[t-m+1..t]) <= on[t]`, `sum(stop[t-r+1..t]) <= 1 - on[t]`, with
  `stop[t] = start[t] - on[t] + on[t-1]`), which are tighter in the LP than per-slot
  implications. Uninterruptible range-power appliances have exactly one start.
* The state before the first slot is "off" and a run must end inside the day (a run cannot be
  cut by midnight); disallowed slots count as off time for `min_off_slots`.
* `num_workers=1` and a fixed random seed make results reproducible; `linearization_level=2`
  puts the boolean constraints into the LP relaxation, which is what closes the gap quickly with
  a single worker (default appliances, noisy 96-slot signals: ~0.05-2 s to OPTIMAL).

Blend objective: each signal is divided by its mean absolute value over the day, then
`blend = w * carbon / mean|carbon| + (1 - w) * price / mean|price|`; its unit is the
"normalized kWh" (1 kWh at the day's average carbon and price is 1.0).

Baseline: each appliance starts at `baseline_start_slot` (default: its earliest allowed slot)
and runs at max power in the next allowed slots in order (wrapping past the end of the day to
its start), i.e. uninterrupted whenever its window allows. The baseline ignores the import limit.
"""

from __future__ import annotations

import copy
import math
import time as time_module
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from energy_assets.timeutil import intervals_utc

if TYPE_CHECKING:
    from ortools.sat.python import cp_model

__all__ = [
    "OBJECTIVE_UNITS",
    "SIGNAL_STEPS",
    "Appliance",
    "HouseholdOutcome",
    "HouseholdProblem",
    "HouseholdSchedule",
    "ScheduleInfeasible",
    "ScheduleTimeout",
    "default_household_appliances",
    "expand_hourly_to_slots",
    "household_outcome",
    "household_outcomes",
    "household_schedule",
    "household_schedules",
    "local_day_slots",
    "local_window_slots",
    "slot_starts_us",
    "solve_household",
]

SIGNAL_STEPS = 100_000
"""The largest |signal| of the day is scaled to this integer (relative resolution 1e-5)."""

DIAGNOSTIC_TIME_LIMIT_S = 2.0
"""Time limit of each small re-solve used to explain an INFEASIBLE answer."""

ObjectiveKind = Literal["cost", "carbon", "blend"]

OBJECTIVE_UNITS: dict[str, str] = {"carbon": "gCO2", "cost": "USD", "blend": "normalized kWh"}


class ScheduleInfeasible(ValueError):  # noqa: N818 - the name the callers use
    """The request cannot be scheduled, or is malformed.

    `appliance` names the appliance at fault (None for whole-problem issues) and `constraint` is
    a short key: window, duration, energy, power_range, min_on, import_limit, constraints,
    signal, slots, malformed, solver. `appliances` lists every appliance involved (several when
    only their combination under the import limit is infeasible).
    """

    def __init__(
        self,
        message: str,
        *,
        appliance: str | None = None,
        constraint: str = "",
        appliances: Sequence[str] = (),
    ):
        super().__init__(message)
        self.appliance = appliance
        self.constraint = constraint
        self.appliances = list(appliances) or ([appliance] if appliance else [])


class ScheduleTimeout(RuntimeError):
    """CP-SAT found no schedule within the time limit (and did not prove infeasibility)."""


@dataclass(frozen=True)
class Appliance:
    """One flexible load.

    Power: `power_kw` (kW) is the fixed power while running; with `min_power_kw` set, the
    appliance may run anywhere in `[min_power_kw, power_kw]` and `energy_kwh` is required.

    Run length: `duration_slots` (fixed power), or `energy_kwh` (kWh; fixed power derives
    `ceil(energy / (power * slot_hours))` slots; range power delivers exactly this energy).

    Window: slots `[earliest_start_slot, latest_end_slot)` (end exclusive, None = end of day),
    intersected with `allowed_slots` when given (use it for windows such as 18:00-07:00 that wrap
    around midnight: both ends of the day are allowed).

    `interruptible=False` runs in one block. `min_on_slots` / `min_off_slots` bound every run /
    pause of an interruptible appliance. `startup_cost` is added per start, in objective units
    (gCO2, USD, or normalized kWh for blend). `baseline_start_slot` is when the appliance would
    run without optimization (default: earliest allowed slot).
    """

    name: str
    power_kw: float
    min_power_kw: float | None = None
    duration_slots: int | None = None
    energy_kwh: float | None = None
    earliest_start_slot: int = 0
    latest_end_slot: int | None = None
    interruptible: bool = False
    min_on_slots: int = 1
    min_off_slots: int = 0
    startup_cost: float = 0.0
    allowed_slots: frozenset[int] | None = None
    baseline_start_slot: int | None = None

    def __post_init__(self) -> None:
        if self.allowed_slots is not None and not isinstance(self.allowed_slots, frozenset):
            object.__setattr__(self, "allowed_slots", frozenset(self.allowed_slots))


@dataclass(frozen=True)
class HouseholdProblem:
    """One day of household scheduling.

    `slot_starts_utc`: tz-aware, consecutive, `slot_minutes` apart. Signals are per slot:
    `price_usd_per_kwh` (USD/kWh) and `carbon_gco2_per_kwh` (gCO2/kWh); the objective needs its
    signal(s), the other one (if given) is only reported. `import_limit_kw` caps the sum of the
    appliances' power in every slot. `tz` is used for local times in messages only.
    """

    slot_starts_utc: list[datetime]
    slot_minutes: int
    appliances: list[Appliance]
    price_usd_per_kwh: list[float] | None = None
    carbon_gco2_per_kwh: list[float] | None = None
    objective: ObjectiveKind = "carbon"
    blend_weight_carbon: float = 0.5
    import_limit_kw: float | None = None
    time_limit_s: float = 10.0
    num_workers: int = 1
    tz: str = "UTC"


@dataclass(frozen=True)
class HouseholdSchedule:
    """The optimized schedule.

    `frame`: one row per appliance per slot with power > 0, columns `appliance` (str),
    `interval_start_utc` (datetime, UTC), `power_kw`, `energy_kwh` (kWh in the slot) and `signal`
    (the objective signal in that slot). `baseline_frame`: the same for the baseline.
    `summary`: JSON-friendly scalars (see `solve_household`).
    """

    frame: pl.DataFrame
    summary: dict[str, Any]
    baseline_frame: pl.DataFrame = field(repr=False)


# ---------------------------------------------------------------------------------------------
# Helpers for callers: slots of a local day, hourly -> slot signals, local windows, defaults
# ---------------------------------------------------------------------------------------------


def local_day_slots(day: date, tz: str, slot_minutes: int = 15) -> list[datetime]:
    """UTC slot starts covering the local calendar `day` in `tz` (92/96/100 slots at 15 min)."""
    return intervals_utc(day, tz, timedelta(minutes=slot_minutes))


def expand_hourly_to_slots(
    hour_starts_utc: Sequence[datetime], values: Sequence[float], slot_minutes: int = 15
) -> tuple[list[datetime], list[float]]:
    """Repeat each hourly value over the `60 / slot_minutes` slots of its hour.

    Returns `(slot_starts_utc, slot_values)`; an intensity (gCO2/kWh, USD/kWh) is the same in
    every part of the hour, so values are copied, not divided.
    """
    if len(hour_starts_utc) != len(values):
        raise ValueError(f"{len(hour_starts_utc)} hour starts but {len(values)} values")
    if slot_minutes <= 0 or 60 % slot_minutes:
        raise ValueError(f"slot_minutes must divide 60, got {slot_minutes}")
    per_hour = 60 // slot_minutes
    step = timedelta(minutes=slot_minutes)
    starts: list[datetime] = []
    out: list[float] = []
    for hour, value in zip(hour_starts_utc, values, strict=True):
        if hour.tzinfo is None:
            raise ValueError(f"hour start {hour} is not timezone-aware")
        for k in range(per_hour):
            starts.append(hour + k * step)
            out.append(float(value))
    return starts, out


def _local_minutes(slot_starts_utc: Sequence[datetime] | None, tz: str, n: int, slot_minutes: int):
    if slot_starts_utc is None:
        return [i * slot_minutes for i in range(n)]
    zone = ZoneInfo(tz)
    locals_ = [s.astimezone(zone) for s in slot_starts_utc]
    return [t.hour * 60 + t.minute for t in locals_]


def local_window_slots(
    slot_starts_utc: Sequence[datetime], tz: str, start: time, end: time
) -> frozenset[int]:
    """Slots whose local start time lies in `[start, end)`; `end <= start` wraps past midnight
    (e.g. 19:00-07:00 gives the evening and the early morning of the same day)."""
    return _window(_local_minutes(slot_starts_utc, tz, 0, 0), start, end)


def _window(minutes: Sequence[int], start: time, end: time) -> frozenset[int]:
    a = start.hour * 60 + start.minute
    b = end.hour * 60 + end.minute
    if b > a:
        return frozenset(i for i, m in enumerate(minutes) if a <= m < b)
    return frozenset(i for i, m in enumerate(minutes) if m >= a or m < b)


def _first_slot_at(minutes: Sequence[int], at: time) -> int:
    target = at.hour * 60 + at.minute
    for i, m in enumerate(minutes):
        if m >= target:
            return i
    return 0


def default_household_appliances(
    slot_starts_utc: Sequence[datetime] | None = None,
    *,
    tz: str = "UTC",
    slot_minutes: int = 15,
) -> list[Appliance]:
    """A realistic single-family household (windows in local time of `tz`).

    Without `slot_starts_utc`, a regular day of `24 * 60 / slot_minutes` slots from local
    midnight is assumed; pass the day's slots on DST days so windows follow the local clock.

    | appliance     | power           | run                    | window (local)  | notes        |
    |---------------|-----------------|------------------------|-----------------|--------------|
    | dishwasher    | 1.8 kW          | 2 h, one block         | 19:00-07:00     | naive 19:00  |
    | washer        | 0.8 kW          | 1.5 h, one block       | 07:00-22:00     |              |
    | dryer         | 2.5 kW          | 1 h, one block         | 09:00-23:00     | vented dryer |
    | ev_charger    | 1.4-7.2 kW      | 11 kWh, interruptible  | 18:00-07:00     | naive 18:00, |
    |               | (J1772 6-30 A)  | min on 30 min          |                 | 240 V L2     |
    | pool_pump     | 1.1 kW          | 6 h, interruptible     | 06:00-22:00     | min on 1 h   |
    | water_heater  | 4.5 kW element  | 2 h, interruptible     | all day         | min on 30 min|
    |               |                 |                        |                 | naive 06:00  |

    Wrapping windows (19:00-07:00) keep both ends of the same calendar day. "naive" is the
    baseline start (plug-in / usual habit); otherwise the baseline starts at the window start.
    """
    if slot_starts_utc is not None:
        n = len(slot_starts_utc)
    else:
        if (24 * 60) % slot_minutes:
            raise ValueError(f"slot_minutes must divide a day, got {slot_minutes}")
        n = 24 * 60 // slot_minutes
    minutes = _local_minutes(slot_starts_utc, tz, n, slot_minutes)

    def slots(hours: float) -> int:
        return max(1, math.ceil(hours * 60 / slot_minutes - 1e-9))

    def window(a: int, b: int) -> frozenset[int]:
        return _window(minutes, time(a), time(b % 24))

    def at(h: int) -> int:
        return _first_slot_at(minutes, time(h))

    return [
        Appliance(
            name="dishwasher",
            power_kw=1.8,
            duration_slots=slots(2),
            allowed_slots=window(19, 7),
            baseline_start_slot=at(19),
        ),
        Appliance(
            name="washer", power_kw=0.8, duration_slots=slots(1.5), allowed_slots=window(7, 22)
        ),
        Appliance(name="dryer", power_kw=2.5, duration_slots=slots(1), allowed_slots=window(9, 23)),
        Appliance(
            name="ev_charger",
            power_kw=7.2,
            min_power_kw=1.4,
            energy_kwh=11.0,
            interruptible=True,
            min_on_slots=slots(0.5),
            allowed_slots=window(18, 7),
            baseline_start_slot=at(18),
        ),
        Appliance(
            name="pool_pump",
            power_kw=1.1,
            duration_slots=slots(6),
            interruptible=True,
            min_on_slots=slots(1),
            allowed_slots=window(6, 22),
        ),
        Appliance(
            name="water_heater",
            power_kw=4.5,
            duration_slots=slots(2),
            interruptible=True,
            min_on_slots=slots(0.5),
            baseline_start_slot=at(6),
        ),
    ]


# ---------------------------------------------------------------------------------------------
# Validation and normalization
# ---------------------------------------------------------------------------------------------


@dataclass
class _Spec:
    """An appliance normalized to integer units (W, slots, W-slots)."""

    app: Appliance
    fixed: bool  # fixed power (else a power range)
    max_w: int  # device max power
    min_w: int  # running min power (= max_w for fixed power)
    cap_w: int  # max power under the import limit
    duration: int | None  # fixed power: number of on-slots
    energy_wslots: int | None  # range power: sum of W over the slots
    allowed: list[bool]
    stretches: list[tuple[int, int]]  # maximal allowed runs [a, b)
    startup_int: int = 0

    @property
    def name(self) -> str:
        return self.app.name

    @property
    def block(self) -> bool:
        return not self.app.interruptible


def _w(kw: float) -> int:
    return int(round(kw * 1000.0))


def _stretches(allowed: Sequence[bool]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    start = None
    for t, ok in enumerate(allowed):
        if ok and start is None:
            start = t
        elif not ok and start is not None:
            out.append((start, t))
            start = None
    if start is not None:
        out.append((start, len(allowed)))
    return out


class _Clock:
    """Formats slot ranges in local time for messages."""

    def __init__(self, slot_starts_utc: Sequence[datetime], slot_minutes: int, tz: str):
        self.starts = slot_starts_utc
        self.step = timedelta(minutes=slot_minutes)
        self.zone = ZoneInfo(tz)

    def start(self, t: int) -> str:
        return self.starts[t].astimezone(self.zone).strftime("%H:%M")

    def end(self, t: int) -> str:
        text = (self.starts[t - 1] + self.step).astimezone(self.zone).strftime("%H:%M")
        return "24:00" if text == "00:00" else text

    def span(self, a: int, b: int) -> str:
        return f"{self.start(a)}–{self.end(b)}"

    def spans(self, stretches: Sequence[tuple[int, int]]) -> str:
        return " + ".join(self.span(a, b) for a, b in stretches) or "(none)"


def _fail(app: Appliance | None, constraint: str, message: str) -> ScheduleInfeasible:
    name = app.name if app is not None else None
    text = f"{name}: {message}" if name else message
    return ScheduleInfeasible(text, appliance=name, constraint=constraint)


def _check_signal(name: str, values: Sequence[float] | None, n: int) -> list[float] | None:
    if values is None:
        return None
    if len(values) != n:
        raise _fail(None, "signal", f"{name} has {len(values)} values for {n} slots")
    out = [float(v) for v in values]
    bad = [i for i, v in enumerate(out) if not math.isfinite(v)]
    if bad:
        raise _fail(None, "signal", f"{name} is not finite in slot(s) {bad[:5]}")
    return out


def _check_problem(problem: HouseholdProblem) -> None:
    starts = problem.slot_starts_utc
    if not starts:
        raise _fail(None, "slots", "no slots to schedule")
    if problem.slot_minutes <= 0:
        raise _fail(None, "slots", f"slot_minutes must be positive, got {problem.slot_minutes}")
    if any(s.tzinfo is None for s in starts):
        raise _fail(None, "slots", "slot_starts_utc must be timezone-aware")
    step = timedelta(minutes=problem.slot_minutes)
    for i in range(1, len(starts)):
        if starts[i] - starts[i - 1] != step:
            raise _fail(
                None,
                "slots",
                f"slots {i - 1} and {i} are {starts[i] - starts[i - 1]} apart, "
                f"not {problem.slot_minutes} minutes",
            )
    if not problem.appliances:
        raise _fail(None, "malformed", "no appliances to schedule")
    names = [a.name for a in problem.appliances]
    if any(not n for n in names):
        raise _fail(None, "malformed", "every appliance needs a name")
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise _fail(None, "malformed", f"duplicate appliance names: {', '.join(dupes)}")
    if problem.objective not in OBJECTIVE_UNITS:
        raise _fail(None, "malformed", f"unknown objective {problem.objective!r}")
    if not 0.0 <= problem.blend_weight_carbon <= 1.0:
        raise _fail(
            None,
            "malformed",
            f"blend_weight_carbon must be in [0, 1], got {problem.blend_weight_carbon}",
        )
    if problem.import_limit_kw is not None and problem.import_limit_kw <= 0:
        raise _fail(
            None, "import_limit", f"import limit must be positive, got {problem.import_limit_kw} kW"
        )
    if problem.time_limit_s <= 0 or problem.num_workers < 1:
        raise _fail(None, "malformed", "time_limit_s must be > 0 and num_workers >= 1")


_SPECS: dict[tuple, _Spec] = {}
_SPECS_MAX = 1024


def _normalized(
    app: Appliance, n: int, slot_minutes: int, limit_w: int | None, clock: _Clock
) -> _Spec:
    """`_normalize`, remembered per (appliance, slots, slot length, limit): a spec depends on
    nothing else (the clock only words the errors, which are never remembered). A fresh copy
    each time, as `startup_int` is set per problem."""
    key = (app, n, slot_minutes, limit_w)
    spec = _SPECS.get(key)
    if spec is None:
        spec = _normalize(app, n, slot_minutes, limit_w, clock)
        if len(_SPECS) >= _SPECS_MAX:
            _SPECS.clear()
        _SPECS[key] = spec
    return copy.copy(spec)


def _normalize(
    app: Appliance, n: int, slot_minutes: int, limit_w: int | None, clock: _Clock
) -> _Spec:
    hours = slot_minutes / 60.0
    if not math.isfinite(app.power_kw) or app.power_kw <= 0:
        raise _fail(app, "malformed", f"power must be positive, got {app.power_kw} kW")
    fixed = app.min_power_kw is None
    if not fixed:
        if app.min_power_kw < 0:
            raise _fail(app, "power_range", f"min power {app.min_power_kw:g} kW is negative")
        if app.min_power_kw > app.power_kw:
            raise _fail(
                app,
                "power_range",
                f"min power {app.min_power_kw:g} kW is above its max power {app.power_kw:g} kW",
            )
        if app.energy_kwh is None:
            raise _fail(app, "malformed", "a power range needs energy_kwh")
        if app.duration_slots is not None:
            raise _fail(
                app,
                "malformed",
                "duration_slots cannot be combined with a power range; give energy_kwh",
            )
    else:
        if app.duration_slots is None and app.energy_kwh is None:
            raise _fail(app, "malformed", "give duration_slots or energy_kwh")
        if app.duration_slots is not None and app.energy_kwh is not None:
            raise _fail(app, "malformed", "give duration_slots or energy_kwh, not both")
    if app.duration_slots is not None and app.duration_slots < 1:
        raise _fail(app, "duration", f"duration must be at least 1 slot, got {app.duration_slots}")
    if app.energy_kwh is not None and not (math.isfinite(app.energy_kwh) and app.energy_kwh > 0):
        raise _fail(app, "energy", f"energy must be positive, got {app.energy_kwh} kWh")
    if app.min_on_slots < 1 or app.min_off_slots < 0:
        raise _fail(app, "malformed", "min_on_slots must be >= 1 and min_off_slots >= 0")
    if app.startup_cost < 0 or not math.isfinite(app.startup_cost):
        raise _fail(app, "malformed", f"startup cost must be >= 0, got {app.startup_cost}")

    # Window.
    latest = n if app.latest_end_slot is None else app.latest_end_slot
    if not 0 <= app.earliest_start_slot < n:
        raise _fail(
            app,
            "window",
            f"earliest_start_slot {app.earliest_start_slot} is outside the day's {n} slots",
        )
    if latest > n:
        raise _fail(
            app, "window", f"latest_end_slot {latest} is past the end of the day ({n} slots)"
        )
    if latest <= app.earliest_start_slot:
        raise _fail(
            app,
            "window",
            f"latest_end_slot {latest} is not after earliest_start_slot {app.earliest_start_slot}",
        )
    allowed = [app.earliest_start_slot <= t < latest for t in range(n)]
    if app.allowed_slots is not None:
        outside = sorted(t for t in app.allowed_slots if not 0 <= t < n)
        if outside:
            raise _fail(
                app, "window", f"allowed_slots {outside[:5]} are outside the day's {n} slots"
            )
        allowed = [ok and t in app.allowed_slots for t, ok in enumerate(allowed)]
    if app.baseline_start_slot is not None and not 0 <= app.baseline_start_slot < n:
        raise _fail(
            app,
            "window",
            f"baseline_start_slot {app.baseline_start_slot} is outside the day's {n} slots",
        )
    stretches = _stretches(allowed)
    window_slots = sum(allowed)
    if window_slots == 0:
        raise _fail(app, "window", "allowed window is empty")
    window_text = f"allowed window {clock.spans(stretches)} ({window_slots} slots)"

    # Power.
    max_w = _w(app.power_kw)
    min_w = max_w if fixed else _w(app.min_power_kw)
    if limit_w is not None and min_w > limit_w:
        what = "power" if fixed else "min power"
        raise _fail(
            app,
            "import_limit",
            f"import limit {limit_w / 1000:g} kW is below its {what} of {min_w / 1000:g} kW",
        )
    cap_w = max_w if limit_w is None else min(max_w, limit_w)

    # Run length / energy.
    if fixed:
        if app.duration_slots is not None:
            duration = app.duration_slots
            dur_text = f"its duration of {duration} slots"
        else:
            duration = math.ceil(app.energy_kwh / (app.power_kw * hours) - 1e-9)
            dur_text = (
                f"its duration of {duration} slots ({app.energy_kwh:g} kWh at {app.power_kw:g} kW)"
            )
        if app.interruptible:
            if duration < app.min_on_slots:
                raise _fail(
                    app,
                    "min_on",
                    f"duration of {duration} slots is shorter than its min_on_slots of "
                    f"{app.min_on_slots}",
                )
            usable = [(a, b) for a, b in stretches if b - a >= app.min_on_slots]
            usable_slots = sum(b - a for a, b in usable)
            if window_slots < duration:
                raise _fail(
                    app,
                    "window",
                    f"{window_text} is shorter than {dur_text}",
                )
            if usable_slots < duration:
                raise _fail(
                    app,
                    "min_on",
                    f"only {usable_slots} slots of its {window_text} lie in stretches of at least "
                    f"min_on_slots={app.min_on_slots}, fewer than {dur_text}",
                )
        else:
            if duration < app.min_on_slots:
                raise _fail(
                    app,
                    "min_on",
                    f"duration of {duration} slots is shorter than its min_on_slots of "
                    f"{app.min_on_slots}",
                )
            longest = max(b - a for a, b in stretches)
            if longest < duration:
                if len(stretches) == 1:
                    text = f"{window_text} is shorter than {dur_text}"
                else:
                    a, b = max(stretches, key=lambda s: s[1] - s[0])
                    text = (
                        f"longest uninterrupted part {clock.span(a, b)} ({longest} slots) of its "
                        f"{window_text} is shorter than {dur_text}"
                    )
                raise _fail(app, "window", text)
        return _Spec(app, True, max_w, min_w, cap_w, duration, None, allowed, stretches)

    energy_wslots = int(round(app.energy_kwh * 1000.0 / hours))
    if app.interruptible:
        usable = [(a, b) for a, b in stretches if b - a >= app.min_on_slots]
    else:
        usable = [max(stretches, key=lambda s: s[1] - s[0])]
    usable_slots = sum(b - a for a, b in usable)
    if usable_slots == 0:
        raise _fail(
            app,
            "min_on",
            f"no part of its {window_text} is as long as its min_on_slots of {app.min_on_slots}",
        )
    max_energy_wslots = cap_w * usable_slots
    if max_energy_wslots < energy_wslots:
        limit_text = (
            f"import limit {cap_w / 1000:g} kW"
            if cap_w < max_w
            else f"max power {max_w / 1000:g} kW"
        )
        where = (
            window_text if app.interruptible else f"longest uninterrupted part of its {window_text}"
        )
        if app.interruptible and usable_slots < window_slots:
            where += f", {usable_slots} usable with min_on_slots={app.min_on_slots}"
        raise _fail(
            app,
            "energy",
            f"energy {app.energy_kwh:g} kWh is above {limit_text} × {usable_slots} slots × "
            f"{hours:g} h = {max_energy_wslots * hours / 1000:g} kWh ({where})",
        )
    min_run_wslots = min_w * app.min_on_slots
    if min_run_wslots > energy_wslots:
        raise _fail(
            app,
            "min_on",
            f"energy {app.energy_kwh:g} kWh is below min power {min_w / 1000:g} kW × "
            f"min_on_slots {app.min_on_slots} × {hours:g} h",
        )
    return _Spec(app, False, max_w, min_w, cap_w, None, energy_wslots, allowed, stretches)


# ---------------------------------------------------------------------------------------------
# Signals, baseline
# ---------------------------------------------------------------------------------------------


def _objective_signal(
    problem: HouseholdProblem, price: list[float] | None, carbon: list[float] | None
) -> list[float]:
    kind = problem.objective
    if kind == "carbon":
        if carbon is None:
            raise _fail(None, "signal", "objective 'carbon' needs carbon_gco2_per_kwh")
        return list(carbon)
    if kind == "cost":
        if price is None:
            raise _fail(None, "signal", "objective 'cost' needs price_usd_per_kwh")
        return list(price)
    if carbon is None or price is None:
        raise _fail(
            None, "signal", "objective 'blend' needs both carbon_gco2_per_kwh and price_usd_per_kwh"
        )

    def normalized(values: list[float]) -> list[float]:
        mean_abs = sum(abs(v) for v in values) / len(values)
        return [v / mean_abs for v in values] if mean_abs > 0 else [0.0] * len(values)

    w = problem.blend_weight_carbon
    c, p = normalized(carbon), normalized(price)
    return [w * ci + (1 - w) * pi for ci, pi in zip(c, p, strict=True)]


def _baseline_power(spec: _Spec, n: int) -> list[int]:
    """Baseline power in W per slot: from the baseline start, the next allowed slots at max."""
    app = spec.app
    first = app.baseline_start_slot
    if first is None:
        first = next(t for t in range(n) if spec.allowed[t])
    order = [t % n for t in range(first, first + n) if spec.allowed[t % n]]
    power = [0] * n
    if spec.fixed:
        for t in order[: spec.duration]:
            power[t] = spec.max_w
        return power
    remaining = spec.energy_wslots
    for t in order:
        if remaining <= 0:
            break
        power[t] = min(spec.max_w, remaining)
        remaining -= power[t]
    return power


def _count_starts(power: Sequence[float]) -> int:
    return sum(1 for t, p in enumerate(power) if p > 0 and (t == 0 or power[t - 1] <= 0))


# ---------------------------------------------------------------------------------------------
# CP-SAT model
# ---------------------------------------------------------------------------------------------


@dataclass
class _Built:
    model: cp_model.CpModel
    power: dict[str, list[Any]]  # per appliance, per slot: W as an int or linear expression


def _build(
    specs: Sequence[_Spec],
    n: int,
    coef: Sequence[int] | None,
    limit_w: int | None,
) -> _Built:
    """The CP-SAT model; `coef` (per slot, per W) None builds a feasibility model only."""
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    power: dict[str, list[Any]] = {}
    obj_vars: list[Any] = []
    obj_coefs: list[int] = []

    for spec in specs:
        name = spec.name
        app = spec.app
        slot_power: list[Any] = [0] * n

        if spec.fixed and spec.block:
            d = spec.duration
            feasible = [s for s in range(n - d + 1) if all(spec.allowed[s : s + d])]
            x = {s: model.new_bool_var(f"{name}_start_{s}") for s in feasible}
            model.add_exactly_one(x.values())
            for t in range(n):
                cover = [x[s] for s in range(max(0, t - d + 1), t + 1) if s in x]
                if cover:
                    slot_power[t] = spec.max_w * sum(cover)
            if coef is not None:
                for s, var in x.items():
                    obj_vars.append(var)
                    obj_coefs.append(spec.max_w * sum(coef[s : s + d]) + spec.startup_int)
            power[name] = slot_power
            continue

        on: list[Any] = [
            model.new_bool_var(f"{name}_on_{t}") if spec.allowed[t] else None for t in range(n)
        ]
        start: list[Any] = [None] * n
        for t in range(n):
            if on[t] is None:
                continue
            if t == 0 or on[t - 1] is None:
                start[t] = on[t]  # the previous slot is off: running here is a start
                continue
            s = model.new_bool_var(f"{name}_start_{t}")
            model.add_bool_and([on[t], ~on[t - 1]]).only_enforce_if(s)
            model.add_bool_or([~on[t], on[t - 1], s])
            start[t] = s
        start_lits = [s for s in start if s is not None]

        # Minimum run length (aggregated "turn-on" inequalities, LP-tight): a start in the last
        # min_on slots keeps the appliance on now; slots past the day or not allowed are off.
        m = app.min_on_slots
        if m > 1:
            for t in range(n + m - 1):
                recent = [start[s] for s in range(max(0, t - m + 1), min(t, n - 1) + 1)]
                recent = [x for x in recent if x is not None]
                if not recent:
                    continue
                now = on[t] if t < n else None
                if now is None:
                    for x in recent:
                        model.add(x == 0)
                elif len(recent) > 1 or recent[0] is not now:
                    model.add(sum(recent) <= now)
        # Minimum pause ("turn-off" inequalities): a stop in the last min_off slots keeps it off.
        # stop[t] = on[t-1] and not on[t] = start[t] - on[t] + on[t-1].
        r = app.min_off_slots
        if r > 1:
            stop: list[Any] = [None] * n
            for t in range(1, n):
                if on[t - 1] is None:
                    continue
                if on[t] is None:
                    stop[t] = on[t - 1]
                else:
                    stop[t] = start[t] - on[t] + on[t - 1]
            for t in range(n):
                if on[t] is None:
                    continue
                recent = [stop[s] for s in range(max(1, t - r + 1), t + 1) if stop[s] is not None]
                if recent:
                    model.add(sum(recent) <= 1 - on[t])

        if spec.block:
            model.add(sum(start_lits) == 1)
        if spec.fixed:
            model.add(sum(v for v in on if v is not None) == spec.duration)
            for t in range(n):
                if on[t] is not None:
                    slot_power[t] = spec.max_w * on[t]
        else:
            p_vars = []
            for t in range(n):
                if on[t] is None:
                    continue
                p = model.new_int_var(0, spec.cap_w, f"{name}_w_{t}")
                model.add(p >= spec.min_w * on[t])
                model.add(p <= spec.cap_w * on[t])
                slot_power[t] = p
                p_vars.append(p)
            model.add(sum(p_vars) == spec.energy_wslots)

        if coef is not None:
            for t in range(n):
                if on[t] is None or coef[t] == 0:
                    continue
                if spec.fixed:
                    obj_vars.append(on[t])
                    obj_coefs.append(spec.max_w * coef[t])
                else:
                    obj_vars.append(slot_power[t])
                    obj_coefs.append(coef[t])
            if spec.startup_int:
                obj_vars.extend(start_lits)
                obj_coefs.extend([spec.startup_int] * len(start_lits))
        power[name] = slot_power

    if limit_w is not None:
        for t in range(n):
            terms = [power[s.name][t] for s in specs if not isinstance(power[s.name][t], int)]
            worst = sum(s.cap_w for s in specs if not isinstance(power[s.name][t], int))
            if len(terms) > 1 and worst > limit_w:
                model.add(sum(terms) <= limit_w)

    if coef is not None and obj_vars:
        model.minimize(cp_model.LinearExpr.weighted_sum(obj_vars, obj_coefs))
    return _Built(model, power)


def _solver(time_limit_s: float, num_workers: int) -> cp_model.CpSolver:
    from ortools.sat.python import cp_model

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(time_limit_s)
    solver.parameters.num_workers = int(num_workers)
    solver.parameters.random_seed = 0
    # Level 2 adds the boolean constraints (start indicators) to the LP relaxation; with one
    # worker it closes the gap on noisy signals in well under a second instead of timing out.
    solver.parameters.linearization_level = 2
    return solver


def _feasible(specs: Sequence[_Spec], n: int, limit_w: int | None, num_workers: int) -> bool | None:
    from ortools.sat.python import cp_model

    built = _build(specs, n, None, limit_w)
    status = _solver(DIAGNOSTIC_TIME_LIMIT_S, num_workers).solve(built.model)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return True
    if status == cp_model.INFEASIBLE:
        return False
    return None


def _constraint_text(spec: _Spec, clock: _Clock) -> str:
    app = spec.app
    parts = [f"window {clock.spans(spec.stretches)}"]
    parts.append(
        f"{spec.duration} slots at {app.power_kw:g} kW"
        if spec.fixed
        else f"{app.energy_kwh:g} kWh at {app.min_power_kw:g}-{app.power_kw:g} kW"
    )
    parts.append("interruptible" if app.interruptible else "one block")
    if app.min_on_slots > 1:
        parts.append(f"min_on_slots={app.min_on_slots}")
    if app.min_off_slots > 0:
        parts.append(f"min_off_slots={app.min_off_slots}")
    return ", ".join(parts)


def _explain_infeasible(
    specs: Sequence[_Spec], n: int, limit_w: int | None, workers: int, clock: _Clock
) -> ScheduleInfeasible:
    """Re-solve small sub-problems to name the constraint set that cannot be met."""
    for spec in specs:
        if _feasible([spec], n, None, workers) is False:
            return _fail(
                spec.app,
                "constraints",
                f"its constraints cannot be met together ({_constraint_text(spec, clock)})",
            )
    if limit_w is None:
        return _fail(None, "solver", "CP-SAT proved the appliances infeasible together")
    limit_text = f"import limit {limit_w / 1000:g} kW"
    for spec in specs:
        if _feasible([spec], n, limit_w, workers) is False:
            return _fail(
                spec.app,
                "import_limit",
                f"cannot run under the {limit_text} ({_constraint_text(spec, clock)})",
            )
    # Smallest prefix of appliances that breaks the limit, then drop the ones not needed.
    conflict: list[_Spec] = []
    for spec in specs:
        conflict.append(spec)
        if _feasible(conflict, n, limit_w, workers) is False:
            break
    else:
        return _fail(None, "import_limit", f"{limit_text} cannot be met with all appliances")
    for spec in list(conflict[:-1]):
        trial = [s for s in conflict if s is not spec]
        if _feasible(trial, n, limit_w, workers) is False:
            conflict = trial
    names = ", ".join(s.name for s in conflict)
    detail = "; ".join(f"{s.name}: {_constraint_text(s, clock)}" for s in conflict)
    return ScheduleInfeasible(
        f"{limit_text} cannot be met with {names} all running in their windows ({detail})",
        appliance=conflict[0].name if len(conflict) == 1 else None,
        constraint="import_limit",
        appliances=[s.name for s in conflict],
    )


# ---------------------------------------------------------------------------------------------
# Solve
# ---------------------------------------------------------------------------------------------


_EPOCH_UTC = datetime(1970, 1, 1, tzinfo=ZoneInfo("UTC"))
_ONE_US = timedelta(microseconds=1)


_FRAME_SCHEMA = {
    "appliance": pl.String,
    "interval_start_utc": pl.Datetime("us", "UTC"),
    "power_kw": pl.Float64,
    "energy_kwh": pl.Float64,
    "signal": pl.Float64,
}


def _frames(
    parts: Sequence[tuple[np.ndarray, float, np.ndarray, Sequence[str], np.ndarray]],
) -> list[pl.DataFrame]:
    """One frame per part `(slot_us, hours, signal, names, watts)`: rows (appliance, slot) with
    power > 0, appliance by appliance in slot order (`slot_us`: slot starts in microseconds
    since the epoch, UTC; `watts`: appliances × slots). Built as one polars frame, then sliced."""
    names, starts, kw, energy, signal, lengths = [], [], [], [], [], []
    for slot_us, hours, sig, part_names, watts in parts:
        app_idx, slot_idx = np.nonzero(watts > 0)
        power = watts[app_idx, slot_idx] / 1000.0
        names.append(np.asarray(part_names, dtype=object)[app_idx])
        starts.append(slot_us[slot_idx])
        kw.append(power)
        energy.append(power * hours)
        signal.append(sig[slot_idx])
        lengths.append(len(slot_idx))
    whole = pl.DataFrame(
        {
            "appliance": pl.Series(np.concatenate(names), dtype=pl.String),
            "interval_start_utc": pl.Series(np.concatenate(starts), dtype=pl.Int64).cast(
                pl.Datetime("us", "UTC")
            ),
            "power_kw": pl.Series(np.concatenate(kw), dtype=pl.Float64),
            "energy_kwh": pl.Series(np.concatenate(energy), dtype=pl.Float64),
            "signal": pl.Series(np.concatenate(signal), dtype=pl.Float64),
        },
        schema=_FRAME_SCHEMA,
    )
    offsets = np.concatenate([[0], np.cumsum(lengths)]).tolist()
    return [whole.slice(a, b - a) for a, b in zip(offsets, offsets[1:], strict=False)]


def _starts_per_row(watts: np.ndarray) -> np.ndarray:
    """Number of starts (power > 0 after a slot at 0, or in the first slot) per appliance."""
    on = watts > 0
    return on[:, 0].astype(np.int64) + (on[:, 1:] & ~on[:, :-1]).sum(axis=1)


def _evaluate(
    watts: np.ndarray, startup_costs: np.ndarray, hours: float, signal: np.ndarray
) -> tuple[float, int]:
    """Objective (signal energy + start-up costs) and number of starts of a schedule."""
    starts = _starts_per_row(watts)
    energy = float((watts * signal).sum()) * hours / 1000.0  # no BLAS: safe in forked workers
    return energy + float(starts @ startup_costs), int(starts.sum())


def _energy_dot(watts: np.ndarray, hours: float, values: np.ndarray) -> float:
    return float((watts * values).sum()) * (hours / 1000.0)


def _peak_kw(watts: np.ndarray) -> float:
    return float(watts.sum(axis=0).max(initial=0)) / 1000.0


@dataclass(frozen=True)
class _Solved:
    """A schedule in W per appliance and slot, with its integer objective bound and model size."""

    powers: dict[str, list[int]]
    status: str
    method: str
    bound_int: float
    gap: float
    solve_time_s: float
    num_variables: int
    num_constraints: int


def _independent(specs: Sequence[_Spec], n: int, limit_w: int | None) -> bool:
    """No import limit, or none that the appliances allowed in a slot can reach together: each
    appliance's own optimum is then the household's."""
    if limit_w is None:
        return True
    return all(sum(s.cap_w for s in specs if s.allowed[t]) <= limit_w for t in range(n))


def _dp_key(spec: _Spec) -> tuple:
    """Everything but the signal that `household_dp` sees: appliances with equal keys share a
    DP pass."""
    return (
        tuple(spec.allowed),
        spec.fixed,
        spec.block,
        spec.max_w if spec.fixed else spec.cap_w,
        spec.min_w,
        spec.duration,
        spec.energy_wslots,
        spec.app.min_on_slots,
        spec.app.min_off_slots,
        spec.startup_int,
    )


def _solve_independent(preps: Sequence[_Prepared]) -> list[_Solved | None]:
    """Each appliance of each household by `household_dp` (exact, same integer objective as the
    CP-SAT model); None for a household whose appliances interact or where one has no schedule
    (CP-SAT then explains why). Equal appliances of different households share one DP pass
    (each household's answer is the one it gets alone); a household's `solve_time_s` is its
    share of the passes it took part in."""
    from energy_assets.optimize.household_dp import appliance_schedules

    todo = [k for k, p in enumerate(preps) if _independent(p.specs, p.n, p.limit_w)]
    groups: dict[tuple, list[tuple[int, int]]] = {}
    for k in todo:
        for j, spec in enumerate(preps[k].specs):
            groups.setdefault(_dp_key(spec), []).append((k, j))
    found: dict[tuple[int, int], tuple[list[int], int] | None] = {}
    seconds = [0.0] * len(preps)
    for members in groups.values():
        t0 = time_module.perf_counter()
        k0, j0 = members[0]
        spec = preps[k0].specs[j0]
        results = appliance_schedules(
            spec.allowed,
            np.array([preps[k].coef for k, _ in members], dtype=np.int64),
            fixed=spec.fixed,
            block=spec.block,
            max_w=spec.max_w if spec.fixed else spec.cap_w,
            min_w=spec.min_w,
            duration=spec.duration,
            energy_wslots=spec.energy_wslots,
            min_on=spec.app.min_on_slots,
            min_off=spec.app.min_off_slots,
            startup=spec.startup_int,
        )
        share = (time_module.perf_counter() - t0) / len(members)
        for member, result in zip(members, results, strict=True):
            found[member] = result
            seconds[member[0]] += share
    out: list[_Solved | None] = [None] * len(preps)
    for k in todo:
        powers: dict[str, list[int]] = {}
        total = 0
        for j, spec in enumerate(preps[k].specs):
            result = found[(k, j)]
            if result is None:
                break
            powers[spec.name], value = result
            total += value
        else:
            out[k] = _Solved(
                powers=powers,
                status="OPTIMAL",
                method="dp",
                bound_int=float(total),
                gap=0.0,
                solve_time_s=seconds[k],
                num_variables=0,
                num_constraints=0,
            )
    return out


def _solve_cp_sat(
    specs: Sequence[_Spec],
    n: int,
    coef: Sequence[int],
    limit_w: int | None,
    problem: HouseholdProblem,
    clock: _Clock,
) -> _Solved:
    """The whole household as one CP-SAT model (appliances coupled by the import limit)."""
    from ortools.sat.python import cp_model

    built = _build(specs, n, coef, limit_w)
    invalid = built.model.validate()
    if invalid:
        raise RuntimeError(f"household CP-SAT model is invalid: {invalid}")
    solver = _solver(problem.time_limit_s, problem.num_workers)
    status = solver.solve(built.model)
    if status == cp_model.INFEASIBLE:
        raise _explain_infeasible(specs, n, limit_w, problem.num_workers, clock)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise ScheduleTimeout(
            f"CP-SAT found no household schedule within {problem.time_limit_s:g} s "
            f"(status {solver.status_name(status)})"
        )

    powers = {
        s.name: [int(solver.value(e)) if not isinstance(e, int) else e for e in built.power[s.name]]
        for s in specs
    }
    obj_int = solver.objective_value
    bound_int = solver.best_objective_bound
    proto = built.model.proto
    return _Solved(
        powers=powers,
        status=solver.status_name(status),
        method="cp-sat",
        bound_int=bound_int,
        gap=abs(obj_int - bound_int) / max(abs(obj_int), 1.0),
        solve_time_s=solver.wall_time,
        num_variables=len(proto.variables),
        num_constraints=len(proto.constraints),
    )


def solve_household(problem: HouseholdProblem) -> HouseholdSchedule:
    """Schedule every appliance; raise `ScheduleInfeasible` if that cannot be done.

    `summary` keys: status (OPTIMAL/FEASIBLE), objective, objective_kind, objective_unit,
    best_bound, gap, solve_time_s, num_variables, num_constraints, num_workers, objective_scale,
    baseline_objective, saving_pct (100 * (baseline - optimized) / |baseline|, None if the
    baseline is 0), baseline_co2_g / optimized_co2_g (when carbon is given), baseline_cost_usd /
    optimized_cost_usd (when price is given), baseline_peak_kw, optimized_peak_kw,
    baseline_starts, optimized_starts, num_slots, slot_minutes, num_appliances.

    Raises `ScheduleTimeout` when no schedule is found within `time_limit_s`.
    """
    return household_schedule(problem, household_outcome(problem))


@dataclass(frozen=True)
class HouseholdOutcome:
    """A solved household without its frames (numpy and scalars only, cheap to pickle).

    `watts` / `baseline_watts`: W per appliance (rows, in the problem's order) and slot;
    `signal`: the objective signal per slot; `summary`: as `HouseholdSchedule.summary`."""

    names: tuple[str, ...]
    watts: np.ndarray
    baseline_watts: np.ndarray
    signal: np.ndarray
    hours: float
    summary: dict[str, Any]


def slot_starts_us(slot_starts_utc: Sequence[datetime]) -> np.ndarray:
    """Slot starts as int64 microseconds since the epoch (UTC)."""
    return np.array([(s - _EPOCH_UTC) // _ONE_US for s in slot_starts_utc], dtype=np.int64)


def household_schedule(
    problem: HouseholdProblem, outcome: HouseholdOutcome, slot_us: np.ndarray | None = None
) -> HouseholdSchedule:
    """The schedule's frames from a solved outcome (`slot_us`: `slot_starts_us` of the
    problem's slots, when the caller has it already)."""
    return household_schedules([problem], [outcome], slot_us)[0]


def household_schedules(
    problems: Sequence[HouseholdProblem],
    outcomes: Sequence[HouseholdOutcome],
    slot_us: np.ndarray | None = None,
) -> list[HouseholdSchedule]:
    """`household_schedule` of each (problem, outcome), the frames of all built at once.
    `slot_us` (optional) must be the slots of every problem."""
    cache: dict[int, np.ndarray] = {}
    parts = []
    for problem, o in zip(problems, outcomes, strict=True):
        us = slot_us
        if us is None:
            key = id(problem.slot_starts_utc)
            if key not in cache:
                cache[key] = slot_starts_us(problem.slot_starts_utc)
            us = cache[key]
        parts.append((us, o.hours, o.signal, o.names, o.watts))
        parts.append((us, o.hours, o.signal, o.names, o.baseline_watts))
    frames = _frames(parts)
    return [
        HouseholdSchedule(
            frame=frames[2 * i], summary=dict(o.summary), baseline_frame=frames[2 * i + 1]
        )
        for i, o in enumerate(outcomes)
    ]


def household_outcome(problem: HouseholdProblem) -> HouseholdOutcome:
    """`solve_household` up to the frames: validation, the solve and the summary (no polars)."""
    prep = _prepare(problem)
    solved = _solve_independent([prep])[0]
    if solved is None:
        solved = _solve_cp_sat(prep.specs, prep.n, prep.coef, prep.limit_w, problem, prep.clock)
    return _finish(prep, solved)


def household_outcomes(
    problems: Sequence[HouseholdProblem],
) -> list[tuple[HouseholdOutcome | Exception, float]]:
    """`household_outcome` of each problem, with the exception it raises in its place, and the
    seconds it took (its own validation and summary, its share of the DP passes shared by
    equal appliances of different households, its CP-SAT solve if it needs one)."""
    preps: list[_Prepared | Exception] = []
    seconds: list[float] = []
    for problem in problems:
        t0 = time_module.perf_counter()
        try:
            preps.append(_prepare(problem))
        except Exception as error:  # noqa: BLE001 - returned in the problem's place
            preps.append(error)
        seconds.append(time_module.perf_counter() - t0)
    ready = [p for p in preps if isinstance(p, _Prepared)]
    solved_dp = iter(_solve_independent(ready))
    out: list[tuple[HouseholdOutcome | Exception, float]] = []
    for prep, spent in zip(preps, seconds, strict=True):
        if isinstance(prep, Exception):
            out.append((prep, spent))
            continue
        solved = next(solved_dp)
        t0 = time_module.perf_counter()
        try:
            if solved is None:
                solved = _solve_cp_sat(
                    prep.specs, prep.n, prep.coef, prep.limit_w, prep.problem, prep.clock
                )
            result: HouseholdOutcome | Exception = _finish(prep, solved)
        except Exception as error:  # noqa: BLE001 - returned in the problem's place
            result = error
        dp_s = solved.solve_time_s if solved is not None and solved.method == "dp" else 0.0
        out.append((result, spent + dp_s + time_module.perf_counter() - t0))
    return out


@dataclass
class _Prepared:
    """A validated problem in the integer units of the solvers."""

    problem: HouseholdProblem
    n: int
    hours: float
    clock: _Clock
    price: list[float] | None
    carbon: list[float] | None
    signal: list[float]
    limit_w: int | None
    specs: list[_Spec]
    coef: list[int]
    scale: float


def _prepare(problem: HouseholdProblem) -> _Prepared:
    _check_problem(problem)
    n = len(problem.slot_starts_utc)
    hours = problem.slot_minutes / 60.0
    clock = _Clock(problem.slot_starts_utc, problem.slot_minutes, problem.tz)
    price = _check_signal("price_usd_per_kwh", problem.price_usd_per_kwh, n)
    carbon = _check_signal("carbon_gco2_per_kwh", problem.carbon_gco2_per_kwh, n)
    signal = _objective_signal(problem, price, carbon)
    limit_w = None if problem.import_limit_kw is None else _w(problem.import_limit_kw)

    specs = [_normalized(a, n, problem.slot_minutes, limit_w, clock) for a in problem.appliances]
    if limit_w is not None:
        need = sum(
            s.duration * s.max_w if s.fixed else s.energy_wslots  # type: ignore[operator]
            for s in specs
        )
        if need > limit_w * n:
            raise _fail(
                None,
                "import_limit",
                f"import limit {limit_w / 1000:g} kW × {n} slots × {hours:g} h = "
                f"{limit_w * n * hours / 1000:g} kWh is less than the {need * hours / 1000:g} kWh "
                f"all appliances need",
            )

    # Integer scaling: the largest |signal| maps to SIGNAL_STEPS.
    smax = max(abs(v) for v in signal)
    if smax > 0:
        coef = [int(round(v / smax * SIGNAL_STEPS)) for v in signal]
        scale = smax * hours / 1000.0 / SIGNAL_STEPS
    else:
        coef = [0] * n
        scale = 1e-6
    for spec in specs:
        spec.startup_int = int(round(spec.app.startup_cost / scale))

    return _Prepared(problem, n, hours, clock, price, carbon, signal, limit_w, specs, coef, scale)


def _finish(prep: _Prepared, solved: _Solved) -> HouseholdOutcome:
    problem, n, hours, specs, scale = prep.problem, prep.n, prep.hours, prep.specs, prep.scale
    signal, carbon, price = prep.signal, prep.carbon, prep.price
    watts = np.array([solved.powers[s.name] for s in specs], dtype=np.int64).reshape(-1, n)
    baseline = np.array([_baseline_power(s, n) for s in specs], dtype=np.int64).reshape(-1, n)
    signal_arr = np.asarray(signal, dtype=np.float64)
    startup_costs = np.array([s.app.startup_cost for s in specs], dtype=np.float64)
    objective, opt_starts = _evaluate(watts, startup_costs, hours, signal_arr)
    base_objective, base_starts = _evaluate(baseline, startup_costs, hours, signal_arr)

    summary: dict[str, Any] = {
        "status": solved.status,
        "method": solved.method,
        "objective": objective,
        "objective_kind": problem.objective,
        "objective_unit": OBJECTIVE_UNITS[problem.objective],
        "best_bound": solved.bound_int * scale,
        "gap": solved.gap,
        "solve_time_s": solved.solve_time_s,
        "num_variables": solved.num_variables,
        "num_constraints": solved.num_constraints,
        "num_workers": problem.num_workers,
        "objective_scale": scale,
        "baseline_objective": base_objective,
        "saving_pct": (
            100.0 * (base_objective - objective) / abs(base_objective) if base_objective else None
        ),
    }
    if carbon is not None:
        carbon_arr = np.asarray(carbon, dtype=np.float64)
        summary["baseline_co2_g"] = _energy_dot(baseline, hours, carbon_arr)
        summary["optimized_co2_g"] = _energy_dot(watts, hours, carbon_arr)
    if price is not None:
        price_arr = np.asarray(price, dtype=np.float64)
        summary["baseline_cost_usd"] = _energy_dot(baseline, hours, price_arr)
        summary["optimized_cost_usd"] = _energy_dot(watts, hours, price_arr)
    summary.update(
        baseline_peak_kw=_peak_kw(baseline),
        optimized_peak_kw=_peak_kw(watts),
        baseline_starts=base_starts,
        optimized_starts=opt_starts,
        num_slots=n,
        slot_minutes=problem.slot_minutes,
        num_appliances=len(specs),
    )
    return HouseholdOutcome(
        names=tuple(s.name for s in specs),
        watts=watts,
        baseline_watts=baseline,
        signal=signal_arr,
        hours=hours,
        summary=summary,
    )
