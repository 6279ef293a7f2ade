"""Row and category labels -> template keys, from the fragments the template declares.

A printed label may hold more than one fragment (a crawler dump glues the table title, the
header words and the first row label together; a group label may share a line with its first
sub-row).  The fragment printed LAST is the one nearest the values, so it wins.
"""

from __future__ import annotations

import re

from etl.parse.memo import memo_short
from etl.template import SECTION2, SECTION3_ROWS, SECTION4_GROUPS, normalize_label, section3_row


def _alternation(pairs: list[tuple[str, str]]) -> tuple[re.Pattern[str], dict[str, str]]:
    mapping: dict[str, str] = {}
    for frag, key in pairs:
        mapping.setdefault(normalize_label(frag), key)
    pattern = "|".join(re.escape(f) for f in sorted(mapping, key=len, reverse=True))
    return re.compile(pattern), mapping


_ROW_RE, _ROW_OF = _alternation([(f, r.key) for r in SECTION3_ROWS for f in r.fragments])

# "3.其他" (the 2021 template's last (六) sub-row) has no fragment of its own: it is anchored by
# its group, never by position.  After normalize_label, "3、其他" reads "3,其他".
# The label may end with it after its group's cell (a table row "(六)其他 3.其他").
_BARE_OTHER = re.compile(r"(?:^|\d{1,2}[.,]?|\([一二三四五六七八九十\d]{1,2}\))其他(?:情形)?$")
#: the group of the rows whose last sub-row is the bare "3.其他" (other_other's group)
GROUP6 = normalize_label(section3_row("other_other").group or "")


@memo_short
def match_row(norm: str) -> str | None:
    """The section-三 row a normalized label names (its last fragment), or None.  Memoised: the
    section parsers ask it of every label, and the labels are the template's own."""
    last = None
    for m in _ROW_RE.finditer(norm):
        last = m
    return _ROW_OF[last.group()] if last else None


@memo_short
def rows_named(norm: str) -> tuple[str, ...]:
    """Every section-三 row a normalized label names, in printed order (a crawled line may glue
    several rows' labels together).  Memoised like match_row."""
    out: list[str] = []
    for m in _ROW_RE.finditer(norm):
        key = _ROW_OF[m.group()]
        if not out or out[-1] != key:
            out.append(key)
    return tuple(out)


def match_row_continued(carry: str, norm: str) -> str | None:
    """The row named by a label broken over lines: ``carry`` (the label-only text just before)
    + ``norm``, counting only a fragment that reaches into ``norm`` (so a header word left in
    ``carry`` never names a row by itself)."""
    joined = carry + norm
    last = None
    for m in _ROW_RE.finditer(joined):
        last = m
    if last is None or last.end() <= len(carry):
        return None
    return _ROW_OF[last.group()]


@memo_short
def is_bare_other(norm: str) -> bool:
    return _BARE_OTHER.search(norm) is not None


_CATEGORY = {
    version: _alternation([(lab, cat.key) for table in tables for cat in table.categories
                           for lab in (cat.label, *cat.aliases)])
    for version, tables in SECTION2.items()
}


@memo_short
def match_category(norm: str, version: str) -> str | None:
    """The section-二 category a normalized label names (the last one printed), or None."""
    rx, of = _CATEGORY[version]
    best = None
    for m in rx.finditer(norm):
        best = m
    return of[best.group()] if best else None


GROUP4_RE, GROUP4_OF = _alternation([(a, g.prefix) for g in SECTION4_GROUPS for a in g.aliases])


@memo_short
def match_group4(norm: str) -> str | None:
    """The section-四 group (行政复议 / 未经复议直接起诉 / 复议后起诉) a normalized label names
    (the last one printed), or None.  Memoised like match_row."""
    last = None
    for m in GROUP4_RE.finditer(norm):
        last = m
    return GROUP4_OF[last.group()] if last else None


_METRIC = {
    version: _alternation([(lab, m.key) for table in tables for m in table.metrics
                           for lab in (m.label, *m.aliases)])
    for version, tables in SECTION2.items()
}


def find_metrics(norm: str, version: str) -> list[str]:
    """The section-二 metric keys a header text names, in printed order (a new list: callers
    may keep it)."""
    return list(_find_metrics(norm, version))


@memo_short
def _find_metrics(norm: str, version: str) -> tuple[str, ...]:
    rx, of = _METRIC[version]
    out: list[str] = []
    for m in rx.finditer(norm):
        key = of[m.group()]
        if key not in out:
            out.append(key)
    return tuple(out)
