"""ParsedReport (or the ReportError of a file that could not be parsed) -> warehouse rows.

Identity: manifest values override what the text says.  ``agency_key`` is the cross-year identity
(the manifest's agency_id, else the normalized agency name; NULL when neither is known, so that
cross-year checks are not assessable rather than matched by accident).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field

import pyarrow as pa

from etl.errors import ReportError
from etl.model import ParsedReport
from etl.template import normalize_label
from etl.warehouse.discover import SourceFile
from etl.warehouse.schemas import SCHEMAS, UNKNOWN_YEAR


def agency_key(agency_id: str | None, agency: str | None) -> str | None:
    if agency_id:
        return f"id:{agency_id}"
    if agency:
        return f"name:{normalize_label(agency)}"
    return None


def _date(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def _int(value) -> int | None:
    """Counts are integers; a non-integral number in a count cell is kept as NULL (its raw text
    stays), never rounded into a fact."""
    if value is None:
        return None
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    return int(value)


def _float(value) -> float | None:
    return None if value is None else float(value)


@dataclass
class Rows:
    """Column-wise rows of every fact table for a batch of reports."""

    cols: dict[str, dict[str, list]] = field(default_factory=lambda: {
        t: {f.name: [] for f in SCHEMAS[t]} | {"year": []}
        for t in ("reports", "applications", "active_disclosure", "review_litigation",
                  "prose_figures")
    })

    def add(self, table: str, **values) -> None:
        cols = self.cols[table]
        for name, lst in cols.items():
            lst.append(values.get(name))

    def tables(self) -> dict[str, pa.Table]:
        out = {}
        for t, cols in self.cols.items():
            schema = SCHEMAS[t].append(pa.field("year", pa.int32()))
            out[t] = pa.table({f.name: pa.array(cols[f.name], f.type) for f in schema},
                              schema=schema)
        return out


def add_report(rows: Rows, src: SourceFile, report_id: str,
               result: ParsedReport | ReportError | Exception, parser_version: str) -> None:
    """Append one file's rows: its reports row and, when it parsed, its cells and prose."""
    m = src.manifest
    parsed = result if isinstance(result, ParsedReport) else None
    agency = m.get("agency") or (parsed.agency if parsed else None)
    year = src.manifest_year or (parsed.year if parsed else None)
    fmt = m.get("format") or (parsed.form if parsed and parsed.form else None) \
        or os.path.splitext(src.rel)[1].lstrip(".").lower() or None
    if isinstance(result, ReportError):
        status, reason, detail = "quarantined", result.reason, result.detail
    elif parsed is None:
        status, reason, detail = "quarantined", "parse_failed", f"{type(result).__name__}: {result}"
    elif year is None:
        # Without a year the report can't be placed in a partition or checked across years.
        status, reason, detail = "quarantined", "no_year", "no year in the text and no manifest year"
    else:
        status, reason, detail = "loaded", None, None
    identity = dict(parsed.identity_source) if parsed else {}
    for k in ("agency", "year", "agency_id", "region_path", "level"):
        if m.get(k):
            identity[k] = "manifest"
    y = year if year is not None else UNKNOWN_YEAR
    rows.add("reports", year=y, report_id=report_id, agency_id=m.get("agency_id"), agency=agency,
             agency_key=agency_key(m.get("agency_id"), agency), region_path=m.get("region_path"),
             level=m.get("level"), template=parsed.template if parsed else None,
             source_file=src.rel, format=fmt, published=_date(m.get("published")),
             source_url=m.get("source_url"), title=parsed.title if parsed else None,
             parser_version=parser_version, status=status, error_reason=reason,
             error_detail=detail,
             identity_source=json.dumps(identity, ensure_ascii=False, sort_keys=True),
             warnings="\n".join(parsed.warnings) if parsed else None)
    if status != "loaded":
        return
    for c in parsed.cells:
        tail = dict(raw=c.raw, state=c.state, source=c.source, note=c.note)
        if c.section == "3":
            rows.add("applications", year=y, report_id=report_id, row_key=c.row,
                     applicant=c.column, value=_int(c.value), **tail)
        elif c.section == "4":
            rows.add("review_litigation", year=y, report_id=report_id, item=c.row,
                     outcome=c.column, key=f"{c.row}_{c.column}", value=_int(c.value), **tail)
        elif c.section == "2":
            rows.add("active_disclosure", year=y, report_id=report_id, category=c.row,
                     metric=c.column, value=_float(c.value), **tail)
    for p in parsed.prose:
        rows.add("prose_figures", year=y, report_id=report_id, key=p.key, value=_float(p.value),
                 text=p.text, source=p.source)
