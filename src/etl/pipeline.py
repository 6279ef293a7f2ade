"""The nightly warehouse run: discover -> parse (coarse batches) -> normalize -> Parquet ->
validate -> aggregate -> publish (atomic swap + DuckDB) -> summary.

The stage functions here are plain functions over paths (testable without Prefect).  The Prefect
flow ``nightly`` (re-exported by ``flows/nightly.py``) wraps each stage in ONE task and the parse
stage in one task per batch of files, so the number of task runs grows with the number of
batches (capped by ``MAX_PARSE_TASKS``), never with the number of files.  Inside a batch the files
are parsed by a process pool (one worker per core), because parsing is CPU-bound Python.

No ``from __future__ import annotations`` here: this module defines a flow, and Prefect builds
its parameter schema from real annotations.
"""

import os
import sys
from pathlib import Path

# Before Prefect is imported: a project-local, quiet, patient ephemeral server (see
# the README and the engineering notes: first start can take >20 s on a cold machine).
_PROJECT = Path(__file__).resolve().parents[2]
for _k, _v in {
    "PREFECT_HOME": str(_PROJECT / ".prefect"),
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_LOGGING_LEVEL": "CRITICAL",
    "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
}.items():
    os.environ.setdefault(_k, _v)

import datetime as dt  # noqa: E402
import logging  # noqa: E402
import math  # noqa: E402
import multiprocessing  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import Any, Callable, Optional  # noqa: E402

import duckdb  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from etl.errors import ReportError  # noqa: E402
from etl.warehouse import store  # noqa: E402
from etl.warehouse.discover import SourceFile, content_id, discover  # noqa: E402
from etl.warehouse.normalize import Rows, add_report  # noqa: E402
from etl.warehouse.schemas import (  # noqa: E402
    FACT_TABLES,
    RUNS_SCHEMA,
    UNKNOWN_YEAR,
    empty,
)

log = logging.getLogger("etl.pipeline")

#: Files per parse task at least; more when there are many files, so that the number of parse
#: tasks stays <= MAX_PARSE_TASKS (100k reports -> 200 tasks of 500).
MIN_BATCH = 500
MAX_PARSE_TASKS = 200
#: Below this many files a batch is parsed in-process (a worker pool costs ~1 s to start).
POOL_MIN_FILES = 64
#: Files per unit of work sent to a pool worker (each writes one staging Parquet file per table).
CHUNK = 100


# ---------------------------------------------------------------------------------------------
# progress (the CLI shows it with rich; stages report through this one hook)
# ---------------------------------------------------------------------------------------------

_progress: Optional[Callable[[str, int, int], None]] = None


def set_progress(callback: Optional[Callable[[str, int, int], None]]) -> None:
    global _progress
    _progress = callback


def _report(stage: str, done: int, total: int) -> None:
    if _progress is not None:
        _progress(stage, done, total)


# ---------------------------------------------------------------------------------------------
# run context
# ---------------------------------------------------------------------------------------------

@dataclass
class RunContext:
    run_id: str
    raw: str                        # absolute raw root
    warehouse: str                  # absolute warehouse folder
    year: Optional[int]             # the one year rebuilt, or None = all
    started_at: dt.datetime
    parser_version: str = ""
    counts: dict = field(default_factory=dict)

    @property
    def layout(self) -> store.Layout:
        return store.Layout.at(self.warehouse)

    @property
    def staging(self) -> Path:
        return self.layout.staging(self.run_id)

    @property
    def snapshot(self) -> Path:
        return self.layout.snapshots / self.run_id


def new_context(raw, warehouse, year: Optional[int] = None) -> RunContext:
    now = dt.datetime.now(dt.timezone.utc)
    run_id = now.strftime("%Y%m%dT%H%M%S%fZ") + "-" + uuid.uuid4().hex[:6]
    raw_path = Path(raw).resolve()
    if not raw_path.is_dir():
        raise FileNotFoundError(f"raw folder not found: {raw_path}")
    return RunContext(run_id, str(raw_path), str(store.Layout.at(warehouse).root), year, now,
                      parser_version=_parser_version())


