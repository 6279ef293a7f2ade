"""Helpers the HTML, DOCX and PDF readers share: span expansion and cell-text cleaning.

One home for "a table of spanning cells → a rectangular grid with ``origin``", so the three
readers agree on what ``TableGrid.origin`` means: ``origin[r][c]`` is the grid position
``(row, col)`` of the top-left corner of the source cell that covers ``(r, c)``.  A grid position
is a cell's own origin iff ``origin[r][c] == (r, c)``; two neighbours with the same origin are one
spanned cell, two neighbours with different origins are two cells that merely print the same text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeGuard

from etl.document import TableGrid

# Whitespace that carries no meaning inside a cell: NBSP (the &nbsp; of empty HTML cells),
# ideographic space, zero-width space and BOM, plus ordinary whitespace.
_WS = re.compile(r"[\s\u00a0\u3000\u200b\ufeff]+")
_CJK_END = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uff00-\uffef（）《》“”、，。：；]$")
_CJK_START = re.compile(r"^[\u3000-\u30ff\u3400-\u9fff\uff00-\uffef（）《》“”、，。：；]")
_CJK = "\u3000-\u30ff\u3400-\u9fff\uff00-\uffef（）《》“”、，。：；"
_CJK_GAP = re.compile(f"(?<=[{_CJK}]) | (?=[{_CJK}])")


@dataclass
class SourceCell:
    text: str
    rowspan: int = 1
    colspan: int = 1


def clean_text(text: str) -> str:
    """Collapse runs of whitespace (NBSP included) to one space and strip; "&nbsp;" → ""."""
    return _WS.sub(" ", text).strip()


def clean_cell(text: str) -> str:
    """A table cell's text as one string: whitespace collapsed, and dropped where it touches
    Chinese (a cell's wrapped lines, or letter-spacing like ``自 然 人``, carry no space)."""
    if text.isprintable() and " " not in text:     # the usual "821" / "总计": nothing to clean
        return text
    return _CJK_GAP.sub("", clean_text(text))


def join_lines(parts: list[str]) -> str:
    """Join the visual lines of one cell or paragraph.

    Chinese text wraps without spaces, so two lines are glued directly when either side of the
    join is CJK (``本年新`` + ``制作数量`` → ``本年新制作数量``); Latin words and numbers keep a space.
    """
    out = ""
    for part in parts:
        part = clean_text(part)
        if not part:
            continue
        if out and not (_CJK_END.search(out) or _CJK_START.search(part)):
            out += " "
        out += part
    return out


def _take_held(carry: dict[int, list], c: int, trow: list[str], orow: list) -> None:
    """Emit the rowspan cell held for column ``c`` into this row and count one row off it."""
    held = carry[c]
    trow.append(held[1])
    orow.append(held[2])
    held[0] -= 1
    if not held[0]:
        del carry[c]


def _all_text(rows: list[list[SourceCell | str]]) -> TypeGuard[list[list[str]]]:
    return all(type(c) is str for row in rows for c in row)


def expand_spans(rows: list[list[SourceCell | str]], index: int, **where) -> TableGrid:
    """Lay out spanning cells in the HTML table model and return a rectangular TableGrid.

    A plain ``str`` is a 1×1 cell.  A spanned cell's text is repeated in every position it
    covers.  Spans that run past the table's last row are cut there (as browsers do); short rows
    are padded with blank cells whose origin is their own position.  (Hot path for HTML: one
    append per grid position, rowspans carried in a small dict.)
    """
    n_rows = len(rows)
    if _all_text(rows):
        # no spans at all: the rows are the grid (the common small table)
        n_cols = max((len(r) for r in rows), default=0)
        grid: list[list[str]] = [r + [""] * (n_cols - len(r)) if len(r) < n_cols else list(r) for r in rows]
        origin: list[list[tuple[int, int]]] = [[(r, c) for c in range(n_cols)] for r in range(n_rows)]
        widths = [len(r) for r in rows] if any(len(r) < n_cols for r in rows) else None
        return TableGrid(rows=grid, index=index, origin=origin, widths=widths, **where)
    grid = []
    origin = []
    carry: dict[int, list] = {}                  # column -> [rows still to fill, text, anchor]
    for r, row in enumerate(rows):
        trow: list[str] = []
        orow: list[tuple[int, int]] = []
        c = 0
        for cell in row:
            while c in carry:
                _take_held(carry, c, trow, orow)
                c += 1
            if isinstance(cell, str):
                trow.append(cell)
                orow.append((r, c))
                c += 1
                continue
            rs = cell.rowspan if cell.rowspan > 0 else n_rows - r   # rowspan=0: to the end
            rs = max(1, min(rs, n_rows - r))
            cs = max(1, cell.colspan)
            anchor = (r, c)
            for _ in range(cs):
                if c in carry:                    # overlapping spans: the earlier cell keeps it
                    _take_held(carry, c, trow, orow)
                else:
                    trow.append(cell.text)
                    orow.append(anchor)
                    if rs > 1:
                        carry[c] = [rs - 1, cell.text, anchor]
                c += 1
        while carry and c <= max(carry):          # rowspans reaching past this row's last cell
            if c in carry:
                _take_held(carry, c, trow, orow)
            else:
                trow.append("")
                orow.append((r, c))
            c += 1
        grid.append(trow)
        origin.append(orow)
    n_cols = max(len(t) for t in grid)
    widths = [len(t) for t in grid]
    for r in range(n_rows):
        trow, orow = grid[r], origin[r]
        for c in range(len(trow), n_cols):
            trow.append("")
            orow.append((r, c))
    return TableGrid(rows=grid, index=index, origin=origin,
                     widths=widths if min(widths, default=0) < n_cols else None, **where)


_NUMERIC = re.compile(r"^[\d\s.,%+\-—–/]+$")


def absorb_blank_label_cells(grid: TableGrid) -> TableGrid:
    """Join an empty cell to the row label on its left when its column never holds a number.

    Some tables draw a stray rule through a label area: 洪泽区 2024 prints ``（六）其他处理`` and
    ``（七）总计`` in one cell followed by an empty one where the other rows have their ``1.…``
    sub-label.  The empty cell is not a value (its column holds no numbers anywhere), so it is
    laid out as part of the label — a consumer that maps values by distinct cells then sees the
    same number of cells as in the other rows.  Only one-row empty cells are absorbed; the change
    shows in ``origin`` like any other span.
    """
    rows, origin = grid.rows, grid.origin
    if origin is None or not rows:
        return grid
    n_rows, n_cols = len(rows), grid.n_cols
    # rows with an empty cell right of a filled one; the usual table has none
    candidate_rows = [r for r in range(n_rows) if "" in rows[r]
                      and any(not rows[r][c] and rows[r][c - 1] for c in range(1, n_cols))]
    if not candidate_rows:
        return grid
    label_col: dict[int, bool] = {}

    def is_label_col(c: int) -> bool:
        if c not in label_col:
            label_col[c] = not any(rows[r][c] and _NUMERIC.match(rows[r][c]) for r in range(n_rows))
        return label_col[c]

    for r in candidate_rows:
        for c in range(1, n_cols):
            if rows[r][c] or not rows[r][c - 1] or not is_label_col(c) or not is_label_col(c - 1):
                continue
            own = origin[r][c]
            if (r > 0 and origin[r - 1][c] == own) or (r + 1 < n_rows and origin[r + 1][c] == own):
                continue                                       # a tall empty cell: leave it
            rows[r][c] = rows[r][c - 1]
            origin[r][c] = origin[r][c - 1]
    return grid
