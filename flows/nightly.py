"""The nightly Prefect flow: the run's stages (``etl.stages``) as tasks, its artifacts, its
deployment, and the ``etl run`` / ``etl serve`` command bodies.

    etl run [--year Y]                      # the flow now, in-process (temporary Prefect API)
    etl serve                               # served on a cron schedule (needs `prefect server start`)
    prefect --no-prompt deploy --all        # or deployed from prefect.yaml to a process work pool

One flow run per ``etl run``; one task per stage and one per parse batch of >= 500 files (about 40
at most), named for what they do (``parse 2023 batch 3/40``), so the task count never grows with the
number of files.  Every stage logs through the ``etl`` loggers, which Prefect ships to the API as
run logs (``PREFECT_LOGGING_EXTRA_LOGGERS``).
"""

import os
import sys
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Optional

# Before Prefect is imported: a project-local, quiet, patient temporary server, and the etl
# loggers attached to the run logs.  The console shows Prefect's warnings only; the CLI prints
# the etl lines itself.
_PROJECT = Path(__file__).resolve().parents[1]
for _k, _v in {
    "PREFECT_HOME": str(_PROJECT / ".prefect"),
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    "PREFECT_SERVER_LOGGING_LEVEL": "CRITICAL",
    "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
    "PREFECT_LOGGING_EXTRA_LOGGERS": "etl",
    "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "WARNING",
}.items():
    os.environ.setdefault(_k, _v)

import logging  # noqa: E402

import pyarrow.compute as pc  # noqa: E402
from prefect import Task, flow, task  # noqa: E402
from prefect.cache_policies import NO_CACHE  # noqa: E402
from prefect.task_runners import ThreadPoolTaskRunner  # noqa: E402
from prefect.utilities.annotations import quote  # noqa: E402

from etl.settings import Settings, check_year  # noqa: E402
from etl.stages import derive, discover, memory, parse, publish, resolve, unchanged, write  # noqa: E402
from etl.stages.run import Run, check_paths, open_run  # noqa: E402

log = logging.getLogger("etl.flow")
if logging.getLogger("etl").level == logging.NOTSET:      # run logs at INFO reach the API
    logging.getLogger("etl").setLevel(logging.INFO)

#: The deployment's name, the same for `etl serve` and `prefect deploy` (prefect.yaml): one
#: schedule, one concurrency limit, whichever way it is started.
DEPLOYMENT = "nightly"
CONCURRENCY_LIMIT = 1
DEFAULT_CRON = "0 2 * * *"
DEFAULT_TIMEZONE = "Asia/Shanghai"

# Tasks: retries only where a retry can help (a transient I/O error while walking or parsing);
# writing and publishing are not retried (a failure there fails the run, which keeps the
# published warehouse).  No task timeouts: Prefect cannot interrupt a task in a worker thread, so
# time is bounded where a process can be killed — each file in the parse pool (ETL_PARSE_TIMEOUT).
_task: dict[str, Any] = dict(cache_policy=NO_CACHE, persist_result=False)


#: Walks of the raw folder begun by `etl run` while Prefect's temporary server starts (the
#: run's process mostly waits for it then: ≈ 3 s at 100k files), by (raw, year, warehouse).
_early_walks: dict[tuple[Path, Optional[int], Path], Future] = {}


def walk_early(raw: Path, warehouse: Path, year: Optional[int]) -> None:
    """Begin the discover stage's walk now (the flow's discover task takes it up).  Nothing is
    created here; whatever goes wrong is left for the flow to meet and report."""
    try:
        raw_path, wh_path = check_paths(raw, warehouse)     # as open_run resolves them
        _early_walks[(raw_path, year, wh_path)] = discover.in_background(raw_path, year, (wh_path,))
    except Exception:
        log.debug("no early walk of %s", raw, exc_info=True)


@task(name="discover", retries=2, retry_delay_seconds=5, **_task)
def discover_files(run: Run) -> discover.Inventory:
    inv = discover.result_or_none(_early_walks.pop((run.raw, run.year, run.layout.root), None))
    when = "walked while the flow started"
    if inv is None:
        inv, when = discover.discover(run.raw, run.year, exclude=(run.layout.root,)), "walked now"
    run.counts["files"] = len(inv.files)
    log.info("discover: %d files under %s (%d skipped; %s)", len(inv.files), run.raw,
             len(inv.skipped), when)
    return inv


@task(name="plan parse", **_task)
def plan_parse(run: Run, inventory: discover.Inventory) -> parse.ParsePlan:
    plan = parse.plan(inventory.files, run.cache, str(run.raw))
    log.info("parse: %d files to parse, %d unchanged since they were parsed (%d batches)",
             plan.todo, len(plan.known), len(plan.batches))
    return plan


