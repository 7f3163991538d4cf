"""PNG plots of schedules (matplotlib, Agg canvas; no pyplot global state, safe in workers).

matplotlib is imported inside the plotting functions: this module is imported by the Dagster
code location, which every run process loads, and matplotlib takes tenths of a second to import.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl


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
    import matplotlib.dates as mdates
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

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


def fleet_plot_png(fleet: pl.DataFrame, signal_label: str, title: str, tz: str = "UTC") -> bytes:
    """Fleet net import with and without battery dispatch, and battery charge/discharge (kW,
    left axis), over the signal the fleet was dispatched against (right axis).

    `fleet` is `FleetSchedule.fleet` (per slot totals: `interval_start_utc`, `net_import_kw`,
    `baseline_net_import_kw`, `charge_kw`, `discharge_kw`, `carbon_gco2_per_kwh`).
    """
    import matplotlib.dates as mdates
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    zone = ZoneInfo(tz)
    frame = fleet.sort("interval_start_utc")
    x = mdates.date2num(frame["interval_start_utc"].dt.convert_time_zone("UTC").to_list())
    fig = Figure(figsize=(11, 4.5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ax.step(
        x,
        frame["baseline_net_import_kw"],
        where="post",
        color="grey",
        label="net import, batteries idle",
    )
    ax.step(x, frame["net_import_kw"], where="post", color="C0", label="net import, dispatched")
    ax.fill_between(x, 0, frame["charge_kw"], step="post", color="C2", alpha=0.3, label="charge")
    ax.fill_between(
        x, 0, -frame["discharge_kw"], step="post", color="C3", alpha=0.3, label="discharge"
    )
    ax.axhline(0, color="black", linewidth=0.5)
    ax.set_ylabel("fleet power (kW)")
    ax2 = ax.twinx()
    ax2.step(
        x,
        frame["carbon_gco2_per_kwh"],
        where="post",
        color="black",
        linewidth=1.2,
        label=signal_label,
    )
    ax2.set_ylabel(signal_label)
    ax.xaxis.set_major_locator(mdates.HourLocator(byhour=range(0, 24, 3), tz=zone))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=zone))
    ax.set_xlabel(f"local time ({tz})")
    ax.set_title(title)
    lines, labels = ax.get_legend_handles_labels()
    lines2, labels2 = ax2.get_legend_handles_labels()
    ax.legend(lines + lines2, labels + labels2, loc="upper left", fontsize=8)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
