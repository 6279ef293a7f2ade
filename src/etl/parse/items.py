"""Document -> a flat stream of label/value items and section headings.

Every input form ends up as the same thing: an ordered list of :class:`Item` (a label, possibly
empty, and the value tokens printed after it on the same line / table row) and
:class:`Heading` markers (``二``..``六``).  The section parsers never look at the form again.

* text lines: the value tokens are the longest run of whitespace-separated tokens at the end of
  the line that read as numbers or dashes (``一、本年新收…  21  0  0  0  0  0  21``); a line of
  only numbers is an item with an empty label; a label alone is an item without values.
* crawler dumps (cells concatenated, no reliable separators): the text is cut into label text
  and *runs* of digits; a run is one token whose cell boundaries are unknown (the digit solver
  decides).  A run ending in ``N.`` right before a label gives the ``N.`` back to that label
  (``00000002.其他法律…`` is ``0000000`` + ``2.其他法律…``).
* tables: a row's distinct source cells (``TableGrid.origin``; a colspan counts once) up to the
  last text cell are the label, the cells after it are the values (blank cells included).

Headings are found inside any label text (a crawler line holds the whole report), so a label
may be cut in two at a heading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from etl.document import Document, TableGrid, TextLine
from etl.parse.memo import memo_short
from etl.parse.values import is_value_token
from etl.template import SECTION_NUMERALS, SECTIONS, normalize_label


@dataclass(slots=True)
class Token:
    raw: str
    source: str
    run: bool = False               # digits of several cells run together (crawler dumps)
    col: int = -1                   # grid column of a table cell
    copy: bool = False              # a cell merged over rows, printed in a row above: not a value here


@dataclass(slots=True)
class Item:
    label: str                      # the label as printed ("" when the line holds only values)
    values: list[Token]
    source: str
    text: str                       # the original text of the line/segment (for prose)
    line: int | None = None
    page: int | None = None
    in_table: bool = False
    table: int = -1                 # TableGrid.index of a table row
    grid: list[str] | None = None   # a table row's cells by grid column (spans expanded)
    copies: bool = False            # a value is a copy of a cell merged from a row above
    _norm: str | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def norm(self) -> str:
        """normalize_label(label), computed when first asked: the prose lines (most of a
        report's text) are never matched against labels, and normalizing them cost more than
        reading the tables."""
        n = self._norm
        if n is None:
            n = self._norm = norm(self.label)
        return n


@dataclass(slots=True)
class Heading:
    section: str                    # "一".."六"
    text: str
    source: str


def _fragments_re() -> str:
    alts = []
    for s in SECTIONS:
        for frag in s.fragments:
            alts.append(re.escape(frag).replace("、", "[、,，]"))
    return "|".join(sorted(alts, key=len, reverse=True))


_FRAGS = _fragments_re()
# A section heading: a numeral and 、 (or a space, or （四）), at most a short prefix, then one of
# the section's fragments (四、政府信息公开行政复议、行政诉讼情况; 四、因政府信息公开申请行政复议…).
# "四、结转下年度继续办理" has no section-四 fragment, so it is never a heading.
_HEADING = re.compile(
    rf"(?:(?P<n1>[{SECTION_NUMERALS}])\s*(?:[、.．,，:：]|[ \t\u3000]+)"
    rf"|[（(]\s*(?P<n2>[{SECTION_NUMERALS}])\s*[)）])\s*"
    r"(?P<prefix>[^\d、。；;:：\n]{0,24}?)(?P<frag>" + _FRAGS + ")")
# A heading printed without its numeral: a short line that is little more than the fragment.
_BARE_HEADING = re.compile(r"^\s*[^\d、。；;:：,，\n]{0,10}?(?P<frag>" + _FRAGS + r")[^\d。；;]{0,6}$")
_FRAG_SECTION = {normalize_label(f): s.number for s in SECTIONS for f in s.fragments}
# a cheap pre-check: two characters of every fragment (情况, 事项, 问题, 复议)
_ANCHOR = re.compile("|".join(sorted({f[-2:] for s in SECTIONS for f in s.fragments})))
_HAS_NUMERAL = re.compile(rf"[{SECTION_NUMERALS}]\s*[、.．,，:：)）\s]")


@memo_short
def find_heading(text: str) -> tuple[int, int, str] | None:
    """(start, end, section number) of the first section heading in ``text``.  Memoised: every
    label of every report is looked at, and most are the template's own labels."""
    if not _ANCHOR.search(text):
        # every fragment ends in one of these; a short numbered line may still be a heading
        # with a typo in it
        return _near_heading(text) if len(text) <= _NEAR_MAX_LEN else None
    if _HAS_NUMERAL.search(text):
        for m in _HEADING.finditer(text):
            number = m.group("n1") or m.group("n2")
            if _FRAG_SECTION.get(norm(m.group("frag"))) == number:
                return m.start(), m.end(), number
    if len(text) <= 40:
        bare = _BARE_HEADING.match(text)
        if bare:
            return bare.start(), bare.end(), _FRAG_SECTION[norm(bare.group("frag"))]
    return _near_heading(text) if len(text) <= _NEAR_MAX_LEN else None


# A heading with a typo (四、政府信息公开行政法复议、行政诉讼情况) or the numeral of another section:
# a short line that is a numeral and words within two edits of one of a section's printed
# titles.  Table 三's numbered rows (四、结转下年度继续办理) are far from every title.
_NEAR_MAX_LEN = 48
_NUMBERED = re.compile(rf"^\s*(?:[{SECTION_NUMERALS}]\s*[、.．,，:：]?|[（(]\s*[{SECTION_NUMERALS}]\s*[)）])"
                       r"\s*(?P<words>\S.*)$")
_TITLES = tuple((normalize_label(t), s.number) for s in SECTIONS for t in s.titles)


#: words left on a heading's line after its fragment that still belong to it (及改进情况)
_HEADING_TAIL = 12
_SENTENCE = re.compile(r"[。；;，,！!？?]")


def _near_heading(text: str) -> tuple[int, int, str] | None:
    m = _NUMBERED.match(text)
    if m is None:
        return None
    words = norm(m.group("words"))
    best: list[tuple[int, str]] = []
    for title, number in _TITLES:
        limit = 2 if len(title) >= 8 else 1
        d = edit_distance(words, title, limit)
        if d <= limit:
            best.append((d, number))
    if not best:
        return None
    d = min(b[0] for b in best)
    numbers = {n for dd, n in best if dd == d}
    return (0, len(text.rstrip()), numbers.pop()) if len(numbers) == 1 else None


def edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance of two short strings, or limit + 1 once it exceeds ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        lo = i
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            lo = min(lo, cur[j])
        if lo > limit:
            return limit + 1
        prev = cur
    return prev[-1] if prev[-1] <= limit else limit + 1



# ---- text lines ------------------------------------------------------------------------------

def _src_line(line: int, page: int | None) -> str:
    return f"line {line}" + (f" p{page}" if page else "")


@memo_short
def norm(label: str) -> str:
    """normalize_label, memoised: the template's labels repeat across every report."""
    return normalize_label(label)


def _line_item(tl: TextLine) -> Item:
    text = tl.text
    source = f"line {tl.line} p{tl.page}" if tl.page else f"line {tl.line}"     # (_src_line, inlined)
    stripped = text.strip()
    if " " not in stripped and "\t" not in stripped and "\u3000" not in stripped \
            and "\xa0" not in stripped:
        # one cell per line (flattened text): a value or a label, nothing to split
        if is_value_token(stripped):
            return Item("", [Token(stripped, source)], source, text, tl.line, tl.page)
        return Item(stripped, [], source, text, tl.line, tl.page)
    if "\t" in stripped:
        return _tab_item(tl, stripped.split("\t"), source)
    if "|" in stripped or "│" in stripped or "┃" in stripped:
        # a table drawn with bars (copied from Word/PDF, or Markdown without rules)
        return _tab_item(tl, _BARS.split(stripped.strip("|│┃ ")), source)
    parts = text.split()
    k = len(parts)
    while k > 0 and is_value_token(parts[k - 1]):
        k -= 1
    if k == len(parts):
        label, values = text.strip(), []
    else:
        label = " ".join(parts[:k])
        values = [Token(p, source) for p in parts[k:]]
    return Item(label, values, source, text, tl.line, tl.page)


_BARS = re.compile(r"[|│┃]")


def _tab_item(tl: TextLine, fields: list[str], source: str) -> Item:
    """A table row copied with one separator (tab, bar) between cells: an empty field is a
    blank cell (kept), except at the end of the line, where a trailing tab proves nothing."""
    fields = [f.strip() for f in fields]
    k = len(fields)
    while k > 0 and (not fields[k - 1] or is_value_token(fields[k - 1].replace(" ", ""))):
        k -= 1
    values = fields[k:]
    while values and not values[-1]:
        values.pop()
    if not any(values):
        values = []
    label = " ".join(f for f in fields[:k] if f)
    return Item(label, [Token(v, source) for v in values], source, tl.text,
                tl.line, tl.page)


# Crawler runs: digits with spaces between them; a dot only inside a decimal number.
_RUN = re.compile(r"[-－]?[0-9０-９](?:[0-9０-９ \t\u00a0\u3000]|[.．](?=[0-9０-９])|[-－](?=[0-9０-９]))*")
_LABEL_NUMBER_AFTER = re.compile(r"[.．、][^\d\s.．]")


def _run_items(tl: TextLine) -> list[Item]:
    """Cut a crawler line into (label, run) items."""
    text = tl.text
    source = _src_line(tl.line, tl.page)
    out: list[Item] = []
    label_start = 0
    pos = 0
    for m in _RUN.finditer(text):
        start, end = m.span()
        if start < pos:
            continue
        run = m.group()
        after = text[end:end + 2]
        # "…00000002.其他法律" — the last digit and its dot number the next label
        if _LABEL_NUMBER_AFTER.match(after) and run.rstrip() == run:
            end -= 1
            run = run[:-1]
        if not run.strip():
            continue
        label = text[label_start:start]
        out.append(Item(label.strip(), [Token(run.strip(), source, run=True)],
                        source, text[label_start:end], tl.line, tl.page))
        label_start = pos = end
    rest = text[label_start:]
    if rest.strip():
        out.append(Item(rest.strip(), [], source, rest, tl.line, tl.page))
    return out


# ---- tables ----------------------------------------------------------------------------------

def _table_items(t: TableGrid) -> list[Item]:
    """One item per non-empty row: the label cells, then the value cells as Tokens.  Hot path
    for HTML/DOCX (≈45 rows and ≈200 value cells a report)."""
    out: list[Item] = []
    is_value = is_value_token.cache.get      # a warm-cache peek; a miss takes the slow path
    origin = t.origin or []
    n_origin = len(origin)
    pages = t.pages or []
    n_pages = len(pages)
    widths = t.widths
    for r, row in enumerate(t.rows):
        page = pages[r] if r < n_pages else t.page
        if widths is not None and widths[r] < len(row):
            row = row[:widths[r]]                       # padding the reader added: not cells
        # distinct source cells: a span repeated over grid columns is one cell (a colspan's
        # columns are adjacent, so comparing with the left neighbour is enough)
        orow = origin[r] if r < n_origin else None
        if orow is not None and len(orow) != len(row):
            orow = orow[:len(row)]
        copied = None
        if orow is not None and len(orow) == len(row):
            cells = []
            prev = None
            for c, key in enumerate(orow):
                if key != prev:
                    cells.append((c, row[c].strip()))
                    prev = key
                    if key[0] != r:                    # (a rowspan's cell from a row above)
                        copied = (copied or set()) | {c}
        else:
            cells = [(c, cell.strip()) for c, cell in enumerate(row)]
        # the label ends at the last cell that is text (not a number, a dash or blank):
        # scanning from the right stops there, so the label cells are never classified
        last_text = len(cells) - 1
        while last_text >= 0:
            cell = cells[last_text][1]
            if cell:
                v = is_value(cell)
                if v is None:
                    v = is_value_token(cell if " " not in cell else cell.replace(" ", ""))
                if not v:
                    break
            last_text -= 1
        label = " ".join([cell for _, cell in cells[:last_text + 1] if cell])
        rest = cells[last_text + 1:]
        if not label and not any([cell for _, cell in rest]):
            continue                                    # an empty row
        src_row = f"table {t.index} r{r}"
        pg = f" p{page}" if page else ""
        # "table 2 r5 c3 p4": the row's part formatted once, not once per value cell
        cell_src = src_row + " c"
        values = [Token(cell, cell_src + str(c) + pg, False, c) for c, cell in rest]
        copies = False
        if copied:
            # one printed cell is one value: a value cell merged over several rows belongs to
            # the row it starts in; below, its copy is no value of that row
            for tok in values:
                tok.copy = tok.col in copied
                copies = copies or tok.copy
        # (text: table cells are never prose, so the label stands for the row's text)
        out.append(Item(label, values, src_row + pg, label, t.line, page,
                        True, t.index, row, copies))
    return out


# ---- the stream ------------------------------------------------------------------------------

def _split_headings(item: Item, out: list, current: list[int]) -> None:
    """Append ``item`` to ``out``, cut at any section heading inside its label.  Sections only
    move forward, so a heading-like phrase of an earlier section is left in the label."""
    label = item.label
    offset = 0
    changed = False
    while label:
        found = find_heading(label[offset:])
        if not found:
            break
        start, end, number = found
        start, end = start + offset, end + offset
        order = SECTION_NUMERALS.index(number)
        if order <= current[0]:
            offset = end
            continue
        before = label[:start]
        if before.strip():
            out.append(Item(before.strip(), [], item.source, before,
                            item.line, item.page, item.in_table))
        rest = label[end:]
        if not item.values and rest.strip() and len(rest.strip()) <= _HEADING_TAIL \
                and not _SENTENCE.search(rest):
            end = len(label)                # the heading's own last words (…及改进情况)
        out.append(Heading(number, label[start:end], item.source))
        current[0] = order
        label, offset, changed = label[end:], 0, True
    if changed:
        idx = item.text.rfind(label) if label else -1
        # (a new Item, fields as given: dataclasses.replace costs several times more)
        item = Item(label.strip(), item.values, item.source, item.text[idx:] if idx >= 0 else label,
                    item.line, item.page, item.in_table, item.table, item.grid, item.copies)
    if item.label or item.values:
        out.append(item)


def build_stream(doc: Document) -> list[Item | Heading]:
    out: list[Item | Heading] = []
    append = out.append
    current = [-1]                                       # index of the current section numeral
    crawler = doc.form == "crawler"
    values_item: Item | None = None                      # the open run of value-only lines
    is_value = is_value_token.cache.get      # a warm-cache peek; a miss takes the slow path
    for b in doc.blocks:
        if type(b) is TextLine and not crawler:
            text = b.text
            s = text.strip()
            if not s:
                if text:                           # the reader's blank-cell line (&nbsp;)
                    src = f"line {b.line} p{b.page}" if b.page else f"line {b.line}"
                    values_item = Item("", [Token("", src)], src, text, b.line, b.page)
                    append(values_item)
                continue
            # hot path (one cell per line): a bare value needs no label work at all; the values
            # of consecutive lines join one item (they are one row's cells)
            if is_value(s) and " " not in s:
                src = f"line {b.line} p{b.page}" if b.page else f"line {b.line}"
                if values_item is not None and values_item.page == b.page:
                    values_item.values.append(Token(s, src))
                else:
                    values_item = Item("", [Token(s, src)], src, text, b.line, b.page)
                    append(values_item)
                continue
            values_item = None
            it = _line_item(b)
            # (find_heading is a memo lookup; most labels hold no heading and go straight in)
            if it.label and current[0] < 5 and find_heading(it.label) is not None:
                _split_headings(it, out, current)
            else:
                append(it)
            if not it.label:
                values_item = it
            continue
        values_item = None
        if type(b) is TextLine:
            if not b.text.strip():
                continue
            items = _run_items(b)
        else:
            items = _table_items(b)
        for it in items:
            if it.label and current[0] < 5 and find_heading(it.label) is not None:
                _split_headings(it, out, current)
            else:
                append(it)
    return out
