"""Stage 4 — write: the fact partitions of a new snapshot, rewriting only the years that changed.

For every year in scope, the year's ``reports`` rows (identity, status, parser version, and the
parse each report's cells come from) are fingerprinted.  A year whose fingerprint is the published
snapshot's is linked to the published versions (nothing rewritten, byte-identical by
construction); another year gets new versions of every fact table, its cells read from the parse
cache and stamped with the report's identity.  A one-year rerun links every other year as it is.
"""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from etl.code_digest import digest, module_file
from etl.killpoint import killpoint
from etl.stages import memory
from etl.stages.cache import ParseCache
from etl.stages.corrections import SECTION_OF
from etl.warehouse import store
from etl.warehouse.schemas import FACT_TABLES, SCHEMAS, SORT_KEYS

#: Bump when the way facts are written changes without the schemas changing.
WRITE_VERSION = "2"

# The cells of one section as rows of its fact table.  Counts are integers: a non-integral
# number in a count cell is kept as NULL (its raw text stays), never rounded into a fact.
# A correction (etl.stages.corrections) replaces value and state and keeps the printed ones.
# A row names its report by ``ord``, the report's place in the year's reports ordered by
# report_id; the report's identity columns are added by that place after the rows are sorted
# (carrying a dozen copies of each text through the sort cost more than the rest of the stage).
_FIXED = "k.value IS NOT NULL"
_TAIL = (f"c.raw, CASE WHEN {_FIXED} THEN 'corrected' ELSE c.state END AS state, c.source, "
         f"coalesce(k.note, c.note) AS note")
_ORIGINAL = f"CASE WHEN {_FIXED} THEN c.state END AS original_state"
_COUNT = "CASE WHEN {v} = trunc({v}) THEN {v}::BIGINT END"
_CELLS = """
        FROM cells c JOIN year_reports r USING (parse_id)
        LEFT JOIN fixes k ON k.report_id = r.report_id AND k.section = c.section
                         AND k."row" = c."row" AND k."column" = c."column"
        WHERE c.year = $year AND c.section = '{section}'"""


def _count_cell(kind: str) -> str:
    v = f"CASE WHEN {_FIXED} THEN k.value ELSE c.value END"
    if kind == "decimal":
        return f"{v} AS value, CASE WHEN {_FIXED} THEN c.value END AS original_value"
    return (f"{_COUNT.format(v='(' + v + ')')} AS value, "
            f"CASE WHEN {_FIXED} THEN {_COUNT.format(v='c.value')} END AS original_value")


FACT_SQL: dict[str, str] = {
    "applications": f"""
        SELECT r.ord, c."row" AS row_key, c."column" AS applicant, {_count_cell("count")},
               {_TAIL}, {_ORIGINAL} {_CELLS.format(section=SECTION_OF["applications"])}""",
    "active_disclosure": f"""
        SELECT r.ord, c."row" AS category, c."column" AS metric, {_count_cell("decimal")},
               {_TAIL}, {_ORIGINAL} {_CELLS.format(section=SECTION_OF["active_disclosure"])}""",
    "review_litigation": f"""
        SELECT r.ord, c."row" AS item, c."column" AS outcome,
               c."row" || '_' || c."column" AS key, {_count_cell("count")},
               {_TAIL}, {_ORIGINAL} {_CELLS.format(section=SECTION_OF["review_litigation"])}""",
    "prose_figures": """
        SELECT r.ord, p.figure AS key, p.value, p.text, p.source
        FROM prose p JOIN year_reports r USING (parse_id)
        WHERE p.year = $year""",
}

# How many rows each fact table gets from the year's reports, in one scan of each cache part:
# the rows are sorted in chunks of about CHUNK_ROWS.  (The corrections' LEFT JOIN adds no
# rows: one correction per cell, etl.stages.corrections.applied_for.)
_ROW_COUNTS = """
    SELECT c.section AS part, count(*) FROM cells c JOIN year_reports r USING (parse_id)
    WHERE c.year = $year GROUP BY c.section
    UNION ALL
    SELECT 'prose', count(*) FROM prose p JOIN year_reports r USING (parse_id)
    WHERE p.year = $year"""
