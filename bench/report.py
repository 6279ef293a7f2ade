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

    .venv/bin/python bench/report.py --database <snapshot>/warehouse.duckdb --against /work/main

``--database``: the first full build of a snapshot's site as the run builds it (its settings:
card workers, DuckDB memory), against the code of another checkout (``--against``: its src/),
alternating, ``--rounds`` times each, in a process tree of its own each (the database is only
read; the sites go to a temp folder, or ``--out``).  Printed per build: core-seconds (user and
sys of the whole tree, and per phase: the workers' own), wall seconds, the tree's peak RSS;
then the medians and their ratio, and whether the two sites are the same bytes, file by file
(the manifest's fingerprints are salted with a digest of the code: both builds are given one
salt, so the manifest compares too).
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
if sys.argv[1:2] != ["--child"]:        # (a child measures the code on its PYTHONPATH)
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


SALT = "bench: one salt for both codes"


def child_build(db: Path, out: Path) -> None:
    """(in a process of its own, PYTHONPATH = the code to measure) one full build; prints its
    stats as JSON."""
    import json

    import etl.report.site as site
    from etl.settings import Settings

    site._code_digest = lambda: SALT          # (the manifests of two codes compare)
    spill = out.parent / f".spill-{out.name}"
    try:
        stats = site.build_snapshot_site(db, out, settings=Settings.load(), spill=spill)
    finally:
        shutil.rmtree(spill, ignore_errors=True)
    print(json.dumps({"cpu": stats.cpu, "seconds": stats.seconds, "wall": stats.wall,
                      "pages": stats.pages, "bytes": stats.bytes, "cards": stats.cards}))


def measured_build(src: Path, db: Path, out: Path) -> dict:
    """One build by the code in ``src`` (a process tree of its own): its stats, core-seconds
    (user, sys: the whole tree) and the tree's peak RSS."""
    import json

    sys.path.insert(0, str(Path(__file__).parent))
    from proctree import TreeSampler

    shutil.rmtree(out, ignore_errors=True)
    env = dict(os.environ, PYTHONPATH=str(src))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.Popen([sys.executable, __file__, "--child", str(db), str(out)], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with TreeSampler(p.pid, every=0.2) as s:
        stdout, stderr = p.communicate()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode:
        raise SystemExit(f"build with {src} failed:\n{stderr[-3000:]}")
    r = json.loads(stdout.strip().splitlines()[-1])
    r.update(user=after.ru_utime - before.ru_utime, sys=after.ru_stime - before.ru_stime,
             peak=s.peak)
    return r


def same_sites(a: Path, b: Path) -> tuple[int, list[str]]:
    """(files compared, those that differ or exist on one side only)."""
    files = {p.relative_to(a) for p in a.rglob("*") if p.is_file()}
    other = {p.relative_to(b) for p in b.rglob("*") if p.is_file()}
    differ = sorted(str(f) for f in files ^ other)
    differ += sorted(str(f) for f in files & other if (a / f).read_bytes() != (b / f).read_bytes())
    return len(files | other), differ


def compare(db: Path, against: Path, rounds: int, out: Path | None) -> None:
    import statistics

    codes = {"this": PROJECT / "src", "against": against / "src"}
    base = out or Path(tempfile.mkdtemp(prefix="bench-report-", dir=os.environ.get("TMPDIR")))
    results: dict[str, list[dict]] = {name: [] for name in codes}
    print(f"site of {db} (read only), {rounds} round(s); core-s = user + sys of the build's "
          f"process tree; phases: CPU s (the card workers' apart)")
    try:
        for _ in range(rounds):
            for name, src in codes.items():
                r = measured_build(src, db, base / f"site-{name}")
                results[name].append(r)
                print(f"  {name:8} core-s {r['user'] + r['sys']:6.1f} (user {r['user']:.1f} sys "
                      f"{r['sys']:.1f})  wall {r['wall']:5.1f} s  tree peak "
                      f"{r['peak'] / 2**20:,.0f} MB  phases "
                      + " ".join(f"{k} {v}" for k, v in r["cpu"].items()), flush=True)
        median = {name: statistics.median(r["user"] + r["sys"] for r in rs)
                  for name, rs in results.items()}
        for name, rs in results.items():
            phases = {k: round(statistics.median(r["cpu"].get(k, 0) for r in rs), 2)
                      for k in rs[0]["cpu"]}
            print(f"{name:8} median core-s {median[name]:.1f}, max tree peak "
                  f"{max(r['peak'] for r in rs) / 2**20:,.0f} MB, phases {phases}")
        print(f"against / this: {median['against'] / median['this']:.2f}x core-s")
        n, differ = same_sites(base / "site-this", base / "site-against")
        print(f"sites: {n:,} files, " + (f"{len(differ)} differ: {differ[:5]}" if differ
                                        else "byte-identical"))
    finally:
        if out is None:
            shutil.rmtree(base, ignore_errors=True)


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        child_build(Path(sys.argv[2]), Path(sys.argv[3]))
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, action="append", help="corpus sizes (repeatable)")
    ap.add_argument("--formats", default="flat_text,html,layout_text,run_text,crawler")
    ap.add_argument("--warehouse", type=Path, help="report on this warehouse only (no run)")
    ap.add_argument("--keep", action="store_true", help="keep the temp folders")
    ap.add_argument("--database", type=Path, help="a snapshot's warehouse.duckdb: its site, "
                                                  "against another checkout's code")
    ap.add_argument("--against", type=Path, help="the checkout to compare with (--database)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--out", type=Path, help="where the two sites go (--database; kept)")
    args = ap.parse_args()
    if args.database:
        if not args.against:
            ap.error("--database needs --against")
        compare(args.database.resolve(), args.against.resolve(), args.rounds, args.out)
        return

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
