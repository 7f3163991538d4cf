"""EIA-930 (Hourly Electric Grid Monitor): the v2 API and two historical file sets, pure.

Three inputs, one vocabulary (UTC interval starts, MW = MWh in the hour):

- The EIA API v2 (`API_ROOT/<route>/data/`), live: `region-data` (types D demand, DF the
  balancing authority's day-ahead demand forecast, NG net generation, TI total interchange,
  positive for net exports), `fuel-type-data` (net generation by energy source) and
  `interchange-data` (flows to each neighbour). One request per balancing authority (BA),
  route and month (`request_month`, `api_url`, `fetch_month`), pages of `PAGE_ROWS`.
- `datasets/eia930/<BA>.csv`: the same D and DF as queried from EIA in 2020 (Ruggles et al.),
  2015-07..2019-06 (`parse_history_demand`).
- `datasets/carbon_eia930/<BA>_direct_emissions.csv`: EIA-930 net generation by fuel as
  curated by CarbonCast/EnsembleCI, with their direct carbon intensity, 2019-01..2021-06
  (`parse_history_fuel_mix`).

Parsers are pure `bytes -> polars.DataFrame` and raise `PayloadError` for anything that is not a
normal payload; rows stay in the provider's terms (nothing filled, nothing dropped as
implausible: plausibility is judged downstream, with the faults listed here as the evidence).

API v2
------

`period` is `YYYY-MM-DDTHH` in UTC (`frequency=hourly`; `local-hourly` is never requested and is
rejected) and labels the END of the hour, as every EIA-930 product does: the row for period
`2020-01-06T06` is the hour 05:00-06:00 UTC. Values are MWh in the hour, i.e. the hour's
average MW. `start` and `end` are inclusive hour-ending labels. The window of a month's request
is `<first day - 1 day>T00 .. <next month's first day + 1 day>T00`, so every local market day of
the month is inside it in any US zone (local midnight is 04:00-10:00 UTC); neighbouring months
overlap by two days, and the consumer keeps the hours of its market day. Rows are sorted on
(period, respondent or fromba, type / fueltype / toba), all ascending: without a total order
EIA's pages are not stable and offsets can skip or repeat rows. A month is about 790 hours: 4
region-data types (~3,200 rows, one page), 8-16 fuels (two or three pages), interchange one row
per neighbour-hour. `fetch_month` requires every page to agree on `response.total` and to be
full (5,000 rows) but the last; otherwise PayloadError naming the URL and offset.

The key (`FeedSource.keys["EIA_API_KEY"]`, which the Dagster `http` resource fills from the
environment variable, else `api_key_from_env`) is sent as the `api_key` query parameter through
`HttpClient.get(secret_params=...)`, so it is on the wire only, never in `FetchedPayload.url`,
logs or recordings. EIA's published limit is about 5,000 requests an hour; `HttpClient`'s
default rate table knows "eia" but not "eia930", so give the client
`min_interval_s={"eia930": 1.0}` where requests are made in bulk.

What the 17 recorded API pages (`recordings/electricitymaps/EIA/`, test mocks of
electricityMaps, some of them hand-made) show, and how it is handled:

- `value` is a JSON number or `null` (US-NW-PGE-with-nulls); newer API versions are known to
  send numbers as strings ("1234"), which are accepted too. Nulls stay null.
- `total` is the row count of the whole query, not of the page. Hand-made pages disagree with
  their own data (total 3 with 2 rows in eleven files; total 3 with no rows in US_NW_AVRN-other):
  `parse_api` reads a page as it is; `fetch_month` would reject such a page as short.
- The empty result (US_CAR_SC-nuclear: total 0, `data: []`) parses to an empty frame with the
  schema.
- Interchange rows have `fromba`/`toba` and no `type-name`: `series` is `fromba->toba`,
  `series_name` null. US-NW-BPAT-US-NW-NWMT-exchange actually holds SWPP->SPC rows.
- `fueltype` codes in the mocks include invented ones (`WIN`, `WIND`, `COAL`): `parse_api`
  keeps any code, `pivot_fuel_type` rejects codes it does not know, naming them. EIA's codes:
  COL, NG, NUC, OIL, WAT, SUN, WND, OTH, UNK, GEO, BAT, PS, SNB and, since mid-2024, WNB (wind
  with integrated storage), OES (other energy storage), UES (unknown energy storage).
- Rows need not come in time order (US_NW_BPAT-consumption lists 11:00 before 10:00); the
  pivots sort.

Region-data history (`datasets/eia930/<BA>.csv`)
------------------------------------------------

`date_time,demand (MW),forecast demand (MW)`, `date_time` UTC, hour-ENDING (SOURCES.md; checked
here too: against CAISO Outlook's 5-minute demand, 2019-01..06, 4,331 hours, CISO D is closest
to the Outlook mean over the hour BEFORE the label, MAE 1,078 MW, against 1,406 MW for the hour
after it). Every one of the 8 files has 35,065 rows, first label 2015-07-01 00:00, last
2019-07-01 00:00 (interval starts 2015-06-30 23:00 .. 2019-06-30 23:00 UTC; SOURCES.md says the
first label is 01:00, it is 00:00), one row per hour: no duplicate, no missing, no out-of-order
timestamp. Values are whole MW. Each BA's series starts at its local midnight of 2015-07-01
(first interval starting at 07:00 UTC for CISO, 05:00 ERCO/MISO/SWPP, 04:00 PJM/NYIS/ISNE;
BPAT's D from 2015-07-02 07:00); the hours before are `MISSING`.

Gaps (`MISSING` / `EMPTY`, both null) and other faults per region, D then DF. Times are the
files' labels (UTC, hour ending):

- CISO: D 9 MISSING (8 at the start, 2017-11-05 08:00) and 256 EMPTY (37 runs, 170 hours in
  2016, longest 2016-10-29 11:00 .. 10-31 10:00, 48 h); DF 80 MISSING (the starting 8 and
  whole days from 2016-01-22 09:00, 2018-02-20 09:00 and 2018-03-11 09:00). D is implausibly low
  in 33 hours of 2019-02..05 (12,193-21,763 MW, 23-48 % below DF; at 2019-04-10 23:00 EIA has
  12,193 MW where CAISO's own Outlook has 21,655 MW): these are most of the large D/DF misfits.
- ERCO: D 54 MISSING (6 at the start; the days from 2018-07-01 06:00 and 2018-11-11 07:00) and
  192 EMPTY (8 whole days, 2016-2018); DF 102 MISSING (6 + 2018-07-01..02 + 2018-11-11..12).
- PJM: D 7 MISSING (5 at the start, 2016-03-14 07:00, 2017-11-06 05:00) and 51 EMPTY (mostly
  2016-03-14..15 and the day 2017-11-05); DF 148 MISSING (10 runs, around DST days among them:
  from 2017-03-12 07:00, 2017-11-05 05:00 and 2018-11-04 05:00). DF is implausible from
  2015-07-01 05:00 to 07-27 04:00 and from 07-28 05:00 to 07-29 04:00 (648 hours at 32-42 % of
  D, e.g. 42,144 MW against 106,560 MW at 2015-07-02 00:00), on 2018-06-30 11:00-12:00 (69 % of
  D) and 2018-07-01 01:00-03:00 (130-133 %); from August 2015 the monthly median DF/D is
  0.98-0.99.
- NYIS: only the 5 starting MISSING. D is 0 in 4 single hours (2015-10-04 16:00, 2017-04-26
  21:00, 2017-07-10 23:00, 2019-04-18 04:00); DF is 0 for 23-hour blocks on 5 days (from
  2015-07-01 06:00, 2016-10-26 06:00, 2018-12-26 07:00, 2019-01-03 07:00, 2019-02-15 07:00),
  115 hours.
- ISNE: 5 MISSING at the start; D 3 EMPTY (2016-05-24 21:00-23:00).
- MISO: 6 MISSING at the start; D 25 EMPTY (10 short runs, 2016-2019).
- SWPP: D 30 MISSING (6 + the day from 2018-08-28 06:00) and 2,459 EMPTY (2018-05-31 06:00 ..
  08-28 05:00, 2,136 hours in one run; 2018-01-13..22, 227 h; 2015-11-23, 2018-08-29..31, a day
  in 2019); DF 484 MISSING (16 runs, 2016-07-19..28 among them). D is stuck at one value for
  8-81 hours 9 times, 382 hours (from 2017-11-27 18:00, 2017-12-07 18:00, 2018-01-09 22:00,
  2019-03-29 07:00, 2019-04-01 06:00, 2019-04-05 22:00, 2019-05-29 15:00, 2019-06-08 12:00,
  2019-06-20 22:00); on 2019-04-06..07 DF drops to 8,223-13,732 MW (SWPP's D never goes below
  19,060 MW), so both are wrong there.
- BPAT: D 8 MISSING + 41 EMPTY (2015-07-01 08:00 .. 07-02 07:00, 2015-10-13..14), DF 8
  MISSING; 13 hours in which D and DF differ by more than 30 %, D being the outlier (e.g.
  2016-05-09 04:00, 2,600 MW where the hours around have about 5,600; 2016-03-13 08:00, 10,804
  against about 6,500).

Fuel-mix history (`datasets/carbon_eia930/<R>_direct_emissions.csv`)
--------------------------------------------------------------------

`,UTC time,carbon_intensity,<fuels>`: a pandas row index 0..21887, the hour, the direct
intensity (gCO2eq/kWh, two decimals) and MW by fuel (`coal, nat_gas, nuclear, oil, hydro,
solar, wind, other` for CISO, ISNE and PJM; ERCO and MISO have no `oil`, ERCO's columns come in
another order). 21,888 rows each, 2019-01-01 00:00 .. 2021-06-30 23:00, one row per hour: no
duplicate, missing or out-of-order time, no blank cell, no negative value (storage and
negative solar/hydro do not appear). The time is written `2019-01-01 00:00:00+00:00` in CISO
and PJM and without the offset in ERCO, ISNE and MISO; both are UTC. Values are whole MW but in
89 rows (CISO 35, MISO 6, PJM 48: e.g. CISO 2020-08-23 19:00 .. 08-24 18:00, PJM 2020-03-08
07:00 .. 03-09 04:00 and 2020-08-03 05:00 .. 08-04 04:00, MISO six single 05:00 hours) with
quarters and thirds (15.75, 7.333...): hours the curators filled by averaging, kept as given.

The time labels the START of the hour (unlike EIA's own hour-ending labels, so the curators
have shifted them): `interval_start_utc` is the label. Evidence: CISO's solar, natural gas and
wind against CAISO Today's Outlook 5-minute fuel mix (`recordings/caiso_outlook`, 2019-01-01 ..
2020-12-31, Pacific clock turned into UTC by `caiso_outlook.parse_fuel_mix`) averaged over a
one-hour window that starts k minutes after the label, on the 17,537 hours whose 12 five-minute
rows are all there:

  window start    solar MAE  nat. gas MAE  wind MAE  solar corr. of hour-to-hour changes
  label - 60 min     623 MW       488 MW      233 MW     0.820   (label = END of the hour)
  label - 20 min     233 MW       108 MW      164 MW     0.982   (best, all three fuels)
  label              381 MW       254 MW      184 MW     0.941   (label = START of the hour)

The START reading beats the END reading in every one of the 24 months, winter (PST) and summer
(PDT) alike (solar 268 vs 461 MW Dec-Feb, 389 vs 674 Jun-Aug). The best fit is a window 20
minutes before the label, in both seasons and for solar, gas and wind alike, so the file's hours
are the START-labelled hours within about 20 minutes (CAISO's Outlook and EIA's hourly values
differ in timing by that much; CAISO's own supply and demand rows agree with each other at a
0-minute shift, so it is not a clock error of the recordings); the END reading is 40 minutes
off and about twice the error. The test repeats this on 2019-01, 2019-07, 2020-04 and 2020-10
(solar 340 vs 575 MW, gas 239 vs 448 MW).

`carbon_intensity` is reproduced exactly by sum(factor x MW) / sum(MW) over the file's fuel
columns with the direct factors (coal 760, nat_gas 370, oil 406, other/unknown 575, the rest 0;
`DIRECT_FACTORS_G_PER_KWH`, `direct_carbon_intensity`): max |difference| 0.0050 gCO2/kWh in
every region (mean 0.0025), which is the two-decimal rounding; rounded to two decimals the
computed value equals the published one in all 109,440 rows. Imports are not counted.

Time zones and DST
------------------

Everything here is UTC and has no DST gap or repeat. A local market day has 23 or 25 hours on
DST days (2019-03-10 in Pacific time is 2019-03-10 08:00 .. 03-11 07:00 UTC, 23 hours); cutting
UTC hours into market days is the consumer's business (`energy_assets.timeutil`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import polars as pl

from energy_assets.regions import Region
from energy_assets.schemas import raw as raw_schemas
from energy_assets.sources import errors
from energy_assets.sources.csv_text import decode_csv, plain_number, require_final_line_break
from energy_assets.sources.errors import MissingApiKeyError as MissingApiKeyError  # re-exported
from energy_assets.sources.errors import PayloadError
from energy_assets.sources.feeds import Feed, FeedSource, history_payload, hours_in_market_day
from energy_assets.sources.http_client import FetchedPayload, HttpClient

PROVIDER = "eia930"
API_ROOT = "https://api.eia.gov/v2/electricity/rto"
PAGE_ROWS = 5000
ROUTES = ("region-data", "fuel-type-data", "interchange-data")
#: region-data types: demand, day-ahead demand forecast, net generation, total interchange.
REGION_DATA_TYPES = ("D", "DF", "NG", "TI")

API_KEY_ENV = "EIA_API_KEY"

#: The balancing authorities with history files (`datasets/eia930/<BA>.csv`); the fuel-mix files
#: (`datasets/carbon_eia930/<BA>_direct_emissions.csv`) exist for CISO, ERCO, ISNE, MISO and PJM.
HISTORY_RESPONDENTS = ("CISO", "ERCO", "PJM", "NYIS", "ISNE", "MISO", "SWPP", "BPAT")
HISTORY_FEEDS = ("region_data", "fuel_type")

#: region-data `type` code -> wide column (hourly MWh = the hour's average MW).
REGION_DATA_COLUMNS: dict[str, str] = {
    "D": "demand_mw",
    "DF": "day_ahead_forecast_mw",
    "NG": "net_generation_mw",
    "TI": "total_interchange_mw",
}

#: fuel-type-data `fueltype` code -> canonical wide column, in output order. The last three
#: (WNB, OES, UES) are energy-source codes EIA added in mid-2024 next to BAT, PS and SNB.
FUEL_TYPE_COLUMNS: dict[str, str] = {
    "COL": "coal_mw",
    "NG": "natural_gas_mw",
    "NUC": "nuclear_mw",
    "OIL": "oil_mw",
    "WAT": "hydro_mw",
    "SUN": "solar_mw",
    "WND": "wind_mw",
    "OTH": "other_mw",
    "GEO": "geothermal_mw",
    "BAT": "batteries_mw",
    "PS": "pumped_storage_mw",
    "SNB": "solar_with_storage_mw",
    "UNK": "unknown_mw",
    "WNB": "wind_with_storage_mw",
    "OES": "other_storage_mw",
    "UES": "unknown_storage_mw",
}

#: Fuel column of the EnsembleCI `<R>_direct_emissions.csv` files -> canonical column.
HISTORY_FUEL_COLUMNS: dict[str, str] = {
    "coal": "coal_mw",
    "nat_gas": "natural_gas_mw",
    "nuclear": "nuclear_mw",
    "oil": "oil_mw",
    "hydro": "hydro_mw",
    "solar": "solar_mw",
    "wind": "wind_mw",
    "other": "other_mw",
    "geothermal": "geothermal_mw",
    "unknown": "unknown_mw",
}

#: Direct (combustion) emission factors of the CarbonCast/EnsembleCI papers, gCO2eq/kWh, per
#: canonical fuel column; every column not listed counts 0. They reproduce the history files'
#: `carbon_intensity` (see the module docstring).
DIRECT_FACTORS_G_PER_KWH: dict[str, float] = {
    "coal_mw": 760.0,
    "natural_gas_mw": 370.0,
    "oil_mw": 406.0,
    "other_mw": 575.0,
    "unknown_mw": 575.0,
}

HISTORY_DEMAND_HEADER = ("date_time", "demand (MW)", "forecast demand (MW)")
#: Gap markers in the region-data history files; both become null.
HISTORY_GAP_MARKERS = frozenset({"MISSING", "EMPTY"})

_UTC_DT = pl.Datetime("us", "UTC")
API_SCHEMA: dict[str, pl.DataType] = {
    "interval_start_utc": _UTC_DT,
    "respondent": pl.String(),
    "series": pl.String(),
    "series_name": pl.String(),
    "value_mwh": pl.Float64(),
}
_API_DATE_FORMAT = 'YYYY-MM-DD"T"HH24'
_PERIOD = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2})$")
_HISTORY_TIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2}) (\d{2}):00:00$")
_HISTORY_UTC_TIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2}) (\d{2}):00:00(\+00:00)?$")
_RESPONDENT = re.compile(r"^[A-Z0-9]{2,8}$")
_HOUR = timedelta(hours=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_HOUR_US = 3_600_000_000


# --- requests ---------------------------------------------------------------------------------


def request_month(market_day: date) -> date:
    """First day of the month whose request serves `market_day` (a month per request).

    `api_url`'s window reaches a day beyond each end of the month, so the month that contains a
    local market day serves all of its hours in every US time zone.
    """
    return market_day.replace(day=1)


def _month_window(month: date) -> tuple[str, str]:
    """`start`/`end` (inclusive, hour-ending labels, UTC) for the month starting `month`."""
    if month.day != 1:
        raise ValueError(f"month must be the first day of a month, got {month}")
    next_month = (month + timedelta(days=32)).replace(day=1)
    start = month - timedelta(days=1)
    end = next_month + timedelta(days=1)
    return f"{start.isoformat()}T00", f"{end.isoformat()}T00"


def _check_request(route: str, respondent: str) -> None:
    if route not in ROUTES:
        raise ValueError(f"route must be one of {ROUTES}, got {route!r}")
    if not _RESPONDENT.match(respondent):
        raise ValueError(f"respondent must be an EIA-930 code like 'CISO', got {respondent!r}")


def _query_params(route: str, respondent: str, month: date, offset: int) -> list[tuple[str, str]]:
    start, end = _month_window(month)
    if route == "interchange-data":
        facet, sort = "fromba", ("period", "fromba", "toba")
    elif route == "fuel-type-data":
        facet, sort = "respondent", ("period", "respondent", "fueltype")
    else:
        facet, sort = "respondent", ("period", "respondent", "type")
    params = [("frequency", "hourly"), ("data[0]", "value"), (f"facets[{facet}][]", respondent)]
    if route == "region-data":
        params += [("facets[type][]", code) for code in REGION_DATA_TYPES]
    params += [("start", start), ("end", end)]
    for i, column in enumerate(sort):
        params += [(f"sort[{i}][column]", column), (f"sort[{i}][direction]", "asc")]
    params += [("offset", str(offset)), ("length", str(PAGE_ROWS))]
    return params


def api_url(route: str, respondent: str, month: date, offset: int = 0) -> str:
    """The v2 `.../<route>/data/` URL for one balancing authority and one month, without the key.

    `month` is the first day of the month. The window runs from the month's first day minus one
    day, `T00`, to the next month's first day plus one day, `T00` (UTC, hour-ending labels, both
    inclusive), which covers every local market day of the month in any US time zone (UTC-4 to
    UTC-10). Rows come in a stable order (period, then respondent / fromba, then type / fueltype
    / toba, all ascending), so `offset` pages never skip or repeat a row.
    """
    _check_request(route, respondent)
    if offset < 0 or offset % PAGE_ROWS:
        raise ValueError(f"offset must be a non-negative multiple of {PAGE_ROWS}, got {offset}")
    query = "&".join(
        f"{quote(k, safe='[]')}={quote(v, safe='')}"
        for k, v in _query_params(route, respondent, month, offset)
    )
    return f"{API_ROOT}/{route}/data/?{query}"


def api_key_from_env() -> str:
    """`EIA_API_KEY` from the environment; a clear error naming the variable when it is unset."""
    return errors.api_key_from_env(
        API_KEY_ENV, "the EIA API v2", "https://www.eia.gov/opendata/register.php"
    )


def fetch_month(
    client: HttpClient, route: str, respondent: str, month: date, api_key: str
) -> list[FetchedPayload]:
    """Every page of one month for one balancing authority, in order.

    Pages are requested at offsets 0, PAGE_ROWS, ... until `response.total` rows are read. The
    key goes as `secret_params`, so it is on the wire only (never in `FetchedPayload.url`). A
    page that is not an API response, whose `total` disagrees with the first page's (the data
    changed between requests), or that holds fewer rows than it should (a short page before the
    end) or more, raises PayloadError naming the URL and the offset.
    """
    _check_request(route, respondent)
    if not api_key:
        raise ValueError("fetch_month needs an API key (see api_key_from_env)")
    pages: list[FetchedPayload] = []
    total: int | None = None
    offset = 0
    while True:
        payload = client.get(
            PROVIDER,
            api_url(route, respondent, month, offset),
            secret_params={"api_key": api_key},
        )
        where = f"page at offset {offset} of {payload.url}"
        response = _load_response(payload.body, where)
        page_total = _total(response, where)
        rows = len(response["data"])
        if total is None:
            total = page_total
        elif page_total != total:
            raise PayloadError(
                f"EIA-930 API: {where}: total {page_total} disagrees with the first page's "
                f"{total} (the data changed while paging; fetch the month again)"
            )
        expected = min(PAGE_ROWS, total - offset)
        if rows != expected:
            kind = "short page before the end" if rows < expected else "more rows than asked"
            raise PayloadError(
                f"EIA-930 API: {where}: {rows} rows, expected {expected} of total {total} ({kind})"
            )
        pages.append(payload)
        offset += PAGE_ROWS
        if offset >= total:
            return pages


# --- API payloads -----------------------------------------------------------------------------


def _load_response(body: bytes, where: str) -> dict[str, Any]:
    """The `response` object of a v2 JSON body; anything else raises PayloadError."""
    if not body or not body.strip():
        raise PayloadError(f"EIA-930 API: {where}: empty body")
    head = body.lstrip()[:1]
    if head == b"<":
        raise PayloadError(
            f"EIA-930 API: {where}: got an HTML/XML page instead of JSON (an error page?)"
        )
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise PayloadError(f"EIA-930 API: {where}: not JSON ({exc})") from None
    if not isinstance(document, dict):
        raise PayloadError(f"EIA-930 API: {where}: JSON is not an object")
    if "error" in document:
        raise PayloadError(
            f"EIA-930 API: {where}: the API answered with an error: {document['error']!r}"[:400]
        )
    response = document.get("response")
    if not isinstance(response, dict) or not isinstance(response.get("data"), list):
        raise PayloadError(
            f"EIA-930 API: {where}: no response.data list (keys: {sorted(document)[:10]})"
        )
    frequency = response.get("frequency")
    if frequency is not None and frequency != "hourly":
        raise PayloadError(f"EIA-930 API: {where}: frequency {frequency!r}, expected 'hourly'")
    date_format = response.get("dateFormat")
    if date_format is not None and date_format != _API_DATE_FORMAT:
        raise PayloadError(
            f"EIA-930 API: {where}: dateFormat {date_format!r}, expected {_API_DATE_FORMAT!r}"
        )
    return response


def _total(response: Mapping[str, Any], where: str) -> int:
    total = response.get("total")
    if isinstance(total, bool) or not (
        isinstance(total, int) or (isinstance(total, str) and total.isdigit())
    ):
        raise PayloadError(f"EIA-930 API: {where}: response.total {total!r} is not a row count")
    return int(total)


def _api_value(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise PayloadError(f"EIA-930 API: {where}: value {value!r} is not a number")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        number = plain_number(value.strip())
        if number is None:
            raise PayloadError(f"EIA-930 API: {where}: value {value!r} is not a number")
    else:
        raise PayloadError(f"EIA-930 API: {where}: value {value!r} is not a number")
    if not math.isfinite(number):
        raise PayloadError(f"EIA-930 API: {where}: value {value!r} is not finite")
    return number


def _text(record: Mapping[str, Any], key: str, where: str) -> str:
    value = record.get(key)
    if not isinstance(value, str) or not value.strip():
        raise PayloadError(f"EIA-930 API: {where}: {key!r} is {value!r}, expected a code")
    return value.strip()


def parse_api(body: bytes) -> pl.DataFrame:
    """One v2 JSON page -> one row per (hour, series), in the provider's terms.

    Columns (`API_SCHEMA`): `interval_start_utc` (`period` labels the END of the hour, so one
    hour earlier), `respondent` (`fromba` for interchange), `series` (the `type` code D/DF/NG/TI,
    the `fueltype` code, or `fromba->toba`), `series_name` (`type-name`, null where absent) and
    `value_mwh` (Float64; EIA's nulls stay null). A page with no data is an empty frame with
    these columns. Rows keep the page's order.
    """
    response = _load_response(body, "page")
    starts: list[int] = []
    respondents: list[str] = []
    series: list[str] = []
    names: list[str | None] = []
    values: list[float | None] = []
    kinds: set[str] = set()
    for i, record in enumerate(response["data"]):
        where = f"data[{i}]"
        if not isinstance(record, dict):
            raise PayloadError(f"EIA-930 API: {where} is not an object")
        period = record.get("period")
        m = _PERIOD.match(period) if isinstance(period, str) else None
        if m is None:
            raise PayloadError(
                f"EIA-930 API: {where}: period {period!r} is not YYYY-MM-DDTHH "
                "(was the request frequency=hourly?)"
            )
        try:
            end = datetime(*(int(g) for g in m.groups()), tzinfo=UTC)  # type: ignore[misc]
        except ValueError:
            raise PayloadError(f"EIA-930 API: {where}: period {period!r} is not a time") from None
        if "fromba" in record or "toba" in record:
            kind = "interchange"
            respondent = _text(record, "fromba", where)
            code = f"{respondent}->{_text(record, 'toba', where)}"
        elif "fueltype" in record:
            kind = "fuel type"
            respondent = _text(record, "respondent", where)
            code = _text(record, "fueltype", where)
        elif "type" in record:
            kind = "region data"
            respondent = _text(record, "respondent", where)
            code = _text(record, "type", where)
        else:
            raise PayloadError(
                f"EIA-930 API: {where}: no type, fueltype or fromba/toba (keys {sorted(record)})"
            )
        kinds.add(kind)
        units = record.get("value-units")
        if units is not None and units != "megawatthours":
            raise PayloadError(
                f"EIA-930 API: {where}: value-units {units!r}, expected megawatthours"
            )
        name = record.get("type-name")
        starts.append((end - _EPOCH) // timedelta(microseconds=1) - _HOUR_US)
        respondents.append(respondent)
        series.append(code)
        names.append(name if isinstance(name, str) else None)
        values.append(_api_value(record.get("value"), where))
    if len(kinds) > 1:
        raise PayloadError(f"EIA-930 API: one page mixes {sorted(kinds)} rows")
    return pl.DataFrame(
        {
            "interval_start_utc": pl.Series(starts, dtype=pl.Int64).cast(_UTC_DT),
            "respondent": pl.Series(respondents, dtype=pl.String),
            "series": pl.Series(series, dtype=pl.String),
            "series_name": pl.Series(names, dtype=pl.String),
            "value_mwh": pl.Series(values, dtype=pl.Float64),
        }
    )


def _pivot(
    rows: pl.DataFrame, columns: Mapping[str, str], what: str, *, all_columns: bool
) -> pl.DataFrame:
    missing = [c for c in API_SCHEMA if c not in rows.columns]
    if missing:
        raise PayloadError(f"EIA-930 {what}: rows lack column(s) {missing}")
    unknown = sorted(set(rows["series"].unique().to_list()) - set(columns))
    if unknown:
        raise PayloadError(
            f"EIA-930 {what}: unknown series code(s) {unknown}; known: {list(columns)}"
        )
    key = ["interval_start_utc", "respondent", "series"]
    duplicated = rows.filter(pl.struct(key).is_duplicated())
    if duplicated.height:
        first = duplicated.row(0, named=True)
        raise PayloadError(
            f"EIA-930 {what}: {duplicated.height} rows repeat an (hour, respondent, series), "
            f"e.g. {first['respondent']} {first['series']} at {first['interval_start_utc']}"
        )
    present = set(rows["series"].unique().to_list())
    wanted = [code for code in columns if all_columns or code in present]
    index = ["interval_start_utc", "respondent"]
    if rows.height:
        wide = rows.pivot(on="series", index=index, values="value_mwh", aggregate_function=None)
    else:
        wide = pl.DataFrame(schema={"interval_start_utc": _UTC_DT, "respondent": pl.String})
    return (
        wide.with_columns(
            [
                pl.lit(None, dtype=pl.Float64).alias(code)
                for code in wanted
                if code not in wide.columns
            ]
        )
        .select(
            pl.col("interval_start_utc").cast(_UTC_DT),
            pl.col("respondent").cast(pl.String),
            *[pl.col(code).cast(pl.Float64).alias(columns[code]) for code in wanted],
        )
        .sort(index)
    )


def pivot_region_data(rows: pl.DataFrame) -> pl.DataFrame:
    """Long region-data rows (`parse_api`) -> one row per (hour, respondent).

    Columns: `interval_start_utc`, `respondent`, `demand_mw`, `day_ahead_forecast_mw`,
    `net_generation_mw`, `total_interchange_mw` (Float64, null where EIA has null or no row;
    hourly MWh = average MW over the hour). A code other than D/DF/NG/TI, or a repeated
    (hour, respondent, type), is a PayloadError.
    """
    return _pivot(rows, REGION_DATA_COLUMNS, "region data", all_columns=True)


def pivot_fuel_type(rows: pl.DataFrame) -> pl.DataFrame:
    """Long fuel-type rows (`parse_api`) -> one row per (hour, respondent), a column per fuel.

    Columns: `interval_start_utc`, `respondent`, then the `FUEL_TYPE_COLUMNS` names of the codes
    present, in that order (coal_mw, natural_gas_mw, ...). An unknown code is a PayloadError
    naming it; so is a repeated (hour, respondent, fueltype).
    """
    return _pivot(rows, FUEL_TYPE_COLUMNS, "fuel type", all_columns=False)


# --- history files ----------------------------------------------------------------------------


def history_file(datasets_dir: Path, feed: str, respondent: str) -> Path:
    """The history file of `feed` for one balancing authority.

    `region_data` -> `datasets/eia930/<BA>.csv` (D and DF, 2015-07..2019-06);
    `fuel_type` -> `datasets/carbon_eia930/<BA>_direct_emissions.csv` (fuel mix and direct
    intensity, 2019-01..2021-06). FileNotFoundError naming the path when it is absent.
    """
    if not _RESPONDENT.match(respondent):
        raise ValueError(f"respondent must be an EIA-930 code like 'CISO', got {respondent!r}")
    if feed == "region_data":
        path = Path(datasets_dir) / "eia930" / f"{respondent}.csv"
    elif feed == "fuel_type":
        path = Path(datasets_dir) / "carbon_eia930" / f"{respondent}_direct_emissions.csv"
    else:
        raise ValueError(f"feed must be one of {HISTORY_FEEDS}, got {feed!r}")
    if not path.is_file():
        raise FileNotFoundError(f"EIA-930 {feed} history for {respondent}: no file at {path}")
    return path


def _decoded(body: bytes, what: str) -> str:
    text = decode_csv(body, f"EIA-930 {what}")
    require_final_line_break(text, f"EIA-930 {what}")
    return text


def _lines(
    text: str, what: str, header: Sequence[str] | None
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header cells and (1-based line number, cells) of every non-blank data line."""
    lines = text.split("\n")
    first = lines[0].rstrip("\r")
    cells = first.split(",")
    if header is not None and [c.strip().lower() for c in cells] != [h.lower() for h in header]:
        raise PayloadError(
            f"EIA-930 {what}: line 1: header {first[:120]!r}, expected {','.join(header)!r}"
        )
    rows: list[tuple[int, list[str]]] = []
    width = len(cells)
    for number, line in enumerate(lines[1:], start=2):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        row = line.split(",")
        if len(row) != width:
            raise PayloadError(
                f"EIA-930 {what}: line {number} has {len(row)} fields, the header has {width} "
                f"(cut or malformed line: {line[:80]!r})"
            )
        rows.append((number, row))
    if not rows:
        raise PayloadError(f"EIA-930 {what}: header only, no data rows")
    return cells, rows


def _hour_us(m: re.Match[str], what: str, number: int, column: str, cell: str) -> int:
    try:
        stamp = datetime(int(m[1]), int(m[2]), int(m[3]), int(m[4]), tzinfo=UTC)
    except ValueError:
        raise PayloadError(
            f"EIA-930 {what}: line {number}, column {column!r}: {cell!r} is not a time"
        ) from None
    return (stamp - _EPOCH) // timedelta(microseconds=1)


def _check_order(stamps: list[int], numbers: list[int], what: str) -> None:
    for k in range(1, len(stamps)):
        if stamps[k] <= stamps[k - 1]:
            kind = "repeats" if stamps[k] == stamps[k - 1] else "goes back in"
            raise PayloadError(f"EIA-930 {what}: line {numbers[k]} {kind} time (rows must ascend)")


def parse_history_demand(body: bytes) -> pl.DataFrame:
    """A `datasets/eia930/<BA>.csv` file (or a slice of its lines under the header) -> hours.

    `date_time,demand (MW),forecast demand (MW)`; `date_time` is UTC and labels the END of the
    hour, so `interval_start_utc` is one hour earlier. Columns: `interval_start_utc`,
    `demand_mw`, `day_ahead_forecast_mw` (Float64; `MISSING` and `EMPTY` -> null). Any other
    text (a blank cell included), a wrong header, an empty body, an HTML page, a body cut
    mid-line, or times that repeat or go back raise PayloadError naming the line and column.
    """
    what = "region-data history"
    text = _decoded(body, what)
    header, rows = _lines(text, what, HISTORY_DEMAND_HEADER)
    stamps: list[int] = []
    numbers: list[int] = []
    demand: list[float | None] = []
    forecast: list[float | None] = []
    for number, (stamp, d, f) in rows:
        m = _HISTORY_TIME.match(stamp)
        if m is None:
            raise PayloadError(
                f"EIA-930 {what}: line {number}, column 'date_time': {stamp!r} is not "
                "'YYYY-MM-DD HH:00:00'"
            )
        stamps.append(_hour_us(m, what, number, "date_time", stamp) - _HOUR_US)
        numbers.append(number)
        for cell, out, column in ((d, demand, header[1]), (f, forecast, header[2])):
            if cell in HISTORY_GAP_MARKERS:
                out.append(None)
            elif (value := plain_number(cell)) is not None:
                out.append(value)
            else:
                raise PayloadError(
                    f"EIA-930 {what}: line {number}, column {column.strip()!r}: {cell!r} is "
                    "not a number, MISSING or EMPTY"
                )
    _check_order(stamps, numbers, what)
    return pl.DataFrame(
        {
            "interval_start_utc": pl.Series(stamps, dtype=pl.Int64).cast(_UTC_DT),
            "demand_mw": pl.Series(demand, dtype=pl.Float64),
            "day_ahead_forecast_mw": pl.Series(forecast, dtype=pl.Float64),
        }
    )


def parse_history_fuel_mix(body: bytes) -> pl.DataFrame:
    """A `datasets/carbon_eia930/<R>_direct_emissions.csv` file (or a slice under its header).

    `,UTC time,carbon_intensity,<fuel MW columns>`: a row index, the hour (UTC, written with or
    without `+00:00`; it labels the START of the hour, evidence in the module docstring), the
    published direct intensity and the region's fuels. Columns: `interval_start_utc`, the
    canonical `<fuel>_mw` columns present (in `HISTORY_FUEL_COLUMNS` order), then
    `published_direct_gco2_per_kwh`. Unknown or repeated columns, non-numeric or blank cells,
    an empty body, an HTML page, a cut body, or times that repeat or go back: PayloadError.
    """
    what = "fuel-mix history"
    text = _decoded(body, what)
    header, rows = _lines(text, what, None)
    names = [h.strip().lower() for h in header]
    if len(names) < 4 or names[:3] != ["", "utc time", "carbon_intensity"]:
        raise PayloadError(
            f"EIA-930 {what}: line 1: header {','.join(header)[:120]!r}, expected "
            "',UTC time,carbon_intensity,<fuel columns>'"
        )
    unknown = [
        header[i].strip() for i, n in enumerate(names[3:], 3) if n not in HISTORY_FUEL_COLUMNS
    ]
    if unknown:
        raise PayloadError(
            f"EIA-930 {what}: unknown fuel column(s) {unknown}; known: {list(HISTORY_FUEL_COLUMNS)}"
        )
    if len(set(names[3:])) != len(names) - 3:
        raise PayloadError(f"EIA-930 {what}: a fuel column appears twice in {header}")
    value_columns = {i: names[i] for i in range(2, len(names))}
    stamps: list[int] = []
    numbers: list[int] = []
    values: dict[int, list[float]] = {i: [] for i in value_columns}
    for number, row in rows:
        if not row[0].strip().isdigit():
            raise PayloadError(
                f"EIA-930 {what}: line {number}, column 1: row index {row[0]!r} is not a number"
            )
        m = _HISTORY_UTC_TIME.match(row[1])
        if m is None:
            raise PayloadError(
                f"EIA-930 {what}: line {number}, column 'UTC time': {row[1]!r} is not "
                "'YYYY-MM-DD HH:00:00[+00:00]'"
            )
        stamps.append(_hour_us(m, what, number, "UTC time", row[1]))
        numbers.append(number)
        for i, out in values.items():
            value = plain_number(row[i].strip())
            if value is None:
                raise PayloadError(
                    f"EIA-930 {what}: line {number}, column {header[i].strip()!r}: {row[i]!r} "
                    "is not a number"
                )
            out.append(value)
    _check_order(stamps, numbers, what)
    by_name = {value_columns[i]: pl.Series(v, dtype=pl.Float64) for i, v in values.items()}
    return pl.DataFrame(
        {
            "interval_start_utc": pl.Series(stamps, dtype=pl.Int64).cast(_UTC_DT),
            **{
                column: by_name[name]
                for name, column in HISTORY_FUEL_COLUMNS.items()
                if name in by_name
            },
            "published_direct_gco2_per_kwh": by_name["carbon_intensity"],
        }
    )


def direct_carbon_intensity(fuel_mix: pl.DataFrame) -> pl.Series:
    """gCO2eq/kWh from the `<fuel>_mw` columns of `fuel_mix` with `DIRECT_FACTORS_G_PER_KWH`.

    The papers' production-based formula: sum(factor x MW) / sum(MW) over every `*_mw` column
    present (imports are not counted). On the history files it reproduces
    `published_direct_gco2_per_kwh` to its two decimals.
    """
    fuels = [c for c in fuel_mix.columns if c.endswith("_mw")]
    if not fuels:
        raise ValueError("no <fuel>_mw columns")
    emitted = pl.sum_horizontal([pl.col(c) * DIRECT_FACTORS_G_PER_KWH.get(c, 0.0) for c in fuels])
    generated = pl.sum_horizontal([pl.col(c) for c in fuels])
    return fuel_mix.select((emitted / generated).alias("direct_gco2_per_kwh")).to_series()


# --- feeds (the provider seam: energy_assets/sources/feeds.py) --------------------------------

REGION_DATA_FIELDS = (
    "demand_mw",
    "day_ahead_forecast_mw",
    "net_generation_mw",
    "total_interchange_mw",
)
FUEL_TYPE_FIELDS = (
    "coal_mw",
    "natural_gas_mw",
    "nuclear_mw",
    "oil_mw",
    "hydro_mw",
    "solar_mw",
    "wind_mw",
    "geothermal_mw",
    "biomass_mw",
    "batteries_mw",
    "pumped_storage_mw",
    "solar_with_storage_mw",
    "other_mw",
    "unknown_mw",
    "wind_with_storage_mw",
    "other_storage_mw",
    "unknown_storage_mw",
)
_ROUTES = {"region_data": "region-data", "fuel_type": "fuel-type-data"}


def _request_key(region: Region, day: date) -> str:
    return f"{region.eia_respondent()}/{request_month(day).isoformat()}"


def _fetcher(feed: str):
    def fetch(source: FeedSource, region: Region, day: date) -> list[FetchedPayload]:
        respondent = region.eia_respondent()
        if source.offline:
            path = history_file(source.datasets_dir, feed, respondent)
            return [history_payload(PROVIDER, path, source.datasets_dir)]
        api_key = source.key(API_KEY_ENV) or api_key_from_env()
        return fetch_month(source.client, _ROUTES[feed], respondent, request_month(day), api_key)

    return fetch


def _api_rows(payloads: Sequence[FetchedPayload], pivot) -> pl.DataFrame:
    """Every page's long rows, pivoted to one row per hour; `payload_index` names the page that
    holds the hour's first series (pages are sorted by period first, so an hour spans two pages
    only at a page boundary)."""
    long = pl.concat(
        [
            parse_api(p.body).with_columns(payload_index=pl.lit(i, dtype=pl.Int64))
            for i, p in enumerate(payloads)
        ],
        how="vertical_relaxed",
    )
    wide = pivot(long.drop("payload_index"))
    pages = long.group_by("interval_start_utc").agg(pl.col("payload_index").min())
    return wide.join(pages, on="interval_start_utc", how="left")


def _with_columns(frame: pl.DataFrame, columns: Sequence[str], respondent: str) -> pl.DataFrame:
    missing = [c for c in columns if c not in frame.columns]
    frame = frame.with_columns(
        *[pl.lit(None, dtype=pl.Float64).alias(c) for c in missing],
    )
    if "respondent" not in frame.columns:
        frame = frame.with_columns(respondent=pl.lit(respondent))
    keep = ["interval_start_utc", "respondent", *columns]
    keep += [c for c in ("published_direct_gco2_per_kwh", "payload_index") if c in frame.columns]
    return frame.select(keep)


def _parse_region_data(payloads: Sequence[FetchedPayload], day: date) -> pl.DataFrame:
    if payloads[0].transport == "history":
        rows = parse_history_demand(payloads[0].body)
        respondent = payloads[0].url.rsplit("/", 1)[-1].removesuffix(".csv")
    else:
        rows = _api_rows(payloads, pivot_region_data)
        respondent = ""
    return _with_columns(rows, REGION_DATA_FIELDS, respondent)


def _parse_fuel_type(payloads: Sequence[FetchedPayload], day: date) -> pl.DataFrame:
    if payloads[0].transport == "history":
        rows = parse_history_fuel_mix(payloads[0].body)
        respondent = payloads[0].url.rsplit("/", 1)[-1].split("_", 1)[0]
    else:
        rows = _api_rows(payloads, pivot_fuel_type)
        respondent = ""
    frame = _with_columns(rows, FUEL_TYPE_FIELDS, respondent)
    if "published_direct_gco2_per_kwh" not in frame.columns:
        frame = frame.with_columns(published_direct_gco2_per_kwh=pl.lit(None, dtype=pl.Float64))
    return frame


def _feeds() -> tuple[Feed, ...]:
    # EIA-930 begins on 2015-07-01 for demand and the day-ahead forecast, on 2018-07-01 for net
    # generation by energy source. Both feeds keep the same partitions all the same: Dagster plans
    # a backfill only when its root assets share one partitions definition, so the provider's
    # two feeds can be backfilled together (a day before a feed's data fails naming it).
    common = {
        "provider": "eia930",
        "first_date": "2015-07-01",
        "request_key": _request_key,
        "expected_rows": hours_in_market_day,
    }
    return (
        Feed(
            name="region_data",
            description="EIA-930 hourly demand, the balancing authority's own day-ahead demand"
            " forecast, net generation and total interchange (MWh in the hour = mean MW), UTC"
            " interval starts. Live: the EIA API v2 `electricity/rto/region-data`, a month per"
            " request (`EIA_API_KEY`); offline: the EIA-930 history files.",
            schema=raw_schemas.Eia930RegionData,
            fetch=_fetcher("region_data"),
            parse=_parse_region_data,
            completeness_columns="demand_mw",
            **common,
        ),
        Feed(
            name="fuel_type",
            description="EIA-930 hourly net generation by energy source (MW), UTC interval"
            " starts. Live: the EIA API v2 `electricity/rto/fuel-type-data`, a month per request"
            " (`EIA_API_KEY`); offline: the EIA-930 carbon data set's history files (with the"
            " direct intensity it states).",
            schema=raw_schemas.Eia930FuelType,
            fetch=_fetcher("fuel_type"),
            parse=_parse_fuel_type,
            **common,
        ),
    )


FEEDS = _feeds()
