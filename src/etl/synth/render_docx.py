"""DOCX: a python-docx package skeleton made once per process, each report's
``word/document.xml`` written by string templating into it.

The document is what python-docx writes for the same calls (``add_paragraph``, ``add_table`` in
"Table Grid" style, ``cell.merge`` → ``w:gridSpan`` / ``w:vMerge``, Word's ``w:gridAfter`` short
rows), byte for byte: building it through python-docx's object model cost ≈ 60 ms per report
(loading the default template's 800 KB of styles, then re-compressing them on save), the template
costs ≈ 1 ms.  The static parts of the package are compressed once; every ZIP entry gets a fixed
timestamp, so the same report gives the same bytes.
"""

from __future__ import annotations

import random
import struct
import zlib
from functools import lru_cache
from xml.sax.saxutils import escape

from etl.synth.render_office import (
    SHORT,
    flat_section4_grid,
    ragged,
    section2_grids,
    section4_grid,
    split_grid,
    table3_grid,
)
from etl.synth.render_text import _section_order
from etl.synth.report import SynthReport

_FIXED_ZIP_TIME = (2020, 1, 1, 0, 0, 0)
_MAIN_PART = "word/document.xml"
_RW_OWNER = 0o600 << 16        # Unix mode of every entry (external attributes), as zipfile sets it
_BLOCK_EMU = 5_486_400          # python-docx's default page width less margins (8640 twips), in EMU
_EMU_PER_TWIP = 635
_TABLE_PROPS = ('<w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:type="auto" w:w="0"/>'
                '<w:tblLook w:firstColumn="1" w:firstRow="1" w:lastColumn="0" w:lastRow="0" '
                'w:noHBand="0" w:noVBand="1" w:val="04A0"/></w:tblPr>')


# ------------------------------------------------------------------------------------------------
# the package: python-docx's default template, compressed once
# ------------------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _skeleton() -> tuple[list[tuple[str, bytes | None]], str, str]:
    """([(part name, its ZIP entry after the local header's name or None for the main part)],
    document.xml up to the body content, from the section properties on)."""
    import io
    import zipfile

    import docx

    buf = io.BytesIO()
    docx.Document().save(buf)
    parts: list[tuple[str, bytes | None]] = []
    with zipfile.ZipFile(buf) as src:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == _MAIN_PART:
                xml = data.decode("utf-8")
                body = xml.index("<w:body>") + len("<w:body>")
                head, tail = xml[:body], xml[xml.index("<w:sectPr", body):]
                parts.append((info.filename, None))
            else:
                parts.append((info.filename, _deflate(data)))
    return parts, head, tail


def _deflate(data: bytes) -> bytes:
    """CRC, sizes and raw deflate stream of one entry, as zipfile writes it (default level)."""
    c = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    packed = c.compress(data) + c.flush()
    return struct.pack("<3L", zlib.crc32(data), len(packed), len(data)) + packed


def _zip(entries: list[tuple[str, bytes]]) -> bytes:
    """A ZIP archive of pre-deflated entries (what ``zipfile`` writes for ``ZipInfo`` entries
    with a fixed date: version 2.0, Unix mode 0600, no extra fields, no data descriptors)."""
    y, mo, d, h, mi, s = _FIXED_ZIP_TIME
    dos_time, dos_date = (h << 11) | (mi << 5) | (s // 2), ((y - 1980) << 9) | (mo << 5) | d
    out: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    for name, entry in entries:
        fname = name.encode("ascii")
        sizes = entry[:12]
        local = struct.pack("<4s2B4H", b"PK\x03\x04", 20, 0, 0, 8, dos_time, dos_date) + sizes + \
            struct.pack("<2H", len(fname), 0) + fname
        central.append(struct.pack("<4s4B4H", b"PK\x01\x02", 20, 3, 20, 0, 0, 8, dos_time, dos_date)
                       + sizes + struct.pack("<5H2L", len(fname), 0, 0, 0, 0, _RW_OWNER, offset) + fname)
        out += (local, entry[12:])
        offset += len(local) + len(entry) - 12
    cd = b"".join(central)
    return b"".join(out) + cd + struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries),
                                            len(cd), offset, 0)


# ------------------------------------------------------------------------------------------------
# document.xml
# ------------------------------------------------------------------------------------------------

def _run(text: str) -> str:
    """A paragraph's run as python-docx writes ``text`` (tabs and line breaks as elements)."""
    if "\t" in text or "\n" in text or "\r" in text:
        out: list[str] = []
        buf: list[str] = []
        for ch in text:
            if ch in "\t\r\n":
                if buf:
                    out.append(_t("".join(buf)))
                    buf.clear()
                out.append("<w:tab/>" if ch == "\t" else "<w:br/>")
            else:
                buf.append(ch)
        if buf:
            out.append(_t("".join(buf)))
        return "<w:r>" + "".join(out) + "</w:r>"
    return "<w:r>" + _t(text) + "</w:r>"


