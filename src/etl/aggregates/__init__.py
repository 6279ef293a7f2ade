"""Aggregation as SQL (``aggregates.sql``; metric definitions in ``metrics.md`` beside it)."""

from __future__ import annotations

from importlib import resources

import duckdb
import pyarrow as pa


def aggregate_sql() -> str:
    return resources.files("etl.aggregates").joinpath("aggregates.sql").read_text("utf-8")


def run_aggregates(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """The aggregates table (with ``year``) over the views of ``con``."""
    return con.sql(aggregate_sql()).to_arrow_table()
