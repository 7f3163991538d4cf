"""Run and resource config as the UI shows it: the schedules' objective and carbon quantile are
enums in Dagster's config schema, so the launchpad refuses a bad value before a run starts; the
EIA API key is resource config from an `EnvVar`, shown by name, never by value."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs

import dagster as dg
import httpx
import pytest
import yaml
from dagster._core.remote_representation.external_data import (
    RepositorySnap,
    ResourceConfigEnvVarSnap,
)
from dagster._serdes import serialize_value

from energy_assets.definitions import build_definitions
from energy_assets.defs import raw
from energy_assets.defs.dispatch import (
    CarbonQuantile,
    FleetConfig,
    FleetObjective,
    HouseholdConfig,
    HouseholdObjective,
    JobsConfig,
)
from energy_assets.defs_support.resources import HttpResource, default_resources
from energy_assets.partitions import partition_key
from energy_assets.sources.http_client import HttpClient

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.fixture(scope="module")
def defs(tmp_path_factory) -> dg.Definitions:
    return build_definitions(default_resources(tmp_path_factory.mktemp("data")))


def _ops(op: str, config: dict) -> dict:
    return {"ops": {f"dispatch__{op}": {"config": config}}}


def test_config_schema_lists_the_allowed_values():
    for config_class, field, values in [
        (HouseholdConfig, "objective", ["carbon", "cost", "blend"]),
        (HouseholdConfig, "carbon_quantile", ["p10", "p50", "p90"]),
        (FleetConfig, "objective", ["cost", "carbon"]),
        (FleetConfig, "carbon_quantile", ["p10", "p50", "p90"]),
        (JobsConfig, "carbon_quantile", ["p10", "p50", "p90"]),
    ]:
        config_type = config_class.to_config_schema().as_field().config_type
        enum = config_type.fields[field].config_type
        enum = getattr(enum, "inner_type", enum)  # a field with a default is Noneable
        assert [v.config_value for v in enum.enum_values] == values, (config_class, field)


@pytest.mark.parametrize(
    ("job", "op", "config"),
    [
        ("cross_region_job", "compute_job_placement", {"carbon_quantile": "p75"}),
        ("day_ahead_job", "household_load_shift", {"carbon_quantile": "P90"}),
        ("day_ahead_job", "household_load_shift", {"objective": "price"}),
        # blend is the household's, not the fleet's
        ("day_ahead_job", "vpp_fleet_dispatch", {"objective": "blend"}),
    ],
)
def test_a_bad_objective_or_quantile_is_refused_at_launch(defs, job, op, config):
    job_def = defs.resolve_job_def(job)
    field = next(iter(config))
    with pytest.raises(dg.DagsterInvalidConfigError, match=f"{field}.*not in enum type"):
        dg.validate_run_config(job_def, _ops(op, config))
    # executing refuses it before any step runs (nothing is materialized)
    with pytest.raises(dg.DagsterInvalidConfigError):
        job_def.execute_in_process(
            run_config=_ops(op, config), instance=dg.DagsterInstance.ephemeral()
        )


def test_good_values_pass_and_reach_the_asset_as_enums(defs):
    checked = dg.validate_run_config(
        defs.resolve_job_def("cross_region_job"),
        _ops("compute_job_placement", {"carbon_quantile": "p90"}),
    )
    assert checked["ops"]["dispatch__compute_job_placement"]["config"]["carbon_quantile"] == "p90"
    household = HouseholdConfig(objective="blend", carbon_quantile="p90")
    assert household.objective is HouseholdObjective.blend
    assert household.carbon_quantile is CarbonQuantile.p90
    assert FleetConfig().objective is FleetObjective.cost
    assert JobsConfig().carbon_quantile.value == "p50"


def test_readme_run_config_example_is_valid(defs):
    text = README.read_text()
    section = text[text.index("## The asset graph") :]
    block = re.search(r"```yaml\n(ops:\n.*?)```", section, re.S)
    assert block, "README's asset-graph section has no run config example"
    ops = yaml.safe_load(block.group(1))["ops"]
    assert {"dispatch__household_load_shift", "dispatch__compute_job_placement"} <= set(ops)
    for job in ("day_ahead_job", "cross_region_job"):
        job_def = defs.resolve_job_def(job)
        mine = {
            name: value
            for name, value in ops.items()
            if name.replace("__", "/", 1) in {"/".join(k.path) for k in _keys(job_def)}
        }
        assert mine, job
        dg.validate_run_config(job_def, {"ops": mine})


def _keys(job_def: dg.JobDefinition) -> set[dg.AssetKey]:
    return set(job_def.asset_layer.executable_asset_keys)


# --- the EIA key: resource config from the environment, shown by name -----------------------

SECRET = "eia-s3cret-Value"
SEEN_KEYS: list[str] = []


def _eia_handler(request: httpx.Request) -> httpx.Response:
    SEEN_KEYS.extend(parse_qs(request.url.query.decode()).get("api_key", []))
    return httpx.Response(200, json={"response": {"total": 0, "data": []}})


class _MockedHttp(HttpResource):
    """The `http` resource with a mock transport standing in for the EIA API."""

    @contextmanager
    def client(self) -> Iterator[HttpClient]:
        with HttpClient(
            transport=httpx.MockTransport(_eia_handler),
            min_interval_s={"eia930": 0.0},
            sleep=lambda s: None,
            max_retries=0,
        ) as client:
            yield client


def test_the_eia_key_is_shown_as_its_variable_never_its_value(monkeypatch, tmp_path):
    monkeypatch.setenv("EIA_API_KEY", SECRET)
    defs = build_definitions(default_resources(tmp_path, transport="live"))
    snap = RepositorySnap.from_def(defs.get_repository_def())
    http = next(r for r in snap.resources if r.name == "http")
    assert http.configured_values["eia_api_key"] == ResourceConfigEnvVarSnap(name="EIA_API_KEY")
    assert SECRET not in serialize_value(snap)
    # unset, the resource holds no key (an unset EnvVar would fail every run, replay too)
    monkeypatch.delenv("EIA_API_KEY")
    assert default_resources(tmp_path)["http"].eia_api_key is None


def test_a_live_raw_run_sends_the_resource_key_and_stores_it_nowhere(monkeypatch, tmp_path):
    monkeypatch.setenv("EIA_API_KEY", SECRET)
    resources = default_resources(tmp_path, transport="live")
    resources["http"] = _MockedHttp(transport="live", eia_api_key=dg.EnvVar("EIA_API_KEY"))
    instance = dg.DagsterInstance.ephemeral()
    asset = next(a for a in raw.RAW_ASSETS if a.key == raw.raw_key("eia930", "region_data"))
    SEEN_KEYS.clear()
    result = dg.materialize(
        [asset],
        partition_key=partition_key("CAISO", "2020-01-15"),
        resources=resources,
        instance=instance,
        raise_on_error=False,
    )
    assert SEEN_KEYS == [SECRET]  # resolved from the EnvVar when the run started
    run = result.dagster_run
    assert SECRET not in serialize_value(run.run_config)
    assert SECRET not in serialize_value(instance.get_job_snapshot(run.job_snapshot_id))
    assert SECRET not in serialize_value(instance.all_logs(run.run_id))
