"""Stage 3 — resolve: one ``reports`` row per input, with its identity and its status.

Identity: the manifest's values override what the text says (``identity_source`` records where
each field came from).  ``agency_key`` is the cross-year identity: the manifest's agency_id, else
the normalized agency name; NULL when neither is known, so that cross-year checks are not
assessable rather than matched by accident.

Status, decided in this order:

* ``skipped`` — not a report file at all (a FIFO, a broken link, an unusable manifest);
* ``quarantined`` — a report file that could not be used (``error_reason`` says why; ``no_year``
  when neither the text nor a manifest gives a year);
* ``duplicate`` — the same bytes as another file (``duplicate_file``): one report, kept once.
  The copy kept is the one a manifest describes, else the first by path; the cells stay with it;
* ``superseded`` — the same agency and year published more than once (a corrected version): the
  latest manifest ``published`` is kept, else the last by path; the others keep their cells and
  get a ``duplicate_report`` warning;
* ``loaded`` — everything else.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from etl.killpoint import killpoint
from etl.stages.cache import ParseCache
from etl.stages.discover import Inventory, SourceFile
from etl.stages.parse import Parsed, path_id
from etl.template import normalize_label
from etl.warehouse.schemas import SCHEMAS, UNKNOWN_YEAR

#: The reports table as resolve hands it on: the public columns + year + which parse its cells
#: come from (``key``: what was parsed; ``parse_id``: which cached copy of that parse).
RESOLVED_SCHEMA = SCHEMAS["reports"].append(pa.field("year", pa.int32())) \
    .append(pa.field("key", pa.string())).append(pa.field("parse_id", pa.string()))

STATUSES = ("loaded", "quarantined", "superseded", "duplicate", "skipped")


@dataclass
class Resolved:
    reports: pa.Table               # RESOLVED_SCHEMA, sorted by source_file
    counts: dict[str, int]


def agency_key(agency_id: str | None, agency: str | None) -> str | None:
    if agency_id:
        return f"id:{agency_id}"
    if agency:
        return f"name:{normalize_label(agency)}"
    return None


def cached_parses(cache: ParseCache, keys: set[str]) -> dict[str, dict]:
    """{key: the cached parse's row} (one parse per key when a key was parsed twice)."""
    if not keys:
        return {}
    con = duckdb.connect()
    try:
        cache.register(con, "reports", cache.whole_segments(), "seg")
        con.register("wanted", pa.table({"key": sorted(keys)}))
        rows = con.sql("SELECT s.* FROM seg s SEMI JOIN wanted w USING (key) "
                       "QUALIFY row_number() OVER (PARTITION BY key ORDER BY parse_id) = 1"
                       ).to_arrow_table().to_pylist()
    finally:
        con.close()
    return {r["key"]: r for r in rows}


def resolve(inventory: Inventory, parsed: dict[str, Parsed], cache: ParseCache,
            year: int | None = None) -> Resolved:
    wanted = {p.key for p in parsed.values() if p.failure is None}
    cached = cached_parses(cache, wanted)
    missing = wanted - cached.keys()
    if missing:
        raise RuntimeError(f"{len(missing)} parse results are missing from the cache "
                           f"(e.g. {sorted(missing)[0]}); nothing was published")
    rows = [report_row(f, parsed[f.rel], cached.get(parsed[f.rel].key)) for f in inventory.files]
    rows += [skipped_row(s.rel, s.reason, s.detail) for s in inventory.skipped]
    if year is not None:
        # a one-year rerun rebuilds that year only: files of other years (learnt by parsing) and
        # files of no year (the year-0 partition, rebuilt by full runs) are left as they are
        rows = [r for r in rows if r["year"] == year]
    mark_duplicate_files(rows)
    mark_superseded(rows)
    rows.sort(key=lambda r: (r["source_file"], r["report_id"]))
    tbl = pa.Table.from_pylist(rows, schema=RESOLVED_SCHEMA)
    counts = {s: 0 for s in STATUSES}
    for r in rows:
        counts[r["status"]] += 1
    killpoint("resolve.done")
    return Resolved(tbl, counts)


def report_row(f: SourceFile, p: Parsed, c: dict | None) -> dict:
    m = f.manifest
    c = c or {}
    agency = m.get("agency") or c.get("parsed_agency")
    year = f.manifest_year or c.get("parsed_year")
    identity = json.loads(c.get("identity_source") or "{}")
    for k in ("agency", "year", "agency_id", "region_path", "level"):
        if m.get(k):
            identity[k] = "manifest"
    detail: str | None
    if p.failure is not None:
        status, reason, detail = "quarantined", p.failure.reason, p.failure.detail
    elif c.get("error_reason"):
        status, reason, detail = "quarantined", c["error_reason"], c.get("error_detail")
    elif year is None:
        # without a year the report can't be placed in a partition or checked across years
        status, reason, detail = "quarantined", "no_year", "no year in the text and no manifest year"
    else:
        status, reason, detail = "loaded", None, None
    warnings = list(f.warnings) + ([c["warnings"]] if c.get("warnings") else [])
    return {
        "report_id": p.report_id, "agency_id": m.get("agency_id"), "agency": agency,
        "agency_key": agency_key(m.get("agency_id"), agency),
        "region_path": m.get("region_path"), "level": m.get("level"),
        "template": c.get("template") if status == "loaded" else None,
        "source_file": f.rel,
        "format": m.get("format") or c.get("form") or os.path.splitext(f.rel)[1].lstrip(".").lower()
        or None,
        "published": _date(m.get("published")), "source_url": m.get("source_url"),
        "title": c.get("title"), "parser_version": c.get("parser_version"),
        "status": status, "error_reason": reason, "error_detail": detail,
        "identity_source": json.dumps(identity, ensure_ascii=False, sort_keys=True),
        "warnings": "\n".join(warnings) or None,
        "year": year if year is not None else UNKNOWN_YEAR,
        "key": p.key,
        "parse_id": c.get("parse_id") if status == "loaded" else None,
        "_has_manifest": bool(m),
    }


def skipped_row(rel: str, reason: str, detail: str) -> dict:
    return {"report_id": path_id(rel), "source_file": rel, "status": "skipped",
            "error_reason": reason, "error_detail": detail, "year": UNKNOWN_YEAR,
            "identity_source": "{}", "_has_manifest": False}


def _date(text: str | None):
    import datetime as dt

    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def mark_duplicate_files(rows: list[dict]) -> None:
    """Byte-identical reports are one report: keep the one a manifest describes (else the first
    by path); the others become ``duplicate``.  Files that could not be used stay quarantined
    each (two empty files are two problems to fix, not one report)."""
    groups: dict[str, list[dict]] = {}
    for r in rows:
        if r["status"] == "loaded":
            groups.setdefault(r["report_id"], []).append(r)
    for copies in groups.values():
        if len(copies) < 2:
            continue
        copies.sort(key=lambda r: (not r["_has_manifest"], r["source_file"]))
        keep = copies[0]
        for r in copies[1:]:
            r.update(status="duplicate", error_reason="duplicate_file",
                     error_detail=f"same bytes as {keep['source_file']}", parse_id=None)


def mark_superseded(rows: list[dict]) -> None:
    """The same agency-year more than once: keep the latest ``published``, else the last by
    path; the others are ``superseded`` (they keep their cells)."""
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        if r["status"] == "loaded" and r.get("agency_key"):
            groups.setdefault((r["year"], r["agency_key"]), []).append(r)
    for copies in groups.values():
        if len(copies) < 2:
            continue
        copies.sort(key=lambda r: (r["published"] is not None, r["published"] or 0,
                                   r["source_file"]), reverse=True)
        keep = copies[0]
        for r in copies[1:]:
            published = f" (published {keep['published']})" if keep["published"] else ""
            r.update(status="superseded", error_reason="duplicate_report",
                     error_detail=f"superseded by {keep['source_file']}{published}")
