"""PNG plots of schedules (matplotlib, Agg canvas; no pyplot global state, safe in workers)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import matplotlib.dates as mdates
import polars as pl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def schedule_plot_png(
    slot_starts_utc: Sequence[datetime],
    signal: Sequence[float],
    signal_label: str,
    schedule_frame: pl.DataFrame,
    title: str,
    tz: str = "UTC",
) -> bytes:
    """Stacked appliance power (kW bars, left axis) over the signal (step line, right axis).

    `schedule_frame` has `appliance`, `interval_start_utc` and `power_kw` (as from
    `solve_household`). Bars sit at their UTC instants so DST days (repeated or missing local
    hours) stay in order; the x tick labels show local time in `tz`.
    """
    zone = ZoneInfo(tz)
    starts = list(slot_starts_utc)
    n = len(starts)
    step = starts[1] - starts[0] if n > 1 else timedelta(minutes=15)
    index = {s: i for i, s in enumerate(starts)}

    names: list[str] = []
    stacks: dict[str, list[float]] = {}
    for row in schedule_frame.select("appliance", "interval_start_utc", "power_kw").iter_rows():
        name, at, kw = row
        if name not in stacks:
            names.append(name)
            stacks[name] = [0.0] * n
        i = index.get(at)
        if i is not None:
            stacks[name][i] += float(kw)

    fig = Figure(figsize=(11, 4.5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    x = mdates.date2num(starts) if n else []
    width = step / timedelta(days=1)
    bottom = [0.0] * n
    for k, name in enumerate(names):
        heights = stacks[name]
        drawn = [i for i in range(n) if heights[i] > 0]  # skip empty bars: fewer patches
        ax.bar(
            [x[i] for i in drawn],
            [heights[i] for i in drawn],
            width=width,
            bottom=[bottom[i] for i in drawn],
            align="edge",
            label=name,
            color=f"C{k % 10}",
            linewidth=0,
        )
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    ax.set_ylabel("appliance power (kW)")
    ax.set_ylim(bottom=0)

    ax2 = ax.twinx()
    if n:
        end = mdates.date2num([starts[-1] + step])[0]
        xs = [*list(x), end]
        ys = [*list(signal), signal[-1]]
        ax2.step(xs, ys, where="post", color="black", linewidth=1.3, label=signal_label)
        ax.set_xlim(x[0], end)
    ax2.set_ylabel(signal_label)

    ax.xaxis.set_major_locator(mdates.HourLocator(byhour=range(0, 24, 3), tz=zone))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=zone))
    ax.set_xlabel(f"local time ({tz})")
    ax.set_title(title)
    handles, labels = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    if handles or h2:
        ax.legend(
            handles + h2,
            labels + l2,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.16),
            fontsize="small",
            ncol=min(len(handles) + len(h2), 7),
            frameon=False,
        )
    fig.tight_layout()

    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
