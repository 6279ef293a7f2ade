"""One report card per agency-year: the three tables as the template prints them, each failed
check marked on its cells (with formula, expected, actual, delta), each unknown cell marked with
its reason, the prose figures beside table 三, and a link to the source file.

The cards of one agency (all its years) share a page, ``cards/<h[:2]>/<h>.html#r<report_id>``:
an office sends one link per agency, and the site has one file per agency instead of one per
report (file creation is a large part of writing the site).

Rendering is plain string building with the row headers of each template version built once
and memoised plain cells: a card costs a fraction of a millisecond.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from typing import NamedTuple

from etl.report import layout
from etl.report.data import S2_POS, S3_POS, S4_POS, CardReport, Cells, card_anchor, region_path_file
from etl.report.html import esc, file_url, link, page, safe_url
from etl.report.issues import cell_label, cells_involved, describe, rule_name_zh
from etl.report.regions import level_zh
from etl.template import ROWS_2021_ONLY, SECTION3_COLUMN_KEYS
from etl.template.labels_zh import (
    CELL_STATE_ZH,
    CHECK_STATUS_ZH,
    PROSE_FIGURES_ZH,
    REPORT_STATUS_ZH,
    RULES_ZH,
)

DEPTH = 2   # cards/<xx>/<id>.html


# --- table layouts (built once per template version) ------------------------------------------

def _th(h: layout.HeadCell, cls: str = "") -> str:
    span = (f' rowspan="{h.rowspan}"' if h.rowspan > 1 else "") + \
        (f' colspan="{h.colspan}"' if h.colspan > 1 else "")
    return f"<th{cls}{span}>{esc(h.text)}</th>"


def _head_html(frame: layout.Frame) -> str:
    rows: list[list[str]] = [[] for _ in range(frame.head_rows)]
    for h in frame.head:
        rows[h.row].append(_th(h))
    return "".join(f"<tr>{''.join(r)}</tr>" for r in rows)


@lru_cache(maxsize=None)
def _s3_frame(version: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """(header html, ((row_key, row label cells html), ...)) of table 三 for a version."""
    frame = layout.section3_frame(version)
    labels: list[list[str]] = [[] for _ in frame.rows]
    for h in frame.labels:
        labels[h.row].append(_th(h, ' class="row"'))
    return _head_html(frame), tuple((k, "".join(ls)) for k, ls in zip(frame.rows, labels))


@lru_cache(maxsize=None)
def _s4_head() -> str:
    return _head_html(layout.section4_frame())


# --- cells ------------------------------------------------------------------------------------

@dataclass(slots=True)
class Marks:
    """What to mark on the cells of one card."""
    failed: dict[tuple, list[int]]      # cell ref -> issue numbers
    part: set[tuple]                    # cells summed by a failed check
    footnotes: list[str]                # unknown cells explained below the tables
    anchor: str                         # the card's id (issue links are card-local)


class _PlainCells(dict):
    """A cell with nothing to mark (the common case) by its token, memoised (numbers repeat a
    lot): ``_PLAIN[token]``.  Short class names for the cells every card has many of (site
    size): a = absent / not printed, i = inferred; a blank cell is an empty <td>."""

    def __missing__(self, tok: str) -> str:
        td = f"<td class=i>{tok[1:]}</td>" if tok[0] == "i" else f"<td>{tok}</td>"
        if len(self) < 50_000:
            self[tok] = td
        return td


_PLAIN = _PlainCells({None: "<td class=a></td>", "": "<td></td>", "a": "<td class=a></td>"})
_plain = _PLAIN.__getitem__


def _template(html: str) -> str:
    """Fixed HTML as part of a %-format template (its percent signs doubled): a table is one
    template with a ``%s`` per cell, filled in one operation."""
    return html.replace("%", "%%")


def _fmt_value(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _cell(cells: Cells, pos: int, ref: tuple, marks: Marks | None, version: str) -> str:
    tok = cells.tokens[pos]
    if tok != "x" and (marks is None or (ref not in marks.failed and ref not in marks.part)):
        return _plain(tok)
    failed = marks.failed.get(ref) if marks else None
    special = cells.specials.get(pos) if tok == "x" else None
    if tok is None:
        content, cls, title = "", "a", "报告未印此格"
    elif special is None:
        content = "" if tok in ("", "a", "x") else tok.lstrip("i")
        cls = {"": "blank", "a": "a"}.get(tok, "i" if tok[0] == "i" else "number")
        title = ""
    else:
        st = special.state
        cls, title = st, CELL_STATE_ZH.get(st, st)
        if st == "corrected":
            orig = special.original
            content = (f"<del>{esc(_fmt_value(orig))}</del>" if orig is not None else "") \
                + esc(_fmt_value(special.value))
            title = f"{title}: 原印 {_fmt_value(orig) or '空白'}"
        elif st == "unknown" and marks is not None:
            marks.footnotes.append(f"{cell_label(ref, version)}: 原文 “{special.raw or ''}” —— "
                                   f"{special.note or CELL_STATE_ZH['unknown']}")
            content = f'?<sup class="umark">{len(marks.footnotes)}</sup>'
            title = f"{title}: {special.note or ''}"
        elif st == "ocr":                     # read by OCR: a number, marked as such
            content = esc(_fmt_value(special.value))
            if special.note:
                title = f"{title}: {special.note}"
        else:
            content = esc(special.raw if special.raw is not None else _fmt_value(special.value))
            if special.note:
                title = f"{title}: {special.note}"
    if failed:
        assert marks is not None            # failures come from the marks
        cls += " fail"
        content += "<sup class=\"mark\">" + ",".join(
            f'<a href="#{marks.anchor}-issue-{n}">{n}</a>' for n in failed) + "</sup>"
    elif marks is not None and ref in marks.part:
        cls += " part"
    t = f' title="{esc(title)}"' if title else ""
    return f'<td class="{cls}"{t}>{content}</td>'


def _layout_version(rep: CardReport) -> str:
    """The template version to lay table 三 out in: the report's, but the 2021 rows whenever
    the report printed any of them (never hide a printed cell)."""
    v = layout.version_or_default(rep.template)
    if v == "2019":
        toks = rep.s3.tokens
        for r in ROWS_2021_ONLY:
            for c in SECTION3_COLUMN_KEYS:
                if toks[S3_POS[(r, c)]] not in (None, "a"):
                    return "2021"
    return v


class _Grid(NamedTuple):
    """A table laid out for one template version: its HTML as a %-format template with a
    ``%s`` per cell, and per cell (in that order) its position in the report's tokens and its
    ref (as the marks name cells)."""
    html: str
    tokens: itemgetter              # a report's tokens -> the cells' tokens in template order
    positions: tuple[int, ...]
    refs: tuple[tuple, ...]
    at: dict[tuple, int]            # ref -> its index
    every: bool                     # the cells are every token, in order (no gathering)

    def render(self, cells: Cells, marks: Marks | None, version: str) -> str:
        toks = cells.tokens if self.every else self.tokens(cells.tokens)
        if marks is None:
            return self.html % tuple(map(_plain, toks))
        # the cells to mark and the special ones (token "x") cell by cell, in table order
        # (unknown cells are numbered as they come)
        tds = list(map(_plain, toks))
        at = self.at
        todo = {at[ref] for ref in (*marks.failed, *marks.part) if ref in at}
        if "x" in toks:
            todo.update(i for i, t in enumerate(toks) if t == "x")
        for i in sorted(todo):
            tds[i] = _cell(cells, self.positions[i], self.refs[i], marks, version)
        return self.html % tuple(tds)


def _grid(html: str, cells: list[tuple[tuple, int]], size: int) -> _Grid:
    """``cells``: (ref, position) in template order; ``size``: the table's number of tokens."""
    positions = tuple(p for _, p in cells)
    refs = tuple(r for r, _ in cells)
    return _Grid(html, itemgetter(*positions), positions, refs, {r: i for i, r in enumerate(refs)},
                 positions == tuple(range(size)))


