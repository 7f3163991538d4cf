"""What the ISO providers (`caiso_oasis`, `isone`, `pjm`, ...) share: checking a payload is a
whole JSON document, ZIP archive or CSV text before parsing it, reading ISO timestamps with their
UTC offset into UTC instants, numbers that must be numbers, and the market day's request window.

Every function is pure and raises `PayloadError` naming the payload (`what`, e.g. "ISO-NE
hourlysysload") for anything abnormal; the asset layer adds the provider, URL and partition.
No Dagster imports.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import polars as pl

from energy_assets.regions import Region
from energy_assets.sources.csv_text import csv_rows, decode_csv, plain_number
from energy_assets.sources.errors import PayloadError
from energy_assets.sources.feeds import FeedSource, hours_in_market_day
from energy_assets.timeutil import market_day_bounds_utc

UTC_DATETIME = pl.Datetime("us", "UTC")


def _html_hint(body: bytes) -> str | None:
    head = body.lstrip()[:2048].lower()
    if head.startswith(b"<!doctype html") or b"<html" in head:
        title = re.search(rb"<title[^>]*>(.*?)</title>", body, re.IGNORECASE | re.DOTALL)
        named = (
            f" titled {' '.join(title.group(1).decode('utf-8', 'replace').split())!r}"
            if title
            else ""
        )
        return f"got an HTML page{named} (an error or login page?)"
    return None


def require_body(body: bytes, what: str, expected: str) -> None:
    """Refuses an empty body and an HTML page where `expected` (JSON, a ZIP archive) was due."""
    if not body or not body.strip():
        raise PayloadError(f"{what}: empty body, expected {expected}")
    hint = _html_hint(body)
    if hint is not None:
        raise PayloadError(f"{what}: {hint} instead of {expected}")


def load_json(body: bytes, what: str) -> Any:
    """The JSON document in `body`; empty, HTML, cut or otherwise invalid JSON raise."""
    require_body(body, what, "JSON")
    try:
        return json.loads(body.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise PayloadError(f"{what}: not UTF-8 text ({exc})") from None
    except json.JSONDecodeError as exc:
        at_end = exc.pos >= len(body.rstrip()) - 1
        why = "ends before the document does (truncated download?)" if at_end else "invalid"
        raise PayloadError(f"{what}: JSON {why}: {exc.msg} at char {exc.pos}") from None


def zip_members(body: bytes, what: str) -> dict[str, bytes]:
    """Name -> bytes of every file in the ZIP archive `body`; not a ZIP (empty, HTML, cut) raises."""
    require_body(body, what, "a ZIP archive")
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return {
                info.filename: archive.read(info)
                for info in archive.infolist()
                if not info.is_dir()
            }
    except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile) as exc:
        raise PayloadError(
            f"{what}: not a readable ZIP archive ({exc}; a truncated download?)"
        ) from None
    except Exception as exc:  # CRC errors and the like inside a damaged archive
        raise PayloadError(f"{what}: damaged ZIP archive ({type(exc).__name__}: {exc})") from None


def csv_table(body: bytes, what: str, required: Iterable[str] = ()) -> pl.DataFrame:
    """A CSV text as an all-string frame (header names stripped); refuses empty/HTML/cut text
    and a header missing any `required` column."""
    text = decode_csv(body, what)
    header, rows, _ = csv_rows(text, what)
    names = [h.replace("\ufeff", "").strip() for h in header]
    missing = [c for c in required if c not in names]
    if missing:
        raise PayloadError(
            f"{what}: missing column(s) {missing} (format change?); header {names[:20]}"
        )
    if len(set(names)) != len(names):
        raise PayloadError(f"{what}: repeated column names in header {names}")
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    return pl.DataFrame(
        {
            n: pl.Series(n, [c.strip() for c in col], dtype=pl.String)
            for n, col in zip(names, columns, strict=True)
        }
    )


def utc_instants(values: Sequence[str | None], what: str, field: str) -> pl.Series:
    """ISO-8601 timestamps with a UTC offset (`2024-11-03T01:00:00.000-04:00`, `...-00:00`,
    `...Z`) as UTC instants. A value without an offset is refused: its instant is ambiguous."""
    out: list[dt.datetime] = []
    for i, value in enumerate(values):
        if value is None or not str(value).strip():
            raise PayloadError(f"{what}: row {i + 1}: {field} is missing")
        text = str(value).strip().replace("Z", "+00:00")
        try:
            stamp = dt.datetime.fromisoformat(text)
        except ValueError:
            raise PayloadError(
                f"{what}: row {i + 1}: {field} {value!r} is not a timestamp"
            ) from None
        if stamp.tzinfo is None:
            raise PayloadError(
                f"{what}: row {i + 1}: {field} {value!r} has no UTC offset (ambiguous instant)"
            )
        out.append(stamp.astimezone(dt.UTC))
    return pl.Series(field, out, dtype=UTC_DATETIME)


def naive_utc_instants(values: Sequence[str | None], what: str, field: str) -> pl.Series:
    """Timestamps a provider labels as UTC without writing an offset (PJM's `*_utc` fields)."""
    out: list[dt.datetime] = []
    for i, value in enumerate(values):
        if value is None or not str(value).strip():
            raise PayloadError(f"{what}: row {i + 1}: {field} is missing")
        try:
            stamp = dt.datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise PayloadError(
                f"{what}: row {i + 1}: {field} {value!r} is not a timestamp"
            ) from None
        if stamp.tzinfo is not None:
            stamp = stamp.astimezone(dt.UTC).replace(tzinfo=None)
        out.append(stamp.replace(tzinfo=dt.UTC))
    return pl.Series(field, out, dtype=UTC_DATETIME)


def numbers(values: Sequence[Any], what: str, field: str, *, nullable: bool = True) -> pl.Series:
    """Finite numbers (JSON numbers or plain decimal text); blank/None is null when `nullable`;
    anything else (text, nan, inf, booleans) raises naming the row and field."""
    out: list[float | None] = []
    for i, value in enumerate(values):
        if value is None or (isinstance(value, str) and not value.strip()):
            if not nullable:
                raise PayloadError(f"{what}: row {i + 1}: {field} is missing")
            out.append(None)
            continue
        if isinstance(value, bool):
            raise PayloadError(f"{what}: row {i + 1}: {field} {value!r} is not a number")
        if isinstance(value, int | float):
            number = float(value)
            if number - number != 0:
                raise PayloadError(f"{what}: row {i + 1}: {field} {value!r} is not finite")
            out.append(number)
            continue
        number = plain_number(str(value).strip())
        if number is None:
            raise PayloadError(f"{what}: row {i + 1}: {field} {value!r} is not a number")
        out.append(number)
    return pl.Series(field, out, dtype=pl.Float64)


def records(document: Any, path: Sequence[str], what: str) -> list[dict]:
    """The list of objects at `path` in a JSON document (`["HourlySystemLoads",
    "HourlySystemLoad"]`). A single object where the provider sometimes writes one is a list of
    one. A missing key, an empty value where the list should be (ISO-NE writes
    `{"HourlySystemLoads": ""}` for a day it has no data for) or an empty list raise."""
    node = document
    for depth, key in enumerate(path):
        where = "/".join(path[:depth]) or "the top level"
        if isinstance(node, Mapping) and key in node:
            node = node[key]
            continue
        if node in ("", None) or (isinstance(node, Mapping | list) and not node):
            raise PayloadError(f"{what}: {where} is empty (no data for the request)")
        found = sorted(node)[:10] if isinstance(node, Mapping) else type(node).__name__
        raise PayloadError(f"{what}: no {key!r} under {where} (found {found})")
    if isinstance(node, Mapping):
        node = [node]
    if node in ("", None) or (isinstance(node, list) and not node):
        raise PayloadError(f"{what}: {'/'.join(path)} is empty (no data for the request)")
    if not isinstance(node, list) or not all(isinstance(r, Mapping) for r in node):
        raise PayloadError(f"{what}: {'/'.join(path)} is not a list of objects")
    return node


def require_fields(rows: Sequence[Mapping], fields: Iterable[str], what: str) -> None:
    fields = list(fields)
    for i, row in enumerate(rows):
        missing = [f for f in fields if f not in row]
        if missing:
            raise PayloadError(
                f"{what}: row {i + 1} lacks field(s) {missing} (format change?); has {sorted(row)}"
            )


def market_day_window(region: Region, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """UTC `[start, end)` of the region's local market day (23, 24 or 25 hours)."""
    return market_day_bounds_utc(day, region.timezone)


def hourly_rows(region: Region, day: dt.date) -> int:
    """23, 24 or 25: the hourly intervals of the region's market day."""
    return hours_in_market_day(region, day)


def credential(source: FeedSource, env_var: str) -> str | None:
    """The run's key for `env_var`, else the environment's, else None."""
    return source.key(env_var) or os.environ.get(env_var) or None


def distinct_sorted(frame: pl.DataFrame, keys: Sequence[str], what: str) -> pl.DataFrame:
    """Rows sorted by `keys`; a repeated key raises (the provider sent one value twice)."""
    dupes = frame.filter(frame.select(keys).is_duplicated())
    if dupes.height:
        first = dupes.row(0, named=True)
        shown = {k: first[k] for k in keys}
        raise PayloadError(
            f"{what}: repeated rows for {shown} ({dupes.height} rows share their key)"
        )
    return frame.sort(keys)
