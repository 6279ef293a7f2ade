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
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from etl.killpoint import killpoint
from etl.stages.cache import ParseCache
from etl.warehouse import store
from etl.warehouse.schemas import FACT_TABLES, SCHEMAS, SORT_KEYS

#: Bump when the way facts are written changes without the schemas changing.
WRITE_VERSION = "2"

# The cells of one section as rows of its fact table.  Counts are integers: a non-integral
# number in a count cell is kept as NULL (its raw text stays), never rounded into a fact.
_IDENT = "r.report_id, r.agency_id, r.agency, r.region_path, r.level"
_TAIL = "c.raw, c.state, c.source, c.note, r.status"
_COUNT = "CASE WHEN c.value = trunc(c.value) THEN c.value::BIGINT END"
FACT_SQL: dict[str, str] = {
    "applications": f"""
        SELECT {_IDENT}, c."row" AS row_key, c."column" AS applicant, {_COUNT} AS value, {_TAIL}
        FROM cells c JOIN year_reports r USING (parse_id)
        WHERE c.year = $year AND c.section = '3'""",
    "active_disclosure": f"""
        SELECT {_IDENT}, c."row" AS category, c."column" AS metric, c.value, {_TAIL}
        FROM cells c JOIN year_reports r USING (parse_id)
        WHERE c.year = $year AND c.section = '2'""",
    "review_litigation": f"""
        SELECT {_IDENT}, c."row" AS item, c."column" AS outcome,
               c."row" || '_' || c."column" AS key, {_COUNT} AS value, {_TAIL}
        FROM cells c JOIN year_reports r USING (parse_id)
        WHERE c.year = $year AND c.section = '4'""",
    "prose_figures": f"""
        SELECT {_IDENT}, p.figure AS key, p.value, p.text, p.source, r.status
        FROM prose p JOIN year_reports r USING (parse_id)
        WHERE p.year = $year""",
}


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


def code_version() -> str:
    """What the written tables depend on besides their inputs: schemas and this module."""
    from etl.warehouse import schemas

    h = hashlib.sha256(WRITE_VERSION.encode())
    h.update(Path(schemas.__file__).read_bytes())
    h.update(Path(__file__).read_bytes())
    return h.hexdigest()[:12]


def fingerprint(part: pa.Table) -> str:
    """Of one year's resolved reports rows (public columns + the key of the parse each comes
    from; not which cached copy of it: the cache may be compacted), over the values themselves
    (Arrow buffers of equal tables may differ in their padding)."""
    h = hashlib.sha256(code_version().encode())
    for row in part.drop_columns(["parse_id"]).to_pylist():
        h.update(json.dumps(row, default=str, sort_keys=True, ensure_ascii=False).encode())
    return h.hexdigest()[:24]


def _by_year(reports: pa.Table) -> dict[int, pa.Table]:
    return {y: reports.filter(pc.equal(reports.column("year"), y))
            for y in sorted(set(reports.column("year").to_pylist()))}


def plan_write(previous: Path | None, reports: pa.Table, only_year: int | None = None) -> WritePlan:
    """Which years to rewrite: those whose reports differ from the published snapshot's
    (``only_year``: that year alone is in scope; every other year is kept as published)."""
    prev_fp = store.read_meta(previous).get("fingerprints", {})
    parts = _by_year(reports)
    fps = {str(y): fingerprint(store.sort_table("reports", t)) for y, t in parts.items()}
    prev_years = {y for t in FACT_TABLES for y in store.partitions(previous, t)}
    if only_year is None:
        changed = {y for y in parts if prev_fp.get(str(y)) != fps[str(y)]} | (prev_years - set(parts))
        keep = set(parts) - changed
        return WritePlan(sorted(parts), changed, keep, fps)
    changed = {only_year} if prev_fp.get(str(only_year)) != fps.get(str(only_year)) else set()
    keep = prev_years - changed
    merged = {k: v for k, v in prev_fp.items() if k != str(only_year)} | fps
    years = sorted(keep | set(parts))
    return WritePlan(years, changed, keep, {k: v for k, v in merged.items() if int(k) in years})


def write_facts(layout: store.Layout, run_id: str, previous: Path | None, plan: WritePlan,
                reports: pa.Table, cache: ParseCache,
                con: duckdb.DuckDBPyConnection) -> Written:
    """A new snapshot: kept years linked, changed years written from the cache."""
    snap = store.new_snapshot(layout, run_id)
    killpoint("write.snapshot_created")
    for t in FACT_TABLES:
        for y, vdir in store.partitions(previous, t).items():
            if y in plan.keep:
                store.link_partition(snap, t, y, vdir)
    parts = _by_year(reports)
    segments = cache.whole_segments()
    con.register("cells", cache.dataset("cells", segments))
    con.register("prose", cache.dataset("prose", segments))
    for y in sorted(plan.changed & set(parts)):
        part = parts[y]
        store.write_partition(layout, snap, run_id, "reports", y, part)
        con.register("year_reports", part.select(
            ["report_id", "agency_id", "agency", "region_path", "level", "status", "parse_id"])
            .filter(pc.is_valid(part.column("parse_id"))))
        for t in FACT_TABLES[1:]:
            order = ", ".join(f'"{k}"' for k in SORT_KEYS[t])
            reader = con.sql(f"SELECT * FROM ({FACT_SQL[t]}) ORDER BY {order}",
                             params={"year": y}).to_arrow_reader(200_000)
            store.stream_partition(layout, snap, run_id, t, y, reader)
            killpoint("write.partition_written")
        con.unregister("year_reports")
    con.unregister("cells")
    con.unregister("prose")
    killpoint("write.done")
    return Written(snap, plan.years, plan.changed, plan.fingerprints)


def empty_with_year(table: str) -> pa.Table:
    return SCHEMAS[table].append(pa.field("year", pa.int32())).empty_table()