_PART = {**SECTION_OF, "prose_figures": "prose"}


#: A report's columns that each of its fact rows repeats (added by its place, ``ord``).
IDENTITY = ("report_id", "agency_id", "agency", "region_path", "level", "status")

#: Rows sorted together, as one Arrow table (a row of table 三 without its report's identity
#: is ≈ 100 bytes: ≈ 37 MB, and as much again while it is sorted), in each of the
#: PARALLEL_YEARS years being written.
CHUNK_ROWS = 375_000


@dataclass
class WritePlan:
    years: list[int]                            # years the new snapshot will hold
    changed: set[int]                           # years whose facts are rewritten (or dropped)
    keep: set[int]                              # years linked from the published snapshot
    fingerprints: dict[str, str]                # year -> fingerprint, for snapshot.json


@dataclass
class Written:
    snapshot: Path
    years: list[int]
    changed: set[int]
    fingerprints: dict[str, str] = field(default_factory=dict)
    database: dict = field(default_factory=dict)    # how warehouse.duckdb was built (publish)


def code_version() -> str:
    """What the written tables depend on besides their inputs: schemas and this module."""
    return digest([module_file("warehouse/schemas.py"), module_file("stages/write.py")],
                  salt=WRITE_VERSION)


def fingerprint(part: pa.Table, fixes: pa.Table | None = None) -> str:
    """Of one year's resolved reports rows (public columns + the key of the parse each comes
    from; not which cached copy of it: the cache may be compacted) and its corrections, over
    the values themselves (Arrow buffers of equal tables may differ in their padding)."""
    h = hashlib.sha256(code_version().encode())
    for tbl in (part.drop_columns(["parse_id"]), fixes):
        if tbl is None:
            continue
        h.update(str(tbl.num_rows).encode())
        # column by column (one JSON text per column is far cheaper than one per row)
        for name in sorted(tbl.column_names):
            h.update(json.dumps([name, tbl.column(name).to_pylist()], default=str,
                                ensure_ascii=False).encode())
    return h.hexdigest()[:24]


def _by_year(reports: pa.Table, more_years: frozenset[int] | set[int] = frozenset()):
    """(year, its reports) for each year, one at a time (also, empty, the years that only
    corrections name): a year's copy is let go before the next is made."""
    for y in sorted(_years(reports) | set(more_years)):
        yield y, reports.filter(pc.equal(reports.column("year"), y))


def plan_write(previous: Path | None, reports: pa.Table, only_year: int | None = None,
               corrections: pa.Table | None = None) -> WritePlan:
    """Which years to rewrite: those whose reports (or corrections) differ from the published
    snapshot's (``only_year``: that year alone is in scope; every other year is kept as
    published)."""
    prev_fp = store.read_meta(previous).get("fingerprints", {})
    fixes = corrections if corrections is not None else empty_with_year("corrections")
    fps = {str(y): fingerprint(store.sort_table("reports", t),
                               fixes.filter(pc.equal(fixes.column("year"), y)))
           for y, t in _by_year(reports, _years(fixes))}
    present = {int(y) for y in fps}
    prev_years = {y for t in FACT_TABLES for y in store.partitions(previous, t)}
    if only_year is None:
        changed = {y for y in present if prev_fp.get(str(y)) != fps[str(y)]} | (prev_years - present)
        keep = present - changed
        return WritePlan(sorted(present), changed, keep, fps)
    changed = {only_year} if prev_fp.get(str(only_year)) != fps.get(str(only_year)) else set()
    keep = prev_years - changed
    merged = {k: v for k, v in prev_fp.items() if k != str(only_year)} | fps
    years = sorted(keep | present)
    return WritePlan(years, changed, keep, {k: v for k, v in merged.items() if int(k) in years})


