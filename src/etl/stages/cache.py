"""The parse cache: what the parser made of each file's bytes, so a file is parsed once per
parser version, whatever happens to the runs around it.

Layout, inside the warehouse folder (``cache/``, never read by users)::

    cache/parse/<parser_version>/<segment>.cells.parquet     cells of the segment's reports
    cache/parse/<parser_version>/<segment>.prose.parquet     prose figures
    cache/parse/<parser_version>/<segment>.reports.parquet   one row per parse (written last:
                                                             a segment exists iff this file does)
    cache/files/<raw root hash>.parquet                      file index: path + stat -> report_id

A parse is keyed by ``key`` = report_id (the content hash) + the manifest year (the one manifest
value the parser reads: it decides the template when the tables do not).  Agency, region, level
and the other manifest values are applied after the cache, so a changed manifest row re-applies
identity without re-parsing.  ``parser_version`` is the declared version plus a hash of the
parser's source, so any change to the code that reads documents re-parses everything.

Every file is written to a temporary name and renamed, so a run killed at any point leaves
whole segments or none; a segment that cannot be read is ignored (its files are parsed again),
never trusted.  Failures that depend on the machine rather than the bytes (a timeout, a crashed
worker, an unreadable file) are never cached.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from etl.code_digest import digest, module_file, source_files
from etl.errors import ReportError
from etl.killpoint import killpoint
from etl.model import ParsedReport

SEGMENT_REPORTS = pa.schema([
    ("key", pa.string()),               # report_id + ":" + manifest year (or "")
    ("parse_id", pa.string()),          # one parse (the same key parsed twice: two parse_ids)
    ("report_id", pa.string()),
    ("parsed_agency", pa.string()),     # what the text says (the manifest may override it)
    ("parsed_year", pa.int32()),
    ("template", pa.string()),
    ("form", pa.string()),
    ("title", pa.string()),
    ("identity_source", pa.string()),   # JSON, as the parser recorded it
    ("warnings", pa.string()),
    ("error_reason", pa.string()),      # NULL = parsed
    ("error_detail", pa.string()),
    ("parser_version", pa.string()),
])
# ``year`` (the manifest's, else the text's: the report's year) lets a year's read skip the
# segments of other years by their statistics.
SEGMENT_CELLS = pa.schema([
    ("parse_id", pa.string()),
    ("year", pa.int32()),
    ("section", pa.string()),           # "2" | "3" | "4"
    ("row", pa.string()),
    ("column", pa.string()),
    ("value", pa.float64()),
    ("raw", pa.string()),
    ("state", pa.string()),
    ("source", pa.string()),
    ("note", pa.string()),
])
SEGMENT_PROSE = pa.schema([
    ("parse_id", pa.string()),
    ("year", pa.int32()),
    ("figure", pa.string()),
    ("value", pa.float64()),
    ("text", pa.string()),
    ("source", pa.string()),
])
SEGMENT_PARTS = {"cells": SEGMENT_CELLS, "prose": SEGMENT_PROSE, "reports": SEGMENT_REPORTS}

#: Segments at which the cache is merged whatever they hold (see ParseCache.compact).
COMPACT_SEGMENTS = 1024

FILE_INDEX = pa.schema([
    ("source_file", pa.string()),
    ("size", pa.int64()),
    ("mtime_ns", pa.int64()),
    ("ctime_ns", pa.int64()),
    ("report_id", pa.string()),
])

#: The code whose output the cache holds: any change to it is a new parser version.
_PARSER_PACKAGES = ("parse", "readers", "template")
_PARSER_MODULES = ("model.py", "document.py", "errors.py")


@lru_cache(maxsize=1)
def parser_version() -> str:
    """The declared PARSER_VERSION + a hash of the parser's source code."""
    from etl.parse import PARSER_VERSION

    files = source_files(*_PARSER_PACKAGES) + [module_file(m) for m in _PARSER_MODULES]
    return f"{PARSER_VERSION}+{digest(files, length=10)}"


