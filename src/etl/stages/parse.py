"""Stage 2 — parse: the files the cache does not know yet, in killable worker processes, into
cache segments.

``plan`` decides which files need parsing: a file whose size and times are those of the last run
has the same bytes, so its report_id comes from the file index without reading it; a report_id
(with its manifest year) already in the cache needs no parse.  The rest is cut into coarse
batches (the unit of a flow task: >= MIN_BATCH files, at most MAX_BATCHES, grouped by manifest
year so a task says which year it parses) and each batch into chunks (the unit of a worker: one
cache segment).  ``parse_batch`` runs a batch on the pool; what a worker could not finish (a
timeout, a crash, a memory limit) comes back as a failure for that one file.
"""

from __future__ import annotations

import math
import os
import stat
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from etl.errors import TRANSIENT_REASONS, ReportError
from etl.killpoint import killpoint
from etl.model import ParsedReport
from etl.stages.cache import ParseCache, SegmentRows, cache_key, content_id, parser_version
from etl.stages.discover import SourceFile
from etl.stages.workers import ChunkResult, WorkerPool

#: Files per flow task at least; more when there are many, so that there are about
#: MAX_BATCHES tasks (100k files -> 40 tasks of 2,500, and one more per year for the remainders):
#: the task count never grows with files.  Each task run costs Prefect's temporary server
#: ≈ 33 ms of CPU and the run's process ≈ 10 ms (states, events, its log line), competing with
#: the workers: at 100k, 200 tasks of 500 cost 7 CPU-s more than 40 tasks of 2,500 (measured,
#: bench/stages.py).  A retried batch redoes at most 2,500 files (≈ 3 s on two cores).
MIN_BATCH = 500
MAX_BATCHES = 40
#: Files per worker chunk at most (= one cache segment; the work redone when a worker is
#: killed).  Larger chunks mean fewer segments to open on each later run (see
#: ParseCache.compact); a batch is still cut into at least one chunk per worker.
CHUNK = 250
#: Modules a worker imports once in the fork server, so replacing a killed worker is cheap.
PRELOAD = ("etl.parse", "etl.parse.report", "etl.readers", "etl.stages.cache")


@dataclass(frozen=True)
class Failure:
    """A file that could not be parsed for a reason that is not in its bytes (not cached)."""

    reason: str
    detail: str


@dataclass(frozen=True)
class Parsed:
    """What the run knows of one file after the parse stage."""

    report_id: str
    key: str                           # cache key (report_id + manifest year)
    failure: Failure | None = None     # set when there is no cached parse for the key


@dataclass
class Batch:
    label: str                         # "2023", "unknown year"
    number: int                        # 1-based within its label
    of: int
    files: list[SourceFile]

    @property
    def name(self) -> str:
        return f"parse {self.label} batch {self.number}/{self.of}"


@dataclass
class ParsePlan:
    known: dict[str, Parsed]                       # rel -> cached parse (no work needed)
    batches: list[Batch]
    index: dict[str, tuple[tuple[int, int, int], str]] = field(default_factory=dict)

    @property
    def todo(self) -> int:
        return sum(len(b.files) for b in self.batches)


def plan(files: list[SourceFile], cache: ParseCache, raw: str,
         min_batch: int = MIN_BATCH, max_batches: int = MAX_BATCHES) -> ParsePlan:
    index = cache.file_index(raw)
    cached = cache.keys(cache.whole_segments())
    known: dict[str, Parsed] = {}
    todo: list[SourceFile] = []
    for f in files:
        entry = index.get(f.rel)
        if entry is not None and entry[0] == f.stat_key:
            key = cache_key(entry[1], f.manifest_year)
            if key in cached:
                known[f.rel] = Parsed(entry[1], key)
                continue
        todo.append(f)
    killpoint("plan.done")
    return ParsePlan(known, plan_batches(todo, min_batch, max_batches), index)


def plan_batches(files: list[SourceFile], min_batch: int = MIN_BATCH,
                 max_batches: int = MAX_BATCHES) -> list[Batch]:
    """Coarse batches, each of one manifest year (files without one last)."""
    if not files:
        return []
    size = max(min_batch, math.ceil(len(files) / max_batches))
    by_year: dict[int | None, list[SourceFile]] = {}
    for f in files:
        by_year.setdefault(f.manifest_year, []).append(f)
    out = []
    for year in sorted(by_year, key=lambda y: (y is None, y or 0)):
        group = by_year[year]
        n = math.ceil(len(group) / size)
        label = str(year) if year is not None else "unknown year"
        out += [Batch(label, i + 1, n, group[i * size:(i + 1) * size]) for i in range(n)]
    return out


# --- in the worker -------------------------------------------------------------------------------

@dataclass(frozen=True)
class WorkerContext:
    """What a worker needs besides the files (picklable, sent once per worker)."""

    segments: str                      # the cache's segment folder
    parser_version: str
    max_file_bytes: int
    max_inflated_bytes: int
    convert_cache: str = ""            # where legacy Word conversions are cached (in the warehouse)


@dataclass(frozen=True)
class FileOutcome:
    rel: str
    report_id: str
    key: str
    stat_key: tuple[int, int, int]
    failure: Failure | None            # transient failure (nothing cached for the key)


