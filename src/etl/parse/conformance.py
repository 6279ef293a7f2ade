"""Where a report departs from the template: what the parser tolerated, reported so an office
can see it (the ``template_conformance`` rule, severity warning).

Each finding is one line of the report's warnings — ``template_conformance {json}`` with the
kind, the text as printed, the template's text and where — which the rule's SQL turns into
``validation_issues`` rows.  Precision first: only what the parser recognised as a heading or a
row of a table counts, never chrome, footers or prose; and only a departure the parser can be
sure of (a row label is a departure when it neither contains the template's wording nor is a
piece of it: wrapped or shortened labels are not reported).

Kinds: ``heading_typo`` (a heading recognised only as close to the template's wording),
``heading_numeral`` (a heading under another section's numeral), ``heading_missing`` (a table
read without its section's heading), ``row_label`` (a row label reworded), ``old_other_row``
(the 2019 single (六)其他处理 row on a 2021-template report), ``table_split`` (table 三 printed as
more than one table).
"""

from __future__ import annotations

import json
import re

from etl.parse.items import edit_distance
from etl.parse.memo import memo_short
from etl.template import (
    SECTION3_GROUPS,
    SECTION3_ROWS,
    SECTION_NUMERALS,
    SECTIONS,
    normalize_label,
    section3_row,
)

PREFIX = "template_conformance "

_NUMBERED = re.compile(rf"^\s*(?:(?P<n1>[{SECTION_NUMERALS}])\s*[、.．,，:：]?"
                       rf"|[（(]\s*(?P<n2>[{SECTION_NUMERALS}])\s*[)）])")
_SECTION = {s.number: s for s in SECTIONS}
_FRAGMENTS = {s.number: tuple(normalize_label(f) for f in s.fragments) for s in SECTIONS}
_TITLES = {s.number: tuple(normalize_label(t) for t in s.titles) for s in SECTIONS}
# the numbering in front of a row label: 一、 (一) 1. 1、 and group captions glued before a sub-row
_ROW_PREFIX = re.compile(r"^(?:[一二三四五六七八九十]+[,.、]|\([一二三四五六七八九十]\)|\d{1,2}[.,、]?)+")


def finding(kind: str, printed: str, template: str, source: str) -> str:
    """The warning line of one finding."""
    data = {"kind": kind, "printed": " ".join(printed.split())[:200], "template": template,
            "source": source}
    return PREFIX + json.dumps(data, ensure_ascii=False)


def findings_of(warnings: list[str]) -> list[dict]:
    """The findings among a report's warnings."""
    return [json.loads(w[len(PREFIX):]) for w in warnings if w.startswith(PREFIX + "{")]


def template_heading(number: str) -> str:
    return f"{number}、{_SECTION[number].titles[0]}"


def heading_findings(number: str, printed: str, source: str) -> list[str]:
    """A recognised heading printed under another numeral, or with its words off the template's."""
    return [finding(kind, printed, template_heading(number), source)
            for kind in _heading_departures(printed, number)]


@memo_short
def _heading_departures(printed: str, number: str) -> tuple[str, ...]:
    """Memoised: headings are mostly the template's own words, in every report."""
    out = []
    m = _NUMBERED.match(printed)
    numeral = m and (m.group("n1") or m.group("n2"))
    if numeral and numeral != number:
        out.append("heading_numeral")
    words = normalize_label(printed[m.end():] if m else printed)
    if words in _TITLES[number]:
        return tuple(out)
    # a typo: a character or two off one of the section's printed wordings (a heading worded
    # otherwise, around one of the section's fragments, is a variant, not a departure)
    near = min(edit_distance(words, t, 2) for t in _TITLES[number])
    if near <= 2 or not any(f in words for f in _FRAGMENTS[number]):
        out.append("heading_typo")
    return tuple(out)


def heading_missing(number: str, source: str) -> str:
    return finding("heading_missing", "", template_heading(number), source)


def _core(label: str) -> str:
    return _ROW_PREFIX.sub("", normalize_label(label))


def row_label_finding(key: str, printed: str, source: str) -> str | None:
    """A row label reworded: neither holding the template's words nor a piece of them."""
    if not _reworded(printed, key):
        return None
    return finding("row_label", printed, section3_row(key).label, source)


@memo_short
def _reworded(printed: str, key: str) -> bool:
    mine, theirs = _core(printed), _core(section3_row(key).label)
    if not mine or not theirs or theirs in mine or mine in theirs:
        return False
    # a group caption glued in front (（三）不予公开1.属于国家秘密): judge the sub-row's own words
    for words in SECTION3_GROUPS.values():
        for w in words:
            w = normalize_label(w)
            if mine.startswith(w) and (_core(mine[len(w):]) in theirs or theirs in _core(mine[len(w):])):
                return False
    return True


_OTHER_GROUP = section3_row("other_other").group or ""
_SINGLE_OTHER = _OTHER_GROUP + SECTION3_GROUPS[_OTHER_GROUP][0]
_OTHER_SUBROWS = f"{_SINGLE_OTHER}: " + "; ".join(
    r.label for r in SECTION3_ROWS if r.group == _OTHER_GROUP)


def old_other_row(source: str) -> str:
    return finding("old_other_row", _SINGLE_OTHER, _OTHER_SUBROWS, source)


def table_split(n_tables: int, source: str) -> str:
    return finding("table_split", f"table 三 printed as {n_tables} tables", "one table", source)
