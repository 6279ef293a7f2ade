"""PDF: the page content written directly, laid out as reportlab's platypus lays out the same
story (A4, 1-inch margins, CJK-wrapped paragraphs, ruled tables with merged header and label
cells, table 三 split across a page break), in the non-embedded STSong-Light CID font
(UniGB-UCS2-H) whose text layer extracts without font files.

Why not platypus itself: it cost ≈ 15 ms CPU per report (paragraph wrapping and table sizing
in pure Python, redone for every cell), this ≈ 1.5 ms.  The geometry follows platypus's rules
(frame padding 6, cell padding 6/3, a plain-string cell's leading 12, a wrapped cell's 10,
``VALIGN MIDDLE``, numbers centred, a table split only between rows and never inside a row
span, a paragraph split between lines but never leaving one orphan line), so the readers see
the pages they saw before.  The same report gives the same bytes (no dates; the document id
is a digest of the content).
"""

from __future__ import annotations

import hashlib
import random
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from etl.synth.render_office import section2_grids, section4_grid, table3_grid
from etl.synth.render_text import _section_order
from etl.synth.report import SynthReport

FONT = "STSong-Light"
ENCODING = "UniGB-UCS2-H"
PAGE_WIDTH, PAGE_HEIGHT = 595.2756, 841.8898          # A4
_MARGIN, _FRAME_PAD = 72.0, 6.0
LEFT = _MARGIN + _FRAME_PAD
TOP = PAGE_HEIGHT - _MARGIN - _FRAME_PAD
BOTTOM = _MARGIN + _FRAME_PAD
WIDTH = PAGE_WIDTH - 2 * (_MARGIN + _FRAME_PAD)
_FUZZ = 1e-6
_CELL_PAD_X, _CELL_PAD_Y = 6.0, 3.0
_STRING_LEADING = 12.0          # a plain-string cell (platypus: the cell style's default leading)
_RULE_WIDTH = 0.5
_WHITESPACE = re.compile(r"[ \t\r\n]+")


@dataclass(frozen=True)
class TextStyle:
    size: float
    leading: float
    first_indent: float = 0.0
    centred: bool = False


TITLE = TextStyle(16, 24, centred=True)
BODY = TextStyle(11, 17, first_indent=22)
CELL = TextStyle(8, 10)


# ------------------------------------------------------------------------------------------------
# text measure and line breaking
# ------------------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _widths() -> dict[str, int]:
    """Advance widths (1/1000 em) the font declares; CJK characters are 1000."""
    from reportlab.pdfbase._cidfontdata import widthsByUnichar

    return dict(widthsByUnichar[FONT])


def text_width(text: str, size: float) -> float:
    get = _widths().get
    return 0.001 * size * sum([get(ch, 1000) for ch in text])


_CANNOT_START = frozenset("!',.:;?!\")]\u3001\u3002\u300d\u300f\u3011\u3015\uff3d\uff09"
                          "\u3005\u2015\uff05\u2030\xb0\u2032\u2033\u2103\uffe0")


def wrap(text: str, widths: tuple[float, float], size: float) -> list[str]:
    """Lines of ``text`` in the given widths (first line, the rest), cut between characters as
    platypus cuts CJK text: a run of Latin letters or digits goes down whole (a number is never
    split), and a character that cannot start a line (，。）…) hangs at the end of the line."""
    get = _widths().get
    scale = 0.001 * size
    if scale * sum([get(ch, 1000) for ch in text]) <= widths[0] + _FUZZ:
        return [text]
    lines: list[str] = []
    start = i = 0
    used = 0.0
    limit = widths[0]
    n = len(text)
    while i < n:
        ch = text[i]
        used += get(ch, 1000) * scale
        i += 1
        if used > limit + _FUZZ:
            cut = i - 1                      # the character that overflowed goes to the next line
            if ord(ch) < 0x3000:             # inside a Latin run: take the whole run down
                j = cut - 1
                while j > start and ord(text[j]) < 0x3000 and not text[j].isspace():
                    j -= 1
                if j > start:
                    cut = j + 1
            if ch in _CANNOT_START and cut == i - 1:
                cut = i                      # hangs in the margin
            cut = max(cut, start + 1)
            lines.append(text[start:cut].strip())
            start = i = cut
            used = 0.0
            limit = widths[1]
    if start < n:
        lines.append(text[start:])
    return [line for line in lines if line]


# ------------------------------------------------------------------------------------------------
# pages
# ------------------------------------------------------------------------------------------------

_NUMBERS: dict[float, str] = {}        # coordinates repeat (columns, rows, sizes): format each once


def _num(v: float) -> str:
    out = _NUMBERS.get(v)
    if out is None:
        out = ("%.4f" % v).rstrip("0").rstrip(".") if v != int(v) else str(int(v))
        if len(_NUMBERS) < 100_000:
            _NUMBERS[v] = out
    return out


