"""HTML reader: the real 上海 2019 fragment plus variants built from it (charsets, chrome, layout)."""

from __future__ import annotations

from pathlib import Path

import pytest

from etl.document import TableGrid, TextLine
from etl.errors import ReportError
from etl.readers import read_bytes, read_path
from etl.readers.grid import SourceCell, expand_spans, join_lines
from etl.readers.html import read_html

FIXTURES = Path(__file__).parent / "fixtures"
SHANGHAI = FIXTURES / "realdata" / "001_shanghai_gov_office_2019.html"


@pytest.fixture(scope="module")
def fragment() -> str:
    return SHANGHAI.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def shanghai():
    return read_path(SHANGHAI)


def _grids(doc) -> list[list[list[str]]]:
    return [t.rows for t in doc.tables()]


def _row(table: TableGrid, first_label: str) -> int:
    return next(i for i, r in enumerate(table.rows) if first_label in "".join(r))


def test_real_fragment_blocks_in_order(shanghai):
    kinds = ["T" if isinstance(b, TableGrid) else "L" for b in shanghai.blocks]
    assert kinds.count("T") == 3
    texts = [b.text for b in shanghai.text_lines()]
    # the heading of section 三 comes right before table 三, section 四 before its table
    i3 = texts.index("三、收到和处理政府信息公开申请情况")
    assert isinstance(shanghai.blocks[shanghai.blocks.index(shanghai.text_lines()[i3]) + 1], TableGrid)
    assert texts[-1] == "无。"
    assert shanghai.form == "html"
    assert [t.index for t in shanghai.tables()] == [0, 1, 2]


def test_real_fragment_title_and_date(shanghai):
    assert shanghai.title == "2019年上海市人民政府办公厅政府信息公开工作年度报告"
    assert shanghai.meta["published"] == "2020-01-31"


def test_table3_grid_spans_and_blanks(shanghai):
    t3 = shanghai.tables()[1]
    assert (t3.n_rows, t3.n_cols) == (26, 10)
    assert all(len(r) == 10 for r in t3.rows)
    r = _row(t3, "一、本年新收")
    assert t3.rows[r][3:] == ["821", "35", "", "", "2", "1", "859"]       # &nbsp; -> ""
    # the label spans three columns: one source cell, same origin
    assert t3.origin[r][0] == t3.origin[r][1] == t3.origin[r][2] == (r, 0)
    # vertical label 三、本年度办理结果 spans the result rows
    granted = _row(t3, "（一）予以公开")
    total = _row(t3, "（七）总计")
    assert {t3.origin[i][0] for i in range(granted, total + 1)} == {(granted, 0)}
    # the blank cells of a row are distinct source cells even though their text is equal
    assert t3.origin[r][5] != t3.origin[r][6]


def test_section2_colspan_quirk_is_visible_in_origin(shanghai):
    t2 = shanghai.tables()[0]
    hdr = next(i for i, row in enumerate(t2.rows) if row[2] == "本年增/减")
    # header: 本年增/减 spans columns 2-3; data row: the first value spans columns 1-2
    assert t2.origin[hdr][2] == t2.origin[hdr][3]
    lic = _row(t2, "行政许可")
    assert t2.origin[lic][1] == t2.origin[lic][2] != t2.origin[lic][3]
    assert t2.rows[1][1] == "本年新制作数量"          # "本年新<br />制作数量" joined without a space


def _page(fragment: str, charset_meta: str = "", chrome: bool = False, layout: bool = False) -> str:
    body = fragment
    if layout:
        body = (
            '<table width="100%"><tr><td class="left"><ul><li><a>机构职能</a></li>'
            '<li><a>政策文件</a></li></ul><table><tr><td>友情链接</td></tr></table></td>'
            f'<td class="main"><table><tr><td>{body}</td></tr></table></td></tr></table>'
        )
    if chrome:
        body = (
            '<header><div class="top">无障碍浏览 | 长者模式</div></header>'
            '<nav><a>首页</a><a>政务公开</a><a>政府信息公开年报</a></nav>'
            '<div class="crumb">当前位置：首页 > 政府信息公开 > 年度报告</div>'
            f'<div class="content"><div class="article">{body}</div>'
            '<div class="tools">【打印本页】 【关闭窗口】</div><div>分享到：微信 微博</div></div>'
            '<div class="foot"><p>主办单位：上海市人民政府办公厅</p>'
            '<p>版权所有 © 上海市人民政府 沪ICP备12345678号</p><p>网站地图 | 联系我们</p></div>'
            '<footer>沪公网安备 31010102002533号</footer>'
        )
    return (
        f"<!DOCTYPE html><html><head>{charset_meta}<title>2019年上海市人民政府办公厅政府信息公开工作年度报告_上海市人民政府</title>"
        f"<script>var x = '<table><tr><td>1</td></tr></table>';</script><style>td{{}}</style></head><body>{body}</body></html>"
    )


def test_gbk_page_with_meta_charset(tmp_path, fragment, shanghai):
    page = tmp_path / "gbk.html"
    page.write_bytes(_page(fragment, '<meta http-equiv="Content-Type" content="text/html; charset=gbk">')
                     .encode("gbk", "replace"))
    doc = read_path(page)
    assert doc.meta["encoding"] == "gb18030"
    assert _grids(doc) == _grids(shanghai)
    assert doc.title == shanghai.title


def test_page_without_meta_is_detected(tmp_path, fragment, shanghai):
    page = tmp_path / "nometa.htm"
    page.write_bytes(_page(fragment).encode("gb18030"))
    doc = read_path(page)
    assert doc.meta["encoding"] == "gb18030"
    assert _grids(doc) == _grids(shanghai)


