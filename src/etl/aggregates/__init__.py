"""Aggregation as SQL (``aggregates.sql``; metric definitions in ``metrics.md`` beside it)."""

from __future__ import annotations

from importlib import resources


def aggregate_sql() -> str:
    return resources.files("etl.aggregates").joinpath("aggregates.sql").read_text("utf-8")
