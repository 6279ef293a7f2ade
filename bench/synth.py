"""Speed of `etl synth` (prints figures; no assertions).

    .venv/bin/python bench/synth.py [--reports 5000] [--office 28]

Text/HTML forms (flat_text, html, layout_text, run_text, crawler): --reports reports written by
one process (workers=1), to a temp folder on disk and, where it exists, to /dev/shm (memory), so
the figure without disk I/O is visible too.  Both wall and CPU time are printed: the machine is
shared, and CPU seconds are what the generator itself costs.  Goal: >= 2,000 text/HTML reports/s
(100k reports in about a minute).  DOCX and PDF are far slower (python-docx, reportlab): a small
--office batch of each is timed separately.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from etl.synth.command import TEXT_FORMS, generate


def timed(out: Path, reports: int, forms: tuple[str, ...], workers: int = 1) -> tuple[float, float, int]:
    shutil.rmtree(out, ignore_errors=True)
    w0, c0 = time.perf_counter(), time.process_time()
    res = generate(out, reports=reports, forms=forms, fault_rate=0.1, seed=1, workers=workers)
    return time.perf_counter() - w0, time.process_time() - c0, res.reports


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=5000)
    ap.add_argument("--office", type=int, default=28)
    args = ap.parse_args()
    places = [("disk", Path(tempfile.mkdtemp(prefix="synth-bench-")))]
    if os.path.isdir("/dev/shm"):
        places.append(("memory", Path(tempfile.mkdtemp(prefix="synth-bench-", dir="/dev/shm"))))
    try:
        for where, base in places:
            wall, cpu, n = timed(base / "text", args.reports, TEXT_FORMS)
            size = sum(p.stat().st_size for p in (base / "text").rglob("*") if p.is_file())
            print(f"text/HTML forms -> {where:<6}: {n} reports in {wall:.2f} s wall "
                  f"({n / wall:,.0f} reports/s), {cpu:.2f} s CPU ({n / cpu:,.0f} reports/CPU-s); "
                  f"{size / n / 1024:.1f} KiB per report incl. truth")
            wall, cpu, n = timed(base / "text2", args.reports, TEXT_FORMS, workers=2)
            print(f"  same with 2 worker processes: {wall:.2f} s wall ({n / wall:,.0f} reports/s)")
        for form in ("docx", "pdf"):
            wall, cpu, n = timed(places[-1][1] / form, args.office, (form,))
            print(f"{form:<4}: {n} reports in {wall:.2f} s ({n / wall:,.1f} reports/s, "
                  f"{1000 * cpu / n:.0f} ms CPU each)")
    finally:
        for _, base in places:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
