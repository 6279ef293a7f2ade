"""A failed check as a person reads it: its rule's Chinese name, its formula in the template's
Chinese labels, a Chinese message, and the cells of the report it is about (so a report card can
highlight them).

The checks (etl.checks) write ``formula`` and ``cells`` with the template's keys
(``new_received.total``, ``review_total``, ``normative_documents.in_force(t)``); this module only
reads those keys back, through etl.template, and never guesses: a token it does not know stays
as printed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from etl.report.layout import section2_label, section3_column_label, section3_row, section4_label
from etl.template import (
    APPLICANT_COLUMN_KEYS,
    RESULT_ROW_KEYS,
    SECTION2,
    SECTION3_COLUMN_KEYS,
    SECTION3_ROW_KEYS,
    SECTION4_KEYS,
)
from etl.template.labels_zh import PROSE_FIGURES_ZH, RULES_ZH, SEVERITY_ZH

#: A cell of a report: ("2", category, metric) | ("3", row_key, column_key) | ("4", key, "").
CellRef = tuple[str, str, str]

#: (category, metric) pairs of section 二 in either template version.
_SECTION2_KEYS = {(c.key, m.key) for tables in SECTION2.values() for t in tables
                  for c in t.categories for m in t.metrics}

_DOTTED = re.compile(r"\b([a-z_]+)\.([a-z_]+)(\((?:t|t-1|\d{4})\))?")
_BARE = re.compile(r"\b([a-z_]+)\b")
_SUM_APPLICANTS = re.compile(r"sum of the applicant columns of ([a-z_]+)")
_SUM_RESULTS = re.compile(r"sum of the (\d+) result rows of column ([a-z_]+)")
_PROSE = re.compile(r"\bprose ([a-z_]+)")
_CELL_COUNTS = re.compile(r"section (三|四): (\d+) cells")


def _in_year_t(qualifier: str | None, year: int | None) -> bool:
    """A cross-year token names this report's cell only for year t (``(t)`` or this year)."""
    if not qualifier:
        return True
    q = qualifier.strip("()")
    return q == "t" or (year is not None and q == str(year))


@lru_cache(maxsize=4096)
def cells_involved(formula: str | None, cells: str | None = None,
                   year: int | None = None) -> tuple[frozenset[CellRef], frozenset[CellRef]]:
    """The cells of THIS report a failed check is about: (named, participating).  Memoised
    (many reports fail a check alike: the site reads ~40k issues of ~7k kinds at 100k).

    ``named`` are the cells the formula names (highlighted as failed); ``participating`` are
    cells a formula sums without naming (the applicant columns of a row for row_total, the
    result rows of a column for results_sum).  Cells of another year's report (``(t-1)``) are
    left out: they belong on that report's card."""
    named: set[CellRef] = set()
    part: set[CellRef] = set()
    text = formula or ""
    for m in _DOTTED.finditer(text):
        a, b, q = m.group(1), m.group(2), m.group(3)
        if not _in_year_t(q, year):
            continue
        if a in SECTION3_ROW_KEYS and b in SECTION3_COLUMN_KEYS:
            named.add(("3", a, b))
        elif (a, b) in _SECTION2_KEYS:
            named.add(("2", a, b))
    for m in _BARE.finditer(_DOTTED.sub(" ", text)):
        if m.group(1) in SECTION4_KEYS:
            named.add(("4", m.group(1), ""))
    applicants = _SUM_APPLICANTS.search(text)
    if applicants and applicants.group(1) in SECTION3_ROW_KEYS:
        part.update(("3", applicants.group(1), c) for c in APPLICANT_COLUMN_KEYS)
    results = _SUM_RESULTS.search(text)
    if results and results.group(2) in SECTION3_COLUMN_KEYS:
        printed = _printed_result_rows(cells)
        part.update(("3", r, results.group(2)) for r in (printed or RESULT_ROW_KEYS))
    return frozenset(named), frozenset(part - named)


def _printed_result_rows(cells: str | None) -> list[str]:
    """results_sum lists the result rows that print a non-zero number (``granted=3 + partial=1``)
    and those that print no number; the zero rows are not worth a highlight."""
    if not cells or "result rows:" not in cells:
        return []
    tail = cells.split("result rows:", 1)[1]
    return [k for k in re.findall(r"\b([a-z_]+)=", tail) if k in RESULT_ROW_KEYS]


