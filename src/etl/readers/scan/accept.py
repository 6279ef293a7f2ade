"""Which values read by OCR stand: the table's own identities decide, after parsing.

A cell read from a scanned table (``TableGrid.ocr`` holds each grid cell's confidence) keeps its
number — with state ``ocr`` — only when every identity of the template that contains it holds
with the values as read:

* table 三, per column: 本年新收 + 上年结转 = 办理结果总计 + 结转下年度, and 总计 = the sum of the
  printed result rows (rows the printed template lacks take no part);
* table 三, per row: 总计 column = the sum of the six applicant columns;
* section 四, per group: 总计 = 维持 + 纠正 + 其他 + 尚未审结.

Blank and dash count as 0 there (that is what a person reads from them); a cell read with low
confidence is tentative: it stands only when the identities of both its row and its column
hold with it (two independent confirmations); where OCR found no value at all, every identity
the cell is in is unassessable.  A single
misread digit therefore breaks its row and its column, and every cell of both becomes
``unknown`` with the reason — never a wrong number.  Two misreads that cancel exactly in both a
row and a column are the one way through, which is why the confidence bar stays too.

Section 二 has no identity within one report: there a value stands only when the engine read it
with at least ``SECTION2_CONFIDENCE`` (a stricter bar, said in the cell's note).
"""

from __future__ import annotations

import re
from collections import defaultdict

from etl.document import Document
from etl.model import Cell, ParsedReport
from etl.readers.scan import MIN_VALUE_CONFIDENCE
from etl.template import APPLICANT_COLUMN_KEYS, RESULT_ROW_KEYS, SECTION4_OUTCOMES, section2_keys, section3_rows_for

SECTION2_CONFIDENCE = 0.97
_SOURCE = re.compile(r"^table (\d+) r(\d+) c(\d+)")
_VALUE_STATES = ("number", "inferred")
_OUTCOME_KEYS = tuple(key for key, _label in SECTION4_OUTCOMES)


def _confidence(cell: Cell, grids: dict[int, list[list[float]]]) -> float | None:
    """The OCR confidence of the grid cell a parsed cell came from; None when it came from no
    OCR'd table cell."""
    m = _SOURCE.match(cell.source)
    if not m:
        return None
    t, r, c = (int(g) for g in m.groups())
    grid = grids.get(t)
    if grid is None or r >= len(grid) or c >= len(grid[r]):
        return None
    return grid[r][c]


_VALUE_TEXT = re.compile(r"^[\d.,]+$|^-$")      # a number, or the placeholder of an unread value


def _unmatched_rows(report: ParsedReport, doc: Document) -> set[str]:
    """The sections with a value row in an OCR'd table that no parsed cell came from: a row
    whose label OCR misread, so a cell of the template the parser calls absent may be there.
    Such a row belongs to the section of the nearest matched row before it in the document
    (sections are printed in order), or after it when none comes before."""
    used: dict[int, dict[int, str]] = defaultdict(dict)      # table -> grid row -> section
    for cell in report.cells:
        m = _SOURCE.match(cell.source)
        if m:
            used[int(m.group(1))][int(m.group(2))] = cell.section
    rows: list[tuple[str | None, bool]] = []                 # (section if matched, unmatched value row)
    for table in doc.tables():
        matched = used.get(table.index, {})
        for r in range(table.n_rows):
            if r in matched:
                rows.append((matched[r], False))
            elif table.ocr is not None and any(_VALUE_TEXT.match(t) for t in table.rows[r]) \
                    and (not matched or r > min(matched)):   # header rows above the first match
                rows.append((None, True))
    out: set[str] = set()
    for i, (_, unmatched) in enumerate(rows):
        if unmatched:
            before = [s for s, _ in rows[:i] if s is not None]
            after = [s for s, _ in rows[i + 1:] if s is not None]
            if before or after:
                out.add(before[-1] if before else after[0])
    return out


def _absent_or_unread(report: ParsedReport, doc: Document, whole_scan: bool) -> None:
    """A cell the parser calls absent from a scan is unknown where OCR may have missed its
    label — its section has a value row no label was matched to, or (a whole scan) the section
    was not found at all — and stays absent where every value row of the section was matched
    (the report does not print that row: e.g. 2019-template rows on a 2021 report)."""
    version = report.template
    expected = (set(section3_rows_for(version)) | set(section2_keys(version))) if version else None
    unmatched = _unmatched_rows(report, doc)
    found = {c.section for c in report.cells if c.state != "absent"}
    for cell in report.cells:
        if cell.state != "absent" or (expected is not None and cell.row not in expected
                                      and cell.section != "4"):
            continue
        if cell.section in unmatched:
            cell.state, cell.note = "unknown", "absent from the OCR'd tables, which hold a row whose label was not read"
        elif whole_scan and cell.section not in found:
            cell.state, cell.note = "unknown", ("section not found in the OCR'd pages: "
                                                "its heading or labels may not have been read")


