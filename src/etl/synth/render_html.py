"""HTML form: a government site page (nav, breadcrumb, footer with the ICP line, 无障碍) with the
report's tables in rowspan/colspan layout as the 上海 sample prints them; &nbsp; for blank cells;
sometimes GBK with <meta charset=gbk>.  Plain string building (hot path)."""

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
from etl.synth.render_text import _section_order


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
    h: list[str] = []
    add = h.append
    add(f'<!DOCTYPE html>\n<html>\n<head>\n<meta charset="{enc}">\n'
        f"<title>{_esc(r.title())}_{site}人民政府门户网站</title>\n</head>\n<body>\n")
    add('<div class="top-bar"><a href="#">无障碍</a> | <a href="#">长者模式</a> | <a href="#">English</a></div>\n')
    add('<div class="nav"><ul><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li>'
        '<li><a href="/zwfw/">政务服务</a></li><li><a href="/hdjl/">互动交流</a></li></ul></div>\n')
    add('<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; '
        "政府信息公开年报</div>\n")
    add(f'<div class="article"><h1>{_esc(r.title())}</h1>\n<div class="info">发布日期：{r.published}'
        f"　来源：{_esc(r.agency.name)}　【字体：大 中 小】</div>\n<div class=\"content\">\n")
    pstyle = ' style="text-indent:2em;"' if rng.random() < 0.5 else ""

    def para(text: str) -> None:
        add(f"<p{pstyle}>{_esc(text)}</p>\n")

    para(r.prose.intro)
    for key in _section_order(r):
        para(r.heading(key))
        for p in r.paragraphs(key):
            para(p)
        if key == "active_disclosure":
            # the 上海 quirk: the header puts colspan=2 on the second metric while the data rows
            # put it on the first value, so grid columns do not line up (the spans tell)
            skew = rng.random() < 0.3
            for item, metrics, rows in r.section2_tables():
                n = len(metrics) + 1
                skewed = skew and len(metrics) == 3
                add(f'<table align="center" border="1" cellspacing="0"><tbody>'
                    f'<tr><td colspan="{n + skewed}"><p align="center">{_esc(item)}</p></td></tr>'
                    f'<tr>{_td(SECTION2_CONTENT_HEADER)}'
                    + "".join(f'<td{" colspan=2" if skewed and i == 1 else ""}><p align="center">'
                              f'{_header(m, split)}</p></td>' for i, m in enumerate(metrics))
                    + "</tr>")
                for label, cells in rows:
                    add("<tr>" + _lbl(label) + "".join(_td(c, ' colspan="2"' if skewed and i == 0 else "")
                                                       for i, c in enumerate(cells)) + "</tr>")
                add("</tbody></table>\n")
        elif key == "applications":
            cols = r.column_labels()
            add('<table align="center" border="1" cellspacing="0"><tbody>')
            add("<tr>" + _td(r.identity_note(), ' colspan="3" rowspan="3"')
                + _td(SECTION3_APPLICANT_HEADER, ' colspan="7"') + "</tr>")
            add("<tr>" + _td(cols[0], ' rowspan="2"') + _td(SECTION3_LEGAL_PERSON_HEADER, ' colspan="5"')
                + _td(cols[6], ' rowspan="2"') + "</tr>")
            add("<tr>" + "".join(f'<td><p align="center">{_header(c, split)}</p></td>' for c in cols[1:6])
                + "</tr>")
            rows = r.table3_rows()
            n_results = sum(1 for k, g, _, _ in rows if k and (g is not None or k == "total"))
            group_sizes: dict[str, int] = {}
            for k, g, _, _ in rows:
                if k and g and g != SECTION3_RESULTS_CAPTION:
                    group_sizes[g] = group_sizes.get(g, 0) + 1
            opened: set[str] = set()
            results_open = False
            for row_key, group, label, cells in rows:
                if row_key is None:
                    continue              # group labels become rowspan cells
                tds = "".join(_td(c) for c in cells)
                lead = ""
                in_results = group is not None or row_key == "total"
                if in_results and not results_open:
                    results_open = True
                    lead += _td(SECTION3_RESULTS_CAPTION, f' rowspan="{n_results}"')
                if group and group != SECTION3_RESULTS_CAPTION:
                    if group not in opened:
                        opened.add(group)
                        lead += _lbl(group, f' rowspan="{group_sizes[group]}"')
                    add(f"<tr>{lead}{_lbl(label)}{tds}</tr>")
                elif in_results:
                    add("<tr>" + lead + _lbl(label, ' colspan="2"') + tds + "</tr>")
                else:
                    add("<tr>" + _lbl(label, ' colspan="3"') + tds + "</tr>")
            add("</tbody></table>\n")
        elif key == "review_litigation":
            groups, outcomes = r.section4_groups(), r.section4_outcomes()
            add('<table align="center" border="1" cellspacing="0"><tbody>')
            add("<tr>" + _td(groups[0], ' colspan="5"') + _td(SECTION4_SUIT_HEADER, ' colspan="10"') + "</tr>")
            add("<tr>" + "".join(_td(o, ' rowspan="2"') for o in outcomes)
                + _td(groups[1], ' colspan="5"') + _td(groups[2], ' colspan="5"') + "</tr>")
            add("<tr>" + "".join(_td(o) for o in outcomes * 2) + "</tr>")
            add("<tr>" + "".join(_td(c) for c in r.section4_cells()) + "</tr>")
            add("</tbody></table>\n")
    add("</div></div>\n")
    add(f'<div class="footer"><p>主办：{_esc(site)}人民政府办公室　承办：{_esc(site)}大数据中心</p>'
        f"<p>网站标识码：{rng.randint(3300000000, 3399999999)}　"
        f"江南ICP备{rng.randint(10000000, 99999999)}号-1　"
        f"江南公网安备 {rng.randint(33010000000000, 33019999999999)}号</p></div>\n</body>\n</html>\n")
    text = "".join(h)
    return text.encode(enc, errors="xmlcharrefreplace"), enc
