"""The warehouse folder: versioned Parquet partitions, snapshots, and the atomic swap.

Layout (all under the warehouse folder)::

    versions/<table>/year=<Y>/<run_id>/part-0.parquet   immutable, written once
    snapshots/<run_id>/<table>/year=<Y>  ->  ../../../versions/<table>/year=<Y>/<run_id'>
    current  ->  snapshots/<run_id>                     the one published snapshot
    warehouse.duckdb                                    views over current/ (rebuilt per run)
    runs/<run_id>.parquet                               one row per run (the only timestamps)

A run builds a complete new snapshot beside the published one — new version directories for the
years it rebuilds, links to the previous versions for the years it keeps — and publishes it with
one ``os.replace`` of the ``current`` symlink.  Readers therefore see the old warehouse or the new
one, never half a year; a run that fails before the swap leaves the previous warehouse untouched.
Readers glob ``current/<table>/*/*.parquet`` (one ``*`` per level: DuckDB's ``**`` does not follow
symlinked folders).  Old snapshots are kept for a while so a query that started before the swap
can finish.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from etl.warehouse.schemas import SCHEMAS, SORT_KEYS, TABLES

KEEP_SNAPSHOTS = 3


@dataclass(frozen=True)
class Layout:
    root: Path

    @classmethod
    def at(cls, folder: str | Path) -> "Layout":
        root = Path(folder).resolve()
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
    def duckdb(self) -> Path:
        return self.root / "warehouse.duckdb"

    def staging(self, run_id: str) -> Path:
        return self.root / ".staging" / run_id

    def current_snapshot(self) -> Path | None:
        return self.current.resolve() if self.current.is_symlink() else None


@contextmanager
def writer_lock(layout: Layout):
    """One writer at a time (a second `etl run` fails fast instead of interleaving swaps)."""
    path = layout.root / ".writer.lock"
    with open(path, "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RuntimeError(f"another run holds {path}; wait for it to finish") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def partitions(snapshot: Path | None, table: str) -> dict[int, Path]:
    """{year: version directory} of one table in a snapshot."""
    if snapshot is None or not (snapshot / table).is_dir():
        return {}
    out = {}
    for entry in (snapshot / table).iterdir():
        if entry.name.startswith("year="):
            out[int(entry.name[5:])] = entry.resolve()
    return out


def _link(snapshot: Path, table: str, year: int, target: Path) -> None:
    link = snapshot / table / f"year={year}"
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink():
        link.unlink()
    # relative, so the warehouse folder can be moved or mounted elsewhere
    os.symlink(os.path.relpath(target, link.parent), link)


def link_partition(snapshot: Path, table: str, year: int, version_dir: Path) -> None:
    _link(snapshot, table, year, version_dir)


def sort_table(table_name: str, tbl: pa.Table) -> pa.Table:
    keys = [(k, "ascending") for k in SORT_KEYS[table_name] if k in tbl.column_names]
    return tbl.sort_by(keys) if keys and tbl.num_rows > 1 else tbl


def write_partition(layout: Layout, snapshot: Path, run_id: str, table: str, year: int,
                    tbl: pa.Table) -> Path:
    """Write one year of a table as a new immutable version and link it into ``snapshot``."""
    schema = SCHEMAS[table]
    tbl = sort_table(table, tbl.select(schema.names).cast(schema))
    vdir = layout.versions / table / f"year={year}" / run_id
    vdir.mkdir(parents=True, exist_ok=False)
    pq.write_table(tbl, vdir / "part-0.parquet", compression="zstd")
    _link(snapshot, table, year, vdir)
    return vdir


def copy_partition(layout: Layout, snapshot: Path, run_id: str, table: str, year: int,
                   con, source_sql: str, batch_rows: int = 200_000) -> Path:
    """Like write_partition, for big tables: DuckDB sorts the rows of ``source_sql`` and they
    are streamed batch by batch into the file (cast to the declared schema), so a year of cells
    never becomes one Python/Arrow table in memory."""
    schema = SCHEMAS[table]
    order = ", ".join(f'"{k}"' for k in SORT_KEYS[table])
    cols = ", ".join(f'"{n}"' for n in schema.names)
    vdir = layout.versions / table / f"year={year}" / run_id
    vdir.mkdir(parents=True, exist_ok=False)
    reader = con.sql(f"SELECT {cols} FROM ({source_sql}) ORDER BY {order}").to_arrow_reader(batch_rows)
    with pq.ParquetWriter(vdir / "part-0.parquet", schema, compression="zstd") as writer:
        for batch in reader:
            writer.write_table(pa.Table.from_batches([batch]).cast(schema))
    _link(snapshot, table, year, vdir)
    return vdir


def new_snapshot(layout: Layout, run_id: str) -> Path:
    snap = layout.snapshots / run_id
    snap.mkdir(parents=True, exist_ok=False)
    for t in TABLES:
        (snap / t).mkdir()
    return snap


def publish(layout: Layout, snapshot: Path) -> None:
    """The atomic swap: ``current`` now names the new snapshot."""
    tmp = layout.root / f".current-{uuid.uuid4().hex}"      # outside every globbed folder
    os.symlink(os.path.relpath(snapshot, layout.root), tmp)
    os.replace(tmp, layout.current)


def discard(layout: Layout, run_id: str) -> None:
    """Remove what a failed run wrote (never touches the published snapshot)."""
    shutil.rmtree(layout.snapshots / run_id, ignore_errors=True)
    shutil.rmtree(layout.staging(run_id), ignore_errors=True)
    if layout.versions.is_dir():
        for vdir in layout.versions.glob(f"*/year=*/{run_id}"):
            shutil.rmtree(vdir, ignore_errors=True)


def collect_garbage(layout: Layout, keep: int = KEEP_SNAPSHOTS) -> None:
    """Drop snapshots beyond the newest ``keep`` and versions no kept snapshot links to."""
    current = layout.current_snapshot()
    snaps = sorted(p for p in layout.snapshots.iterdir() if p.is_dir()) if layout.snapshots.is_dir() else []
    kept = set(snaps[-keep:]) | ({current} if current else set())
    for s in snaps:
        if s not in kept:
            shutil.rmtree(s, ignore_errors=True)
    referenced = {p for s in kept for t in TABLES for p in partitions(s, t).values()}
    if layout.versions.is_dir():
        for vdir in layout.versions.glob("*/year=*/*"):
            if vdir.resolve() not in referenced:
                shutil.rmtree(vdir, ignore_errors=True)
