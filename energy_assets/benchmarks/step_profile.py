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


def format_profile(profile: Profile, region_days: int) -> list[str]:
    """A markdown table: seconds per region-day for each step, and the totals."""
    per = max(region_days, 1)
    lines = [
        "| step | load | compute | store + checks + events | per region-day |",
        "|---|---|---|---|---|",
    ]
    for name, t in sorted(profile.steps.items(), key=lambda kv: -kv[1].total):
        lines.append(
            f"| {name} | {t.load / per:.3f} | {t.compute / per:.3f} | {t.store / per:.3f}"
            f" | {t.total / per:.3f} |"
        )
    fixed = (profile.step_seconds - profile.compute_seconds + profile.run_overhead_seconds) / per
    lines.append(
        f"| run setup/teardown ({profile.runs} runs) | | | | {profile.run_overhead_seconds / per:.3f} |"
    )
    lines.append(
        f"| **region-day** | | **{profile.compute_seconds / per:.3f} compute** | |"
        f" **{(profile.run_seconds) / per:.3f} ({fixed:.3f} fixed)** |"
    )
    return lines
