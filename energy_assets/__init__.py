"""energy-assets: public energy-grid feeds to forecasts and optimized schedules, as Dagster assets."""
