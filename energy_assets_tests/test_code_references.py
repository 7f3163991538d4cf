"""Every asset's UI page links to its code: `dagster/code_references` names the file that holds
it (a raw asset's provider module; otherwise `energy_assets/defs/<layer>.py`, or
`energy_assets/defs/prices.py` for the price group, `defs/iso.py` for group `iso`,
`defs/solar.py` for group `solar`, at its function)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from dagster._core.remote_representation.external_data import RepositorySnap

from energy_assets.definitions import CODE_REFERENCES, build_definitions
from energy_assets.defs_support.resources import default_resources

PACKAGE = Path(__file__).resolve().parents[1] / "energy_assets"


def test_every_asset_links_to_its_code(tmp_path):
    defs = build_definitions(default_resources(tmp_path))
    graph = defs.resolve_asset_graph()
    keys = list(graph.get_all_asset_keys())
    assert len(keys) > 20
    for key in keys:
        node = graph.get(key)
        value = node.metadata.get(CODE_REFERENCES)
        assert isinstance(value, dg.CodeReferencesMetadataValue), key
        (reference,) = value.code_references  # one: the asset's own, not a factory's too
        assert isinstance(reference, dg.LocalFileCodeReference), key
        path = Path(reference.file_path)
        assert path.is_absolute() and path.is_file(), key
        layer, name = key.path
        if layer == "raw":
            provider = node.metadata["provider"]
            assert path == PACKAGE / "sources" / f"{provider}.py", key
            assert reference.line_number == 1
        else:
            # the day-ahead price assets (every layer) are one module: defs/prices.py; the
            # ISOs' harmonized tables (group `iso`) are defs/iso.py, but their demand and fuel
            # mix, harmonized/iso_grid_hourly, which is defs/iso_grid.py; the PVWatts profile
            # (group `solar`) is defs/solar.py
            module = node.group_name if node.group_name in ("prices", "iso", "solar") else layer
            if key == dg.AssetKey(["harmonized", "iso_grid_hourly"]):
                module = "iso_grid"
            assert path == PACKAGE / "defs" / f"{module}.py", key
            # the line is the asset function's (its decorator or its def), or for an asset a
            # factory makes, the line that names it (`<name> = _factory(...)`)
            lines = path.read_text().splitlines()
            if lines[reference.line_number - 1].startswith(f"{name} = "):
                continue
            text = "\n".join(lines[reference.line_number - 1 :])
            first_def = text[text.index("def ") :].split("(", 1)[0]
            assert first_def == f"def {name}", (key, reference.line_number)


def test_the_ui_snapshot_carries_the_references(tmp_path):
    defs = build_definitions(default_resources(tmp_path))
    snap = RepositorySnap.from_def(defs.get_repository_def())
    nodes = [n for n in snap.asset_nodes if n.asset_key.path[0] == "dispatch"]
    assert nodes and all(CODE_REFERENCES in n.metadata for n in nodes)