def _parser_version() -> str:
    try:
        from etl.parse import PARSER_VERSION

        return PARSER_VERSION
    except Exception:       # no parser importable: every file is quarantined as parse_failed
        return "unavailable"


# ---------------------------------------------------------------------------------------------
# stage 1: discover + plan batches
# ---------------------------------------------------------------------------------------------

def discover_files(ctx: RunContext) -> list[SourceFile]:
    files = discover(ctx.raw, ctx.year)
    ctx.counts["files"] = len(files)
    return files


def plan_batches(files: list[SourceFile], min_batch: int = MIN_BATCH,
                 max_tasks: int = MAX_PARSE_TASKS) -> list[list[SourceFile]]:
    """Coarse batches: ceil(n / size) batches, size >= min_batch, at most max_tasks batches."""
    if not files:
        return []
    size = max(min_batch, math.ceil(len(files) / max_tasks))
    return [files[i:i + size] for i in range(0, len(files), size)]


# ---------------------------------------------------------------------------------------------
# stage 2: parse a batch -> staging Parquet (one file per table per chunk)
# ---------------------------------------------------------------------------------------------

#: Seconds one file may take to parse before it is quarantined (parse_failed, "timeout"), so a
#: pathological file can't hang the nightly run.  Enforced where a signal can be delivered: in
#: the pool workers (and any main thread); 0 disables it.
PARSE_TIMEOUT = float(os.environ.get("ETL_PARSE_TIMEOUT", "120"))


class _ParseTimeout(Exception):
    pass


def _on_alarm(signum, frame):
    raise _ParseTimeout()


def parse_one(src: SourceFile, timeout: float | None = None):
    """(report_id, ParsedReport | ReportError | Exception) for one file; never raises."""
    try:
        data = Path(src.path).read_bytes()
    except OSError as e:
        # no bytes, no content hash: an id from the path keeps unreadable files apart
        return content_id(b"unreadable:" + src.rel.encode()), \
            ReportError(src.rel, "unreadable", e.strerror or str(e))
    rid = content_id(data)
    timeout = PARSE_TIMEOUT if timeout is None else timeout
    armed = timeout > 0 and threading.current_thread() is threading.main_thread()
    if armed:
        previous = signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        from etl.parse import parse_bytes

        return rid, parse_bytes(data, src.path, _manifest_for_parser(src))
    except ReportError as e:
        return rid, e
    except _ParseTimeout:
        return rid, ReportError(src.rel, "parse_failed", f"timeout: parsing took over {timeout:g} s")
    except Exception as e:          # a parser bug: record the file, keep going
        return rid, e
    finally:
        if armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


def _manifest_for_parser(src: SourceFile) -> Optional[dict]:
    m = {k: v for k, v in src.manifest.items() if k in ("agency", "agency_id", "region_path", "level")}
    if src.manifest_year is not None:
        m["year"] = src.manifest_year
    return m or None


def parse_chunk(files: list[SourceFile], staging: str, name: str, parser_version: str) -> dict:
    """Parse files and write their rows to ``staging/<table>/<name>.parquet``.  Runs in a pool
    worker for big batches, so it takes and returns only small picklable things."""
    rows = Rows()
    counts = {"files": 0, "parsed": 0, "failed": 0}
    for src in files:
        rid, result = parse_one(src)
        add_report(rows, src, rid, result, parser_version)
        counts["files"] += 1
        counts["parsed" if not isinstance(result, Exception) else "failed"] += 1
    write_staging(rows, staging, name)
    return counts


def write_staging(rows: Rows, staging, name: str) -> None:
    """One staging Parquet file per table for a chunk of reports (read back by normalize)."""
    for table, tbl in rows.tables().items():
        if tbl.num_rows:
            folder = Path(staging) / table
            folder.mkdir(parents=True, exist_ok=True)
            pq.write_table(tbl, folder / f"{name}.parquet")


_pool: Optional[ProcessPoolExecutor] = None
_pool_lock = threading.Lock()


