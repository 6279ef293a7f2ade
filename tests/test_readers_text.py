"""readers/text.py: the form of a text file, its lines with page numbers, Markdown pipe tables,
crawler metadata."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from etl.document import TableGrid, TextLine
from etl.readers import read_path
from etl.readers.text import detect_form, read_text

FIX = Path(__file__).parent / "fixtures"
REAL = FIX / "realdata"


@pytest.mark.parametrize("name, form", [
    ("000_0ef24cf9c99c7ecf.txt", "flat_text"),
    ("realdata/006_huaian_hongze_district_2023.txt", "layout_text"),
    ("realdata/007_huaian_hongze_district_2024.txt", "run_text"),
    ("realdata/002_shuyang_county_2025.md", "markdown"),
    ("realdata/009_pingtan_2019.txt", "crawler"),
    ("realdata/011_pingtan_2021.txt", "crawler"),
])
def test_form_detection(name, form):
    doc = read_path(FIX / name)
    assert doc.form == form
    assert detect_form((FIX / name).read_text(encoding="utf-8")) == form


def test_layout_text_pages_from_form_feeds_and_page_numbers_dropped():
    doc = read_path(REAL / "006_huaian_hongze_district_2023.txt")
    texts = [b.text.strip() for b in doc.text_lines()]
    assert "-3-" not in texts and "-1-" not in texts
    pages = {b.page for b in doc.text_lines()}
    assert min(pages) == 1 and max(pages) >= 5
    line = next(b for b in doc.text_lines() if "3.补正后申请内容仍不明确" in b.text)
    assert line.page == 4                     # after the third form feed
    # line numbers are the source's (1-based)
    src = (REAL / "006_huaian_hongze_district_2023.txt").read_text(encoding="utf-8").split("\n")
    assert "3.补正后申请内容仍不明确" in src[line.line - 1]


def test_run_text_pages_from_page_number_lines():
    doc = read_path(REAL / "007_huaian_hongze_district_2024.txt")
    assert all(not b.text.strip().startswith("-") or not b.text.strip().endswith("-")
               for b in doc.text_lines())
    first = doc.text_lines()[0]
    assert first.page == 1
    after = next(b for b in doc.text_lines() if b.text.startswith("2.没有现成信息"))
    assert after.page == 4                    # printed after "-3-"


def test_flat_text_keeps_every_cell_line_without_pages():
    doc = read_path(FIX / "000_0ef24cf9c99c7ecf.txt")
    assert all(b.page is None for b in doc.text_lines())
    assert sum(1 for b in doc.text_lines() if b.text.strip() == "3") == 6


def test_markdown_pipe_tables_become_grids():
    doc = read_path(REAL / "002_shuyang_county_2025.md")
    grids = doc.tables()
    assert len(grids) >= 15
    first = grids[0]
    assert first.rows[0] == ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"]
    assert first.rows[2] == ["行政规范性文件", "6", "1", "32"]
    # |---| rules are dropped; "-" placeholder cells are kept
    assert not any(all(re.fullmatch(r":?-{3,}:?", c) for c in r) for g in grids for r in g.rows)
    assert any(r == ["-", "-"] for g in grids for r in g.rows)
    assert any(isinstance(b, TextLine) and b.text == "二、主动公开政府信息情况" for b in doc.blocks)


def test_markdown_ragged_rows_are_padded():
    doc = read_text("# t\n| a | b | c |\n|---|---|---|\n| x | 1 |\n", "x.md")
    (grid,) = doc.tables()
    assert isinstance(grid, TableGrid) and grid.rows[1] == ["x", "1", ""]


def test_crawler_header_and_body():
    doc = read_path(REAL / "009_pingtan_2019.txt")
    assert doc.title == "平潭综合实验区2019年度政府信息公开工作年度报告"
    assert doc.meta["published"] == "2020-01-20 15:22"
    assert doc.meta["url"].startswith("https://www.pingtan.gov.cn/")
    assert "文号" not in doc.meta                # empty values are not kept
    assert not any("原文链接" in b.text for b in doc.text_lines())
    assert any("三、收到和处理政府信息公开申请情况" in b.text for b in doc.text_lines())


def test_page_number_variants_dropped():
    text = "标题行\n\n第 2 页 共 9 页\n\n正文一\n\n- 3 -\n\n正文二\n\n4/9\n\n正文三\n"
    doc = read_text(text, "x.txt")
    assert [b.text for b in doc.text_lines()] == ["标题行", "正文一", "正文二", "正文三"]
    assert [b.page for b in doc.text_lines()] == [1, 2, 3, 4]


def test_crlf_and_bom():
    doc = read_text("\ufeff第一行\r\n\r\n第二行\r\n", "x.txt")
    assert [b.text for b in doc.text_lines()] == ["第一行", "第二行"]


def test_bare_page_number_before_a_form_feed_is_dropped():
    text = "第一页正文\n\n  1\n\f第二页正文\n  0\n  7\n\f末页\n"
    doc = read_text(text, "x.txt")
    # "1" closes page 1 and is its number; "7" closes page 2 but is not 2: a cell, kept
    assert [(b.text.strip(), b.page) for b in doc.text_lines()] == [
        ("第一页正文", 1), ("第二页正文", 2), ("0", 2), ("7", 2), ("末页", 3)]
