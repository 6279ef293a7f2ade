"""`etl sql`: ad hoc read-only SQL over the warehouse that never blocks (or is blocked by) a run.

It never opens warehouse.duckdb (whose file lock would block the nightly writer): it opens an
in-memory DuckDB, creates the same views over the published Parquet (``current/``), then
  * accepts only SELECT / EXPLAIN statements (no COPY, CREATE, INSERT, ATTACH, SET …), and
  * turns off file system access except reading inside the warehouse folder and locks that
    configuration,
so a query cannot write anywhere, and a run that swaps ``current`` meanwhile is not disturbed.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import duckdb

from etl.warehouse.store import Layout
from etl.warehouse.views import create_template_tables, create_views

ALLOWED = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}


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


def _jsonable(v):
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return str(v)


def format_rows(names: list[str], rows: list[tuple], fmt: str) -> str:
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(names)
        w.writerows(["" if v is None else v for v in r] for r in rows)
        return buf.getvalue()
    if fmt == "json":
        return json.dumps([{n: _jsonable(v) for n, v in zip(names, r)} for r in rows],
                          ensure_ascii=False, indent=1) + "\n"
    raise ValueError(fmt)


def sql_command(query: str, warehouse: Path, fmt: str = "table") -> int:
    if fmt not in ("table", "csv", "json"):
        print(f"unknown --format {fmt!r}: table | csv | json", file=sys.stderr)
        return 2
    try:
        names, rows = run_query(query, warehouse)
    except (ReadOnlyError, FileNotFoundError) as e:
        print(f"etl sql: {e}", file=sys.stderr)
        return 2
    except duckdb.Error as e:
        print(f"etl sql: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    if fmt == "table":
        from rich.console import Console
        from rich.table import Table

        table = Table(show_lines=False)
        for n in names:
            table.add_column(n, overflow="fold")
        for r in rows:
            table.add_row(*("" if v is None else str(v) for v in r))
        Console().print(table)
        Console(stderr=True).print(f"{len(rows)} rows")
    else:
        sys.stdout.write(format_rows(names, rows, fmt))
    return 0
