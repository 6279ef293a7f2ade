"""Scanned pages → the same page items as a text-layer PDF: OCR with the table's ruling lines.

A page without a text layer (a whole scanned PDF, a scanned page inside a text PDF, or an image
file: .jpg, .png, .tif with one page per frame) is read in three steps:

1. :mod:`.layout` finds the ink, the skew, and the ruling lines of the page image;
2. the table geometry the PDF text layer uses (:func:`etl.readers.pages.table_parts`) turns the
   lines into cells, merged cells and tables continued over pages, exactly as for a text layer;
3. :mod:`.engine` reads every cell's lines and every text line outside the tables.

What reaches the parser: a cell that holds ink but no confident number where a value stands
(no Chinese in it) is printed as ``-`` with OCR confidence 0, so the parser keeps the row's
columns in place; ``TableGrid.ocr`` carries each cell's confidence, and :mod:`.accept` decides
after parsing which values stand (state ``ocr``) and which are ``unknown``, with the reason.
A cell without ink is blank.  Never a guess: a value the engine did not read with confidence
is not a number in the output.
"""

from __future__ import annotations

import io
import re
import unicodedata

import numpy as np

from etl.document import Document
from etl.errors import ReportError
from etl.readers.pages import CellLayout, PageItems, Seg, assemble, table_parts, title_from_headings

#: a table value read below this confidence is tentative: it stands only where the identities of
#: its row and of its column both confirm it (accept.py); the bar alone decides nothing
MIN_VALUE_CONFIDENCE = 0.90
TENTATIVE = 0.5                  # confidence given to a reading with a look-alike mapped to a digit
_LOOKALIKE = str.maketrans({"。": "0", "O": "0", "o": "0", "〇": "0", "l": "1", "I": "1", "|": "1"})
IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp"}
MAX_DPI = 300.0                  # pages are OCR'd at no more than this (and no less than 150)
#: a page rendered for OCR has at most this many pixels (two A4 pages at 300 dpi): the working
#: copies of one page then stay near 500 MB, inside a parse worker's memory limit
MAX_WORK_PIXELS = 18_000_000
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_UNIT = re.compile(r"(万元|元|件|条|个|项|次)$")
_VALUE = re.compile(r"^([+-]?\d{1,3}(,\d{3})+|[+-]?\d+)(\.\d+)?(万元|元|件|条|个|项|次)?$|^[/／—–\-－无]$")


def _is_value_like(text: str) -> bool:
    """A cell whose reading has no Chinese (units aside): where a number or a dash stands."""
    return not _CJK.search(_UNIT.sub("", text))


def _cell_reading(text: str, conf: float, marks: int = 1) -> tuple[str, float]:
    """What a cell read by OCR shows the parser, and its confidence (0: not a value read).
    ``marks`` < 0: the cell's ink lies in two groups far apart on one line — two cells whose
    dividing rule was not found, never one number; more separate marks than characters read:
    the engine dropped one (a minus sign at 150 dpi), so the reading is not the cell."""
    text = unicodedata.normalize("NFKC", text).replace(" ", "")
    if not _is_value_like(text):
        return text, conf                              # a label: the parser anchors on it
    digits = text.translate(_LOOKALIKE)
    if digits != text:                                 # "。" for a small 0 at 150 dpi: only ever
        conf = min(conf, TENTATIVE)                    # taken where both identities confirm it
    unit = _UNIT.search(digits)
    if _VALUE.match(digits) and 0 <= marks <= len(digits) + (3 * len(unit.group()) if unit else 0):
        # below MIN_VALUE_CONFIDENCE the reading is tentative: accept.py takes it only where the
        # identities of its row and its column both hold with it
        return digits, max(conf, 0.01)
    return "-", 0.0                                    # held in place; accept.py makes it unknown


