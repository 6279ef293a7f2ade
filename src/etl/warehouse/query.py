"""`etl sql`: ad hoc read-only SQL over the warehouse that never blocks (or is blocked by) a run
and cannot change it.

Read-only is what the engine can do, not a list of words:

* the connection opens the published snapshot's own DuckDB file with ``read_only=True`` (that
  file is never written again: a run writes a new snapshot's file), so no statement can modify
  a table, and an open session never holds a lock a run needs;
* external access is switched off (no file read or written outside that database, no COPY, no
  ATTACH, no extension loading) and the configuration is locked, so no statement can switch it
  back on;
* the statement types DuckDB's own parser reports are allow-listed (SELECT — which includes
  PIVOT, DESCRIBE, SHOW, SUMMARIZE — and EXPLAIN);
* every query runs under a time limit (interrupted after ETL_QUERY_TIMEOUT seconds) and a memory
  cap (ETL_QUERY_MEMORY; beyond it the query fails, it never spills to disk); the session has no
  temp directory (DuckDB admits file operations into it even with external access off).

The ``runs`` table (failed runs included) is read from the warehouse's runs log into memory
before external access is switched off.
"""

from __future__ import annotations

import re
import sys
import threading
from pathlib import Path

import duckdb

from etl.settings import Settings
from etl.warehouse.database import attach_read_only
from etl.warehouse.store import DATABASE, Layout

ALLOWED = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}
# A PIVOT without an IN list parses as MULTI (DuckDB first collects the pivot values into a
# temporary ENUM); it is allowed as that one statement, and runs under the same engine limits.
_PIVOT = re.compile(r"^(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*(?:UN)?PIVOT\b", re.IGNORECASE | re.DOTALL)


class ReadOnlyError(ValueError):
    pass


class QueryTimeout(RuntimeError):
    pass


def connect_readonly(warehouse: str | Path, settings: Settings | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published warehouse (see the module docstring)."""
    from etl.stages.run import read_runs

    settings = settings or Settings.load()
    layout = Layout(Path(warehouse).resolve())
    snapshot = layout.current_snapshot()
    if snapshot is None:
        raise FileNotFoundError(f"no warehouse at {layout.root} (run `etl run` first)")
    db = snapshot / DATABASE
    if not db.is_file():
        raise FileNotFoundError(f"the warehouse at {layout.root} was built by an older version "
                                f"(no {DATABASE} in its snapshot): run `etl run` once")
    con = duckdb.connect(":memory:", config={
        "memory_limit": f"{max(settings.query_memory // 2**20, 16)}MB",
        "max_temp_directory_size": "0B",
        # No temp directory at all: DuckDB lets file operations into its temp directory even
        # with external access off, and the default one is ".tmp" under the working folder —
        # a warehouse kept below it could be overwritten by `COPY … TO` (found by bench/chaos.py).
        "temp_directory": "",
    })
    try:
        attach_read_only(con, db)
        runs = read_runs(layout)
        con.register("_all_runs", runs)
        con.execute("CREATE TEMP VIEW runs AS SELECT * FROM _all_runs ORDER BY started_at")
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


def check_read_only(query: str) -> None:
    try:
        statements = duckdb.extract_statements(query)
    except duckdb.Error as e:
        raise ReadOnlyError(str(e)) from e
    if not statements:
        raise ReadOnlyError("empty query")
    for st in statements:
        if st.type == duckdb.StatementType.MULTI and _PIVOT.match(st.query):
            continue
        if st.type not in ALLOWED:
            raise ReadOnlyError(f"read-only: {st.type.name} statements are not allowed "
                                f"(only SELECT, PIVOT, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN)")


def execute(con: duckdb.DuckDBPyConnection, query: str, timeout: float) -> tuple[list[str], list[tuple]]:
    """Run an allow-listed query under a time limit (DuckDB interrupts it from a timer)."""
    check_read_only(query)
    timer = threading.Timer(timeout, con.interrupt)
    timer.daemon = True
    timer.start()
    try:
        cur = con.execute(query)
        names = [d[0] for d in cur.description] if cur.description else []
        return names, cur.fetchall()
    except duckdb.InterruptException:
        raise QueryTimeout(f"the query ran longer than {timeout:g} s (ETL_QUERY_TIMEOUT)") from None
    finally:
        timer.cancel()


def run_query(query: str, warehouse: str | Path,
              settings: Settings | None = None) -> tuple[list[str], list[tuple]]:
    settings = settings or Settings.load()
    check_read_only(query)
    con = connect_readonly(warehouse, settings)
    try:
        return execute(con, query, settings.query_timeout)
    finally:
        con.close()


def sql_command(query: str, warehouse: Path, fmt: str = "table", out: Path | None = None,
                bom: bool | None = None) -> int:
    from etl.export.formats import FORMATS, write_result

    if fmt not in FORMATS:
        print(f"unknown --format {fmt!r}: {' | '.join(FORMATS)}", file=sys.stderr)
        return 2
    from etl.settings import SettingError

    try:
        names, rows = run_query(query, warehouse)
    except (ReadOnlyError, FileNotFoundError, SettingError) as e:
        print(f"etl sql: {e}", file=sys.stderr)
        return 2
    except (duckdb.Error, QueryTimeout) as e:
        print(f"etl sql: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    return write_result(names, rows, fmt, out, bom)
