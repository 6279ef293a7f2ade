"""One run of the pipeline: its identity, its folders, and the guarantees around its stages.

:func:`open_run` is the frame every run executes in (the flow in ``flows/nightly.py`` calls the
stages inside it).  On entry it validates the paths, takes the writer lock and sweeps what killed
or failed runs left behind.  If anything fails before the commit point (the swap of ``current``),
it stops the parse workers first and then removes everything the run wrote: the published
warehouse is byte-for-byte what it was, and a ``runs`` row records the failure.  After the commit
point a failure can no longer take the published snapshot away: the clean-up refuses to touch it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from etl.settings import SettingError, Settings
from etl.stages.cache import ParseCache, parser_version
from etl.warehouse import store
from etl.warehouse.schemas import RUNS_SCHEMA

log = logging.getLogger("etl.run")


@dataclass
class Run:
    run_id: str
    raw: Path
    layout: store.Layout
    year: int | None                # the one year rebuilt, or None = every year
    settings: Settings
    started_at: dt.datetime
    allow_shrink: bool = False
    previous: Path | None = None    # the published snapshot when the run started
    committed: bool = False         # True once `current` names this run's snapshot
    counts: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    _closers: list[Callable[[], None]] = field(default_factory=list, repr=False)

    @property
    def snapshot(self) -> Path:
        return self.layout.snapshots / self.run_id

    @property
    def staging(self) -> Path:
        return self.layout.staging(self.run_id)

    @property
    def cache(self) -> ParseCache:
        return ParseCache(self.layout.cache)

    @property
    def parser_version(self) -> str:
        return parser_version()

    def on_close(self, fn: Callable[[], None]) -> None:
        """``fn`` runs when the run ends, before any clean-up (stops worker processes)."""
        self._closers.append(fn)

    def close_resources(self) -> None:
        while self._closers:
            fn = self._closers.pop()
            try:
                fn()
            except Exception:                       # closing must never mask the real error
                log.exception("closing a run resource failed")


def new_run_id(now: dt.datetime) -> str:
    return now.strftime("%Y%m%dT%H%M%S%fZ") + "-" + uuid.uuid4().hex[:6]


def check_paths(raw: str | Path, warehouse: str | Path) -> tuple[Path, Path]:
    """The raw and warehouse folders, resolved; neither may be inside the other."""
    raw_path = Path(raw).resolve()
    wh_path = Path(warehouse).resolve()
    if not raw_path.is_dir():
        raise SettingError(f"--raw {raw}: no such folder")
    if wh_path == raw_path or raw_path in wh_path.parents:
        raise SettingError(f"--warehouse {warehouse} is inside --raw {raw}: the run would read "
                           f"its own files back as reports; put the warehouse elsewhere")
    if wh_path in raw_path.parents:
        raise SettingError(f"--raw {raw} is inside --warehouse {warehouse}; keep them apart")
    if wh_path.exists() and not wh_path.is_dir():
        raise SettingError(f"--warehouse {warehouse} is a file, not a folder")
    return raw_path, wh_path


@contextmanager
def open_run(raw: str | Path, warehouse: str | Path, year: int | None, settings: Settings,
             allow_shrink: bool = False) -> Iterator[Run]:
    raw_path, wh_path = check_paths(raw, warehouse)
    layout = store.Layout.at(wh_path)
    now = dt.datetime.now(dt.timezone.utc)
    run = Run(new_run_id(now), raw_path, layout, year, settings, now, allow_shrink)
    with store.writer_lock(layout):
        try:
            removed = store.collect_garbage(layout)
            if removed:
                log.info("removed %d leftovers of earlier runs", len(removed))
        except Exception:          # leftovers cost disk, not correctness: the run goes on
            log.exception("could not remove the leftovers of earlier runs")
        recover_run_log(layout)
        run.previous = layout.current_snapshot()
        try:
            yield run
        except BaseException as e:
            run.close_resources()                   # no worker may write after the clean-up
            if not run.committed:
                store.discard(layout, run.run_id)
                status = "refused" if isinstance(e, ShrinkRefused) else "failed"
                _try_record(run, status, f"{type(e).__name__}: {e}")
            raise
        finally:
            run.close_resources()


class ShrinkRefused(RuntimeError):
    """The run would publish far fewer reports than the last good run (see --allow-shrink)."""


def _try_record(run: Run, status: str, error: str) -> None:
    try:
        record_run(run, status, error)
    except Exception:
        log.exception("could not record the run's failure in runs/")


def run_row(run: Run, status: str, error: str = "") -> pa.Table:
    c = run.counts
    row = {
        "run_id": [run.run_id], "started_at": [run.started_at],
        "finished_at": [dt.datetime.now(dt.timezone.utc)], "year": [run.year],
        "raw_root": [str(run.raw)], "status": [status], "files": [c.get("files", 0)],
        "loaded": [c.get("loaded", 0)], "quarantined": [c.get("quarantined", 0)],
        "superseded": [c.get("superseded", 0)], "duplicates": [c.get("duplicate", 0)],
        "skipped": [c.get("skipped", 0)], "parsed": [c.get("parsed", 0)],
        "years_rebuilt": [",".join(str(y) for y in c.get("years_rebuilt", []))],
        "issues": [c.get("issues", 0)], "parser_version": [run.parser_version],
        "error": [error or None], "stage_seconds": [json.dumps(run.seconds, sort_keys=True)],
    }
    return pa.table(row, schema=RUNS_SCHEMA)


def run_row_json(run: Run, status: str) -> dict:
    """The runs row as JSON (kept in snapshot.json, see recover_run_log)."""
    row = run_row(run, status).to_pylist()[0]
    return {k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in row.items()}


def record_run(run: Run, status: str, error: str = "") -> None:
    layout = run.layout
    layout.runs.mkdir(parents=True, exist_ok=True)
    tmp = layout.runs / f".{run.run_id}.tmp"
    pq.write_table(run_row(run, status, error), tmp)
    os.replace(tmp, layout.runs / f"{run.run_id}.parquet")


def read_runs(layout: store.Layout, extra: pa.Table | None = None) -> pa.Table:
    """Every recorded run (unreadable rows skipped), plus ``extra``."""
    tables = []
    if layout.runs.is_dir():
        for f in sorted(layout.runs.glob("*.parquet")):
            try:
                t = pq.read_table(f)
                tables.append(pa.table({n: t.column(n) if n in t.column_names
                                        else pa.nulls(t.num_rows, RUNS_SCHEMA.field(n).type)
                                        for n in RUNS_SCHEMA.names}, schema=RUNS_SCHEMA))
            except (OSError, pa.ArrowException):
                continue
    if extra is not None:
        tables = [t for t in tables if extra.column("run_id")[0].as_py()
                  not in t.column("run_id").to_pylist()] + [extra]
    return pa.concat_tables(tables) if tables else RUNS_SCHEMA.empty_table()


def recover_run_log(layout: store.Layout) -> None:
    """A run killed between its swap and its runs row: the published snapshot carries the row
    it was about to write (snapshot.json), so the log is completed from there."""
    current = layout.current_snapshot()
    if current is None or (layout.runs / f"{current.name}.parquet").exists():
        return
    row = store.read_meta(current).get("run_row")
    if not row:
        return
    try:
        for k in ("started_at", "finished_at"):
            row[k] = dt.datetime.fromisoformat(row[k])
        tbl = pa.Table.from_pylist([row], schema=RUNS_SCHEMA)
        layout.runs.mkdir(parents=True, exist_ok=True)
        tmp = layout.runs / f".{current.name}.tmp"
        pq.write_table(tbl, tmp)
        os.replace(tmp, layout.runs / f"{current.name}.parquet")
    except (OSError, pa.ArrowException, TypeError, ValueError):
        log.exception("could not recover the runs row of %s", current.name)
