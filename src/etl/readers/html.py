"""HTML pages (and HTML fragments) → Document.

Government sites wrap the report in site chrome (navigation, breadcrumbs, "无障碍" toolbars,
footers with ICP lines).  We (1) drop the tags that never hold report text, (2) find the article
body — the lowest element around the report's biggest table that also holds the section
headings found on the page — and (3) walk it in document order: block elements and ``<br>`` end a
visual line (one TextLine each), leaf tables become TableGrids with spans expanded, tables that
contain tables are layout tables and are walked through like ``<div>``s.  Short chrome lines left
inside the body (打印本页, 关闭窗口, 分享到 …) are dropped by pattern.

selectolax (lexbor) is used because the parser must reach ≥ 1,000 seed-sized pages/s including
this reader; lxml would work but is several times slower to build a tree.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

from etl.document import Document, TableGrid, TextLine
from etl.errors import ReportError
from etl.readers.grid import SourceCell, absorb_blank_label_cells, clean_cell, clean_text, expand_spans

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
# Section headings that mark where the report is; the article body must contain those present.
_BODY_MARKERS = ("总体情况", "其他需要报告")
# Whole lines that are site chrome, not report text.  Anchored patterns only match short lines,
# so prose that mentions e.g. 无障碍改造 in a sentence is kept.
_CHROME_ANYWHERE = re.compile(r"ICP备|ICP证|公网安备|网站标识码|版权所有|Copyright|©")
_CHROME_START = re.compile(
    r"^[【\[（(]?\s*(主办单位|承办单位|主办[:：]|承办[:：]|技术支持|网站地图|联系我们|无障碍|长者模式|"
    r"适老化|打印本页|打印|关闭窗口|关闭|分享到|分享|字号|字体|上一篇|下一篇|返回顶部|"
    r"收藏|扫一扫|浏览次数|访问量|点击数|当前位置|您的位置|首页\s*[>＞›»])"
)
_CHROME_MAX_LEN = 60
_PUBLISHED = re.compile(
    r"(?:发布日期|发布时间|发文日期|公开日期|日期)\s*[:：]\s*(\d{4})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})"
)
_TITLE_SPLIT = re.compile(r"\s*[_|｜—–-]{1,2}\s*")
_CENTER = re.compile(r"text-align\s*:\s*center", re.I)
_BOLD = re.compile(r"font-weight\s*:\s*(bold|[6-9]00)", re.I)


def is_chrome_line(text: str) -> bool:
    if _CHROME_ANYWHERE.search(text):
        return len(text) <= 200          # a long paragraph quoting "版权所有" is still prose
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


def _has_nested_table(table: LexborNode) -> bool:
    # lexbor's css() matches the node itself too, so a leaf table finds exactly one "table"
    return len(table.css("table")) > 1


def _table_rows(table: LexborNode) -> list[list[SourceCell]]:
    rows: list[list[SourceCell]] = []
    for tr in table.css("tr"):
        cells: list[SourceCell] = []
        for td in tr.iter():
            tag = td.tag
            if tag != "td" and tag != "th":
                continue
            # Lines inside a cell (<br>, <p>) are glued: Chinese wraps without spaces, and a
            # number split over Word's runs (<span>1</span><span>2</span>) must stay one number.
            attrs = td.attributes
            cells.append(SourceCell(clean_cell(td.text(deep=True)),
                                    _span(attrs.get("rowspan")), _span(attrs.get("colspan"))))
        rows.append(cells)
    return rows


def _span(value: str | None) -> int:
    if not value:
        return 1
    if value.isdigit():
        return int(value)
    digits = re.match(r"\s*(\d+)", value)         # "2 ", "3px" and other sloppy spans
    return int(digits.group(1)) if digits else 1


class _Walker:
    def __init__(self) -> None:
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
                self.acc.parts.append(child.text_content)
            elif tag == "br":
                self.flush()
            elif tag in _DROP_TAGS or tag == "-comment":
                continue
            elif tag == "table" and not _has_nested_table(child):
                self.flush()
                self.table(child)
            elif tag in _BLOCK_TAGS:
                self.flush()
                self.walk(child)
                self.flush()
            else:
                self.walk(child)

    def table(self, table: LexborNode) -> None:
        caption = table.css_first("caption")
        if caption is not None:
            self.acc.parts.append(caption.text(deep=True))
            self.flush()
        rows = _table_rows(table)
        if sum(len(r) for r in rows) <= 1:
            # a one-cell box drawn around text: it is text, not a table
            for line in (c.text for r in rows for c in r):
                self.acc.parts.append(line)
                self.flush()
            return
        grid = absorb_blank_label_cells(expand_spans(rows, index=self.n_tables, line=len(self.blocks) + 1))
        self.n_tables += 1
        self.blocks.append(grid)


def _article_body(root: LexborNode, full: str) -> LexborNode:
    """The lowest element around the page's biggest leaf table holding every section marker.

    Falls back to ``root`` when the page has no table (prose-only pages are walked whole and
    cleaned line by line)."""
    leaf_tables = [t for t in root.css("table") if not _has_nested_table(t)]
    if not leaf_tables:
        return root
    anchor = max(leaf_tables, key=lambda t: len(t.css("td")) + len(t.css("th")))
    markers = [m for m in _BODY_MARKERS if m in full]
    node = anchor.parent
    while node is not None and node is not root:
        text = node.text(deep=True)
        if all(m in text for m in markers):
            return node
        node = node.parent
    return root


def _title(tree: LexborHTMLParser, body: LexborNode) -> str | None:
    # The first centred or bold heading that names a report; then h1/h2; then <title>.
    for node in body.css("p, div, h1, h2, h3, strong, b, span, td"):
        style = node.attributes.get("style") or ""
        align = (node.attributes.get("align") or "").lower()
        centred = align == "center" or bool(_CENTER.search(style))
        bold = node.tag in ("h1", "h2", "h3", "strong", "b") or bool(_BOLD.search(style))
        if not (centred or bold):
            continue
        text = clean_text(node.text(deep=True))
        if "报告" in text and 6 <= len(text) <= 80:
            return text
    for meta_name in ("ArticleTitle", "title"):
        meta = tree.css_first(f'meta[name="{meta_name}"]')
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


def _published(tree: LexborHTMLParser, text: str) -> str | None:
    for name in ("PubDate", "pubdate", "publishdate", "firstpublishedtime"):
        meta = tree.css_first(f'meta[name="{name}"]')
        if meta is not None:
            m = re.match(r"\s*(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})", meta.attributes.get("content") or "")
            if m:
                return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
    m = _PUBLISHED.search(text)
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
    body = _article_body(root, full)
    walker = _Walker()
    walker.walk(body)
    walker.flush()
    doc = Document(path=path, form="html", blocks=walker.blocks)
    doc.title = _title(tree, root)
    published = _published(tree, full)
    if published:
        doc.meta["published"] = published
    if not doc.blocks:
        raise ReportError(path, "empty", "no text or tables in the page body")
    return doc