@task(retries=1, retry_delay_seconds=2, **_task)
def parse_batch(pool, batch: parse.Batch, max_file_bytes: int) -> dict:
    out = parse.parse_batch(pool, batch, max_file_bytes)
    failed = sum(1 for p in out.values() if p.failure)
    log.info("%s: %d files (%d not parsed: timeout, crash or unreadable)", batch.name,
             len(out), failed)
    return out


def parse_all(run: Run, inventory: discover.Inventory, plan: parse.ParsePlan,
              dask_address: Optional[str]) -> dict:
    """Every batch, concurrently (the pool keeps every worker busy across batches)."""
    parsed: dict = dict(plan.known)
    if plan.batches:
        if dask_address:
            from etl.stages.distributed import parse_on_dask

            parsed.update(parse_on_dask(dask_address, plan.batches, run))
        else:
            pool = parse.new_pool(run.settings, run.cache)
            run.on_close(pool.close)
            futures = [parse_batch.with_options(task_run_name=b.name)
                       .submit(quote(pool), quote(b), run.settings.max_file_bytes)  # type: ignore[call-overload]
                       for b in plan.batches]
            for f in futures:
                parsed.update(f.result())
            pool.close()
    run.counts["parsed"] = plan.todo
    run.counts["live_keys"] = {p.key for p in parsed.values()}
    index = parse.new_file_index(plan, inventory.files, parsed)
    if run.year is not None:                # a one-year rerun saw only that year's files
        index = {**plan.index, **index}
    run.cache.save_file_index(str(run.raw), index)
    return parsed


@task(name="resolve", **_task)
def resolve_reports(run: Run, inventory: discover.Inventory, parsed: dict) -> resolve.Resolved:
    res = resolve.resolve(inventory, parsed, run.cache, run.year)
    run.counts.update(res.counts)
    # the run's files: those of its scope (a one-year rerun also reads files that turn out to
    # be of another year, to learn it; they are not counted)
    run.counts["files"] = sum(n for s, n in res.counts.items() if s != "skipped")
    log.info("resolve: %s", ", ".join(f"{n} {s}" for s, n in res.counts.items() if n))
    return res


@task(name="corrections", **_task)
def read_corrections(run: Run, folder: Optional[str], res: resolve.Resolved):
    from etl.stages import corrections

    rows = corrections.match(corrections.read_corrections(Path(folder) if folder else None),
                             res.reports)
    tbl = corrections.to_table(rows, res.reports)
    if run.year is not None:
        tbl = tbl.filter(pc.equal(tbl.column("year"), run.year))
    statuses = tbl.column("status").to_pylist()
    if statuses:
        log.info("corrections: %s", ", ".join(f"{statuses.count(s)} {s}" for s in sorted(set(statuses))))
    for r in tbl.filter(pc.is_valid(tbl.column("message"))).slice(0, 10).to_pylist():
        log.warning("correction not applied: %s", r["message"])
    return tbl


@task(name="write", **_task)
def write_facts(run: Run, res: resolve.Resolved, plan: write.WritePlan, fixes) -> write.Written:
    from etl.warehouse.database import connect_for_build

    con = connect_for_build(":memory:", run.settings.duckdb_memory, run.staging / "spill")
    try:
        written = write.write_facts(run.layout, run.run_id, run.previous, plan, res.reports,
                                    run.cache, con, fixes)
    finally:
        con.close()
    run.counts["years_rebuilt"] = sorted(plan.changed)
    log.info("write: years rewritten %s, kept %s", sorted(plan.changed) or "none",
             sorted(plan.keep) or "none")
    return written


@task(name="validate", **_task)
def validate(run: Run, written: write.Written, years: set) -> derive.Derived:
    from etl.warehouse.database import connect_for_build

    con = connect_for_build(":memory:", run.settings.duckdb_memory, run.staging / "spill")
    try:
        out = derive.validate(run.layout, run.run_id, written, run.previous, years, con)
    finally:
        con.close()
    kept = "".join(f" ({y}: its cross-year rules only{', unchanged' if y in out.unchanged else ''})"
                   for y in sorted(out.reused))
    log.info("validate: years %s%s, %d issues", sorted(years) or "none", kept,
             sum(out.issues_by_rule.values()))
    return out


