"""Stage 7 — publish: the shrink guard, the snapshot's DuckDB file, the one atomic swap, and what
follows it (the runs log, the cache and old snapshots tidied).

Order matters.  Everything readers will see — Parquet, warehouse.duckdb, report, snapshot.json
(which carries the runs row too, see ``recover_run_log``) — is written and fsynced inside the
snapshot folder first; then ``current`` is swapped (the commit point); what comes after is
housekeeping that may fail without taking anything away from the published snapshot.
"""

from __future__ import annotations

import logging
from collections import Counter

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from etl.killpoint import killpoint
from etl.stages.derive import derived_version
from etl.stages.run import Run, ShrinkRefused, read_runs, record_run, run_row, run_row_json
from etl.stages.write import Written
from etl.warehouse import store
from etl.warehouse.database import DatabaseBuild, build_database

log = logging.getLogger("etl.publish")

#: How many problem files the summary names (all of them are in the reports table).
SUMMARY_FILES = 10


def files_by_year(reports: pa.Table) -> dict[str, int]:
    """Input report files per year (skipped entries are not reports)."""
    kept = reports.filter(pc.not_equal(reports.column("status"), "skipped"))
    return {str(y): n for y, n in sorted(Counter(kept.column("year").to_pylist()).items())}


def check_shrink(run: Run, reports: pa.Table) -> dict[str, int]:
    """Refuse to replace the warehouse with far fewer reports than it has, unless allowed.
    Returns the per-year file counts the new snapshot will record."""
    now = files_by_year(reports)
    before = store.read_meta(run.previous).get("files_by_year", {})
    if run.year is not None:
        scope_now, scope_before = now.get(str(run.year), 0), before.get(str(run.year), 0)
        what = f"year {run.year}"
        merged = {**before, **now} if now else {k: v for k, v in before.items()
                                                if k != str(run.year)}
    else:
        scope_now, scope_before = sum(now.values()), sum(before.values())
        what = "all years"
        merged = now
    ratio = run.settings.shrink_ratio
    if not run.allow_shrink:
        if scope_now == 0:
            raise ShrinkRefused(f"found no report files for {what} under {run.raw}; the warehouse "
                                f"is left as it is (pass --allow-shrink to publish an empty one)")
        if scope_before and scope_now < ratio * scope_before:
            raise ShrinkRefused(
                f"{what}: {scope_now} report files against {scope_before} in the published "
                f"warehouse (less than {ratio:.0%}, ETL_SHRINK_RATIO); the warehouse is left as "
                f"it is (pass --allow-shrink if the raw folder really shrank)")
    return merged


def build_snapshot_database(run: Run, written: Written) -> DatabaseBuild:
    runs = read_runs(run.layout, extra=run_row(run, "completed"))
    built = build_database(written.snapshot, runs, run.settings.duckdb_memory,
                           run.staging / "spill", run.previous, run.settings.database_copy_min)
    written.database = built.meta()
    return built


def publish(run: Run, written: Written, files_by_year_: dict[str, int]) -> None:
    store.write_meta(written.snapshot, {
        "run_id": run.run_id,
        "fingerprints": written.fingerprints,
        "derived_version": derived_version(),
        "files_by_year": files_by_year_,
        "run_row": run_row_json(run, "completed"),
        "database": written.database,
    })
    killpoint("publish.meta_written")
    store.publish(run.layout, written.snapshot)
    run.committed = True
    killpoint("publish.swapped")
    after_commit(run, "completed")


def after_commit(run: Run, status: str) -> None:
    """Housekeeping once the warehouse is published (or found unchanged): each step may fail
    and is logged; none can undo the publication."""
    for name, step in (("entry links", lambda: store.ensure_entry_links(run.layout)),
                       ("", lambda: killpoint("publish.links")),
                       ("runs log", lambda: record_run(run, status)),
                       ("", lambda: killpoint("publish.run_recorded")),
                       ("old parser versions", run.cache.drop_other_versions),
                       # half the run's DuckDB memory: housekeeping after the publication
                       # need not be fast, and a first full run's tree peaks here otherwise
                       ("cache compaction", lambda: run.cache.compact(
                           _live_keys(run), memory_bytes=run.settings.duckdb_memory // 2,
                           spill=run.staging / "spill")),
                       ("old snapshots", lambda: store.collect_garbage(run.layout))):
        try:
            step()
        except Exception:
            log.exception("after publishing: %s failed (the warehouse is published)", name)


def _live_keys(run: Run) -> set[str] | None:
    """Keys of the files the raw folder still has (None on a one-year rerun: it saw one year)."""
    if run.year is not None:
        return None
    return run.counts.get("live_keys")


def summarize(run: Run, reports: pa.Table, status: str, issues: dict[str, int],
              batches: int) -> dict:
    """The run's summary: counts in the run's scope, the rules broken in that scope (``issues``,
    from issues_by_rule: a one-year rerun counts that year's issues, not every year's), the first
    problem files."""
    problems = reports.filter(pc.is_in(reports.column("status"),
                                       pa.array(["quarantined", "skipped"])))
    c = run.counts
    return {
        "run_id": run.run_id, "status": status, "year": run.year, "raw": str(run.raw),
        "warehouse": str(run.layout.root),
        **{k: c.get(k, 0) for k in ("files", "loaded", "quarantined", "superseded", "duplicate",
                                    "skipped", "parsed")},
        "issues": sum(issues.values()), "issues_by_rule": issues,
        "years_rebuilt": sorted(c.get("years_rebuilt", [])),
        "problem_files": [{"file": r["source_file"], "status": r["status"],
                           "reason": r["error_reason"], "detail": r["error_detail"]}
                          for r in problems.slice(0, SUMMARY_FILES).to_pylist()],
        "problem_files_total": problems.num_rows,
        "seconds": dict(run.seconds), "parse_batches": batches,
    }


def issues_by_rule(snapshot, years: set[int] | None) -> dict[str, int]:
    counts: Counter[str] = Counter()
    if snapshot is None:
        return {}
    for y, f in store.partition_files(snapshot, "validation_issues"):
        if years is None or y in years:
            counts.update(pq.read_table(f, columns=["rule"]).column("rule").to_pylist())
    return dict(sorted(counts.items()))
