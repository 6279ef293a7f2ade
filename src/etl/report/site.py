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

import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import duckdb

from etl.report.cards import render_agency_page
from etl.report.data import (
    agency_file_key,
    agency_fingerprints,
    agency_path,
    iter_agency_cards,
    page_of_key,
    raw_root,
    report_index,
)
from etl.report.html import CSS
from etl.report.overview import (
    render_agency_directory,
    render_overview,
    render_quarantined,
    render_rule_lists,
    render_unknown_list,
)
from etl.report.regions import build_tree, region_digest, region_pages, render_region


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

    @property
    def total_seconds(self) -> float:
        return round(sum(self.seconds.values()), 2)


class _Writer:
    """Writes pages under one folder; refuses any path that would leave it."""

    def __init__(self, root: Path, stats: SiteStats):
        self.root = root.resolve()
        self.stats = stats
        self.made: set[Path] = set()

    def __call__(self, rel: str, html: str) -> None:
        path = (self.root / rel).resolve()
        if self.root not in path.parents:
            raise ValueError(f"refusing to write outside the site: {rel!r}")
        if path.parent not in self.made:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.made.add(path.parent)
        data = html.encode("utf-8")
        path.write_bytes(data)
        self.stats.pages += 1
        self.stats.bytes += len(data)


#: {"cards": {agency page key: fingerprint}, "regions": {region path: fingerprint}}
MANIFEST = ".manifest.json"


@lru_cache(maxsize=1)
def _code_digest() -> str:
    """The rendering code and its labels: a page rendered by other code is never reused.  Read
    once per process (the code that runs is the code imported)."""
    import etl.report
    import etl.template

    h = hashlib.sha256()
    for pkg in (etl.report, etl.template):
        for f in sorted(Path(str(pkg.__file__)).parent.glob("*.py")):
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


def _reuse(previous: Path, out: Path, prints: dict[str, str], part: str, files) -> set[str]:
    """Hard-link (else copy) from ``previous`` the pages (``files(key)``) of every key whose
    fingerprint in the previous manifest's ``part`` is unchanged; returns those keys."""
    try:
        old = json.loads((Path(previous) / MANIFEST).read_text("utf-8")).get(part, {})
    except (OSError, ValueError, AttributeError):
        return set()
    reused = set()
    made: set[Path] = set()
    for key, fp in prints.items():
        if old.get(key) != fp:
            continue
        rels = files(key)
        if not all((Path(previous) / rel).is_file() for rel in rels):
            continue
        for rel in rels:
            src, dst = Path(previous) / rel, out / rel
            if dst.parent not in made:
                dst.parent.mkdir(parents=True, exist_ok=True)
                made.add(dst.parent)
            try:
                os.link(src, dst)
            except OSError:
                shutil.copyfile(src, dst)
        reused.add(key)
    return reused


#: Reports per card query: DuckDB holds every report's aggregated cells of a query at once
#: (about 20 MB per 1,000 reports), so larger corpora are read in batches of agencies (each
#: batch scans the cell tables again: ~15 % more CPU per extra batch, memory stays bounded).
REPORTS_PER_BATCH = 10_000


def _batches(index, keys: set[str], everything: bool):
    """The agency pages to render, in batches of about REPORTS_PER_BATCH reports; ``None`` is
    "all of them" (one query, no key list)."""
    sizes: dict[str, int] = {}
    for r in index:
        k = agency_file_key(r.agency_key, r.report_id)
        sizes[k] = sizes.get(k, 0) + 1
    if everything and len(index) <= REPORTS_PER_BATCH:
        yield None
        return
    batch, n = [], 0
    for k in sorted(keys):
        batch.append(k)
        n += sizes.get(k, 1)
        if n >= REPORTS_PER_BATCH:
            yield batch
            batch, n = [], 0
    if batch:
        yield batch


def build_site(con: duckdb.DuckDBPyConnection, out_dir: str | Path,
               source_root: str | None = None, previous: str | Path | None = None) -> SiteStats:
    """Write the report site of the warehouse behind ``con`` into ``out_dir`` (created; files
    already there are overwritten, others left alone — build into an empty folder).
    ``source_root``: where the raw files are, for the cards' source links (default: the raw
    root of the latest completed run).  ``previous``: the site published before (only read):
    its agency pages whose inputs are unchanged are hard-linked instead of rendered again."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    previous = Path(previous) if previous is not None else None
    stats = SiteStats(out)
    write = _Writer(out, stats)
    t, c = time.perf_counter(), time.process_time()

    def lap(name: str) -> None:
        nonlocal t, c
        now, cpu = time.perf_counter(), time.process_time()
        stats.seconds[name] = round(now - t, 2)
        stats.cpu[name] = round(cpu - c, 2)
        t, c = now, cpu

    (out / "style.css").write_text(CSS, encoding="utf-8")
    index = report_index(con)
    lap("index")

    root = source_root if source_root is not None else raw_root(con)
    prints = agency_fingerprints(con, f"{_code_digest()}|{root}")
    reused = _reuse(previous, out, prints, "cards",
                    lambda k: [page_of_key(k)]) if previous is not None else set()
    stats.reused = len(reused)
    for batch in _batches(index, set(prints) - reused, len(reused) == 0):
        for reps in iter_agency_cards(con, batch):
            write(agency_path(reps[0].agency_key, reps[0].report_id),
                  render_agency_page(reps, root))
    stats.agencies = len(prints)
    stats.cards = len(index)
    lap("cards")

    nodes = build_tree(con, index)
    salt = _code_digest()
    region_prints = {p: f"{salt}|{region_digest(n, nodes)}" for p, n in nodes.items()}
    kept = _reuse(previous, out, region_prints, "regions",
                  lambda p: region_pages(nodes[p])) if previous is not None else set()
    for path, node in nodes.items():
        if path not in kept:
            render_region(node, nodes, write)
    stats.regions = len(nodes)
    stats.reused_regions = len(kept)
    (out / MANIFEST).write_text(json.dumps({"cards": prints, "regions": region_prints},
                                           ensure_ascii=False, sort_keys=True), "utf-8")
    lap("regions")

    render_overview(con, nodes, index, write)
    render_rule_lists(con, write)
    render_unknown_list(con, index, write)
    render_quarantined(con, write)
    render_agency_directory(index, write)
    lap("lists")
    return stats
