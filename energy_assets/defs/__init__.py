import warnings

# Every region-day asset runs a backfill's range in one run (`BackfillPolicy.single_run()`,
# marked beta in Dagster 1.13; see defs_support/ranges.py and README "Backfill").
warnings.filterwarnings("ignore", message=r"Parameter `backfill_policy` of function `asset`")
