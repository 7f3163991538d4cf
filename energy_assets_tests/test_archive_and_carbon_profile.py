"""The payload archive and the carbon-profile forecaster."""

from __future__ import annotations

import datetime as dt
import hashlib

import polars as pl
import pytest

from energy_assets.archive import PayloadArchive
from energy_assets.models.carbon_profile import forecast_carbon_profile
from energy_assets.timeutil import hourly_intervals_utc

NOW = dt.datetime(2020, 8, 14, 12, tzinfo=dt.UTC)


def test_archive_is_content_addressed_and_verified(tmp_path):
    archive = PayloadArchive(tmp_path)
    body = b"Time,Solar\n00:00,0\n"
    first = archive.put("caiso", body, "https://x/a.csv", 200, "text/csv", NOW)
    again = archive.put("caiso", body, "https://x/b.csv", 200, "text/csv", NOW)
    assert first.sha256 == again.sha256 == hashlib.sha256(body).hexdigest()
    assert first.path == again.path and first.path.read_bytes() == body
    assert archive.get("caiso", first.sha256) == body
    assert "https://x/a.csv" in first.path.with_suffix(".json").read_text()
    first.path.write_bytes(b"tampered")
    with pytest.raises(ValueError, match="corrupt"):
        archive.get("caiso", first.sha256)
    assert not list(tmp_path.rglob("*.tmp"))


def _history(days: int, end: dt.date, tz: str) -> pl.DataFrame:
    rows = []
    for k in range(days):
        day = end - dt.timedelta(days=k)
        for hour in hourly_intervals_utc(day, tz):
            local_hour = hour.astimezone(dt.timezone(dt.timedelta(hours=-7))).hour
            rows.append(
                {
                    "market_date": day,
                    "interval_start_utc": hour,
                    "carbon_gco2_per_kwh": 300.0 - 100.0 * (10 <= local_hour < 16) + k,
                }
            )
    return pl.DataFrame(rows, schema_overrides={"interval_start_utc": pl.Datetime("us", "UTC")})


def test_carbon_profile_uses_only_what_was_published_before_issue():
    tz = "America/Los_Angeles"
    day = dt.date(2020, 8, 14)
    issued = dt.datetime(2020, 8, 13, 19, tzinfo=dt.UTC)  # D-1 12:00 PDT
    history = _history(14, day - dt.timedelta(days=2), tz)
    leak = _history(1, day - dt.timedelta(days=1), tz).with_columns(
        carbon_gco2_per_kwh=pl.lit(9999.0)
    )
    forecast = forecast_carbon_profile(pl.concat([history, leak]), day, tz, issued)
    assert forecast.height == 24
    assert forecast["carbon_p90_gco2_per_kwh"].max() < 1000  # D-1 afternoon never used
    assert (forecast["carbon_p10_gco2_per_kwh"] <= forecast["carbon_p50_gco2_per_kwh"]).all()
    noon = forecast.filter(pl.col("interval_start_utc").dt.hour() == 19)["carbon_p50_gco2_per_kwh"][
        0
    ]
    night = forecast.filter(pl.col("interval_start_utc").dt.hour() == 7)["carbon_p50_gco2_per_kwh"][
        0
    ]
    assert noon < night


def test_carbon_profile_needs_some_history():
    with pytest.raises(ValueError, match="at least 3 days"):
        forecast_carbon_profile(
            _history(2, dt.date(2020, 8, 12), "America/Los_Angeles"),
            dt.date(2020, 8, 14),
            "America/Los_Angeles",
            dt.datetime(2020, 8, 13, 19, tzinfo=dt.UTC),
        )