@lru_cache(maxsize=None)
def _s3_grid(version: str) -> _Grid:
    head, rows = _s3_frame(version)
    cells = "%s" * len(SECTION3_COLUMN_KEYS)
    body = "".join(f"<tr>{_template(h)}{cells}</tr>" for _, h in rows)
    return _grid(f'<table class="grid s3"><thead>{_template(head)}</thead><tbody>{body}'
                 "</tbody></table>",
                 [(("3", k, c), S3_POS[(k, c)]) for k, _ in rows for c in SECTION3_COLUMN_KEYS],
                 len(S3_POS))


@lru_cache(maxsize=None)
def _s4_grid() -> _Grid:
    cols = layout.section4_columns()
    return _grid(f'<table class="grid s4"><thead>{_template(_s4_head())}</thead>'
                 f"<tbody><tr>{'%s' * len(cols)}</tr></tbody></table>",
                 [(("4", c.key, ""), S4_POS[c.key]) for c in cols], len(S4_POS))


@lru_cache(maxsize=None)
def _s2_grid(version: str) -> _Grid:
    """Section 二's tables (two for every version), side by side."""
    html, cells = [], []
    for t in layout.section2_tables(version):
        head = (f"<caption>{esc(t.heading)}</caption><thead><tr><th></th>"
                + "".join(f"<th>{esc(m)}</th>" for _, m in t.metrics) + "</tr></thead>")
        body = "".join(_template(f'<tr><th class="row">{esc(cl)}</th>') + "%s" * len(t.metrics)
                       + "</tr>" for _, cl in t.categories)
        html.append(f'<table class="grid s2">{_template(head)}<tbody>{body}</tbody></table>')
        cells += [(("2", ck, mk), S2_POS[(ck, mk)]) for ck, _ in t.categories for mk, _ in t.metrics]
    return _grid('<div class="side">' + "".join(html) + "</div>", cells, len(S2_POS))


