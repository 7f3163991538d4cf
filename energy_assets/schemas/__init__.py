"""One Pandera (polars backend) `DataFrameModel` per warehouse table, by layer."""
