"""The warehouse folder: immutable Parquet versions, complete snapshots, and one atomic swap.

Layout (all under the warehouse folder)::

    versions/<table>/year=<Y>/<run_id>/part-0.parquet   immutable, written once
    snapshots/<run_id>/<table>/year=<Y>  ->  ../../../versions/<table>/year=<Y>/<run_id'>
    snapshots/<run_id>/warehouse.duckdb                 the snapshot as one self-contained file
    snapshots/<run_id>/report/                          the snapshot's quality report (static site)
    snapshots/<run_id>/snapshot.json                    what the snapshot holds (fingerprints)
    current  ->  snapshots/<run_id>                     THE published snapshot
    warehouse.duckdb  ->  current/warehouse.duckdb      fixed links, created once
    report  ->  current/report
    runs/<run_id>.parquet                               one row per run (the only timestamps)
    cache/                                              the parse cache (etl.stages.cache)
    .staging/<run_id>/                                  a run's scratch (DuckDB spill)
    .writer.lock

A run builds a complete snapshot beside the published one — new versions of the years it
rebuilds, links to the previous versions of the years it keeps, its own DuckDB file and report —
and publishes all of it with ONE ``os.replace`` of the ``current`` symlink (the commit point).
Before it, a failure removes what the run wrote and the published warehouse is untouched; after
it, nothing the run does may remove the snapshot ``current`` names.  Readers see the old
warehouse or the new one, never a mix.  Old snapshots are kept a while so a query that started
before a swap can finish.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import queue
import shutil
import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from etl.killpoint import killpoint
from etl.libc import libc as c_library
from etl.warehouse.schemas import SCHEMAS, SORT_KEYS, TABLES

KEEP_SNAPSHOTS = 3
DATABASE = "warehouse.duckdb"
REPORT = "report"
SNAPSHOT_META = "snapshot.json"


class WarehouseBusy(RuntimeError):
    """Another run holds the writer lock."""


@dataclass(frozen=True)
class Layout:
    root: Path

    @classmethod
    def at(cls, folder: str | Path, create: bool = True) -> "Layout":
        root = Path(folder).resolve()
        if create:
            root.mkdir(parents=True, exist_ok=True)
        return cls(root)

    @property
    def current(self) -> Path:
        return self.root / "current"

    @property
    def versions(self) -> Path:
        return self.root / "versions"

    @property
    def snapshots(self) -> Path:
        return self.root / "snapshots"

    @property
    def runs(self) -> Path:
        return self.root / "runs"

    @property
    def cache(self) -> Path:
        return self.root / "cache"

    @property
    def duckdb(self) -> Path:
        return self.root / DATABASE

    @property
    def report(self) -> Path:
        return self.root / REPORT

    def staging(self, run_id: str) -> Path:
        return self.root / ".staging" / run_id

    def current_snapshot(self) -> Path | None:
        """The published snapshot (resolved: stays valid while a later run swaps)."""
        if not self.current.is_symlink():
            return None
        target = self.current.resolve()
        return target if target.is_dir() else None


@contextmanager
def writer_lock(layout: Layout):
    """One writer at a time (a second run fails fast instead of interleaving swaps)."""
    path = layout.root / ".writer.lock"
    with open(path, "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise WarehouseBusy(f"another run holds {path}; wait for it to finish") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


# --- snapshots ----------------------------------------------------------------------------------

def partitions(snapshot: Path | None, table: str) -> dict[int, Path]:
    """{year: version directory} of one table in a snapshot."""
    if snapshot is None or not (snapshot / table).is_dir():
        return {}
    out = {}
    for entry in (snapshot / table).iterdir():
        if entry.name.startswith("year="):
            out[int(entry.name[5:])] = entry.resolve()
    return out


def partition_files(snapshot: Path, table: str) -> list[tuple[int, Path]]:
    """[(year, parquet file)] of one table in a snapshot, by year."""
    return sorted((y, d / "part-0.parquet") for y, d in partitions(snapshot, table).items())


def read_meta(snapshot: Path | None) -> dict:
    if snapshot is None:
        return {}
    try:
        return json.loads((snapshot / SNAPSHOT_META).read_text("utf-8"))
    except (OSError, ValueError):
        return {}


def write_meta(snapshot: Path, meta: dict) -> None:
    tmp = snapshot / f".{SNAPSHOT_META}.tmp"
    tmp.write_text(json.dumps(meta, ensure_ascii=False, sort_keys=True, indent=1), "utf-8")
    os.replace(tmp, snapshot / SNAPSHOT_META)


def link_partition(snapshot: Path, table: str, year: int, version_dir: Path) -> None:
    link = snapshot / table / f"year={year}"
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink():
        link.unlink()
    # relative, so the warehouse folder can be moved or mounted elsewhere
    os.symlink(os.path.relpath(version_dir, link.parent), link)


def sort_table(table_name: str, tbl: pa.Table) -> pa.Table:
    keys = [(k, "ascending") for k in SORT_KEYS[table_name] if k in tbl.column_names]
    return tbl.sort_by(keys) if keys and tbl.num_rows > 1 else tbl


def new_version(layout: Layout, run_id: str, table: str, year: int) -> Path:
    vdir = layout.versions / table / f"year={year}" / run_id
    vdir.mkdir(parents=True, exist_ok=False)
    return vdir


def write_partition(layout: Layout, snapshot: Path, run_id: str, table: str, year: int,
                    tbl: pa.Table) -> Path:
    """Write one year of a table as a new immutable version and link it into ``snapshot``."""
    schema = SCHEMAS[table]
    tbl = sort_table(table, tbl.select(schema.names).cast(schema))
    vdir = new_version(layout, run_id, table, year)
    pq.write_table(tbl, vdir / "part-0.parquet", compression="zstd")
    link_partition(snapshot, table, year, vdir)
    return vdir


#: Rows per batch when a query's result is streamed into a partition file: each batch is an
#: Arrow copy beside DuckDB's own memory (200k rows of cells with their texts ≈ 100 MB).
STREAM_ROWS = 50_000


def stream_partition(layout: Layout, snapshot: Path, run_id: str, table: str, year: int,
                     batches) -> Path:
    """Like write_partition for big tables: ``batches`` (Arrow record batches or tables, e.g.
    a RecordBatchReader, already sorted) are streamed into the file, one row group each, so a
    year of cells is never one table in memory."""
    schema = SCHEMAS[table]
    vdir = new_version(layout, run_id, table, year)
    with pq.ParquetWriter(vdir / "part-0.parquet", schema, compression="zstd") as writer:
        with _beside(lambda part: writer.write_table(part.select(schema.names).cast(schema))) as put:
            for batch in batches:
                put(batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch]))
    link_partition(snapshot, table, year, vdir)
    return vdir


@contextmanager
def _beside(consume, depth: int = 2):
    """``put(item)`` hands items to ``consume`` on a thread of its own (at most ``depth`` items
    waiting), so that making the next batch (DuckDB, Arrow: both let go of the GIL) and
    encoding this one into Parquet use both cores; on leaving, every item has been consumed,
    or the first error of either side is raised."""
    todo: queue.Queue = queue.Queue(maxsize=depth)
    failed: list[BaseException] = []

    def run() -> None:
        while (item := todo.get()) is not _DONE:
            if not failed:
                try:
                    consume(item)
                except BaseException as e:      # raised in the caller's thread below
                    failed.append(e)

    worker = threading.Thread(target=run, name="parquet-writer", daemon=True)
    worker.start()

    def put(item) -> None:
        if failed:
            raise failed[0]
        todo.put(item)

    try:
        yield put
    finally:
        todo.put(_DONE)
        worker.join()
    if failed:
        raise failed[0]


_DONE = object()


def new_snapshot(layout: Layout, run_id: str) -> Path:
    snap = layout.snapshots / run_id
    snap.mkdir(parents=True, exist_ok=False)
    for t in TABLES:
        (snap / t).mkdir()
    return snap


def sync_tree(folder: Path) -> None:
    """Everything under ``folder`` on disk before ``current`` names it.  On Linux one
    ``syncfs`` of the folder's filesystem (a first run writes ~20k report pages: one fsync
    each took seconds); elsewhere, or if it fails, every file and folder is fsynced (a file
    with more than one link is a page hard-linked from a snapshot published before, synced
    then: only its new folder entry needs syncing, which the folder's fsync does)."""
    if _syncfs(folder):
        return
    for dirpath, _, filenames in os.walk(folder):
        for name in filenames:
            path = os.path.join(dirpath, name)
            try:
                if os.lstat(path).st_nlink > 1:
                    continue
            except OSError:
                continue
            _fsync(path, os.O_RDONLY)
        _fsync(dirpath, os.O_RDONLY | os.O_DIRECTORY)


def _syncfs(folder: Path) -> bool:
    libc = c_library()
    if libc is None or not hasattr(libc, "syncfs"):
        return False
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        return libc.syncfs(fd) == 0
    finally:
        os.close(fd)


def _fsync(path: str, flags: int) -> None:
    try:
        fd = os.open(path, flags)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as e:
        if e.errno not in (errno.EINVAL, errno.EBADF):
            raise
    finally:
        os.close(fd)


def _replace_link(layout: Layout, target: str, link: Path) -> None:
    tmp = layout.root / f".link-{uuid.uuid4().hex}"      # outside every globbed folder
    os.symlink(target, tmp)
    try:
        os.replace(tmp, link)
    finally:
        if tmp.is_symlink():
            tmp.unlink()


def publish(layout: Layout, snapshot: Path) -> None:
    """THE commit point: ``current`` now names ``snapshot`` (one atomic rename)."""
    sync_tree(snapshot)
    killpoint("publish.synced")
    _replace_link(layout, os.path.relpath(snapshot, layout.root), layout.current)
    _fsync(str(layout.root), os.O_RDONLY | os.O_DIRECTORY)


def ensure_entry_links(layout: Layout) -> None:
    """``warehouse.duckdb`` and ``report`` at the root name the current snapshot's (they never
    change once made; an older warehouse's plain file is replaced by the link atomically)."""
    for name in (DATABASE, REPORT):
        link = layout.root / name
        want = f"current/{name}"
        if (link.is_symlink() and os.readlink(link) == want) or not (layout.current / name).exists():
            continue
        if link.is_dir() and not link.is_symlink():
            shutil.rmtree(link)
        _replace_link(layout, want, link)


# --- removal: a failed run's files, leftovers, old snapshots -------------------------------------

def discard(layout: Layout, run_id: str) -> None:
    """Remove what an unpublished run wrote.  Refuses to touch the published snapshot."""
    current = layout.current_snapshot()
    snap = layout.snapshots / run_id
    if current is not None and snap.resolve() == current:
        raise RuntimeError(f"refusing to discard the published snapshot {run_id}")
    shutil.rmtree(snap, ignore_errors=True)
    shutil.rmtree(layout.staging(run_id), ignore_errors=True)
    if layout.versions.is_dir():
        referenced = _referenced(layout, _kept(layout))
        for vdir in layout.versions.glob(f"*/year=*/{run_id}"):
            if vdir.resolve() not in referenced:
                shutil.rmtree(vdir, ignore_errors=True)


def _kept(layout: Layout, keep: int = KEEP_SNAPSHOTS) -> set[Path]:
    """The published snapshot and the newest ``keep - 1`` complete snapshots older than it."""
    current = layout.current_snapshot()
    if current is None:
        return set()
    older = sorted(p.resolve() for p in layout.snapshots.iterdir()
                   if p.is_dir() and p.name < current.name and (p / SNAPSHOT_META).is_file())
    return {current} | set(older[-(keep - 1):] if keep > 1 else [])


def _referenced(layout: Layout, kept: set[Path]) -> set[Path]:
    return {p for s in kept for t in TABLES for p in partitions(s, t).values()}


def collect_garbage(layout: Layout, keep: int = KEEP_SNAPSHOTS) -> list[str]:
    """Remove snapshots beyond the kept ones (including leftovers of killed or failed runs),
    versions no kept snapshot links to, staging folders and temporary links.  Run under the
    writer lock only (then no run is writing).  Returns what it removed."""
    removed: list[str] = []
    kept = _kept(layout, keep)
    if layout.snapshots.is_dir():
        for s in layout.snapshots.iterdir():
            if s.resolve() not in kept:
                killpoint("gc.removing")
                shutil.rmtree(s, ignore_errors=True)
                removed.append(f"snapshots/{s.name}")
    referenced = _referenced(layout, kept)
    if layout.versions.is_dir():
        for vdir in layout.versions.glob("*/year=*/*"):
            if vdir.resolve() not in referenced:
                shutil.rmtree(vdir, ignore_errors=True)
                removed.append(str(vdir.relative_to(layout.root)))
        for ydir in layout.versions.glob("*/year=*"):
            if ydir.is_dir() and not any(ydir.iterdir()):
                ydir.rmdir()
    staging = layout.root / ".staging"
    if staging.is_dir():
        for d in staging.iterdir():
            shutil.rmtree(d, ignore_errors=True)
            removed.append(f".staging/{d.name}")
    for tmp in list(layout.root.glob(".link-*")) + list(layout.root.glob(".current-*")) \
            + list(layout.root.glob("*.tmp")) + list(layout.root.glob("*.tmp.wal")):
        if tmp.is_dir() and not tmp.is_symlink():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)
        removed.append(tmp.name)
    return removed
