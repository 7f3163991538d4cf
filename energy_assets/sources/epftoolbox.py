"""Day-ahead electricity price files in the epftoolbox layout (Lago et al. 2021): a provider.

The layout: a CSV with a header, read by position - column 0 the hour (`YYYY-MM-DD HH:MM:SS`),
column 1 the day-ahead price of the market's zone, columns 2.. the exogenous day-ahead forecasts
the market publishes for that hour (load, wind, solar, any names); hourly, 24 hours a day, no
gaps. The hours are the market's local clock hours of the market day, 24 a day all year: the
files have no 23- or 25-hour days (the DST hour is normalised by the data set, Lago et al. 2021),
so the rows carry `hour` (0..23) and `interval_start_local` (naive, the file's own label), never
a UTC instant that would be wrong by an hour on the DST days. `issued_at_utc` of the exogenous
forecasts is a real instant (the day before, `issue_time_local` in the market's time zone).

Fetch is separate from the pure parse and imports no Dagster:

- `MARKETS` says which files the graph serves: the market code (the partition), the file under
  the datasets folder (`ENERGY_ASSETS_DATASETS`, `datasets/epftoolbox/<MARKET>.csv`), its zone,
  currency, time zone, days, and the names (with units) of its exogenous columns. Adding a
  market of the layout is one entry.
- `fetch(source, market)` reads the file verbatim as a history payload (URL
  `datasets:epftoolbox/PJM.csv`); the file is the source, live or offline.
- `parse_market_file(body, what)` -> `ts, price, exog_1..exog_k` (float64), refusing anything
  that would shift days silently: an empty body, an HTML page, a body cut mid-line, a missing
  column, a cell that is not a number, a gap, a repeated hour (a DST hour written twice), a
  first hour that is not midnight, a last day cut short, too few days. Every error names the
  file (`what`), the row (1-based data row; the line is one more, under the header) and the
  column. The benchmark (`energy_assets/benchmarks/epf.py`, `load_epf_csv`) reads its files
  with the same function.
- `market_rows(frame, market)` -> the rows in the provider's terms (`PRICE_FEED`'s schema):
  `market_date`, `hour`, `interval_start_local`, `price_<currency>_per_mwh` and one
  `<name>_mw` column per exogenous forecast; `day_slice(body, day)` the day's 24 lines under the
  header (what the raw asset archives for the partition).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from energy_assets.sources.csv_text import decode_csv, require_final_line_break
from energy_assets.sources.errors import PayloadError
from energy_assets.sources.feeds import FeedSource, history_payload
from energy_assets.sources.http_client import FetchedPayload

PROVIDER = "epftoolbox"
HOURS = 24
MAX_LAG = 7  # the oldest lag the price features read (D-7)
MIN_DAYS = MAX_LAG + 2  # fewer days than this cannot give a single feature row and a target


@dataclass(frozen=True)
class EpfMarket:
    """One market file of the layout."""

    code: str  # the partition key (e.g. PJM)
    file: str  # relative to the datasets folder
    zone: str  # the zone whose price column 1 is
    currency: str  # ISO 4217, lower case in column names
    timezone: str  # the market's clock (its day and `issue_time_local`)
    first_date: str
    last_date: str
    exogenous: tuple[str, ...]  # names of columns 2.., with their unit (`..._mw`)
    issue_time_local: str = "10:00"  # exogenous forecasts (and our price forecast) issued D-1
    published: str | None = None  # published forecasts of the same hours (epftoolbox layout)

    @property
    def price_column(self) -> str:
        return price_column(self.currency)


def price_column(currency: str) -> str:
    """`price_usd_per_mwh`: the price column of a market in `currency`."""
    return f"price_{currency.lower()}_per_mwh"


MARKETS = MappingProxyType(
    {
        "PJM": EpfMarket(
            code="PJM",
            file="epftoolbox/PJM.csv",
            zone="COMED",
            currency="USD",
            timezone="America/New_York",
            first_date="2013-01-01",
            last_date="2018-12-24",
            exogenous=("system_load_forecast_mw", "zonal_comed_load_forecast_mw"),
            published="epftoolbox/published_forecasts/Forecasts_PJM_DNN_LEAR_ensembles.csv",
        ),
    }
)


def market(code: str) -> EpfMarket:
    try:
        return MARKETS[code]
    except KeyError:
        raise KeyError(f"epftoolbox: no market {code!r}; known: {sorted(MARKETS)}") from None


# --- fetch ------------------------------------------------------------------------------------


def market_file(datasets_dir: Path, the_market: EpfMarket) -> Path:
    path = Path(datasets_dir) / the_market.file
    if not path.is_file():
        raise FileNotFoundError(
            f"epftoolbox market {the_market.code}: no file at {path} (the datasets folder is"
            " ENERGY_ASSETS_DATASETS)"
        )
    return path


def fetch(source: FeedSource, the_market: EpfMarket) -> list[FetchedPayload]:
    """The market's file, verbatim, as one payload (`datasets:epftoolbox/<MARKET>.csv`)."""
    path = market_file(source.datasets_dir, the_market)
    return [history_payload(PROVIDER, path, source.datasets_dir)]


