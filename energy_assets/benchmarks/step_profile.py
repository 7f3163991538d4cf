"""Where a region-day's time goes: each step's compute and its fixed cost, from Dagster's own
event log.

For every step of the given runs: `load` (step start to the last input loaded: reading the
warehouse), `compute` (last input loaded, or step start, to the first output: the asset's own
code), `store` (first output to step success: the warehouse write, the asset checks, the events).
`run overhead` is the run's wall time less its steps (Dagster's run setup and teardown). The
fixed (non-compute) cost of a region-day is everything but `compute`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import dagster as dg

_START, _INPUT, _OUTPUT, _SUCCESS = (
    dg.DagsterEventType.STEP_START,
    dg.DagsterEventType.LOADED_INPUT,
    dg.DagsterEventType.STEP_OUTPUT,
    dg.DagsterEventType.STEP_SUCCESS,
)


@dataclass
class StepTimes:
    load: float = 0.0
    compute: float = 0.0
    store: float = 0.0
    count: int = 0

    @property
    def total(self) -> float:
        return self.load + self.compute + self.store


@dataclass
class Profile:
    steps: dict[str, StepTimes] = field(default_factory=lambda: defaultdict(StepTimes))
    run_seconds: float = 0.0
    runs: int = 0

    @property
    def step_seconds(self) -> float:
        return sum(s.total for s in self.steps.values())

    @property
    def compute_seconds(self) -> float:
        return sum(s.compute for s in self.steps.values())

    @property
    def run_overhead_seconds(self) -> float:
        return max(0.0, self.run_seconds - self.step_seconds)


def profile_runs(instance: dg.DagsterInstance, run_ids: Iterable[str]) -> Profile:
    profile = Profile()
    for run_id in run_ids:
        events = [e for e in instance.all_logs(run_id) if e.dagster_event is not None]
        if not events:
            continue
        profile.runs += 1
        profile.run_seconds += events[-1].timestamp - events[0].timestamp
        marks: dict[str, dict] = defaultdict(dict)
        for entry in events:
            event = entry.dagster_event
            step = event.step_key
            if step is None:
                continue
            kind = event.event_type
            if kind == _START:
                marks[step]["start"] = entry.timestamp
            elif kind == _INPUT:
                marks[step]["input"] = entry.timestamp
            elif kind == _OUTPUT and "output" not in marks[step]:
                marks[step]["output"] = entry.timestamp
            elif kind == _SUCCESS:
                marks[step]["end"] = entry.timestamp
        for step, m in marks.items():
            if not {"start", "output", "end"} <= m.keys():
                continue
            loaded = m.get("input", m["start"])
            times = profile.steps[step]
            times.load += loaded - m["start"]
            times.compute += m["output"] - loaded
            times.store += m["end"] - m["output"]
            times.count += 1
    return profile


def format_profile(profile: Profile, runs_per_region_day: int = 3) -> list[str]:
    """A markdown table of seconds per step (mean over its executions), and a full region-day
    (every step once, plus `runs_per_region_day` runs' setup: ingest, day-ahead, cross-region)."""
    lines = [
        "| step | load inputs | compute | store + checks + events | total |",
        "|---|---|---|---|---|",
    ]
    load = compute = store = 0.0
    for name, t in sorted(profile.steps.items(), key=lambda kv: -kv[1].total / kv[1].count):
        n = max(t.count, 1)
        load, compute, store = load + t.load / n, compute + t.compute / n, store + t.store / n
        lines.append(
            f"| {name} | {t.load / n:.3f} | {t.compute / n:.3f} | {t.store / n:.3f}"
            f" | {t.total / n:.3f} |"
        )
    per_run = profile.run_overhead_seconds / max(profile.runs, 1)
    lines.append(
        f"| run setup + teardown x {runs_per_region_day} | | | | {per_run * runs_per_region_day:.3f} |"
    )
    fixed = load + store + per_run * runs_per_region_day
    lines.append(
        f"| **region-day** | {load:.3f} | **{compute:.3f}** | {store:.3f} |"
        f" **{compute + fixed:.3f}** (fixed {fixed:.3f}) |"
    )
    return lines


def fixed_seconds(profile: Profile, runs_per_region_day: int = 3) -> float:
    """Non-compute seconds of a full region-day (see `format_profile`)."""
    total = 0.0
    for t in profile.steps.values():
        n = max(t.count, 1)
        total += (t.load + t.store) / n
    return total + runs_per_region_day * profile.run_overhead_seconds / max(profile.runs, 1)
