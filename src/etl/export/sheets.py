"""What an office sends back to an agency: a sheet per table of the report in the template's
layout (labels and merged header cells as printed, failed cells marked, unknown cells with their
reason), and a sheet of the issues to fix.  One model (``Sheet``) and two writers: ``.xlsx``
(openpyxl) and CSV with a UTF-8 BOM (so Excel on Chinese Windows opens it as UTF-8).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from etl.export.cells import Cell, ReportCells
from etl.report import layout
from etl.report.issues import cells_involved, describe
from etl.template.labels_zh import CELL_STATE_ZH


@dataclass
class Sheet:
    name: str
    rows: list[list] = field(default_factory=list)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # 1-based r1 c1 r2 c2
    styles: dict[tuple[int, int], str] = field(default_factory=dict)       # title|head|fail|unknown|part
    notes: dict[tuple[int, int], str] = field(default_factory=dict)
    widths: dict[int, float] = field(default_factory=dict)

    def put(self, r: int, c: int, value) -> None:
        while len(self.rows) < r:
            self.rows.append([])
        row = self.rows[r - 1]
        while len(row) < c:
            row.append(None)
        row[c - 1] = value

    @property
    def next_row(self) -> int:
        return len(self.rows) + 1


def sheet_name(text: str) -> str:
    """Excel sheet names: at most 31 characters, none of []:*?/\\."""
    return re.sub(r"[\[\]:*?/\\]", "_", text)[:31]


# --- template layout --------------------------------------------------------------------------

def _frame(sheet: Sheet, frame: layout.Frame, top: int) -> None:
    for h in frame.head:
        r, c = top + h.row, 1 + h.col
        sheet.put(r, c, h.text or None)
        sheet.styles[(r, c)] = "head"
        if h.rowspan > 1 or h.colspan > 1:
            sheet.merges.append((r, c, r + h.rowspan - 1, c + h.colspan - 1))
    body = top + frame.head_rows
    for h in frame.labels:
        r, c = body + h.row, 1 + h.col
        sheet.put(r, c, h.text)
        sheet.styles[(r, c)] = "head"
        if h.rowspan > 1 or h.colspan > 1:
            sheet.merges.append((r, c, r + h.rowspan - 1, c + h.colspan - 1))


def _value(sheet: Sheet, r: int, c: int, cell: Cell | None, label: tuple[str, str, str], marks: dict) -> None:
    if cell is None:
        return
    sheet.put(r, c, cell.shown)
    if cell.state == "unknown":
        sheet.styles[(r, c)] = "unknown"
        sheet.notes[(r, c)] = f"{CELL_STATE_ZH['unknown']}:原文“{cell.raw or ''}”,{cell.note or ''}"
    elif cell.state == "corrected":
        sheet.notes[(r, c)] = f"{CELL_STATE_ZH['corrected']},原印 {cell.original}"
    elif cell.state == "absent":
        sheet.styles[(r, c)] = "absent"
    got = marks.get(label)
    if got:
        style, text = got
        sheet.styles[(r, c)] = style
        sheet.notes[(r, c)] = (sheet.notes.get((r, c), "") + "\n" + text).strip()


def _marks(issues: list[dict], year: int | None, version: str) -> dict:
    """(section, a, b) -> (style, note) for the cells named by failed checks."""
    out: dict = {}
    for n, i in enumerate(issues, 1):
        named, part = cells_involved(i["formula"], i["cells"], year)
        t = describe(i["rule"], i["severity"], i["formula"], i["cells"], i["expected"],
                     i["actual"], i["delta"], year, version)
        for ref in part:
            out.setdefault(ref, ("part", f"参与问题 {n}"))
        for ref in named:
            prev = out.get(ref)
            text = f"问题 {n}:{t.rule_zh} {t.message_zh}"
            out[ref] = ("fail", (prev[1] + "\n" + text) if prev and prev[0] == "fail" else text)
    return out


def add_report_block(sheets: dict[str, Sheet], title: str, cells: ReportCells,
                     version: str | None, issues: Sequence[dict] = (), year: int | None = None) -> None:
    """Append one report (or one region-year sum) to the three table sheets, under ``title``."""
    version = layout.version_or_default(version)
    marks = _marks(list(issues), year, version)

    s = sheets["二"]
    top = s.next_row + (1 if s.rows else 0)
    s.put(top, 1, title)
    s.styles[(top, 1)] = "title"
    r = top + 1
    for t in layout.section2_tables(version):
        s.put(r, 1, t.heading)
        s.styles[(r, 1)] = "head"
        for j, (_, ml) in enumerate(t.metrics, 2):
            s.put(r, j, ml)
            s.styles[(r, j)] = "head"
        for ck, cl in t.categories:
            r += 1
            s.put(r, 1, cl)
            s.styles[(r, 1)] = "head"
            for j, (mk, _) in enumerate(t.metrics, 2):
                _value(s, r, j, cells.s2.get((ck, mk)), ("2", ck, mk), marks)
        r += 2

    s = sheets["三"]
    top = s.next_row + (1 if s.rows else 0)
    s.put(top, 1, title)
    s.styles[(top, 1)] = "title"
    frame = layout.section3_frame(version)
    _frame(s, frame, top + 1)
    body = top + 1 + frame.head_rows
    for i, row in enumerate(frame.rows):
        for j, col in enumerate(frame.columns):
            _value(s, body + i, frame.label_cols + 1 + j, cells.s3.get((row, col)),
                   ("3", row, col), marks)

    s = sheets["四"]
    top = s.next_row + (1 if s.rows else 0)
    s.put(top, 1, title)
    s.styles[(top, 1)] = "title"
    frame = layout.section4_frame()
    _frame(s, frame, top + 1)
    for j, key in enumerate(frame.columns):
        _value(s, top + 1 + frame.head_rows, 1 + j, cells.s4.get(key), ("4", key, ""), marks)


def table_sheets() -> dict[str, Sheet]:
    sheets = {n: Sheet(sheet_name(layout.section_heading(n))) for n in ("二", "三", "四")}
    sheets["二"].widths = {1: 22}
    sheets["三"].widths = {1: 14, 2: 12, 3: 36}
    return sheets


ISSUE_HEADERS = ["机关", "年度", "地区", "规则", "rule", "级别", "公式", "应为", "实际", "差额",
                 "说明", "message (English)", "涉及的格", "来源文件"]


def issues_sheet(rows: list[dict]) -> Sheet:
    """待改问题: one row per failed check, Chinese first, English beside."""
    s = Sheet("待改问题", [ISSUE_HEADERS], widths={1: 24, 3: 24, 7: 50, 11: 40, 12: 50, 13: 40})
    for c in range(1, len(ISSUE_HEADERS) + 1):
        s.styles[(1, c)] = "head"
    for i in rows:
        t = describe(i["rule"], i["severity"], i["formula"], i["cells"], i["expected"],
                     i["actual"], i["delta"], i["year"], i.get("template"))
        s.rows.append([i["agency"], i["year"], i["region_path"], t.rule_zh, i["rule"],
                       t.severity_zh, t.formula_zh, i["expected"], i["actual"], i["delta"],
                       t.message_zh, i["message"], i["cells"], i["source_file"]])
    return s


# --- writers ----------------------------------------------------------------------------------

def write_xlsx(sheets: list[Sheet], path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    thin = Side(style="thin", color="BBBBBB")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    looks = {
        "head": (PatternFill("solid", fgColor="F0F0F0"), Font(bold=False)),
        "title": (None, Font(bold=True, size=12)),
        "fail": (PatternFill("solid", fgColor="FFCDD2"), Font(bold=True, color="C62828")),
        "part": (PatternFill("solid", fgColor="FFF3E0"), None),
        "unknown": (PatternFill("solid", fgColor="F3E5F5"), Font(bold=True, color="6A1B9A")),
        "absent": (PatternFill("solid", fgColor="EEEEEE"), None),
    }
    wb = Workbook()
    wb.remove(wb.active)
    for sh in sheets:
        ws = wb.create_sheet(sheet_name(sh.name))
        for row in sh.rows:
            ws.append([_safe_cell(v) for v in row])
        for r1, c1, r2, c2 in sh.merges:
            ws.merge_cells(start_row=r1, start_column=c1, end_row=r2, end_column=c2)
        for (r, c), style in sh.styles.items():
            cell = ws.cell(r, c)
            fill, font = looks.get(style, (None, None))
            if fill:
                cell.fill = fill
            if font:
                cell.font = font
            if style != "title":
                cell.border = border
            if style == "head":
                cell.alignment = Alignment(wrap_text=True, vertical="center")
        for (r, c), text in sh.notes.items():
            ws.cell(r, c).comment = Comment(text[:2000], "etl")
        for c, w in sh.widths.items():
            ws.column_dimensions[ws.cell(1, c).column_letter].width = w
    wb.save(path)


def _safe_cell(v):
    """Spreadsheet cells: text that would start a formula is written as text, never run."""
    if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") and not _NUMBER.match(v):
        return "'" + v
    return v


_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def write_csv_folder(sheets: list[Sheet], folder: Path) -> list[Path]:
    """One CSV per sheet, UTF-8 with a BOM; merged cells are written once (top-left)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for sh in sheets:
        path = folder / f"{sheet_name(sh.name)}.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as f:
            w = csv.writer(f)
            for row in sh.rows:
                w.writerow(["" if v is None else _safe_cell(v) for v in row])
        out.append(path)
    return out
