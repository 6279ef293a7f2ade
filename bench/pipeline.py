"""Benchmark the nightly flow over N reports: reports/s, task runs used, peak memory.

    .venv/bin/python bench/pipeline.py                     # N = 200, 1000 (synthetic corpus)
    .venv/bin/python bench/pipeline.py --reports 5000 --reports 20000
    .venv/bin/python bench/pipeline.py --plain             # the same stages without Prefect

Each size: `etl synth` writes a fresh corpus (text/HTML forms unless --formats), then ONE flow
run (ephemeral Prefect server, as `etl run` uses) builds a fresh warehouse from it.  Task runs
are counted from the API for that flow run: they must not grow with the number of files (one
task per stage + one per parse batch of >= 500 files, at most 200 batches).
Peak memory = max RSS of this process and of the parse workers (ru_maxrss of children).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT / "src"))


def synth(out: Path, n: int, formats: str) -> float:
    from etl.synth.command import synth_command

    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        rc = synth_command(out=out, agencies=None, reports=n, years="2019-2025", formats=formats,
                           fault_rate=0.1, seed=1)
    if rc:
        raise SystemExit(f"etl synth failed ({rc})")
    return time.perf_counter() - t0


def count_task_runs(flow_run_id) -> int:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    flt = FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
    with get_client(sync_client=True) as client:
        return client.count_task_runs(flow_run_filter=flt) if hasattr(client, "count_task_runs") \
            else len(client.read_task_runs(flow_run_filter=flt))


def peak_mb() -> tuple[float, float]:
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return me, kids


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, action="append", help="corpus sizes (repeatable)")
    ap.add_argument("--formats", default="flat_text,html,layout_text,run_text,crawler")
    ap.add_argument("--plain", action="store_true", help="call the stages without Prefect")
    ap.add_argument("--keep", action="store_true", help="keep the temp folders")
    args = ap.parse_args()
    sizes = args.reports or [200, 1000]

    from etl import pipeline

    base = Path(tempfile.mkdtemp(prefix="bench-pipeline-", dir=os.environ.get("TMPDIR")))
    print(f"cores: {os.cpu_count()}  mode: {'plain' if args.plain else 'prefect flow (ephemeral)'}")
    print(f"{'reports':>8} {'files':>7} {'loaded':>7} {'quar.':>6} {'issues':>7} "
          f"{'run s':>7} {'rep/s':>7} {'tasks':>6} {'peak MB':>8} {'workers MB':>10}")
    try:
        for n in sizes:
            raw, wh = base / f"raw-{n}", base / f"wh-{n}"
            synth(raw, n, args.formats)
            t0 = time.perf_counter()
            if args.plain:
                summary, tasks = pipeline.run_pipeline(raw, wh), "-"
            else:
                state = pipeline.nightly(raw=str(raw), warehouse=str(wh), return_state=True)
                if not state.is_completed():
                    raise SystemExit(f"flow failed: {state.message}")
                summary = state.result()
                tasks = count_task_runs(state.state_details.flow_run_id)
            secs = time.perf_counter() - t0
            me, kids = peak_mb()
            print(f"{n:>8} {summary['files']:>7} {summary['loaded']:>7} {summary['quarantined']:>6} "
                  f"{summary['issues']:>7} {secs:>7.1f} {summary['files'] / secs:>7.0f} "
                  f"{tasks:>6} {me:>8.0f} {kids:>10.0f}", flush=True)
            print(f"{'':>8} stages (s): " + ", ".join(f"{k} {v}" for k, v in summary["seconds"].items())
                  + f"; parse batches {summary['parse_batches']}", flush=True)
            if not args.keep:
                shutil.rmtree(raw, ignore_errors=True)
                shutil.rmtree(wh, ignore_errors=True)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    print("run s includes the flow's fixed costs (≈1 s per sync flow call; the first call in a "
          "process also starts the ephemeral server, ~8-15 s)")


if __name__ == "__main__":
    main()
