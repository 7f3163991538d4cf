"""What the definitions in `energy_assets/defs/` are built with, and are not themselves: the
resources and the warehouse IO manager, output validation and the checks' specs, and the
range wrapper (`per_region_day`) every region-day asset runs through. Kept out of the defs folder,
which `dg` loads as definitions (`energy_assets/definitions.py`)."""