@task(name="aggregate", **_task)
def aggregate(run: Run, written: write.Written, years: set) -> int:
    from etl.warehouse.database import connect_for_build

    con = connect_for_build(":memory:", run.settings.duckdb_memory, run.staging / "spill")
    try:
        n = derive.aggregate(run.layout, run.run_id, written, run.previous, years, con)
    finally:
        con.close()
    log.info("aggregate: %d years (%s)", n, ", ".join(map(str, sorted(years))) or "none")
    return n


@task(name="database", **_task)
def build_database(run: Run, written: write.Written) -> None:
    built = publish.build_snapshot_database(run, written)
    if built.mode == "full":
        log.info("database: %s built in full", written.snapshot.name)
    else:
        log.info("database: %s copied from %s, partitions replaced: %s", written.snapshot.name,
                 run.previous.name if run.previous else "?",
                 "; ".join(f"{t} {', '.join(map(str, ys))}" for t, ys in built.replaced.items())
                 or "none")


@task(name="report site", **_task)
def build_report(run: Run, written: write.Written) -> None:
    """The quality report of the snapshot, built inside it (published by the same swap)."""
    from etl.report.site import build_snapshot_site
    from etl.warehouse.store import DATABASE, REPORT

    previous = run.previous / REPORT if run.previous and (run.previous / REPORT).is_dir() else None
    stats = build_snapshot_site(written.snapshot / DATABASE, written.snapshot / REPORT,
                                settings=run.settings, spill=run.staging / "spill",
                                source_root=str(run.raw), previous=previous)
    log.info("report: %d cards, %d regions, %.0f MB (%d pages kept unchanged)", stats.cards,
             stats.regions, stats.bytes / 1e6, stats.reused)


@task(name="publish", **_task)
def publish_snapshot(run: Run, written: write.Written, files_by_year: dict) -> None:
    publish.publish(run, written, files_by_year)
    log.info("publish: current -> %s", written.snapshot.name)


@task(name="summary artifacts", retries=1, **_task)
def publish_artifacts(summary: dict) -> None:
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    create_markdown_artifact(key="nightly-summary", markdown=summary_markdown(summary),
                             description="counts, rules broken, files not loaded")
    create_table_artifact(key="nightly-rules-broken",
                          table=[{"rule": r, "issues": n} for r, n in summary["issues_by_rule"].items()]
                          or [{"rule": "", "issues": 0}],
                          description="validation issues per rule (in the run's scope)")
    from prefect.artifacts import create_link_artifact

    create_link_artifact(key="nightly-report", link=f"file://{summary['warehouse']}/report/index.html",
                         link_text="质量报告 / quality report", description="the published report site")
    create_table_artifact(key="nightly-problem-files",
                          table=summary["problem_files"] or [{"file": "", "status": "", "reason": "",
                                                              "detail": ""}],
                          description="first files that were quarantined or skipped "
                                      "(all of them: reports table)")


def summary_markdown(s: dict) -> str:
    from etl.textsafe import md_cell

    scope = f"year {s['year']}" if s["year"] is not None else "all years"
    lines = [f"# Nightly warehouse run {s['run_id']} ({scope}): {s['status']}", "",
             "| files | parsed | loaded | quarantined | superseded | duplicates | skipped | "
             "validation issues |", "|---|---|---|---|---|---|---|---|",
             f"| {s['files']} | {s['parsed']} | {s['loaded']} | {s['quarantined']} | "
             f"{s['superseded']} | {s['duplicate']} | {s['skipped']} | {s['issues']} |", "",
             f"Years rewritten: {', '.join(map(str, s['years_rebuilt'])) or 'none'}", "",
             "## Rules broken", "", "| rule | issues |", "|---|---|"]
    lines += [f"| {r} | {n} |" for r, n in s["issues_by_rule"].items()] or ["| (none) | 0 |"]
    if s["problem_files_total"]:
        lines += ["", f"## Files not loaded ({s['problem_files_total']}; first "
                      f"{len(s['problem_files'])})", "", "| file | reason | detail |", "|---|---|---|"]
        lines += [f"| {md_cell(p['file'])} | {md_cell(p['reason'])} | {md_cell(p['detail'])} |"
                  for p in s["problem_files"]]
    return "\n".join(lines)


