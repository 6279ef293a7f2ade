"""HTML form: a government site page (nav, breadcrumb, footer with the ICP line, 无障碍) with the
report's tables in rowspan/colspan layout as the 上海 sample prints them; &nbsp; for blank cells;
sometimes GBK with <meta charset=gbk>.  Plain string building (hot path)."""

from __future__ import annotations

import random

from etl.synth.render_text import _section_order
from etl.synth.report import SynthReport
from etl.template import (
    SECTION2_CONTENT_HEADER,
    SECTION3_APPLICANT_HEADER,
    SECTION3_LEGAL_PERSON_HEADER,
    SECTION3_RESULTS_CAPTION,
    SECTION4_SUIT_HEADER,
)


def _esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _td(text: str, attrs: str = "") -> str:
    body = _esc(text) if text else "&nbsp;"
    return f'<td{attrs}><p align="center">{body}</p></td>'


def _lbl(text: str, attrs: str = "") -> str:
    return f"<td{attrs}><p>{_esc(text)}</p></td>"


def _header(label: str, split: bool) -> str:
    if split and len(label) >= 4:
        return _esc(label[: len(label) // 2]) + "<br />" + _esc(label[len(label) // 2:])
    return _esc(label)


def render_html(r: SynthReport, rng: random.Random) -> tuple[bytes, str]:
    """Returns (bytes, encoding)."""
    gbk = rng.random() < 0.25
    enc = "gbk" if gbk else "utf-8"
    split = r.style.split_headers
    site = r.agency.region_path.split("/")[-1]
    word = r.layout("word_export")
    lrng = r.lrng
    h: list[str] = []
    add = h.append
    page_title = r.title() if r.title_override is None else "政府信息公开年报"
    add(f'<!DOCTYPE html>\n<html>\n<head>\n<meta charset="{enc}">\n'
        f"<title>{_esc(page_title)}_{site}人民政府门户网站</title>\n</head>\n<body>\n")
    add('<div class="top-bar"><a href="#">无障碍</a> | <a href="#">长者模式</a> | <a href="#">English</a></div>\n')
    add('<div class="nav"><ul><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li>'
        '<li><a href="/zwfw/">政务服务</a></li><li><a href="/hdjl/">互动交流</a></li></ul></div>\n')
    add('<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; '
        "政府信息公开年报</div>\n")
    heading = "<br />".join(_esc(t) for t in r.title_lines())
    source = f"　来源：{_esc(r.agency.name)}" if r.title_override is None or r.layout_rng().random() < 0.5 else ""
    add(f'<div class="article"><h1>{heading}</h1>\n<div class="info">发布日期：{r.published}'
        f"{source}　【字体：大 中 小】</div>\n<div class=\"content\">\n")
    pstyle = ' style="text-indent:2em;"' if rng.random() < 0.5 else ""

    def para(text: str) -> None:
        add(f"<p{pstyle}>{_esc(text)}</p>\n")

    para(r.prose.intro)
    for key in _section_order(r):
        printed = r.heading(key)
        if printed is not None:
            para(printed)
        for p in r.paragraphs(key):
            para(p)
        if key == "active_disclosure":
            # the 上海 quirk: the header puts colspan=2 on the second metric while the data rows
            # put it on the first value, so grid columns do not line up (the spans tell)
            skew = rng.random() < 0.3
            for item, metrics, rows in r.section2_tables():
                add(_section2_table(item, metrics, rows, split, skew, lrng if word else None))
        elif key == "applications":
            add(_table3(r, split, lrng if word else None))
        elif key == "review_litigation":
            add(_table4(r, lrng if word else None))
    for line in r.signature:
        para(line)
    add("</div></div>\n")
    add(f'<div class="footer"><p>主办：{_esc(site)}人民政府办公室　承办：{_esc(site)}大数据中心</p>'
        f"<p>网站标识码：{rng.randint(3300000000, 3399999999)}　"
        f"江南ICP备{rng.randint(10000000, 99999999)}号-1　"
        f"江南公网安备 {rng.randint(33010000000000, 33019999999999)}号</p></div>\n</body>\n</html>\n")
    text = "".join(h)
    return text.encode(enc, errors="xmlcharrefreplace"), enc


# Word's "save as web page" (and CMS editors that paste from Word): MsoNormal paragraphs, <o:p>
# placeholders, a spacer row closing each table, and spans wider than the table.
_WORD_TABLE = ('<table class=MsoNormalTable border=1 cellspacing=0 cellpadding=0 '
               'style="border-collapse:collapse;border:none">')


def _wtd(text: str, attrs: str = "") -> str:
    body = _esc(text) if text else "&nbsp;"
    return (f"<td{attrs} valign=top style='border:solid windowtext 1.0pt'><p class=MsoNormal "
            f"align=center style='text-align:center'><span lang=EN-US>{body}<o:p></o:p></span></p></td>")


def _spacer(width: int) -> str:
    return ("<![if !supportMisalignedColumns]><tr height=0>"
            + "<td width=60 style='border:none'></td>" * width + "</tr><![endif]>")


def _section2_table(item: str, metrics: list[str], rows, split: bool, skew: bool,
                    word: random.Random | None) -> str:
    n = len(metrics) + 1
    skewed = skew and len(metrics) == 3
    if word is None:
        out = [f'<table align="center" border="1" cellspacing="0"><tbody>'
               f'<tr><td colspan="{n + skewed}"><p align="center">{_esc(item)}</p></td></tr>'
               f'<tr>{_td(SECTION2_CONTENT_HEADER)}'
               + "".join(f'<td{" colspan=2" if skewed and i == 1 else ""}><p align="center">'
                         f'{_header(m, split)}</p></td>' for i, m in enumerate(metrics))
               + "</tr>"]
        for label, cells in rows:
            out.append("<tr>" + _lbl(label) + "".join(_td(c, ' colspan="2"' if skewed and i == 0 else "")
                                                      for i, c in enumerate(cells)) + "</tr>")
        out.append("</tbody></table>\n")
        return "".join(out)
    # Word: the caption row and the header's last cell span past the table's right edge; each
    # data row's last value either spans there too or stops short (the reader pads the row)
    extra = word.choice((1, 1, 2))
    out = [_WORD_TABLE, f"<tr>{_wtd(item, f' colspan={n + extra}')}</tr>",
           "<tr>" + _wtd(SECTION2_CONTENT_HEADER)
           + "".join(_wtd(m, f" colspan={1 + extra}" if i == len(metrics) - 1 else "")
                     for i, m in enumerate(metrics)) + "</tr>"]
    for label, cells in rows:
        wide = word.random() < 0.5
        out.append("<tr>" + _wtd(label) + "".join(
            _wtd(c, f" colspan={1 + extra}" if wide and i == len(cells) - 1 else "")
            for i, c in enumerate(cells)) + "</tr>")
    out.append(_spacer(n + extra) + "</table>\n")
    return "".join(out)


def _table3(r: SynthReport, split: bool, word: random.Random | None) -> str:
    cols = r.column_labels()
    rows = r.table3_rows()
    n_results = sum(1 for k, g, _, _ in rows if k and (g is not None or k == "total"))
    group_sizes: dict[str, int] = {}
    for k, g, _, _ in rows:
        if k and g and g != SECTION3_RESULTS_CAPTION:
            group_sizes[g] = group_sizes.get(g, 0) + 1
    td = _wtd if word else _td
    extra = word.choice((1, 2)) if word else 0
    # split_table: the table broken in two at a data row (the second part without the header)
    data_rows = [i for i, row in enumerate(rows) if row[0] is not None]
    cut = r.layout_rng().choice(data_rows[3:-3]) if r.layout("split_table") else -1
    start = _WORD_TABLE if word else '<table align="center" border="1" cellspacing="0"><tbody>'
    end = (_spacer(10 + extra) + "</table>\n") if word else "</tbody></table>\n"
    out = [start]
    out.append("<tr>" + td(r.identity_note(), ' colspan="3" rowspan="3"')
               + td(SECTION3_APPLICANT_HEADER, f' colspan="{7 + extra}"') + "</tr>")
    out.append("<tr>" + td(cols[0], ' rowspan="2"') + td(SECTION3_LEGAL_PERSON_HEADER, ' colspan="5"')
               + td(cols[6], ' rowspan="2"') + "</tr>")
    out.append("<tr>" + "".join(f'<td><p align="center">{_header(c, split)}</p></td>' for c in cols[1:6])
               + "</tr>")
    opened: set[str] = set()
    results_open = False
    for i, (row_key, group, label, cells) in enumerate(rows):
        if row_key is None:
            continue              # group labels become rowspan cells
        if i == cut:
            out.append(end + "<p>&nbsp;</p>\n" + start)
        last = len(cells) - 1
        wide = word is not None and word.random() < 0.5
        tds = "".join(td(c, f' colspan="{1 + extra}"' if wide and j == last else "")
                      for j, c in enumerate(cells))
        lead = ""
        in_results = group is not None or row_key == "total"
        if in_results and not results_open:
            results_open = True
            # (a rowspan cut by the split: the second table starts its own rows)
            span = n_results if cut < 0 else sum(1 for j, rw in enumerate(rows) if j < cut and rw[0]
                                                  and (rw[1] is not None or rw[0] == "total"))
            lead += td(SECTION3_RESULTS_CAPTION, f' rowspan="{max(span, 1)}"')
        if group and group != SECTION3_RESULTS_CAPTION:
            if group not in opened or i == cut:
                opened.add(group)
                lead += _lbl(group, f' rowspan="{group_sizes[group]}"') if cut < 0 else _lbl(group)
            elif cut >= 0:
                lead += _lbl("")
            out.append(f"<tr>{lead}{_lbl(label)}{tds}</tr>")
        elif in_results:
            out.append("<tr>" + lead + _lbl(label, ' colspan="2"') + tds + "</tr>")
        else:
            out.append("<tr>" + _lbl(label, ' colspan="3"') + tds + "</tr>")
    out.append(end)
    return "".join(out)


def _table4(r: SynthReport, word: random.Random | None) -> str:
    groups, outcomes = r.section4_groups(), r.section4_outcomes()
    cells = r.section4_cells()
    td = _wtd if word else _td
    if r.layout("flat_table4"):
        # the header's merged cells come out as one row of outcome words out of order; the
        # values as one row of fifteen or three rows of five
        lrng = r.layout_rng()
        header = [o for _ in groups for o in outcomes]
        lrng.shuffle(header)
        if lrng.random() < 0.5:
            body = "<tr>" + "".join(td(c) for c in cells) + "</tr>"
        else:
            header = header[:5]
            body = "".join("<tr>" + "".join(td(c) for c in cells[g * 5:g * 5 + 5]) + "</tr>"
                           for g in range(len(groups)))
        return ('<table border="1"><tbody><tr>' + "".join(td(o) for o in header) + "</tr>"
                + body + "</tbody></table>\n")
    extra = word.choice((1, 2)) if word else 0
    out = ['<table align="center" border="1" cellspacing="0"><tbody>' if not word else _WORD_TABLE]
    out.append("<tr>" + td(groups[0], ' colspan="5"') + td(SECTION4_SUIT_HEADER, f' colspan="{10 + extra}"')
               + "</tr>")
    out.append("<tr>" + "".join(td(o, ' rowspan="2"') for o in outcomes)
               + td(groups[1], ' colspan="5"') + td(groups[2], ' colspan="5"') + "</tr>")
    out.append("<tr>" + "".join(td(o) for o in outcomes * 2) + "</tr>")
    wide = word is not None and word.random() < 0.6
    out.append("<tr>" + "".join(td(c, f' colspan="{1 + extra}"' if wide and j == len(cells) - 1 else "")
                                for j, c in enumerate(cells)) + "</tr>")
    out.append((_spacer(15 + extra) + "</table>\n") if word else "</tbody></table>\n")
    return "".join(out)
