"""Every stored column says what it is and in which unit (shown in the UI's table schema)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pandera.polars as pa
import polars as pl

import energy_assets.schemas as schemas
from energy_assets.defs_support.validation import table_metadata
from energy_assets.schemas.descriptions import COLUMN_DESCRIPTIONS


def _models() -> list[type[pa.DataFrameModel]]:
    found = []
    for info in pkgutil.iter_modules(schemas.__path__):
        module = importlib.import_module(f"{schemas.__name__}.{info.name}")
        found += [
            obj
            for obj in vars(module).values()
            if inspect.isclass(obj)
            and issubclass(obj, pa.DataFrameModel)
            and obj is not pa.DataFrameModel
            and obj.__module__ == module.__name__
        ]
    return found


def test_every_schema_column_has_a_description():
    models = _models()
    assert len(models) > 20
    missing = {
        f"{model.__name__}.{column}"
        for model in models
        for column in model.to_schema().columns
        if not COLUMN_DESCRIPTIONS.get(column)
    }
    assert not missing, f"columns without a description: {sorted(missing)}"


def test_quantity_columns_name_their_unit():
    units = {
        "_mw": "MW",
        "_kw": "kW",
        "_kwh": "kWh",
        "_kg": "kg",
        "_usd": "USD",
        "_usd_per_kwh": "USD/kWh",
        "_gco2_per_kwh": "gCO2eq/kWh",
        "_pct": "%",
        "_utc": "UTC",
    }
    wrong = [
        name
        for name, text in COLUMN_DESCRIPTIONS.items()
        for suffix, unit in units.items()
        if name.endswith(suffix) and unit not in text
    ]
    assert not wrong, wrong


def test_the_table_schema_carries_the_descriptions():
    frame = pl.DataFrame({"demand_mw": [1.0], "not_a_known_column": [1]})
    columns = {c.name: c for c in table_metadata(frame)["dagster/column_schema"].columns}
    assert "MW" in columns["demand_mw"].description
    assert columns["not_a_known_column"].description is None
