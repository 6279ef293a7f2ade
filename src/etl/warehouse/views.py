"""The SQL surface of the warehouse: the contract's views over the Parquet of one snapshot, plus
the template as small lookup tables with its Chinese labels (so the checks and aggregates read key
lists from etl.template, never from literals).  The run's checks and aggregates read the snapshot
being built through these views; ``etl.warehouse.database`` turns the same SELECTs into the
tables of the self-contained warehouse.duckdb.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from etl.template import (
    APPLICANT_COLUMN_KEYS,
    ROWS_2021_ONLY,
    RULES,
    SECTION2,
    SECTION3_COLUMNS,
    SECTION3_ROWS,
    SECTION4_GROUPS,
    SECTION4_KEYS,
    SECTION4_OUTCOMES,
    template_for_year,
)
from etl.warehouse.schemas import SCHEMAS, TABLES


def create_template_tables(con: duckdb.DuckDBPyConnection) -> None:
    """etl.template as tables: the one home of the key lists stays Python."""
    con.execute("CREATE OR REPLACE TABLE template_section3_rows (row_key VARCHAR, ord INTEGER, "
                "result_group VARCHAR, is_result BOOLEAN, only_2021 BOOLEAN, label VARCHAR)")
    con.executemany("INSERT INTO template_section3_rows VALUES (?, ?, ?, ?, ?, ?)",
                    [(r.key, i, r.group, r.is_result, r.key in ROWS_2021_ONLY, r.label)
                     for i, r in enumerate(SECTION3_ROWS)])
    con.execute("CREATE OR REPLACE TABLE template_section3_columns (column_key VARCHAR, "
                "ord INTEGER, is_applicant BOOLEAN, label VARCHAR)")
    con.executemany("INSERT INTO template_section3_columns VALUES (?, ?, ?, ?)",
                    [(c.key, i, c.key in APPLICANT_COLUMN_KEYS, c.label)
                     for i, c in enumerate(SECTION3_COLUMNS)])
    con.execute("CREATE OR REPLACE TABLE template_section4 (item VARCHAR, outcome VARCHAR, "
                "key VARCHAR, ord INTEGER, item_label VARCHAR, outcome_label VARCHAR)")
    con.executemany("INSERT INTO template_section4 VALUES (?, ?, ?, ?, ?, ?)",
                    [(g.prefix, o, f"{g.prefix}_{o}", SECTION4_KEYS.index(f"{g.prefix}_{o}"), g.label,
                      label) for g in SECTION4_GROUPS for o, label in SECTION4_OUTCOMES])
    con.execute("CREATE OR REPLACE TABLE template_section2 (version VARCHAR, item VARCHAR, "
                "category VARCHAR, metric VARCHAR, ord INTEGER, category_label VARCHAR, "
                "metric_label VARCHAR)")
    con.executemany("INSERT INTO template_section2 VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [(v, t.item, c.key, m.key, i, c.label, m.label) for v, tables in SECTION2.items()
                     for t in tables for c in t.categories for i, m in enumerate(t.metrics)])
    con.execute("CREATE OR REPLACE TABLE rules (rule VARCHAR, scope VARCHAR, severity VARCHAR, "
                "description VARCHAR)")
    con.executemany("INSERT INTO rules VALUES (?, ?, ?, ?)",
                    [(r.id, r.scope, r.severity, r.description) for r in RULES])


def register_functions(con: duckdb.DuckDBPyConnection) -> None:
    """template_for_year(year) in SQL is the Python one (the template_year rule's one home)."""
    for name, fn, args, ret in (
        ("template_for_year", _template_for_year, ["INTEGER"], "VARCHAR"),
        ("run_admits", run_admits, ["VARCHAR", "INTEGER", "INTEGER", "BIGINT"], "BOOLEAN"),
    ):
        try:
            con.create_function(name, fn, args, ret, null_handling="special")  # type: ignore[call-overload]
        except (duckdb.CatalogException, duckdb.NotImplementedException):
            pass        # already registered on this connection


#: Stop enumerating splits of a digit run beyond this many (then: can't tell, NULL).
RUN_SPLIT_LIMIT = 20_000


def run_admits(run: str | None, n: int | None, k: int | None, value: int | None) -> bool | None:
    """Does some split of the digit ``run`` into ``n`` cells put ``value`` at place ``k``?
    NULL when it can't be told (no split at all, too many splits, missing input).  The splits
    are etl.parse.digits' (the parser's own rules: no leading zeros, spaces ignored)."""
    if run is None or n is None or k is None or value is None or not 0 <= k < n:
        return None
    from etl.parse.digits import candidate_splits

    splits = candidate_splits(run, n, limit=RUN_SPLIT_LIMIT + 1)
    if not splits or len(splits) > RUN_SPLIT_LIMIT:
        return None
    return any(s[k] == value for s in splits)


def _template_for_year(year: int | None) -> str | None:
    return None if year is None else template_for_year(year)


# The contract's column order: the report, its year and identity, the fact, the status.
_COLUMNS: dict[str, str] = {
    "applications": "row_key, applicant, value, raw, state, source, note, original_value, "
                    "original_state, status",
    "active_disclosure": "category, metric, value, raw, state, source, note, original_value, "
                         "original_state, status",
    "review_litigation": "item, outcome, key, value, raw, state, source, note, original_value, "
                         "original_state, status",
    "prose_figures": "key, value, text, source, status",
    "validation_issues": "rule, severity, cells, formula, expected, actual, delta, message, "
                         "region_path, level, source_file",
    "validation_results": "rule, severity, status, reason, n_checks, n_passed, n_failed, "
                          "n_not_assessable, region_path, level, source_file",
}
_HEAD = {
    "applications": "report_id, year, agency_id, agency, region_path, level",
    "active_disclosure": "report_id, year, agency_id, agency, region_path, level",
    "review_litigation": "report_id, year, agency_id, agency, region_path, level",
    "prose_figures": "report_id, year, agency_id, agency, region_path, level",
    "validation_issues": "report_id, year, agency_id, agency",
    "validation_results": "report_id, year, agency_id, agency",
}


def contract_select(table: str, source: str) -> str:
    """The SELECT that turns a stored table (``source``, with ``year`` 0 for unknown) into the
    table users see (``year`` NULL for unknown, columns in the contract's order)."""
    if table == "reports":
        return (f"SELECT report_id, nullif(year, 0)::INTEGER AS year, "
                f"* EXCLUDE (report_id, year) FROM {source}")
    if table == "aggregates":
        return f"SELECT year, region_path, level, metric, value, n_reports FROM {source}"
    if table == "corrections":
        return (f"SELECT nullif(year, 0)::INTEGER AS year, * EXCLUDE (year) FROM {source}")
    head = _HEAD[table].replace("year", "nullif(year, 0)::INTEGER AS year")
    return f"SELECT {head}, {_COLUMNS[table]} FROM {source}"


def register_snapshot(con: duckdb.DuckDBPyConnection, snapshot: Path,
                      years: set[int] | None = None, tables: tuple[str, ...] = TABLES) -> None:
    """``_<table>``: each table of the snapshot (the partitions of ``years`` only, when given)
    as a view with its ``year``.  DuckDB reads the Parquet itself (its memory limit holds, it
    can spill); the files are named through DuckDB's relation API, so no path — whatever
    characters the warehouse's folder has — is ever written into SQL text by us."""
    from etl.warehouse.store import partition_files

    for t in tables:
        rel = None
        for y, f in partition_files(snapshot, t):
            if years is None or y in years:
                r = con.read_parquet(str(f)).project(f"*, {int(y)}::INTEGER AS year")
                rel = r if rel is None else rel.union(r)
        if rel is None:
            # No partition: an empty table of the schema, registered (a session view) because
            # a view over a Python object cannot be stored in a database file.
            con.register(f"_{t}", SCHEMAS[t].append(pa.field("year", pa.int32())).empty_table())
        else:
            con.unregister(f"_{t}")     # an earlier call's empty table would shadow the view
            rel.create_view(f"_{t}", replace=True)


def create_views(con: duckdb.DuckDBPyConnection, snapshot: Path,
                 years: set[int] | None = None) -> None:
    """The contract's views over a snapshot's Parquet (the run's checks and aggregates read
    these; ``years`` limits them to the partitions a one-year rerun needs)."""
    register_snapshot(con, snapshot, years)
    for t in TABLES:
        con.execute(f"CREATE OR REPLACE VIEW {t} AS {contract_select(t, '_' + t)}")
    create_identity_view(con)


def create_identity_view(con: duckdb.DuckDBPyConnection) -> None:
    # One identity row per report_id (byte-identical copies share an id; prefer the kept one).
    con.execute("""
        CREATE OR REPLACE VIEW report_identity AS
        SELECT * FROM reports
        QUALIFY row_number() OVER (PARTITION BY report_id
                                   ORDER BY status IN ('loaded', 'superseded') DESC,
                                            status = 'loaded' DESC, source_file) = 1""")
