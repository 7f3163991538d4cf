"""Column types shared by every table."""

from __future__ import annotations

from typing import Annotated

import polars as pl

UtcTimestamp = Annotated[pl.Datetime, "us", "UTC"]
