"""What every stored column means, with its unit: shown beside the column in the UI's table
schema (`defs_support/validation.table_metadata`). A test holds every Pandera column of
`energy_assets/schemas` to an entry here, so a new column comes with its description.

Units are named as the column names spell them: MW and kW (average power over the interval),
kWh, kg CO2, gCO2eq/kWh, USD, %, fractions 0-1, UTC instants.
"""

from __future__ import annotations

import re

_FUELS = {
    "solar": "solar",
    "wind": "wind",
    "hydro": "hydro (large and small)",
    "large_hydro": "large hydro",
    "small_hydro": "small hydro",
    "nuclear": "nuclear",
    "natural_gas": "natural gas",
    "coal": "coal",
    "oil": "oil",
    "geothermal": "geothermal",
    "biomass": "biomass",
    "biogas": "biogas",
    "batteries": "batteries (discharge positive, charge negative)",
    "other": "other and unclassified",
}
_SHARE_LABELS = {
    fuel: _FUELS[fuel].capitalize()
    for fuel in ("coal", "natural_gas", "nuclear", "hydro", "solar", "wind")
}

COLUMN_DESCRIPTIONS: dict[str, str] = {
    # keys and times
    "region": "Region code of the registry (e.g. CAISO).",
    "market_date": "Market day in the region's local time zone (date).",
    "interval_start_utc": "Start of the interval, UTC instant (hourly, or 15-minute slots).",
    "local_clock": "The provider's local wall clock of the interval, HH:MM as published.",
    "issued_at_utc": "When the forecast (or feature row) counts as issued, UTC instant.",
    "available_at_utc": "Latest availability of the row's inputs, UTC instant (at or before issue).",
    "fetched_at_utc": "When the payload was fetched, UTC instant.",
    "trained_at_utc": "When the model was trained, UTC instant.",
    "start_utc": "Start of the job's run, UTC instant.",
    "end_utc": "End of the job's run, UTC instant.",
    "train_first_date": "First market day in the training window (date).",
    "train_last_date": "Last market day in the training window (date).",
    # provenance
    "payload_sha256": "SHA-256 of the archived raw payload the row was parsed from.",
    "source_url": "URL the payload came from (its archived copy is addressed by its SHA-256).",
    "provider": "Who published the values (e.g. caiso_outlook).",
    "model_version": "Model (and its fit day) that produced the row.",
    "artifact_path": "Path of the stored model file.",
    "artifact_sha256": "SHA-256 of the stored model file.",
    # grid (MW: average over the hour or the provider's interval)
    "demand_mw": "System demand, MW (average over the interval).",
    "day_ahead_forecast_mw": "Operator's day-ahead demand forecast, MW.",
    "hour_ahead_forecast_mw": "Operator's hour-ahead demand forecast, MW.",
    "forecast_demand_mw": "Operator's day-ahead demand forecast, MW.",
    "imports_mw": "Net imports into the region, MW.",
    "net_imports_mw": "Net imports into the region, MW (negative: exports).",
    "supply_mw": "Generation plus net imports counted for intensity, MW.",
    "demand_coverage": "Share of the hour's demand readings present, fraction 0-1.",
    "fuel_mix_coverage": "Share of the hour's fuel-mix readings present, fraction 0-1.",
    "coverage": "Share of the hour's readings behind the values (carbon: the fuel mix; weather:"
    " temperature, dew point and wind), fraction 0-1.",
    "imports_share": "Share of supply that is imported, fraction 0-1.",
    # reconciliation (two providers' values of the same hour)
    "outlook_demand_mw": "System demand per CAISO's Today's Outlook, MW (hourly mean of the"
    " 5-minute readings).",
    "outlook_coverage": "Share of the hour's 12 five-minute Outlook readings present, fraction 0-1.",
    "eia_demand_mw": "System demand per EIA-930 for the same UTC hour, MW (MWh in the hour).",
    "difference_mw": "EIA-930 minus the operator's own demand (CAISO's Outlook, or the ISO's"
    " feed), MW (null where either is missing).",
    "difference_pct": "EIA-930 minus the operator's own demand in % of the operator's (null where"
    " either is missing).",
    "iso_demand_mw": "System demand per the ISO's own feed, MW (hourly mean of its readings,"
    " harmonized/iso_grid_hourly).",
    "iso_demand_coverage": "Share of the hour's ISO demand readings present, fraction 0-1.",
    "outlook_carbon_direct_gco2_per_kwh": "Direct carbon intensity of in-region generation from"
    " CAISO's Today's Outlook fuel mix, gCO2eq/kWh (imports not counted).",
    "eia_carbon_direct_gco2_per_kwh": "Direct carbon intensity of in-region generation from"
    " EIA-930's generation by fuel for the same UTC hour, gCO2eq/kWh.",
    "outlook_carbon_gco2_per_kwh": "Lifecycle carbon intensity of in-region generation from the"
    " Outlook's fuel mix, gCO2eq/kWh (imports not counted).",
    "eia_carbon_gco2_per_kwh": "Lifecycle carbon intensity of in-region generation from EIA-930's"
    " generation by fuel, gCO2eq/kWh.",
    "eia_coverage": "Share of the hour's EIA-930 fuel readings present, fraction 0-1.",
    "difference_direct_gco2_per_kwh": "EIA-930 minus Outlook direct intensity, gCO2eq/kWh (null"
    " where either is missing).",
    "difference_direct_pct": "EIA-930 minus Outlook direct intensity in % of the Outlook's (null"
    " where either is missing).",
    # carbon
    "carbon_gco2_per_kwh": "Carbon intensity of supply, gCO2eq/kWh (lifecycle factors).",
    "carbon_direct_gco2_per_kwh": "Direct (combustion-only) carbon intensity of in-region"
    " generation, gCO2eq/kWh (the EIA-930 carbon data set's factors; imports not counted).",
    "temperature_c": "2 m air temperature forecast, regional mean, degrees C.",
    "dewpoint_c": "2 m dew point forecast, regional mean, degrees C.",
    "temperature_k": "2 m air temperature forecast, regional mean, kelvin.",
    "dewpoint_k": "2 m dew point forecast, regional mean, kelvin.",
    "wind_speed_m_per_s": "10 m wind speed forecast, regional mean, m/s.",
    "shortwave_radiation_w_per_m2": "Downward shortwave radiation at the surface forecast,"
    " regional mean over the forecast model's averaging window, W/m2.",
    "precipitation_mm_per_h": "Precipitation rate forecast, regional mean, mm per hour.",
    "precipitation_kg_per_m2_per_h": "Precipitation rate forecast, regional mean, kg/m2 per hour"
    " (= mm/h).",
    "published_direct_gco2_per_kwh": "Direct carbon intensity the EIA-930 carbon data set"
    " states for the hour, gCO2eq/kWh (its factors: coal 760, gas 370, oil 406, other 575).",
    # EIA-930
    "respondent": "EIA-930 balancing-authority code (e.g. CISO, PJM).",
    "net_generation_mw": "Net generation in the balancing authority, MW (EIA-930 NG).",
    "total_interchange_mw": "Total net interchange, MW (EIA-930 TI; positive: net exports).",
    "pumped_storage_mw": "Pumped-storage hydro, MW (negative while pumping).",
    "solar_with_storage_mw": "Solar with integrated battery storage, MW.",
    "wind_with_storage_mw": "Wind with integrated battery storage, MW.",
    "other_storage_mw": "Other energy storage, MW (negative while charging).",
    "unknown_storage_mw": "Unknown energy storage, MW (negative while charging).",
    "unknown_mw": "Generation of unknown source, MW.",
    "carbon_forecast_gco2_per_kwh": "Carbon intensity the schedule planned against, gCO2eq/kWh.",
    "carbon_p10_gco2_per_kwh": "Day-ahead carbon intensity, 10th percentile, gCO2eq/kWh (of"
    " the region's carbon target: ours, lifecycle; GB's, the published intensity).",
    "carbon_p50_gco2_per_kwh": "Day-ahead carbon intensity, median, gCO2eq/kWh (of the"
    " region's carbon target: ours, lifecycle; GB's, the published intensity).",
    "carbon_p90_gco2_per_kwh": "Day-ahead carbon intensity, 90th percentile, gCO2eq/kWh (of"
    " the region's carbon target: ours, lifecycle; GB's, the published intensity).",
    "carbon_direct_p10_gco2_per_kwh": "Day-ahead direct carbon intensity, 10th percentile,"
    " gCO2eq/kWh.",
    "carbon_direct_p50_gco2_per_kwh": "Day-ahead direct carbon intensity, median, gCO2eq/kWh.",
    "carbon_direct_p90_gco2_per_kwh": "Day-ahead direct carbon intensity, 90th percentile,"
    " gCO2eq/kWh.",
    # load forecasts
    "demand_p10_mw": "Day-ahead demand, 10th percentile, MW.",
    "demand_p50_mw": "Day-ahead demand, median, MW.",
    "demand_p90_mw": "Day-ahead demand, 90th percentile, MW.",
    "history_days": "Days of history the forecast was built from (count).",
    # features
    "hour_local": "Hour of the day in local time (0-23).",
    "weekday": "Day of the week in local time (0 = Monday .. 6 = Sunday).",
    "month": "Month in local time (1-12).",
    "day_of_year": "Day of the year in local time (1-366).",
    "hour_sin": "sin(2π · local hour / 24), unitless.",
    "hour_cos": "cos(2π · local hour / 24), unitless.",
    "doy_sin": "sin(2π · (day of year - 1) / days in the year), unitless.",
    "doy_cos": "cos(2π · (day of year - 1) / days in the year), unitless.",
    "is_weekend": "Saturday or Sunday in local time (1) or not (0).",
    "is_holiday": "Public holiday in the region's country/subdivision (1) or not (0).",
    "operator_forecast_mw": "Operator's day-ahead demand forecast for the hour, MW.",
    "lag_2d_mw": "Demand of the same hour two days before, MW.",
    "lag_3d_mw": "Demand of the same hour three days before, MW.",
    "lag_7d_mw": "Demand of the same hour seven days before, MW.",
    "mean_7d_same_hour_mw": "Mean demand of the same hour over the 7 days before, MW.",
    "daily_mean_2d_mw": "Mean demand of the day two days before, MW.",
    "daily_max_2d_mw": "Peak demand of the day two days before, MW.",
    "demand_to_operator_ratio_2d": "Demand over the operator's day-ahead forecast, summed over"
    " the hours of the day two days before, unitless (the operator's recent error).",
    "demand_to_operator_ratio_1d_known": "Demand over the operator's day-ahead forecast, summed"
    " over the hours of the day before known at issue, unitless.",
    "demand_to_operator_ratio_latest": "Demand over the operator's day-ahead forecast at the"
    " latest hour of the day before known at issue, unitless.",
    "demand_to_operator_ratio_2d_same_hour": "Demand over the operator's day-ahead forecast at"
    " the same hour two days before, unitless.",
    "lag_2d_to_operator_ratio": "Demand of the same hour two days before over the operator's"
    " forecast for the hour, unitless.",
    "lag_7d_to_operator_ratio": "Demand of the same hour seven days before over the operator's"
    " forecast for the hour, unitless.",
    "mean_7d_same_hour_to_operator_ratio": "Mean demand of the same hour over the 7 days before"
    " over the operator's forecast for the hour, unitless.",
    "solar_wind_lag_2d_mw": "Solar plus wind of the same hour two days before, MW.",
    "carbon_lag_1d_gco2_per_kwh": "Intensity of the same hour one day before, gCO2eq/kWh "
    "(null where not yet known at issue).",
    "carbon_lag_2d_gco2_per_kwh": "Intensity of the same hour two days before, gCO2eq/kWh.",
    "carbon_lag_7d_gco2_per_kwh": "Intensity of the same hour seven days before, gCO2eq/kWh.",
    "carbon_mean_7d_same_hour_gco2_per_kwh": "Mean intensity of the same hour over the 7 days "
    "before, gCO2eq/kWh.",
    "carbon_mean_1d_known_gco2_per_kwh": "Mean intensity of the hours of the day before known "
    "at issue, gCO2eq/kWh.",
    "carbon_daily_mean_2d_gco2_per_kwh": "Mean intensity of the day two days before, gCO2eq/kWh.",
    "carbon_last_known_gco2_per_kwh": "Intensity of the latest hour known at issue (at most 24 h"
    " old), gCO2eq/kWh.",
    **{
        f"{fuel}_share_lag_1d_fraction": f"{label}'s share of in-region generation in the same"
        " hour one day before (null where not yet known at issue), fraction."
        for fuel, label in _SHARE_LABELS.items()
    },
    **{
        f"{fuel}_share_last_known_fraction": f"{label}'s share of in-region generation in the"
        " latest hour known at issue, fraction."
        for fuel, label in _SHARE_LABELS.items()
    },
    # each fuel's output (features.carbon.FUEL_MW_COLUMNS), what the fuel-mix member learns from
    **{
        f"{fuel}_{what}_mw": f"{fuel.replace('_', ' ').capitalize()} output {text} (null where"
        " the region reports none or it was not yet known at issue), MW."
        for fuel in (
            "solar",
            "wind",
            "hydro",
            "nuclear",
            "natural_gas",
            "coal",
            "oil",
            "geothermal",
            "biomass",
            "other",
        )
        for what, text in (
            ("lag_1d", "in the same hour one day before"),
            ("lag_2d", "in the same hour two days before"),
            ("mean_1d_known", "averaged over the hours of the day before known at issue"),
            ("last_known", "in the latest hour known at issue (at most 24 h old)"),
        )
    },
    "weather_temperature_change_1d_c": "Forecast 2 m temperature of the hour minus that of the"
    " same hour one day before, C.",
    "weather_dewpoint_change_1d_c": "Forecast 2 m dew point of the hour minus that of the same"
    " hour one day before, C.",
    "weather_wind_speed_change_1d_m_per_s": "Forecast 10 m wind speed of the hour minus that of"
    " the same hour one day before, m/s.",
    "weather_shortwave_radiation_change_1d_w_per_m2": "Forecast shortwave radiation of the hour"
    " minus that of the same hour one day before, W/m2.",
    "weather_precipitation_change_1d_mm_per_h": "Forecast precipitation rate of the hour minus"
    " that of the same hour one day before, mm/h.",
    "weather_temperature_c": "Day-ahead forecast of the hour's 2 m temperature, regional mean, C.",
    "weather_dewpoint_c": "Day-ahead forecast of the hour's 2 m dew point, regional mean, C.",
    "weather_wind_speed_m_per_s": "Day-ahead forecast of the hour's 10 m wind speed, regional"
    " mean, m/s.",
    "weather_shortwave_radiation_w_per_m2": "Day-ahead forecast of the hour's downward shortwave"
    " radiation, regional mean, W/m2.",
    "weather_precipitation_mm_per_h": "Day-ahead forecast of the hour's precipitation rate,"
    " regional mean, mm/h.",
    # models
    "training_rows": "Hourly rows the model was trained on (count).",
    "training_days": "Market days the model was trained on (count).",
    "quantile": "Quantile level the row is about (0.1, 0.5, 0.9).",
    "validation_days": "Days the weights were chosen on (count).",
    "validation_hours": "Hours the weights were chosen on (count).",
    "pinball_lightgbm_mw": "Mean pinball loss of the LightGBM member on the validation hours, MW.",
    "pinball_mlx_mw": "Mean pinball loss of the MLX member on the validation hours, MW.",
    "pinball_ensemble_mw": "Mean pinball loss of the weighted ensemble on the validation hours, MW.",
    "pinball_calibrated_mw": "Mean pinball loss after the band is scaled, MW.",
    "weight_lightgbm": "Weight of the LightGBM member, fraction 0-1.",
    "weight_mlx": "Weight of the MLX member, fraction 0-1.",
    "band_scale": "Factor the P10/P90 distance from P50 is scaled by (1: unscaled).",
    "method": "How the weights were chosen.",
    # scores and reports
    "forecaster": "Forecast scored (ours, the operator's, a baseline).",
    "hours": "Hours scored (count).",
    "days": "Days scored (count).",
    "period": "Period rolled up: 'all', a year (YYYY) or a month (YYYY-MM).",
    "period_kind": "Kind of period: all, year or month.",
    "mape_pct": "Mean absolute percentage error, %.",
    "smape_pct": "Symmetric mean absolute percentage error, %.",
    "rmae": "MAE relative to the seasonal naive's on the same hours (below 1: better), unitless.",
    "abs_pct_error_sum": "Sum over the hours of |error| / actual, % (MAPE × hours).",
    "sym_pct_error_sum": "Sum over the hours of the symmetric percentage error, % (sMAPE × hours).",
    "hours_in_p10_p90": "Hours whose actual fell inside the P10-P90 band (count).",
    "p10_p90_coverage": "Share of hours inside the P10-P90 band, fraction 0-1 (0.8 is calibrated).",
    "mae_mw": "Mean absolute error, MW.",
    "rmse_mw": "Root mean squared error, MW.",
    "abs_error_sum_mw": "Sum over the hours of |error|, MW.",
    "squared_error_sum_mw2": "Sum over the hours of error², MW².",
    "pinball_p10_sum_mw": "Sum over the hours of the P10 pinball loss, MW.",
    "pinball_p50_sum_mw": "Sum over the hours of the P50 pinball loss, MW.",
    "pinball_p90_sum_mw": "Sum over the hours of the P90 pinball loss, MW.",
    "pinball_mean_mw": "Mean pinball loss over P10, P50 and P90, MW.",
    "mae_gco2_per_kwh": "Mean absolute error, gCO2eq/kWh.",
    "rmse_gco2_per_kwh": "Root mean squared error, gCO2eq/kWh.",
    "abs_error_sum_gco2_per_kwh": "Sum over the hours of |error|, gCO2eq/kWh.",
    "squared_error_sum_gco2_per_kwh_squared": "Sum over the hours of error², (gCO2eq/kWh)².",
    "pinball_p10_sum_gco2_per_kwh": "Sum over the hours of the P10 pinball loss, gCO2eq/kWh.",
    "pinball_p50_sum_gco2_per_kwh": "Sum over the hours of the P50 pinball loss, gCO2eq/kWh.",
    "pinball_p90_sum_gco2_per_kwh": "Sum over the hours of the P90 pinball loss, gCO2eq/kWh.",
    "pinball_mean_gco2_per_kwh": "Mean pinball loss over P10, P50 and P90, gCO2eq/kWh.",
    "dm_stat_vs_naive": "Diebold-Mariano statistic against the seasonal naive on daily MAE "
    "(positive: this forecaster had the lower loss).",
    "dm_p_value_vs_naive": "One-sided p-value of that test: small means significantly more accurate.",
    "dm_stat_vs_operator": "Diebold-Mariano statistic against the operator's forecast "
    "(positive: this forecaster had the lower loss).",
    "dm_p_value_vs_operator": "One-sided p-value of that test: small means significantly more accurate.",
    "dm_stat_vs_profile": "Diebold-Mariano statistic against the seasonal profile "
    "(positive: this forecaster had the lower loss).",
    "dm_p_value_vs_profile": "One-sided p-value of that test: small means significantly more accurate.",
    # schedules
    "plan": "Which plan: the optimized schedule or its baseline (run-at-earliest appliances, idle batteries), or for the fleet on prices a forecast's plan or perfect_foresight.",
    "appliance": "Appliance the row schedules.",
    "power_kw": "Power drawn, kW.",
    "energy_kwh": "Energy over the slot or run, kWh.",
    "price_usd_per_kwh": "Time-of-use price planned against, USD/kWh.",
    "objective": "What the schedule minimizes (carbon, cost or a blend).",
    "blend_weight_carbon": "Weight of carbon in a blended objective, fraction 0-1.",
    "home_id": "Home of the fleet (index).",
    "load_kw": "Home load, kW.",
    "pv_kw": "Rooftop PV output, kW.",
    "charge_kw": "Battery charging power, kW.",
    "discharge_kw": "Battery discharging power, kW.",
    "soc_kwh": "Battery state of charge, kWh.",
    "net_import_kw": "Home's net import from the grid under the plan, kW (negative: export).",
    "baseline_net_import_kw": "Home's net import without battery dispatch, kW.",
    "fleet_seed": "Seed the fleet's homes were drawn with.",
    "feeder_import_limit_kw": "Feeder import limit the plan respects, kW (null: none).",
    "feeder_export_limit_kw": "Feeder export limit the plan respects, kW (null: none).",
    "job_id": "Compute job (identifier).",
    "placed_region": "Region the job was placed in.",
    "delay_hours": "Hours the job's start was delayed from its release, hours.",
    "interruptible": "Whether the job may pause and resume (bool).",
    "co2_kg": "CO2 of the job's run at the intensity it was placed on, kg.",
    "schedule": "Schedule evaluated (household_load_shift, vpp_fleet_dispatch; on prices: household_price_load_shift, vpp_fleet_price_dispatch).",
    "baseline_co2_kg": "CO2 of the baseline plan at the actual intensity, kg.",
    "planned_co2_kg": "CO2 the plan expected at the forecast intensity, kg.",
    "realized_co2_kg": "CO2 of the plan at the actual intensity, kg.",
    "perfect_foresight_co2_kg": "CO2 of the plan made knowing the actual intensity, kg.",
    "regret_co2_kg": "Realized minus perfect-foresight CO2, kg.",
    "realized_saving_pct": "Saving of the realized plan against the baseline, %.",
    "baseline_cost_usd": "Cost of the baseline plan, USD.",
    "realized_cost_usd": "Cost of the plan as run, USD.",
    "perfect_foresight_cost_usd": "Cost of the plan made with perfect foresight, USD.",
    "regret_cost_usd": "Realized minus perfect-foresight cost, USD.",
    # prices (schemas/prices.py): hours are the market's local clock hours, 24 a day
    "hour": "Hour of the market day on the market's local clock, 0-23 (24 a day; no DST days).",
    "interval_start_local": "Start of the hour on the market's local clock, as the file labels it (no time zone).",
    "market": "Price market: in the epftoolbox price tables its code (e.g. PJM; the partition's"
    " region dimension holds it too); in the ISOs' LMP tables day_ahead or real_time.",
    "zone": "Zone of the market whose price it is (e.g. COMED).",
    "currency": "ISO 4217 currency of the market's prices (e.g. USD).",
    "series": "Name of the exogenous day-ahead forecast series, with its unit (e.g. system_load_forecast_mw).",
    "series_index": "Position of the series among the market's exogenous columns (1 = the file's column 2).",
    "forecast_mw": "The market's own day-ahead forecast for the hour, MW.",
    "source_row": "1-based data row of the market file the hour came from (its line is one more).",
    "day_of_week": "Day of week of the market day, Monday 0 .. Sunday 6.",
    "member": "Base model of a family (e.g. lear_364: LEAR-style on a 364-day window).",
    "ensemble_input": "What the ensemble weighs: a family's window mean (lear, lgbm) or a model (mlp).",
    "weight": "Convex ensemble weight for the day, fitted on earlier days only, fraction 0-1.",
    "weight_days": "Past days of member forecasts the weights were fitted on (0: equal weights).",
    "calibration": "What the P10/P90 offsets were calibrated on: past ensemble errors, or past day-over-day price changes (too few past ensemble days).",
    "calibration_days": "Past days the P10/P90 offsets were calibrated on.",
    "abs_error_sum": "Sum over the hours of |actual - forecast|, in the market's currency per MWh.",
    "squared_error_sum": "Sum over the hours of (actual - forecast)^2, (currency per MWh)^2.",
    "smape_sum": "Sum over the hours of the sMAPE terms, % (divide by hours).",
    "naive_abs_error_sum": "Sum of the weekly naive's (same hour of D-7) absolute errors on the same hours, currency per MWh.",
    "pinball_sum": "Sum over the hours of the mean pinball loss over P10/P50/P90, currency per MWh.",
    "covered_hours": "Hours whose actual fell inside P10-P90.",
    "dm_vs_naive_stat": "One-sided Diebold-Mariano statistic on daily MAE against the weekly naive (positive: better).",
    "dm_vs_naive_p": "p-value of that test, fraction 0-1.",
    "dm_vs_published_stat": "One-sided Diebold-Mariano statistic on daily MAE against the published DNN ensemble.",
    "dm_vs_published_p": "p-value of that test, fraction 0-1.",
    r"^price_[a-z]{3}_per_mwh$": "Day-ahead price of the hour in the market's currency per MWh (price_usd_per_mwh: USD/MWh).",
    r"^.*_forecast_mw$": "The market's exogenous day-ahead forecast for the hour (load, wind, ...), MW.",
    r"^price_d\d+_[a-z]{3}_per_mwh$": "Price of the same hour k days before D (price_d1: D-1), currency per MWh.",
    r"^exog\d+_d\d+_mw$": "Exogenous forecast j of the same hour for D-k (exog1_d0: series 1 for D), MW.",
    r"^p10_offset_[a-z]{3}_per_mwh$": "P10 minus P50 (a past-error quantile, <= 0 applied), currency per MWh.",
    r"^p90_offset_[a-z]{3}_per_mwh$": "P90 minus P50 (a past-error quantile, >= 0 applied), currency per MWh.",
    r"^price_p10_[a-z]{3}_per_mwh$": "10th percentile of the hour's day-ahead price, currency per MWh.",
    r"^price_p50_[a-z]{3}_per_mwh$": "Median forecast of the hour's day-ahead price, currency per MWh.",
    r"^price_p90_[a-z]{3}_per_mwh$": "90th percentile of the hour's day-ahead price, currency per MWh.",
    r"^mae_[a-z]{3}_per_mwh$": "Mean absolute error, currency per MWh.",
    r"^rmse_[a-z]{3}_per_mwh$": "Root mean squared error, currency per MWh.",
    r"^pinball_[a-z]{3}_per_mwh$": "Mean pinball loss over P10/P50/P90, currency per MWh.",
    # the fleet on prices (dispatch/vpp_fleet_price_dispatch, evaluation/price_dispatch_value)
    "price_quantile": "Quantile of the day-ahead price forecast the plan was made on (p10, p50 or p90).",
    "forecast_model_version": "Model version of the price forecast the plan was made on.",
    "planned_on": "The prices the schedule was planned on, in words.",
    "share_of_perfect_foresight": "Value of the plan / value of perfect foresight, fraction (null when perfect foresight is worth under 0.01).",
    "battery_throughput_kwh": "Energy charged plus energy discharged by the fleet's batteries over the day, kWh (null for the household).",
    r"^price_planned_[a-z]{3}_per_mwh$": "Price of the slot's local clock hour the plan was made on (the forecast's quantile), currency per MWh.",
    r"^degradation_cost_[a-z]{3}_per_kwh$": "Battery wear cost per kWh charged and per kWh discharged, market currency per kWh.",
    r"^baseline_cost_[a-z]{3}$": "The fleet's energy cost with idle batteries at the actual prices, market currency (baseline_cost_usd: USD).",
    r"^planned_cost_[a-z]{3}$": "The plan's cost (energy + degradation) at the prices it was planned on, market currency.",
    r"^energy_cost_[a-z]{3}$": "The plan's energy cost at the actual prices (net import x price, exports credited), market currency.",
    r"^degradation_cost_[a-z]{3}$": "The plan's battery wear cost, market currency.",
    r"^cost_[a-z]{3}$": "The plan's cost at the actual prices: energy + degradation, market currency.",
    r"^value_[a-z]{3}$": "Baseline cost minus the plan's cost at the actual prices: what the batteries earned, market currency.",
    r"^perfect_foresight_value_[a-z]{3}$": "Value of the plan made on the actual prices (the most any plan could earn), market currency.",
    r"^price_mae_[a-z]{3}_per_mwh$": "Mean absolute error of the prices the plan was made on against the actual prices, currency per MWh.",
}