def write_facts(layout: store.Layout, run_id: str, previous: Path | None, plan: WritePlan,
                reports: pa.Table, cache: ParseCache, con: duckdb.DuckDBPyConnection,
                corrections: pa.Table | None = None) -> Written:
    """A new snapshot: kept years linked, changed years written from the cache with their
    corrections applied (and each correction's outcome in the ``corrections`` table),
    PARALLEL_YEARS years at a time."""
    fixes_all = corrections if corrections is not None else empty_with_year("corrections")
    snap = store.new_snapshot(layout, run_id)
    killpoint("write.snapshot_created")
    for t in FACT_TABLES:
        for y, vdir in store.partitions(previous, t).items():
            if y in plan.keep:
                store.link_partition(snap, t, y, vdir)
    segments = cache.whole_segments()
    year_ranges = {p: cache.year_ranges(p, segments) for p in ("cells", "prose")}
    changed = [y for y in sorted(_years(reports) | _years(fixes_all)) if y in plan.changed]
    with ThreadPoolExecutor(PARALLEL_YEARS, thread_name_prefix="write-year") as pool:
        years = [pool.submit(_write_year, layout, snap, run_id, y, reports, fixes_all, cache,
                             year_ranges, con) for y in changed]
        try:
            for done in years:
                done.result()
        finally:
            for y_ in years:                    # after a failure: no year not yet begun
                y_.cancel()
    killpoint("write.done")
    return Written(snap, plan.years, plan.changed, plan.fingerprints)


#: Years written at once, each on a DuckDB cursor of its own: a year's work is DuckDB's and
#: Arrow's (both let go of the GIL), so two years keep both cores busy; each holds one chunk.
PARALLEL_YEARS = 2


def _write_year(layout: store.Layout, snap: Path, run_id: str, y: int, reports: pa.Table,
                fixes_all: pa.Table, cache: ParseCache,
                year_ranges: dict[str, dict[str, tuple[int, int] | None]],
                con: duckdb.DuckDBPyConnection) -> None:
    """Every fact partition of year ``y``, its reports and its corrections."""
    from etl.stages.corrections import applied_for, confirm

    part = reports.filter(pc.equal(reports.column("year"), y))
    store.write_partition(layout, snap, run_id, "reports", y, part)
    cur = con.cursor()                          # its own registrations, and its own views:
    views = f"write_{int(y)}"                   # in a schema of the year's (they are not temporary)
    cur.execute(f"CREATE SCHEMA {views}")
    cur.execute(f"USE {views}")
    try:
        for p, ranges in year_ranges.items():   # the views hold the segments of year y only
            cache.register(cur, p, [n for n, r in ranges.items() if r is None or r[0] <= y <= r[1]])
        year_reports = _ordered(part.select([*IDENTITY, "parse_id"])
                                .filter(pc.is_valid(part.column("parse_id"))))
        fixes = fixes_all.filter(pc.equal(fixes_all.column("year"), y))
        cur.register("fixes", applied_for(fixes, set(year_reports.column("report_id").to_pylist())))
        counts = _row_counts(cur, y, year_reports)
        scratch = layout.staging(run_id) / "write" / str(y)     # chunks of rows before sorting
        for t in FACT_SQL:
            store.stream_partition(layout, snap, run_id, t, y,
                                   _sorted_rows(cur, t, y, year_reports, counts[t], scratch))
            killpoint("write.partition_written")
        store.write_partition(layout, snap, run_id, "corrections", y,
                              confirm(fixes, layout, snap, y))
    finally:
        cur.execute("USE main")
        cur.execute(f"DROP SCHEMA {views} CASCADE")
        cur.close()
    del part, year_reports
    memory.release()        # the year's peak, not the sum of every year's leftovers


def _ordered(year_reports: pa.Table) -> pa.Table:
    """The year's reports by report_id, each with its place in that order (``ord``)."""
    tbl = year_reports.sort_by([("report_id", "ascending")])
    return tbl.append_column("ord", pa.array(range(tbl.num_rows), pa.int32()))


