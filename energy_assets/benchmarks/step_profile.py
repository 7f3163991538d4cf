"""Where a region-day's time goes: each step's compute and its fixed cost, from Dagster's own
event log.

For every step of the given runs: `load` (step start to the last input loaded: reading the
warehouse), `compute` (last input loaded, or step start, to the first output: the asset's own
code), `store` (first output to step success: the warehouse write, the asset checks, the events).
`run overhead` is the run's wall time less its steps (Dagster's run setup and teardown). A run
covers a range of days (one run per job over a window, `runner.materialize_window`), so every
figure is per region-day: a step's seconds over the region-days it covered, the runs' overhead
over the region-days of the window. The fixed (non-compute) cost of a region-day is everything
but `compute`. In a range, the Pandera validation runs once over the range's rows, after the
last day's compute: it counts as `compute` here, bounded above by the whole step.
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
    region_days: set = field(default_factory=set)

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
        days = _run_region_days(instance, run_id)
        profile.region_days.update(days)
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
            times.count += max(len(days), 1)
    return profile


def _run_region_days(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """The `date|region` keys a run covered: its partition, or every key of its range."""
    from energy_assets.backfill import range_partition_keys

    run = instance.get_run_by_id(run_id)
    tags = run.tags if run else {}
    if "dagster/partition" in tags:
        return [tags["dagster/partition"]]
    first = tags.get("dagster/asset_partition_range_start")
    last = tags.get("dagster/asset_partition_range_end")
    return range_partition_keys(first, last) if first and last else []


def format_profile(profile: Profile) -> list[str]:
    """A markdown table of seconds per region-day for each step, the runs' overhead, and a full
    region-day (every step once)."""
    lines = [
        "| step | load inputs | compute | store + checks + events | total |",
        "|---|---|---|---|---|",
    ]
    load = compute = store = 0.0
    for name, t in sorted(profile.steps.items(), key=lambda kv: -kv[1].total / kv[1].count):
        n = max(t.count, 1)
        load, compute, store = load + t.load / n, compute + t.compute / n, store + t.store / n
        lines.append(
            f"| {name} | {t.load / n:.4f} | {t.compute / n:.4f} | {t.store / n:.4f}"
            f" | {t.total / n:.4f} |"
        )
    per_day = run_overhead_per_region_day(profile)
    lines.append(
        f"| run setup + teardown ({profile.runs} runs over {len(profile.region_days)}"
        f" region-days) | | | | {per_day:.4f} |"
    )
    fixed = load + store + per_day
    lines.append(
        f"| **region-day** | {load:.4f} | **{compute:.4f}** | {store:.4f} |"
        f" **{compute + fixed:.4f}** (fixed {fixed:.4f}) |"
    )
    return lines


def run_overhead_per_region_day(profile: Profile) -> float:
    return profile.run_overhead_seconds / max(len(profile.region_days), 1)


def fixed_seconds(profile: Profile) -> float:
    """Non-compute seconds of a full region-day (see `format_profile`)."""
    total = sum((t.load + t.store) / max(t.count, 1) for t in profile.steps.values())
    return total + run_overhead_per_region_day(profile)