# --- Chinese texts ----------------------------------------------------------------------------

def cell_label(ref: CellRef, version: str | None = None) -> str:
    section, a, b = ref
    if section == "3":
        return f"{section3_row(a, version).full_label}|{section3_column_label(b)}"
    if section == "4":
        return section4_label(a)
    return section2_label(a, b, version) or f"{a}.{b}"


_QUALIFIER_ZH = {"(t)": "(本年)", "(t-1)": "(上年)"}


@lru_cache(maxsize=65536)
def to_chinese(text: str | None, version: str | None = None) -> str:
    """Template keys and the checks' fixed phrases in a formula or cells text -> Chinese labels.

    ``new_received.total + carried_over.total`` -> ``一、本年新收政府信息公开申请数量|总计 + …``.
    Anything it does not recognise (document text quoted in ``cells``) is kept as it is."""
    if not text:
        return ""
    if text in _PHRASES_ZH:
        return _PHRASES_ZH[text]

    def dotted(m: re.Match) -> str:
        a, b, q = m.group(1), m.group(2), m.group(3) or ""
        q = _QUALIFIER_ZH.get(q, q)
        if a in SECTION3_ROW_KEYS and b in SECTION3_COLUMN_KEYS:
            return f"「{cell_label(('3', a, b), version)}」{q}"
        if (a, b) in _SECTION2_KEYS:
            return f"「{cell_label(('2', a, b), version)}」{q}"
        return m.group(0)

    text = _SUM_APPLICANTS.sub(
        lambda m: f"「{section3_row(m.group(1), version).full_label}」六类申请人之和"
        if m.group(1) in SECTION3_ROW_KEYS else m.group(0), text)
    text = _SUM_RESULTS.sub(
        lambda m: f"「{section3_column_label(m.group(2))}」列{m.group(1)}项办理结果之和"
        if m.group(2) in SECTION3_COLUMN_KEYS else m.group(0), text)
    text = _PROSE.sub(
        lambda m: f"正文“{PROSE_FIGURES_ZH[m.group(1)][0]}”" if m.group(1) in PROSE_FIGURES_ZH
        else m.group(0), text)
    text = _CELL_COUNTS.sub(lambda m: f"表{m.group(1)}印有 {m.group(2)} 个单元格", text)
    text = text.replace("section2 ", "")
    text = _DOTTED.sub(dotted, text)
    return _BARE.sub(lambda m: f"「{section4_label(m.group(1))}」" if m.group(1) in SECTION4_KEYS
                     else m.group(0), text)


@dataclass(frozen=True)
class IssueText:
    rule_zh: str
    severity_zh: str
    formula_zh: str
    message_zh: str


#: Fixed phrases of the checks' formulas that name no cell.
_PHRASES_ZH = {
    "template = template_for_year(year)": "模板版本 = 报告年度对应的模板版本",
    "one report per agency and year": "每个机关每年一份报告",
    "section 三 and section 四 each print at least one cell": "表三、表四均须印有单元格",
}


@lru_cache(maxsize=4096)
def describe(rule: str, severity: str | None, formula: str | None, cells: str | None,
             expected, actual, delta, year: int | None = None,
             version: str | None = None) -> IssueText:
    """The Chinese texts of one ``validation_issues`` row (memoised, as cells_involved)."""
    spec = RULES_ZH.get(rule)
    formula_zh = to_chinese(formula, version)
    if spec is None:
        return IssueText(rule, SEVERITY_ZH.get(severity or "", severity or ""), formula_zh, "")
    fields = {"formula": formula_zh, "cells": to_chinese(cells, version), "year": year,
              "expected": expected, "actual": actual, "delta": delta}
    needed = _fields_of(spec.message)
    if spec.message is None:
        message = spec.description
    elif any(fields.get(k) is None for k in needed):
        message = f"不符合:{spec.description}"
    else:
        message = spec.message.format(**fields)
    return IssueText(spec.name, SEVERITY_ZH.get(severity or "", severity or ""), formula_zh, message)


@lru_cache(maxsize=None)
def _fields_of(message: str | None) -> list[str]:
    """The {fields} a rule's message template names."""
    return re.findall(r"{(\w+)}", message or "")


def rule_name_zh(rule: str) -> str:
    spec = RULES_ZH.get(rule)
    return spec.name if spec else rule
