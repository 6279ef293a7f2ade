"""PDF (text layer) → Document, with table cells taken from the tables' ruling lines.

Why pypdfium2 and not pdfplumber (measured with bench/bench_readers.py, CPU time, one core): on
the two real 5-page 洪泽区 reports this reader needs ≈30 ms per file in all (≈33 files/s), while
pdfplumber needs ≈320 ms just to extract the words and ruling lines (pdfminer parses content
streams in Python).  pdfplumber is kept for one exception: pages where pdfium drops text
objects (see _pdfminer_chars), where it re-reads that page's characters.

Per page:
1. characters with their loose (font) boxes; pdfium's generated spaces/newlines are skipped;
2. ruling lines: stroked path segments, and filled (sub)rectangles thin enough to be a rule
   (Word's export draws borders that way).  Wider filled rectangles are cell backgrounds (WPS
   draws a white rectangle behind every paragraph line and table cell) and are ignored — they
   would otherwise turn prose into a one-column table;
3. tables: connected groups of horizontal and vertical lines.  Their distinct x and y positions
   give an elementary grid; a missing line segment between two elementary cells means one merged
   cell (so row/col spans come from the geometry).  Characters are put into cells by their centre,
   and a cell's lines are joined (Chinese without a space, see readers.grid.join_lines);
4. everything else becomes TextLines, after dropping page numbers ("- 3 -", "第3页") and running
   headers/footers (margin lines that repeat on several pages).

A table that is continued at the top of the next page (no text between, same left and right
edges) is merged into one TableGrid (``pages`` gives each row's page): columns are laid on the
union of both parts' column positions; header rows that exactly repeat the first part's header
rows are dropped; a cell cut by the page break is joined with its continuation when the break
left it open on both sides (or below a dropped repeated header), or — when the break is drawn
closed, as WPS does — when the continuation is an empty multi-row label cell under a label (a
vertical label such as 三、本年度办理结果 stays one cell).  Numbers are never joined.

Tables without ruling lines fall back to column alignment: a run of ≥ 3 lines that each split
into ≥ 3 gap-separated fields becomes a table with columns at the fields' x positions.
"""

from __future__ import annotations

import ctypes
import io
import re
import threading
from bisect import bisect_right
from itertools import repeat

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pypdfium2_raw.bindings as pypdfium2_raw_bindings

from etl.document import Document
from etl.errors import ReportError
from etl.readers.grid import clean_cell, join_lines
from etl.readers.pages import (
    NUMERIC,
    TOL,
    CellLayout,
    PageItems,
    Seg,
    TablePart,
    assemble,
    cluster,
    table_parts,
    title_from_headings,
)

THIN = 2.5                 # pt: a filled path thinner than this is a drawn line
_BLANK_CODES = frozenset((0xA0, 0x3000, 0xFEFF, 0xFFFE))
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")


class _Char:
    """One printed character; its centre is computed once (every geometry step reads it)."""

    __slots__ = ("text", "x0", "top", "x1", "bottom", "space", "cx", "cy")

    def __init__(self, text: str, x0: float, top: float, x1: float, bottom: float,
                 space: bool = False) -> None:
        self.text, self.x0, self.top, self.x1, self.bottom = text, x0, top, x1, bottom
        self.space = space          # a printed space came right before it (kept between words)
        self.cx = (x0 + x1) / 2
        self.cy = (top + bottom) / 2


# ----------------------------------------------------------------------------------- pdfium

# Our own prototypes of three pdfium calls that return object handles as plain ints: comparing
# pypdfium2's pointer objects needs a ctypes.cast per call, which would cost more than the scan.
_LIB = pypdfium2_raw_bindings._libs["pdfium"]
_obj_at = _LIB["FPDFPage_GetObject"]
_obj_at.argtypes, _obj_at.restype = [ctypes.c_void_p, ctypes.c_int], ctypes.c_void_p
_obj_type = _LIB["FPDFPageObj_GetType"]
_obj_type.argtypes, _obj_type.restype = [ctypes.c_void_p], ctypes.c_int
_char_obj = _LIB["FPDFText_GetTextObject"]
_char_obj.argtypes, _char_obj.restype = [ctypes.c_void_p, ctypes.c_int], ctypes.c_void_p


