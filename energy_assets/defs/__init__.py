import warnings

# The window readers (features, the ensemble) run a backfill's chain of days in one run
# (`BackfillPolicy.single_run()`, marked beta in Dagster 1.13); the other assets of their jobs run
# one run per partition, so a job backfill launched from a job's page takes one run per partition,
# which is what Dagster says here at every load. Both are expected; see README "Backfill".
warnings.filterwarnings("ignore", message=r"Asset job \w+ materializes assets with varying")
warnings.filterwarnings("ignore", message=r"Parameter `backfill_policy` of function `asset`")
