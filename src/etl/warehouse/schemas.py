"""Arrow schemas of every Parquet table the warehouse writes — declared, never inferred.

Each table is hive-partitioned by ``year`` (the partition column is the folder name, not stored in
the files; reports whose year is unknown go to ``year=0`` and the views turn 0 back into NULL).
Fact tables hold only what belongs to the fact (``report_id`` + the cell); agency, region and level
live once in ``reports`` and the DuckDB views join them in (see ``etl.warehouse.views``).
"""

from __future__ import annotations

import pyarrow as pa

#: Partition value for reports whose year could not be determined (quarantined files).
UNKNOWN_YEAR = 0

_CELL_TAIL = [
    ("raw", pa.string()),           # the text as printed ("" when nothing was printed)
    ("state", pa.string()),         # etl.template.CELL_STATES
    ("source", pa.string()),        # provenance: "line 123", "table 2 r5 c3 p3"
    ("note", pa.string()),          # why (e.g. why a digit run stayed unknown)
]

SCHEMAS: dict[str, pa.Schema] = {
    "reports": pa.schema([
        ("report_id", pa.string()),         # sha256 of the file's bytes, first 16 hex chars
        ("agency_id", pa.string()),         # from the manifest (stable across years)
        ("agency", pa.string()),
        ("agency_key", pa.string()),        # cross-year identity: agency_id, else normalized name
        ("region_path", pa.string()),       # "江苏省/淮安市/洪泽区"
        ("level", pa.string()),
        ("template", pa.string()),          # "2019" | "2021", from what the tables print
        ("source_file", pa.string()),       # POSIX path relative to the raw root
        ("format", pa.string()),            # the reader's form (flat_text, html, pdf, …)
        ("published", pa.date32()),
        ("source_url", pa.string()),
        ("title", pa.string()),
        ("parser_version", pa.string()),
        ("status", pa.string()),            # loaded | quarantined | superseded
        ("error_reason", pa.string()),      # ReportError.reason (parse_failed for a crash)
        ("error_detail", pa.string()),
        ("identity_source", pa.string()),   # JSON {"agency": "manifest", "year": "prose", …}
        ("warnings", pa.string()),          # the parser's warnings, one per line
    ]),
    "applications": pa.schema([
        ("report_id", pa.string()),
        ("row_key", pa.string()),           # etl.template.SECTION3_ROW_KEYS
        ("applicant", pa.string()),         # etl.template.SECTION3_COLUMN_KEYS (incl. total)
        ("value", pa.int64()),
        *_CELL_TAIL,
    ]),
    "active_disclosure": pa.schema([
        ("report_id", pa.string()),
        ("category", pa.string()),          # etl.template.SECTION2 category keys
        ("metric", pa.string()),
        ("value", pa.float64()),
        *_CELL_TAIL,
    ]),
    "review_litigation": pa.schema([
        ("report_id", pa.string()),
        ("item", pa.string()),              # review | suit_direct | suit_after_review
        ("outcome", pa.string()),           # upheld | corrected | other | pending | total
        ("key", pa.string()),               # item_outcome (etl.template.SECTION4_KEYS)
        ("value", pa.int64()),
        *_CELL_TAIL,
    ]),
    "prose_figures": pa.schema([
        ("report_id", pa.string()),
        ("key", pa.string()),               # etl.template.PROSE_FIGURE_KEYS
        ("value", pa.float64()),
        ("text", pa.string()),
        ("source", pa.string()),
    ]),
    "validation_results": pa.schema([
        ("report_id", pa.string()),
        ("rule", pa.string()),
        ("severity", pa.string()),
        ("status", pa.string()),            # passed | failed | not_assessable
        ("reason", pa.string()),            # why not assessable / what failed
        ("n_checks", pa.int64()),
        ("n_passed", pa.int64()),
        ("n_failed", pa.int64()),
        ("n_not_assessable", pa.int64()),
    ]),
    "validation_issues": pa.schema([
        ("report_id", pa.string()),         # cross-year issues: the report of the later year t
        ("rule", pa.string()),
        ("severity", pa.string()),
        ("cells", pa.string()),             # the cells involved, with their values
        ("formula", pa.string()),
        ("expected", pa.int64()),
        ("actual", pa.int64()),
        ("delta", pa.int64()),              # actual - expected
        ("message", pa.string()),
    ]),
    "aggregates": pa.schema([
        ("region_path", pa.string()),       # a region or any ancestor of it; '(all)' = every region
        ("level", pa.string()),             # an agency level; '(all)' = every level
        ("metric", pa.string()),            # see etl/aggregates/metrics.md
        ("value", pa.float64()),
        ("n_reports", pa.int64()),          # loaded reports that printed a value for the metric
    ]),
}

#: Tables written from parsed reports (rebuilt per year) vs. derived by SQL (rebuilt every run).
FACT_TABLES: tuple[str, ...] = ("reports", "applications", "active_disclosure", "review_litigation",
                                "prose_figures")
DERIVED_TABLES: tuple[str, ...] = ("validation_results", "validation_issues", "aggregates")
TABLES: tuple[str, ...] = FACT_TABLES + DERIVED_TABLES

#: Sort order of each table's rows, so that two runs on the same input write identical files.
SORT_KEYS: dict[str, tuple[str, ...]] = {
    "reports": ("source_file", "report_id"),
    "applications": ("report_id", "row_key", "applicant"),
    "active_disclosure": ("report_id", "category", "metric"),
    "review_litigation": ("report_id", "item", "outcome"),
    "prose_figures": ("report_id", "key", "source", "text", "value"),
    "validation_results": ("report_id", "rule"),
    "validation_issues": ("report_id", "rule", "cells", "message"),
    "aggregates": ("region_path", "level", "metric"),
}

RUNS_SCHEMA = pa.schema([
    ("run_id", pa.string()),
    ("started_at", pa.timestamp("us", tz="UTC")),
    ("finished_at", pa.timestamp("us", tz="UTC")),
    ("year", pa.int32()),                   # the year rebuilt, NULL = all years
    ("raw_root", pa.string()),
    ("status", pa.string()),                # completed | failed
    ("files", pa.int64()),
    ("loaded", pa.int64()),
    ("quarantined", pa.int64()),
    ("superseded", pa.int64()),
    ("issues", pa.int64()),
    ("parser_version", pa.string()),
    ("error", pa.string()),
])


def empty(table: str) -> pa.Table:
    return SCHEMAS[table].empty_table()
