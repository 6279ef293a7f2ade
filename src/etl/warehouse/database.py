"""warehouse.duckdb: one snapshot as one self-contained DuckDB file.

Tables, not views over paths, so the file can be copied, mailed or moved and opened by any DuckDB
client; written in a storage format the current stable DuckDB CLI reads (``STORAGE_VERSION``);
every column carries a comment and the template tables carry the Chinese labels.  The file is
built inside the snapshot folder before the swap (so it is published by the same rename as the
Parquet) and made read-only; nothing ever opens it for writing again.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pyarrow as pa

from etl.killpoint import killpoint
from etl.warehouse.schemas import COLUMN_COMMENTS, TABLES
from etl.warehouse.store import DATABASE
from etl.warehouse.views import (
    contract_select,
    create_identity_view,
    create_template_tables,
    register_snapshot,
)

#: The oldest storage format the file is written in: DuckDB 1.4 and later (the DuckDB CLI 1.5.6,
#: today's stable release, refuses 2.0's default format v69).
STORAGE_VERSION = "v1.4.0"

TABLE_COMMENTS: dict[str, str] = {
    "reports": "每个输入文件一行 / one row per input file",
    "applications": "表三:收到和处理政府信息公开申请情况 / table 三 cells",
    "active_disclosure": "表二:主动公开政府信息情况 / table 二 cells",
    "review_litigation": "表四:行政复议、行政诉讼情况 / table 四 cells",
    "prose_figures": "正文中的数字 / figures stated in the prose",
    "validation_results": "每份报告 × 规则的检查结果 / report x rule results",
    "validation_issues": "未通过的检查 / failed checks only",
    "aggregates": "按年度 × 地区 × 层级汇总 / totals by year x region x level",
    "corrections": "人工更正(含原值与理由)/ corrections of cells, with the original and the reason",
    "runs": "每次运行一行 / one row per run",
}


def connect_for_build(path: Path | str, memory_bytes: int, spill: Path) -> duckdb.DuckDBPyConnection:
    """A connection for the run's own SQL: bounded memory, spilling into the run's folder
    (settings passed as configuration, never pasted into SQL)."""
    spill.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(str(path), config={
        "memory_limit": f"{max(memory_bytes // 2**20, 64)}MB",
        "temp_directory": str(spill),
        "preserve_insertion_order": False,      # every table is written with an ORDER BY
        **({"storage_compatibility_version": STORAGE_VERSION} if str(path) != ":memory:" else {}),
    })


def attach_read_only(con: duckdb.DuckDBPyConnection, db: Path, name: str = "warehouse") -> None:
    """Attach a snapshot's database read-only and make it the default.  An in-memory instance
    of its own per session: DuckDB shares one instance per file path in a process, and a
    second session could not set its own limits on a shared one.  The path is the warehouse's
    own (not a document's), quoted as an SQL literal; ATTACH does not expand globs."""
    text = str(db)
    if "\0" in text:
        raise ValueError("a path with a NUL character")
    con.execute(f"ATTACH '{text.replace(chr(39), chr(39) * 2)}' AS {name} (READ_ONLY)")
    con.execute(f"USE {name}")


def build_database(snapshot: Path, runs: pa.Table, memory_bytes: int, spill: Path) -> Path:
    """Write ``snapshot/warehouse.duckdb`` from the snapshot's Parquet and ``runs``."""
    final = snapshot / DATABASE
    tmp = snapshot / f".{DATABASE}.tmp"
    for p in (tmp, Path(f"{tmp}.wal")):
        p.unlink(missing_ok=True)
    con = connect_for_build(tmp, memory_bytes, spill)
    try:
        create_template_tables(con)
        register_snapshot(con, snapshot)
        for t in TABLES:
            con.execute(f"CREATE TABLE {t} AS {contract_select(t, '_' + t)}")
            con.execute(f"DROP VIEW _{t}")
        con.register("_runs", runs)
        con.execute("CREATE TABLE runs AS SELECT * FROM _runs ORDER BY started_at")
        con.unregister("_runs")
        create_identity_view(con)
        killpoint("database.tables")
        _comment(con)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    Path(f"{tmp}.wal").unlink(missing_ok=True)
    os.chmod(tmp, 0o444)
    os.replace(tmp, final)
    killpoint("database.done")
    return final


def _comment(con: duckdb.DuckDBPyConnection) -> None:
    # Comments are our own text (never a document's), quoted as SQL literals.
    def lit(text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    for t in (*TABLES, "runs"):
        con.execute(f"COMMENT ON TABLE {t} IS {lit(TABLE_COMMENTS[t])}")
        for (name,) in con.execute("SELECT column_name FROM duckdb_columns() "
                                   "WHERE table_name = ? AND database_name = current_database()",
                                   [t]).fetchall():
            if name in COLUMN_COMMENTS:
                con.execute(f'COMMENT ON COLUMN {t}."{name}" IS {lit(COLUMN_COMMENTS[name])}')