# --- parse (pure) -----------------------------------------------------------------------------


def _column(names: Sequence[str], i: int) -> str:
    return f"column {i} ({names[i].strip()!r})"


def parse_market_file(
    body: bytes, what: str, n_exog: int | None = None, min_days: int = MIN_DAYS
) -> pl.DataFrame:
    """The file's hours as `ts` (datetime, the file's labels), `price`, `exog_1..exog_k`.

    `n_exog`: the number of exogenous columns the market has (a file with fewer is refused,
    naming the missing column); None accepts any. Raises PayloadError (a ValueError) naming
    `what`, the row and the column; see the module docstring for what is refused.
    """
    text = decode_csv(body, what)
    require_final_line_break(text, what)
    try:
        raw = pl.read_csv(io.StringIO(text), infer_schema_length=0)  # text; cast below
    except pl.exceptions.PolarsError as error:
        raise PayloadError(f"{what}: cannot read as CSV ({error})") from None
    names = raw.columns
    if raw.width < 2:
        raise PayloadError(
            f"{what}: expected at least 2 columns (timestamp, price[, exogenous...]), got {raw.width}"
        )
    if n_exog is not None and raw.width - 2 < n_exog:
        raise PayloadError(
            f"{what}: header (line 1) has {raw.width - 2} exogenous column(s), the market has"
            f" {n_exog}: column {raw.width} (exogenous {raw.width - 1}) is missing"
        )
    if raw.height == 0:
        raise PayloadError(f"{what}: no rows")
    ts_text = raw.get_column(names[0]).str.strip_chars()
    ts = ts_text.str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False, time_unit="us")
    bad = ts.is_null()
    if bad.any():
        first = int(bad.arg_max())
        raise PayloadError(
            f"{what}: {_column(names, 0)} row {first + 1} is not a timestamp (line {first + 2}:"
            f" {ts_text[first]!r}, expected YYYY-MM-DD HH:MM:SS)"
        )
    out = {"ts": ts}
    for i, name in enumerate(names[1:], start=1):
        cells = raw.get_column(name).str.strip_chars()
        col = cells.cast(pl.Float64, strict=False)
        bad = col.is_null() | col.is_nan() | col.is_infinite()
        if bad.any():
            first = int(bad.arg_max())
            raise PayloadError(
                f"{what}: {_column(names, i)} row {first + 1} is missing or not a number"
                f" (line {first + 2}: {'empty' if cells[first] in (None, '') else repr(cells[first])})"
            )
        out["price" if i == 1 else f"exog_{i - 1}"] = col
    frame = pl.DataFrame(out)
    steps = frame.get_column("ts").diff().drop_nulls().to_numpy()
    hour = np.timedelta64(1, "h")
    if (steps != hour).any():
        first = int(np.flatnonzero(steps != hour)[0])
        prev, nxt = frame["ts"][first], frame["ts"][first + 1]
        if steps[first] > hour:
            kind = "gap"
        elif steps[first] == np.timedelta64(0, "h"):
            kind = "duplicate or out-of-order timestamp (the same hour twice: a DST hour?)"
        else:
            kind = "duplicate or out-of-order timestamp"
        raise PayloadError(
            f"{what}: not hourly without gaps: {kind} between {prev} and {nxt} in"
            f" {_column(names, 0)} (rows {first + 1}-{first + 2}, lines {first + 2}-{first + 3})"
        )
    first_ts = frame["ts"][0]
    if (first_ts.hour, first_ts.minute, first_ts.second) != (0, 0, 0):
        raise PayloadError(
            f"{what}: the first timestamp {first_ts} ({_column(names, 0)} row 1) is not"
            " midnight (24 per day)"
        )
    if frame.height % HOURS:
        raise PayloadError(
            f"{what}: {frame.height} rows is not a whole number of days of 24 hours (last day"
            f" incomplete: {_column(names, 0)} rows {frame.height - frame.height % HOURS + 1}"
            f"-{frame.height})"
        )
    if frame.height // HOURS < min_days:
        raise PayloadError(
            f"{what}: only {frame.height // HOURS} days (rows 1-{frame.height}); need at least"
            f" {min_days}"
        )
    return frame


def check_market_file(frame: pl.DataFrame, the_market: EpfMarket, what: str) -> None:
    """The file covers the market's declared days (a different file under the name is refused)."""
    first, last = frame["ts"][0].date(), frame["ts"][-1].date()
    if (first.isoformat(), last.isoformat()) != (the_market.first_date, the_market.last_date):
        raise PayloadError(
            f"{what}: covers {first}..{last}, the market {the_market.code} is declared for"
            f" {the_market.first_date}..{the_market.last_date} (sources/epftoolbox.py MARKETS)"
        )


