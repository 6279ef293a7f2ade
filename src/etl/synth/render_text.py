"""Text forms: flat_text (copied from a page, like the seed), layout_text (PDF text with columns
aligned by spaces, like 006), run_text (PDF text one run per line, like 007) and crawler (a
crawler's page dump with table cells run together, like 009/011/013).

Plain string building only: these renderers are on the hot path (>= 2,000 reports/s).
"""

from __future__ import annotations

import random

from etl.synth.report import SynthReport
from etl.template import (
    SECTION2_CONTENT_HEADER,
    SECTION3_APPLICANT_HEADER,
    SECTION3_LEGAL_PERSON_HEADER,
    SECTION3_RESULTS_CAPTION,
    SECTION4_SUIT_HEADER,
)

NBSP = "\u00a0"


def _width(s: str) -> int:
    """Display width: a CJK character (3 bytes in UTF-8) takes two columns (cheap, C-speed)."""
    return len(s) + (len(s.encode("utf-8")) - len(s)) // 2


def _wrap(text: str, width: int) -> list[str]:
    """Wrap prose at ``width`` display columns, counting every character as a CJK one (two
    columns): lines of digits come out a little short, as they do in real PDFs."""
    n = max(1, width // 2)
    return [text[i:i + n] for i in range(0, len(text), n)]


def _split_header(label: str) -> list[str]:
    """商业企业 -> 商业 / 企业 (header cells broken over two lines, as copied pages show)."""
    return [label[: len(label) // 2], label[len(label) // 2:]] if len(label) == 4 else [label]


def _section_order(r: SynthReport) -> list[str]:
    return [k for k in ("overview", "active_disclosure", "applications", "review_litigation",
                        "problems", "other_matters")
            if not (k == "applications" and r.missing == "三")
            and not (k == "review_litigation" and r.missing == "四")]


# ------------------------------------------------------------------------------------------------
# flat_text: every cell on its own line, blank lines between (the seed)
# ------------------------------------------------------------------------------------------------

def render_flat(r: SynthReport, rng: random.Random) -> str:
    nb = NBSP if r.style.nbsp_labels else ""
    out: list[str] = []
    add = out.append
    if r.style.title_line or r.title_override is not None:
        out.extend(r.title_lines())
    add(r.prose.intro)
    for key in _section_order(r):
        heading = r.heading(key)
        if heading is not None:
            add(heading)
        out.extend(r.paragraphs(key))
        if key == "active_disclosure":
            for item, metrics, rows in r.section2_tables():
                add(item)
                add(SECTION2_CONTENT_HEADER)
                out.extend(metrics)
                for label, cells in rows:
                    add(label)
                    out.extend(c or NBSP for c in cells)
        elif key == "applications":
            add(r.identity_note())
            add(SECTION3_APPLICANT_HEADER)
            cols = r.column_labels()
            add(cols[0])
            add(SECTION3_LEGAL_PERSON_HEADER)
            add(cols[6])
            for c in cols[1:6]:
                out.extend(_split_header(c) if r.style.split_headers else [c])
            for row_key, group, label, cells in r.table3_rows():
                add(label + (nb if group and row_key else ""))
                out.extend(c or NBSP for c in cells)
        elif key == "review_litigation" and r.layout("flat_table4"):
            out.extend(r.section4_scrambled_header())
            out.extend(c or NBSP for c in r.section4_cells())
        elif key == "review_litigation":
            groups, outcomes = r.section4_groups(), r.section4_outcomes()
            add(groups[0])
            add(SECTION4_SUIT_HEADER)
            for o in outcomes:
                out.extend(_split_header(o) if r.style.split_headers and o == "结果纠正" else [o])
            add(groups[1])
            add(groups[2])
            out.extend(outcomes * 2)
            out.extend(c or NBSP for c in r.section4_cells())
    out.extend(r.signature)
    return "\n\n".join(out) + "\n"


# ------------------------------------------------------------------------------------------------
# layout_text and run_text: text extracted from a PDF
# ------------------------------------------------------------------------------------------------

class _Pages:
    """Collects lines and cuts pages: a centred "-N-" line, then a form feed (layout) or
    nothing (run text)."""

    def __init__(self, form_feed: bool, page_lines: int, indent_page_no: int):
        self.lines: list[str] = []
        self.form_feed = form_feed
        self.page_lines = page_lines
        self.on_page = 0
        self.page = 1
        self.indent = indent_page_no
        self.pending_ff = False

    def add(self, line: str) -> None:
        if self.pending_ff:
            line = "\f" + line
            self.pending_ff = False
        self.lines.append(line)
        self.on_page += 1

    def extend(self, lines: list[str]) -> None:
        """Several lines that never start a page (the cells after their row label)."""
        self.lines.extend(lines)
        self.on_page += len(lines)

    def safe(self) -> None:
        """A point where a page may end (never inside a table row)."""
        if self.on_page >= self.page_lines:
            self.break_page()

    def break_page(self) -> None:
        self.lines.append(" " * self.indent + f"-{self.page}-")
        self.page += 1
        self.on_page = 0
        self.pending_ff = self.form_feed

    def text(self) -> str:
        if self.on_page:
            self.lines.append(" " * self.indent + f"-{self.page}-")
        return "\n".join(self.lines) + "\n" + ("\f" if self.form_feed else "")



def render_pdf_text(r: SynthReport, rng: random.Random, layout: bool) -> str:
    """layout=True: columns aligned by spaces, form feeds (006); False: one run per line (007)."""
    pages = _Pages(layout, rng.randint(34, 44), rng.choice((21, 84)) if layout else 0)
    add = pages.add
    ind = " " * 14 if layout else ""
    para = " " * 19 if layout else ""
    width = 56

    def prose(text: str) -> None:
        for i, line in enumerate(_wrap(text, width)):
            add((para if i == 0 else ind) + line)
            pages.safe()

    # PDFs always carry the title block (unless a layout class breaks it)
    if r.title_override is None:
        add((" " * 40 if layout else "") + r.agency.name)
        add((" " * 23 if layout else "") + f"{r.year}年政府信息公开工作年度报告")
    else:
        for line in r.title_override:
            add((" " * 23 if layout else "") + line)
    prose(r.prose.intro)
    vertical = layout and rng.random() < 0.7 or (not layout and rng.random() < 0.5)
    break_in_table = True
    for key in _section_order(r):
        heading = r.heading(key)
        if heading is not None:
            add(para + heading)
        for p in r.paragraphs(key):
            prose(p)
        if key == "active_disclosure":
            for item, metrics, rows in r.section2_tables():
                add((" " * 44 if layout else "") + item)
                if layout:
                    add(" " * 24 + SECTION2_CONTENT_HEADER + "".join(" " * 4 + m for m in metrics))
                    for label, cells in rows:
                        add(" " * 15 + label.ljust(20 - len(label)) + "".join(c.rjust(14) for c in cells))
                        pages.safe()
                else:
                    add(SECTION2_CONTENT_HEADER)
                    for m in metrics:
                        add(m)
                    for label, cells in rows:
                        add(label)
                        pages.extend(cells)
                        pages.safe()
        elif key == "applications":
            cols = r.column_labels()
            if layout:
                add(" " * 71 + SECTION3_APPLICANT_HEADER)
                add(" " * 69 + SECTION3_LEGAL_PERSON_HEADER)
                note = r.identity_note()
                add(ind + note[:23])
                add(ind + note[23:])
                add(" " * 56 + f"{cols[0]}            社会  法律        {cols[6]}")
                add(" " * 63 + "商业  科研")
                add(" " * 73 + "公益  服务  其他")
                add(" " * 63 + "企业  机构")
                add(" " * 73 + "组织  机构")
            else:
                add(SECTION3_APPLICANT_HEADER)
                add(SECTION3_LEGAL_PERSON_HEADER)
                note = r.identity_note()
                add(note[:23])
                add(note[23:])
                add(cols[0])
                add("社会法律")
                add(cols[6])
                add("商业科研")
                add("公益服务其他")
                add("企业机构")
                add("组织机构")
            t3_rows = r.table3_rows()
            result_rows = [i for i, row in enumerate(t3_rows) if row[1] is not None and row[0]]
            vchars = list("三、本年度办理结果")
            page_cut = rng.choice(result_rows[3:-3] or result_rows) if break_in_table else -1
            vi = 0
            # 006 prints a group label such as （三）不予公开 beside the middle of its rows
            mid_groups = layout and rng.random() < 0.5
            group_size: dict[str, int] = {}
            for row_key, group, _, _ in t3_rows:
                if row_key and group:
                    group_size[group] = group_size.get(group, 0) + 1
            pending: dict[str, int] = {}      # group label -> rows still to print before it
            for i, (row_key, group, label, cells) in enumerate(t3_rows):
                if i == page_cut and pages.on_page >= 5:      # not right after a natural break
                    pages.break_page()
                if row_key is None:
                    if label == "三、本年度办理结果" and vertical:
                        continue      # printed one character per line, interleaved below
                    if mid_groups and group_size.get(label, 0) > 1:
                        pending[label] = group_size[label] // 2
                        continue
                    add((" " * 19 if layout else "") + label)
                    continue
                lab_ind = ((" " * 33 if group and group != SECTION3_RESULTS_CAPTION else " " * 19)
                           if layout else "")
                if row_key in ("new_received", "carried_over", "carried_forward") and layout:
                    lab_ind = ind
                if layout:
                    line_cells = "".join(" " + c.rjust(3) for c in cells)
                wrap_at = {"partial": 20, "reject_confirm": 15}.get(row_key)
                if wrap_at and len(label) > wrap_at:
                    add(lab_ind + label[:wrap_at])
                    if layout:
                        add(" " * 55 + line_cells)
                    else:
                        pages.extend(cells)
                    add(lab_ind + label[wrap_at:])
                else:
                    if layout:
                        add(lab_ind + label + " " * max(2, 42 - _width(lab_ind + label)) + line_cells)
                    else:
                        add(label)
                        pages.extend(cells)
                if group in pending:
                    pending[group] -= 1
                    if pending[group] == 0:
                        del pending[group]
                        add(" " * 19 + group)
                if vertical and group is not None and vi < len(vchars):
                    add((" " * 16 if layout else "") + vchars[vi])
                    vi += 1
                pages.safe()
        elif key == "review_litigation":
            groups = r.section4_groups()
            cells = r.section4_cells()
            if r.layout("flat_table4") and not layout:
                for line in r.section4_scrambled_header():
                    add(line)
                pages.extend(cells)
            elif layout:
                add(" " * 24 + groups[0] + " " * 35 + SECTION4_SUIT_HEADER)
                add(" " * 48 + groups[1] + " " * 15 + groups[2])
                add(ind + "结果  结果   其他  尚未")
                add(" " * 37 + "总 计")
                add(ind + "维持  纠正   结果  审结       结果  结果  其他  尚未        结果  结果 其他  尚未")
                add(" " * 63 + "总 计" + " " * 24 + "总计")
                add(" " * 42 + "维持  纠正  结果  审结        维持  纠正 结果  审结")
                add(" " * 14 + "".join(" " + c.rjust(3) for c in cells))
            else:
                for line in (groups[0], SECTION4_SUIT_HEADER, groups[1], groups[2], "结果结果", "其他尚未",
                             "总计", "维持纠正", "结果审结", "结果结果其他尚未", "结果结果其他尚未", "总计", "总计",
                             "维持纠正结果审结", "维持纠正结果审结"):
                    add(line)
                pages.extend(cells)
    for line in r.signature:
        add((" " * 50 if layout else "") + line)
    return pages.text()


# ------------------------------------------------------------------------------------------------
# crawler: metadata header, then the page body with table cells run together
# ------------------------------------------------------------------------------------------------

def render_crawler(r: SynthReport, rng: random.Random) -> str:
    title = f"{r.agency.name}{r.year}年度政府信息公开工作年度报告"
    if r.title_override is not None:
        title = "".join(r.title_override) or "政府信息公开年报"
    head = [f"标题: {title}", f"发布时间: {r.published} {rng.randint(8, 18):02d}:{rng.randint(0, 59):02d}",
            "文号: ", "发布机构: ", "栏目: 政府信息公开年报", f"原文链接: {r.source_url}",
            f"本地目录: zwgk/zfxxgknb/{r.year + 1}01/{title}",
            "页面链接与图片详见 links.tsv(同目录)", "==================== 正文 ===================="]
    parts: list[str] = []
    add = parts.append
    if rng.random() < 0.5:
        add(f"当前位置： 首页政务公开政府信息公开政府信息公开年报 {title} 来源：{r.agency.name} "
            f"时间：{r.published} 微信 微博 QQ空间 全真版 文字版 文件下载 ")

    def run(cells: list[str]) -> str:
        # cells run together; now and then a stray space survives from the page
        return "".join(c + (" " if rng.random() < 0.07 else "") for c in cells)

    add(" ".join(r.title_lines() + [r.prose.intro]))
    for key in _section_order(r):
        heading = r.heading(key)
        if heading is not None:
            add(heading)
        parts.extend(r.paragraphs(key))
        if key == "active_disclosure":
            for item, metrics, rows in r.section2_tables():
                add(" " + item + SECTION2_CONTENT_HEADER + "".join(metrics))
                for label, cells in rows:
                    add(label + run(cells))
        elif key == "applications":
            cols = r.column_labels()
            add(r.identity_note() + SECTION3_APPLICANT_HEADER + cols[0] + SECTION3_LEGAL_PERSON_HEADER
                + cols[6] + " " + "".join(cols[1:6]))
            for row_key, group, label, cells in r.table3_rows():
                add(label + run(cells))
        elif key == "review_litigation":
            groups, outcomes = r.section4_groups(), r.section4_outcomes()
            add(" " + groups[0] + SECTION4_SUIT_HEADER + "".join(outcomes) + groups[1] + groups[2]
                + "".join(outcomes) * 2 + run(r.section4_cells()) + " ")
    parts.extend(r.signature)
    body = "".join(parts)
    if rng.random() < 0.3:
        body += " 附件下载"
    return "\n".join(head) + "\n" + body + "\n"