def _get_pool() -> ProcessPoolExecutor:
    """One pool per process, shared by the concurrent batch tasks (spawn: Prefect runs threads,
    and forking a threaded process can deadlock)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(max_workers=max(1, os.cpu_count() or 1),
                                        mp_context=multiprocessing.get_context("spawn"))
        return _pool


def shutdown_pool() -> None:
    global _pool
    with _pool_lock:
        if _pool is not None:
            _pool.shutdown(wait=True, cancel_futures=True)
            _pool = None


def parse_batch(ctx: RunContext, files: list[SourceFile], batch_no: int) -> dict:
    """Parse one batch into the run's staging folder; returns file counts."""
    chunks = [files[i:i + CHUNK] for i in range(0, len(files), CHUNK)]
    names = [f"b{batch_no:05d}-c{i:04d}" for i in range(len(chunks))]
    total = {"files": 0, "parsed": 0, "failed": 0}
    if len(files) >= POOL_MIN_FILES and (os.cpu_count() or 1) > 1:
        pool = _get_pool()
        futures = [pool.submit(parse_chunk, c, str(ctx.staging), n, ctx.parser_version)
                   for c, n in zip(chunks, names)]
        results = (f.result() for f in futures)
    else:
        results = (parse_chunk(c, str(ctx.staging), n, ctx.parser_version)
                   for c, n in zip(chunks, names))
    for counts in results:
        for k, v in counts.items():
            total[k] += v
        _report("parse", counts["files"], -1)
    return total


# ---------------------------------------------------------------------------------------------
# stage 3: normalize across reports (duplicates) and write the fact partitions
# ---------------------------------------------------------------------------------------------

def _staged(ctx: RunContext, table: str) -> Optional[str]:
    folder = ctx.staging / table
    if not folder.is_dir() or not any(folder.glob("*.parquet")):
        return None
    return f"read_parquet('{folder}/*.parquet')"


_RESOLVE_SQL = """
-- The same agency-year published more than once: keep the latest `published`, else the last by
-- source_file; the other copies become 'superseded' (byte-identical copies share a report_id and
-- are resolved the same way).
SELECT * EXCLUDE (rn, keep_file, keep_published) REPLACE (
    CASE WHEN rn > 1 THEN 'superseded' ELSE status END AS status,
    CASE WHEN rn > 1 THEN 'duplicate_report' ELSE error_reason END AS error_reason,
    CASE WHEN rn > 1 THEN 'superseded by ' || keep_file
                          || coalesce(' (published ' || keep_published || ')', '')
         ELSE error_detail END AS error_detail)
FROM (
    SELECT *, row_number() OVER w AS rn, first_value(source_file) OVER w AS keep_file,
           first_value(published) OVER w AS keep_published
    FROM {src}
    {where}
    WINDOW w AS (PARTITION BY year,
                 CASE WHEN status = 'loaded' THEN coalesce(agency_key, 'rid:' || report_id)
                      ELSE 'file:' || source_file END
                 ORDER BY published DESC NULLS LAST, source_file DESC)
)
"""


def normalize(ctx: RunContext) -> pa.Table:
    """All staged reports with duplicates resolved (only year ``ctx.year`` on a year rerun)."""
    src = _staged(ctx, "reports")
    if src is None:
        return empty("reports").append_column("year", pa.array([], pa.int32()))
    where = f"WHERE year = {int(ctx.year)}" if ctx.year is not None else ""
    con = duckdb.connect()
    try:
        tbl = con.sql(_RESOLVE_SQL.format(src=src, where=where)).to_arrow_table()
    finally:
        con.close()
    statuses = tbl.column("status").to_pylist()
    for s in ("loaded", "quarantined", "superseded"):
        ctx.counts[s] = statuses.count(s)
    return tbl