def content_id(data: bytes) -> str:
    """reports.report_id: the content hash (sha256 hex, first 16 chars)."""
    return hashlib.sha256(data).hexdigest()[:16]


def cache_key(report_id: str, manifest_year: int | None) -> str:
    return f"{report_id}:{manifest_year or ''}"


@dataclass
class SegmentRows:
    """Column-wise rows of one segment, filled by a parse worker."""

    cols: dict[str, dict[str, list]] = field(default_factory=lambda: {
        part: {f.name: [] for f in schema} for part, schema in SEGMENT_PARTS.items()})

    def add(self, part: str, **values) -> None:
        for name, lst in self.cols[part].items():
            lst.append(values.get(name))

    def add_parse(self, key: str, report_id: str, result: ParsedReport | ReportError,
                  version: str) -> None:
        import json

        parse_id = uuid.uuid4().hex
        if isinstance(result, ReportError):
            self.add("reports", key=key, parse_id=parse_id, report_id=report_id,
                     error_reason=result.reason, error_detail=result.detail,
                     parser_version=version)
            return
        self.add("reports", key=key, parse_id=parse_id, report_id=report_id,
                 parsed_agency=result.agency,
                 parsed_year=result.year, template=result.template, form=result.form,
                 title=result.title,
                 identity_source=json.dumps(result.identity_source, ensure_ascii=False,
                                            sort_keys=True),
                 warnings="\n".join(result.warnings) or None, parser_version=version)
        # column-wise, in C-speed comprehensions: ~200 cells a report, 100k reports a run
        cells, cols = result.cells, self.cols["cells"]
        n = len(cells)
        cols["parse_id"] += [parse_id] * n
        cols["year"] += [result.year] * n
        cols["section"] += [c.section for c in cells]
        cols["row"] += [c.row for c in cells]
        cols["column"] += [c.column for c in cells]
        cols["value"] += [None if c.value is None else float(c.value) for c in cells]
        cols["raw"] += [c.raw for c in cells]
        cols["state"] += [c.state for c in cells]
        cols["source"] += [c.source for c in cells]
        cols["note"] += [c.note for c in cells]
        for p in result.prose:
            self.add("prose", parse_id=parse_id, year=result.year, figure=p.key,
                     value=None if p.value is None else float(p.value), text=p.text,
                     source=p.source)

    def __len__(self) -> int:
        return len(self.cols["reports"]["key"])

    def write(self, folder: Path, name: str) -> None:
        """Write the segment; the reports part last, so a segment is whole or absent."""
        folder.mkdir(parents=True, exist_ok=True)
        for part in ("cells", "prose", "reports"):
            schema = SEGMENT_PARTS[part]
            tbl = pa.table({f.name: pa.array(self.cols[part][f.name], f.type) for f in schema},
                           schema=schema)
            write_atomically(tbl, folder / f"{name}.{part}.parquet", compression="zstd")