class _Pages:
    """Content streams, one per page, and the cursor of the frame being filled."""

    def __init__(self) -> None:
        self.pages: list[list[str]] = [[]]
        self.y = TOP

    @property
    def fresh(self) -> bool:
        return self.y == TOP

    def new_page(self) -> None:
        self.pages.append([])
        self.y = TOP

    def text(self, x: float, y: float, size: float, s: str) -> None:
        self.pages[-1].append(f"BT /F1 {_num(size)} Tf 1 0 0 1 {_num(x)} {_num(y)} Tm "
                              f"<{s.encode('utf-16-be').hex()}> Tj ET")

    def begin(self, x: float, y: float) -> None:
        """Draw what follows with its origin at (x, y)."""
        self.pages[-1].append(f"q 1 0 0 1 {_num(x)} {_num(y)} cm")

    def end(self) -> None:
        self.pages[-1].append("Q")

    def rules(self, segments: list[tuple[float, float, float, float]]) -> None:
        ops = [f"n {_num(a)} {_num(b)} m {_num(c)} {_num(d)} l S" for a, b, c, d in segments]
        self.pages[-1].append(f"q 1 J 1 j 0 0 0 RG {_num(_RULE_WIDTH)} w\n" + "\n".join(ops) + "\nQ")

    def space(self, h: float) -> None:
        if self.y - h >= BOTTOM - _FUZZ:
            self.y -= h

    def paragraph(self, text: str, style: TextStyle) -> None:
        text = _WHITESPACE.sub(" ", text).strip()
        lines = wrap(text, (WIDTH - style.first_indent, WIDTH), style.size)
        first = True
        while lines:
            fit = int((self.y - BOTTOM + _FUZZ) / style.leading)
            if fit < len(lines) and (fit == 0 or (fit == 1 and len(lines) > 1)) and not self.fresh:
                self.new_page()                 # no room, or only for one orphan line
                continue
            part, lines = lines[:max(fit, 1)], lines[max(fit, 1):]
            for k, line in enumerate(part):
                if style.centred:
                    x = LEFT + (WIDTH - text_width(line, style.size)) / 2
                else:
                    x = LEFT + (style.first_indent if first and k == 0 else 0.0)
                self.text(x, self.y - style.size - k * style.leading, style.size, line)
            self.y -= len(part) * style.leading
            first = False
            if lines:
                self.new_page()


# ------------------------------------------------------------------------------------------------
# tables
# ------------------------------------------------------------------------------------------------

@dataclass
class _Cell:
    row: int
    col: int
    last_row: int
    last_col: int
    lines: list[str]
    wrapped: bool                       # a paragraph (left, leading 10) or a plain string