# the direct-intensity features mirror the (lifecycle) intensity features one for one
for _suffix in (
    "lag_1d",
    "lag_2d",
    "lag_7d",
    "mean_7d_same_hour",
    "mean_1d_known",
    "daily_mean_2d",
    "last_known",
):
    COLUMN_DESCRIPTIONS.setdefault(
        f"carbon_direct_{_suffix}_gco2_per_kwh",
        COLUMN_DESCRIPTIONS[f"carbon_{_suffix}_gco2_per_kwh"]
        .replace("intensity", "direct intensity", 1)
        .replace("Intensity", "Direct intensity", 1),
    )

    # ... and so do the features of an operator's own published intensity (GB's carbon target)
    COLUMN_DESCRIPTIONS.setdefault(
        f"published_{_suffix}_gco2_per_kwh",
        COLUMN_DESCRIPTIONS[f"carbon_{_suffix}_gco2_per_kwh"]
        .replace("intensity", "published intensity (the operator's own, its method)", 1)
        .replace("Intensity", "Published intensity (the operator's own, its method)", 1),
    )

# GB: NESO historic demand and the GB Carbon Intensity API (sources/neso.py,
# sources/uk_carbon_intensity.py)
COLUMN_DESCRIPTIONS.update(
    {
        "settlement_date": "GB settlement date: the local (Europe/London) day, as published.",
        # NESO demand forecasts (sources/neso_forecasts.py)
        "target_date": "The GB local day a NESO demand forecast is for (TARGETDATE).",
        "days_ahead": "Days before the target date the forecast was produced (DAYSAHEAD): its"
        " vintage.",
        "cardinal_point": "NESO cardinal point: a peak, trough or fixed time of the day the"
        " national demand is forecast for (CARDINALPOINT, e.g. 1A, DP).",
        "cp_type": "Cardinal point type: F fixed, T trough, P peak (CP_TYPE).",
        "forecast_point": "NESO's forecasting point (F_Point), verbatim; null when not published.",
        "settlement_period": "GB settlement period of the local day, 1..48 (46 on the spring"
        " clock change, 50 in autumn); period 1 starts at local midnight.",
        "national_demand_mw": "NESO national demand (ND): GB demand met by transmission-connected"
        " generation, excluding station load, pumping and exports, MW (half-hour mean).",
        "transmission_system_demand_mw": "NESO transmission system demand (TSD: ND plus station"
        " load, pumping and exports), MW.",
        "england_wales_demand_mw": "NESO England and Wales demand, MW.",
        "embedded_wind_generation_mw": "NESO's estimate of distribution-connected wind, MW.",
        "embedded_wind_capacity_mw": "NESO's distribution-connected wind capacity, MW.",
        "embedded_solar_generation_mw": "NESO's estimate of distribution-connected solar, MW.",
        "embedded_solar_capacity_mw": "NESO's distribution-connected solar capacity, MW.",
        "non_bm_stor_mw": "Short-term operating reserve outside the Balancing Mechanism, MW.",
        "pump_storage_pumping_mw": "Pumped-storage demand while pumping, MW.",
        "interconnector_net_import_mw": "Sum of the published interconnector flows, MW (import"
        " positive).",
        "forecast_gco2_per_kwh": "The GB Carbon Intensity API's stored forecast for the half-hour"
        " (its latest before the period: a short lead, not day-ahead), gCO2eq/kWh, direct, imports"
        " counted.",
        "actual_gco2_per_kwh": "The GB Carbon Intensity API's actual for the half-hour (from"
        " metered generation, revised later), gCO2eq/kWh, direct, imports counted.",
        "intensity_index": "The API's band of the intensity: very low, low, moderate, high, very"
        " high.",
        "dno_region_id": "The Carbon Intensity API's region id: 1-14 DNO regions, 15-17"
        " England, Scotland, Wales, 18 GB.",
        "dno_region": "Name of the distribution network operator's region, as published.",
        "region_name": "Short name of the region, as published.",
        "published_gco2_per_kwh": "The grid operator's own published carbon intensity of the hour"
        " (GB: the Carbon Intensity API's actual, its direct method with imports counted; the"
        " mean of the hour's half-hours), gCO2eq/kWh; null where none is published.",
        "published_forecast_gco2_per_kwh": "The grid operator's own stored forecast of the hour's"
        " intensity (GB: the Carbon Intensity API's, a short-lead forecast, not day-ahead as"
        " issued), gCO2eq/kWh; null where none is published.",
        "published_coverage": "Share of the hour's published half-hours behind"
        " `published_gco2_per_kwh`, fraction 0-1.",
    }
)
# the ISOs' own feeds (schemas/iso_raw.py) and the tables harmonized from them (schemas/iso.py)
COLUMN_DESCRIPTIONS.update(
    {
        "interval_end_utc": "End of the interval, UTC instant (as the provider states it).",
        "node": "Pricing node, hub, zone or settlement location, as the ISO names it.",
        "node_id": "The ISO's numeric id of the pricing node (PJM pnode id).",
        "node_type": "The ISO's type of the node (PJM: ZONE, HUB, ...); null where not stated.",
        "pnode": "SPP's pricing node behind the settlement location.",
        "ptid": "NYISO's point id of the zone or generator.",
        "lmp_component": "Component of the locational marginal price as the ISO names it (total"
        " LMP, energy, congestion, loss; CAISO also GHG).",
        "price_usd_per_mwh": "Price, USD/MWh (for the hour or interval).",
        "shadow_price_usd_per_mwh": "Shadow price of the binding constraint, USD/MWh.",
        "market_run": "The ISO's market run that produced the value (CAISO: DAM, HASP, RTM,"
        " 7DA, 2DA, RTPD ...).",
        "data_item": "The ISO's data item name of the series (CAISO OASIS DATA_ITEM).",
        "as_region": "Ancillary-service region, as CAISO names it.",
        "as_type": "Ancillary-service product (regulation up/down, spinning, non-spinning ...).",
        "tac_area": "CAISO transmission access charge area of the load forecast.",
        "trading_hub": "CAISO trading hub of the renewable forecast (NP15, SP15, ZP26).",
        "resource": "CAISO scheduling resource (intertie or resource id), as published.",
        "schedule_mw": "Scheduled energy of the resource for the interval, MW.",
        "fuel": "Fuel or resource type as the provider names it (solar, wind, the ISO's fuel"
        " categories).",
        "fuel_rollup": "ISO-NE's grouping of the fuel category (e.g. Renewables, Fossil).",
        "marginal": "ISO-NE: whether the fuel was marginal (set the price) in the interval.",
        "generation_mw": "Generation (or its forecast) over the interval, MW (average power).",
        "btm_generation_mw": "Behind-the-meter generation forecast (PJM solar), MW; null for wind.",
        "load_mw": "Load (or its forecast) over the interval, MW (average power).",
        "native_load_mw": "ISO-NE native load (load plus pumping, excluding exports), MW.",
        "ard_demand_mw": "ISO-NE asset-related demand (pumped storage pumping), MW.",
        "net_load_mw": "ISO-NE load forecast net of behind-the-meter solar, MW.",
        "load_share_pct": "Share of the system load forecast in the reliability region, %.",
        "reliability_region": "ISO-NE reliability region of the forecast.",
        "location": "Location the ISO reports the value for (ISO-NE: the system or a zone).",
        "forecast_area": "PJM's forecast area of the load forecast (RTO, zones, regions).",
        "forecast_zone": "ERCOT's forecast (weather or load) zone.",
        "area": "The provider's area of the renewable forecast (ERCOT: system or region).",
        "measure": "Which series of the ERCOT forecast report (e.g. STWPF, WGRPP, COP HSL).",
        "quantity": "What the ERCOT ancillary-service report row counts (as labelled).",
        "quantity_mw": "The ERCOT ancillary-service quantity, MW.",
        "monitored_facility": "PJM monitored facility of the transmission constraint.",
        "contingency_facility": "PJM contingency facility of the transmission constraint.",
        "congestion_event": "PJM's day-ahead congestion event id.",
        "interface": "SPP West tie or interchange series (SPP_NSI, or a neighbouring BA).",
        "flow_mw": "Net scheduled or actual flow on the tie, MW (SPP's sign, as published).",
        "thermal_mw": "BPA thermal generation, MW.",
        "table": "Which table of the CAISO Daily Renewables Watch the value came from.",
        "vintage": "Which run of the forecast the row is, as the provider names it, where the"
        " payload states no issue time (e.g. CAISO's 7DA, 2DA, DAM).",
        "forecast_kind": "What the operator forecasts: load, wind or solar.",
        "mw": "The forecast, MW (average power over the hour).",
        "source_feed": "The raw asset the row came from (raw/<provider>_<feed>).",
        "demand_source_feed": "The raw asset the hour's demand came from"
        " (raw/<provider>_<feed>; null where the ISO publishes no demand feed).",
        "fuel_mix_source_feed": "The raw asset the hour's generation by fuel came from"
        " (raw/<provider>_<feed>; null where none was stored).",
        "intervals": "How many of the provider's intervals the hourly value averages (1 for"
        " hourly; up to 12 for 5-minute prices).",
    }
)