class _ToPage:
    """PDF user space → the page as displayed, top-down (x right, y down from the top edge).

    pdfium gives character boxes and path points in user space; a page with /Rotate (a
    landscape table on a rotated page) or a media box not at the origin would otherwise put text
    and rules in different places from where they are seen — and from where pdfminer puts them."""

    __slots__ = ("a", "b", "c", "d", "e", "f")

    def __init__(self, page: pdfium.PdfPage, width: float, height: float) -> None:
        dx, dy = ctypes.c_int(), ctypes.c_int()
        pts = []
        for x, y in ((0.0, 0.0), (100.0, 0.0), (0.0, 100.0)):
            # device coordinates are ints: map onto a 100x finer device to keep 0.01 pt
            pdfium_c.FPDF_PageToDevice(page.raw, 0, 0, round(width * 100), round(height * 100), 0,
                                       x, y, ctypes.byref(dx), ctypes.byref(dy))
            pts.append((dx.value / 100, dy.value / 100))
        (ox, oy), (px, py), (qx, qy) = pts
        self.a, self.b = (px - ox) / 100, (py - oy) / 100
        self.c, self.d = (qx - ox) / 100, (qy - oy) / 100
        self.e, self.f = ox, oy

    def __call__(self, x: float, y: float) -> tuple[float, float]:
        return self.a * x + self.c * y + self.e, self.b * x + self.d * y + self.f

    def box(self, left: float, bottom: float, right: float, top: float) -> tuple[float, float, float, float]:
        """A user-space box as (x0, top, x1, bottom) on the displayed page."""
        if self.b == 0.0 and self.c == 0.0:          # an unrotated page: no corner swapping
            a, d = self.a, self.d
            x0, x1 = a * left + self.e, a * right + self.e
            y0, y1 = d * bottom + self.f, d * top + self.f
            return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)
        x0, y0 = self(left, bottom)
        x1, y1 = self(right, top)
        return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def _open(data: bytes, path: str) -> pdfium.PdfDocument:
    if not data.rstrip().endswith(b"%%EOF") and b"%%EOF" not in data[-1024:]:
        # pdfium would rebuild a cut file's xref and silently show only the first pages
        raise ReportError(path, "truncated", "no %%EOF marker at the end: the PDF is cut short")
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        code = getattr(e, "err_code", None)
        if code == pdfium_c.FPDF_ERR_PASSWORD:
            raise ReportError(path, "encrypted", "the PDF needs a password to open") from e
        if code == pdfium_c.FPDF_ERR_SECURITY:
            raise ReportError(path, "encrypted", "unsupported PDF security handler") from e
        raise ReportError(path, "corrupt", f"pdfium cannot open it ({e})") from e


