"""The code location imports no heavy model, solver or plotting library.

Every run process the Dagster daemon launches imports `energy_assets.definitions`; lightgbm,
MLX, OR-Tools and matplotlib are imported inside the functions that use them, so a run pays for
them only when it trains, solves or plots. Checked in a fresh interpreter (this test process may
already have imported them for other tests).
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("lightgbm", "mlx", "ortools", "matplotlib")

_PROBE = f"""
import json, sys
import energy_assets.definitions
print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))
"""


def test_definitions_import_no_heavy_libraries():
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert loaded == [], f"importing energy_assets.definitions loads {loaded}"
