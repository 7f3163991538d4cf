"""Provider adapters: HTTP fetch and pure parsers, one module per provider. No Dagster imports."""