def cell_crops(page, cells) -> tuple[list[np.ndarray], list[int], list[bool], list[int]]:
    """The line crops of every cell (and the cell each belongs to), which cells hold ink, and
    per cell: -1 when it holds two groups of ink far apart on one line (a rule the scan lost
    between them), else how many separate marks its ink makes."""
    from etl.readers.scan import layout

    dpi = page.dpi
    # a tight margin: the recogniser is surer of a lone digit that fills its crop (clean zeros
    # of a 300 dpi scan: median confidence 0.94 with dpi/40 px of margin, 0.99 with dpi/100)
    pad = max(2, int(dpi / 100))
    inset = max(3, int(dpi / 60))
    min_band = max(3, int(dpi * 0.035))    # a digit is ≥ 0.06 in tall; rule residue and specks less
    crops: list[np.ndarray] = []
    owner: list[int] = []
    has_ink = [False] * cells.n_cells
    marks = [0] * cells.n_cells
    for cid, (x0, top, x1, bottom) in enumerate(cells.cell_boxes()):
        X0, Y0 = page.px(x0) + inset, page.px(top) + inset
        X1, Y1 = page.px(x1) - inset, page.px(bottom) - inset
        if X1 <= X0 or Y1 <= Y0:
            continue
        ink = page.ink[Y0:Y1, X0:X1]
        for a, b in layout.bands(ink, min_band):
            cols = layout.fields(ink[a:b], gap=2 * (b - a))
            if not cols:
                continue
            has_ink[cid] = True
            if len(cols) > 1 or marks[cid] < 0:
                marks[cid] = -1
            else:
                marks[cid] += layout.glyphs(ink[a:b])
            crops.append(layout.crop(page.grey, X0 + cols[0][0], Y0 + a, X0 + cols[-1][1], Y0 + b, pad))
            owner.append(cid)
    return crops, owner, has_ink, marks


def ocr_page(rgb: list[np.ndarray], dpi: float, page_no: int, acc: PageItems, path: str) -> list[str]:
    """OCR one page image into ``acc``; returns warnings.  ``rgb`` holds the
    image alone: it is taken out (and freed) once the page's grey and ink are made."""
    from etl.readers.scan import engine, layout

    page = layout.prepare(rgb.pop(), dpi)
    try:
        return _ocr_prepared(page, dpi, page_no, acc, path)
    finally:
        del page
        engine.release_memory()


def _ocr_prepared(page, dpi: float, page_no: int, acc: PageItems, path: str) -> list[str]:
    from etl.readers.grid import clean_cell, join_lines
    from etl.readers.scan import engine, layout

    h_px, w_px = page.ink.shape
    height_pt = h_px * layout.PT / dpi
    pad = max(4, int(dpi / 40))
    min_line = max(4, int(dpi * 0.04))

    def cell_texts(cells: CellLayout) -> tuple[list[str], list[float]]:
        crops, owner, has_ink, marks = cell_crops(page, cells)
        reads = engine.recognize(crops, path, values=True)
        lines: list[list[str]] = [[] for _ in range(cells.n_cells)]
        conf = [1.0] * cells.n_cells
        for cid, (text, c) in zip(owner, reads):
            lines[cid].append(text)
            conf[cid] = min(conf[cid], c)
        texts: list[str] = []
        for cid in range(cells.n_cells):
            if not has_ink[cid]:
                texts.append("")
                continue
            text, conf[cid] = _cell_reading(clean_cell(join_lines(lines[cid])),
                                            conf[cid] if lines[cid] else 0.0, marks[cid])
            texts.append(text)
        return texts, conf

    hsegs = [Seg(y, a, b) for y, a, b in page.hsegs]
    vsegs = [Seg(x, a, b) for x, a, b in page.vsegs]
    parts = table_parts(page_no, hsegs, vsegs, cell_texts)
    for part in parts:
        acc.add_part(part)
    # text outside the tables, line by line
    rest = page.ink.copy()
    for part in parts:
        rest[max(0, page.px(part.top) - 2):page.px(part.bottom) + 2,
             max(0, page.px(part.x0) - 2):page.px(part.x1) + 2] = 0
    line_boxes: list[tuple[int, int, list[tuple[int, int]]]] = []
    crops: list[np.ndarray] = []
    for a, b in layout.bands(rest, min_line):
        # a gap as wide as two line heights separates two fields (a label and its value)
        fields = layout.fields(rest[a:b], gap=2 * (b - a))
        line_boxes.append((a, b, fields))
        crops += [layout.crop(page.grey, x0, a, x1, b, pad) for x0, x1 in fields]
    reads = iter(engine.recognize(crops, path))
    low = 0
    f = layout.PT / dpi
    for a, b, fields in line_boxes:
        texts = []
        for _ in fields:
            text, c = next(reads)
            low += c < MIN_VALUE_CONFIDENCE
            if text.strip():
                texts.append(text.strip())
        if texts:
            acc.add_line(page_no, a * f, b * f, (b - a) * f, " ".join(texts), height_pt)
    warnings = [f"page {page_no}: read by OCR at {dpi:.0f} dpi"
                + (f", turned {page.angle:+.2f}°" if page.angle else "")
                + (f", {low} text line piece(s) read with low confidence" if low else "")]
    return warnings


