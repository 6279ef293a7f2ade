"""The write stage alone: CPU (core-seconds of the process: user + sys, DuckDB's threads
included), wall seconds and the process's peak RSS above its level before the stage, of
``write.write_facts`` for every year of a corpus whose parse cache is already made — optionally
against another checkout's code in the same invocation (a before/after ratio on a shared
machine), and whether the two wrote the same partitions.

    .venv/bin/python bench/write.py --raw .tmp/bench-corpus-100000 --cache-of .tmp/bench-wh-100000
    .venv/bin/python bench/write.py --raw ... --cache-of ... --against ../main/src --rounds 3

``--cache-of``: a warehouse folder whose ``cache/`` holds the parse of every file of ``--raw``
(e.g. after one ``etl run``; nothing there is written).  Each measurement runs in a fresh
process: discover, plan and resolve as the run does (not measured), then the write stage into a
scratch warehouse under .tmp/bench-write/ (its ``cache`` a link to the given one), removed after.
With ``--against``, every partition both wrote is compared: Arrow schema, and rows in file order.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
WORK = PROJECT / ".tmp" / "bench-write"


def _rss_mb() -> int:
    with open("/proc/self/statm", "rb") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 2**20


def child(src: str, raw: Path, cache: Path, out: Path) -> None:
    """One measurement, in this process, with the code of ``src``."""
    sys.path.insert(0, src)
    from etl.settings import Settings
    from etl.stages import discover, memory, parse, resolve, write
    from etl.stages.cache import ParseCache
    from etl.warehouse import store
    from etl.warehouse.database import connect_for_build

    settings = Settings.load()
    inventory = discover.discover(raw, None)
    plan = parse.plan(inventory.files, ParseCache(cache), str(raw))
    if plan.todo:
        raise SystemExit(f"{plan.todo} files of {raw} are not in the parse cache of {cache.parent}")
    res = resolve.resolve(inventory, dict(plan.known), ParseCache(cache), None)
    out.mkdir(parents=True)
    os.symlink(cache, out / "cache")
    layout = store.Layout.at(out)
    wplan = write.plan_write(None, res.reports)
    del inventory, plan
    memory.release()
    before = _rss_mb()
    peak, done = [before], threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            peak[0] = max(peak[0], _rss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    con = connect_for_build(":memory:", settings.duckdb_memory, out / ".staging" / "spill")
    try:
        write.write_facts(layout, "bench", None, wplan, res.reports, ParseCache(out / "cache"), con)
    finally:
        con.close()
    wall, r1 = time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF)
    done.set()
    sampler.join()
    print(json.dumps({"cpu": r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime, "wall": wall,
                      "peak_above_mb": peak[0] - before, "years": len(wplan.changed)}))


def measure(src: Path, raw: Path, cache: Path, out: Path) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    p = subprocess.run([sys.executable, __file__, "--child", str(src), "--raw", str(raw),
                        "--cache-of", str(cache.parent), "--out", str(out)],
                       capture_output=True, text=True, cwd=src.parent)
    if p.returncode != 0:
        raise SystemExit(f"the write stage of {src} failed:\n{p.stderr[-3000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def same_partitions(a: Path, b: Path) -> list[str]:
    """Partitions of snapshot ``a`` and ``b`` whose Arrow schema or rows (in file order) differ."""
    import pyarrow.parquet as pq

    differ = []
    for table in sorted(p.name for p in a.iterdir() if p.is_dir()):
        names = sorted(p.name for p in (a / table).iterdir())
        if names != sorted(p.name for p in (b / table).iterdir()):
            differ.append(f"{table}: other partitions")
            continue
        for n in names:
            fa, fb = a / table / n / "part-0.parquet", b / table / n / "part-0.parquet"
            if not (pq.read_schema(fa).equals(pq.read_schema(fb), check_metadata=True)
                    and pq.read_table(fa).equals(pq.read_table(fb))):
                differ.append(f"{table}/{n}")
    return differ


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--raw", type=Path, required=True)
    ap.add_argument("--cache-of", type=Path, required=True, help="a warehouse folder with the parse cache")
    ap.add_argument("--against", type=Path, help="another checkout's src/ (the code before)")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    raw, cache = args.raw.resolve(), (args.cache_of / "cache").resolve()
    if args.child:
        child(args.child, raw, cache, args.out)
        return
    codes = {"this": PROJECT / "src"}
    if args.against:
        codes["against"] = args.against.resolve()
    runs: dict[str, list[dict]] = {k: [] for k in codes}
    for r in range(args.rounds):
        for name, src in codes.items():         # interleaved: the machine's load hits both
            out = WORK / name
            m = measure(src, raw, cache, out)
            runs[name].append(m)
            print(f"round {r + 1} {name:8s} ({src}): {m['cpu']:6.1f} core-s, {m['wall']:6.1f} s wall, "
                  f"peak +{m['peak_above_mb']} MB, {m['years']} years", flush=True)
        if args.against and r == 0:
            differ = same_partitions(WORK / "this" / "snapshots" / "bench",
                                     WORK / "against" / "snapshots" / "bench")
            print("partitions: " + ("every one the same (schema, rows in order)" if not differ
                                    else f"{len(differ)} DIFFER: {', '.join(differ[:10])}"), flush=True)
        for name in codes:
            shutil.rmtree(WORK / name, ignore_errors=True)
    med = {k: {f: statistics.median(m[f] for m in v) for f in ("cpu", "wall", "peak_above_mb")}
           for k, v in runs.items()}
    for k, m in med.items():
        print(f"median {k:8s}: {m['cpu']:.1f} core-s, {m['wall']:.1f} s wall, peak +{m['peak_above_mb']:.0f} MB")
    if args.against:
        a, t = med["against"], med["this"]
        print(f"against / this: core-s {a['cpu'] / t['cpu']:.2f}x, wall {a['wall'] / t['wall']:.2f}x")


if __name__ == "__main__":
    main()