def write_facts(ctx: RunContext, reports: pa.Table) -> list[int]:
    """Build the new snapshot: new versions of the rebuilt year(s), links to the previous
    versions of every other year.  Returns the years the snapshot holds."""
    layout = ctx.layout
    previous = layout.current_snapshot()
    snap = store.new_snapshot(layout, ctx.run_id)
    years = sorted(set(reports.column("year").to_pylist()))
    if ctx.year is None:
        years = sorted(set(years) | {UNKNOWN_YEAR})
    con = _run_connection(ctx)
    try:
        for table in FACT_TABLES:
            if ctx.year is not None:
                for y, vdir in store.partitions(previous, table).items():
                    if y != ctx.year:
                        store.link_partition(snap, table, y, vdir)
            src = _staged(ctx, table)
            for y in years:
                if table == "reports":
                    part = reports.filter(pc.equal(reports.column("year"), y))
                    store.write_partition(layout, snap, ctx.run_id, table, y, part)
                elif src is None:
                    store.write_partition(layout, snap, ctx.run_id, table, y, empty(table))
                else:
                    distinct = "DISTINCT" if _has_copies(reports) else ""
                    store.copy_partition(layout, snap, ctx.run_id, table, y, con,
                                         f"SELECT {distinct} * EXCLUDE (year) FROM {src} "
                                         f"WHERE year = {int(y)}")
            if not store.partitions(snap, table):      # never a table without files
                store.write_partition(layout, snap, ctx.run_id, table, UNKNOWN_YEAR, empty(table))
            _report("write", 1, len(FACT_TABLES))
    finally:
        con.close()
    return sorted(store.partitions(snap, "reports"))


def _has_copies(reports: pa.Table) -> bool:
    ids = reports.column("report_id")
    return len(pc.unique(ids)) < len(ids)


# ---------------------------------------------------------------------------------------------
# stage 4-5: validate and aggregate (SQL over the snapshot being built)
# ---------------------------------------------------------------------------------------------

#: DuckDB memory for a run's SQL (checks, aggregates, partition writes); beyond it DuckDB spills
#: to the run's staging folder, so a 100k-report run stays within a bounded footprint.
DUCKDB_MEMORY = os.environ.get("ETL_DUCKDB_MEMORY", "1GB")


def _run_connection(ctx: RunContext) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    spill = ctx.staging / "duckdb-spill"
    spill.mkdir(parents=True, exist_ok=True)
    con.execute("SET enable_progress_bar = false")
    con.execute(f"SET memory_limit = '{DUCKDB_MEMORY}'")
    con.execute(f"SET temp_directory = '{spill}'")
    return con


def _snapshot_connection(ctx: RunContext) -> duckdb.DuckDBPyConnection:
    from etl.warehouse.views import create_template_tables, create_views, register_functions

    con = _run_connection(ctx)
    create_template_tables(con)
    register_functions(con)
    create_views(con, ctx.snapshot)
    return con


def _write_by_year(ctx: RunContext, table: str, tbl: pa.Table, years: list[int]) -> None:
    for y in sorted(set(years) | set(tbl.column("year").to_pylist())):
        part = tbl.filter(pc.equal(tbl.column("year"), y))
        store.write_partition(ctx.layout, ctx.snapshot, ctx.run_id, table, y, part)


def validate(ctx: RunContext, years: list[int]) -> dict:
    """validation_results + validation_issues for every year of the snapshot (cross-year checks
    of year t+1 depend on year t, so a one-year rerun re-validates all years; the results for
    untouched years come out identical)."""
    from etl.checks import run_checks

    con = _snapshot_connection(ctx)
    try:
        results, issues = run_checks(con)
    finally:
        con.close()
    _write_by_year(ctx, "validation_results", results, years)
    _write_by_year(ctx, "validation_issues", issues, years)
    ctx.counts["issues"] = issues.num_rows
    by_rule: dict[str, int] = {}
    for r in issues.column("rule").to_pylist():
        by_rule[r] = by_rule.get(r, 0) + 1
    _report("validate", 1, 1)
    return dict(sorted(by_rule.items()))


