"""The three tables of the report as the template prints them: rows and columns in printed order
with their Chinese labels, all read from etl.template (never retyped).

One home for "template shape": the report cards (HTML), the xlsx exports and the notebook API
all lay cells out with these functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from etl.template import (
    SECTION2,
    SECTION3_COLUMNS,
    SECTION3_GROUPS,
    SECTION3_ROWS,
    SECTION4_GROUPS,
    SECTION4_OUTCOMES,
    SECTIONS,
    TEMPLATE_VERSIONS,
)
from etl.template.labels_zh import SECTION2_ITEM_HEADING, SECTION3_HEADINGS

DEFAULT_VERSION = TEMPLATE_VERSIONS[-1]


def version_or_default(version: str | None) -> str:
    return version if version in TEMPLATE_VERSIONS else DEFAULT_VERSION


def section_heading(number: str) -> str:
    """``"三"`` -> ``"三、收到和处理政府信息公开申请情况"`` (the template's section title)."""
    for s in SECTIONS:
        if s.number == number:
            return f"{s.number}、{s.fragments[0]}"
    raise KeyError(number)


# --- table 三 ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Row3:
    key: str
    label: str              # the row's own printed label ("1.属于国家秘密", "(一)予以公开")
    group: str | None       # the result group spanning it ("(三)不予公开"), None for one-row groups
    is_result_block: bool   # inside 三、本年度办理结果 (the result rows and (七)总计)

    @property
    def full_label(self) -> str:
        """Unambiguous on its own: the group before a sub-row's label."""
        return f"{self.group} {self.label}" if self.group else self.label


def _group_label(group: str) -> str:
    return f"{group}{SECTION3_GROUPS[group][0]}"


@lru_cache(maxsize=None)
def section3_rows(version: str | None = None) -> tuple[Row3, ...]:
    """The rows of table 三 a report on the ``version`` template prints, in order.  On the 2019
    template the 其他处理 group is one row (stored under ``other_other``)."""
    version = version_or_default(version)
    rows = [r for r in SECTION3_ROWS if version in r.versions]
    sizes: dict[str | None, int] = {}
    for r in rows:
        sizes[r.group] = sizes.get(r.group, 0) + 1
    out = []
    for r in rows:
        in_results = r.group in SECTION3_GROUPS
        if not in_results or r.group is None:
            out.append(Row3(r.key, r.label, None, False))
        elif sizes[r.group] == 1:
            label = r.label if r.label.startswith(r.group) else _group_label(r.group)
            out.append(Row3(r.key, label, None, True))
        else:
            out.append(Row3(r.key, r.label, _group_label(r.group), True))
    return tuple(out)


def section3_row(key: str, version: str | None = None) -> Row3:
    for r in section3_rows(version):
        if r.key == key:
            return r
    for r in section3_rows("2021" if version == "2019" else "2019"):
        if r.key == key:
            return r
    raise KeyError(key)


@dataclass(frozen=True)
class Column3:
    key: str
    label: str
    legal_person: bool      # one of the five 法人或其他组织 columns


def section3_columns() -> tuple[Column3, ...]:
    cols = SECTION3_COLUMNS
    return tuple(Column3(c.key, c.label, 0 < i < len(cols) - 1) for i, c in enumerate(cols))


def section3_column_label(key: str) -> str:
    return {c.key: c.label for c in SECTION3_COLUMNS}[key]


# --- the printed frame of a table: header cells with their spans -----------------------------

@dataclass(frozen=True)
class HeadCell:
    """A header cell of a printed table; ``row``/``col`` 0-based within its part (the header
    rows, or the row labels of the body), spanning ``rowspan`` x ``colspan`` cells."""
    row: int
    col: int
    text: str
    rowspan: int = 1
    colspan: int = 1


@dataclass(frozen=True)
class Frame:
    """Header rows over the value columns, and the label cells left of each body row."""
    head: tuple[HeadCell, ...]          # rows 0..head_rows-1; col 0 = first label column
    head_rows: int
    label_cols: int                     # label columns left of the values
    rows: tuple[str, ...]               # the body rows' keys, in printed order
    labels: tuple[HeadCell, ...]        # row = body row index, col < label_cols
    columns: tuple[str, ...]            # the value columns' keys, in printed order


@lru_cache(maxsize=None)
def section3_frame(version: str | None = None) -> Frame:
    """Table 三 as printed: 申请人情况 over 自然人 | 法人或其他组织 (five) | 总计; rows 一、二、
    then 三、本年度办理结果 spanning the result groups (each group spanning its sub-rows), 四、."""
    cols = section3_columns()
    n_legal = sum(c.legal_person for c in cols)
    first_legal = next(i for i, c in enumerate(cols) if c.legal_person)
    lc = 3
    head = [HeadCell(0, 0, "", 3, lc), HeadCell(0, lc, SECTION3_HEADINGS["applicant"], 1, len(cols))]
    for i, c in enumerate(cols):
        if not c.legal_person:
            head.append(HeadCell(1, lc + i, c.label, 2, 1))
        else:
            head.append(HeadCell(2, lc + i, c.label))
    head.append(HeadCell(1, lc + first_legal, SECTION3_HEADINGS["legal_person"], 1, n_legal))
    rows = section3_rows(version)
    n_block = sum(r.is_result_block for r in rows)
    labels: list[HeadCell] = []
    block_started, seen = False, set()
    for i, r in enumerate(rows):
        if not r.is_result_block:
            labels.append(HeadCell(i, 0, r.label, 1, 3))
            continue
        if not block_started:
            labels.append(HeadCell(i, 0, SECTION3_HEADINGS["results"], n_block, 1))
            block_started = True
        if r.group is None:
            labels.append(HeadCell(i, 1, r.label, 1, 2))
        else:
            if r.group not in seen:
                labels.append(HeadCell(i, 1, r.group, sum(x.group == r.group for x in rows), 1))
                seen.add(r.group)
            labels.append(HeadCell(i, 2, r.label))
    return Frame(tuple(sorted(head, key=lambda h: (h.row, h.col))), 3, lc,
                 tuple(r.key for r in rows), tuple(labels), tuple(c.key for c in cols))


@lru_cache(maxsize=None)
def section4_frame() -> Frame:
    """Table 四 as printed: 行政复议 (five) | 行政诉讼 over 未经复议直接起诉 (five) | 复议后起诉
    (five); one body row."""
    cols = section4_columns()
    head: list[HeadCell] = []
    i = 0
    while i < len(cols):
        top = cols[i].top
        j = i
        while j < len(cols) and cols[j].top == top:
            j += 1
        if all(c.sub is None for c in cols[i:j]):
            head.append(HeadCell(0, i, top, 2, j - i))
        else:
            head.append(HeadCell(0, i, top, 1, j - i))
            k = i
            while k < j:
                m = k
                while m < j and cols[m].sub == cols[k].sub:
                    m += 1
                head.append(HeadCell(1, k, cols[k].sub or "", 1, m - k))
                k = m
        i = j
    head += [HeadCell(2, k, c.label) for k, c in enumerate(cols)]
    return Frame(tuple(head), 3, 0, ("",), (), tuple(c.key for c in cols))


# --- table 四 ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Column4:
    key: str                # review_upheld …
    item: str               # review | suit_direct | suit_after_review
    outcome: str
    top: str                # 行政复议 | 行政诉讼
    sub: str | None         # 未经复议直接起诉 | 复议后起诉 | None
    label: str              # 结果维持 …


@lru_cache(maxsize=None)
def section4_columns() -> tuple[Column4, ...]:
    out = []
    for g in SECTION4_GROUPS:
        top, _, sub = g.label.partition(" ")
        for o, label in SECTION4_OUTCOMES:
            out.append(Column4(f"{g.prefix}_{o}", g.prefix, o, top, sub or None, label))
    return tuple(out)


def section4_label(key: str) -> str:
    """``suit_direct_total`` -> ``行政诉讼 未经复议直接起诉 总计``."""
    for c in section4_columns():
        if c.key == key:
            return " ".join(x for x in (c.top, c.sub, c.label) if x)
    raise KeyError(key)


def section4_group_label(item: str) -> str:
    """``suit_direct`` -> ``行政诉讼 未经复议直接起诉``."""
    return {g.prefix: g.label for g in SECTION4_GROUPS}[item]


# --- table 二 ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Table2:
    heading: str                            # 第二十条第(一)项
    categories: tuple[tuple[str, str], ...] # (key, label)
    metrics: tuple[tuple[str, str], ...]


@lru_cache(maxsize=None)
def section2_tables(version: str | None = None) -> tuple[Table2, ...]:
    version = version_or_default(version)
    return tuple(
        Table2(SECTION2_ITEM_HEADING.format(item=t.item),
               tuple((c.key, c.label) for c in t.categories),
               tuple((m.key, m.label) for m in t.metrics))
        for t in SECTION2[version])


def section2_label(category: str, metric: str, version: str | None = None) -> str | None:
    """``("normative_documents", "in_force")`` -> ``行政规范性文件 现行有效件数``; None when the
    version has no such cell."""
    for v in (version_or_default(version), *TEMPLATE_VERSIONS):
        for t in section2_tables(v):
            cats, mets = dict(t.categories), dict(t.metrics)
            if category in cats and metric in mets:
                return f"{cats[category]} {mets[metric]}"
    return None
