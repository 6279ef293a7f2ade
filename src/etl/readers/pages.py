"""A page's text lines and ruled tables → blocks in reading order: the page geometry that the
PDF text layer (:mod:`etl.readers.pdf`) and the OCR of scanned pages (:mod:`etl.readers.scan`)
share, so that both turn ruling lines into the same cells and join tables over pages alike.

Positions are in pt on the page as displayed (x right, y down from the top edge).  A table's
ruling lines (``Seg``) give an elementary grid; a missing line segment between two elementary
cells merges them (``CellLayout``).  :class:`PageItems` collects what every page holds;
:func:`assemble` drops running headers/footers and merges a table continued on the next page into
one TableGrid (see the PDF reader's docstring for the rules).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Callable

from etl.document import TableGrid, TextLine
from etl.readers.grid import absorb_blank_label_cells, clean_cell, join_lines

TOL = 2.0                  # pt: two positions closer than this are one ruling position
MARGIN = 0.075             # share of the page height treated as header/footer zone
_PAGE_NUMBER = re.compile(
    r"^[-—–－_\s]*\d{1,3}[-—–－_\s]*$|^第\s*\d+\s*页(\s*[,，/]?\s*共\s*\d+\s*页)?$|^\d+\s*/\s*\d+$"
    r"|^[-—–－]\s*[ivxIVX]+\s*[-—–－]$"
)
NUMERIC = re.compile(r"^[\d\s.,，%\-—/／无]*$")


@dataclass
class Seg:
    pos: float     # y of a horizontal line, x of a vertical one
    a: float       # start along the line (a < b)
    b: float


@dataclass
class CellLayout:
    """The cells that a table's ruling lines draw: an elementary grid (xs, ys) and the merged
    cell each elementary position belongs to (a missing line segment between two positions
    merges them)."""

    x0: float
    top: float
    x1: float
    bottom: float
    xs: list[float]
    ys: list[float]
    cell_of: list[list[int]]
    n_cells: int
    top_open: list[bool]
    bottom_open: list[bool]

    def cell_boxes(self) -> list[tuple[float, float, float, float]]:
        """(x0, top, x1, bottom) of each merged cell."""
        boxes: dict[int, list[float]] = {}
        for i, row in enumerate(self.cell_of):
            for j, cell in enumerate(row):
                b = boxes.setdefault(cell, [self.xs[j], self.ys[i], self.xs[j + 1], self.ys[i + 1]])
                b[0], b[1] = min(b[0], self.xs[j]), min(b[1], self.ys[i])
                b[2], b[3] = max(b[2], self.xs[j + 1]), max(b[3], self.ys[i + 1])
        return [(b[0], b[1], b[2], b[3]) for b in (boxes[c] for c in range(self.n_cells))]


@dataclass
class TablePart(CellLayout):
    """One page's piece of a table: its cell layout and what its cells hold."""

    page: int = 0
    texts: list[str] = field(default_factory=list)   # local cell id -> text
    conf: list[float] | None = None   # local cell id -> OCR confidence (None: a text layer)


@dataclass
class _Table:
    parts: list[TablePart] = field(default_factory=list)


# ------------------------------------------------------------------------------ geometry


def cluster(values: list[float], tol: float = TOL) -> list[float]:
    """Sorted distinct positions; values closer than ``tol`` collapse to their mean."""
    out: list[list[float]] = []
    for v in sorted(values):
        if out and v - out[-1][-1] <= tol:
            out[-1].append(v)
        else:
            out.append([v])
    return [sum(g) / len(g) for g in out]


def merge_segments(segs: list[Seg]) -> list[Seg]:
    """Collinear pieces (a line drawn cell by cell) become one segment."""
    # lines a hair apart (433.0 and 433.3 pt) fall into neighbouring round(pos / TOL) buckets:
    # the sort key alone would put a later-starting piece first and merge a piece that starts
    # above it into it, losing its top (a scanned rule then vanished and merged two columns)
    merged: list[Seg] = []
    for s in sorted(segs, key=lambda s: (round(s.pos / TOL), s.a)):
        last = merged[-1] if merged else None
        if last is not None and abs(last.pos - s.pos) <= TOL and last.a - TOL <= s.a <= last.b + TOL:
            last.b = max(last.b, s.b)
        else:
            merged.append(Seg(s.pos, s.a, s.b))
    return merged


