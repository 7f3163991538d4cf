"""Raw tables of the ISOs' own feeds (`caiso_oasis`, `isone`, `pjm`): parsed rows in each
provider's terms, long format (one row per interval x series), every row tied to its archived
payload (`RawProvenance`). Units are in the column names; forecasts keep every vintage.
The raw assets `raw/<provider>_<feed>` of these providers (`registry.ISO_PROVIDERS`) store them.
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from energy_assets.schemas.common import UtcTimestamp
from energy_assets.schemas.raw import RawProvenance

_PRICE = {"nullable": True, "ge": -10_000, "le": 20_000}  # $/MWh: offer caps and floors
_MW = {"nullable": True, "ge": -100_000, "le": 1_000_000}
_MARKETS = ["day_ahead", "real_time"]


class _IsoRaw(RawProvenance):
    """An ISO feed's parsed rows: no columns beyond the schema's (`strict`); each schema names
    its key (`Config.unique`)."""

    class Config:
        strict = True


class _IntervalEnd(_IsoRaw):
    """Rows that state where their interval ends as well as where it starts."""

    interval_end_utc: UtcTimestamp


class _Vintage(_IsoRaw):
    """Forecast rows of every vintage: when the forecast was issued."""

    issued_at_utc: UtcTimestamp


class _FuelMix(_IsoRaw):
    """MW by fuel, one row per fuel and interval."""

    fuel: str
    generation_mw: pl.Float64 = pa.Field(**_MW)

    class Config:
        unique = ["region", "fuel", "interval_start_utc"]


class _WindSolarForecast(_Vintage):
    """Wind and solar power forecasts, MW: one row per vintage, fuel and interval."""

    fuel: str = pa.Field(isin=["solar", "wind"])
    generation_mw: pl.Float64 = pa.Field(**_MW)

    class Config:
        unique = ["region", "fuel", "issued_at_utc", "interval_start_utc"]


class CaisoOasisLmp(_IntervalEnd):
    """CAISO OASIS `PRC_LMP` (DAM, hourly) / `PRC_INTVL_LMP` (RTM, 5-minute) at trading hubs
    and DLAPs: the LMP and its components (MCE energy, MCC congestion, MCL loss, MGHG)."""

    node: str
    market: str = pa.Field(isin=_MARKETS)
    market_run: str
    lmp_component: str
    price_usd_per_mwh: pl.Float64 = pa.Field(**_PRICE)

    class Config:
        unique = ["region", "market_run", "node", "lmp_component", "interval_start_utc"]


class CaisoOasisAsPrice(_IntervalEnd):
    """CAISO OASIS `PRC_AS`: ancillary-service capacity prices by AS region and type ($ per MW
    of capacity for the hour, i.e. $/MWh)."""

    as_region: str
    as_type: str
    market: str = pa.Field(isin=_MARKETS)
    market_run: str
    price_usd_per_mwh: pl.Float64 = pa.Field(**_PRICE)

    class Config:
        unique = ["region", "market_run", "as_region", "as_type", "interval_start_utc"]


class CaisoOasisLoadForecast(_IntervalEnd):
    """CAISO OASIS `SLD_FCST`: the load forecast of every market run (7DA, 2DA, DAM, RTM's
    15- and 5-minute runs) by TAC area; the market run and data item name the vintage."""

    tac_area: str
    market_run: str
    data_item: str
    load_mw: pl.Float64 = pa.Field(**_MW)

    class Config:
        unique = ["region", "tac_area", "market_run", "data_item", "interval_start_utc"]


class CaisoOasisRenewableForecast(_IntervalEnd):
    """CAISO OASIS `SLD_REN_FCST`: wind and solar forecasts by trading hub and market run."""

    trading_hub: str
    fuel: str
    market_run: str
    data_item: str
    generation_mw: pl.Float64 = pa.Field(**_MW)

    class Config:
        unique = ["region", "trading_hub", "fuel", "market_run", "data_item", "interval_start_utc"]


class CaisoOasisSchedules(_IntervalEnd):
    """CAISO OASIS `ENE_SLRS`: system load and resource schedules (total generation, imports,
    exports) by market run."""

    resource: str
    market_run: str
    data_item: str
    schedule_mw: pl.Float64 = pa.Field(**_MW)

    class Config:
        unique = ["region", "resource", "market_run", "data_item", "interval_start_utc"]


class IsoneFuelMix(_IsoRaw):
    """ISO-NE genfuelmix: MW by fuel category at the instants the mix is re-estimated."""

    fuel: str
    fuel_rollup: str
    generation_mw: pl.Float64 = pa.Field(**_MW)
    marginal: pl.Boolean = pa.Field(nullable=True)

    class Config:
        unique = ["region", "fuel", "interval_start_utc"]


class IsoneSystemLoad(_IsoRaw):
    """ISO-NE hourlysysload: hourly system load, native load and asset-related demand, MW."""

    location: str
    load_mw: pl.Float64 = pa.Field(**_MW)
    native_load_mw: pl.Float64 = pa.Field(**_MW)
    ard_demand_mw: pl.Float64 = pa.Field(**_MW)

    class Config:
        unique = ["region", "location", "interval_start_utc"]


class IsoneLoadForecast(_Vintage):
    """ISO-NE hourlyloadforecast/all: every vintage (issued_at_utc) of the system forecast."""

    load_mw: pl.Float64 = pa.Field(**_MW)
    net_load_mw: pl.Float64 = pa.Field(**_MW)

    class Config:
        unique = ["region", "issued_at_utc", "interval_start_utc"]


class IsoneRegionalLoadForecast(_Vintage):
    """ISO-NE reliabilityregionloadforecast: every vintage by reliability region."""

    reliability_region: str
    load_mw: pl.Float64 = pa.Field(**_MW)
    load_share_pct: pl.Float64 = pa.Field(nullable=True, ge=0, le=100)

    class Config:
        unique = ["region", "reliability_region", "issued_at_utc", "interval_start_utc"]


class IsoneZonalLoad(_IsoRaw):
    """ISO-NE hourly day-ahead cleared demand and real-time load by load zone, MW."""

    zone: str
    market: str = pa.Field(isin=_MARKETS)
    load_mw: pl.Float64 = pa.Field(**_MW)

    class Config:
        unique = ["region", "zone", "market", "interval_start_utc"]


class PjmLmp(_IsoRaw):
    """PJM da_hrl_lmps / rt_fivemin_hrl_lmps: LMP and its components by pnode, $/MWh."""

    node: str
    node_id: str
    node_type: str = pa.Field(nullable=True)
    market: str = pa.Field(isin=_MARKETS)
    lmp_component: str
    price_usd_per_mwh: pl.Float64 = pa.Field(**_PRICE)

    class Config:
        unique = ["region", "node_id", "lmp_component", "interval_start_utc"]


class PjmFuelMix(_FuelMix):
    """PJM gen_by_fuel: hourly MW by fuel type."""


class PjmLoadForecast(_Vintage):
    """PJM load_frcstd_7_day: every vintage by forecast area, MW."""

    forecast_area: str
    load_mw: pl.Float64 = pa.Field(**_MW)

    class Config:
        unique = ["region", "forecast_area", "issued_at_utc", "interval_start_utc"]


class PjmRenewableForecast(_WindSolarForecast):
    """PJM hourly solar and wind power forecasts: every vintage, MW."""

    btm_generation_mw: pl.Float64 = pa.Field(**_MW)


class PjmShadowPrice(_IntervalEnd):
    """PJM da_/rt_marginal_value: transmission-constraint shadow prices, $/MWh."""

    monitored_facility: str
    contingency_facility: str
    shadow_price_usd_per_mwh: pl.Float64 = pa.Field(nullable=False, ge=-1_000_000, le=1_000_000)

    class Config:
        unique = ["region", "monitored_facility", "contingency_facility", "interval_start_utc"]


class PjmCongestionEvent(_IntervalEnd):
    """PJM da_transconstraints: day-ahead binding constraint events, start and end."""

    congestion_event: str
    monitored_facility: str
    contingency_facility: str

    class Config:
        unique = [
            "region",
            "congestion_event",
            "monitored_facility",
            "contingency_facility",
            "interval_start_utc",
        ]


class IsoneWindSolarForecast(_WindSolarForecast):
    """ISO-NE seven-day wind and solar power forecasts: the report issued on the market day,
    hourly MW for its 8 local days."""


class ErcotAsReport(_IsoRaw):
    """ERCOT 2-Day AS reports: hourly cleared day-ahead and self-arranged AS by type, MW."""

    as_type: str
    quantity: str = pa.Field(isin=["cleared_dam", "self_arranged"])
    quantity_mw: pl.Float64 = pa.Field(**_MW)

    class Config:
        unique = ["region", "as_type", "quantity", "interval_start_utc"]


class ErcotLoadForecast(_Vintage):
    """ERCOT seven-day load forecast by forecast zone: every vintage, MW."""

    forecast_zone: str
    load_mw: pl.Float64 = pa.Field(**_MW)

    class Config:
        unique = ["region", "forecast_zone", "issued_at_utc", "interval_start_utc"]


class ErcotRenewableForecast(_Vintage):
    """ERCOT hourly wind / solar actuals and forecasts by area and measure: every vintage."""

    area: str
    measure: str
    generation_mw: pl.Float64 = pa.Field(**_MW)

    class Config:
        unique = ["region", "area", "measure", "issued_at_utc", "interval_start_utc"]


class NyisoFuelMix(_FuelMix):
    """NYISO rtfuelmix: 5-minute MW by fuel category."""


class NyisoActualLoad(_IsoRaw):
    """NYISO pal: actual load by zone at the posted instants, MW."""

    zone: str
    ptid: str
    load_mw: pl.Float64 = pa.Field(**_MW)

    class Config:
        unique = ["region", "zone", "interval_start_utc"]


class NyisoLoadForecast(_IsoRaw):
    """NYISO isolf: hourly load forecast by zone, the file posted for the market day."""

    zone: str
    load_mw: pl.Float64 = pa.Field(**_MW)

    class Config:
        unique = ["region", "zone", "interval_start_utc"]


class NyisoLmp(_IsoRaw):
    """NYISO zonal LBMP and components, $/MWh."""

    node: str
    ptid: str
    market: str = pa.Field(isin=_MARKETS)
    lmp_component: str
    price_usd_per_mwh: pl.Float64 = pa.Field(**_PRICE)

    class Config:
        unique = ["region", "node", "lmp_component", "interval_start_utc"]


class SppLmp(_IsoRaw):
    """SPP LMP by settlement location and component, $/MWh."""

    node: str
    pnode: str
    market: str = pa.Field(isin=_MARKETS)
    lmp_component: str
    price_usd_per_mwh: pl.Float64 = pa.Field(**_PRICE)

    class Config:
        unique = ["region", "node", "lmp_component", "interval_start_utc"]


class SppTieFlow(_IsoRaw):
    """SPP West 1-minute interchange and tie flows by interface, MW."""

    interface: str
    flow_mw: pl.Float64 = pa.Field(**_MW)

    class Config:
        unique = ["region", "interface", "interval_start_utc"]


class MisoWindSolarForecast(_WindSolarForecast):
    """MISO wind and solar forecasts of one run: hourly MW, issued_at_utc from the run."""


class BpaBalancingAuthority(_IsoRaw):
    """BPA 5-minute load and generation by type, MW (columns as the file names them)."""

    load_mw: pl.Float64 = pa.Field(**_MW)
    wind_mw: pl.Float64 = pa.Field(**_MW)
    hydro_mw: pl.Float64 = pa.Field(**_MW)
    thermal_mw: pl.Float64 = pa.Field(**_MW)

    class Config:
        unique = ["region", "interval_start_utc"]
        strict = False  # newer files add generation columns (named *_mw)


class CaisoRenewablesWatch(_IsoRaw):
    """CAISO Daily Renewables Watch: hourly MW by renewable type and by resource type."""

    table: str = pa.Field(isin=["renewables", "total"])
    fuel: str
    generation_mw: pl.Float64 = pa.Field(**_MW)

    class Config:
        unique = ["region", "table", "fuel", "interval_start_utc"]
