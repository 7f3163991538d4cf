"""harmonized/pv_profile: a typical year of PV output per kW installed, per region."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from energy_assets.schemas.common import UtcTimestamp


class PvProfile(pa.DataFrameModel):
    """One row per hour of the typical year (8760) for the region's home site."""

    region: str
    hour_of_year: pl.Int32 = pa.Field(ge=0, le=8759)
    month: pl.Int8 = pa.Field(ge=1, le=12)
    day_of_month: pl.Int8 = pa.Field(ge=1, le=31)
    hour_local_standard: pl.Int8 = pa.Field(ge=0, le=23)
    pv_kw_per_kw: pl.Float64 = pa.Field(ge=0, le=1.5)
    utc_offset_h: pl.Float64 = pa.Field(ge=-14, le=14)
    site_latitude_deg: pl.Float64 = pa.Field(ge=-90, le=90)
    site_longitude_deg: pl.Float64 = pa.Field(ge=-180, le=180)
    profile_latitude_deg: pl.Float64 = pa.Field(ge=-90, le=90)
    profile_longitude_deg: pl.Float64 = pa.Field(ge=-180, le=180)
    location_proxy: bool
    dc_system_kw: pl.Float64 = pa.Field(gt=0)
    profile_source: str = pa.Field(isin=["pvwatts_v8", "pvwatts_calculator_export"])
    payload_sha256: str
    source_url: str
    fetched_at_utc: UtcTimestamp

    class Config:
        unique = ["region", "hour_of_year"]
        strict = True