def _components(hsegs: list[Seg], vsegs: list[Seg]) -> list[tuple[list[Seg], list[Seg]]]:
    """Groups of horizontal and vertical lines that touch each other: one group per table."""
    n_h = len(hsegs)
    parent = list(range(n_h + len(vsegs)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, h in enumerate(hsegs):
        for j, v in enumerate(vsegs):
            if h.a - TOL <= v.pos <= h.b + TOL and v.a - TOL <= h.pos <= v.b + TOL:
                parent[find(i)] = find(n_h + j)
    groups: dict[int, tuple[list[Seg], list[Seg]]] = {}
    for i, h in enumerate(hsegs):
        groups.setdefault(find(i), ([], []))[0].append(h)
    for j, v in enumerate(vsegs):
        groups.setdefault(find(n_h + j), ([], []))[1].append(v)
    return [g for g in groups.values() if g[0] and g[1]]


def _covered(segs: list[Seg], pos: float, a: float, b: float) -> bool:
    """Is there a ruling line at ``pos`` covering most of the interval a..b?"""
    need = (b - a) * 0.5
    for s in segs:
        if abs(s.pos - pos) <= TOL and min(s.b, b) - max(s.a, a) >= need:
            return True
    return False


def table_parts(page_no: int, hsegs: list[Seg], vsegs: list[Seg],
                cell_texts: Callable[[CellLayout], tuple[list[str], list[float] | None]]) -> list[TablePart]:
    """The page's ruled tables, one part per group of touching lines; ``cell_texts`` fills the
    cells (from the text layer, or by OCR of the page image with a confidence per cell)."""
    parts: list[TablePart] = []
    for hs, vs in _components(merge_segments(hsegs), merge_segments(vsegs)):
        layout = _cell_layout(hs, vs)
        if layout is not None:
            texts, conf = cell_texts(layout)
            parts.append(TablePart(**vars(layout), page=page_no, texts=texts, conf=conf))
    return parts


def _cell_layout(hsegs: list[Seg], vsegs: list[Seg]) -> CellLayout | None:
    x0 = min(min(s.a for s in hsegs), min(s.pos for s in vsegs))
    x1 = max(max(s.b for s in hsegs), max(s.pos for s in vsegs))
    top = min(min(s.pos for s in hsegs), min(s.a for s in vsegs))
    bottom = max(max(s.pos for s in hsegs), max(s.b for s in vsegs))
    xs = cluster([s.pos for s in vsegs] + [x0, x1])
    ys = cluster([s.pos for s in hsegs] + [top, bottom])
    n_rows, n_cols = len(ys) - 1, len(xs) - 1
    if n_rows < 1 or n_cols < 1 or n_rows * n_cols < 2:
        return None                                        # a rule or a box around text
    parent = list(range(n_rows * n_cols))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(n_rows):
        for j in range(n_cols):
            if j + 1 < n_cols and not _covered(vsegs, xs[j + 1], ys[i], ys[i + 1]):
                parent[find(i * n_cols + j + 1)] = find(i * n_cols + j)
            if i + 1 < n_rows and not _covered(hsegs, ys[i + 1], xs[j], xs[j + 1]):
                parent[find((i + 1) * n_cols + j)] = find(i * n_cols + j)
    ids: dict[int, int] = {}
    cell_of = [[ids.setdefault(find(i * n_cols + j), len(ids)) for j in range(n_cols)] for i in range(n_rows)]
    if len(ids) < 2:
        return None
    top_open = [not _covered(hsegs, ys[0], xs[j], xs[j + 1]) for j in range(n_cols)]
    bottom_open = [not _covered(hsegs, ys[-1], xs[j], xs[j + 1]) for j in range(n_cols)]
    return CellLayout(x0, top, x1, bottom, xs, ys, cell_of, len(ids), top_open, bottom_open)


# ---------------------------------------------------------------------------- assembly


def _continues(prev: TablePart, part: TablePart) -> bool:
    return abs(prev.x0 - part.x0) <= 3 * TOL and abs(prev.x1 - part.x1) <= 3 * TOL


def _label_continues(prev: TablePart, a: int, part: TablePart, b: int) -> bool:
    """A page break drawn as a closed border through a row label: WPS closes the vertical label
    (三、本年度办理结果) and a group label ((四)无法提供) at the page foot and repeats them as empty
    tall cells on the next page.  Join them when the new cell is empty, one of the two spans
    several rows (data cells never do) and the old one is a label, not a number."""
    if part.texts[b] or not prev.texts[a] or NUMERIC.match(prev.texts[a]):
        return False
    return _row_span(part, b) >= 2 or _row_span(prev, a) >= 2


def _row_span(part: TablePart, cell: int) -> int:
    return sum(1 for row in part.cell_of if cell in row)


def _grid(table: _Table, index: int, line: int) -> TableGrid:
    parts = table.parts
    union = cluster([x for p in parts for x in p.xs])
    n_cols = len(union) - 1
    parent: dict[tuple[int, int], tuple[int, int]] = {}

    def find(k: tuple[int, int]) -> tuple[int, int]:
        while parent.setdefault(k, k) != k:
            k = parent[k]
        return k

    rows: list[list[tuple[int, int] | None]] = []        # (part, local id) per union column
    row_pages: list[int] = []
    first_header: list[list[str]] | None = None
    prev_last: list[tuple[int, int] | None] | None = None
    prev_part: TablePart | None = None
    prev_col_map: list[int | None] = []
    for p_no, part in enumerate(parts):
        col_map = []
        for u in range(n_cols):
            centre = (union[u] + union[u + 1]) / 2
            k = bisect_right(part.xs, centre) - 1
            col_map.append(k if 0 <= k < len(part.xs) - 1 else None)
        part_rows = [[(p_no, part.cell_of[i][k]) if k is not None else None for k in col_map]
                     for i in range(len(part.cell_of))]
        if p_no == 0:
            first_header = [[part.texts[c[1]] if c else "" for c in r] for r in part_rows[:3]]
        else:
            # drop rows that repeat the first part's header rows exactly
            dropped_header = False
            while part_rows and first_header:
                texts = [parts[c[0]].texts[c[1]] if c else "" for c in part_rows[0]]
                if texts in first_header and any(texts):
                    part_rows.pop(0)
                    dropped_header = True
                else:
                    break
            if part_rows and prev_last is not None and prev_part is not None:
                prev_map = prev_col_map
                for u in range(n_cols):
                    a, b = prev_last[u], part_rows[0][u]
                    ka, kb = prev_map[u], col_map[u]
                    if not (a and b and ka is not None and kb is not None):
                        continue
                    same_columns = [x == a for x in prev_last] == [x == b for x in part_rows[0]]
                    ta, tb = prev_part.texts[a[1]], part.texts[b[1]]
                    if not same_columns or NUMERIC.fullmatch(ta) and ta or NUMERIC.fullmatch(tb) and tb:
                        continue                    # numbers never run on over a page break
                    # both sides open; below repeated header rows the top is always closed, so
                    # there the page-foot side decides
                    top_open = part.top_open[kb] or dropped_header
                    if prev_part.bottom_open[ka] and top_open \
                            or _label_continues(prev_part, a[1], part, b[1]):
                        parent[find(b)] = find(a)
        rows.extend(part_rows)
        row_pages.extend([part.page] * len(part_rows))
        if part_rows:
            prev_last, prev_part, prev_col_map = part_rows[-1], part, col_map
    # texts of joined cells: in order of appearance, joined like wrapped lines
    pieces: dict[tuple[int, int], list[str]] = {}
    seen: set[tuple[int, int]] = set()
    for r in rows:
        for c in r:
            if c is not None and c not in seen:
                seen.add(c)
                pieces.setdefault(find(c), []).append(parts[c[0]].texts[c[1]])
    # a label some generators print again in the continued part is one label, not two
    text_of = {root: clean_cell(join_lines([p for k, p in enumerate(ps) if k == 0 or p != ps[k - 1]]))
               for root, ps in pieces.items()}
    # OCR confidence of joined cells: the lowest of their pieces
    ocr = any(p.conf is not None for p in parts)
    conf_of: dict[tuple[int, int], float] = {}
    if ocr:
        for c in seen:
            piece = parts[c[0]].conf
            value = piece[c[1]] if piece is not None else 1.0
            root = find(c)
            conf_of[root] = min(conf_of.get(root, 1.0), value)
    grid: list[list[str]] = []
    origin: list[list[tuple[int, int]]] = []
    confidence: list[list[float]] = []
    anchor: dict[tuple[int, int], tuple[int, int]] = {}
    for i, r in enumerate(rows):
        grow, orow, crow = [], [], []
        for u, c in enumerate(r):
            if c is None:
                grow.append("")
                orow.append((i, u))
                crow.append(1.0)
                continue
            root = find(c)
            grow.append(text_of[root])
            orow.append(anchor.setdefault(root, (i, u)))
            crow.append(conf_of.get(root, 1.0))
        grid.append(grow)
        origin.append(orow)
        confidence.append(crow)
    return absorb_blank_label_cells(TableGrid(
        rows=grid, index=index, page=parts[0].page, line=line, origin=origin,
        pages=row_pages if len(set(row_pages)) > 1 else None, ocr=confidence if ocr else None))




def _is_furniture(text: str) -> bool:
    return bool(_PAGE_NUMBER.match(text))


class PageItems:
    """What the pages of a document hold, in reading order, before tables are joined across
    pages: the text-layer reader and the OCR reader both fill one, and :func:`assemble` turns it
    into a Document (running headers dropped, continued tables merged)."""

    def __init__(self) -> None:
        # (page, top, what): a line of text as (text, in_margin), or a table's part on the page
        self.items: list[tuple[int, float, tuple[str, bool] | TablePart]] = []
        self.margin_texts: dict[str, set[int]] = {}
        self.heading_lines: list[tuple[float, str]] = []     # (line height, text) of page 1

    def add_part(self, part: TablePart) -> None:
        self.items.append((part.page, part.top, part))

    def add_line(self, page: int, top: float, bottom: float, size: float, text: str, height: float) -> None:
        """One line of text outside tables (top/bottom/size in pt, ``height`` = the page's)."""
        in_margin = bottom < height * MARGIN or top > height * (1 - MARGIN)
        if in_margin:
            if _is_furniture(text):
                return
            self.margin_texts.setdefault(re.sub(r"\d+", "#", text), set()).add(page)
        self.items.append((page, top, (text, in_margin)))
        if page == 1:
            self.heading_lines.append((size, text))


def assemble(page_items: PageItems, n_pages: int) -> list[TextLine | TableGrid]:
    """Blocks in reading order: running headers/footers dropped, tables continued on the next
    page merged into one grid."""
    running = {k for k, pages in page_items.margin_texts.items() if len(pages) >= 2 and n_pages >= 2}
    items = sorted(page_items.items, key=lambda it: (it[0], it[1]))
    placed: list[TextLine | _Table] = []           # a table stays open to its continuations
    open_table: _Table | None = None
    for page_no, _top, part in items:
        if not isinstance(part, TablePart):
            text, in_margin = part
            if in_margin and re.sub(r"\d+", "#", text) in running:
                continue
            placed.append(TextLine(text=text, line=len(placed) + 1, page=page_no))
            open_table = None
            continue
        if open_table is not None and open_table.parts[-1].page == page_no - 1 \
                and _continues(open_table.parts[-1], part):
            open_table.parts.append(part)
        else:
            open_table = _Table([part])
            placed.append(open_table)
    blocks: list[TextLine | TableGrid] = []
    n_tables = 0
    for pos, block in enumerate(placed):
        if isinstance(block, _Table):
            blocks.append(_grid(block, n_tables, pos + 1))
            n_tables += 1
        else:
            blocks.append(block)
    return blocks


def title_from_headings(lines: list[tuple[float, str]]) -> str | None:
    """The large-type lines at the top of page 1 (the title may wrap over two lines)."""
    if not lines:
        return None
    sizes = sorted(h for h, _ in lines)
    body = sizes[len(sizes) // 2]
    title: list[str] = []
    for h, text in lines:
        if h >= body * 1.2:
            title.append(text)
        elif title:
            break
    text = join_lines(title)
    return text if text else None
