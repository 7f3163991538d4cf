"""GB providers: NESO historic demand (`sources/neso.py`) and the GB Carbon Intensity API
(`sources/uk_carbon_intensity.py`), on the real files and recordings, plus the smallest
fixtures of the endpoints that have no recording.

FIXTURES WRITTEN HERE, NOT RECORDED: `DATASTORE_FIXTURE` (the NESO data portal's CKAN
`datastore_search` response shape: `success`, `result.fields`, `result.records`, with the
portal's field names), `REGIONAL_FIXTURE` and `GENERATION_FIXTURE` (the Carbon Intensity API's
documented `/regional/intensity/{from}/{to}` and `/generation/{from}/{to}` shapes,
carbon-intensity.github.io/api-definitions). Values are made up and minimal; they test the
parsers' reading of the documented shape, nothing about the data.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from energy_assets.regions import region
from energy_assets.sources import neso
from energy_assets.sources import uk_carbon_intensity as ci
from energy_assets.sources.errors import PayloadError
from energy_assets.sources.feeds import market_day_rows
from energy_assets.sources.http_client import HttpClient

UTC = dt.UTC
GB = region("GB")
HEADER = "SETTLEMENT_DATE,SETTLEMENT_PERIOD,ND,TSD,IFA_FLOW,BRITNED_FLOW\n"


def _csv(*rows: str) -> bytes:
    return (HEADER + "".join(r + "\n" for r in rows)).encode()


# --- NESO: settlement periods -> UTC ----------------------------------------------------------


def test_settlement_periods_are_utc_half_hours_from_local_midnight():
    # winter: period 1 = 00:00 UTC; summer: 23:00 UTC the day before
    assert neso.period_start_utc(dt.date(2019, 1, 15), 1) == dt.datetime(2019, 1, 15, tzinfo=UTC)
    assert neso.period_start_utc(dt.date(2019, 6, 1), 1) == dt.datetime(2019, 5, 31, 23, tzinfo=UTC)
    # spring clock change (46 periods): period 3 starts 01:00 UTC = 02:00 BST
    spring = dt.date(2019, 3, 31)
    assert neso.periods_in_day(spring) == 46
    assert neso.period_start_utc(spring, 3) == dt.datetime(2019, 3, 31, 1, tzinfo=UTC)
    assert neso.period_start_utc(spring, 46) == dt.datetime(2019, 3, 31, 22, 30, tzinfo=UTC)
    # autumn (50): periods 3-4 are 01:00-02:00 BST, 5-6 the repeated 01:00-02:00 GMT
    autumn = dt.date(2019, 10, 27)
    assert neso.periods_in_day(autumn) == 50
    assert neso.period_start_utc(autumn, 3) == dt.datetime(2019, 10, 27, 0, tzinfo=UTC)
    assert neso.period_start_utc(autumn, 5) == dt.datetime(2019, 10, 27, 1, tzinfo=UTC)
    assert neso.period_start_utc(autumn, 50) == dt.datetime(2019, 10, 27, 23, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "count"),
    [(dt.date(2019, 3, 31), 46), (dt.date(2019, 6, 1), 48), (dt.date(2019, 10, 27), 50)],
)
def test_the_real_file_has_46_48_50_periods_inside_the_market_day(datasets, day, count):
    rows = neso.parse_history((datasets / "neso_demand" / "demanddata_2019.csv").read_bytes())
    day_rows = market_day_rows(rows, GB, day)
    assert day_rows.height == count == neso.FEEDS[0].expected_rows(GB, day)
    assert day_rows["settlement_period"].to_list() == list(range(1, count + 1))
    assert (day_rows["settlement_date"] == day).all()
    assert day_rows["national_demand_mw"].is_between(15_000, 60_000).all()


def test_interconnector_flows_are_summed_import_positive():
    rows = neso.parse_history(
        _csv("01-JAN-2020,1,26340,27153,1703,852", "01-JAN-2020,2,26921,27684,,")
    )
    assert rows["interconnector_net_import_mw"].to_list() == [2555.0, None]
    assert rows["transmission_system_demand_mw"].to_list() == [27153.0, 27684.0]
    assert rows["embedded_solar_generation_mw"].null_count() == 2  # not in this header


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (["31-MAR-2019,47,20000,21000,0,0"], "period 47 on 2019-03-31, a day of 46 half-hours"),
        (["01-JUN-2019,49,20000,21000,0,0"], "period 49 on 2019-06-01, a day of 48"),
        (["27-OCT-2019,51,20000,21000,0,0"], "a day of 50 half-hours (the autumn clock change)"),
        (["01-JUN-2019,0,20000,21000,0,0"], "settlement period 0"),
        (["01-JUN-2019,1,20000,21000,0,0", "01-JUN-2019,1,20000,21000,0,0"], "repeats line 2"),
        (["01-JUN-2019,1,n/a,21000,0,0"], "line 2: column 'ND' value 'n/a' is not a number"),
        (["2019-13-01,1,20000,21000,0,0"], "no such date"),
    ],
)
def test_impossible_periods_and_cells_fail_naming_the_line(rows, message):
    with pytest.raises(PayloadError, match=message.replace("(", r"\(").replace(")", r"\)")):
        neso.parse_history(_csv(*rows))


def test_blank_cells_stay_null_and_a_truncated_day_keeps_what_it_has():
    rows = neso.parse_history(_csv("01-JUN-2019,1,,21000,0,0", "01-JUN-2019,2,20500,21000,0,0"))
    assert rows["national_demand_mw"].to_list() == [None, 20500.0]
    # two of 48 periods: the raw asset's completeness check counts the present ND readings
    assert neso.FEEDS[0].expected_rows(GB, dt.date(2019, 6, 1)) == 48


def test_a_changed_header_is_refused_naming_it():
    body = b"SETTLEMENT_DATE,SETTLEMENT_PERIOD,DEMAND\n01-JUN-2019,1,20000\n"
    with pytest.raises(PayloadError, match="missing: \\['ND'\\], unknown: \\['DEMAND'\\]"):
        neso.parse_history(body)


DATASTORE_FIXTURE = {
    "help": "https://api.neso.energy/api/3/action/help_show?name=datastore_search",
    "success": True,
    "result": {
        "resource_id": neso.DEMAND_UPDATE_RESOURCE,
        "fields": [
            {"id": "_id", "type": "int"},
            {"id": "SETTLEMENT_DATE", "type": "date"},
            {"id": "SETTLEMENT_PERIOD", "type": "int"},
            {"id": "ND", "type": "int"},
            {"id": "TSD", "type": "int"},
            {"id": "EMBEDDED_SOLAR_GENERATION", "type": "int"},
            {"id": "VIKING_FLOW", "type": "int"},
        ],
        "records": [
            {
                "_id": 1,
                "SETTLEMENT_DATE": "2024-03-31T00:00:00",
                "SETTLEMENT_PERIOD": 1,
                "ND": 22000,
                "TSD": 23500,
                "EMBEDDED_SOLAR_GENERATION": 0,
                "VIKING_FLOW": 1400,
            },
            {
                "_id": 2,
                "SETTLEMENT_DATE": "2024-03-31T00:00:00",
                "SETTLEMENT_PERIOD": 3,
                "ND": 21500,
                "TSD": 23000,
                "EMBEDDED_SOLAR_GENERATION": 0,
                "VIKING_FLOW": None,
            },
        ],
        "total": 2,
    },
}


def test_datastore_response_of_the_documented_shape_parses_like_the_file():
    rows = neso.parse_datastore(json.dumps(DATASTORE_FIXTURE).encode())
    # 2024-03-31 is the spring clock change: period 3 starts 01:00 UTC (02:00 BST)
    assert rows["interval_start_utc"].to_list() == [
        dt.datetime(2024, 3, 31, 0, tzinfo=UTC),
        dt.datetime(2024, 3, 31, 1, tzinfo=UTC),
    ]
    assert rows["national_demand_mw"].to_list() == [22000.0, 21500.0]
    assert rows["interconnector_net_import_mw"].to_list() == [1400.0, None]
    url = neso.datastore_url(dt.date(2024, 3, 31))
    assert url.startswith(neso.DATASTORE_URL) and neso.DEMAND_UPDATE_RESOURCE in url
    assert "2024-03-31" in url


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty body"),
        (b"<html><title>502 Bad Gateway</title></html>", "HTML page"),
        (json.dumps(DATASTORE_FIXTURE).encode()[:300], "not JSON"),
        (b'{"success": false, "error": {"message": "Not found"}}', "did not succeed"),
        (b'{"success": true, "result": {"fields": [], "records": []}}', "no records"),
    ],
)
def test_bad_datastore_responses_fail_clearly(body, message):
    with pytest.raises(PayloadError, match=message):
        neso.parse_datastore(body)


# --- Carbon Intensity API ---------------------------------------------------------------------


def test_the_recordings_replay_by_their_url(recordings):
    client = HttpClient(mode="replay", recordings_dir=recordings)
    url = "https://api.carbonintensity.org.uk/intensity/2023-03-14T12:01Z/fw48h"
    rows = ci.parse_intensity(client.get(ci.PROVIDER, url).body)
    assert rows.height == 96 and rows["actual_gco2_per_kwh"].null_count() == 96
    assert rows["interval_start_utc"][0] == dt.datetime(2023, 3, 14, 12, tzinfo=UTC)
    past = ci.parse_intensity(
        client.get(ci.PROVIDER, url.replace("14T12:01Z/fw48h", "15T12:01Z/pt24h")).body
    )
    assert past.height == 48 and past["actual_gco2_per_kwh"].null_count() == 1


def test_the_2023_file_is_the_apis_stored_forecast_and_a_revised_actual(datasets, recordings):
    """What the file's columns are, measured against the API's own responses: its `forecast`
    is exactly the forecast the API stores for the half-hour (as served a day later, `pt24h`),
    not the forecast issued 48 h ahead (`fw48h`: 20 g/kWh away on average); its `actual` is a
    later revision (1.6-2.4 g/kWh from the actual served a day after)."""
    history = ci.parse_history(
        (datasets / "gb_carbon_intensity" / "national_intensity_2023.csv").read_bytes()
    )
    folder = recordings / "uk_carbon_intensity"
    for name in ("intensity_2023-03-15T1201Z_pt24h.json", "intensity_2023-03-16T1201Z_pt24h.json"):
        joined = ci.parse_intensity((folder / name).read_bytes()).join(
            history, on="interval_start_utc", suffix="_file"
        )
        assert joined.height == 48
        assert (joined["forecast_gco2_per_kwh"] == joined["forecast_gco2_per_kwh_file"]).all()
        revised = (joined["actual_gco2_per_kwh"] - joined["actual_gco2_per_kwh_file"]).abs()
        assert 1.0 < revised.mean() < 3.0
    ahead = ci.parse_intensity((folder / "intensity_2023-03-14T1201Z_fw48h.json").read_bytes())
    joined = ahead.join(history, on="interval_start_utc", suffix="_file")
    gap = (joined["forecast_gco2_per_kwh"] - joined["forecast_gco2_per_kwh_file"]).abs().mean()
    assert joined.height == 96 and 15 < gap < 25


def test_the_2023_file_gap_and_faults(datasets):
    rows = ci.parse_history(
        (datasets / "gb_carbon_intensity" / "national_intensity_2023.csv").read_bytes()
    )
    assert rows.height == 17_430
    assert market_day_rows(rows, GB, dt.date(2023, 10, 21)).is_empty()  # the gap
    # truncated: the last half-hour is 22:30 BST (46 of 48); 10-22 resumes at 20:30 BST (7)
    assert market_day_rows(rows, GB, dt.date(2023, 10, 20)).height == 46
    assert market_day_rows(rows, GB, dt.date(2023, 10, 22)).height == 7
    assert rows["actual_gco2_per_kwh"].null_count() == 5
    assert (rows["actual_gco2_per_kwh"] == 0).sum() == 5


def test_day_urls_cover_the_london_market_day():
    start, end = ci.day_window(GB, dt.date(2023, 6, 1))
    assert ci.intensity_url(start, end) == (
        "https://api.carbonintensity.org.uk/intensity/2023-05-31T23:00Z/2023-06-01T23:00Z"
    )
    assert ci.regional_url(start, end).startswith(
        "https://api.carbonintensity.org.uk/regional/intensity/2023-05-31T23:00Z/"
    )


GENERATION_FIXTURE = {
    "data": [
        {
            "from": "2023-06-01T11:00Z",
            "to": "2023-06-01T11:30Z",
            "generationmix": [
                {"fuel": "biomass", "perc": 5.1},
                {"fuel": "coal", "perc": 0},
                {"fuel": "imports", "perc": 12.4},
                {"fuel": "gas", "perc": 30.2},
                {"fuel": "nuclear", "perc": 14.5},
                {"fuel": "other", "perc": 0.3},
                {"fuel": "hydro", "perc": 0.8},
                {"fuel": "solar", "perc": 21.2},
                {"fuel": "wind", "perc": 15.5},
            ],
        }
    ]
}

REGIONAL_FIXTURE = {
    "data": [
        {
            "from": "2023-06-01T11:00Z",
            "to": "2023-06-01T11:30Z",
            "regions": [
                {
                    "regionid": 1,
                    "dnoregion": "Scottish Hydro Electric Power Distribution",
                    "shortname": "North Scotland",
                    "intensity": {"forecast": 12, "index": "very low"},
                    "generationmix": [
                        {"fuel": "wind", "perc": 80.0},
                        {"fuel": "hydro", "perc": 20.0},
                    ],
                },
                {
                    "regionid": 17,
                    "dnoregion": "Wales",
                    "shortname": "Wales",
                    "intensity": {"forecast": 210, "index": "moderate"},
                    "generationmix": [
                        {"fuel": "gas", "perc": 60.0},
                        {"fuel": "wind", "perc": 40.0},
                    ],
                },
            ],
        }
    ]
}


def test_generation_mix_and_regional_of_the_documented_shape():
    mix = ci.parse_generation(json.dumps(GENERATION_FIXTURE).encode())
    assert mix.columns == list(ci.MIX_COLUMNS) and mix["gas_pct"][0] == 30.2
    regional = ci.parse_regional(json.dumps(REGIONAL_FIXTURE).encode())
    assert regional["dno_region_id"].to_list() == [1, 17]
    assert regional["wind_pct"].to_list() == [80.0, 40.0]
    assert regional["gas_pct"].to_list() == [None, 60.0]  # not listed: null, not 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty body"),
        (b"<!DOCTYPE html><html><title>Service Unavailable</title></html>", "HTML page"),
        (b'{"data": [{"from": "2023-06-01T11:00Z", "to": "2023-06-01T11:30Z", "inten', "not JSON"),
        (b'{"error": {"code": "400 Bad Request", "message": "Invalid date"}}', "Invalid date"),
        (
            b'{"data": [{"from": "2023-06-01T11:00Z", "to": "2023-06-01T12:00Z",'
            b' "intensity": {"forecast": 1, "actual": 1, "index": "low"}}]}',
            "not 30 min",
        ),
        (
            b'{"data": [{"from": "2023-06-01T11:00Z", "to": "2023-06-01T11:30Z",'
            b' "intensity": {"forecast": "high", "actual": 1, "index": "low"}}]}',
            "'high' is not a number",
        ),
    ],
)
def test_bad_api_responses_fail_clearly(body, message):
    with pytest.raises(PayloadError, match=message):
        ci.parse_intensity(body)


def test_an_unknown_fuel_is_refused():
    body = json.dumps(GENERATION_FIXTURE).replace('"coal"', '"peat"').encode()
    with pytest.raises(PayloadError, match="unknown fuel 'peat'"):
        ci.parse_generation(body)