# --- the card ---------------------------------------------------------------------------------

def _meta(rep: CardReport, raw_root: str | None) -> str:
    if rep.source_file and raw_root:
        src = link(file_url(f"{raw_root.rstrip('/')}/{rep.source_file}"), rep.source_file)
    else:
        src = esc(rep.source_file)
    url = safe_url(rep.source_url)
    if rep.region_path:
        region = link("../../" + region_path_file(rep.region_path), rep.region_path)
    else:
        region = "(未知)"
    return (f'<table class="list card-meta"><tr><td>地区</td><td>{region}</td></tr>'
            f"<tr><td>层级</td><td>{_esc_cached(level_zh(rep.level))}</td></tr>"
            f"<tr><td>机关代码</td><td>{esc(rep.agency_id)}</td></tr>"
            f"<tr><td>模板版本</td><td>{_esc_cached(rep.template or '未识别')}</td></tr>"
            f"<tr><td>状态</td><td>{_status_badge(rep.status)}</td></tr>"
            f"<tr><td>来源文件</td><td>{src}</td></tr>"
            f"<tr><td>原文网址</td><td>{link(url, url) if url else esc(rep.source_url)}</td></tr>"
            f"<tr><td>发布日期</td><td>{esc(rep.published)}</td></tr>"
            f"<tr><td>格式</td><td>{_esc_cached(rep.format)}</td></tr>"
            f"<tr><td>报告编号</td><td><code>{esc(rep.report_id)}</code></td></tr></table>")


@lru_cache(maxsize=4096)
def _esc_cached(text) -> str:
    """For the few values many cards share (level, template, format)."""
    return esc(text)


@lru_cache(maxsize=64)
def _status_badge(status: str) -> str:
    return (f'<span class="badge b-{esc(status)}">'
            f'{esc(REPORT_STATUS_ZH.get(status, status))}</span>')


_RULE_ORDER = {r: i for i, r in enumerate(RULES_ZH)}


@lru_cache(maxsize=None)
def _check_row_head(rule: str, status: str) -> str:
    return (f"<tr><td>{esc(rule_name_zh(rule))}</td><td class=en>{esc(rule)}</td>"
            f'<td><span class="badge b-{esc(status)}">'
            f"{esc(CHECK_STATUS_ZH.get(status, status))}</span></td>")