# Task arguments are quoted: Prefect otherwise walks every argument looking for futures to
# resolve, and the run's values hold 100k files (8.9 s per task call for a list of 100k small
# dataclasses, measured; the whole run object carries the cache keys of every file).
def _timed(run: Run, name: str, fn, *args):
    import resource

    t0 = time.perf_counter()
    try:
        if isinstance(fn, Task):
            args = tuple(quote(a) for a in args)
        return fn(*args)
    finally:
        run.seconds[name] = round(run.seconds.get(name, 0) + time.perf_counter() - t0, 2)
        before = memory.rss_mb()
        memory.release()
        log.info("%s: %.1f s; the run's process: %d MB at the end (%d MB once freed memory is "
                 "returned), peak so far %d MB", name, time.perf_counter() - t0, before,
                 memory.rss_mb(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)


# Tasks run on threads of the flow's process (Prefect's generic types do not infer here).
_THREADS: Any = ThreadPoolTaskRunner(max_workers=4)


@flow(name="nightly", task_runner=_THREADS, persist_result=False,
      log_prints=False)
def nightly(year: Optional[int] = None, raw: str = "data/raw", warehouse: str = "data/warehouse",
            allow_shrink: bool = False, dask: Optional[str] = None,
            corrections: Optional[str] = "data/corrections") -> dict:
    """Build the warehouse from ``raw`` (``year``: rebuild exactly that year; ``allow_shrink``:
    publish even if far fewer reports than last time; ``dask``: a Dask scheduler address to
    parse on, default $ETL_DASK_ADDRESS; ``corrections``: the folder of correction files)."""
    settings = Settings.load()
    year = check_year(year)
    dask = dask or os.environ.get("ETL_DASK_ADDRESS") or None
    with open_run(raw, warehouse, year, settings, allow_shrink) as run:
        summary = _stages(run, corrections, dask)
    publish_artifacts(summary)
    return summary


@task(name="confirm unchanged", **_task)
def confirm_unchanged(run: Run) -> dict:
    """Nothing the warehouse is made from changed since it was built: it stays as it is."""
    assert run.previous is not None
    reports = unchanged.published_reports(run.previous)
    run.counts.update(unchanged.counts(reports))
    issues = publish.issues_by_rule(run.previous, None)
    run.counts["issues"] = sum(issues.values())
    log.info("the raw folder, the corrections and the code are those %s was built from: the "
             "warehouse is left as it is", run.previous.name)
    return publish.summarize(run, reports, "unchanged", issues, 0)


def _stages(run: Run, corrections: Optional[str], dask: Optional[str]) -> dict:
    """Discover; then either confirm the warehouse unchanged (the inputs it was built from), or
    plan, parse, resolve and — if anything changed — write, derive, build and publish a new
    snapshot.  Returns the run's summary."""
    year = run.year
    inventory = _timed(run, "discover", discover_files, run)
    # A one-year rerun neither uses nor records the inputs' digest: not computed for it.
    inputs = (unchanged.inputs_digest(run.raw, inventory, Path(corrections) if corrections else None)
              if year is None else None)
    if inputs is not None and unchanged.confirms(run.layout, run.previous, inputs):
        summary = _timed(run, "confirm", confirm_unchanged, run)
        publish.after_commit(run, "unchanged")
        return summary
    plan = _timed(run, "plan", plan_parse, run, inventory)
    parsed = _timed(run, "parse", parse_all, run, inventory, plan, dask)
    res = _timed(run, "resolve", resolve_reports, run, inventory, parsed)
    # The file list and the parse outcomes live on in res.reports: let them go before the
    # stages that need the memory.
    n_batches = len(plan.batches)
    del inventory, plan, parsed
    memory.release()
    counts = publish.check_shrink(run, res.reports)
    fixes = _timed(run, "corrections", read_corrections, run, corrections, res)
    wplan = write.plan_write(run.previous, res.reports, run.year, fixes)
    scope = {year} if year is not None else None
    status, snapshot, years = "completed", None, set()
    if not wplan.changed and run.previous is not None and derive.same_rules(run.previous):
        status, snapshot = "unchanged", run.previous
        issues = publish.issues_by_rule(snapshot, scope)
        run.counts["issues"] = sum(issues.values())
        log.info("nothing changed since %s: the warehouse is left as it is", run.previous.name)
        publish.after_commit(run, "unchanged")
    else:
        written = _timed(run, "write", write_facts, run, res, wplan, fixes)
        years = derive.years_to_derive(written, run.previous)
        derived = _timed(run, "validate", validate, run, written, years)
        _timed(run, "aggregate", aggregate, run, written, derive.years_to_aggregate(years, derived))
        issues = publish.issues_by_rule(written.snapshot, scope)
        run.counts["issues"] = sum(issues.values())
        _timed(run, "database", build_database, run, written)
        _timed(run, "report", build_report, run, written)
        _timed(run, "publish", publish_snapshot, run, written, counts)
        snapshot = written.snapshot
    if inputs is not None:              # what these inputs make: the next night can confirm it
        unchanged.remember(run.layout, snapshot, inputs)      # without parsing
    return publish.summarize(run, res.reports, status, issues, n_batches)


# --------------------------------------------------------------------------------------------
# deployment
# --------------------------------------------------------------------------------------------

def deployment_kwargs(cron: str, timezone: str, raw, warehouse) -> dict:
    """The nightly deployment as `etl serve` registers it (prefect.yaml declares the same name,
    schedule and concurrency limit for `prefect deploy`)."""
    from prefect.schedules import Cron

    return {
        "name": DEPLOYMENT,
        "schedules": [Cron(cron, timezone=timezone)],
        "parameters": {"raw": str(Path(raw).resolve()), "warehouse": str(Path(warehouse).resolve())},
        "tags": ["etl"],
        "concurrency_limit": CONCURRENCY_LIMIT,
    }


def serve_command(cron: str, timezone: str, raw: Path, warehouse: Path) -> int:
    """`etl serve`: serve the nightly deployment (long-running; needs a real `prefect server
    start` and PREFECT_API_URL, since the temporary server can't schedule)."""
    if not os.environ.get("PREFECT_API_URL"):
        print("etl serve needs a running Prefect server: start `prefect server start` and set "
              "PREFECT_API_URL=http://127.0.0.1:4200/api (see README, Scheduling)", file=sys.stderr)
        return 2
    nightly.serve(**deployment_kwargs(cron, timezone, raw, warehouse))
    return 0


# --------------------------------------------------------------------------------------------
# `etl run`
# --------------------------------------------------------------------------------------------

def run_command(year: Optional[int], raw: Path, warehouse: Path, allow_shrink: bool = False,
                dask: Optional[str] = None, corrections: Optional[Path] = None) -> int:
    """`etl run`: the flow now; stage lines on stderr, the summary on stdout.  Exit 0 when the
    warehouse was published (or found unchanged), 1 when the run failed or was refused (the
    published warehouse is then as it was), 2 for bad arguments."""
    from etl.lifeline import guard
    from etl.settings import SettingError
    from etl.stages.run import check_paths
    from etl.textsafe import plain

    try:
        Settings.load()
        check_year(year)
        check_paths(raw, warehouse)
    except SettingError as e:
        print(f"etl run: {e}", file=sys.stderr)
        return 2
    guard()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    etl_log = logging.getLogger("etl")
    etl_log.addHandler(handler)
    t0 = time.perf_counter()
    memory.dedicated_process()
    walk_early(raw, warehouse, year)
    try:
        state = nightly(year=year, raw=str(raw), warehouse=str(warehouse),
                        allow_shrink=allow_shrink, dask=dask,
                        corrections=str(corrections) if corrections else None, return_state=True)
    finally:
        _early_walks.clear()        # a walk the flow did not take up is never taken later
        etl_log.removeHandler(handler)
    if not state.is_completed():
        try:
            state.result()
            message = state.message or "failed"
        except Exception as e:
            message = f"{type(e).__name__}: {e}"
        print(f"etl run: {plain(message)}\nThe published warehouse is unchanged.", file=sys.stderr)
        return 1
    s = state.result()
    print(summary_text(s))
    print(f"done in {time.perf_counter() - t0:.1f} s")
    return 0


def summary_text(s: dict) -> str:
    from etl.textsafe import plain

    scope = f"year {s['year']}" if s["year"] is not None else "all years"
    lines = [f"warehouse {plain(s['warehouse'])} — run {s['run_id']} ({scope}): {s['status']}",
             "  " + "  ".join(f"{k} {s[k]}" for k in ("files", "parsed", "loaded", "quarantined",
                                                       "superseded", "duplicate", "skipped",
                                                       "issues")),
             f"  years rewritten: {', '.join(map(str, s['years_rebuilt'])) or 'none'}"]
    lines += [f"  {rule}: {n}" for rule, n in s["issues_by_rule"].items()]
    if s["problem_files_total"]:
        lines.append(f"  {s['problem_files_total']} files not loaded"
                     + (f"; the first {len(s['problem_files'])}:" if s["problem_files_total"]
                        > len(s["problem_files"]) else ":"))
        lines += [f"    {plain(p['file'])}: {plain(p['reason'])} — {plain(p['detail'] or '')}"
                  for p in s["problem_files"]]
        lines.append("  all of them: etl sql \"select source_file, status, error_reason, "
                     "error_detail from reports where status in ('quarantined', 'skipped')\"")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(serve_command(os.environ.get("ETL_CRON", DEFAULT_CRON),
                           os.environ.get("ETL_TIMEZONE", DEFAULT_TIMEZONE),
                           Path(os.environ.get("ETL_RAW", "data/raw")),
                           Path(os.environ.get("ETL_WAREHOUSE", "data/warehouse"))))