def aggregate(ctx: RunContext, years: list[int]) -> int:
    from etl.aggregates import run_aggregates

    con = _snapshot_connection(ctx)
    try:
        tbl = run_aggregates(con)
    finally:
        con.close()
    _write_by_year(ctx, "aggregates", tbl, years)
    _report("aggregate", 1, 1)
    return tbl.num_rows


# ---------------------------------------------------------------------------------------------
# stage 6: publish (swap, DuckDB file, runs log, garbage collection)
# ---------------------------------------------------------------------------------------------

def build_duckdb(layout: store.Layout) -> Path:
    """warehouse.duckdb: views over current/ plus the template tables; built beside and
    os.replace'd, so a reader never opens half a file and a failure keeps the old one."""
    from etl.warehouse.views import create_template_tables, create_views

    tmp = layout.root / "warehouse.duckdb.tmp"
    for p in (tmp, Path(str(tmp) + ".wal")):
        p.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        create_template_tables(con)
        create_views(con, layout.current)
        con.execute(f"CREATE OR REPLACE VIEW runs AS SELECT * FROM "
                    f"read_parquet('{layout.runs}/*.parquet', union_by_name = true)")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    os.replace(tmp, layout.duckdb)
    return layout.duckdb


def record_run(ctx: RunContext, status: str, error: str = "") -> None:
    layout = ctx.layout
    layout.runs.mkdir(parents=True, exist_ok=True)
    c = ctx.counts
    row = {
        "run_id": [ctx.run_id], "started_at": [ctx.started_at],
        "finished_at": [dt.datetime.now(dt.timezone.utc)], "year": [ctx.year],
        "raw_root": [ctx.raw], "status": [status], "files": [c.get("files", 0)],
        "loaded": [c.get("loaded", 0)], "quarantined": [c.get("quarantined", 0)],
        "superseded": [c.get("superseded", 0)], "issues": [c.get("issues", 0)],
        "parser_version": [ctx.parser_version], "error": [error or None],
    }
    tmp = layout.runs / f".{ctx.run_id}.tmp"
    pq.write_table(pa.table(row, schema=RUNS_SCHEMA), tmp)
    os.replace(tmp, layout.runs / f"{ctx.run_id}.parquet")


def publish_warehouse(ctx: RunContext) -> None:
    layout = ctx.layout
    store.publish(layout, ctx.snapshot)
    record_run(ctx, "completed")
    build_duckdb(layout)
    shutil.rmtree(ctx.staging, ignore_errors=True)
    store.collect_garbage(layout)
    _report("publish", 1, 1)


def summarize(ctx: RunContext, issues_by_rule: dict) -> dict:
    """The run summary (also published as Prefect artifacts by the flow)."""
    con = duckdb.connect()
    try:
        src = f"read_parquet('{ctx.layout.current}/reports/*/*.parquet', hive_partitioning = true)"
        year = f"AND year = {int(ctx.year)}" if ctx.year is not None else ""
        quarantined = con.execute(
            f"SELECT source_file, error_reason, error_detail FROM {src} "
            f"WHERE status = 'quarantined' {year} ORDER BY source_file").fetchall()
    finally:
        con.close()
    return {
        "run_id": ctx.run_id, "year": ctx.year, "raw": ctx.raw, "warehouse": ctx.warehouse,
        "files": ctx.counts.get("files", 0), "loaded": ctx.counts.get("loaded", 0),
        "quarantined": ctx.counts.get("quarantined", 0),
        "superseded": ctx.counts.get("superseded", 0), "issues": ctx.counts.get("issues", 0),
        "issues_by_rule": issues_by_rule,
        "quarantined_files": [{"file": f, "reason": r, "detail": d} for f, r, d in quarantined],
    }


# ---------------------------------------------------------------------------------------------
# orchestration: one sequence of stages, run plainly or as Prefect tasks
# ---------------------------------------------------------------------------------------------

@dataclass
class Stages:
    """How each stage is called: plain functions (tests, no server) or Prefect tasks."""
    call: Callable[..., Any]                                       # call(fn, *args) -> result
    parse_batches: Callable[[RunContext, list], list]              # all batches -> counts