def _page_chars(textpage: pdfium.PdfTextPage, to_page: _ToPage, seen: set[int] | None = None) -> list[_Char]:
    """The page's characters; ``seen`` collects the handles of the text objects they come from."""
    raw_tp = textpage.raw
    n = pdfium_c.FPDFText_CountChars(raw_tp)
    if seen is not None:
        seen.update(map(_char_obj, repeat(raw_tp, n), range(n)))
    rect = pdfium_c.FS_RECTF()
    codes = _page_codes(raw_tp, n)
    is_generated = pdfium_c.FPDFText_IsGenerated
    loose_box = pdfium_c.FPDFText_GetLooseCharBox
    ref = ctypes.byref(rect)
    get_box = pdfium_c.FPDFText_GetCharBox
    l, r, b, t = (ctypes.c_double() for _ in range(4))
    chars: list[_Char] = []
    space = False
    upright = to_page.b == 0.0 and to_page.c == 0.0
    ta, td, te, tf = to_page.a, to_page.d, to_page.e, to_page.f
    for i, code in enumerate(codes):
        # pdfium only ever generates spaces and line breaks, so only those need the (costly)
        # is-generated call (checked on every synthetic, real and fixture PDF: 0 other codes)
        if code <= 32 or code in _BLANK_CODES:
            if code in (32, 0xA0, 0x3000) and not is_generated(raw_tp, i):
                space = True
            continue
        if not loose_box(raw_tp, i, ref):
            continue
        if upright:                                  # to_page.box, inlined: the hot path
            x0, x1 = ta * rect.left + te, ta * rect.right + te
            top, bottom = td * rect.top + tf, td * rect.bottom + tf
            if x0 > x1:
                x0, x1 = x1, x0
            if top > bottom:
                top, bottom = bottom, top
        else:
            x0, top, x1, bottom = to_page.box(rect.left, rect.bottom, rect.right, rect.top)
        if x1 - x0 > 40 or bottom - top > 40:
            # pdfium's font box is sometimes absurd (≈200 pt for the one-char-per-line vertical
            # label 三、本年度办理结果 in WPS output): fall back to the glyph's own box
            get_box(raw_tp, i, ctypes.byref(l), ctypes.byref(r), ctypes.byref(b), ctypes.byref(t))
            gw, gh = r.value - l.value, t.value - b.value
            size = max(gw, gh, 1.0)
            if max(x1 - x0, bottom - top) > 3 * size + 6:
                cx, cy = to_page((l.value + r.value) / 2, (t.value + b.value) / 2)
                x0, x1, top, bottom = cx - size / 2, cx + size / 2, cy - size / 2, cy + size / 2
        if bottom - top <= 0:
            continue
        chars.append(_Char(chr(code), x0, top, x1, bottom, space))
        space = False
    return chars


def _page_codes(raw_tp, n: int) -> list[int]:
    """The unicode of each of the page's n characters, with one call for the whole page (one
    FPDFText_GetUnicode call per character costs more than the rest of the character loop).
    A character beyond the BMP comes back as a surrogate pair and shifts the indices: then ask
    per character."""
    buf = (ctypes.c_ushort * (n + 1))()
    got = pdfium_c.FPDFText_GetText(raw_tp, 0, n, buf)
    codes = list(buf[:n])
    if got != n + 1 or any(0xD800 <= c <= 0xDFFF for c in codes):
        return [pdfium_c.FPDFText_GetUnicode(raw_tp, i) for i in range(n)]
    return codes


def _pdfminer_chars(data: bytes, page_index: int, cache: dict) -> list[_Char]:
    """The page's characters as pdfminer (via pdfplumber) decodes them.

    Used only for pages where pdfium drops whole text objects: reportlab (and iText) write a
    one-character string in a non-embedded CID font (STSong-Light, UniGB-UCS2-H), and pdfium
    skips it when no installed font lets it measure the glyph — a table of single-digit cells
    then reads as empty.  Measured on 149 synthetic PDFs: with no CJK font 240 pages fall back
    (synthetic PDF ≈68 ms CPU), with fonts-wqy-microhei none (≈15 ms); with fonts-droid-fallback
    about as many as with none (245).  pdfminer reads them either way, so it is the exception, not the path."""
    if "pdf" not in cache:                          # parsed once per document, closed by read_pdf
        import logging

        import pdfplumber

        # pdfminer logs a warning per damaged operator; the reader reports what matters itself
        logging.getLogger("pdfminer").setLevel(logging.ERROR)

        cache["pdf"] = pdfplumber.open(io.BytesIO(data))
    page = cache["pdf"].pages[page_index]
    chars: list[_Char] = []
    space = False
    for c in page.chars:
        if not c["text"].strip():
            space = True
            continue
        chars.append(_Char(c["text"], c["x0"], c["top"], c["x1"], c["bottom"], space))
        space = False
    page.close()
    return chars


def _color_is_white(getter, obj) -> bool:
    r, g, b, a = (ctypes.c_uint() for _ in range(4))
    if not getter(obj, ctypes.byref(r), ctypes.byref(g), ctypes.byref(b), ctypes.byref(a)):
        return False
    return a.value == 0 or min(r.value, g.value, b.value) >= 245


