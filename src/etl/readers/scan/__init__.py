"""Scanned pages → the same page items as a text-layer PDF: OCR with the table's ruling lines.

A page without a text layer (a whole scanned PDF, a scanned page inside a text PDF, or an image
file: .jpg, .png, .tif with one page per frame) is read in three steps:

1. :mod:`.layout` finds the ink, the skew, and the ruling lines of the page image;
2. the PDF reader's own table geometry (``pdf.table_parts``) turns the lines into cells, merged
   cells and tables continued over pages, exactly as for a text layer;
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

#: a table value below this confidence is not taken (measured: bench/ocr.py; PP-OCRv4 reads
#: clean digits at ≥ 0.98, the misreads seen on noisy 150 dpi scans were all below 0.9)
MIN_VALUE_CONFIDENCE = 0.90
IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp"}
MAX_PIXELS = 60_000_000          # a page image larger than this (≈ A3 at 600 dpi) is refused
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_UNIT = re.compile(r"(万元|元|件|条|个|项|次)$")
_VALUE = re.compile(r"^([+-]?\d{1,3}(,\d{3})+|[+-]?\d+)(\.\d+)?(万元|元|件|条|个|项|次)?$|^[/／—–\-－无]$")


def _is_value_like(text: str) -> bool:
    """A cell whose reading has no Chinese (units aside): where a number or a dash stands."""
    return not _CJK.search(_UNIT.sub("", text))


def _cell_reading(text: str, conf: float, split: bool = False) -> tuple[str, float]:
    """What a cell read by OCR shows the parser, and its confidence (0: not a value read).
    ``split``: the cell's ink lies in two groups far apart on one line — two cells whose
    dividing rule was not found, never one number."""
    text = unicodedata.normalize("NFKC", text).replace(" ", "")
    if not _is_value_like(text):
        return text, conf                              # a label: the parser anchors on it
    if _VALUE.match(text) and conf >= MIN_VALUE_CONFIDENCE and not split:
        return text, conf
    return "-", 0.0                                    # held in place; accept.py makes it unknown


def ocr_page(rgb: np.ndarray, dpi: float, page_no: int, acc, path: str) -> list[str]:
    """OCR one page image into ``acc`` (a pdf.PageItems); returns warnings."""
    from etl.readers import pdf as pdfr
    from etl.readers.grid import clean_cell, join_lines
    from etl.readers.scan import engine, layout

    page = layout.prepare(rgb, dpi)
    h_px, w_px = page.ink.shape
    height_pt = h_px * layout.PT / dpi
    pad = max(4, int(dpi / 40))
    min_line = max(4, int(dpi * 0.04))

    def cell_texts(cells: pdfr.CellLayout) -> tuple[list[str], list[float]]:
        crops: list[np.ndarray] = []
        owner: list[int] = []
        has_ink = [False] * cells.n_cells
        split = [False] * cells.n_cells
        inset = max(2, int(dpi / 100))
        for cid, (x0, top, x1, bottom) in enumerate(cells.cell_boxes()):
            X0, Y0, X1, Y1 = page.px(x0) + inset, page.px(top) + inset, page.px(x1) - inset, page.px(bottom) - inset
            if X1 <= X0 or Y1 <= Y0:
                continue
            ink = page.ink[Y0:Y1, X0:X1]
            for a, b in layout.bands(ink, 2):
                cols = layout.fields(ink[a:b], gap=2 * (b - a))
                if not cols:
                    continue
                has_ink[cid] = True
                if len(cols) > 1:
                    split[cid] = True           # two things side by side: maybe a missed rule
                crops.append(layout.crop(page.grey, X0 + cols[0][0], Y0 + a, X0 + cols[-1][1], Y0 + b, pad))
                owner.append(cid)
        reads = engine.recognize(crops, path)
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
            text, conf[cid] = _cell_reading(clean_cell(join_lines(lines[cid])), conf[cid] if lines[cid] else 0.0,
                                            split[cid])
            texts.append(text)
        return texts, conf

    hsegs = [pdfr._Seg(y, a, b) for y, a, b in page.hsegs]
    vsegs = [pdfr._Seg(x, a, b) for x, a, b in page.vsegs]
    parts = pdfr.table_parts(page_no, hsegs, vsegs, cell_texts)
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


def ocr_pdf_pages(pdf, pages: list[int], acc, path: str) -> list[str]:
    """OCR the given (0-based) pages of an open pypdfium2 document into ``acc``.  The caller
    holds the pdfium lock."""
    warnings: list[str] = []
    for p in pages:
        page = pdf[p]
        dpi = _native_dpi(page)
        bitmap = page.render(scale=dpi / 72.0, grayscale=False)
        rgb = bitmap.to_numpy()[:, :, :3][:, :, ::-1]      # BGRx -> RGB
        warnings += ocr_page(np.ascontiguousarray(rgb), dpi, p + 1, acc, path)
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
    """An image file of report pages (.jpg, .png, one page per .tif frame) → Document by OCR."""
    from PIL import Image, ImageSequence, UnidentifiedImageError

    from etl.readers import pdf as pdfr

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        img = Image.open(io.BytesIO(data))
        frames = [f.copy() for f in ImageSequence.Iterator(img)]
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as e:
        raise ReportError(path, "corrupt", f"not a readable image ({type(e).__name__}: {e})") from e
    acc = pdfr.PageItems()
    warnings: list[str] = []
    for n, frame in enumerate(frames, 1):
        dpi = frame.info.get("dpi", (0, 0))[0] or 0
        # no resolution recorded: assume an A4 page across the image's width
        dpi = float(dpi) if 100 <= float(dpi) <= 600 else frame.width / 8.27
        rgb = np.asarray(frame.convert("RGB"))
        warnings += ocr_page(rgb, dpi, n, acc, path)
    doc = Document(path=path, form="scan", blocks=pdfr.assemble(acc, len(frames)), warnings=warnings)
    doc.title = pdfr._title(acc.heading_lines)
    doc.meta["pages"] = str(len(frames))
    doc.meta["ocr_pages"] = ",".join(str(i) for i in range(1, len(frames) + 1))
    return doc
