"""Plain text in its several real shapes -> Document.

Forms (``doc.form``), detected from the text itself:

* ``crawler``     — a crawler's page dump: ``标题: …`` / ``发布时间: …`` / ``原文链接: …`` header, a
  ``==== 正文 ====`` line, then the body (table cells run together);
* ``markdown``    — PDF->Markdown / OCR output: ``#`` headings and ``| a | b |`` pipe tables
  (each pipe table becomes a TableGrid; ``|---|`` rules are dropped);
* ``layout_text`` — PDF layout text: form feeds between pages, columns aligned by runs of spaces;
* ``flat_text``   — copied from a web page: one cell per line, blank lines between cells;
* ``run_text``    — PDF text one run per line (no alignment, no blank lines).

Page numbers printed as lines (``-3-``, ``第3页``, ``3/12``) are dropped; form feeds and page-number
lines advance the page counter, so every TextLine knows its page where the source had pages.
"""

from __future__ import annotations

import re

from etl.document import Document, TableGrid, TextLine

_PAGE_NUMBER = re.compile(
    r"^\s*(?:[-－—–]\s*\d{1,3}\s*[-－—–]|第\s*\d{1,3}\s*页(?:\s*[,，/]?\s*共\s*\d{1,3}\s*页)?"
    r"|\d{1,3}\s*/\s*\d{1,3})\s*$")
_PAGE_NUMBER_LINE = re.compile(r"^[ \t\u3000]*(?:[-－—–][ \t]*\d{1,3}[ \t]*[-－—–]|第[ \t]*\d{1,3}[ \t]*页"
                               r"|\d{1,3}[ \t]*/[ \t]*\d{1,3})", re.M)
#: The text of a TextLine that stands for a blank table cell (a copied &nbsp; cell).
BLANK_CELL = "\u00a0"
_BLANK_CELL = re.compile(r"^[\u00a0\u3000]+[ \t]*$")
_BODY_MARK = re.compile(r"^\s*={3,}\s*正文\s*={3,}\s*$")
_BODY_MARK_ANY = re.compile(r"^[ \t]*={3,}[ \t]*正文[ \t]*={3,}[ \t]*\r?$", re.M)
_META_LINE = re.compile(r"^\s*([^:：\s]{1,8})\s*[:：]\s*(.*)$")
_META_KEYS = {"标题": "title", "发布时间": "published", "原文链接": "url", "发布机构": "publisher",
              "文号": "doc_number", "栏目": "column", "本地目录": "local_dir", "来源": "source",
              "索引号": "index_number", "成文日期": "written"}
_EMPHASIS = re.compile(r"\*\*|__|`")
_BARE_NUMBER = re.compile(r"^\s*\d{1,3}\s*$")
_PIPE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_ALIGNED_ANY = re.compile(r"\S {3,}\S")            # columns aligned by spaces