def ocr_pdf_pages(pdf, pages: list[int], acc: PageItems, path: str) -> list[str]:
    """OCR the given (0-based) pages of an open pypdfium2 document into ``acc``.  The caller
    holds the pdfium lock."""
    warnings: list[str] = []
    for p in pages:
        page = pdf[p]
        dpi = _native_dpi(page)
        w_in, h_in = (v / 72.0 for v in page.get_size())
        if w_in * h_in * dpi * dpi > MAX_WORK_PIXELS:          # a poster-sized page
            dpi = (MAX_WORK_PIXELS / (w_in * h_in)) ** 0.5
            if dpi < 100:
                raise ReportError(path, "too_large", f"page {p + 1} is {w_in:.0f}×{h_in:.0f} in: "
                                                     "too large to OCR at 100 dpi")
        bitmap = page.render(scale=dpi / 72.0, grayscale=False)
        rgb = [np.ascontiguousarray(bitmap.to_numpy()[:, :, 2::-1])]   # BGRx -> RGB
        bitmap.close()
        warnings += ocr_page(rgb, dpi, p + 1, acc, path)
    return warnings


def _native_dpi(page) -> float:
    """The resolution of the page's largest image (a scan's own), between 150 and 300 dpi."""
    import pypdfium2.raw as pdfium_c

    best = 0.0
    width_pt = page.get_size()[0]
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=1):
        try:
            px_w, _ = obj.get_px_size()
            left, _, right, _ = obj.get_bounds()
        except Exception:       # noqa: BLE001  (an image pdfium cannot size: use the default)
            continue
        if right - left > width_pt * 0.3:
            best = max(best, px_w / ((right - left) / 72.0))
    return float(min(300.0, max(150.0, round(best) if best else 200.0)))


def read_image(data: bytes, path: str) -> Document:
    """An image file of report pages (.jpg, .png, one page per .tif frame) → Document by OCR.

    Frames are decoded one at a time, each checked first against what the run lets a file
    inflate to (ETL_MAX_INFLATED_BYTES: the header's size × 4 bytes a pixel), and brought to at
    most 300 dpi before OCR (the recogniser reads 48 px high lines: more only costs memory)."""
    from PIL import Image, ImageSequence, UnidentifiedImageError

    from etl.readers.limits import max_inflated

    limit = max_inflated()
    # Pillow's own bomb check (DecompressionBombError beyond twice this) as the backstop
    Image.MAX_IMAGE_PIXELS = limit // 4
    acc = PageItems()
    warnings: list[str] = []
    n = total = 0
    try:
        img = Image.open(io.BytesIO(data))
        for frame in ImageSequence.Iterator(img):
            n += 1
            pixels = frame.width * frame.height
            total += pixels * 4
            if pixels * 4 > limit or total > 8 * limit:
                raise ReportError(path, "bomb", f"page {n} is {frame.width}×{frame.height} pixels: "
                                                f"beyond ETL_MAX_INFLATED_BYTES ({limit // 2**20} MB)")
            dpi = frame.info.get("dpi", (0, 0))[0] or 0
            # no resolution recorded: assume an A4 page across the image's width
            dpi = float(dpi) if 100 <= float(dpi) <= 1200 else frame.width / 8.27
            page = frame.convert("RGB")
            if dpi > MAX_DPI:
                page = page.resize((round(page.width * MAX_DPI / dpi), round(page.height * MAX_DPI / dpi)),
                                   Image.Resampling.LANCZOS)
                dpi = MAX_DPI
            rgb = [np.asarray(page)]
            del page
            warnings += ocr_page(rgb, dpi, n, acc, path)
    except Image.DecompressionBombError as e:
        raise ReportError(path, "bomb", f"{e} (ETL_MAX_INFLATED_BYTES)") from e
    except (UnidentifiedImageError, OSError, SyntaxError) as e:
        raise ReportError(path, "corrupt", f"not a readable image ({type(e).__name__}: {e})") from e
    doc = Document(path=path, form="scan", blocks=assemble(acc, n), warnings=warnings)
    doc.title = title_from_headings(acc.heading_lines)
    doc.meta["pages"] = str(n)
    doc.meta["ocr_pages"] = ",".join(str(i) for i in range(1, n + 1))
    return doc