def write_atomically(tbl: pa.Table | pa.RecordBatchReader, path: Path,
                     schema: pa.Schema | None = None, **options) -> None:
    """``tbl`` (a table, or a reader streamed batch by batch, cast to ``schema``) as ``path``,
    which exists whole or not at all."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        if isinstance(tbl, pa.Table):
            pq.write_table(tbl if schema is None else tbl.cast(schema), tmp, **options)
        else:
            target = schema or tbl.schema
            group = options.pop("row_group_size", None)
            with pq.ParquetWriter(tmp, target, **options) as writer:
                for batch in tbl:
                    writer.write_table(pa.Table.from_batches([batch]).cast(target), group)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@dataclass(frozen=True)
class ParseCache:
    root: Path                          # <warehouse>/cache

    @property
    def segments(self) -> Path:
        return self.root / "parse" / parser_version()

    def whole_segments(self) -> list[str]:
        """Names of the segments whose three parts are all there and readable (a damaged
        segment is left out: its files are parsed again, never trusted)."""
        if not self.segments.is_dir():
            return []
        out = []
        for p in sorted(self.segments.glob("*.reports.parquet")):
            name = p.name[: -len(".reports.parquet")]
            try:
                for part, schema in SEGMENT_PARTS.items():
                    if not pq.read_schema(self.segments / f"{name}.{part}.parquet").equals(schema):
                        raise ValueError("another schema")
            except (OSError, ValueError, pa.ArrowException):
                continue
            out.append(name)
        return out

    def register(self, con, part: str, segments: list[str], name: str | None = None) -> None:
        """One part of the given segments as the view ``name`` (default: the part's name) of
        ``con``: DuckDB reads the files itself, named through its relation API (no path is
        written into SQL by us)."""
        files = [str(self.segments / f"{n}.{part}.parquet") for n in segments]
        if files:
            rel = con.read_parquet(files)
        else:
            con.register(f"_{part}_empty", SEGMENT_PARTS[part].empty_table())
            rel = con.table(f"_{part}_empty")
        rel.create_view(name or part, replace=True)

    def year_ranges(self, part: str, segments: list[str]) -> dict[str, tuple[int, int] | None]:
        """{segment: (lowest, highest) ``year`` of its ``part`` rows}, from the files' footers
        (nothing else read), so a year's read opens only the segments that can hold it (a first
        run leaves one segment per worker chunk, each of one year).  A part without rows is
        left out; None: rows without statistics, of any year."""
        out: dict[str, tuple[int, int] | None] = {}
        for n in segments:
            meta = pq.read_metadata(self.segments / f"{n}.{part}.parquet")
            column = meta.schema.names.index("year")
            ranges, any_year = [], False
            for g in range(meta.num_row_groups):
                group = meta.row_group(g)
                stats = group.column(column).statistics
                if not group.num_rows:
                    continue
                if stats is not None and stats.has_min_max:
                    ranges.append((stats.min, stats.max))
                elif stats is None or stats.null_count != group.num_rows:
                    any_year = True     # rows with a year, but no statistics of it
            if any_year:
                out[n] = None
            elif ranges:
                out[n] = (min(lo for lo, _ in ranges), max(hi for _, hi in ranges))
        return out

    def keys(self, segments: list[str]) -> set[str]:
        """Keys of every cached parse in ``segments``."""
        out: set[str] = set()
        for n in segments:
            out.update(pq.read_table(self.segments / f"{n}.reports.parquet", columns=["key"])
                       .column("key").to_pylist())
        return out

    # --- file index: which files are unchanged since they were hashed -------------------------

    def _index_path(self, raw: str) -> Path:
        return self.root / "files" / (hashlib.sha256(raw.encode()).hexdigest()[:16] + ".parquet")

    def file_index(self, raw: str) -> dict[str, tuple[tuple[int, int, int], str]]:
        """{source_file: ((size, mtime_ns, ctime_ns), report_id)} of the last parse."""
        try:
            tbl = pq.read_table(self._index_path(raw))
        except (OSError, pa.ArrowException):
            return {}
        cols = tbl.to_pydict()
        return {f: ((s, m, c), r) for f, s, m, c, r in zip(
            cols["source_file"], cols["size"], cols["mtime_ns"], cols["ctime_ns"],
            cols["report_id"])}

    def save_file_index(self, raw: str, entries: dict[str, tuple[tuple[int, int, int], str]]) -> None:
        files = sorted(entries)
        tbl = pa.table({
            "source_file": files,
            "size": [entries[f][0][0] for f in files],
            "mtime_ns": [entries[f][0][1] for f in files],
            "ctime_ns": [entries[f][0][2] for f in files],
            "report_id": [entries[f][1] for f in files],
        }, schema=FILE_INDEX)
        path = self._index_path(raw)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(tbl, path)
        killpoint("parse.index_saved")

    def drop_other_versions(self) -> None:
        """Parses by other parser versions are never read again."""
        import shutil

        parse = self.root / "parse"
        if parse.is_dir():
            for d in parse.iterdir():
                if d.name != parser_version():
                    shutil.rmtree(d, ignore_errors=True)

    def parses(self, segments: list[str]) -> int:
        """How many parses ``segments`` hold (from the files' footers, nothing else read)."""
        return sum(pq.read_metadata(self.segments / f"{n}.reports.parquet").num_rows
                   for n in segments)

    def compact(self, keep: set[str] | None = None, per_segment: int = 20_000,
                min_segments: int = COMPACT_SEGMENTS, memory_bytes: int = 256 * 2**20,
                spill: Path | None = None) -> int:
        """Merge the segments (one per worker chunk) into few large ones, one parse per key,
        rows ordered by year (so a year's read skips the other years' row groups); with
        ``keep``, parses of other keys (files gone from the raw folder) are dropped.  Returns
        the number of segments removed.  DuckDB works within ``memory_bytes`` (spilling into
        ``spill``) and the merged parts are streamed into their files.

        Only when it pays: when there are ``min_segments`` or more, or when at least half the
        parses are dead (of keys not in ``keep``, or a key parsed again).  Merging costs about
        as much as a tenth of parsing (15 s of CPU per 100k reports); an unmerged segment costs
        about a millisecond to open on each run that reads the cache, so the segments of a first
        full run (one per chunk: 400 at 100k files) are left as they are.

        The merged rows get NEW parse_ids: until the old segments are deleted a key has two
        parses, and readers take one parse per key (the smallest parse_id), so a crash in
        between can never join a report's cells twice."""

        names = self.whole_segments()
        mostly_dead = keep is not None and len(names) > 1 and self.parses(names) >= 2 * len(keep)
        if not names or (len(names) < min_segments and not mostly_dead):
            return 0
        from etl.warehouse.database import connect_for_build

        con = connect_for_build(":memory:", memory_bytes, spill or self.root / ".spill")
        try:
            for part in SEGMENT_PARTS:
                self.register(con, part, names)
            keys = "" if keep is None else "WHERE key IN (SELECT key FROM keep)"
            if keep is not None:
                con.register("keep", pa.table({"key": sorted(keep)}))
            chosen = con.sql(f"""
                SELECT key, parse_id, md5(parse_id || 'compacted') AS new_id,
                       coalesce(parsed_year, 0) AS y
                FROM reports {keys}
                QUALIFY row_number() OVER (PARTITION BY key ORDER BY parse_id) = 1
                ORDER BY y, key""").to_arrow_table()
            n = chosen.num_rows
            for start in range(0, n, per_segment):
                part_ids = chosen.slice(start, per_segment)
                con.register("ids", part_ids)
                name = f"c{uuid.uuid4().hex}"
                self.segments.mkdir(parents=True, exist_ok=True)
                for part, schema in (("cells", SEGMENT_CELLS), ("prose", SEGMENT_PROSE),
                                     ("reports", SEGMENT_REPORTS)):
                    cols = ", ".join(f'p."{c}"' if c != "parse_id" else "i.new_id AS parse_id"
                                     for c in schema.names)
                    order = "p.year, i.key" if part != "reports" else "i.key"
                    rows = con.sql(f"SELECT {cols} FROM {part} p JOIN ids i USING (parse_id) "
                                   f"ORDER BY {order}").to_arrow_reader(100_000)
                    write_atomically(rows, self.segments / f"{name}.{part}.parquet", schema,
                                     compression="zstd", row_group_size=200_000)
                con.unregister("ids")
        finally:
            con.close()
            if spill is None:
                shutil.rmtree(self.root / ".spill", ignore_errors=True)
        for old in names:        # reports part first: the segment stops existing at once
            for part in ("reports", "cells", "prose"):
                (self.segments / f"{old}.{part}.parquet").unlink(missing_ok=True)
        return len(names)
