"""Corrections: an office fixes a cell a report printed wrong, or one the parser could not read,
without editing the source file — and every such fix has an audit trail.

``data/corrections/*.csv`` (UTF-8, with or without BOM; ``etl correct`` appends to
``data/corrections/corrections.csv``), one row per cell::

    report_id, agency_id, agency, year, table, row, column, value, reason, who, when

* the report: ``report_id`` (the content hash the correction was made against), and/or the
  agency (``agency_id`` or ``agency``) and ``year``.  A ``report_id`` that is no longer the
  agency-year's report (the agency published a new version: new bytes, new hash) makes the
  correction ``stale``: listed, never applied silently;
* the cell: ``table`` = applications | active_disclosure | review_litigation, ``row`` (row_key /
  category / item), ``column`` (applicant / metric / outcome) — keys as in the template;
* ``value``: a non-negative whole number (a count), a decimal for amounts, a signed whole number
  for 本年增/减; ``reason``, ``who``, ``when`` (ISO date) are kept as written.  Two lines for
  one cell: the later one (by file name, then line) applies, the earlier is ``replaced``.

At load the corrected cell gets state ``corrected``, its value, and ``original_value`` /
``original_state`` beside; the checks run on the corrected tables.  Every row of every file is in
the ``corrections`` table with its status: ``applied`` | ``replaced`` | ``stale`` | ``invalid``
(the message says
what is wrong, naming the file and line) — one bad line never stops the others.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from etl.template import SECTION2, SECTION3_COLUMN_KEYS, SECTION3_ROW_KEYS, SECTION4_GROUPS, SECTION4_OUTCOMES
from etl.warehouse.schemas import SCHEMAS

COLUMNS = ("report_id", "agency_id", "agency", "year", "table", "row", "column", "value",
           "reason", "who", "when")
SECTION_OF = {"applications": "3", "active_disclosure": "2", "review_litigation": "4"}
MAX_FILE_BYTES = 16 * 2**20

CORRECTIONS_SCHEMA = SCHEMAS["corrections"]


def _cells_of(table: str) -> dict[str, set[str]]:
    """{row: {columns}} a table may hold (both template versions)."""
    if table == "applications":
        return {r: set(SECTION3_COLUMN_KEYS) for r in SECTION3_ROW_KEYS}
    if table == "review_litigation":
        return {g.prefix: {o for o, _ in SECTION4_OUTCOMES} for g in SECTION4_GROUPS}
    out: dict[str, set[str]] = {}
    for tables in SECTION2.values():
        for t in tables:
            for c in t.categories:
                out.setdefault(c.key, set()).update(m.key for m in t.metrics)
    return out


def _metric(category: str, metric: str):
    for tables in SECTION2.values():
        for t in tables:
            if any(c.key == category for c in t.categories):
                for m in t.metrics:
                    if m.key == metric:
                        return m
    return None


@dataclass
class Correction:
    file: str
    line: int
    fields: dict[str, str]
    value: float | None = None
    status: str = "invalid"
    message: str = ""


def read_corrections(folder: Path | None) -> list[Correction]:
    """Every row of every ``*.csv`` in ``folder``, checked on its own (cell, value); the report
    is matched later, against the run's reports."""
    if folder is None or not Path(folder).is_dir():
        return []
    out: list[Correction] = []
    for path in sorted(Path(folder).glob("*.csv")):
        name = path.name
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise ValueError(f"larger than {MAX_FILE_BYTES // 2**20} MB")
            text = path.read_bytes().decode("utf-8-sig")
            reader = csv.DictReader(io.StringIO(text, newline=""))
            missing = {"table", "row", "column", "value"} - set(reader.fieldnames or [])
            if missing:
                raise ValueError(f"no column {', '.join(sorted(missing))}")
            rows = list(reader)
        except (OSError, UnicodeDecodeError, csv.Error, ValueError) as e:
            out.append(Correction(name, 0, {}, message=f"{name}: cannot be read: {e}"))
            continue
        for i, row in enumerate(rows, start=2):
            fields = {k: (row.get(k) or "").strip() for k in COLUMNS if isinstance(row.get(k), str)}
            out.append(check_row(Correction(name, i, fields)))
    return out


