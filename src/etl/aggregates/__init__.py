"""Aggregation as SQL (``sums.sql``, then ``aggregates.sql``; metric definitions in
``metrics.md`` beside them)."""

from __future__ import annotations

from importlib import resources


def sums_sql() -> str:
    """Statements that make the temp tables aggregates.sql reads (the sums per printed region
    and level, the regions' ancestors, the rates, and the rank of every name)."""
    return resources.files("etl.aggregates").joinpath("sums.sql").read_text("utf-8")


def aggregate_sql() -> str:
    """The aggregates with their names as ranks (aggregate_names) and their place in the file's
    order (sort_key)."""
    return resources.files("etl.aggregates").joinpath("aggregates.sql").read_text("utf-8")
