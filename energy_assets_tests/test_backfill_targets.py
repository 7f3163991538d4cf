"""What a backfill launched from the UI targets: Dagster's own asset-backfill planning (the code
the webserver runs when the partition dialog sends an asset selection and partition names)
carries a selection of days X..Y downstream as exactly X..Y for every asset, whichever layers
are selected, and every region-day asset runs a range in one run (so the window readers find
their earlier days built by an earlier step or run)."""

from __future__ import annotations

import time

import dagster as dg
import pytest
from dagster._core.errors import DagsterBackfillFailedError
from dagster._core.execution.asset_backfill import AssetBackfillData

from energy_assets.definitions import defs
from energy_assets.partitions import FIRST_DAY_AHEAD_DATE
from energy_assets.sources.registry import ISO_PROVIDERS

ISO_RAW = {f.asset_name for feeds in ISO_PROVIDERS.values() for f in feeds}

GRAPH = defs.resolve_asset_graph()
EVERY = sorted(GRAPH.get_all_asset_keys(), key=lambda k: k.to_user_string())
# the day-ahead price assets (group `prices`) have partitions of their own (market day x
# market, defs/prices.py): a backfill takes them or the grid's, and they are tested apart
PRICES = [k for k in EVERY if GRAPH.get(k).group_name == "prices"]
# the ISOs' own feeds (each provider's raw feeds, and group `iso`: harmonized/lmp_hourly and
# harmonized/operator_forecasts, partitioned by the regions with such feeds) are apart too
ISO = [
    k
    for k in EVERY
    if GRAPH.get(k).group_name == "iso" or (k.path[0] == "raw" and k.path[1] in ISO_RAW)
]
# the PVWatts typical-year profile (group `solar`, defs/solar.py) is partitioned by region only
# (a typical year serves every day) and run per region: tested in test_pvwatts.py
SOLAR = [k for k in EVERY if GRAPH.get(k).group_name == "solar"]
ALL = [k for k in EVERY if k not in PRICES and k not in ISO and k not in SOLAR]
DAY_AHEAD = [k for k in ALL if k.path[0] in ("models", "forecasts", "dispatch", "evaluation")]
# Dagster plans an asset backfill only when the roots of the selection share one partitions
# definition: each provider's raw feeds have their own (the regions it serves, from its first
# day), so a backfill takes one provider's raw feeds, or the graph from the harmonized layer
# down (every region-day asset there has the same partitions), after the raw feeds are stored.
# (the reconciliation of two providers' raw demand has partitions of its own: CAISO's days)
GRAPH_BELOW_RAW = [k for k in ALL if k.path[0] not in ("raw", "reconciliation")]
CAISO_RAW = [k for k in ALL if k.path[0] == "raw" and k.path[1].startswith("caiso")]


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
    [
        GRAPH_BELOW_RAW,
        DAY_AHEAD,
        [k for k in GRAPH_BELOW_RAW if k.path[0] in ("harmonized", "features")],
        CAISO_RAW,
    ],
    ids=["graph-below-raw", "day-ahead-layers", "ingest-layers", "one-provider-raw"],
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
    targets = _targets(GRAPH_BELOW_RAW, days)
    assert targets["harmonized/grid_hourly"] == sorted(days)
    assert targets["forecasts/load_day_ahead"] == [
        d for d in sorted(days) if d.split("|")[0] >= FIRST_DAY_AHEAD_DATE
    ]


def test_every_region_day_asset_runs_a_backfill_range_in_one_run():
    """Same policy everywhere, and no self-dependency: Dagster then groups the assets of a
    selection that share a partitions definition into one run over the range."""
    partitioned = [
        key for key in EVERY if GRAPH.get(key).partitions_def is not None and key not in SOLAR
    ]
    # the three reconciliation/* assets among them, GB's 4 raw feeds (NESO demand, the Carbon
    # Intensity API's national, regional and generation mix), the 14 partitioned price assets,
    # the ISOs' 35 raw feeds, NESO's 2 demand-forecast feeds (registered with them) and their
    # 3 harmonized tables (group `iso`)
    assert len(partitioned) == 34 + 4 + 14 + 35 + 2 + 3
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
            # a region-day the parent and the child have (GB's published intensity: GB, from
            # 2023; the ISO demand reconciliation: not CAISO, which its parent has)
            regions = [
                r
                for r in parent_def.get_partitions_def_for_dimension("region").get_partition_keys()
                if r in child_def.get_partitions_def_for_dimension("region").get_partition_keys()
            ]
            probe = "2020-09-05|CAISO" if "CAISO" in regions else f"2023-09-05|{regions[0]}"
            day = child_def.subset_with_partition_keys([probe])
            upstream = mapping.get_upstream_mapped_partitions_result_for_partitions(
                day, child_def, parent_def
            ).partitions_subset
            assert sorted(upstream.get_partition_keys()) == [probe], (key, parent)


def test_a_backfill_of_mixed_raw_roots_is_refused_by_dagster():
    """Why the selections above take one provider's raw feeds: Dagster refuses the others, and a
    selection from one provider's raw feeds whose harmonized tables also read another's (the
    weather) has the other's table as a root too."""
    with pytest.raises(DagsterBackfillFailedError, match="same PartitionsDefinition"):
        _targets(ALL, ["2020-09-01|CAISO"])
    with pytest.raises(DagsterBackfillFailedError, match="same PartitionsDefinition"):
        _targets([*CAISO_RAW, *GRAPH_BELOW_RAW], ["2020-09-01|CAISO"])


def test_eia_feeds_and_the_graph_backfill_every_us_region():
    # EIA-930's raw feeds serve every US region, the harmonized tables GB too (NESO): their
    # partitions differ, so the EIA feeds are one backfill and the layers below another
    days = ["2018-03-10|PJM", "2018-03-11|PJM"]  # spring forward in the middle
    eia = [k for k in ALL if k.path[0] == "raw" and k.path[1].startswith("eia930")]
    targets = _targets(eia, days)
    assert targets["raw/eia930_region_data"] == days
    below = [k for k in ALL if k.path[0] in ("harmonized", "features")]
    targets = _targets(below, days)
    assert targets["harmonized/grid_hourly"] == days
    assert targets["features/load_features"] == days
    with pytest.raises(DagsterBackfillFailedError, match="same PartitionsDefinition"):
        _targets([*eia, *below], days)


def test_a_selection_of_price_days_targets_exactly_those_days():
    """The price assets from the raw file to the score: a selection of days X..Y is X..Y for
    every asset that has those days (the day-ahead ones start after their history)."""
    days = ["2013-02-03|PJM", "2013-02-04|PJM", "2013-02-05|PJM", "2013-02-06|PJM"]
    targets = _targets(PRICES, days)
    assert set(targets) == {k.to_user_string() for k in PRICES}
    assert targets["raw/epftoolbox_prices"] == days
    assert targets["harmonized/prices"] == days
    assert targets["forecasts/price_day_ahead"] == days[2:]
    assert targets["evaluation/price_forecast_report"] is None
    for key in PRICES:
        for parent in GRAPH.get(key).parent_keys:
            child_def, parent_def = GRAPH.get(key).partitions_def, GRAPH.get(parent).partitions_def
            if child_def is None or parent_def is None:
                continue
            day = child_def.subset_with_partition_keys(["2016-12-28|PJM"])
            mapping = GRAPH.get_partition_mapping(key, parent)
            upstream = mapping.get_upstream_mapped_partitions_result_for_partitions(
                day, child_def, parent_def
            ).partitions_subset
            assert sorted(upstream.get_partition_keys()) == ["2016-12-28|PJM"], (key, parent)
