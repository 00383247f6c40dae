"""The Parquet lake: schemas, atomic partition writes, manifests."""