def detect_form(text: str, lines: list[str] | None = None) -> str:
    head = text[:3000]
    # (the literal checks first: a multi-line regex tried at every position of the text costs
    # more than the rest of the detection)
    if ("正文" in head and _BODY_MARK_ANY.search(head) is not None) or (
            "标题" in head[:200] and "原文链接" in head):
        return "crawler"
    if lines is None:
        lines = text.split("\n")
    if not text.strip():
        return "flat_text"
    pipe = text.count("\n|") + text.count("\n |")
    if pipe >= 2 and any(_PIPE_RULE.match(ln) for ln in lines if "--" in ln):
        return "markdown"
    # blank lines: empty or whitespace only ("".isspace() is False, so the two never overlap;
    # counted in C rather than by a Python loop over every line)
    n_nonblank = len(lines) - lines.count("") - sum(map(str.isspace, lines))
    if "\f" in text or ("   " in text
                         and len(_ALIGNED_ANY.findall(text)) >= max(5, n_nonblank // 10)):
        return "layout_text"
    if len(lines) - n_nonblank >= n_nonblank * 0.6:
        return "flat_text"
    return "run_text"


def read_text(text: str, path: str) -> Document:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.split("\n")
    form = detect_form(text, lines)
    doc = Document(path=path, form=form)
    first = 0
    if form == "crawler":
        first = _read_crawler_header(lines, doc)
    if form == "markdown":
        _read_markdown(lines, doc)
    else:
        _read_lines(lines, first, doc, text if first == 0 else None)
    if doc.title is None and doc.meta.get("title"):
        doc.title = doc.meta["title"]
    return doc


def _read_crawler_header(lines: list[str], doc: Document) -> int:
    for i, ln in enumerate(lines[:60]):
        if _BODY_MARK.match(ln):
            return i + 1
        m = _META_LINE.match(ln)
        if m:
            key = _META_KEYS.get(m.group(1), m.group(1))
            if m.group(2).strip():
                doc.meta[key] = m.group(2).strip()
    return 0


def _read_lines(lines: list[str], first: int, doc: Document, body: str | None = None) -> None:
    # with form feeds, those mark the pages and page-number lines are only dropped
    if body is None:
        body = "\n".join(lines[first:])
    paged = "\f" in body
    if not paged and not _has_page_number_line(body):
        # no page marks at all (copied web text): every non-blank line, page unknown
        # a line holding only a no-break space is a table cell copied from &nbsp;: a blank
        # cell, kept as such (empty separator lines are dropped)
        doc.blocks.extend([
            TextLine(raw.rstrip() or BLANK_CELL, i, None)
            for i, raw in enumerate(lines[first:], first + 1)
            if raw and (not raw.isspace() or _BLANK_CELL.match(raw))])
        return
    page = 1
    start = len(doc.blocks)
    for i in range(first, len(lines)):
        raw = lines[i]
        if "\f" in raw:
            # a form feed starts a new page; text after it is on that page.  A bare number
            # closing the page before it is that page's number (a footer "3"), not a cell.
            _drop_bare_page_number(doc.blocks, start, page)
            page += raw.count("\f")
            raw = raw.replace("\f", "")
        s = raw.strip()
        if not s:
            if raw and _BLANK_CELL.match(raw):
                doc.blocks.append(TextLine(BLANK_CELL, i + 1, page))
            continue
        if len(s) <= 16 and _PAGE_NUMBER.match(s):
            if not paged:                # page-number lines are the only page marks here
                page += 1
            continue
        doc.blocks.append(TextLine(raw.rstrip(), i + 1, page))


# Every page-number form contains one of these (-3-, 第3页, 3/12): text without any of them
# has no page-number line, and the multi-line regex (tried at every line) is not needed.
_PAGE_NUMBER_CHARS = "-－—–页/"


def _has_page_number_line(body: str) -> bool:
    if not any(ch in body for ch in _PAGE_NUMBER_CHARS):
        return False
    return _PAGE_NUMBER_LINE.search(body) is not None


def _drop_bare_page_number(blocks: list, start: int, page: int) -> None:
    if len(blocks) > start:
        last = blocks[-1]
        if last.page == page and _BARE_NUMBER.match(last.text) and int(last.text) == page:
            blocks.pop()


def _split_pipe(line: str) -> list[str]:
    s = line.strip()
    if s.startswith("|"):
        s = s[1:]
    if s.endswith("|"):
        s = s[:-1]
    # OCR Markdown bolds some cells (**705**): the emphasis is not part of the cell
    return [_EMPHASIS.sub("", c).strip() for c in s.split("|")]


def _read_markdown(lines: list[str], doc: Document) -> None:
    table: list[list[str]] = []
    table_line = 0
    n_tables = 0

    def flush() -> None:
        nonlocal table, n_tables
        if table:
            width = max(len(r) for r in table)
            rows = [r + [""] * (width - len(r)) for r in table]
            widths = [len(r) for r in table]
            doc.blocks.append(TableGrid(rows=rows, index=n_tables, line=table_line,
                                        widths=widths if min(widths) < width else None))
            n_tables += 1
            table = []

    for i, raw in enumerate(lines):
        s = raw.strip()
        if s.startswith("|"):
            if not table:
                table_line = i + 1
            if not _PIPE_RULE.match(s):
                table.append(_split_pipe(s))
            continue
        flush()
        if not s or _PAGE_NUMBER.match(s):
            continue
        doc.blocks.append(TextLine(_EMPHASIS.sub("", s.lstrip("#")).strip(), i + 1, None))
    flush()