def read_source(f: SourceFile, max_bytes: int) -> bytes:
    """The file's bytes, opened so that it cannot block (a FIFO that replaced the file after
    discovery) and cannot be larger than ``max_bytes``."""
    try:
        fd = os.open(f.path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as e:
        raise ReportError(f.rel, "unreadable", e.strerror or str(e)) from e
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ReportError(f.rel, "not_a_regular_file", "not a regular file when it was read")
        if st.st_size > max_bytes:
            raise ReportError(f.rel, "too_large", f"{st.st_size} bytes (limit {max_bytes}; "
                                                  f"ETL_MAX_FILE_BYTES)")
        try:
            # sized by fstat (a read of max_bytes would allocate max_bytes); a file that grew
            # since is read on, up to the limit
            data = fh.read(st.st_size + 1)
            if len(data) > st.st_size:
                data += fh.read(max_bytes + 1 - len(data))
        except OSError as e:
            raise ReportError(f.rel, "unreadable", e.strerror or str(e)) from e
    if len(data) > max_bytes:
        raise ReportError(f.rel, "too_large", f"over {max_bytes} bytes (ETL_MAX_FILE_BYTES)")
    return data


def parse_chunk(files: list[SourceFile], ctx: WorkerContext, started) -> list[FileOutcome]:
    """Parse files into one cache segment (runs in a worker)."""
    from etl.parse import parse_bytes
    from etl.readers.limits import set_max_inflated

    set_max_inflated(ctx.max_inflated_bytes)
    if ctx.convert_cache:
        os.environ.setdefault("ETL_CONVERT_CACHE", ctx.convert_cache)
    rows = SegmentRows()
    out = []
    for i, f in enumerate(files):
        started(i)
        try:
            data = read_source(f, ctx.max_file_bytes)
        except ReportError as e:
            rid = path_id(f.rel)
            out.append(FileOutcome(f.rel, rid, cache_key(rid, f.manifest_year), f.stat_key,
                                   Failure(e.reason, e.detail)))
            continue
        rid = content_id(data)
        key = cache_key(rid, f.manifest_year)
        manifest = {"year": f.manifest_year} if f.manifest_year is not None else None
        try:
            result: ParsedReport | ReportError = parse_bytes(data, f.rel, manifest)
        except ReportError as e:
            if e.reason in TRANSIENT_REASONS:
                out.append(FileOutcome(f.rel, rid, key, f.stat_key, Failure(e.reason, e.detail)))
                continue
            result = e
        except MemoryError:
            out.append(FileOutcome(f.rel, rid, key, f.stat_key,
                                   Failure("too_large", "the parser ran out of memory")))
            continue
        rows.add_parse(key, rid, result, ctx.parser_version)
        out.append(FileOutcome(f.rel, rid, key, f.stat_key, None))
    if len(rows):
        rows.write(Path(ctx.segments), uuid.uuid4().hex)
    return out


def path_id(rel: str) -> str:
    """An id for a file whose bytes could not be read (keeps unreadable files apart)."""
    return content_id(b"unreadable:" + rel.encode("utf-8", "surrogateescape"))


# --- in the run --------------------------------------------------------------------------------

def new_pool(settings, cache: ParseCache, workers: int | None = None) -> WorkerPool:
    ctx = WorkerContext(str(cache.segments), parser_version(), settings.max_file_bytes,
                        settings.max_inflated_bytes, str(cache.root / "convert"))
    return WorkerPool(parse_chunk, ctx, workers or settings.workers, settings.parse_timeout,
                      settings.worker_memory, preload=PRELOAD)


def chunks(files: list[SourceFile], workers: int) -> list[list[SourceFile]]:
    """A batch as worker chunks: at most CHUNK files each, at least one chunk per worker (so a
    small batch still keeps every worker busy)."""
    size = max(1, min(CHUNK, math.ceil(len(files) / max(1, workers))))
    return [files[i:i + size] for i in range(0, len(files), size)]


def parse_batch(pool: WorkerPool, batch: Batch, max_file_bytes: int) -> dict[str, Parsed]:
    """Parse one batch; {rel: Parsed} for each of its files."""
    out = collect(pool.run(chunks(batch.files, pool.size)), max_file_bytes)
    killpoint("parse.batch_done")
    return out


def collect(results: list[ChunkResult], max_file_bytes: int) -> dict[str, Parsed]:
    out: dict[str, Parsed] = {}
    for r in results:
        for o in r.value or []:
            out[o.rel] = Parsed(o.report_id, o.key, o.failure)
        for lost in r.lost:
            f: SourceFile = lost.item
            rid = _hash_file(f, max_file_bytes) or path_id(f.rel)
            out[f.rel] = Parsed(rid, cache_key(rid, f.manifest_year),
                                Failure(lost.reason, lost.detail))
    return out


def _hash_file(f: SourceFile, max_bytes: int) -> str | None:
    """The content id of a file a worker died on (read here: hashing cannot hang or explode)."""
    try:
        return content_id(read_source(f, max_bytes))
    except ReportError:
        return None


def new_file_index(plan_: ParsePlan, files: list[SourceFile],
                   parsed: dict[str, Parsed]) -> dict[str, tuple[tuple[int, int, int], str]]:
    """The file index after this run: every file whose bytes were hashed (known or parsed)."""
    out = {}
    by_rel = {f.rel: f for f in files}
    for rel, p in {**plan_.known, **parsed}.items():
        f = by_rel.get(rel)
        if f is not None and p.report_id != path_id(rel):      # its bytes were hashed
            out[rel] = (f.stat_key, p.report_id)
    return out
