"""The report cards rendered in parallel: a few worker processes, each with a read-only DuckDB
connection of its own to the snapshot's database, render batches of agency pages into the site
folder while the run's process renders the region pages and the lists.

The workers are the parse stage's killable ones (etl.stages.workers.WorkerPool): forked from a
clean fork server (not from the run's process, so they do not inherit its memory), and they die
with the process that owns the pool however it ends (a run killed with SIGKILL leaves none
behind).  They only read the snapshot and only write below the site folder, which is inside the
run's staging snapshot: a killed run leaves the published warehouse as it was.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import duckdb

from etl.report.html import PageWriter

#: A batch whose rendering takes longer than this is hung (a batch takes seconds).
BATCH_TIMEOUT = 600.0


@dataclass(frozen=True)
class CardJob:
    """What every worker needs: where to read, where to write, and its limits."""

    database: str               # the snapshot's warehouse.duckdb (opened read-only)
    out: str                    # the site folder
    source_root: str | None     # for the cards' source links
    memory_mb: int              # DuckDB memory limit of each worker's connection
    spill: str | None           # DuckDB temp directory ("" = none: fail rather than spill)
    rss_limit: int              # a worker above this resident size is killed (bytes)


def render_batch(con: duckdb.DuckDBPyConnection, report_ids: list[str] | None, write,
                 source_root: str | None) -> None:
    """Render the agency pages of ``report_ids`` (whole agencies) through ``write(relpath,
    html)``.  The one rendering loop of the cards: in-process and in the workers alike."""
    from etl.report.cards import render_agency_page
    from etl.report.data import agency_path, iter_agency_cards

    for reps in iter_agency_cards(con, report_ids):
        write(agency_path(reps[0].agency_key, reps[0].report_id),
              render_agency_page(reps, source_root))


_connection: tuple[str, duckdb.DuckDBPyConnection] | None = None


def _connect(job: CardJob) -> duckdb.DuckDBPyConnection:
    """The worker's connection (one per process, kept for its next batches)."""
    global _connection
    if _connection is None or _connection[0] != job.database:
        from etl.warehouse.database import attach_read_only

        # a spill folder of its own: DuckDB instances sharing one would reuse each other's files
        spill = os.path.join(job.spill, f"report-worker-{os.getpid()}") if job.spill else ""
        con = duckdb.connect(":memory:", config={
            "memory_limit": f"{job.memory_mb}MB", "threads": 1, "temp_directory": spill,
            **({"max_temp_directory_size": "0B"} if not spill else {})})
        attach_read_only(con, Path(job.database))
        con.execute("SET enable_progress_bar = false")      # (workers have no terminal)
        con.execute("SET lock_configuration = true")
        _connection = (job.database, con)
    return _connection[1]


def _render_chunk(items: list, job: CardJob, started) -> tuple[int, int, float]:
    """WorkerPool's chunk function: each item is one batch of report ids."""
    cpu = time.process_time()
    con = _connect(job)
    write = PageWriter(Path(job.out))
    for i, ids in enumerate(items):
        started(i)
        render_batch(con, ids, write, job.source_root)
    return write.pages, write.bytes, time.process_time() - cpu


class CardRendering:
    """Batches rendered in the background by ``workers`` processes, one batch at a time each,
    from a queue (``batches``, shared) this process can take batches from too (:meth:`take`)
    once its own work is done; :meth:`wait` for the workers' totals, :meth:`close` in any case
    (it kills the workers)."""

    def __init__(self, job: CardJob, batches: deque, workers: int):
        from etl.stages.workers import WorkerPool

        self.pages = self.bytes = 0
        self.cpu = 0.0
        self._queue = batches
        self._lock = threading.Lock()
        self._error: BaseException | None = None
        self._pool = WorkerPool(_render_chunk, job, workers=workers, timeout=BATCH_TIMEOUT,
                                memory_limit=job.rss_limit,
                                preload=("etl.report.pool", "etl.report.cards"))
        self._threads = [threading.Thread(target=self._feed, daemon=True, name="report-cards")
                         for _ in range(workers)]
        for t in self._threads:
            t.start()

    def take(self) -> list[str] | None:
        """The next batch nobody renders yet (None: none left, or a worker failed)."""
        with self._lock:
            return self._queue.popleft() if self._queue and self._error is None else None

    def _feed(self) -> None:
        try:
            while (batch := self.take()) is not None:
                [r] = self._pool.run([[batch]])
                if r.lost:
                    raise RuntimeError(f"a report worker was lost ({r.lost[0].reason}): "
                                       f"{r.lost[0].detail}")
                pages, size, cpu = r.value
                with self._lock:
                    self.pages, self.bytes = self.pages + pages, self.bytes + size
                    self.cpu += cpu
        except BaseException as e:          # handed to wait()
            with self._lock:
                self._error = self._error or e

    def wait(self) -> None:
        for t in self._threads:
            t.join()
        if self._error is not None:
            raise self._error

    def close(self) -> None:
        """Kill the workers now (whatever they were doing) and stop feeding them."""
        with self._lock:
            self._queue.clear()
        self._pool.close()
        for t in self._threads:
            t.join()
