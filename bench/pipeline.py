"""The nightly run at scale: full, no-op, one changed file, one-year rerun — wall time and peak
RSS of the whole `etl run` process tree — against bare parsing of the same files on the same
cores (the ratio is measured in one invocation, against the mean of a bare parse just before and
just after the full run).

    .venv/bin/python bench/pipeline.py                          # 10k reports
    .venv/bin/python bench/pipeline.py --reports 10000 50000 100000
    .venv/bin/python bench/pipeline.py --reports 10000 --dask   # + a 2-worker LocalCluster run

Corpora come from `etl synth` (default form mix) and are kept under .tmp/bench-corpus-<N>/ so a
second invocation does not regenerate them.  Every run is `etl run` as a user starts it (a fresh
process, Prefect's temporary server included).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT / "src"))
sys.path.insert(0, str(PROJECT / "bench"))

from proctree import TreeSampler  # noqa: E402

ETL = Path(sys.executable).parent / "etl"
WORK = PROJECT / ".tmp"


def corpus(n: int, formats: str | None) -> Path:
    out = WORK / (f"bench-corpus-{n}" + ("" if not formats else "-" + formats.replace(",", "_")))
    if (out / "manifest.csv").is_file():
        return out
    shutil.rmtree(out, ignore_errors=True)
    args = [str(ETL), "synth", "--out", str(out), "--reports", str(n), "--seed", "7"]
    if formats:
        args += ["--formats", formats]
    t0 = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    print(f"  synth {n}: {time.perf_counter() - t0:.0f} s")
    return out


def _parse(path: str) -> int:
    from etl.errors import ReportError
    from etl.parse import parse_bytes

    data = Path(path).read_bytes()
    try:
        parse_bytes(data, path)
        return 1
    except ReportError:
        return 0


def bare_parse(raw: Path, cores: int) -> float:
    """Parsing alone: every file through the parser on `cores` processes, nothing written."""
    from etl.stages.discover import discover

    files = [f.path for f in discover(raw).files]
    t0 = time.perf_counter()
    with multiprocessing.get_context("forkserver").Pool(cores) as pool:
        for _ in pool.imap_unordered(_parse, files, chunksize=64):
            pass
    return time.perf_counter() - t0


def etl_run(raw: Path, wh: Path, *extra: str) -> tuple[float, int, str]:
    t0 = time.perf_counter()
    p = subprocess.Popen([str(ETL), "run", "--raw", str(raw), "--warehouse", str(wh), *extra],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with TreeSampler(p.pid) as s:
        out, err = p.communicate()
    if p.returncode != 0:
        raise SystemExit(f"etl run failed:\n{err[-3000:]}")
    status = next((line for line in out.splitlines() if "— run" in line), "")
    wall = time.perf_counter() - t0
    # the stage lines the run logs ("write: 2.7 s; the run's process: ...")
    stages = [m.group(1, 2) for m in re.finditer(r"^\S+ ([a-z]+): ([0-9.]+) s; the run's process", err, re.M)]
    print(f"    {' '.join(extra) or 'run'}: {wall:.1f} s, tree peak {s.peak / 2**20:,.0f} MB; stages: "
          + ", ".join(f"{name} {sec}" for name, sec in stages), flush=True)
    return wall, s.peak, status


def touch_one(raw: Path, year: int) -> None:
    f = next(p for p in sorted((raw / str(year)).iterdir()) if p.suffix in (".txt", ".html"))
    f.write_bytes(f.read_bytes() + b"\n")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, nargs="+", default=[10_000])
    ap.add_argument("--formats", default=None, help="etl synth --formats (default: its default mix)")
    ap.add_argument("--dask", action="store_true", help="also run on a 2-worker LocalCluster")
    args = ap.parse_args()
    WORK.mkdir(exist_ok=True)
    cores = os.cpu_count() or 1
    rows = []
    for n in args.reports:
        raw = corpus(n, args.formats)
        wh = WORK / f"bench-wh-{n}"
        shutil.rmtree(wh, ignore_errors=True)
        # Bare parsing before and after the full run: the machine's speed can drift within
        # minutes (a virtual machine's neighbours), so the ratio is taken against their mean
        # and both are printed.
        bare_before = bare_parse(raw, cores)
        full, full_rss, _ = etl_run(raw, wh)
        bare_after = bare_parse(raw, cores)
        bare = (bare_before + bare_after) / 2
        print(f"    bare parse: {bare_before:.1f} s before the full run, {bare_after:.1f} s after",
              flush=True)
        noop, noop_rss, status = etl_run(raw, wh)
        assert "unchanged" in status, status
        touch_one(raw, 2023)
        one, one_rss, _ = etl_run(raw, wh)
        touch_one(raw, 2023)
        year, year_rss, _ = etl_run(raw, wh, "--year", "2023")
        rows.append((n, bare, full, full_rss, noop, noop_rss, one, one_rss, year, year_rss))
        print(f"{n:>7} reports: bare parse {bare:6.1f} s | full {full:6.1f} s ({full / bare:.2f}x bare), "
              f"{full_rss / 2**20:.0f} MB | no-op {noop:5.1f} s, {noop_rss / 2**20:.0f} MB | "
              f"one changed file {one:5.1f} s | one year {year:5.1f} s, {year_rss / 2**20:.0f} MB",
              flush=True)
        if args.dask:
            from distributed import LocalCluster

            shutil.rmtree(wh, ignore_errors=True)
            with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                              dashboard_address=None) as cluster:
                dask_full, dask_rss, _ = etl_run(raw, wh, "--dask", cluster.scheduler_address)
            print(f"{n:>7} reports: full run on a 2-worker LocalCluster {dask_full:6.1f} s "
                  f"({dask_full / full:.2f}x the built-in pool); main tree {dask_rss / 2**20:.0f} MB")
        shutil.rmtree(wh, ignore_errors=True)
    print("\n| reports | bare parse s | full s | full / bare | peak MB | no-op s | one file s | one year s |")
    print("|---|---|---|---|---|---|---|---|")
    for n, bare, full, rss, noop, _, one, _, year, _ in rows:
        print(f"| {n:,} | {bare:.1f} | {full:.1f} | {full / bare:.2f} | {rss / 2**20:.0f} | {noop:.1f} | "
              f"{one:.1f} | {year:.1f} |")


if __name__ == "__main__":
    main()