def _checks(rep: CardReport) -> str:
    """The rules that did not pass, one row each; the passed ones on one line."""
    if not rep.checks and not rep.passed:
        return '<p class="note">没有核对结果。</p>'
    out = _passed_line(rep.passed) if rep.passed else ""
    if rep.checks:
        checks = sorted(rep.checks, key=lambda r: _RULE_ORDER.get(r[0], 99))
        rows = [_check_row_head(rule, status)
                + (f"<td>{esc(reason)}</td></tr>" if status == "not_assessable"
                   else "<td></td></tr>")
                for rule, status, reason in checks]
        out += ('<table class="list checks"><thead><tr><th>规则</th><th>rule</th><th>结果</th>'
                '<th>无法核对的原因</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table>")
    return out


@lru_cache(maxsize=1024)
def _passed_line(passed: str) -> str:
    """The line of the passed rules (``passed``: joined by ","), in the rules' order."""
    rules = sorted(passed.split(","), key=lambda r: _RULE_ORDER.get(r, 99))
    return (f'<p class="checks-passed"><span class="badge b-passed">{CHECK_STATUS_ZH["passed"]}'
            "</span> " + "、".join(f'{esc(rule_name_zh(r))}<span class="en">({esc(r)})</span>'
                                  for r in rules) + "</p>")


def _issues(rep: CardReport, version: str, anchor: str) -> tuple[str, Marks | None]:
    specials = rep.s2.specials or rep.s3.specials or rep.s4.specials
    if not rep.issues:
        marks = Marks({}, set(), [], anchor) if specials else None
        return '<p class="note">本报告没有未通过的核对。</p>', marks
    marks = Marks({}, set(), [], anchor)
    rows = []
    for n, (rule, severity, cells, formula, expected, actual, delta, message) \
            in enumerate(rep.issues, 1):
        named, part = cells_involved(formula, cells, rep.year)
        for ref in named:
            marks.failed.setdefault(ref, []).append(n)
        marks.part |= part
        t = describe(rule, severity, formula, cells, expected, actual, delta, rep.year, version)
        rows.append(
            f'<tr id="{anchor}-issue-{n}"><td class="n">{n}</td><td>{esc(t.rule_zh)}'
            f'<div class="en">{esc(rule)}</div></td><td>{esc(t.severity_zh)}</td>'
            f'<td>{esc(t.formula_zh)}</td><td class=n>{esc(expected)}</td>'
            f'<td class=n>{esc(actual)}</td><td class=n>{esc(delta)}</td>'
            f'<td>{esc(t.message_zh)}</td><td class=en>{esc(message)}'
            f'<div class="en">{esc(cells)}</div></td></tr>')
    html = ('<table class="list issues"><thead><tr><th>#</th><th>规则</th><th>级别</th>'
            "<th>公式</th><th>应为</th><th>实际</th><th>差额</th><th>说明</th>"
            "<th>message (English)</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>")
    return html, marks


def _prose(rep: CardReport, anchor: str) -> str:
    if not rep.prose:
        return '<p class="note">正文中没有读出可核对的数字。</p>'
    mismatched: dict[str, int] = {}
    for n, (rule, _, _, formula, *_) in enumerate(rep.issues, 1):
        f = formula or ""
        if rule == "prose_vs_table" and f.startswith("prose "):
            mismatched.setdefault(f.split()[1], n)
    prose_status, prose_reason = next(((s, why or "") for r, s, why in rep.checks
                                       if r == "prose_vs_table"), (None, ""))
    if prose_status is None and "prose_vs_table" in (rep.passed or "").split(","):
        prose_status = "passed"
    assessed = prose_status in ("passed", "not_assessable")
    rows = []
    for key, value, text, source in rep.prose:
        head, checked = _prose_head(key)
        if key in mismatched:
            n = mismatched[key]
            check = f'<a href="#{anchor}-issue-{n}" class="b-failed badge">与表格不符 (#{n})</a>'
        elif not checked:
            check = '<span class="note">不核对</span>'
        elif not assessed:
            check = '<span class="note">—</span>'
        elif f"{key}:" in prose_reason:
            check = _NOT_ASSESSABLE
        else:
            check = '<span class="badge b-passed">与表格一致</span>'
        rows.append(f"<tr>{head}<td class=n>{_value_text(value)}</td><td>“{esc(text)}”"
                    f"<div class=en>{esc(source)}</div></td><td>{check}</td></tr>")
    return ('<table class="list prose"><caption>正文中的数字</caption><thead><tr><th>项目</th>'
            "<th>数值</th><th>原文</th><th>核对</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")


_NOT_ASSESSABLE = f'<span class="badge b-not_assessable">{CHECK_STATUS_ZH["not_assessable"]}</span>'


@lru_cache(maxsize=256)
def _prose_head(key: str) -> tuple[str, bool]:
    """(the name cell of a prose figure, whether it is checked against the tables)."""
    name, checked = PROSE_FIGURES_ZH.get(key, (key, False))
    return f"<td>{esc(name)}<div class=en>{esc(key)}</div></td>", checked


class _ValueTexts(dict):
    """esc(_fmt_value(v)) of a figure, memoised (figures repeat): ``_value_text(v)``."""

    def __missing__(self, v) -> str:
        text = esc(_fmt_value(v))
        if v == v and len(self) < 10_000:         # (a NaN is never found again)
            self[v] = text
        return text


_value_text = _ValueTexts().__getitem__


_LEGEND = ('<p class="legend">'
           + "".join(f'<span><i class="{c}"></i>{t}</span>' for c, t in (
               ("fail", "未通过核对的格(上标为问题编号)"), ("part", "参与未通过核对的求和"),
               ("unknown", CELL_STATE_ZH["unknown"]), ("i", CELL_STATE_ZH["inferred"]),
               ("a", CELL_STATE_ZH["absent"]), ("corrected", CELL_STATE_ZH["corrected"])))
           + "</p>")
_HEADINGS = {n: f"<h3>{esc(layout.section_heading(n))}</h3>" for n in ("二", "三", "四")}


def render_card(rep: CardReport, raw_root: str | None = None, anchor: str | None = None) -> str:
    """One agency-year: a <section> of the agency's page, id = ``anchor``, the
    card_anchor(report_id) (given when known)."""
    anchor = anchor or card_anchor(rep.report_id)
    version = _layout_version(rep)
    issues_html, marks = _issues(rep, version, anchor)
    t2 = _s2_grid(version).render(rep.s2, marks, version)
    t3 = _s3_grid(version).render(rep.s3, marks, version)
    t4 = _s4_grid().render(rep.s4, marks, version)
    banner = ""
    if rep.status == "superseded":
        banner = (f'<div class="banner">本份已被同一年度较新的报告替代,不计入汇总。'
                  f"{esc(rep.error_detail)}</div>")
    foot = ""
    if marks is not None and marks.footnotes:
        foot = ('<h4>未能确定的格</h4><ol class="foot">'
                + "".join(f"<li>{esc(f)}</li>" for f in marks.footnotes) + "</ol>")
    warnings = ""
    if rep.warnings:
        warnings = ('<h4>解析提示</h4><ul class="note">'
                    + "".join(f"<li>{esc(w)}</li>" for w in rep.warnings.splitlines() if w)
                    + "</ul>")
    old = "(旧版)" if rep.status == "superseded" else ""
    return (f'<section class="card" id="{anchor}"><h2>{esc(rep.year)}年度{old} '
            f'<span class="note">{esc(rep.agency)}</span></h2>'
            + banner + _meta(rep, raw_root)
            + f"<h3>核对结果</h3>{_checks(rep)}<h3>待改问题</h3>{issues_html}"
            + _HEADINGS["二"] + t2 + _HEADINGS["三"]
            + f'<div class="side">{t3}{_prose(rep, anchor)}</div>'
            + _HEADINGS["四"] + t4 + foot + warnings + "</section>")


def render_agency_page(reps: list[CardReport], raw_root: str | None = None) -> str:
    """The page of one agency: a report card per year (and per superseded copy)."""
    last = next((r for r in reversed(reps) if r.status == "loaded"), reps[-1])
    title = f"{last.agency or '(机关未知)'} 年度报告核对卡"
    crumbs: list[tuple[str | None, str]] = [("index.html", "总览")]
    if last.region_path:
        crumbs.append((region_path_file(last.region_path), last.region_path))
    anchors = [card_anchor(r.report_id) for r in reps]
    nav = " ".join(link(f"#{a}", f"{r.year}" + ("(旧版)" if r.status == "superseded" else "")
                        + (f" ✗{len(r.issues)}" if r.issues else ""),
                        "fail" if r.issues else None) for r, a in zip(reps, anchors))
    body = (f'<p class="years">年度:{nav}</p>' + _LEGEND
            + "".join(render_card(r, raw_root, a) for r, a in zip(reps, anchors)))
    return page(title, body, DEPTH, crumbs)
