"""Benchmark `etl report` (build_site) against the nightly run that builds the warehouse.

    .venv/bin/python bench/report.py                       # 10k reports
    .venv/bin/python bench/report.py --reports 10000 --reports 30000
    .venv/bin/python bench/report.py --warehouse data/warehouse   # an existing warehouse only

``--warehouse``: the site of that warehouse's published snapshot, built as the nightly flow's
report stage builds it (a connection with the run's DuckDB memory limit and a spill folder):
first into an empty folder (a first full run), then again with that site as ``previous`` and
nothing changed, then with one agency page and its region path marked changed in the previous
manifest (what a run with one changed file renders).  Printed per build: wall and CPU seconds
(this process and its children), the peak RSS of this process tree (sampled), and the phases.

Each size: `etl synth` writes a corpus (text/HTML forms); `etl run` (the Prefect flow, as the
nightly runs it) builds the warehouse, and the site is built into a fresh folder; then the next
night with nothing changed: `etl run` again (its parse cache finds every file) and the site
again with ``previous`` = the first one (unchanged agency and region pages are hard-linked, not
rendered).  Printed per night: run and report seconds (wall and CPU), the report's share of the
run, the site's size (MB, files), ms per report and the report's phases (wall s).  CPU counts
this process and its children (the run, its parse workers and Prefect server); on a shared
machine the CPU share is the steadier figure.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT / "src"))


def _cpu() -> float:
    """CPU seconds of this process (all threads) and of its finished children (parse workers)."""
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + kids.ru_utime + kids.ru_stime


def timed(fn, *args):
    w, c = time.perf_counter(), _cpu()
    result = fn(*args)
    return result, time.perf_counter() - w, _cpu() - c


def etl_run(raw: Path, warehouse: Path) -> None:
    """`etl run`, as the nightly runs it (a process of its own: the flow, its workers, Prefect)."""
    res = subprocess.run([str(Path(sys.executable).parent / "etl"), "run", "--raw", str(raw),
                          "--warehouse", str(warehouse)], capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit(f"etl run failed:\n{res.stderr[-3000:]}")


def build(warehouse: Path, out: Path, previous: Path | None = None):
    from etl.report import build_site
    from etl.warehouse.query import connect_readonly

    con = connect_readonly(warehouse)
    try:
        return build_site(con, out, previous=previous)
    finally:
        con.close()


def build_like_the_run(warehouse: Path, out: Path, previous: Path | None = None):
    """build_site as the flow's report stage calls it (its connection and limits)."""
    from etl.report.site import build_snapshot_site
    from etl.settings import Settings
    from etl.warehouse.store import DATABASE, Layout

    snapshot = Layout(warehouse.resolve()).current_snapshot()
    spill = out.parent / f".spill-{out.name}"
    try:
        return build_snapshot_site(snapshot / DATABASE, out, previous=previous,
                                   settings=Settings.load(), spill=spill)
    finally:
        shutil.rmtree(spill, ignore_errors=True)


def mark_one_changed(site: Path) -> str:
    """Forget the fingerprint of one agency page and of its region path in ``site``'s manifest
    (as if that agency's report had changed); returns the agency page."""
    import json

    from etl.report.site import MANIFEST

    m = json.loads((site / MANIFEST).read_text("utf-8"))
    key = sorted(m["cards"])[len(m["cards"]) // 2]
    m["cards"][key] = "changed"
    for path in sorted(m["regions"], key=len):
        m["regions"][path] = "changed"          # the root and one line of descent
        break
    deepest = max(m["regions"], key=lambda p: p.count("/"))
    parts = deepest.split("/")
    for i in range(1, len(parts) + 1):
        m["regions"]["/".join(parts[:i])] = "changed"
    (site / MANIFEST).write_text(json.dumps(m), "utf-8")
    return key


def measured(fn, *args):
    """(result, wall s, CPU s, peak RSS of this process tree in bytes)."""
    sys.path.insert(0, str(Path(__file__).parent))
    from proctree import TreeSampler

    with TreeSampler() as s:
        result, w, c = timed(fn, *args)
    return result, w, c, s.peak


def site_size(out: Path) -> tuple[float, int]:
    files = [p for p in out.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / 1e6, len(files)


def row(n, run_w, run_c, stats, rep_w, rep_c, out: Path, note: str = "") -> None:
    mb, files = site_size(out)
    share_w = f"{100 * rep_w / run_w:5.1f}%" if run_w else "    -"
    share_c = f"{100 * rep_c / run_c:5.1f}%" if run_c else "    -"
    print(f"{n:>8,} {run_w:>7.1f} {run_c:>7.1f} {rep_w:>7.1f} {rep_c:>7.1f} {share_w:>7} "
          f"{share_c:>7} {mb:>8.1f} {files:>7,} {1000 * rep_w / max(stats.cards, 1):>6.2f}  "
          + " ".join(f"{k} {v}" for k, v in stats.seconds.items()) + f" {note}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, action="append", help="corpus sizes (repeatable)")
    ap.add_argument("--formats", default="flat_text,html,layout_text,run_text,crawler")
    ap.add_argument("--warehouse", type=Path, help="report on this warehouse only (no run)")
    ap.add_argument("--keep", action="store_true", help="keep the temp folders")
    args = ap.parse_args()

    base = Path(tempfile.mkdtemp(prefix="bench-report-", dir=os.environ.get("TMPDIR")))
    print(f"cores: {os.cpu_count()}  (run = `etl run`, the Prefect flow; CPU = process time of "
          f"all threads and child processes)")
    print(f"{'reports':>8} {'run s':>7} {'run cpu':>7} {'rep s':>7} {'rep cpu':>7} {'share':>7} "
          f"{'cpu sh.':>7} {'site MB':>8} {'files':>7} {'ms/rep':>6}  phases (s)")
    try:
        if args.warehouse:
            full, again, one = base / "site", base / "site-again", base / "site-one"
            for name, out, prev in (("full", full, None), ("nothing changed", again, full),
                                    ("one agency changed", one, full)):
                if name == "one agency changed":
                    mark_one_changed(full)
                stats, w, c, peak = measured(build_like_the_run, args.warehouse, out, prev)
                row(stats.cards, 0, 0, stats, w, c, out,
                    f"({name}: {stats.reused:,} agency and {stats.reused_regions:,} region "
                    f"pages kept; tree peak {peak / 2**20:,.0f} MB; CPU "
                    + " ".join(f"{k} {v}" for k, v in stats.cpu.items()) + ")")
            return
        from etl.synth.command import synth_command

        for n in args.reports or [10_000]:
            raw, wh, out = base / f"raw-{n}", base / f"wh-{n}", base / f"site-{n}"
            with contextlib.redirect_stdout(io.StringIO()):
                synth_command(out=raw, agencies=None, reports=n, years="2019-2025",
                              formats=args.formats, fault_rate=0.1, seed=1)
            _, run_w, run_c = timed(etl_run, raw, wh)
            stats, rep_w, rep_c = timed(build, wh, out)
            row(n, run_w, run_c, stats, rep_w, rep_c, out, "(first night)")
            again = base / f"site-{n}-again"
            _, run_w, run_c = timed(etl_run, raw, wh)
            stats, rep_w, rep_c = timed(build, wh, again, out)
            row(n, run_w, run_c, stats, rep_w, rep_c, again,
                f"(next night, nothing changed: {stats.reused:,} agency and "
                f"{stats.reused_regions:,} region pages kept)")
            if not args.keep:
                for p in (raw, out, again):
                    shutil.rmtree(p, ignore_errors=True)
    finally:
        if args.keep:
            print(f"kept {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
