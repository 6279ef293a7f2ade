"""``etl report``: build the report site of a warehouse into ``<warehouse>/report/`` (or --out).

The site is built into a sibling folder and then renamed into place, so a reader never sees a
half-written site (the nightly flow does the same through build_site into its staging folder).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import duckdb


def report_command(warehouse: Path, out: Path | None = None) -> int:
    from etl.report.site import build_site, worker_memory_mb
    from etl.settings import Settings
    from etl.warehouse.query import connect_readonly

    out = Path(out) if out is not None else Path(warehouse) / "report"
    if out.is_symlink():
        # <warehouse>/report -> current/report: the run builds it with its snapshot, which is
        # never changed after it is published
        print(f"etl report: {out} is the report of the published snapshot (kept by `etl run`); "
              f"give --out to build a site elsewhere", file=sys.stderr)
        return 2
    try:
        con = connect_readonly(warehouse)
    except FileNotFoundError as e:
        print(f"etl report: {e}", file=sys.stderr)
        return 2
    building = out.parent / f".{out.name}.building-{os.getpid()}"
    try:
        settings = Settings.load()
        stats = build_site(con, building, previous=out if out.is_dir() else None,
                           workers=settings.workers,
                           worker_memory_mb=worker_memory_mb(settings))
    except (duckdb.Error, OSError) as e:
        shutil.rmtree(building, ignore_errors=True)
        print(f"etl report: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    finally:
        con.close()
    swap_in(building, out)
    print(f"{out / 'index.html'}: {stats.cards:,} report cards of {stats.agencies:,} agencies "
          f"({stats.reused:,} unchanged pages kept), {stats.regions:,} regions, "
          f"{stats.pages:,} pages written, {stats.bytes / 1e6:,.1f} MB in {stats.total_seconds:.1f} s")
    return 0


def swap_in(building: Path, out: Path) -> None:
    """Replace ``out`` by ``building`` (two renames; the old site is removed after)."""
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    if out.exists():
        os.replace(out, old)
    os.replace(building, out)
    shutil.rmtree(old, ignore_errors=True)