def _row_counts(con: duckdb.DuckDBPyConnection, year: int, year_reports: pa.Table) -> dict[str, int]:
    """{fact table: its rows from ``year_reports``}."""
    con.register("year_reports", year_reports)
    parts = dict(con.execute(_ROW_COUNTS, {"year": year}).fetchall())
    con.unregister("year_reports")
    return {t: parts.get(part, 0) for t, part in _PART.items()}


def _sorted_rows(con: duckdb.DuckDBPyConnection, table: str, year: int, year_reports: pa.Table,
                 rows_in_all: int, scratch: Path) -> Iterator[pa.Table]:
    """The year's rows of a fact table (``rows_in_all`` of them) in SORT_KEYS order, STREAM_ROWS
    at a time, each with its report's identity.  DuckDB joins the rows without sorting them
    (its ORDER BY moved every text of every row through its sort and spilled: it cost more
    than the rest of the stage); Arrow sorts them by their report's place and the table's
    other keys, one chunk of consecutive places (about CHUNK_ROWS rows) at a time, and adds
    each row's identity by its place."""
    assert SORT_KEYS[table][0] == "report_id", table     # the place orders rows by report_id
    keys = [("ord", "ascending"), *((k, "ascending") for k in SORT_KEYS[table][1:])]
    names = SCHEMAS[table].names
    identity = year_reports.select(IDENTITY).combine_chunks()
    per_chunk = -(-year_reports.num_rows // max(1, -(-rows_in_all // CHUNK_ROWS)))
    con.register("year_reports", year_reports)
    batches = con.sql(FACT_SQL[table], params={"year": year}).to_arrow_reader(store.STREAM_ROWS)
    if per_chunk >= year_reports.num_rows:
        chunks: list = [batches.read_all()]
    else:
        chunks = _by_chunk(batches, per_chunk, scratch / table)
    con.unregister("year_reports")
    for chunk in chunks:
        rows = chunk if isinstance(chunk, pa.Table) else _read_spilled(chunk)
        rows = rows.take(pc.sort_indices(rows, sort_keys=keys))     # one copy, in order
        for at in range(0, rows.num_rows, store.STREAM_ROWS):
            part = rows.slice(at, store.STREAM_ROWS)
            who = identity.take(part.column("ord"))
            yield pa.table({n: (who if n in IDENTITY else part).column(n) for n in names})
        del rows
        if isinstance(chunk, Path):
            chunk.unlink()


def _by_chunk(batches: pa.RecordBatchReader, per_chunk: int, folder: Path) -> list[Path]:
    """The rows of ``batches`` in files of ``folder``, one per chunk of ``per_chunk`` places
    (Arrow IPC, uncompressed: written and mapped back at the speed of memory), so the cache
    is scanned once whatever the number of chunks."""
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[int, Path] = {}
    writers: dict[int, pa.ipc.RecordBatchFileWriter] = {}
    try:
        for batch in batches:
            chunk_of = pc.divide(batch.column("ord"), per_chunk)      # integer division
            for c in pc.unique(chunk_of).to_pylist():
                if c not in writers:
                    files[c] = folder / f"chunk-{c:06d}.arrow"
                    writers[c] = pa.ipc.new_file(files[c], batch.schema)
                writers[c].write_batch(batch.filter(pc.equal(chunk_of, c)))
    finally:
        for w in writers.values():
            w.close()
    return [files[c] for c in sorted(files)]


def _read_spilled(path: Path) -> pa.Table:
    with pa.memory_map(str(path)) as source:
        return pa.ipc.open_file(source).read_all()


def _years(tbl: pa.Table) -> set[int]:
    return set(tbl.column("year").to_pylist())


def empty_with_year(table: str) -> pa.Table:
    return SCHEMAS[table].append(pa.field("year", pa.int32())).empty_table()
