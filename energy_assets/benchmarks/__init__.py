"""Reproducible benchmarks on public datasets (pure modules plus an argparse entry point each)."""