def _page_objects(page: pdfium.PdfPage) -> tuple[list, set[int], int]:
    """(path objects, text object handles, image count) of a page, with one cheap loop.

    Form XObjects are opened through pypdfium2 (rare in these reports; their paths then come
    with the form's own coordinates, as pdfium reports them)."""
    raw_page = page.raw
    paths: list = []
    texts: set[int] = set()
    images = 0
    for i in range(pdfium_c.FPDFPage_CountObjects(raw_page)):
        kind = _obj_type(_obj_at(raw_page, i))
        if kind == pdfium_c.FPDF_PAGEOBJ_TEXT:
            texts.add(_obj_at(raw_page, i))
        elif kind == pdfium_c.FPDF_PAGEOBJ_PATH:
            paths.append(pdfium_c.FPDFPage_GetObject(raw_page, i))
        elif kind == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            images += 1
        elif kind == pdfium_c.FPDF_PAGEOBJ_FORM:
            form = pdfium_c.FPDFPage_GetObject(raw_page, i)
            for j in range(pdfium_c.FPDFFormObj_CountObjects(form)):
                sub = pdfium_c.FPDFFormObj_GetObject(form, j)
                sub_kind = pdfium_c.FPDFPageObj_GetType(sub)
                if sub_kind == pdfium_c.FPDF_PAGEOBJ_PATH:
                    paths.append(sub)
                elif sub_kind == pdfium_c.FPDF_PAGEOBJ_IMAGE:
                    images += 1
    return paths, texts, images


def _subpaths(raw_obj, to_page: _ToPage) -> list[tuple[list[tuple[float, float]], bool]]:
    """The path's subpaths as (points in top-down page coordinates, closed?); curves are
    reduced to their end points (a table rule is never a curve)."""
    matrix = pdfium_c.FS_MATRIX()
    pdfium_c.FPDFPageObj_GetMatrix(raw_obj, ctypes.byref(matrix))
    m = matrix
    px, py = ctypes.c_float(), ctypes.c_float()
    out: list[tuple[list[tuple[float, float]], bool]] = []
    points: list[tuple[float, float]] = []
    for i in range(pdfium_c.FPDFPath_CountSegments(raw_obj)):
        seg = pdfium_c.FPDFPath_GetPathSegment(raw_obj, i)
        pdfium_c.FPDFPathSegment_GetPoint(seg, ctypes.byref(px), ctypes.byref(py))
        point = to_page(m.a * px.value + m.c * py.value + m.e, m.b * px.value + m.d * py.value + m.f)
        if pdfium_c.FPDFPathSegment_GetType(seg) == pdfium_c.FPDF_SEGMENT_MOVETO and points:
            out.append((points, False))
            points = []
        points.append(point)
        if pdfium_c.FPDFPathSegment_GetClose(seg):
            out.append((points, True))
            points = []
    if points:
        out.append((points, False))
    return out


def _page_segments(paths: list, to_page: _ToPage) -> tuple[list[Seg], list[Seg]]:
    """Horizontal and vertical ruling lines from a page's path objects, in top-down coordinates.

    Stroked paths give their straight segments; filled paths give the sub-rectangles thin enough
    to be a rule (Word's PDF export draws every border as a thin filled rectangle, sometimes many
    in one path).  White strokes and fills are invisible and ignored."""
    hsegs: list[Seg] = []
    vsegs: list[Seg] = []
    fill_mode, stroke = ctypes.c_int(), ctypes.c_int()
    l, b, r, t = (ctypes.c_float() for _ in range(4))
    for raw_obj in paths:
        pdfium_c.FPDFPath_GetDrawMode(raw_obj, ctypes.byref(fill_mode), ctypes.byref(stroke))
        if stroke.value and not _color_is_white(pdfium_c.FPDFPageObj_GetStrokeColor, raw_obj):
            for points, closed in _subpaths(raw_obj, to_page):
                if closed:
                    points = points + [points[0]]
                for p, q in zip(points, points[1:]):
                    _add_line(p, q, hsegs, vsegs)
            continue
        if not fill_mode.value or _color_is_white(pdfium_c.FPDFPageObj_GetFillColor, raw_obj):
            continue
        pdfium_c.FPDFPageObj_GetBounds(raw_obj, ctypes.byref(l), ctypes.byref(b), ctypes.byref(r), ctypes.byref(t))
        w, h = r.value - l.value, t.value - b.value
        if min(w, h) <= THIN:
            boxes = [to_page.box(l.value, b.value, r.value, t.value)]
        else:                                   # a shading, or many thin rectangles in one path
            boxes = []
            for points, _closed in _subpaths(raw_obj, to_page):
                xs, ys = [p[0] for p in points], [p[1] for p in points]
                boxes.append((min(xs), min(ys), max(xs), max(ys)))
        for x0, top, x1, bottom in boxes:
            bw, bh = x1 - x0, bottom - top
            if min(bw, bh) > THIN or max(bw, bh) <= THIN:
                continue
            if bw >= bh:
                hsegs.append(Seg((top + bottom) / 2, x0, x1))
            else:
                vsegs.append(Seg((x0 + x1) / 2, top, bottom))
    return hsegs, vsegs