def _t(text: str) -> str:
    if len(text.strip()) < len(text):
        return f'<w:t xml:space="preserve">{escape(text)}</w:t>'
    return f"<w:t>{escape(text)}</w:t>"


def _paragraph(text: str) -> str:
    return f"<w:p>{_run(text)}</w:p>" if text else "<w:p/>"


def _table(grid: list[list[str]], merges: list[tuple[int, int, int, int]]) -> str:
    """``w:tbl`` for a cell grid whose (disjoint) merges (r0, c0, r1, c1) are done as python-docx's
    ``cell.merge`` does them: one ``w:tc`` per row of a merge with ``w:gridSpan``, ``w:vMerge``
    restart above and continue below; the merged cells are empty, so no text moves.  A grid cell
    holding ``SHORT`` ends its row early (``w:gridAfter``)."""
    n_cols = len(grid[0])
    covered: dict[tuple[int, int], tuple[int, str | None]] = {}    # first cell of a merge row -> span, vMerge
    skip: set[tuple[int, int]] = set()
    for r0, c0, r1, c1 in merges:
        for i in range(r0, r1 + 1):
            covered[(i, c0)] = (c1 - c0 + 1, None if r0 == r1 else ("restart" if i == r0 else "continue"))
            skip.update((i, j) for j in range(c0 + 1, c1 + 1))
    # python-docx: every cell as wide as a grid column (rounded to twips), a merged one the sum
    col_twips = round(_BLOCK_EMU // n_cols / _EMU_PER_TWIP)
    parts = [f"<w:tbl>{_TABLE_PROPS}<w:tblGrid>", f'<w:gridCol w:w="{col_twips}"/>' * n_cols,
             "</w:tblGrid>"]
    for i, row in enumerate(grid):
        short = row[-1] == SHORT
        parts.append('<w:tr><w:trPr><w:gridAfter w:val="1"/></w:trPr>' if short else "<w:tr>")
        for j in range(n_cols - 1 if short else n_cols):
            if (i, j) in skip:
                continue
            span, vmerge = covered.get((i, j), (1, None))
            props = f'<w:tcW w:type="dxa" w:w="{col_twips * span}"/>'
            if span > 1:
                props += f'<w:gridSpan w:val="{span}"/>'
            if vmerge == "restart":
                props += '<w:vMerge w:val="restart"/>'
            elif vmerge == "continue":
                props += "<w:vMerge/>"
            text = row[j] if vmerge != "continue" else ""
            parts.append(f"<w:tc><w:tcPr>{props}</w:tcPr>{_paragraph(text)}</w:tc>")
        parts.append("</w:tr>")
    parts.append("</w:tbl>")
    return "".join(parts)


def render_docx(r: SynthReport, rng: random.Random) -> bytes:
    """The report as a Word file: title, prose and headings as paragraphs, tables 二, 三 and 四
    as ruled tables with merged header and label cells (Word's ragged "save as" rows with the
    word_export layout class, table 三 in two tables with split_table)."""
    body = [_paragraph(line) for line in r.title_lines()]
    word = r.lrng if r.layout("word_export") else None

    def table(grid: list[list[str]], merges: list[tuple[int, int, int, int]]) -> None:
        if word is not None:
            grid, merges = ragged(grid, merges, word)
        body.append(_table(grid, merges))

    body.append(_paragraph(r.prose.intro))
    for key in _section_order(r):
        heading = r.heading(key)
        if heading is not None:
            body.append(_paragraph(heading))
        body += [_paragraph(p) for p in r.paragraphs(key)]
        if key == "active_disclosure":
            for grid, merges in section2_grids(r):
                table(grid, merges)
        elif key == "applications":
            grid, merges = table3_grid(r)
            if r.layout("split_table") and r.lrng is not None:
                first, second = split_grid(grid, merges, r.lrng)
                table(*first)
                body.append(_paragraph(""))
                table(*second)
            else:
                table(grid, merges)
        elif key == "review_litigation":
            if r.layout("flat_table4") and r.lrng is not None:
                table(*flat_section4_grid(r, r.lrng))
            else:
                table(*section4_grid(r))
    body += [_paragraph(line) for line in r.signature]
    parts, head, tail = _skeleton()
    document = _deflate((head + "".join(body) + tail).encode("utf-8"))
    return _zip([(name, entry if entry is not None else document) for name, entry in parts])
