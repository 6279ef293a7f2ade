"""Document -> ParsedReport: split the stream into sections, read the three tables, find the
identity and hand the prose to the prose extractor."""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

from etl.document import Document, TextLine
from etl.errors import ReportError
from etl.model import ParsedReport
from etl.parse import conformance
from etl.parse.identity import detect_template, find_identity, template_warning
from etl.parse.items import Heading, Item, build_stream
from etl.parse.labels import match_group4, match_row
from etl.parse.prose import extract_figures
from etl.parse.table2 import section2_cells
from etl.parse.table3 import Table3, read_section3, section3_cells
from etl.parse.table4 import section4_cells
from etl.template import (
    SECTION3_HEADER_MARKERS,
    SECTION4_SUIT_HEADER,
    SECTION_NUMERALS,
    normalize_label,
    template_for_year,
)

_PROSE_SECTIONS = (None, "一", "六")

#: Rows of table 三 a document must print to be read as a report when no heading is found.
MIN_ROWS_WITHOUT_HEADINGS = 3


def _sections(stream: list[Item | Heading]) -> tuple[dict[str | None, list[Item]], list[str]]:
    out: dict[str | None, list[Item]] = {None: []}
    current: str | None = None
    seen: list[str] = []
    for x in stream:
        if isinstance(x, Heading):
            current = x.section
            seen.append(current)
            out.setdefault(current, [])
        else:
            out[current].append(x)
    return out, seen


def _section_items(stream: list[Item | Heading], sections: dict, number: str,
                   starts: Callable[[Item], bool],
                   ends: Callable[[Item], bool] = lambda x: False) -> list[Item]:
    """The items of section ``number``: under its heading, or — with no such heading (a bare
    table, a heading worded differently) — from the first item that ``starts`` it up to a later
    section's heading or an item that ``ends`` it."""
    if sections.get(number):
        return sections[number]
    later = SECTION_NUMERALS[SECTION_NUMERALS.index(number) + 1:]
    out: list[Item] = []
    started = False
    for x in stream:
        if isinstance(x, Heading):
            if started and x.section in later:
                break
            continue
        if not started and starts(x):
            started = True
        if started:
            if ends(x):
                break
            out.append(x)
    return out


_GRID_FORMS = ("html", "docx", "markdown")      # a table split in two is the document's own there
#: headings as the template words them, seen already: no finding (most reports print these)
_CLEAN_HEADINGS: set[tuple[str, str]] = set()


def _departures(doc: Document, stream: list[Item | Heading], seen: list[str], cells,
                table3: Table3) -> list[str]:
    """template_conformance findings about the sections: headings off the template's wording or
    numeral, tables read without their heading, table 三 printed as several tables."""
    out: list[str] = []
    for x in stream:
        if type(x) is Heading and (x.section, x.text) not in _CLEAN_HEADINGS:
            found = conformance.heading_findings(x.section, x.text, x.source)
            if found:
                out += found
            elif len(_CLEAN_HEADINGS) < 10_000:
                _CLEAN_HEADINGS.add((x.section, x.text))
    unseen = [(n, s) for n, s in (("二", "2"), ("三", "3"), ("四", "4")) if n not in seen]
    read = {c.section for c in cells if c.state not in ("absent", "unknown")} if unseen else ()
    for number, section in unseen:
        if section in read:
            where = next((c.source for c in cells if c.section == section and c.source), "")
            out.append(conformance.heading_missing(number, where))
    if doc.form in _GRID_FORMS and len(table3.tables) > 1:
        out.append(conformance.table_split(len(table3.tables), f"table {sorted(table3.tables)[1]}"))
    return out


def split_table4(items: list[Item]) -> tuple[list[Item], list[Item]]:
    """(table 三's items, table 四's items) of a stretch holding both: table 四 starts at the first
    item after a row of table 三 that names a section-四 group or the 行政诉讼 header and no row
    of table 三 (行政复议 / 行政诉讼 / 未经复议直接起诉 …)."""
    seen_row = False
    for i, x in enumerate(items):
        label = x.norm
        if not label:
            continue
        if seen_row and (match_group4(label) is not None or _SUIT_HEADER in label):
            return items[:i], items[i:]         # (its header may say 总计, as table 三's does)
        if match_row(label) is not None:
            seen_row = True
    return items, []


_SUIT_HEADER = normalize_label(SECTION4_SUIT_HEADER)
_TABLE3_MARKERS = tuple(normalize_label(m) for m in SECTION3_HEADER_MARKERS)


