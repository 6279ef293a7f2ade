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

import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from etl.report.cards import render_agency_page
from etl.report.data import agency_path, iter_agency_cards, raw_root, report_index
from etl.report.html import CSS
from etl.report.overview import (
    render_agency_directory,
    render_overview,
    render_quarantined,
    render_rule_lists,
    render_unknown_list,
)
from etl.report.regions import build_tree, render_region


@dataclass
class SiteStats:
    out_dir: Path
    pages: int = 0
    cards: int = 0
    agencies: int = 0
    regions: int = 0
    bytes: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

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


def build_site(con: duckdb.DuckDBPyConnection, out_dir: str | Path,
               source_root: str | None = None) -> SiteStats:
    """Write the report site of the warehouse behind ``con`` into ``out_dir`` (created; files
    already there are overwritten, others left alone — build into an empty folder).
    ``source_root``: where the raw files are, for the cards' source links (default: the raw
    root of the latest completed run)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stats = SiteStats(out)
    write = _Writer(out, stats)
    t = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        stats.seconds[name] = round(now - t, 2)
        t = now

    (out / "style.css").write_text(CSS, encoding="utf-8")
    index = report_index(con)
    lap("index")

    root = source_root if source_root is not None else raw_root(con)
    for reps in iter_agency_cards(con):
        write(agency_path(reps[0].agency_key, reps[0].report_id), render_agency_page(reps, root))
        stats.cards += len(reps)
        stats.agencies += 1
    lap("cards")

    nodes = build_tree(con, index)
    for node in nodes.values():
        render_region(node, nodes, write)
    stats.regions = len(nodes)
    lap("regions")

    render_overview(con, nodes, index, write)
    render_rule_lists(con, write)
    render_unknown_list(con, index, write)
    render_quarantined(con, write)
    render_agency_directory(index, write)
    lap("lists")
    return stats