def market_rows(frame: pl.DataFrame, the_market: EpfMarket) -> pl.DataFrame:
    """`parse_market_file`'s frame in the provider's terms (see the module docstring), with the
    1-based data row of each hour (`source_row`)."""
    exog = [c for c in frame.columns if c.startswith("exog_")]
    names = list(the_market.exogenous) + [
        f"exogenous_{j}_forecast_mw" for j in range(len(the_market.exogenous) + 1, len(exog) + 1)
    ]
    return frame.select(
        pl.col("ts").dt.date().alias("market_date"),
        pl.col("ts").dt.hour().cast(pl.Int8).alias("hour"),
        pl.col("ts").alias("interval_start_local"),
        pl.col("price").alias(the_market.price_column),
        *[pl.col(c).alias(n) for c, n in zip(exog, names, strict=False)],
        pl.int_range(1, pl.len() + 1, dtype=pl.Int32).alias("source_row"),
    )


def parse(payloads: Sequence[FetchedPayload], the_market: EpfMarket) -> pl.DataFrame:
    """The market file's rows (the whole file, checked whole: a gap anywhere refuses it)."""
    body = payloads[0].body
    frame = parse_market_file(body, payloads[0].url, n_exog=len(the_market.exogenous))
    check_market_file(frame, the_market, payloads[0].url)
    return market_rows(frame, the_market)


def day_rows(rows: pl.DataFrame, day: dt.date) -> pl.DataFrame:
    return rows.filter(pl.col("market_date") == day)


def day_slice(body: bytes, rows: pl.DataFrame, day: dt.date) -> bytes:
    """The header line and the day's lines of the file, verbatim: what the partition read."""
    day_of = day_rows(rows, day)
    if day_of.is_empty():
        return b""
    lines = body.splitlines(keepends=True)
    first, last = int(day_of["source_row"].min()), int(day_of["source_row"].max())
    return b"".join([lines[0], *lines[first : last + 1]])


def issued_at_utc(the_market: EpfMarket, day: dt.date) -> dt.datetime:
    """When the day-ahead forecasts for `day` count as issued: D-1 at `issue_time_local`."""
    hh, mm = (int(x) for x in the_market.issue_time_local.split(":"))
    local = dt.datetime.combine(
        day - dt.timedelta(days=1), dt.time(hh, mm), tzinfo=ZoneInfo(the_market.timezone)
    )
    return local.astimezone(dt.UTC)


def parse_published(body: bytes, what: str) -> pl.DataFrame:
    """Published forecasts (epftoolbox layout: column 0 the hour, then one column per forecaster,
    `Real price` among them) as `ts` and float columns; a cell that is not a number is refused."""
    text = decode_csv(body, what)
    raw = pl.read_csv(io.StringIO(text), infer_schema_length=0)
    first = raw.columns[0]
    out = raw.select(
        pl.col(first).str.strip_chars().str.to_datetime(time_unit="us", strict=False).alias("ts")
    )
    if out["ts"].is_null().any():
        row = int(out["ts"].is_null().arg_max())
        raise PayloadError(f"{what}: column 0 row {row + 1} is not a timestamp")
    cols = {}
    for name in raw.columns[1:]:
        col = raw.get_column(name).str.strip_chars().cast(pl.Float64, strict=False)
        if col.is_null().any():
            row = int(col.is_null().arg_max())
            raise PayloadError(f"{what}: column {name!r} row {row + 1} is not a number")
        cols[name] = col
    return out.with_columns(**cols)


# --- the feed (the graph's raw asset: energy_assets/defs/prices.py) ----------------------------


@dataclass(frozen=True)
class MarketFeed:
    """A feed partitioned by market x market day (not by grid region): the markets, how a
    market's payloads are read and parsed, and the day's rows. `defs/prices.py` makes it the
    raw asset `raw/<provider>_<name>`."""

    provider: str
    name: str
    description: str
    markets: MappingProxyType

    @property
    def asset_name(self) -> str:
        return f"{self.provider}_{self.name}"

    fetch = staticmethod(fetch)
    parse = staticmethod(parse)
    day_rows = staticmethod(day_rows)
    day_slice = staticmethod(day_slice)


PRICE_FEED = MarketFeed(
    provider=PROVIDER,
    name="prices",
    description="Day-ahead zonal prices and the exogenous day-ahead forecasts of a market, from"
    " an epftoolbox-layout file (Lago et al. 2021) in the datasets folder: 24 market-local"
    " hours per market day (`hour`, `interval_start_local`; the files have no DST days),"
    " price in the market's currency per MWh, forecasts in MW.",
    markets=MARKETS,
)

FEEDS = (PRICE_FEED,)
