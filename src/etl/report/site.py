"""``build_site(con, out_dir)``: the whole static report site, written only inside ``out_dir``.

A plain function over a read-only connection with the warehouse views (``connect_readonly`` or
one the run passes in), so the nightly flow can build the site into a staging folder and swap
it in atomically.  The site needs no server and no network: relative links, inline SVG, one
stylesheet.

Layout (at 100k reports the cards dominate: one file per agency, in 256 folders):

    index.html                      overview
    style.css
    regions/all.html, regions/<h>.html[, <h>-2.html …]   one page per region node
    cards/<h[:2]>/<h>.html#r<id>    one report card per agency-year, an agency's years on one page
    rules/<rule>.html[, -2 …]       the issues of each rule
    unknown.html, quarantined.html, agencies.html[, -2 …]
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import duckdb

from etl.code_digest import digest, source_files
from etl.report.data import (
    agency_file_key,
    agency_fingerprints,
    page_of_key,
    raw_root,
    report_index,
)
from etl.report.html import CSS, PageWriter
from etl.report.overview import (
    render_agency_directory,
    render_overview,
    render_quarantined,
    render_rule_lists,
    render_unknown_list,
)
from etl.report.pool import CardJob, CardRendering, render_batch
from etl.report.regions import (
    build_tree,
    read_tree_data,
    region_digest,
    region_pages,
    render_region,
)
from etl.stages.memory import release


@dataclass
class SiteStats:
    out_dir: Path
    pages: int = 0
    cards: int = 0
    agencies: int = 0
    reused: int = 0                 # agency pages taken over from the previous site
    reused_regions: int = 0         # region nodes whose pages were taken over
    regions: int = 0
    bytes: int = 0
    seconds: dict[str, float] = field(default_factory=dict)      # wall, per phase
    cpu: dict[str, float] = field(default_factory=dict)          # CPU (all threads), per phase
    wall: float = 0.0               # the whole build (phases overlap when workers render cards)

    @property
    def total_seconds(self) -> float:
        return self.wall


#: {"cards": {agency page key: fingerprint}, "regions": {region path: fingerprint}}
MANIFEST = ".manifest.json"


@lru_cache(maxsize=1)
def _code_digest() -> str:
    """The rendering code and its labels: a page rendered by other code is never reused.  Read
    once per process (the code that runs is the code imported)."""
    return digest(source_files("report", "template"), length=16)


def _reuse(previous: Path, out: Path, prints: dict[str, str], part: str, files) -> set[str]:
    """Hard-link (else copy) from ``previous`` the pages (``files(key)``) of every key whose
    fingerprint in the previous manifest's ``part`` is unchanged; returns those keys."""
    try:
        old = json.loads((Path(previous) / MANIFEST).read_text("utf-8")).get(part, {})
    except (OSError, ValueError, AttributeError):
        return set()
    reused = set()
    made: set[str] = set()
    src_root, dst_root = str(previous), str(out)
    for key, fp in prints.items():
        if old.get(key) != fp:
            continue
        rels = files(key)
        if not all(os.path.isfile(os.path.join(src_root, rel)) for rel in rels):
            continue
        for rel in rels:
            src, dst = os.path.join(src_root, rel), os.path.join(dst_root, rel)
            folder = os.path.dirname(dst)
            if folder not in made:
                os.makedirs(folder, exist_ok=True)
                made.add(folder)
            try:
                os.link(src, dst)
            except OSError:
                shutil.copyfile(src, dst)
        reused.add(key)
    return reused


#: Reports per batch of cards: a batch's queries read each table once (~0.2 s of scans
#: whatever its size, plus ~0.1 ms per report) and DuckDB holds one query's per-report
#: aggregates at a time (table 三's tokens, the largest: ~45 MB at 8,000 reports, ~55 MB at
#: 10,000; they cannot spill).
REPORTS_PER_BATCH = 10_000
#: The same in card workers, and their DuckDB memory (at most: less when the run's share is
#: less).  DuckDB keeps table blocks cached up to its limit, so a larger one only adds to the
#: worker's size — the run's memory peak is in this stage — without saving CPU; Python holds
#: ~50 MB of a batch of 8,000 reports.
REPORTS_PER_WORKER_BATCH = 8_000
CARD_WORKER_MEMORY_MB = 64


