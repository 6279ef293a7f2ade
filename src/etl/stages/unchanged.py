"""A night with nothing new: the published warehouse's inputs as one digest.

A full run whose inputs are those of the run that produced (or last confirmed) the published
snapshot cannot change it, so it is confirmed unchanged right after discovery — no planning,
parsing or resolving of 100k files.  The inputs: every discovered file's path, size, mtime and
ctime and its manifest values, every file discovery skipped and why, the correction files'
bytes, and the versions of the parser, the writer and the checks.  A write to a file always moves
its ctime, so a changed file always changes the digest; a digest that differs for any other
reason only costs the ordinary path (which finds the warehouse unchanged in its own way).

The digest lives in the cache folder, naming the snapshot it belongs to — never in a published
snapshot, which no run writes again.  A one-year rerun neither uses nor records it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from etl.stages.cache import parser_version
from etl.stages.discover import Inventory
from etl.warehouse import store

log = logging.getLogger(__name__)

NAME = "last_inputs.json"
_REPORT_COLUMNS = ["status", "source_file", "error_reason", "error_detail"]


def inputs_digest(raw: Path, inventory: Inventory, corrections: Path | None) -> str:
    from etl.stages.derive import derived_version
    from etl.stages.write import code_version

    h = hashlib.sha256()
    for part in (str(raw), parser_version(), code_version(), derived_version()):
        h.update(part.encode() + b"\0")
    for f in inventory.files:
        h.update(json.dumps([f.rel, f.stat_key, sorted(f.manifest.items()), list(f.warnings)],
                            ensure_ascii=False).encode() + b"\n")
    for s in inventory.skipped:
        h.update(json.dumps(["skipped", s.rel, s.reason, s.detail], ensure_ascii=False).encode())
    if corrections is not None and corrections.is_dir():
        for p in sorted(corrections.glob("*.csv")):
            try:
                h.update(p.name.encode() + b"\0" + hashlib.sha256(p.read_bytes()).digest())
            except OSError as e:            # the ordinary path reports an unreadable file
                h.update(f"unreadable {p.name} {e}".encode())
    return h.hexdigest()


def _path(layout: store.Layout) -> Path:
    return layout.cache / NAME


def confirms(layout: store.Layout, previous: Path | None, digest: str) -> bool:
    """True when ``previous`` (the published snapshot) was built or confirmed from these inputs."""
    if previous is None:
        return False
    try:
        last = json.loads(_path(layout).read_text("utf-8"))
    except (OSError, ValueError):
        return False
    return last == {"snapshot": previous.name, "inputs": digest}


def remember(layout: store.Layout, snapshot: Path, digest: str) -> None:
    """Record that ``snapshot`` is what these inputs make (best effort: a failure only costs
    the next night the ordinary path)."""
    try:
        path = _path(layout)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{NAME}.tmp")
        tmp.write_text(json.dumps({"snapshot": snapshot.name, "inputs": digest}), "utf-8")
        os.replace(tmp, path)
    except OSError:
        log.exception("could not record the run's inputs (the next run takes the ordinary path)")


def published_reports(snapshot: Path) -> pa.Table:
    """The published ``reports`` rows (what the run's summary counts and lists)."""
    parts = [pq.read_table(f, columns=_REPORT_COLUMNS)
             for _, f in store.partition_files(snapshot, "reports")]
    return pa.concat_tables(parts) if parts else pa.table(
        {c: pa.array([], pa.string()) for c in _REPORT_COLUMNS})


def counts(reports: pa.Table) -> dict[str, int]:
    """The run's counts as the resolve stage would make them from the same reports."""
    statuses = reports.column("status").to_pylist()
    out = {s: statuses.count(s) for s in sorted(set(statuses))}
    out["files"] = sum(n for s, n in out.items() if s != "skipped")
    out["parsed"] = 0
    return out
