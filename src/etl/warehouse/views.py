"""The SQL surface of the warehouse: views over the Parquet of one snapshot folder, plus the
template as small lookup tables (so the checks and aggregates read key lists from etl.template,
never from literals).  The same function serves the persistent warehouse.duckdb (over
``current/``), the in-memory connection of ``etl sql``, and the checks of a run in progress (over
the snapshot being built).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from etl.template import (
    APPLICANT_COLUMN_KEYS,
    ROWS_2021_ONLY,
    RULES,
    SECTION2,
    SECTION3_COLUMN_KEYS,
    SECTION3_ROWS,
    SECTION4_GROUPS,
    SECTION4_KEYS,
    SECTION4_OUTCOMES,
    template_for_year,
)
from etl.warehouse.schemas import TABLES

# Columns the contract views add to every fact table, from the report it belongs to.
_IDENTITY = "r.agency_id, r.agency, r.region_path, r.level"


def _lit(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def parquet_source(root: Path, table: str) -> str:
    glob = _lit(f"{Path(root).resolve()}/{table}/*/*.parquet")
    return (f"read_parquet({glob}, hive_partitioning = true, "
            f"hive_types = {{'year': INTEGER}}, union_by_name = true)")


def create_template_tables(con: duckdb.DuckDBPyConnection) -> None:
    """etl.template as tables: the one home of the key lists stays Python."""
    con.execute("CREATE OR REPLACE TABLE template_section3_rows (row_key VARCHAR, ord INTEGER, "
                "result_group VARCHAR, is_result BOOLEAN, only_2021 BOOLEAN)")
    con.executemany("INSERT INTO template_section3_rows VALUES (?, ?, ?, ?, ?)",
                    [(r.key, i, r.group, r.is_result, r.key in ROWS_2021_ONLY)
                     for i, r in enumerate(SECTION3_ROWS)])
    con.execute("CREATE OR REPLACE TABLE template_section3_columns (column_key VARCHAR, "
                "ord INTEGER, is_applicant BOOLEAN)")
    con.executemany("INSERT INTO template_section3_columns VALUES (?, ?, ?)",
                    [(k, i, k in APPLICANT_COLUMN_KEYS) for i, k in enumerate(SECTION3_COLUMN_KEYS)])
    con.execute("CREATE OR REPLACE TABLE template_section4 (item VARCHAR, outcome VARCHAR, "
                "key VARCHAR, ord INTEGER)")
    con.executemany("INSERT INTO template_section4 VALUES (?, ?, ?, ?)",
                    [(g.prefix, o, f"{g.prefix}_{o}", SECTION4_KEYS.index(f"{g.prefix}_{o}"))
                     for g in SECTION4_GROUPS for o, _ in SECTION4_OUTCOMES])
    con.execute("CREATE OR REPLACE TABLE template_section2 (version VARCHAR, item VARCHAR, "
                "category VARCHAR, metric VARCHAR, ord INTEGER)")
    con.executemany("INSERT INTO template_section2 VALUES (?, ?, ?, ?, ?)",
                    [(v, t.item, c.key, m.key, i) for v, tables in SECTION2.items()
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
            con.create_function(name, fn, args, ret, null_handling="special")
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


def create_views(con: duckdb.DuckDBPyConnection, root: Path, present: set[str] | None = None) -> None:
    """Views named as the contract says, over ``root/<table>/year=*/*.parquet``.

    ``present``: the tables that have files (default: those with a folder under ``root``); a table
    without files gets an empty view of the right shape so queries never fail on a fresh warehouse.
    """
    root = Path(root)
    for t in TABLES:
        has_files = any((root / t).glob("*/*.parquet")) if present is None else t in present
        if has_files:
            src = parquet_source(root, t)
        else:
            src = f"(SELECT *, NULL::INTEGER AS year FROM _empty_{t})"
            _create_empty(con, t)
        con.execute(f"CREATE OR REPLACE VIEW _{t} AS SELECT * FROM {src}")

    con.execute("""
        CREATE OR REPLACE VIEW reports AS
        SELECT report_id, nullif(year, 0)::INTEGER AS year, * EXCLUDE (report_id, year)
        FROM _reports""")
    # One identity row per report_id (byte-identical copies share an id; prefer the loaded one).
    con.execute("""
        CREATE OR REPLACE VIEW report_identity AS
        SELECT * FROM reports
        QUALIFY row_number() OVER (PARTITION BY report_id
                                   ORDER BY status = 'loaded' DESC, source_file) = 1""")
    con.execute(f"""
        CREATE OR REPLACE VIEW applications AS
        SELECT f.report_id, r.year, {_IDENTITY}, f.row_key, f.applicant, f.value, f.raw, f.state,
               f.source, f.note, r.status
        FROM _applications f JOIN report_identity r USING (report_id)""")
    con.execute(f"""
        CREATE OR REPLACE VIEW active_disclosure AS
        SELECT f.report_id, r.year, {_IDENTITY}, f.category, f.metric, f.value, f.raw, f.state,
               f.source, f.note, r.status
        FROM _active_disclosure f JOIN report_identity r USING (report_id)""")
    con.execute(f"""
        CREATE OR REPLACE VIEW review_litigation AS
        SELECT f.report_id, r.year, {_IDENTITY}, f.item, f.outcome, f.key, f.value, f.raw,
               f.state, f.source, f.note, r.status
        FROM _review_litigation f JOIN report_identity r USING (report_id)""")
    con.execute(f"""
        CREATE OR REPLACE VIEW prose_figures AS
        SELECT f.report_id, r.year, {_IDENTITY}, f.key, f.value, f.text, f.source, r.status
        FROM _prose_figures f JOIN report_identity r USING (report_id)""")
    con.execute(f"""
        CREATE OR REPLACE VIEW validation_issues AS
        SELECT f.report_id, r.year, r.agency_id, r.agency, f.rule, f.severity, f.cells, f.formula,
               f.expected, f.actual, f.delta, f.message, r.region_path, r.level, r.source_file
        FROM _validation_issues f JOIN report_identity r USING (report_id)""")
    con.execute(f"""
        CREATE OR REPLACE VIEW validation_results AS
        SELECT f.report_id, r.year, r.agency_id, r.agency, f.rule, f.severity, f.status, f.reason,
               f.n_checks, f.n_passed, f.n_failed, f.n_not_assessable, r.region_path, r.level,
               r.source_file
        FROM _validation_results f JOIN report_identity r USING (report_id)""")
    con.execute("""
        CREATE OR REPLACE VIEW aggregates AS
        SELECT year, region_path, level, metric, value, n_reports FROM _aggregates""")


def _create_empty(con: duckdb.DuckDBPyConnection, table: str) -> None:
    from etl.warehouse.schemas import empty

    con.register("_empty_arrow", empty(table))
    con.execute(f"CREATE OR REPLACE TABLE _empty_{table} AS SELECT * FROM _empty_arrow")
    con.unregister("_empty_arrow")
