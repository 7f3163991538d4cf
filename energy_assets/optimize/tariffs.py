"""Retail price signals for schedules where no market price forecast exists yet.

`time_of_use_usd_per_kwh`: an illustrative two-period residential time-of-use tariff on the
local clock: peak 16:00-21:00 at 0.45 USD/kWh, off-peak 0.30 USD/kWh (the shape of Californian
TOU tariffs; the levels are round numbers, not any utility's published rates). Used to report
the cost side of carbon-optimized schedules, and as the cost signal until price forecasts land.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

PEAK_HOURS_LOCAL = range(16, 21)
PEAK_USD_PER_KWH = 0.45
OFF_PEAK_USD_PER_KWH = 0.30


def time_of_use_usd_per_kwh(slot_starts_utc: Sequence[datetime], tz: str) -> list[float]:
    zone = ZoneInfo(tz)
    return [
        PEAK_USD_PER_KWH if s.astimezone(zone).hour in PEAK_HOURS_LOCAL else OFF_PEAK_USD_PER_KWH
        for s in slot_starts_utc
    ]
