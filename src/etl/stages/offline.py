"""Every stage after parsing, on reports given directly: what `etl eval` and the tests use to put
reports they parsed or made themselves through the run's own resolve, write, validate,
aggregate, database and publish stages (no Prefect, no parse workers)."""

from __future__ import annotations

from etl.model import ParsedReport
from etl.stages import derive, publish, resolve, write
from etl.stages.cache import SegmentRows, cache_key
from etl.stages.discover import Inventory, SourceFile
from etl.stages.parse import Parsed
from etl.stages.run import Run
from etl.warehouse.database import connect_for_build


def publish_reports(run: Run, reports: list[tuple[SourceFile, str, ParsedReport]],
                    tag: str = "given") -> None:
    """Publish ``reports`` — (file with its manifest row, report_id, parsed report) — as the
    run's warehouse, exactly as a run would after its parse stage."""
    rows, files, parsed = SegmentRows(), [], {}
    for f, rid, rep in reports:
        key = cache_key(rid, f.manifest_year)
        rows.add_parse(key, rid, rep, run.parser_version)
        files.append(f)
        parsed[f.rel] = Parsed(rid, key)
    rows.write(run.cache.segments, f"{tag}-{run.run_id}")
    res = resolve.resolve(Inventory(files, []), parsed, run.cache)
    plan = write.plan_write(run.previous, res.reports)
    con = connect_for_build(":memory:", run.settings.duckdb_memory, run.staging / "spill")
    try:
        written = write.write_facts(run.layout, run.run_id, run.previous, plan, res.reports,
                                    run.cache, con)
        years = derive.years_to_derive(written, run.previous)
        derived = derive.validate(run.layout, run.run_id, written, run.previous, years, con)
        derive.aggregate(run.layout, run.run_id, written, run.previous,
                         derive.years_to_aggregate(years, derived), con)
    finally:
        con.close()
    publish.build_snapshot_database(run, written)
    publish.publish(run, written, publish.files_by_year(res.reports))