def accept_ocr_cells(report: ParsedReport, doc: Document) -> None:
    """Set the state of every OCR'd cell of ``report`` in place: ``ocr`` or ``unknown``."""
    grids = {t.index: t.ocr for t in doc.tables() if t.ocr is not None}
    whole_scan = doc.form == "scan"
    if not grids and not whole_scan:
        return
    _absent_or_unread(report, doc, whole_scan)
    ocr_cells: dict[tuple[str, str, str], float] = {}
    for cell in report.cells:
        conf = _confidence(cell, grids)
        if conf is None and not (whole_scan and cell.state != "absent"):
            continue                                   # a text-layer cell of a mixed PDF
        ocr_cells[cell.key] = 0.0 if conf is None else conf
    if not ocr_cells:
        return
    by_key = {c.key: c for c in report.cells}

    def value(key: tuple[str, str, str]):
        """The value an identity uses: a number, 0 for blank/dash, 'absent', or None."""
        cell = by_key.get(key)
        if cell is None or cell.state == "absent":
            return "absent"
        if ocr_cells.get(key, 1.0) == 0.0:
            return None                                # OCR found no value to try
        if cell.state in _VALUE_STATES:
            return cell.value
        if cell.state in ("blank", "dash"):
            return 0
        return None

    # every identity: (name, cells on the left, cells on the right)
    identities: list[tuple[str, list, list]] = []
    columns = APPLICANT_COLUMN_KEYS + ("total",)
    for col in columns:
        identities.append((f"本年新收+上年结转=总计+结转下年度 ({col})",
                           [("3", "new_received", col), ("3", "carried_over", col)],
                           [("3", "total", col), ("3", "carried_forward", col)]))
        identities.append((f"总计=办理结果之和 ({col})", [("3", "total", col)],
                           [("3", r, col) for r in RESULT_ROW_KEYS]))
    rows3 = sorted({c.row for c in report.cells if c.section == "3"})
    for row in rows3:
        identities.append((f"总计列=各类申请人之和 ({row})", [("3", row, "total")],
                           [("3", row, col) for col in APPLICANT_COLUMN_KEYS]))
    groups4 = sorted({c.row for c in report.cells if c.section == "4"})
    for group in groups4:
        parts = [("4", group, o) for o in _OUTCOME_KEYS if o != "total"]
        identities.append((f"总计=维持+纠正+其他+尚未审结 ({group})", [("4", group, "total")], parts))

    verdict: dict[tuple[str, str, str], list[str]] = defaultdict(list)   # broken/unassessable
    covered: set[tuple[str, str, str]] = set()
    holding: dict[tuple[str, str, str], int] = defaultdict(int)         # identities that hold
    for name, left, right in identities:
        members = [k for k in left + right if value(k) != "absent"]
        if not any(k in ocr_cells for k in members):
            continue
        vals = [value(k) for k in members]
        if any(v is None for v in vals):
            problem = f"{name} not assessable: a cell in it was not read"
        else:
            lhs = sum(value(k) for k in left if value(k) != "absent")
            rhs = sum(value(k) for k in right if value(k) != "absent")
            problem = "" if lhs == rhs else f"{name} does not hold as read ({lhs} ≠ {rhs})"
        for k in members:
            covered.add(k)
            if problem:
                verdict[k].append(problem)
            else:
                holding[k] += 1

    for key, conf in ocr_cells.items():
        cell = by_key[key]
        if cell.state == "absent":
            continue
        reasons = list(verdict.get(key, ()))
        if conf == 0.0:                   # no value read, or (its note says) no label found
            reasons.insert(0, cell.note if cell.state == "unknown" and cell.note else "OCR read no value here")
        elif conf < MIN_VALUE_CONFIDENCE and (reasons or holding[key] < 2):
            # a tentative reading stands only when its row and its column both confirm it
            reasons.insert(0, f"OCR read {cell.raw!r} with low confidence ({conf:.2f}) and no "
                              "row and column identities confirm it")
        elif cell.state == "text":
            reasons.insert(0, "OCR read text where a value stands")
        elif key not in covered:
            if cell.section != "2" or conf < SECTION2_CONFIDENCE and cell.state in _VALUE_STATES:
                reasons.append(f"no identity covers this cell and OCR confidence {conf:.2f} "
                               f"< {SECTION2_CONFIDENCE}" if cell.section == "2"
                               else "no identity covers this cell")
        if reasons:
            cell.value, cell.state = None, "unknown"
            cell.note = "; ".join(reasons[:2])
        elif cell.state in _VALUE_STATES:
            cell.state = "ocr"
            cell.note = (f"OCR (confidence {conf:.2f}); identities hold" if key in covered
                         else f"OCR (confidence {conf:.2f}); section 二 has no identity")
