"""Many households at once, spread over worker processes.

Pure module (no Dagster): `solve_households(problems, workers) -> HouseholdBatch`.

Each household is solved by the code of `solve_household` (`household_outcomes`, then
`household_schedule`): the batch returns, in order, what solving them one by one returns.
Equal appliances of the households of one range share their DP passes (`household_dp`
computes each household's row exactly as alone), which is most of the batch's gain on one core. With
`workers > 1` (and more than one problem) the outcomes are computed in `workers` processes
forked from this one: the problems are inherited, not pickled, and a worker sends back only
numpy arrays and the summary; the polars frames are built here, in the parent, so no polars
code (and its thread pool) runs in a forked child. Where fork is not available, or with one
worker, everything runs in this process.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Sequence
from dataclasses import dataclass

from energy_assets.optimize.household import (
    HouseholdOutcome,
    HouseholdProblem,
    HouseholdSchedule,
    household_outcomes,
    household_schedules,
)

__all__ = ["CHUNKS_PER_WORKER", "HouseholdBatch", "solve_households"]

CHUNKS_PER_WORKER = 4
"""Each worker gets this many contiguous ranges of households (evens out the load)."""

_PROBLEMS: Sequence[HouseholdProblem] = ()
"""The batch being solved, set before the workers fork (they inherit it)."""


@dataclass(frozen=True)
class HouseholdBatch:
    """`schedules[i]`: problem i's schedule, or (with `return_exceptions`) the exception that
    solving it raised; `seconds[i]`: time to solve it, up to its frames, in its worker;
    `workers`: processes used (1: solved in this process)."""

    schedules: list[HouseholdSchedule | Exception]
    seconds: list[float]
    workers: int


def _worker_signals() -> None:
    """A forked worker takes the default SIGTERM back: a handler the parent installed (a test
    runner, a Dagster run) would otherwise keep `Pool.terminate` from stopping it."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _solve_range(bounds: tuple[int, int]) -> list[tuple[HouseholdOutcome | Exception, float]]:
    lo, hi = bounds
    return household_outcomes(_PROBLEMS[lo:hi])


def _ranges(n: int, parts: int) -> list[tuple[int, int]]:
    edges = [round(k * n / parts) for k in range(parts + 1)]
    return [(a, b) for a, b in zip(edges, edges[1:], strict=False) if b > a]


def solve_households(
    problems: Sequence[HouseholdProblem], workers: int = 1, *, return_exceptions: bool = False
) -> HouseholdBatch:
    """Solve every problem; `workers` processes at most (capped at the CPU count and the number
    of problems). Without `return_exceptions`, the first failing problem's exception (in
    problem order) is raised, as solving one by one would."""
    global _PROBLEMS
    n = len(problems)
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    used = max(1, min(workers, n, os.cpu_count() or 1))
    if "fork" not in multiprocessing.get_all_start_methods():
        used = 1
    if used == 1:
        solved = household_outcomes(problems)
    else:
        _PROBLEMS = problems
        pool = multiprocessing.get_context("fork").Pool(used, initializer=_worker_signals)
        try:
            parts = pool.map(_solve_range, _ranges(n, used * CHUNKS_PER_WORKER), chunksize=1)
            pool.close()  # the workers leave when the queue is drained: no signal needed
        except BaseException:
            pool.terminate()
            raise
        finally:
            pool.join()
            _PROBLEMS = ()
        solved = [item for part in parts for item in part]
    outcomes = [result for result, _ in solved]
    seconds = [s for _, s in solved]

    failed = [k for k, result in enumerate(outcomes) if isinstance(result, Exception)]
    if failed and not return_exceptions:
        raise outcomes[failed[0]]
    solved_at = [k for k, result in enumerate(outcomes) if not isinstance(result, Exception)]
    built = household_schedules([problems[k] for k in solved_at], [outcomes[k] for k in solved_at])
    schedules: list[HouseholdSchedule | Exception] = list(outcomes)
    for k, schedule in zip(solved_at, built, strict=True):
        schedules[k] = schedule
    return HouseholdBatch(schedules=schedules, seconds=seconds, workers=used)
