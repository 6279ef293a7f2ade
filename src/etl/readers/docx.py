"""Word .docx → Document: paragraphs and tables in body order, merged cells expanded.

The body is read straight from the package's main part with lxml rather than through
python-docx's object model: python-docx loads every part (styles, numbering, headers …) and
its ``table.rows[i].cells`` repeats a merged cell without saying where it came from, while the
raw ``w:gridSpan`` / ``w:vMerge`` markup says exactly which grid positions one cell covers —
that is what ``TableGrid.origin`` needs.  (python-docx is still what the fixtures are made with.)

One TextLine per visual line: a paragraph, split at ``w:br``/``w:cr`` line breaks.  Pages are
counted from explicit page breaks and Word's ``w:lastRenderedPageBreak`` marks, so they are
right for files Word saved and approximate otherwise.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib

from lxml import etree

from etl.document import Document, TableGrid, TextLine
from etl.errors import ReportError
from etl.readers.grid import absorb_blank_label_cells, clean_cell, clean_text, join_lines

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_P, _TBL, _TR, _TC, _SDT, _SDT_CONTENT = (f"{{{W}}}{t}" for t in ("p", "tbl", "tr", "tc", "sdt", "sdtContent"))
_T, _TAB, _BR, _CR, _LRPB = (f"{{{W}}}{t}" for t in ("t", "tab", "br", "cr", "lastRenderedPageBreak"))
_VAL, _TYPE = f"{{{W}}}val", f"{{{W}}}type"
_TEXT_TAGS = (_T, _TAB, _BR, _CR, _LRPB)
_CELL_TAGS = (_P, _T, _TAB, _BR, _CR)
_TCPR, _GRID_SPAN, _VMERGE, _HMERGE = (f"{{{W}}}{t}" for t in ("tcPr", "gridSpan", "vMerge", "hMerge"))
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_OFFICE_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
_STRICT_DOC = "http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument"
_TITLE_STYLE = re.compile(r"title|heading1|标题", re.I)


def _main_part(zf: zipfile.ZipFile) -> str:
    """The main document part named by _rels/.rels (usually word/document.xml)."""
    try:
        rels = etree.fromstring(zf.read("_rels/.rels"))
        for rel in rels:
            if rel.get("Type") in (_OFFICE_DOC, _STRICT_DOC):
                return posixpath.normpath(rel.get("Target", "").lstrip("/"))
    except (KeyError, etree.XMLSyntaxError):
        pass
    return "word/document.xml"


def _open_body(data: bytes, path: str) -> etree._Element:
    if b"PK\x05\x06" not in data[-65_557:]:
        # no end-of-central-directory record: the download stopped before the ZIP did
        raise ReportError(path, "truncated", "the ZIP container has no end record: the file is cut short")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        part = _main_part(zf)
        xml = zf.read(part)
    except KeyError as e:
        raise ReportError(path, "corrupt", "a ZIP file without a Word main document part") from e
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, ValueError, OSError) as e:
        raise ReportError(path, "corrupt", f"the ZIP container is damaged ({e})") from e
    except RuntimeError as e:           # zipfile: "File ... is encrypted, password required"
        # Word encrypts by wrapping the package in OLE2 (see readers/__init__), never with ZIP
        # encryption, so a ZIP entry flagged encrypted is a damaged flag bit
        raise ReportError(path, "corrupt", f"a ZIP entry is flagged encrypted ({e})") from e
    try:
        root = etree.fromstring(xml, parser=etree.XMLParser(huge_tree=True, resolve_entities=False))
    except etree.XMLSyntaxError as e:
        raise ReportError(path, "corrupt", f"{part} is not well-formed XML ({e})") from e
    body = root.find(f"{{{W}}}body")
    if body is None:
        raise ReportError(path, "corrupt", f"{part} has no w:body")
    # Word stores a text box twice (mc:Choice for new readers, mc:Fallback as VML): keep one.
    for fallback in list(body.iter(_MC_FALLBACK)):
        fallback.getparent().remove(fallback)
    return body


class _Reader:
    def __init__(self) -> None:
        self.blocks: list[TextLine | TableGrid] = []
        self.page = 1
        self.n_tables = 0
        self.title: str | None = None

    # -- paragraphs ---------------------------------------------------------------------
    def _paragraph_lines(self, p: etree._Element, count_pages: bool) -> list[str]:
        lines: list[list[str]] = [[]]
        for el in p.iter(_TEXT_TAGS):
            tag = el.tag
            if tag == _T:
                if el.text:
                    lines[-1].append(el.text)
            elif tag == _TAB:
                lines[-1].append(" ")
            elif tag == _LRPB:
                if count_pages:
                    self.page += 1
            elif tag == _BR and el.get(_TYPE) == "page":
                if count_pages:
                    self.page += 1
            else:                                   # w:br (line/column break), w:cr
                lines.append([])
        return [t for t in (clean_text("".join(parts)) for parts in lines) if t]

    def paragraph(self, p: etree._Element) -> None:
        page_before = self.page
        lines = self._paragraph_lines(p, count_pages=True)
        # a paragraph that starts on a new page belongs to that page
        page = self.page if self.page != page_before and not lines else page_before
        for text in lines:
            self.blocks.append(TextLine(text=text, line=len(self.blocks) + 1, page=page))
        if self.title is None and lines and _looks_like_title(p, lines):
            self.title = join_lines(lines)

    # -- tables -------------------------------------------------------------------------
    @staticmethod
    def _cell_text(tc: etree._Element) -> str:
        """All the cell's text (nested tables included) as one string: paragraphs and line
        breaks glued the way join_lines glues lines (clean_cell drops the space next to CJK)."""
        parts = [el.text or "" if el.tag == _T else " " for el in tc.iter(_CELL_TAGS)]
        return clean_cell("".join(parts).strip())

    def table(self, tbl: etree._Element) -> None:
        rows: list[list[str]] = []
        origin: list[list[tuple[int, int]]] = []
        for r, tr in enumerate(tr for tr in tbl if tr.tag == _TR):
            text_row: list[str] = []
            origin_row: list[tuple[int, int]] = []
            before = _int_prop(tr, "trPr", "gridBefore", 0)
            for _ in range(before):
                origin_row.append((r, len(text_row)))
                text_row.append("")
            for tc in _cells(tr):
                span, vmerge, hmerge = _cell_props(tc)
                c = len(text_row)
                text = self._cell_text(tc)
                anchor = (r, c)
                if vmerge is not None and vmerge.get(_VAL, "continue") != "restart" \
                        and r > 0 and c < len(origin[r - 1]):
                    anchor = origin[r - 1][c]           # continues the cell above
                elif hmerge is not None and hmerge.get(_VAL, "continue") != "restart" and c > 0:
                    anchor = origin_row[c - 1]          # legacy horizontal merge
                if anchor != (r, c):
                    ar, ac = anchor
                    merged = rows[ar][ac] if ar < r else text_row[ac]
                    if text and text != merged:
                        merged = clean_cell(join_lines([merged, text]))
                        _retext(rows, text_row, origin, origin_row, anchor, merged)
                    text = merged
                for _ in range(span):
                    text_row.append(text)
                    origin_row.append(anchor)
            rows.append(text_row)
            origin.append(origin_row)
        if not rows:
            return
        n_cols = max(len(r) for r in rows)
        widths = [len(r) for r in rows]
        for r, (text_row, origin_row) in enumerate(zip(rows, origin)):
            while len(text_row) < n_cols:
                origin_row.append((r, len(text_row)))
                text_row.append("")
        if n_cols * len(rows) <= 1:                 # a one-cell box around text is text
            if rows[0][0]:
                self.blocks.append(TextLine(text=rows[0][0], line=len(self.blocks) + 1, page=self.page))
            return
        grid = TableGrid(rows=rows, index=self.n_tables, page=self.page, line=len(self.blocks) + 1,
                         origin=origin, widths=widths if min(widths) < n_cols else None)
        self.n_tables += 1
        self.blocks.append(absorb_blank_label_cells(grid))

    def walk(self, parent: etree._Element) -> None:
        for child in parent:
            tag = child.tag
            if tag == _P:
                self.paragraph(child)
            elif tag == _TBL:
                self.table(child)
            elif tag == _SDT:                       # content controls wrap paragraphs and tables
                content = child.find(_SDT_CONTENT)
                if content is not None:
                    self.walk(content)


def _retext(rows, text_row, origin, origin_row, anchor, text) -> None:
    """Give every grid position of a merged cell its full (joined) text."""
    for r, (tr, orow) in enumerate(zip(rows, origin)):
        for c, a in enumerate(orow):
            if a == anchor:
                tr[c] = text
    for c, a in enumerate(origin_row):
        if a == anchor:
            text_row[c] = text


def _cells(tr: etree._Element):
    for child in tr:
        if child.tag == _TC:
            yield child
        elif child.tag in (_SDT, f"{{{W}}}customXml"):
            content = child.find(_SDT_CONTENT) if child.tag == _SDT else child
            if content is not None:
                yield from (tc for tc in content if tc.tag == _TC)


def _cell_props(tc: etree._Element) -> tuple[int, etree._Element | None, etree._Element | None]:
    """(gridSpan, w:vMerge element, w:hMerge element) of a cell, from one pass over its tcPr."""
    span, vmerge, hmerge = 1, None, None
    tcpr = tc.find(_TCPR)
    if tcpr is not None:
        for el in tcpr:
            tag = el.tag
            if tag == _GRID_SPAN:
                try:
                    span = max(1, int(el.get(_VAL, 1)))
                except ValueError:
                    pass
            elif tag == _VMERGE:
                vmerge = el
            elif tag == _HMERGE:
                hmerge = el
    return span, vmerge, hmerge


def _prop(el: etree._Element, pr: str, name: str) -> etree._Element | None:
    props = el.find(f"{{{W}}}{pr}")
    return None if props is None else props.find(f"{{{W}}}{name}")


def _int_prop(el: etree._Element, pr: str, name: str, default: int) -> int:
    node = _prop(el, pr, name)
    if node is None:
        return default
    try:
        return int(node.get(_VAL, default))
    except ValueError:
        return default


def _looks_like_title(p: etree._Element, lines: list[str]) -> bool:
    text = "".join(lines)
    if "报告" not in text or len(text) > 80:
        return False
    ppr = p.find(f"{{{W}}}pPr")
    if ppr is not None:
        style = ppr.find(f"{{{W}}}pStyle")
        if style is not None and _TITLE_STYLE.search(style.get(_VAL, "")):
            return True
        jc = ppr.find(f"{{{W}}}jc")
        if jc is not None and jc.get(_VAL) == "center":
            return True
    return p.find(f".//{{{W}}}b") is not None


def read_docx(data: bytes, path: str) -> Document:
    """Read a .docx; raise ReportError for truncated, corrupt or password-protected files."""
    body = _open_body(data, path)
    reader = _Reader()
    reader.walk(body)
    if not reader.blocks:
        raise ReportError(path, "empty", "the Word document has no text and no tables")
    doc = Document(path=path, form="docx", blocks=reader.blocks, title=reader.title)
    return doc
