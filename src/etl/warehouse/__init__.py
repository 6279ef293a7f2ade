"""The warehouse: Arrow schemas, normalization of parsed reports into rows, versioned Parquet
with an atomic snapshot swap, DuckDB views, and read-only queries (`etl sql`)."""