def _plain_call(fn, *args):
    return fn(*args)


def _plain_batches(ctx: RunContext, batches: list) -> list:
    return [parse_batch(ctx, b, i) for i, b in enumerate(batches)]


PLAIN = Stages(_plain_call, _plain_batches)


def run_pipeline(raw, warehouse, year: Optional[int] = None, stages: Stages = PLAIN,
                 min_batch: int = MIN_BATCH) -> dict:
    """The whole run.  Holds the writer lock; on any failure removes what this run wrote and
    leaves the published warehouse exactly as it was."""
    ctx = new_context(raw, warehouse, year)
    layout = ctx.layout
    seconds: dict[str, float] = {}

    def timed(name, fn, *args):
        t0 = time.perf_counter()
        try:
            return fn(*args)
        finally:
            seconds[name] = round(time.perf_counter() - t0, 2)

    with store.writer_lock(layout):
        try:
            files = timed("discover", stages.call, discover_files, ctx)
            _report("parse", 0, len(files))
            batches = plan_batches(files, min_batch)
            timed("parse", stages.parse_batches, ctx, batches)
            reports = timed("normalize", stages.call, normalize, ctx)
            years = timed("write", stages.call, write_facts, ctx, reports)
            by_rule = timed("validate", stages.call, validate, ctx, years)
            timed("aggregate", stages.call, aggregate, ctx, years)
            timed("publish", stages.call, publish_warehouse, ctx)
            summary = stages.call(summarize, ctx, by_rule)
            summary["seconds"] = seconds
            summary["parse_batches"] = len(batches)
            return summary
        except BaseException as e:
            store.discard(layout, ctx.run_id)
            try:
                record_run(ctx, "failed", f"{type(e).__name__}: {e}")
            except Exception:
                pass
            raise
        finally:
            shutdown_pool()


# ---------------------------------------------------------------------------------------------
# Prefect: the flow and its tasks (imported lazily so the plain path never pays for Prefect)
# ---------------------------------------------------------------------------------------------

def _prefect_stages() -> Stages:
    from prefect import task
    from prefect.cache_policies import NO_CACHE

    tasks: dict[str, Any] = {}

    def call(fn, *args):
        t = tasks.get(fn.__name__)
        if t is None:
            t = tasks[fn.__name__] = task(fn, name=fn.__name__, cache_policy=NO_CACHE)
        return t(*args)

    batch_task = task(parse_batch, name="parse_batch", cache_policy=NO_CACHE)

    def parse_batches(ctx, batches):
        futures = [batch_task.submit(ctx, b, i) for i, b in enumerate(batches)]
        return [f.result() for f in futures]

    return Stages(call, parse_batches)


def _publish_artifacts(summary: dict) -> None:
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    year = summary["year"] if summary["year"] is not None else "all"
    lines = [f"# Nightly warehouse run {summary['run_id']} (year: {year})", "",
             "| files | loaded | quarantined | superseded | validation issues |",
             "|---|---|---|---|---|",
             f"| {summary['files']} | {summary['loaded']} | {summary['quarantined']} | "
             f"{summary['superseded']} | {summary['issues']} |", "",
             "## Rules broken", "", "| rule | issues |", "|---|---|"]
    lines += [f"| {r} | {n} |" for r, n in summary["issues_by_rule"].items()] or ["| (none) | 0 |"]
    create_markdown_artifact(key="nightly-summary", markdown="\n".join(lines),
                             description="counts, rules broken, files quarantined")
    create_table_artifact(key="nightly-rules-broken",
                          table=[{"rule": r, "issues": n} for r, n in summary["issues_by_rule"].items()],
                          description="validation issues per rule")
    create_table_artifact(key="nightly-quarantined", table=summary["quarantined_files"][:1000]
                          or [{"file": "", "reason": "", "detail": ""}],
                          description="files that could not be parsed, with the reason")


