"""The layers (asset groups), the job that builds each, and the code location's name: the
constants the jobs, the IO manager's error messages, the command line and the backfill client
share. No Dagster import, so the light modules (the backfill client) can use them.
"""

from __future__ import annotations

INGEST_LAYERS = ("raw", "harmonized", "features")
DAY_AHEAD_LAYERS = ("models", "forecasts", "dispatch", "evaluation")

# The job that materializes each layer, named in "missing upstream" errors (a raw feed has a
# job of its own: `raw_job_name`).
JOB_FOR_LAYER = {
    **{layer: "ingest_job" for layer in INGEST_LAYERS if layer != "raw"},
    **{layer: "day_ahead_job" for layer in DAY_AHEAD_LAYERS},
}


def raw_job_name(provider: str, feed: str) -> str:
    """The job that materializes `raw/<provider>_<feed>`."""
    return f"raw_{provider}_{feed}_job"


# workspace.yaml serves `energy_assets.definitions` as this code location; a `Definitions` object
# is served as the repository `__repository__`. The UI files a run under its job by this tag.
LOCATION_NAME = "energy_assets"
REPOSITORY_NAME = "__repository__"
REPOSITORY_TAG = {".dagster/repository": f"{REPOSITORY_NAME}@{LOCATION_NAME}"}