class _Table:
    """A ruled table with merges (r0, c0, r1, c1); cells of more than three characters wrap in
    their column, the others are plain strings; from row 3 and column 3 on they are centred."""

    def __init__(self, grid: list[list[str]], merges: list[tuple[int, int, int, int]],
                 widths: Sequence[float]) -> None:
        self.widths = widths
        self.x = [0.0]
        for w in widths:
            self.x.append(self.x[-1] + w)
        self.n_rows = len(grid)
        origin = {(r0, c0): (r1, c1) for r0, c0, r1, c1 in merges}
        covered = {(i, j) for r0, c0, r1, c1 in merges for i in range(r0, r1 + 1)
                   for j in range(c0, c1 + 1) if (i, j) != (r0, c0)}
        self.cells: list[_Cell] = []
        heights = [0.0] * self.n_rows
        row_spans: dict[tuple[int, int], float] = {}
        in_row_span = {(i, j) for r0, c0, r1, c1 in merges if r1 > r0 for i in range(r0, r1 + 1)
                       for j in range(c0, c1 + 1)}
        for i, row in enumerate(grid):
            for j, text in enumerate(row):
                if (i, j) in covered:
                    # platypus still sizes a row by the plain strings hidden under a merged cell
                    # of that row alone
                    if (i, j) not in in_row_span and len(text) <= 3:
                        need = len(text.split("\n")) * _STRING_LEADING + 2 * _CELL_PAD_Y
                        heights[i] = max(heights[i], need)
                    continue
                r1, c1 = origin.get((i, j), (i, j))
                if len(text) > 3:
                    width = self.x[c1 + 1] - self.x[j] - 2 * _CELL_PAD_X
                    lines = wrap(_WHITESPACE.sub(" ", text).strip(), (width, width), CELL.size)
                    cell = _Cell(i, j, r1, c1, lines, True)
                    need = len(lines) * CELL.leading
                else:
                    cell = _Cell(i, j, r1, c1, text.split("\n"), False)
                    need = len(cell.lines) * _STRING_LEADING
                need += 2 * _CELL_PAD_Y
                self.cells.append(cell)
                if r1 != i:
                    row_spans[(i, r1)] = max(row_spans.get((i, r1), 0.0), need)
                elif need > heights[i]:
                    heights[i] = need
        for (r0, r1), need in row_spans.items():     # a tall merged cell grows its rows evenly
            have = sum(heights[r0:r1 + 1])
            if have < need - _FUZZ:
                extra = (need - have) / (r1 - r0 + 1)
                for k in range(r0, r1 + 1):
                    heights[k] += extra
        self.heights = heights
        # a table is split only between rows that no merged cell joins
        self.joined = {k for r0, c0, r1, c1 in merges for k in range(r0 + 1, r1 + 1)}
        self.merges = merges

    def place(self, pages: _Pages) -> None:
        left = LEFT + (WIDTH - self.x[-1]) / 2
        start = 0
        while start < self.n_rows:
            avail = pages.y - BOTTOM + _FUZZ
            end, used = start, 0.0
            while end < self.n_rows and used + self.heights[end] <= avail:
                used += self.heights[end]
                end += 1
            while start < end < self.n_rows and end in self.joined:
                end -= 1
            if end == start:
                if not pages.fresh:
                    pages.new_page()
                    continue
                end = start + 1                 # taller than a page: overflow rather than loop
                while end < self.n_rows and end in self.joined:
                    end += 1
            self._draw(pages, left, start, end)
            start = end
            if start < self.n_rows:
                pages.new_page()

    def _draw(self, pages: _Pages, left: float, a: int, b: int) -> None:
        """Rows a..b at the cursor, in the table's own coordinates (origin at its bottom left,
        as platypus draws a table: the same float arithmetic puts the rules where it put them)."""
        height = sum(self.heights[a:b])
        ys = [height]
        for i in range(a, b):
            ys.append(ys[-1] - self.heights[i])
        ys[-1] = 0.0
        xs = self.x
        bottom = pages.y - height
        pages.begin(left, bottom)
        for cell in self.cells:
            if not a <= cell.row < b:
                continue
            r1 = min(cell.last_row, b - 1)
            y_top, y_bottom = ys[cell.row - a], ys[r1 + 1 - a]
            x0, x1 = xs[cell.col], xs[cell.last_col + 1]
            cell_height = y_top - y_bottom
            if cell.wrapped:
                block = len(cell.lines) * CELL.leading
                base = y_bottom + (cell_height - block) / 2 + block - CELL.size
                for k, line in enumerate(cell.lines):
                    pages.text(x0 + _CELL_PAD_X, base - k * CELL.leading, CELL.size, line)
                continue
            base = y_bottom + (cell_height + len(cell.lines) * _STRING_LEADING) / 2 - CELL.size
            centred = cell.row >= 3 and cell.col >= 3
            for k, line in enumerate(cell.lines):
                if not line:
                    continue
                x = (x0 + x1) / 2 - text_width(line, CELL.size) / 2 if centred else x0 + _CELL_PAD_X
                pages.text(x, base - k * _STRING_LEADING, CELL.size, line)
        pages.rules(self._rules(a, b, xs, ys))
        pages.end()
        pages.y = bottom

    def _rules(self, a: int, b: int, xs: list[float], ys: list[float]):
        """The box and the inner lines of rows a..b, without the inner lines of merged cells."""
        n_cols = len(self.widths)
        inside_h: set[tuple[int, int]] = set()       # (row boundary, column) inside a merged cell
        inside_v: set[tuple[int, int]] = set()       # (column boundary, row) inside a merged cell
        for r0, c0, r1, c1 in self.merges:
            for i in range(max(r0 + 1, a + 1), min(r1, b - 1) + 1):
                inside_h.update((i, j) for j in range(c0, c1 + 1))
            for j in range(c0 + 1, c1 + 1):
                inside_v.update((j, i) for i in range(max(r0, a), min(r1, b - 1) + 1))
        segs = [(xs[0], ys[0], xs[-1], ys[0]), (xs[0], ys[-1], xs[-1], ys[-1]),
                (xs[0], ys[-1], xs[0], ys[0]), (xs[-1], ys[-1], xs[-1], ys[0])]
        for i in range(a + 1, b):
            segs += _runs([(i, j) not in inside_h for j in range(n_cols)],
                          lambda s, e, y=ys[i - a]: (xs[s], y, xs[e], y))
        for j in range(1, n_cols):
            segs += _runs([(j, i) not in inside_v for i in range(a, b)],
                          lambda s, e, x=xs[j]: (x, ys[e], x, ys[s]))
        return segs