def test_site_chrome_is_dropped(fragment, shanghai):
    doc = read_html(_page(fragment, chrome=True), "chrome.html")
    texts = [b.text for b in doc.text_lines()]
    for chrome in ("ICP", "无障碍", "网站地图", "主办单位", "打印本页", "分享到", "当前位置", "首页", "公网安备"):
        assert not any(chrome in t for t in texts), chrome
    assert texts == [b.text for b in shanghai.text_lines()]
    assert _grids(doc) == _grids(shanghai)


def test_nested_layout_tables(fragment, shanghai):
    doc = read_html(_page(fragment, chrome=True, layout=True), "layout.html")
    assert _grids(doc) == _grids(shanghai)          # the layout tables are walked through
    texts = [b.text for b in doc.text_lines()]
    assert "友情链接" not in texts and "机构职能" not in texts
    assert doc.title == shanghai.title


def test_title_from_title_tag_without_heading():
    html = ("<html><head><title>某某街道2023年政府信息公开工作年度报告-某某区人民政府</title></head>"
            "<body><p>一、总体情况</p><p>发布时间：2024年1月5日</p></body></html>")
    doc = read_html(html, "t.html")
    assert doc.title == "某某街道2023年政府信息公开工作年度报告"
    assert doc.meta["published"] == "2024-01-05"
    assert [b.text for b in doc.blocks] == ["一、总体情况", "发布时间：2024年1月5日"]


def test_br_and_inline_make_visual_lines():
    doc = read_html("<div>第一行<br>第<b>二</b>行<p>第三行</p>\n  尾巴</div>", "x.html")
    assert [b.text for b in doc.blocks] == ["第一行", "第二行", "第三行", "尾巴"]
    assert all(isinstance(b, TextLine) for b in doc.blocks)
    assert [b.line for b in doc.blocks] == [1, 2, 3, 4]


def test_empty_page_is_a_clear_error():
    with pytest.raises(ReportError) as err:
        read_bytes(b"<html><body><script>x</script></body></html>", "blank.html")
    assert err.value.reason == "empty" and "blank.html" in str(err.value)


def test_expand_spans_pads_and_cuts():
    rows = [[SourceCell("a", rowspan=5), SourceCell("b", colspan=2)], [SourceCell("c")]]
    grid = expand_spans(rows, index=0)
    assert grid.rows == [["a", "b", "b"], ["a", "c", ""]]
    assert grid.origin == [[(0, 0), (0, 1), (0, 1)], [(0, 0), (1, 1), (1, 2)]]


def test_join_lines_chinese_and_latin():
    assert join_lines(["本年新", "制作数量"]) == "本年新制作数量"
    assert join_lines(["Open", "data", "\u00a0"]) == "Open data"


def test_utf8_page_that_declares_gbk_is_read_as_utf8(tmp_path, fragment, shanghai):
    page = tmp_path / "lying.html"
    page.write_bytes(_page(fragment, '<meta charset="gbk">').encode("utf-8"))
    doc = read_path(page)
    assert doc.meta["encoding"] == "utf-8"
    assert doc.title == shanghai.title and _grids(doc) == _grids(shanghai)


def test_big5_declared_page(tmp_path):
    html = '<html><head><meta charset="big5"></head><body><p>一、總體情況</p><p>本年收到申請3件</p></body></html>'
    page = tmp_path / "big5.html"
    page.write_bytes(html.encode("big5"))
    doc = read_path(page)
    assert doc.meta["encoding"] == "big5"
    assert [b.text for b in doc.blocks] == ["一、總體情況", "本年收到申請3件"]


def test_chrome_patterns_spare_prose():
    from etl.readers.html import is_chrome_line

    for chrome in ("【打印本页】 【关闭窗口】", "分享到：微信 微博", "无障碍浏览", "字号：大 中 小",
                   "当前位置：首页 > 政务公开", "主办单位：某某区人民政府办公室", "沪ICP备12345678号"):
        assert is_chrome_line(chrome), chrome
    for prose in ("关闭整合更新不及时、无力运维的政务新媒体账号3个，确保公开信息及时准确。",
                  "无障碍环境建设方面，完成政府网站适老化和无障碍改造。",
                  "一、总体情况", "无。"):
        assert not is_chrome_line(prose), prose


def test_word_html_spacer_row_and_office_markup():
    html = ("<table class=MsoNormalTable border=1><tr><td><p class=MsoNormal>行政许可<o:p></o:p></p></td>"
            "<td><p class=MsoNormal align=center><span lang=EN-US>1</span><span lang=EN-US>2<o:p></o:p></span></p></td></tr>"
            "<![if !supportMisalignedColumns]><tr height=0><td width=57 style='border:none'></td>"
            "<td width=40 style='border:none'></td></tr><![endif]></table>")
    (grid,) = read_html(html, "word.htm").tables()
    assert grid.rows == [["行政许可", "12"]]               # runs glued, spacer row gone


def test_a_few_damaged_bytes_do_not_quarantine_a_page(fragment, shanghai):
    data = bytearray(fragment.encode("utf-8"))
    for i in range(1000, len(data), 5000):
        data[i] = 0xFF                                   # never valid in UTF-8
    doc = read_bytes(bytes(data), "damaged.html")
    assert doc.meta["encoding"] == "utf-8"
    assert len(doc.tables()) == 3 and doc.title == shanghai.title


def test_damaged_gbk_page_stays_gbk(fragment):
    data = bytearray(fragment.encode("gbk", "replace"))
    data[len(data) // 2] = 0x81                          # a lead byte with a bad trail
    data[len(data) // 2 + 1] = 0x20
    doc = read_bytes(bytes(data), "damaged_gbk.html")
    assert doc.meta["encoding"] == "gb18030"
    assert "三、收到和处理政府信息公开申请情况" in [b.text for b in doc.text_lines()]