def _make_flow():
    from prefect import flow
    from prefect.task_runners import ThreadPoolTaskRunner

    @flow(name="nightly", task_runner=ThreadPoolTaskRunner(max_workers=2), log_prints=False)
    def nightly(year: Optional[int] = None, raw: str = "data/raw",
                warehouse: str = "data/warehouse") -> dict:
        """Rebuild the warehouse from ``raw`` (``year`` = rebuild exactly that year)."""
        from prefect import task
        from prefect.cache_policies import NO_CACHE

        summary = run_pipeline(raw, warehouse, year, _prefect_stages())
        task(_publish_artifacts, name="publish_summary", cache_policy=NO_CACHE)(summary)
        return summary

    return nightly


def __getattr__(name: str):
    # `from etl.pipeline import nightly` builds the flow on first use (Prefect import ~1 s).
    if name == "nightly":
        globals()["nightly"] = _make_flow()
        return globals()["nightly"]
    raise AttributeError(name)


# ---------------------------------------------------------------------------------------------
# CLI bodies
# ---------------------------------------------------------------------------------------------

def run_command(year: Optional[int], raw: Path, warehouse: Path) -> int:
    """`etl run`: the nightly flow now, with rich progress; prints the run summary."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    console = Console(stderr=True)
    if not Path(raw).is_dir():
        console.print(f"[red]raw folder not found:[/red] {raw}")
        return 2
    t0 = time.perf_counter()
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=False) as progress:
        ids: dict[str, Any] = {}

        def on_progress(stage: str, done: int, total: int) -> None:
            if stage not in ids:
                ids[stage] = progress.add_task(stage, total=None)
            if total >= 0:
                progress.update(ids[stage], total=total)
            progress.advance(ids[stage], done)

        set_progress(on_progress)
        ids["start"] = progress.add_task("nightly flow (incl. Prefect server start)", total=None)
        try:
            from etl.pipeline import nightly as flow_fn

            state = flow_fn(year=year, raw=str(raw), warehouse=str(warehouse), return_state=True)
        finally:
            set_progress(None)
            progress.update(ids["start"], total=1, completed=1)
    if not state.is_completed():
        console.print(f"[red]run failed:[/red] {state.message}")
        try:
            state.result()
        except Exception as e:
            console.print(f"[red]{type(e).__name__}: {e}[/red]")
        return 1
    s = state.result()
    table = Table(title=f"warehouse {s['warehouse']} — run {s['run_id']}")
    for col in ("files", "loaded", "quarantined", "superseded", "issues"):
        table.add_column(col, justify="right")
    table.add_row(*(str(s[c]) for c in ("files", "loaded", "quarantined", "superseded", "issues")))
    out = Console()
    out.print(table)
    for rule, n in s["issues_by_rule"].items():
        out.print(f"  {rule}: {n}")
    for q in s["quarantined_files"]:
        out.print(f"  quarantined {q['file']}: {q['reason']} — {q['detail'] or ''}")
    out.print(f"done in {time.perf_counter() - t0:.1f} s")
    return 0


def serve_command(cron: str, timezone: str, raw: Path, warehouse: Path) -> int:
    """`etl serve`: serve the nightly deployment with Cron(cron, timezone) (long-running; needs
    a real `prefect server start` and PREFECT_API_URL, since the ephemeral server can't schedule)."""
    if not os.environ.get("PREFECT_API_URL"):
        print("etl serve needs a running Prefect server: start `prefect server start` and set "
              "PREFECT_API_URL=http://127.0.0.1:4200/api (see README, Scheduling)", file=sys.stderr)
        return 2
    from etl.pipeline import nightly as flow_fn

    flow_fn.serve(**deployment_kwargs(cron, timezone, raw, warehouse))
    return 0


def deployment_kwargs(cron: str, timezone: str, raw, warehouse) -> dict:
    """The nightly deployment's definition (shared by `etl serve` and the deployment test)."""
    from prefect.schedules import Cron

    return {
        "name": "nightly",
        "schedules": [Cron(cron, timezone=timezone)],
        "parameters": {"raw": str(Path(raw).resolve()), "warehouse": str(Path(warehouse).resolve())},
        "tags": ["etl"],
    }