def _runs(drawn: list[bool], segment) -> list[tuple[float, float, float, float]]:
    """One segment per run of consecutive drawn pieces (piece k spans boundaries k..k+1)."""
    out, start = [], None
    for k, on in enumerate(drawn + [False]):
        if on and start is None:
            start = k
        elif not on and start is not None:
            out.append(segment(start, k))
            start = None
    return out


# ------------------------------------------------------------------------------------------------
# the file
# ------------------------------------------------------------------------------------------------

def _pdf_value(v) -> str:
    if isinstance(v, dict):
        return "<< " + " ".join(f"/{k} {_pdf_value(x)}" for k, x in v.items()) + " >>"
    if isinstance(v, list):
        return "[ " + " ".join(_pdf_value(x) for x in v) + " ]"
    return str(v)


@lru_cache(maxsize=1)
def _font_object() -> bytes:
    """The Type0 font dictionary reportlab writes for STSong-Light (metrics, /W widths)."""
    from reportlab.pdfbase._cidfontdata import CIDFontInfo

    font = dict(CIDFontInfo[FONT])
    font.pop("Name", None)
    font["Encoding"] = "/" + ENCODING
    return _pdf_value(font).encode("ascii")


def _info_string(text: str) -> str:
    return "<feff" + text.encode("utf-16-be").hex() + ">"


def _file(pages: list[bytes], title: str) -> bytes:
    """Catalog, page tree, one font, the pages, the document info; xref and trailer."""
    n = len(pages)
    kids = " ".join(f"{4 + 2 * k} 0 R" for k in range(n))
    objects = [b"<< /Type /Catalog /Pages 2 0 R /PageMode /UseNone >>",
               f"<< /Type /Pages /Count {n} /Kids [ {kids} ] >>".encode("ascii"),
               _font_object()]
    for k, content in enumerate(pages):
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [ 0 0 {PAGE_WIDTH} {PAGE_HEIGHT} ] "
                       f"/Resources << /Font << /F1 3 0 R >> /ProcSet [ /PDF /Text ] >> "
                       f"/Contents {5 + 2 * k} 0 R >>".encode("ascii"))
        packed = zlib.compress(content)
        objects.append(f"<< /Filter /FlateDecode /Length {len(packed)} >>\nstream\n".encode("ascii")
                       + packed + b"\nendstream")
    objects.append(f"<< /Title {_info_string(title)} /Author () /Creator (synth) /Producer (synth) >>"
                   .encode("ascii"))
    out = [b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"]
    offsets, pos = [], len(out[0])
    for k, body in enumerate(objects, 1):
        chunk = b"%d 0 obj\n" % k + body + b"\nendobj\n"
        offsets.append(pos)
        out.append(chunk)
        pos += len(chunk)
    doc_id = hashlib.md5(b"".join(out)).hexdigest()
    xref = [b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)]
    xref += [b"%010d 00000 n \n" % off for off in offsets]
    trailer = (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info {len(objects)} 0 R "
               f"/ID [ <{doc_id}> <{doc_id}> ] >>\nstartxref\n{pos}\n%%EOF\n").encode("ascii")
    return b"".join(out + xref) + trailer


def render_pdf(r: SynthReport, rng: random.Random) -> bytes:
    """The report as a PDF with a text layer: the title, prose, section 二's tables, table 三
    starting mid-page after a page break before section 二 (so that it runs over a page break),
    table 四 — laid out as platypus lays out the same story."""
    pages = _Pages()
    titles = ([r.agency.name, f"{r.year}年政府信息公开工作年度报告"] if r.title_override is None
              else r.title_override)
    for line in titles:
        pages.paragraph(line, TITLE)
    pages.space(8)
    pages.paragraph(r.prose.intro, BODY)
    for key in _section_order(r):
        if key == "active_disclosure" and not pages.fresh:
            pages.new_page()
        heading = r.heading(key)
        if heading is not None:
            pages.paragraph(heading, BODY)
        for p in r.paragraphs(key):
            pages.paragraph(p, BODY)
        if key == "active_disclosure":
            for grid, merges in section2_grids(r):
                n = len(grid[0])
                _Table(grid, merges, [130] + [300 / (n - 1)] * (n - 1)).place(pages)
                pages.space(6)
        elif key == "applications":
            grid, merges = table3_grid(r)
            # real PDFs repeat nothing over a page break, and a merged cell crossing the break
            # confuses extraction: keep the header's merges and those within one row
            merges = [m for m in merges if m[0] == m[2] or m[0] < 3]
            _Table(grid, merges, [22, 60, 150] + [38] * 7).place(pages)
        elif key == "review_litigation":
            grid, merges = section4_grid(r)
            _Table(grid, merges, [30] * 15).place(pages)
    for line in r.signature:
        pages.paragraph(line, BODY)
    streams = [("\n".join(p) + "\n").encode("ascii") for p in pages.pages if p]
    return _file(streams, r.title())
