"""Real reports re-printed in the layout classes: the same numbers, the way other publishing
systems would have printed them.  The measure the generated corpus cannot give: real text,
real tables, real quirks, under each layout class (docs/layouts.md).

Each variant takes a real document's text and returns it printed otherwise, or None when the
document has nothing the variant applies to; the truth of the original holds for every variant
(only where and how the numbers are printed changes).  Deterministic: no randomness.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from etl.template import SECTION3_COLUMN_KEYS, SECTIONS

Variant = Callable[[str], str | None]
_REVIEW_HEADING = re.compile(r"四\s*[、.]\s*(?:政府信息公开)?行政复议[、,，和]\s*行政诉讼情况")
_TITLE_LINE = re.compile(r"^.{0,40}(?:19|20)\d{2}\s*年度?.{0,30}?报告\s*$", re.M)


# ---- every form ------------------------------------------------------------------------------

def heading_typo(text: str) -> str | None:
    """Section 四's heading with a character too many (政府信息公开行政法复议、行政诉讼情况: the
    real Word-export page of issue 9)."""
    m = _REVIEW_HEADING.search(text)
    if not m:
        return None
    words = m.group()
    at = words.index("行政复议") + 2
    return text[:m.start()] + words[:at] + "法" + words[at:] + text[m.end():]


def heading_missing(text: str) -> str | None:
    """Section 四 printed without its heading: its table follows table 三 directly."""
    m = _REVIEW_HEADING.search(text)
    if not m:
        return None
    return text[:m.start()] + text[m.end():]


def no_title(text: str) -> str | None:
    """The title lines left out (the site shows it in chrome the copy lost)."""
    out, n = _TITLE_LINE.subn("", text, count=2)
    return out if n else None


# ---- HTML ------------------------------------------------------------------------------------

_TR = re.compile(r"<tr\b[^>]*>.*?</tr>", re.S | re.I)
_LAST_TD = re.compile(r"<td\b(?P<attrs>[^>]*)>(?![\s\S]*<td\b)", re.I)
_COLSPAN = re.compile(r"colspan\s*=\s*[\"']?(\d+)[\"']?", re.I)


def word_export(html: str) -> str | None:
    """Word's "save as web page": the last cell of every other row spans one column past the
    table's right edge (the reader then pads the other rows)."""
    count = [0]

    def widen(m: re.Match) -> str:
        count[0] += 1
        row = m.group()
        if count[0] % 2:
            return row
        last = _LAST_TD.search(row)
        if not last:
            return row
        attrs = last.group("attrs")
        span = _COLSPAN.search(attrs)
        new = (_COLSPAN.sub(f'colspan="{int(span.group(1)) + 1}"', attrs, count=1) if span
               else attrs + ' colspan="2"')
        return row[:last.start()] + f"<td{new}>" + row[last.end():]

    out = _TR.sub(widen, html)
    return out if count[0] else None


# ---- Markdown --------------------------------------------------------------------------------

def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _is_number(cell: str) -> bool:
    return bool(re.fullmatch(r"[\d０-９]+|[-—/]|", cell.strip()))


def loose_labels(md: str) -> str | None:
    """PDF-to-Markdown losing table 三's label column: every row of seven numbers keeps only
    them, its label goes to a loose line before the table it sat in."""
    lines = md.split("\n")
    start = next((i for i, ln in enumerate(lines) if "收到和处理政府信息公开申请情况" in ln), None)
    end = next((i for i, ln in enumerate(lines) if _REVIEW_HEADING.search(ln)), len(lines))
    if start is None:
        return None
    out, moved, table_start = lines[:start], 0, None
    pending: list[str] = []
    for i in range(start, end):
        ln = lines[i]
        if ln.lstrip().startswith("|"):
            if table_start is None:
                table_start = len(out)
            cells = _cells(ln)
            if len(cells) == len(SECTION3_COLUMN_KEYS) + 1 and cells[0] and not _is_number(cells[0]) \
                    and all(_is_number(c) for c in cells[1:]) and any(c.strip() for c in cells[1:]):
                pending.append(cells[0])
                out.append("| " + " | ".join(cells[1:]) + " |")
                moved += 1
                continue
            out.append(ln)
            continue
        if table_start is not None and pending:
            out[table_start:table_start] = pending + [""]
        table_start, pending = None, []
        out.append(ln)
    if table_start is not None and pending:
        out[table_start:table_start] = pending + [""]
    return "\n".join(out + lines[end:]) if moved else None


def flat_table4(md: str) -> str | None:
    """Table 四 as one row of fifteen numbers under a header whose words came out of order."""
    m = _REVIEW_HEADING.search(md)
    if not m:
        return None
    after = md[m.end():]
    stop = re.search(r"\n#*\s*五\s*[、.]", after)
    body = after[:stop.start()] if stop else after
    values = [c for ln in body.split("\n") if ln.strip().startswith("|") and not ln.strip().startswith("|-")
              for c in _cells(ln) if _is_number(c) and c.strip()]
    if len(values) != 15:
        return None
    words = ["总计", "结果纠正", "尚未审结", "结果维持", "其他结果"] * 3
    table = "\n" + "| " + " | ".join(words) + " |\n|" + "---|" * 15 + "\n| " + " | ".join(values) + " |\n"
    return md[:m.end()] + "\n" + table + (after[stop.start():] if stop else "")


# ---- which variants a real file gets ---------------------------------------------------------

_BY_SUFFIX: dict[str, tuple[tuple[str, Variant], ...]] = {
    ".html": (("word_export", word_export), ("heading_typo", heading_typo),
              ("heading_missing", heading_missing)),
    ".md": (("loose_labels", loose_labels), ("flat_table4", flat_table4),
            ("heading_typo", heading_typo), ("heading_missing", heading_missing),
            ("no_title", no_title)),
    ".txt": (("heading_typo", heading_typo), ("heading_missing", heading_missing),
             ("no_title", no_title)),
}


def variants_of(path: Path) -> list[tuple[str, str]]:
    """[(variant name, text)] for a real report's file (text forms; PDFs have their .txt)."""
    makers = _BY_SUFFIX.get(path.suffix.lower(), ())
    if not makers:
        return []
    text = path.read_text(encoding="utf-8")
    out = []
    for name, make in makers:
        new = make(text)
        if new is not None and new != text:
            out.append((name, new))
    return out


assert SECTIONS[3].number == "四"            # (the variants above edit section 四's heading)
