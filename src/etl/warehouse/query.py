"""`etl sql`: ad hoc read-only SQL over the warehouse that never blocks (or is blocked by) a run.

It never opens warehouse.duckdb (whose file lock would block the nightly writer): it opens an
in-memory DuckDB, creates the same views over the published Parquet (``current/``), then
  * accepts only SELECT / EXPLAIN statements (no COPY, CREATE, INSERT, ATTACH, SET …), and
  * turns off file system access except reading inside the warehouse folder and locks that
    configuration,
so a query cannot write anywhere, and a run that swaps ``current`` meanwhile is not disturbed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

from etl.warehouse.store import Layout
from etl.warehouse.views import create_template_tables, create_views

# MULTI: what DuckDB's parser makes of a PIVOT whose columns it must look up first (it runs a
# SELECT DISTINCT, then the pivot).  Allowed so that PIVOT works; what a MULTI could wrap besides
# (COPY, INSERT, CREATE … AS PIVOT) the engine refuses or keeps inside this throw-away
# connection (external access off, configuration locked, views not insertable).
ALLOWED = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN, duckdb.StatementType.MULTI}


class ReadOnlyError(ValueError):
    pass


def connect_readonly(warehouse: str | Path) -> duckdb.DuckDBPyConnection:
    layout = Layout(Path(warehouse).resolve())
    if layout.current_snapshot() is None:
        raise FileNotFoundError(f"no warehouse at {layout.root} (run `etl run` first)")
    con = duckdb.connect(":memory:")
    create_template_tables(con)
    create_views(con, layout.current)
    con.execute(f"CREATE OR REPLACE VIEW runs AS SELECT * FROM "
                f"read_parquet('{layout.runs}/*.parquet', union_by_name = true)")
    root = str(layout.root).replace("'", "''")
    con.execute(f"SET allowed_directories = ['{root}/']")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con


def check_read_only(query: str) -> None:
    try:
        statements = duckdb.extract_statements(query)
    except duckdb.Error as e:
        raise ReadOnlyError(str(e)) from e
    if not statements:
        raise ReadOnlyError("empty query")
    for st in statements:
        if st.type not in ALLOWED:
            raise ReadOnlyError(f"read-only: {st.type.name} statements are not allowed "
                                f"(only SELECT / EXPLAIN)")


def run_query(query: str, warehouse: str | Path) -> tuple[list[str], list[tuple]]:
    check_read_only(query)
    con = connect_readonly(warehouse)
    try:
        cur = con.execute(query)
        names = [d[0] for d in cur.description] if cur.description else []
        return names, cur.fetchall()
    finally:
        con.close()


def sql_command(query: str, warehouse: Path, fmt: str = "table", out: Path | None = None,
                bom: bool | None = None) -> int:
    from etl.export.formats import FORMATS, write_result

    if fmt not in FORMATS:
        print(f"unknown --format {fmt!r}: {' | '.join(FORMATS)}", file=sys.stderr)
        return 2
    try:
        names, rows = run_query(query, warehouse)
    except (ReadOnlyError, FileNotFoundError) as e:
        print(f"etl sql: {e}", file=sys.stderr)
        return 2
    except duckdb.Error as e:
        print(f"etl sql: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    return write_result(names, rows, fmt, out, bom)