def check_row(c: Correction) -> Correction:
    f = c.fields
    where = f"{c.file} line {c.line}"
    table, row, column = f.get("table", ""), f.get("row", ""), f.get("column", "")
    cells = _cells_of(table) if table in SECTION_OF else None
    if cells is None:
        c.message = f"{where}: unknown table {table!r} (applications, active_disclosure, review_litigation)"
    elif row not in cells:
        c.message = f"{where}: {table} has no row {row!r}"
    elif column not in cells[row]:
        c.message = f"{where}: {table} row {row!r} has no column {column!r}"
    elif not (f.get("report_id") or ((f.get("agency_id") or f.get("agency")) and f.get("year"))):
        c.message = f"{where}: name the report (report_id, or agency_id/agency and year)"
    else:
        try:
            value = float(f.get("value", ""))
            if not math.isfinite(value):
                raise ValueError
        except ValueError:
            c.message = f"{where}: value {f.get('value')!r} is not a number"
            return c
        m = _metric(row, column) if table == "active_disclosure" else None
        whole = value.is_integer()
        if m is not None and m.decimal:
            ok = value >= 0
        elif m is not None and m.signed:
            ok = whole
        else:
            ok = whole and value >= 0
        if not ok:
            c.message = (f"{where}: value {f.get('value')!r} is not a valid {column} "
                         "(a count is a whole number ≥ 0)")
            return c
        c.value, c.status, c.message = value, "pending", ""
    return c


def match(corrections: list[Correction], reports: pa.Table) -> list[Correction]:
    """Attach each checked correction to a report of the run: ``applied`` (for now: the write
    stage confirms the cell), ``stale`` or ``invalid``."""
    rows = reports.select(["report_id", "agency_id", "agency", "agency_key", "year", "status"]) \
        .filter(pc.is_in(reports.column("status"), pa.array(["loaded", "superseded"]))).to_pylist()
    by_id = {r["report_id"]: r for r in rows}
    by_agency: dict[tuple, list[dict]] = {}
    for r in rows:
        if r["status"] == "loaded":
            for key in (("id", r["agency_id"]), ("name", r["agency"])):
                if key[1]:
                    by_agency.setdefault(key, []).append(r)
    for c in corrections:
        if c.status != "pending":
            continue
        f = c.fields
        where = f"{c.file} line {c.line}"
        year = int(f["year"]) if f.get("year", "").isdigit() else None
        current = (by_agency.get(("id", f.get("agency_id")), [])
                   or by_agency.get(("name", f.get("agency")), []))
        current = [r for r in current if year is None or r["year"] == year]
        rid = f.get("report_id")
        if rid and rid in by_id:
            c.fields["report_id"] = rid
            c.status = "applied"
        elif rid and current:
            c.status = "stale"
            c.message = (f"{where}: made for report {rid}; the agency's {year} report is now "
                         f"{current[0]['report_id']} (changed since): check and renew it")
        elif rid:
            c.message = f"{where}: no report {rid} in the warehouse"
            c.status = "invalid"
        elif len(current) == 1:
            c.fields["report_id"] = current[0]["report_id"]
            c.status = "applied"
        else:
            c.status = "invalid"
            c.message = f"{where}: no loaded report of {f.get('agency_id') or f.get('agency')} for {year}"
    # two lines for one cell: the later one (by file, then line) is the correction
    last: dict[tuple, Correction] = {}
    for c in corrections:
        if c.status == "applied":
            cell = (c.fields["report_id"], c.fields["table"], c.fields["row"], c.fields["column"])
            if cell in last:
                last[cell].status = "replaced"
                last[cell].message = f"replaced by {c.file} line {c.line}"
            last[cell] = c
    return corrections


def to_table(corrections: list[Correction], reports: pa.Table) -> pa.Table:
    """The corrections table, each row in the year of the report it concerns (0: none)."""
    year_of = dict(zip(reports.column("report_id").to_pylist(), reports.column("year").to_pylist()))

    def year(c: Correction) -> int:
        if c.fields.get("report_id") in year_of:
            return year_of[c.fields["report_id"]]
        y = c.fields.get("year", "")
        return int(y) if c.status == "stale" and y.isdigit() else 0

    return pa.Table.from_pylist([{
        "year": year(c),
        "file": c.file, "line": c.line, "report_id": c.fields.get("report_id") or None,
        "agency_id": c.fields.get("agency_id") or None, "agency": c.fields.get("agency") or None,
        "table": c.fields.get("table") or None, "row": c.fields.get("row") or None,
        "column": c.fields.get("column") or None, "value": c.value,
        "reason": c.fields.get("reason") or None, "who": c.fields.get("who") or None,
        "when": c.fields.get("when") or None, "status": c.status, "message": c.message or None,
    } for c in corrections], schema=CORRECTIONS_SCHEMA.append(pa.field("year", pa.int32())))


