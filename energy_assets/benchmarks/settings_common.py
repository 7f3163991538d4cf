"""What the two settings comparisons (`benchmark load-settings`, `benchmark carbon-settings`)
share: opening the warehouse a backfill kept, reading one region's table, and saying which days
of the window a table lacks (a comparison over fewer days than asked is named, never silent)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from energy_assets.regions import REGIONS
from energy_assets.warehouse import Warehouse

__all__ = ["coverage_line", "open_warehouse", "region_rows"]


def open_warehouse(work: Path, command: str, builds_it: str) -> Warehouse:
    """The warehouse under `work`, or a SystemExit naming the command and what builds it."""
    if not (work / "warehouse").is_dir():
        raise SystemExit(f"{command}: no warehouse in {work} (run {builds_it} first)")
    return Warehouse(work / "warehouse")


def region_rows(warehouse: Warehouse, table: str, region: str, command: str) -> pl.DataFrame:
    """Every row of `table` (`schema/name`) for `region`; a SystemExit for a region the
    registry does not know or a table with no rows for it."""
    if region not in REGIONS:
        raise SystemExit(f"{command}: unknown region {region!r} (known: {', '.join(REGIONS)})")
    schema, name = table.split("/")
    rows = warehouse.query(f"select * from {schema}.{name} where region = '{region}'")
    if rows.is_empty():
        raise SystemExit(f"{command}: no {table} rows for {region} in the warehouse")
    return rows


def coverage_line(region: str, table: str, rows: pl.DataFrame, days: list[dt.date]) -> str:
    """How many of `days` have rows in `table` (its `market_date`), naming up to five missing."""
    present = set(rows["market_date"].unique().to_list()) if rows.height else set()
    missing = [d for d in days if d not in present]
    line = f"{region:<6} {table}: {len(days) - len(missing)} of {len(days)} days"
    if missing:
        shown = ", ".join(d.isoformat() for d in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        line += f"; missing {shown}{more} (not scored)"
    return line
