"""The stages of a run, in order; each a module of plain functions that take and return values.

    discover  raw folder -> Inventory (files + manifest rows, and what was skipped, with reasons)
    parse     files the cache does not know -> cache segments, in killable worker processes
    resolve   Inventory + cache -> the reports table (identity, status, duplicates)
    write     reports + cache -> fact partitions of a new snapshot (changed years only)
    derive    snapshot -> validation results/issues and aggregates (years that can have changed)
    publish   shrink guard, warehouse.duckdb, the atomic swap, the runs log

``run`` is the frame around them (lock, leftovers, clean-up on failure); the Prefect flow that
calls them in this order is ``flows/nightly.py``.
"""
