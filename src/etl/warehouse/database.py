"""warehouse.duckdb: one snapshot as one self-contained DuckDB file.

Tables, not views over paths, so the file can be copied, mailed or moved and opened by any DuckDB
client; written in a storage format the current stable DuckDB CLI reads (``STORAGE_VERSION``);
every column carries a comment and the template tables carry the Chinese labels.  The file is
built inside the snapshot folder before the swap (so it is published by the same rename as the
Parquet) and made read-only; nothing ever opens it for writing again.

Most nights change a year or two: the file is then built from a *copy* of the previous
snapshot's file, with the rows of the partitions that differ (a partition is the same when the
snapshot links the same version folder) deleted and read again — a few seconds instead of a
whole rebuild at 100k reports.  The published file itself is only ever read.  A full build is
made when the previous file was built by other code, when most partitions changed, and when
the copies have grown the file well past its size when last built in full (DuckDB reuses the
freed blocks, but not all of them).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import duckdb
import pyarrow as pa

from etl.code_digest import digest, module_file, source_files
from etl.killpoint import killpoint
from etl.warehouse import store
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


#: A copied file is rebuilt in full once it is this many times its size when last built in full.
MAX_GROWTH = 1.5


@lru_cache(maxsize=1)
def database_version() -> str:
    """What the file's layout depends on besides the Parquet: this code, the contract's views
    and schemas, the template tables, the DuckDB that writes it.  A file written by another
    version is never copied."""
    return digest([module_file("warehouse/database.py"), module_file("warehouse/views.py"),
                   module_file("warehouse/schemas.py"), *source_files("template")],
                  salt=duckdb.__version__)


@dataclass(frozen=True)
class DatabaseBuild:
    path: Path
    mode: str                   # "full" or "copied"
    replaced: dict[str, list[int]]  # copied: table -> the years whose rows were read again
    full_bytes: int             # the file's size when last built in full (the growth guard)

    def meta(self) -> dict:
        return {"version": database_version(), "mode": self.mode, "full_bytes": self.full_bytes}


def changed_partitions(snapshot: Path, previous: Path) -> dict[str, list[int]]:
    """table -> years (0 = unknown year) whose partition differs between the two snapshots:
    linked to another version folder, new, or gone."""
    out = {}
    for t in TABLES:
        new, old = store.partitions(snapshot, t), store.partitions(previous, t)
        years = sorted(y for y in new.keys() | old.keys() if new.get(y) != old.get(y))
        if years:
            out[t] = years
    return out


def _copy_plan(snapshot: Path, previous: Path | None,
               copy_min: int = 0) -> tuple[Path, dict[str, list[int]], int] | None:
    """(previous file, partitions to replace, its full size) when copying the previous file is
    right; None when the file must be built in full (also when it is smaller than
    ``copy_min``: a small file is rebuilt in a second, and DuckDB's blocks make a copy of a
    small file grow by half)."""
    if previous is None or not (previous / DATABASE).is_file():
        return None
    size = (previous / DATABASE).stat().st_size
    meta = store.read_meta(previous).get("database", {})
    full_bytes = int(meta.get("full_bytes") or 0)
    if (size < copy_min or meta.get("version") != database_version()
            or not full_bytes or size > MAX_GROWTH * full_bytes):
        return None
    changed = changed_partitions(snapshot, previous)
    total = sum(len(store.partitions(snapshot, t)) for t in TABLES)
    if 2 * sum(len(y) for y in changed.values()) > max(total, 1):
        return None             # most of the file would be deleted and written again
    return previous / DATABASE, changed, full_bytes


def build_database(snapshot: Path, runs: pa.Table, memory_bytes: int, spill: Path,
                   previous: Path | None = None, copy_min: int = 0) -> DatabaseBuild:
    """Write ``snapshot/warehouse.duckdb`` from the snapshot's Parquet and ``runs`` — by copying
    ``previous``'s file (if at least ``copy_min`` bytes) and replacing the partitions that
    changed, where that is right."""
    final = snapshot / DATABASE
    tmp = snapshot / f".{DATABASE}.tmp"
    for p in (tmp, Path(f"{tmp}.wal")):
        p.unlink(missing_ok=True)
    plan = _copy_plan(snapshot, previous, copy_min)
    if plan is not None:
        shutil.copyfile(plan[0], tmp)       # a new file, writable; the published one is only read
        os.chmod(tmp, 0o644)
        killpoint("database.copied")
    con = connect_for_build(tmp, memory_bytes, spill)
    try:
        if plan is None:
            _create_tables(con, snapshot)
        else:
            _replace_partitions(con, snapshot, plan[1])
        con.register("_runs", runs)
        con.execute("CREATE OR REPLACE TABLE runs AS SELECT * FROM _runs ORDER BY started_at")
        con.unregister("_runs")
        killpoint("database.tables")
        _comment(con, ("runs",) if plan is not None else (*TABLES, "runs"))
        con.execute("CHECKPOINT")
    finally:
        con.close()
    Path(f"{tmp}.wal").unlink(missing_ok=True)
    os.chmod(tmp, 0o444)
    size = tmp.stat().st_size
    os.replace(tmp, final)
    killpoint("database.done")
    if plan is None:
        return DatabaseBuild(final, "full", {}, size)
    return DatabaseBuild(final, "copied", plan[1], plan[2])


def _create_tables(con: duckdb.DuckDBPyConnection, snapshot: Path) -> None:
    create_template_tables(con)
    register_snapshot(con, snapshot)
    for t in TABLES:
        con.execute(f"CREATE TABLE {t} AS {contract_select(t, '_' + t)}")
        con.execute(f"DROP VIEW _{t}")
    create_identity_view(con)


def _replace_partitions(con: duckdb.DuckDBPyConnection, snapshot: Path,
                        changed: dict[str, list[int]]) -> None:
    """Delete the rows of each changed partition and read the new one (if the year still has
    one).  The stored ``year`` is NULL for partition 0 (unknown year)."""
    for t, years in changed.items():
        con.execute(f"DELETE FROM {t} WHERE coalesce(year, 0) IN (SELECT unnest(?::INTEGER[]))",
                    [years])
        register_snapshot(con, snapshot, set(years), (t,))
        con.execute(f"INSERT INTO {t} BY NAME {contract_select(t, '_' + t)}")
        con.execute(f"DROP VIEW _{t}")


def _comment(con: duckdb.DuckDBPyConnection, tables: tuple[str, ...]) -> None:
    # Comments are our own text (never a document's), quoted as SQL literals.
    def lit(text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    for t in tables:
        con.execute(f"COMMENT ON TABLE {t} IS {lit(TABLE_COMMENTS[t])}")
        for (name,) in con.execute("SELECT column_name FROM duckdb_columns() "
                                   "WHERE table_name = ? AND database_name = current_database()",
                                   [t]).fetchall():
            if name in COLUMN_COMMENTS:
                con.execute(f'COMMENT ON COLUMN {t}."{name}" IS {lit(COLUMN_COMMENTS[name])}')