def confirm(fixes: pa.Table, layout, snapshot: Path, year: int) -> pa.Table:
    """After a year's facts are written: fill each applied correction's original value and
    state from the written cells; one that matched no cell of its report is ``invalid``."""
    import pyarrow.parquet as pq

    reports = {r for r, s in zip(fixes.column("report_id").to_pylist(),
                                 fixes.column("status").to_pylist()) if s == "applied"}
    if not reports:
        return fixes                # nothing to confirm: the written cells need not be read
    found: dict[tuple, tuple] = {}
    for table in SECTION_OF:
        f = snapshot / table / f"year={year}" / "part-0.parquet"
        if not f.exists():
            continue
        row_col = {"applications": ("row_key", "applicant"), "active_disclosure": ("category", "metric"),
                   "review_litigation": ("item", "outcome")}[table]
        t = pq.read_table(f, columns=["report_id", *row_col, "state", "original_value",
                                      "original_state"],
                          # the file is sorted by report_id: its statistics skip most row groups
                          filters=[("report_id", "in", sorted(reports)), ("state", "=", "corrected")])
        for r in t.to_pylist():
            found[(r["report_id"], table, r[row_col[0]], r[row_col[1]])] = \
                (r["original_value"], r["original_state"])
    rows = fixes.to_pylist()
    for r in rows:
        if r["status"] != "applied":
            continue
        hit = found.get((r["report_id"], r["table"], r["row"], r["column"]))
        if hit is None:
            r["status"] = "invalid"
            r["message"] = (f"{r['file']} line {r['line']}: report {r['report_id']} has no cell "
                            f"{r['table']} {r['row']} {r['column']} (another template version?)")
        else:
            r["original_value"] = None if hit[0] is None else float(hit[0])
            r["original_state"] = hit[1]
    return pa.Table.from_pylist(rows, schema=fixes.schema)


def applied_for(corrections: pa.Table, report_ids: set[str]) -> pa.Table:
    """The applied corrections of these reports, as (report_id, section, row, column, value,
    note): what the write stage joins onto the cells (the last line wins for one cell)."""
    rows = [r for r in corrections.to_pylist()
            if r["status"] == "applied" and r["report_id"] in report_ids]
    last: dict[tuple, dict] = {}
    for r in rows:
        last[(r["report_id"], r["table"], r["row"], r["column"])] = r
    out = [{"report_id": r["report_id"], "section": SECTION_OF[r["table"]], "row": r["row"],
            "column": r["column"], "value": r["value"],
            "note": "corrected" + (f" by {r['who']}" if r["who"] else "")
                    + (f" on {r['when']}" if r["when"] else "")
                    + (f": {r['reason']}" if r["reason"] else "") + f" ({r['file']} line {r['line']})"}
           for r in last.values()]
    return pa.Table.from_pylist(out, schema=pa.schema([
        ("report_id", pa.string()), ("section", pa.string()), ("row", pa.string()),
        ("column", pa.string()), ("value", pa.float64()), ("note", pa.string())]))


def fingerprint_rows(corrections: pa.Table, report_ids: set[str]) -> str:
    """What the corrections of these reports contribute to a year's fingerprint."""
    rows = sorted(json.dumps(r, sort_keys=True, default=str) for r in corrections.to_pylist()
                  if r["report_id"] in report_ids)
    return "\n".join(rows)


def correct_command(warehouse: Path, folder: Path, table: str, row: str, column: str,
                    value: str, reason: str, who: str, report_id: str | None,
                    agency_id: str | None, agency: str | None, year: int | None) -> int:
    """`etl correct`: check one correction against the published warehouse and append it (with
    the report's current content hash, so a later version of the report makes it stale) to
    ``folder/corrections.csv``.  It takes effect at the next run."""
    import datetime as dt
    import sys

    fields = {"report_id": report_id or "", "agency_id": agency_id or "", "agency": agency or "",
              "year": str(year or ""), "table": table, "row": row, "column": column,
              "value": value, "reason": reason, "who": who,
              "when": dt.date.today().isoformat()}
    c = check_row(Correction("etl correct", 0, fields))
    if c.status != "pending":
        print(f"etl correct: {c.message.split(': ', 1)[-1]}", file=sys.stderr)
        return 2
    if not report_id:
        from etl.warehouse.query import connect_readonly

        where, params = ("agency_id = ?", [agency_id]) if agency_id else ("agency = ?", [agency])
        con = connect_readonly(warehouse)
        try:
            rows = con.execute(f"SELECT report_id FROM reports WHERE status = 'loaded' AND {where} "
                               "AND year = ?", [*params, year]).fetchall()
        finally:
            con.close()
        if len(rows) != 1:
            print(f"etl correct: {len(rows)} loaded reports of {agency_id or agency} for {year} "
                  "in the warehouse; name the report with --report-id", file=sys.stderr)
            return 2
        fields["report_id"] = rows[0][0]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "corrections.csv"
    new = not path.exists() or path.stat().st_size == 0
    with open(path, "a", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS)
        if new:
            w.writeheader()
        w.writerow(fields)
    print(f"recorded in {path}: {table} {row} {column} = {value} for report {fields['report_id']}; "
          "it takes effect at the next `etl run`")
    return 0