def _batches(index, keys: set[str], everything: bool, size: int):
    """The reports of the agency pages to render, in batches of about ``size`` reports (whole
    agencies); ``None`` is "all of them" (one query, no id list)."""
    ids: dict[str, list[str]] = {}
    for r in index:
        k = agency_file_key(r.agency_key, r.report_id)
        if k in keys:
            ids.setdefault(k, []).append(r.report_id)
    if everything and len(index) <= size:
        yield None
        return
    batch: list[str] = []
    for k in sorted(ids):
        batch += ids[k]
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A connection of its own to the same database (for another thread), on the same default
    database."""
    [(name,)] = con.execute("SELECT current_database()").fetchall()
    cur = con.cursor()
    cur.execute(f"USE {_ident(name)}")
    return cur


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _database_file(con: duckdb.DuckDBPyConnection) -> str | None:
    """The file of the connection's current database (None: an in-memory one)."""
    rows = con.execute("SELECT path FROM duckdb_databases() "
                       "WHERE database_name = current_database()").fetchall()
    return rows[0][0] if rows and rows[0][0] else None


def build_site(con: duckdb.DuckDBPyConnection, out_dir: str | Path,
               source_root: str | None = None, previous: str | Path | None = None,
               workers: int = 1, worker_memory_mb: int = 256,
               spill: Path | None = None) -> SiteStats:
    """Write the report site of the warehouse behind ``con`` into ``out_dir`` (created; files
    already there are overwritten, others left alone — build into an empty folder).
    ``source_root``: where the raw files are, for the cards' source links (default: the raw
    root of the latest completed run).  ``previous``: the site published before (only read):
    its agency pages whose inputs are unchanged are hard-linked instead of rendered again.
    ``workers`` > 1: the agency pages are rendered by that many worker processes (each with a
    DuckDB connection of its own, limited to ``worker_memory_mb`` and spilling into ``spill``)
    while this process renders the region pages and the lists."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    previous = Path(previous) if previous is not None else None
    stats = SiteStats(out)
    write = PageWriter(out)
    t0 = t = time.perf_counter()
    c = time.process_time()

    def lap(name: str) -> None:
        nonlocal t, c
        now, cpu = time.perf_counter(), time.process_time()
        stats.seconds[name] = round(now - t, 2)
        stats.cpu[name] = round(cpu - c, 2)
        t, c = now, cpu

    (out / "style.css").write_text(CSS, encoding="utf-8")
    root = source_root if source_root is not None else raw_root(con)
    # The two heavy scans (every cell hashed; the aggregates) run one after the other (two at
    # once overflowed the memory limit) on a cursor of their own in a thread — DuckDB
    # releases the GIL — while this thread reads the index and renders the lists.
    with ThreadPoolExecutor(1, thread_name_prefix="report-query") as queries:
        cursor = _cursor(con)
        fingerprints = queries.submit(agency_fingerprints, cursor, f"{_code_digest()}|{root}")
        if workers > 1:         # the card workers start after the fingerprints: make room
            queries.submit(_set_memory_limit, cursor, worker_memory_mb)
        tree_data = queries.submit(read_tree_data, cursor)
        index = report_index(con)
        stats.cards = len(index)
        lap("index")
        prints = fingerprints.result()
        reused = _reuse(previous, out, prints, "cards",
                        lambda k: [page_of_key(k)]) if previous is not None else set()
        stats.reused, stats.agencies = len(reused), len(prints)
        todo, everything = set(prints) - reused, len(reused) == 0
        database = _database_file(con) if workers > 1 else None
        batches = deque(_batches(index, todo, everything,
                                 REPORTS_PER_WORKER_BATCH if database else REPORTS_PER_BATCH))
        lap("fingerprints")
        cards = None
        cards_memory = min(worker_memory_mb, CARD_WORKER_MEMORY_MB)
        if database and len(batches) > 1:
            # workers - 1 processes render cards while this one renders the lists and the
            # regions, then takes card batches too (a process fewer: the run's memory peak is
            # in this stage)
            job = CardJob(database, str(out), root, cards_memory, str(spill) if spill else None,
                          rss_limit=(cards_memory + 1024) * 2**20)
            cards = CardRendering(job, batches, min(workers - 1, len(batches)))
        try:
            if cards is None:
                # (no card workers: little to render) the lists while the tree is read
                _lists(con, index, write)
                lap("lists")
                nodes = build_tree(index, tree_data.result())
            else:
                # the workers hold memory too: one heavy thing at a time here, and DuckDB keeps
                # what the lists, the overview and the cards need (a card worker's share, less
                # than the heavy scans': lowering its limit evicts the blocks they cached)
                nodes = build_tree(index, tree_data.result())
                _set_memory_limit(con, cards_memory)
                _lists(con, index, write)
                lap("lists")
            regions = _regions(nodes, out, previous, write, stats)
            render_overview(con, nodes, index, write)
            # what the cards do not need goes before they are rendered here too
            del nodes, index, tree_data
            release()
            lap("regions")
            if cards is None:
                for batch in batches:         # None: every card, in one query
                    render_batch(con, batch, write, root)
                lap("cards")
            else:
                while (batch := cards.take()) is not None:
                    render_batch(con, batch, write, root)
                lap("cards")
                cards.wait()
                stats.seconds["cards (waited)"] = round(time.perf_counter() - t, 2)
                stats.cpu["cards (workers)"] = round(cards.cpu, 2)
                write.pages, write.bytes = write.pages + cards.pages, write.bytes + cards.bytes
        finally:
            if cards:
                cards.close()
    (out / MANIFEST).write_text(json.dumps({"cards": prints, "regions": regions},
                                           ensure_ascii=False, sort_keys=True), "utf-8")
    stats.pages, stats.bytes = write.pages, write.bytes
    stats.wall = round(time.perf_counter() - t0, 2)
    return stats


def _set_memory_limit(con: duckdb.DuckDBPyConnection, mb: int) -> None:
    """Lower DuckDB's memory limit to ``mb`` (the instance's, all its cursors), unless its
    configuration is locked (`etl report` on a published warehouse keeps its own)."""
    [(locked,)] = con.execute("SELECT current_setting('lock_configuration')").fetchall()
    if not locked:
        con.execute(f"SET memory_limit = '{int(mb)}MB'")


def _lists(con, index, write) -> None:
    """The long lists (they do not need the region tree)."""
    render_rule_lists(con, write)
    render_unknown_list(con, index, write)
    render_quarantined(con, write)
    render_agency_directory(index, write)


def _regions(nodes, out: Path, previous: Path | None, write, stats: SiteStats) -> dict[str, str]:
    """The region pages (unchanged ones taken over from ``previous``); returns their
    fingerprints."""
    salt = _code_digest()
    region_prints = {p: f"{salt}|{region_digest(n, nodes)}" for p, n in nodes.items()}
    kept = _reuse(previous, out, region_prints, "regions",
                  lambda p: region_pages(nodes[p])) if previous is not None else set()
    for path, node in nodes.items():
        if path not in kept:
            render_region(node, nodes, write)
    stats.regions, stats.reused_regions = len(nodes), len(kept)
    return region_prints


def build_snapshot_site(db: Path, out_dir: str | Path, *, settings, spill: Path,
                        source_root: str | None = None,
                        previous: str | Path | None = None) -> SiteStats:
    """The site of a snapshot's database ``db``, as the nightly flow builds it: the run's number
    of processes (``settings.workers``: this one and workers - 1 card workers) with the run's
    DuckDB memory (``settings.duckdb_memory``: the fingerprints over every cell have it all,
    then each process a share), spilling into ``spill``."""
    from etl.warehouse.database import attach_read_only

    spill.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(":memory:", config={
        "memory_limit": f"{max(settings.duckdb_memory // 2**20, 64)}MB",
        "temp_directory": str(spill)})
    try:
        attach_read_only(con, db)
        return build_site(con, out_dir, source_root=source_root, previous=previous,
                          workers=settings.workers, worker_memory_mb=worker_memory_mb(settings),
                          spill=spill)
    finally:
        con.close()


def worker_memory_mb(settings) -> int:
    """The DuckDB memory of each process building the site while card workers run (this one
    and the workers, a connection each): ``ETL_DUCKDB_MEMORY / (ETL_WORKERS + 1)``, so that
    together they stay below the run's limit with room for what Python adds beside (DuckDB
    keeps table blocks cached up to its limit: a process's size follows it)."""
    return max(settings.duckdb_memory // 2**20 // (settings.workers + 1), 128)
