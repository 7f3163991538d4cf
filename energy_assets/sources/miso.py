"""MISO Real-Time Data Broker: the wind and solar forecasts of the current market day (JSON).

Live: `https://api.misoenergy.org/MISORTWDDataBroker/DataBrokerServices.asmx?messageType=
get<Wind|Solar>Forecast&returnType=json`, no key, one request a second
(`http_client.DEFAULT_MIN_INTERVAL_S["miso"]`). The service answers for now only (no date
parameter): a partition can be fetched on its own market day, and history is what our archive
kept (the raw layer's archive of every payload). Forecasts are partitioned by the day they were
issued.

Answer: `{"MktDay": "03-10-2025", "RefId": "10-Mar-2025 - Interval 06:00 EST", "Forecast":
[{"DateTimeEST": "2025-03-10 12:00:00 AM", "HourEndingEST": "1", "Value": "0.00"}, ...]}`, 48
hours (the market day and the next). MISO keeps Eastern Standard Time all year (the region's
clock, `Etc/GMT+5`): no DST days, 24 hours every day. `DateTimeEST` is the hour's start (hour
ending 1 starts 12:00 AM); `RefId` names the run the values come from, its issue time
(`issued_at_utc`). Rows: `interval_start_utc`, `issued_at_utc`, `fuel` (wind / solar),
`generation_mw`.

Not parsed: `US_MISO/20250310_df_al.xls` (the daily forecast-and-actual-load workbook) is a
legacy Excel file, and reading it needs a new dependency (`xlrd`); see the README's coverage
table.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence

import polars as pl

from energy_assets.regions import Region
from energy_assets.schemas import iso_raw as schemas
from energy_assets.sources.errors import PayloadError
from energy_assets.sources.feeds import Feed, FeedSource, whole_payload
from energy_assets.sources.http_client import FetchedPayload
from energy_assets.sources.iso_common import (
    UTC_DATETIME,
    distinct_sorted,
    load_json,
    numbers,
    require_fields,
)

PROVIDER = "miso"
BROKER_URL = "https://api.misoenergy.org/MISORTWDDataBroker/DataBrokerServices.asmx"
EST = dt.timezone(dt.timedelta(hours=-5))
FUELS = ("wind", "solar")


def forecast_url(fuel: str) -> str:
    return f"{BROKER_URL}?messageType=get{fuel.title()}Forecast&returnType=json"


_REF = re.compile(r"^(\d{1,2}-[A-Za-z]{3}-\d{4}) - Interval (\d{2}:\d{2}) EST$")


def _fuel(url: str, what: str) -> str:
    match = re.search(r"messageType=get(Wind|Solar)Forecast", url, re.IGNORECASE)
    if match is None:
        raise PayloadError(f"{what}: the URL does not say wind or solar")
    return match.group(1).lower()


def parse_forecast(payloads: Sequence[FetchedPayload], day: dt.date | None = None) -> pl.DataFrame:
    """getWindForecast / getSolarForecast -> interval_start_utc, issued_at_utc, fuel,
    generation_mw."""
    if not payloads:
        raise PayloadError("MISO forecast: no payload")
    frames = []
    for index, payload in enumerate(payloads):
        what = f"MISO forecast ({payload.url})"
        document = load_json(payload.body, what)
        if not isinstance(document, Mapping) or "Forecast" not in document:
            raise PayloadError(f"{what}: no 'Forecast' in the answer")
        rows = document["Forecast"]
        if not isinstance(rows, list) or not rows:
            raise PayloadError(f"{what}: the forecast is empty")
        require_fields(rows, ("DateTimeEST", "Value"), what)
        ref = _REF.match(str(document.get("RefId", "")).strip())
        if ref is None:
            raise PayloadError(f"{what}: RefId {document.get('RefId')!r} does not name its run")
        issued = dt.datetime.strptime(f"{ref.group(1)} {ref.group(2)}", "%d-%b-%Y %H:%M")
        starts = []
        for i, row in enumerate(rows):
            try:
                local = dt.datetime.strptime(row["DateTimeEST"], "%Y-%m-%d %I:%M:%S %p")
            except ValueError:
                raise PayloadError(
                    f"{what}: row {i + 1}: DateTimeEST {row['DateTimeEST']!r}"
                ) from None
            starts.append(local.replace(tzinfo=EST).astimezone(dt.UTC))
        n = len(rows)
        frames.append(
            pl.DataFrame(
                {
                    "interval_start_utc": pl.Series(starts, dtype=UTC_DATETIME),
                    "issued_at_utc": pl.Series(
                        [issued.replace(tzinfo=EST).astimezone(dt.UTC)] * n, dtype=UTC_DATETIME
                    ),
                    "fuel": pl.Series([_fuel(payload.url, what)] * n, dtype=pl.String),
                    "generation_mw": numbers([r["Value"] for r in rows], what, "Value"),
                    "payload_index": pl.Series([index] * n, dtype=pl.Int64),
                }
            )
        )
    frame = pl.concat(frames)
    return distinct_sorted(frame, ["fuel", "issued_at_utc", "interval_start_utc"], "MISO forecast")


def _fetch(source: FeedSource, region: Region, day: dt.date) -> list[FetchedPayload]:
    return [source.client.get(PROVIDER, forecast_url(fuel)) for fuel in FUELS]


FEEDS = (
    Feed(
        provider=PROVIDER,
        name="wind_solar_forecast",
        description="MISO Real-Time Data Broker wind and solar forecasts of the current run:"
        " hourly MW for the market day and the next (EST), issued_at_utc from the run named.",
        schema=schemas.MisoWindSolarForecast,
        first_date="2025-01-01",
        request_key=lambda region, day: f"{forecast_url('wind')}#{day}",
        fetch=_fetch,
        parse=parse_forecast,
        day_rows=whole_payload,  # partitioned by issue day: the run's 48 hours
        completeness_columns="generation_mw",
    ),
)
