"""What a backfill launched from the UI targets: Dagster's own asset-backfill planning (the code
the webserver runs when the partition dialog sends an asset selection and partition names)
carries a selection of days X..Y downstream as exactly X..Y for every asset, whichever layers
are selected, and every region-day asset runs a range in one run (so the window readers find
their earlier days built by an earlier step or run)."""

from __future__ import annotations

import time

import dagster as dg
import pytest
from dagster._core.execution.asset_backfill import AssetBackfillData

from energy_assets.definitions import defs
from energy_assets.partitions import FIRST_DAY_AHEAD_DATE

GRAPH = defs.resolve_asset_graph()
ALL = sorted(GRAPH.get_all_asset_keys(), key=lambda k: k.to_user_string())
DAY_AHEAD = [k for k in ALL if k.path[0] in ("models", "forecasts", "dispatch", "evaluation")]


def _targets(selection, partition_names) -> dict[str, list[str] | None]:
    data = AssetBackfillData.from_asset_partitions(
        asset_graph=GRAPH,
        partition_names=partition_names,
        asset_selection=selection,
        dynamic_partitions_store=dg.DagsterInstance.ephemeral(),
        backfill_start_timestamp=time.time(),
        all_partitions=False,
    )
    subset = data.target_subset
    return {
        key.to_user_string(): (
            sorted(subset.get_partitions_subset(key).get_partition_keys())
            if key in subset.partitions_subsets_by_asset_key
            else None
        )
        for key in subset.asset_keys
    }


@pytest.mark.parametrize(
    "selection",
    [ALL, DAY_AHEAD, [k for k in ALL if k.path[0] in ("raw", "harmonized", "features")]],
    ids=["whole-graph", "day-ahead-layers", "ingest-layers"],
)
def test_a_selection_of_days_targets_exactly_those_days(selection):
    days = [f"2020-09-0{d}|CAISO" for d in range(1, 8)]
    targets = _targets(selection, days)
    assert set(targets) == {k.to_user_string() for k in selection}
    for asset, keys in targets.items():
        if asset.endswith("_report"):
            assert keys is None  # unpartitioned roll-ups, rebuilt once at the end
        else:
            assert keys == sorted(days), asset


def test_days_before_the_first_day_ahead_day_target_only_what_exists():
    days = ["2019-01-28|CAISO", "2019-01-29|CAISO", "2019-01-30|CAISO", "2019-01-31|CAISO"]
    targets = _targets(ALL, days)
    assert targets["raw/caiso_outlook_demand"] == sorted(days)
    assert targets["forecasts/load_day_ahead"] == [
        d for d in sorted(days) if d.split("|")[0] >= FIRST_DAY_AHEAD_DATE
    ]


def test_every_region_day_asset_runs_a_backfill_range_in_one_run():
    """Same policy everywhere, and no self-dependency: Dagster then groups the assets of a
    selection that share a partitions definition into one run over the range."""
    partitioned = [key for key in ALL if GRAPH.get(key).partitions_def is not None]
    assert len(partitioned) == 22
    for key in partitioned:
        assert GRAPH.get(key).backfill_policy == dg.BackfillPolicy.single_run(), key
        assert key not in GRAPH.get(key).parent_keys, key


def test_no_asset_declares_a_multi_day_window_to_dagster():
    """A multi-day time-window mapping would make a backfill build days nobody selected."""
    for key in ALL:
        for parent in GRAPH.get(key).parent_keys:
            mapping = GRAPH.get_partition_mapping(key, parent)
            child_def = GRAPH.get(key).partitions_def
            parent_def = GRAPH.get(parent).partitions_def
            if child_def is None or parent_def is None:
                continue
            day = child_def.subset_with_partition_keys(["2020-09-05|CAISO"])
            upstream = mapping.get_upstream_mapped_partitions_result_for_partitions(
                day, child_def, parent_def
            ).partitions_subset
            assert sorted(upstream.get_partition_keys()) == ["2020-09-05|CAISO"], (key, parent)
