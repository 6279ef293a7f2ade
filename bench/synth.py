"""Speed of `etl synth` (prints figures; no assertions).

    .venv/bin/python bench/synth.py [--reports 10000] [--per-form 400] [--full 0] [--dir DIR]

1. Every form alone, --per-form reports in one process: documents/s (wall) and ms of CPU per
   document (the generator's own cost; the machine is shared, so CPU is the steadier figure).
2. The default form mix (`etl synth` without --formats) at --reports reports with the default
   worker pool (2 processes): documents/s wall and CPU per document of the whole process tree.
3. 100k reports: the time extrapolated from 2, or measured with --full 100000.

Everything is written to a temp folder on disk (--dir to choose it), as `etl synth` writes.
Goal (issue 10): >= 1,000 documents/s for the default mix on 2 cores, 100k reports < 2 min.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from etl.synth.command import generate  # noqa: E402
from etl.synth.forms import ALL_FORMS, DEFAULT_FORMS  # noqa: E402


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the worker pool)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def timed(out: Path, reports: int, forms: tuple[str, ...], workers: int | None) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, documents) of one `etl synth` run."""
    shutil.rmtree(out, ignore_errors=True)
    w0, c0 = time.perf_counter(), _cpu()
    res = generate(out, reports=reports, forms=forms, fault_rate=0.1, seed=1, workers=workers)
    wall, cpu = time.perf_counter() - w0, _cpu() - c0
    shutil.rmtree(out, ignore_errors=True)
    return wall, cpu, res.documents


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=10_000, help="reports of the default mix")
    ap.add_argument("--per-form", type=int, default=400, help="reports per form, one process")
    ap.add_argument("--full", type=int, default=0, help="also measure a run of this many reports")
    ap.add_argument("--dir", type=Path, default=None, help="where to write (default: a temp dir)")
    args = ap.parse_args()
    base = Path(tempfile.mkdtemp(prefix="synth-bench-", dir=args.dir))
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start; writing under {base}")
    try:
        print(f"\nEACH FORM ALONE ({args.per_form} reports, 1 process)")
        print(f"{'form':<12}{'docs/s':>9}{'ms CPU/doc':>12}")
        for form in ALL_FORMS:
            wall, cpu, n = timed(base / form, args.per_form, (form,), workers=1)
            print(f"{form:<12}{n / wall:>9,.0f}{1000 * cpu / n:>12.2f}")

        print(f"\nDEFAULT MIX ({', '.join(DEFAULT_FORMS)}), default worker pool")
        wall, cpu, n = timed(base / "mix", args.reports, DEFAULT_FORMS, workers=None)
        rate = n / wall
        print(f"{args.reports:,} reports: {n:,} documents in {wall:.1f} s wall = {rate:,.0f} documents/s "
              f"({1000 * cpu / n:.2f} ms CPU/doc, {cpu / wall:.2f} cores busy); "
              f"[{'ok' if rate >= 1000 else 'BELOW'}] goal 1,000/s")
        docs_100k = n * 100_000 / args.reports
        print(f"100,000 reports extrapolated: {docs_100k / rate:.0f} s "
              f"({docs_100k / rate / 60:.1f} min; goal < 2 min)")
        if args.full:
            wall, cpu, n = timed(base / "full", args.full, DEFAULT_FORMS, workers=None)
            print(f"{args.full:,} reports measured: {n:,} documents in {wall:.0f} s = {n / wall:,.0f} "
                  f"documents/s ({1000 * cpu / n:.2f} ms CPU/doc)")
        print(f"load average {os.getloadavg()[0]:.1f} at the end")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