def _add_line(p: tuple[float, float], q: tuple[float, float], hsegs: list[Seg], vsegs: list[Seg]) -> None:
    (x0, y0), (x1, y1) = p, q
    if abs(y1 - y0) <= 0.5 and abs(x1 - x0) > THIN:
        hsegs.append(Seg((y0 + y1) / 2, min(x0, x1), max(x0, x1)))
    elif abs(x1 - x0) <= 0.5 and abs(y1 - y0) > THIN:
        vsegs.append(Seg((x0 + x1) / 2, min(y0, y1), max(y0, y1)))


# ------------------------------------------------------------------------------ text layer


def _lines_of(chars: list[_Char]) -> list[list[_Char]]:
    """Group characters into visual lines (by vertical centre), each sorted left to right."""
    if not chars:
        return []
    heights = sorted(c.bottom - c.top for c in chars)
    tol = heights[len(heights) // 2] * 0.5
    lines: list[list[_Char]] = []
    centre = 0.0                     # the first character of the line being filled
    for ch in sorted(chars, key=lambda c: c.cy):
        if lines and abs(ch.cy - centre) <= tol:
            lines[-1].append(ch)
        else:
            lines.append([ch])
            centre = ch.cy
    for line in lines:
        line.sort(key=lambda c: c.x0)
    return lines


def _line_text(line: list[_Char]) -> str:
    """The characters of one line.  Between Latin letters/digits: the printed spaces, and a space
    where two runs are visibly apart.  In any script: a space wherever a gap is as wide as a
    column gap (a label and its numbers) — justified Chinese prose spreads its characters far
    less than that.  Spaces printed between Chinese characters are dropped (2023 年 → 2023年)."""
    out: list[str] = []
    prev = None
    for ch in line:
        if prev is not None:
            gap = ch.x0 - prev.x1
            size = ch.bottom - ch.top
            latin = not (_CJK.match(ch.text) or _CJK.match(prev.text))
            if gap > size * _FIELD_GAP or latin and (gap > size * 0.6 or ch.space and gap > 0):
                out.append(" ")
        out.append(ch.text)
        prev = ch
    return "".join(out)


def _outside(chars: list[_Char], parts: list[TablePart]) -> list[_Char]:
    """The characters in no table's box."""
    boxes = [(pt.x0 - TOL, pt.x1 + TOL, pt.top - TOL, pt.bottom + TOL) for pt in parts]
    if not boxes:
        return chars
    return [c for c in chars if not any(x0 <= c.cx <= x1 and t <= c.cy <= b for x0, x1, t, b in boxes)]


def _place_chars(layout: CellLayout, chars: list[_Char]) -> tuple[list[str], None]:
    """Each cell's text from the characters whose centre is in it."""
    xs, ys, cell_of = layout.xs, layout.ys, layout.cell_of
    x0, x1, top, bottom = layout.x0, layout.x1, layout.top, layout.bottom
    n_rows, n_cols = len(ys) - 1, len(xs) - 1
    in_cell: list[list[_Char]] = [[] for _ in range(layout.n_cells)]
    for ch in chars:
        cx, cy = ch.cx, ch.cy
        if not (x0 <= cx <= x1 and top <= cy <= bottom):
            continue                                       # the same as bisect's out-of-range
        i = bisect_right(ys, cy) - 1
        j = bisect_right(xs, cx) - 1
        if 0 <= i < n_rows and 0 <= j < n_cols:
            in_cell[cell_of[i][j]].append(ch)
    return [clean_cell(join_lines([_line_text(line) for line in _lines_of(cs)])) for cs in in_cell], None


# -------------------------------------------------------------------------- borderless


_FIELD_GAP = 1.8           # × character height: a gap this wide separates two columns


def _fields(line: list[_Char]) -> list[list[_Char]]:
    fields: list[list[_Char]] = [[line[0]]]
    for prev, ch in zip(line, line[1:]):
        if ch.x0 - prev.x1 > (ch.bottom - ch.top) * _FIELD_GAP:
            fields.append([ch])
        else:
            fields[-1].append(ch)
    return fields


def _borderless_tables(page_no: int, lines: list[list[_Char]]) -> list[tuple[int, int, TablePart]]:
    """Runs of ≥ 3 lines with ≥ 3 aligned fields → (first line, end line, part)."""
    out: list[tuple[int, int, TablePart]] = []
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and len(_fields(lines[j])) >= 3:
            j += 1
        if j - i >= 3:
            run = lines[i:j]
            starts = cluster([f[0].x0 for line in run for f in _fields(line)], tol=6.0)
            x0 = min(c.x0 for line in run for c in line) - 1
            x1 = max(c.x1 for line in run for c in line) + 1
            xs = [x0] + [s - 1 for s in starts[1:]] + [x1]
            rows: list[list[str]] = []
            for line in run:
                row = [""] * (len(xs) - 1)
                for f in _fields(line):
                    col = max(0, bisect_right(xs, f[0].x0 + 1) - 1)
                    col = min(col, len(row) - 1)
                    row[col] = clean_cell(join_lines([row[col], _line_text(f)]))
                rows.append(row)
            n_cols = len(xs) - 1
            # A header wrapped over several lines (结果/维持) is one header row: without rules
            # nothing else says which lines belong together, and the leading lines without a
            # number are the only ones that surely do.
            n_head = 0
            while n_head < len(rows) - 1 and not any(NUMERIC.fullmatch(t) and t for t in rows[n_head]):
                n_head += 1
            if n_head > 1:
                header = [clean_cell(join_lines([r[c] for r in rows[:n_head]])) for c in range(n_cols)]
                rows = [header] + rows[n_head:]
                run = [run[0]] + run[n_head:]
            cell_of = [[r * n_cols + c for c in range(n_cols)] for r in range(len(rows))]
            ys = [run[0][0].top] + [line[0].bottom for line in run]
            texts = [t for row in rows for t in row]
            part = TablePart(x0, ys[0], x1, ys[-1], xs, ys, cell_of, len(texts), [False] * n_cols,
                         [False] * n_cols, page=page_no, texts=texts)
            out.append((i, j, part))
            i = j
        else:
            i = j + 1 if j == i else j
    return out


# ------------------------------------------------------------------------------- reader


#: pdfium is not thread-safe (150 PDFs parsed from 8 threads aborted with heap corruption 3 runs
#: of 3): every use of it in this process — reading, and rendering scanned pages for OCR — holds
#: this lock.  Parallelism comes from processes, which each have their own pdfium.
PDFIUM_LOCK = threading.RLock()


def read_pdf(data: bytes, path: str) -> Document:
    """Read a PDF: its text layer, and its scanned pages by OCR; raise ReportError for
    encrypted, corrupt, truncated files (and scans when OCR is not available)."""
    with PDFIUM_LOCK:
        return _read_pdf(data, path)


def _read_pdf(data: bytes, path: str) -> Document:
    pdf = _open(data, path)
    pdfminer: dict = {}
    try:
        n_pages = len(pdf)
        if n_pages == 0:
            raise ReportError(path, "empty", "the PDF has no pages")
        acc = PageItems()
        n_chars = n_images = n_paths = 0
        scanned_pages: list[int] = []
        doc_warnings: list[str] = []
        for p in range(n_pages):
            try:
                page = pdf[p]
            except pdfium.PdfiumError as e:
                raise ReportError(path, "corrupt", f"page {p + 1} cannot be loaded ({e})") from e
            width, height = page.get_size()
            try:
                textpage = page.get_textpage()
            except pdfium.PdfiumError as e:
                raise ReportError(path, "corrupt", f"page {p + 1} cannot be read ({e})") from e
            paths, text_objects, images = _page_objects(page)
            seen: set[int] = set()
            to_page = _ToPage(page, width, height)
            chars = _page_chars(textpage, to_page, seen)
            lost = len(text_objects - seen)
            if lost:
                # pdfium's text page skips a text object whose box has no width: a one-glyph
                # string in a non-embedded CJK font it cannot measure.  Which glyphs that hits
                # depends on the fonts installed (none: fullwidth digits; a CJK font: some
                # halfwidth digits), so any skipped object sends the page to pdfminer.
                try:
                    chars = _pdfminer_chars(data, p, pdfminer)
                    doc_warnings.append(f"page {p + 1}: pdfium lost {lost} text "
                                        "object(s); characters read with pdfminer")
                except Exception as e:   # noqa: BLE001  (pdfminer on a damaged file: keep pdfium's)
                    doc_warnings.append(f"page {p + 1}: pdfium lost {lost} text "
                                        f"object(s) and pdfminer failed too ({type(e).__name__})")
            n_chars += len(chars)
            if not chars:
                n_images += images
                n_paths += len(paths)
                if images:
                    scanned_pages.append(p)
                continue
            hsegs, vsegs = _page_segments(paths, to_page)
            parts = table_parts(p + 1, hsegs, vsegs, lambda layout: _place_chars(layout, chars))
            rest = _outside(chars, parts)
            lines = _lines_of(rest)
            used: set[int] = set()
            for a, b, part in _borderless_tables(p + 1, lines):
                parts.append(part)
                used.update(range(a, b))
            for pt in parts:
                acc.add_part(pt)
            for k, line in enumerate(lines):
                if k not in used:
                    acc.add_line(p + 1, min(c.top for c in line), max(c.bottom for c in line),
                                 max(c.bottom - c.top for c in line), _line_text(line), height)
        form = "pdf"
        if scanned_pages:
            from etl.readers.scan import ocr_pdf_pages

            # the scanned pages (a whole scan, or the table pages of a text PDF) are OCR'd into
            # the same page items; a missing OCR engine is a quarantine reason naming it
            doc_warnings += ocr_pdf_pages(pdf, scanned_pages, acc, path)
            form = "scan" if n_chars == 0 else "pdf"
        elif n_chars == 0:
            if n_paths > 50 * n_pages:
                raise ReportError(path, "no_text_layer",
                                  f"{n_paths} drawn shapes and no text: glyphs converted to outlines (needs OCR)")
            raise ReportError(path, "empty", "the PDF has neither text nor images")
        doc = Document(path=path, form=form, blocks=assemble(acc, n_pages), warnings=doc_warnings)
        doc.title = title_from_headings(acc.heading_lines) or _meta_title(pdf)
        doc.meta["pages"] = str(n_pages)
        if scanned_pages:
            doc.meta["ocr_pages"] = ",".join(str(p + 1) for p in scanned_pages)
        return doc
    finally:
        pdf.close()
        if "pdf" in pdfminer:
            pdfminer["pdf"].close()


def _meta_title(pdf: pdfium.PdfDocument) -> str | None:
    try:
        title = (pdf.get_metadata_dict() or {}).get("Title") or ""
    except Exception:        # noqa: BLE001  (metadata is a nicety; a broken Info dict is fine)
        return None
    return title.strip() if "报告" in title else None
