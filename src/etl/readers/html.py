"""HTML pages (and HTML fragments) → Document.

Government sites wrap the report in site chrome (navigation, breadcrumbs, "无障碍" toolbars,
footers with ICP lines).  We (1) drop the tags that never hold report text, (2) find the article
body — the lowest element around the report's biggest table that also holds the section
headings found on the page — and (3) walk it in document order: block elements and ``<br>`` end a
visual line (one TextLine each), leaf tables become TableGrids with spans expanded, tables that
contain tables are layout tables and are walked through like ``<div>``s.  Short chrome lines left
inside the body (打印本页, 关闭窗口, 分享到 …) are dropped by pattern.

A cell's text is all its text glued (``本年新<br/>制作数量`` → ``本年新制作数量``), whitespace
collapsed, ``&nbsp;`` → "".  ``origin`` is the grid position of the covering cell's top-left
corner (see readers/grid.py).  doc.title: the first short body line ending in 报告 (the centred
heading sites print above 发布日期), else <meta name=ArticleTitle>, else <title> minus the site
suffix; doc.meta["published"]: 发布日期/发布时间 in the text, else <meta name=PubDate>.

selectolax (lexbor) is used because the parser must reach ≥ 1,000 seed-sized pages/s including
this reader; lxml would work but is several times slower to build a tree.  Measured with
bench/bench_readers.py: ≈0.8 ms CPU for a seed-sized page, of which lexbor's parse is ≈0.1 ms
and the per-cell Python work (≈280 cells) most of the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode

from etl.document import Document, TableGrid, TextLine
from etl.errors import ReportError
from etl.readers.grid import SourceCell, absorb_blank_label_cells, clean_cell, clean_text, expand_spans
from etl.template import SECTIONS

# Tags whose content is never report text.
_DROP_TAGS = frozenset({
    "script", "style", "noscript", "nav", "header", "footer", "iframe", "select", "option",
    "button", "input", "textarea", "template", "svg", "object", "embed", "head", "title",
    "meta", "link", "img", "video", "audio", "canvas", "map",
})
# Tags that start and end a visual line.
_BLOCK_TAGS = frozenset({
    "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd",
    "section", "article", "main", "aside", "center", "blockquote", "pre", "address", "figure",
    "figcaption", "hr", "form", "fieldset", "legend", "tr", "td", "th", "tbody", "thead",
    "tfoot", "caption", "body", "html", "table",
})
# Section headings that mark where the report is (the first section's and the last one's, in
# their shortest wording); the article body must contain those present.
_BODY_MARKERS = (min(SECTIONS[0].fragments, key=len), min(SECTIONS[-1].fragments, key=len))
# Whole lines that are site chrome, not report text.  Anchored patterns only match short lines,
# so prose that mentions e.g. 无障碍改造 in a sentence is kept.
_CHROME_ANYWHERE = re.compile(r"ICP备|ICP证|公网安备|网站标识码|版权所有|Copyright|©")
# Site furniture that opens a line: safe on lines up to _CHROME_MAX_LEN characters.
_CHROME_START = re.compile(
    r"^[【\[（(]?\s*(主办单位|承办单位|主办[:：]|承办[:：]|技术支持|网站地图|联系我们|上一篇|下一篇|"
    r"返回顶部|扫一扫|浏览次数|访问量|点击数|当前位置|您的位置|首页\s*[>＞›»])"
)
_CHROME_MAX_LEN = 60
# Toolbar words (打印, 关闭, 分享, 无障碍 …) also start prose ("关闭了3个账号。"), so they mark chrome
# only on the short lines toolbars are made of.
_CHROME_TOOLS = re.compile(r"^[【\[（(|]?\s*(打印|关闭|分享|收藏|字号|字体|无障碍|长者模式|适老化|繁體|简体)")
_CHROME_TOOLS_MAX_LEN = 20
_PUBLISHED = re.compile(
    r"(?:发布日期|发布时间|发文日期|公开日期|日期)\s*[:：]\s*(\d{4})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})"
)
_TITLE_SPLIT = re.compile(r"\s*[_|｜—–-]{1,2}\s*")


def is_chrome_line(text: str) -> bool:
    if _CHROME_ANYWHERE.search(text):
        return len(text) <= 200          # a long paragraph quoting "版权所有" is still prose
    if len(text) <= _CHROME_TOOLS_MAX_LEN and _CHROME_TOOLS.match(text):
        return True
    return len(text) <= _CHROME_MAX_LEN and bool(_CHROME_START.match(text))


class _Lines:
    """Accumulates inline text into visual lines; a block boundary or <br> ends a line."""

    __slots__ = ("parts", "lines")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.lines: list[str] = []

    def flush(self) -> None:
        if self.parts:
            text = clean_text("".join(self.parts))
            self.parts = []
            if text:
                self.lines.append(text)


def _layout_tables(root: LexborNode) -> set[int]:
    """mem_ids of the tables that contain another table (layout tables, walked through)."""
    layout: set[int] = set()
    for inner in root.css("table table"):
        node = inner.parent
        while node is not None and node.mem_id != root.mem_id:
            if node.tag == "table":
                if node.mem_id in layout:
                    break
                layout.add(node.mem_id)
            node = node.parent
    return layout


# _CellIndex.marks bits
_FIRST = 1                          # the cell starts a row
_SPANNED = 2                        # the cell has a rowspan/colspan attribute


@dataclass(frozen=True)
class _CellIndex:
    """Page-wide facts about table cells, found with two C-side queries instead of per table."""

    marks: dict[int, int]           # mem_id -> _FIRST | _SPANNED, for the few cells with either
    selector: str                   # "td" or, when the page has header cells, "td, th"
    known: dict[int, list[LexborNode]]   # table mem_id -> its cells, when already queried

    @staticmethod
    def of(root: LexborNode, html_text: str, tds: dict[int, list[LexborNode]]) -> "_CellIndex":
        """``tds``: each leaf table's <td> list as _article_body queried it; it is the table's
        cell list too when the page has no <th> (the query is not repeated per table)."""
        has_th = "<th" in html_text or "<TH" in html_text
        selector = "td, th" if has_th else "td"
        first = "td:first-child, th:first-child" if has_th else "td:first-child"
        marks = dict.fromkeys([n.mem_id for n in root.css(first)], _FIRST)
        for n in root.css("[rowspan], [colspan]"):
            mem_id = n.mem_id
            marks[mem_id] = marks.get(mem_id, 0) | _SPANNED
        return _CellIndex(marks, selector, {} if has_th else tds)


def _table_rows(table: LexborNode, index: _CellIndex) -> list[list[SourceCell | str]]:
    """Cell texts row by row; a cell with a row/col span is a SourceCell, any other a plain str.

    Hot path (≈0.5 µs a cell): all cells come from one C-side query, a row starts at each
    first-child cell, and only the few cells with a span have their attributes read; the
    common cell (neither) costs one dict lookup.  (A <tr> without cells is dropped; a leaf
    table has no nested cells to confuse the query.)"""
    marks = index.marks.get
    rows: list[list[SourceCell | str]] = []
    row: list[SourceCell | str] = []
    cells = index.known.get(table.mem_id)
    for td in table.css(index.selector) if cells is None else cells:
        # Lines inside a cell (<br>, <p>) are glued: Chinese wraps without spaces, and a
        # number split over Word's runs (<span>1</span><span>2</span>) must stay one number.
        # text_lexbor() is lexbor's own textContent: the same glued text as .text() (checked on
        # every cell of every fixture page, comments and <script> included) at about half the
        # cost, since it skips selectolax's Python-side argument handling and tree walk.
        text = td.text_lexbor().strip()          # str.strip also takes the &nbsp; of blank cells
        if not (text.isprintable() and " " not in text):
            text = clean_cell(text)
        mark = marks(td.mem_id)
        if mark is None:
            row.append(text)
            continue
        if mark & _FIRST and row:
            rows.append(row)
            row = []
        if mark & _SPANNED:
            attrs = td.attributes
            row.append(SourceCell(text, _span(attrs.get("rowspan")), _span(attrs.get("colspan"))))
        else:
            row.append(text)
    if row:
        rows.append(row)
    return rows


def _span(value: str | None) -> int:
    if not value:
        return 1
    if value.isdigit():
        return int(value)
    digits = re.match(r"\s*(\d+)", value)         # "2 ", "3px" and other sloppy spans
    return int(digits.group(1)) if digits else 1


class _Walker:
    def __init__(self, layout: set[int], cells: _CellIndex) -> None:
        self.layout = layout                     # layout tables: walked like <div>s
        self.cells = cells
        self.blocks: list[TextLine | TableGrid] = []
        self.acc = _Lines()
        self.n_tables = 0

    def flush(self) -> None:
        self.acc.flush()
        for text in self.acc.lines:
            if not is_chrome_line(text):
                self.blocks.append(TextLine(text=text, line=len(self.blocks) + 1))
        self.acc.lines = []

    def walk(self, node: LexborNode) -> None:
        for child in node.iter(include_text=True):
            tag = child.tag
            if tag == "-text":
                self.acc.parts.append(child.text_content or "")   # (None only in the stubs)
            elif tag == "br":
                self.flush()
            elif tag in _DROP_TAGS or tag == "-comment":
                continue
            elif tag == "table" and child.mem_id not in self.layout:
                self.flush()
                self.table(child)
            elif tag in _BLOCK_TAGS:
                self.flush()
                self.walk(child)
                self.flush()
            else:
                self.walk(child)

    def table(self, table: LexborNode) -> None:
        for child in table.iter():               # a <caption> is the table's first child
            if child.tag == "caption":
                self.acc.parts.append(child.text(deep=True))
                self.flush()
            break
        rows = _table_rows(table, self.cells)
        if sum(len(r) for r in rows) <= 1:
            # a one-cell box drawn around text: it is text, not a table
            for line in (c if isinstance(c, str) else c.text for r in rows for c in r):
                self.acc.parts.append(line)
                self.flush()
            return
        # Word's "save as web page" ends every table with a spacer row of empty cells
        # (<tr height=0> inside <![if !supportMisalignedColumns]>): it holds nothing
        while len(rows) > 1 and all(type(c) is str and not c for c in rows[-1]):
            rows.pop()
        grid = absorb_blank_label_cells(expand_spans(rows, index=self.n_tables, line=len(self.blocks) + 1))
        self.n_tables += 1
        self.blocks.append(grid)


def _article_body(root: LexborNode, full: str,
                  layout: set[int]) -> tuple[LexborNode, dict[int, list[LexborNode]]]:
    """The lowest element around the page's biggest leaf table holding every section marker,
    and the <td> lists queried to find that table (by table mem_id; reused for the tables' rows).

    Falls back to ``root`` when the page has no table (prose-only pages are walked whole and
    cleaned line by line)."""
    leaf_tables = [t for t in root.css("table") if t.mem_id not in layout]
    if not leaf_tables:
        return root, {}
    tds: dict[int, list[LexborNode]] = {}
    if len(leaf_tables) > 1:
        tds = {t.mem_id: t.css("td") for t in leaf_tables}
        anchor = max(leaf_tables, key=lambda t: len(tds[t.mem_id]))
    else:
        anchor = leaf_tables[0]
    markers = [m for m in _BODY_MARKERS if m in full]
    node = anchor.parent
    while node is not None and node.mem_id != root.mem_id:
        text = node.text(deep=True)
        if all(m in text for m in markers):
            return node, tds
        node = node.parent
    return root, tds


_TITLE_LINE = re.compile(r"报告[)）]?$")
_TITLE_METAS = 'meta[name="ArticleTitle"], meta[name="title"]'


def _title(tree: LexborHTMLParser, blocks: list) -> str | None:
    """The report's heading among the body's first lines (it ends in 报告 and is short — the
    centred bold line sites print above 发布日期), else <meta name=ArticleTitle>, else <title>
    without the site's suffix."""
    for block in blocks[:6]:
        if isinstance(block, TableGrid):
            break
        if len(block.text) <= 80 and _TITLE_LINE.search(block.text) and "年" in block.text:
            return block.text
    # Each css query walks the whole tree, so both names are looked for in one query; most
    # pages have neither and skip the rest.  Each name's first match is then used as before.
    metas = tree.css(_TITLE_METAS)
    for meta_name in ("ArticleTitle", "title") if metas else ():
        meta = next((m for m in metas if m.css_matches(f'meta[name="{meta_name}"]')), None)
        if meta is not None and meta.attributes.get("content"):
            return clean_text(meta.attributes["content"] or "")
    title = tree.css_first("title")
    if title is not None:
        text = clean_text(title.text())
        if text:
            parts = [p for p in _TITLE_SPLIT.split(text) if p]
            for part in parts:
                if "报告" in part:
                    return part
            return parts[0] if parts else text
    return None


_META_DATE = re.compile(
    r"""<meta[^>]+name\s*=\s*["']?(?:PubDate|publishdate|firstpublishedtime)["']?[^>]*?content\s*=\s*["']?"""
    r"""\s*(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})""", re.I)


def _published(html_text: str, text: str) -> str | None:
    """发布日期 printed near the top of the page (or anywhere), else the site's <meta PubDate>."""
    m = _PUBLISHED.search(text, 0, 4000) or _PUBLISHED.search(text) or _META_DATE.search(html_text, 0, 20000)
    if m:
        return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
    return None


def read_html(text: str, path: str) -> Document:
    """Parse an HTML page or fragment into TextLine and TableGrid blocks in document order."""
    if not text.strip():
        raise ReportError(path, "empty", "the page has no content")
    tree = LexborHTMLParser(text)
    root = tree.body or tree.root
    if root is None:
        raise ReportError(path, "corrupt", "no HTML body could be parsed")
    full = root.text(deep=True)
    layout = _layout_tables(root) if "<table" in text[text.find("<table") + 6:] else set()
    body, tds = _article_body(root, full, layout)
    walker = _Walker(layout, _CellIndex.of(body, text, tds))
    walker.walk(body)
    walker.flush()
    doc = Document(path=path, form="html", blocks=walker.blocks)
    doc.title = _title(tree, walker.blocks)
    published = _published(text, full)
    if published:
        doc.meta["published"] = published
    if not doc.blocks:
        raise ReportError(path, "empty", "no text or tables in the page body")
    return doc