# harmonized/pv_profile (defs/solar.py): a typical year of PV per kW installed (PVWatts)
COLUMN_DESCRIPTIONS.update(
    {
        "hour_of_year": "Hour of the typical year, 0 (Jan 1 00:00) .. 8759 (Dec 31 23:00), on the"
        " profile's clock (UTC + utc_offset_h); 365 days, no Feb 29.",
        "day_of_month": "Day of the month of the typical year's hour (1-31).",
        "hour_local_standard": "Hour of the day on the profile's clock (0-23): local standard"
        " time of the simulated site, never daylight saving time.",
        "pv_kw_per_kw": "AC output per kW of DC nameplate, kW per kW installed (mean over the"
        " hour; 0-1, capped by the inverter).",
        "utc_offset_h": "The profile's hours are on the clock UTC + this many hours: the site's"
        " local standard time (PVWatts), or for a profile standing in for another location,"
        " that moved by the longitude difference (4 minutes per degree).",
        "site_latitude_deg": "Latitude of the home's location for the region (its first"
        " weather point), degrees north.",
        "site_longitude_deg": "Longitude of the home's location for the region (its first"
        " weather point), degrees east.",
        "profile_latitude_deg": "Latitude the profile was simulated at (PVWatts' station or the"
        " recording's location), degrees north.",
        "profile_longitude_deg": "Longitude the profile was simulated at, degrees east.",
        "location_proxy": "True when the profile was simulated somewhere else than the region's"
        " site (offline: the one recorded PVWatts export, Denver CO).",
        "dc_system_kw": "DC nameplate of the simulated system, kW (the profile is per kW).",
        "profile_source": "What produced the profile: pvwatts_v8 (the API) or"
        " pvwatts_calculator_export (the calculator's hourly CSV).",
    }
)

for _fuel in ("biomass", "coal", "imports", "gas", "nuclear", "other", "hydro", "solar", "wind"):
    COLUMN_DESCRIPTIONS.setdefault(f"{_fuel}_pct", f"Share of GB generation from {_fuel}, %.")

for _name, _fuel in _FUELS.items():
    COLUMN_DESCRIPTIONS.setdefault(f"{_name}_mw", f"Generation from {_fuel}, MW.")


def column_description(name: str) -> str | None:
    """The description of `name`: its own entry, or the first pattern entry (`^...$`, a Pandera
    regex column such as `price_<currency>_per_mwh`) it matches."""
    if name in COLUMN_DESCRIPTIONS:
        return COLUMN_DESCRIPTIONS[name]
    for key, text in COLUMN_DESCRIPTIONS.items():
        if key.startswith("^") and re.fullmatch(key, name):
            return text
    return None