def _table3_starts(x: Item) -> bool:
    """Where table 三 starts without its heading: its header (the 勾稽关系 note, 申请人情况) or
    its first row."""
    label = x.norm
    return match_row(label) == "new_received" or any(m in label for m in _TABLE3_MARKERS)


def _prose_lines(stream: list[Item | Heading]) -> list[TextLine]:
    """Text of the prose sections, one TextLine per source line (a crawler line cut into label
    and run items is glued back together)."""
    lines: list[TextLine] = []
    current: str | None = None
    buf: list[str] = []
    key: tuple[str | None, int | None] | None = None     # (section, source line) of the text in buf
    line = 0
    page: int | None = None
    for x in stream:
        if isinstance(x, Heading):
            current = x.section
            continue
        if current not in _PROSE_SECTIONS or x.in_table:
            continue
        k = (current, x.line)
        if k != key and buf:
            lines.append(TextLine("".join(buf), line, page))
            buf = []
        key, line, page = k, x.line or 0, x.page
        buf.append(x.text)
    if buf:
        lines.append(TextLine("".join(buf), line, page))
    return lines


def parse_document(doc: Document, manifest: dict | None = None) -> ParsedReport:
    manifest = manifest or {}
    warnings: list[str] = list(doc.warnings)
    stream = build_stream(doc)
    sections, seen = _sections(stream)
    s3_items = _section_items(stream, sections, "三", starts=_table3_starts)
    s4_items = sections.get("四", [])
    if "四" not in seen:
        # no heading of section 四 (left out, or too far from any wording): table 四 is known by
        # its own header rows, printed after table 三 (never read as part of it)
        s3_items, s4_items = split_table4(s3_items)
    rows3 = read_section3(s3_items)
    # A document that merely mentions a row label (a notice, a README quoting 本年新收…) is not
    # a report: without any section heading it needs several rows of table 三 to count as one.
    if not seen and len(rows3) < MIN_ROWS_WITHOUT_HEADINGS:
        raise ReportError(doc.path, "not_a_report",
                          f"{len(rows3)} table 三 rows and no section headings of an annual report found")

    # identity ---------------------------------------------------------------------------
    ident = find_identity(
        doc.title, [x.text for x in stream[:12] if isinstance(x, Item) and not x.in_table],
        "\n".join(x.text for x in sections.get(None, [])[:40] + sections.get("一", [])[:20]),
        [b.text for b in doc.blocks[-8:] if isinstance(b, TextLine)], doc.meta)
    agency, year, title, source = ident.agency, ident.year, ident.title, ident.source
    for k in ("agency", "year", "agency_id", "region_path", "level"):
        if manifest.get(k) not in (None, ""):
            source[k] = "manifest"
    if manifest.get("agency"):
        agency = str(manifest["agency"])
    if manifest.get("year"):
        year = int(manifest["year"])

    # template: from what the tables print ------------------------------------------------
    s2_items = _section_items(stream, sections, "二", starts=lambda x: "第二十条" in x.norm,
                              ends=_table3_starts)
    table_text = "".join(x.norm for x in s2_items + s3_items)
    template, _ = detect_template(table_text)
    if template:
        source["template"] = "tables"
        w = template_warning(template, year)
        if w:
            warnings.append(w)
    else:
        template = template_for_year(year) if year else "2021"
        source["template"] = "year" if year else "default"
        warnings.append(f"template not recognisable from the tables; assumed {template}")

    # the prose first: what it states constrains digits run together in section 二
    lines = _prose_lines(stream)
    prose = extract_figures(lines) if lines else []

    cells = section2_cells(s2_items, template, warnings, prose)
    cells += section3_cells(rows3, template, warnings)
    cells4 = section4_cells(s4_items, warnings)
    if rows3.stray and all(c.state == "absent" for c in cells4):
        # values were printed that no row of table 三 took, and no table 四 was found: those
        # may be table 四's, misread — its cells are not known, not "not printed"
        note = f"{rows3.stray} value(s) printed outside any row of table 三; table 四 not recognised"
        cells4 = [replace(c, state="unknown", note=note) for c in cells4]
    cells += cells4
    for number in ("二", "三", "四"):
        if number not in seen:
            warnings.append(f"section {number} heading not found")
    warnings += _departures(doc, stream, seen, cells, rows3)

    return ParsedReport(file=doc.path, form=doc.form, agency=agency, year=year, template=template,
                        cells=cells, prose=prose, warnings=warnings, identity_source=source,
                        title=doc.title or title)
