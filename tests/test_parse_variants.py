"""One small variant of a real report per difficulty the parser must cope with.

Each variant is the seed (南星街道 2023, flattened text; truth in fixtures) changed in one way
that real reports are printed; the expected cells follow from the seed's truth and the change.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from etl.document import Document, TableGrid, TextLine
from etl.errors import ReportError
from etl.parse import PARSER_VERSION, parse_document, parse_path
from etl.parse.items import find_heading
from etl.readers.text import read_text

FIX = Path(__file__).parent / "fixtures"
SEED = FIX / "000_0ef24cf9c99c7ecf.txt"
TRUTH = json.loads((FIX / "000_0ef24cf9c99c7ecf.truth.json").read_text(encoding="utf-8"))


def seed_lines() -> list[str]:
    return SEED.read_text(encoding="utf-8").split("\n")


def parse_lines(lines: list[str], name: str = "variant.txt", manifest=None):
    return parse_document(read_text("\n".join(lines), name), manifest)


def index_of(lines: list[str], start: str, after: int = 0) -> int:
    for i in range(after, len(lines)):
        if lines[i].strip().startswith(start):
            return i
    raise AssertionError(start)


def row_value_slots(lines: list[str], label: str) -> list[int]:
    """Line indexes of the 7 values after a row label (skipping the blank separator lines)."""
    i = index_of(lines, label)
    out = []
    j = i + 1
    while len(out) < 7:
        if lines[j].strip():
            out.append(j)
        j += 1
    return out


def assert_matches_truth(rep) -> None:
    data = rep.to_json()
    assert data["section3"] == TRUTH["section3"]
    assert data["section4"] == TRUTH["section4"]
    assert data["section2"] == TRUTH["section2"]


def test_parser_version_is_a_string():
    assert isinstance(PARSER_VERSION, str) and PARSER_VERSION


def test_seed_parses_exactly():
    rep = parse_path(SEED)
    assert_matches_truth(rep)
    assert (rep.agency, rep.year, rep.template) == ("南星街道", 2023, "2021")
    assert rep.identity_source["agency"] == "prose"
    assert not [w for w in rep.warnings if "not found" in w]


def test_full_width_digits_and_brackets():
    full = str.maketrans("0123456789()", "０１２３４５６７８９（）")
    rep = parse_lines([ln.translate(full) for ln in seed_lines()])
    assert_matches_truth(rep)
    assert rep.year == 2023
    assert rep.cell("3", "new_received", "natural_person").raw == "３"


def test_dash_blank_and_text_cells():
    lines = seed_lines()
    slots = row_value_slots(lines, "二、上年结转")
    for slot, raw in zip(slots, ["/", "—", "-", "无", "0", "／", "未统计"]):
        lines[slot] = raw
    rep = parse_lines(lines)
    cells = [rep.cell("3", "carried_over", c) for c in
             ("natural_person", "commercial", "research", "social_welfare", "legal_service",
              "other_org", "total")]
    assert [c.state for c in cells] == ["dash"] * 4 + ["number", "dash", "text"]
    assert [c.value for c in cells] == [None] * 4 + [0, None, None]
    assert cells[0].raw == "/" and cells[6].raw == "未统计"
    assert any("未统计" in w for w in rep.warnings)
    # the rows after it are still in place
    assert rep.to_json()["section3"]["granted"] == TRUTH["section3"]["granted"]


def test_2021_report_with_the_old_single_other_row():
    lines = seed_lines()
    start = index_of(lines, "(六)其他处理")
    end = row_value_slots(lines, "3.其他")[-1]
    lines[start:end + 1] = ["(六)其他处理", "", *sum((["1", ""] for _ in range(7)), [])]
    lines[start + 2] = "2"                         # natural_person: a value the seed never has
    rep = parse_lines(lines)
    assert rep.template == "2021"
    s3 = rep.to_json()["section3"]
    assert s3["other_other"] == [2, 1, 1, 1, 1, 1, 1]
    assert s3["other_overdue_correction"] == [None] * 7
    assert rep.cell("3", "other_unpaid_fee", "total").state == "absent"
    assert any("single (六)其他处理" in w for w in rep.warnings)


def test_repeated_header_after_a_page_break():
    lines = seed_lines()
    at = row_value_slots(lines, "8.属于行政查询事项")[-1] + 1
    header = ["-3-", "\f申请人情况", "自然人", "法人或其他组织", "总计", "商业", "企业", "科研",
              "机构", "社会公益组织", "法律服务机构", "其他"]
    lines[at:at] = header
    rep = parse_lines(lines)
    assert_matches_truth(rep)
    # the rows after the break are on page 2 (the page number line and the form feed)
    src = rep.cell("3", "unable_not_held", "natural_person").source
    assert src.endswith("p2") or src.endswith("p3")


def test_labels_broken_over_lines():
    lines = seed_lines()
    i = index_of(lines, "6.属于四类过程性信息")
    lines[i:i + 1] = ["6.属于四类过程", "性信息"]           # no fragment in either half alone
    i = index_of(lines, "5.要求行政机关确认或重新出具")
    slots = row_value_slots(lines, "5.要求行政机关确认或重新出具")
    lines[i] = "5.要求行政机关确认或重新出具"
    lines.insert(slots[-1] + 1, "已获取信息")               # the label's tail after the numbers
    i = index_of(lines, "(二)部分公开")
    lines[i:i + 1] = ["(二)部分公开(区分处理的,只计这一情形,不", "计其他情形)"]
    rep = parse_lines(lines)
    assert_matches_truth(rep)


def test_numbers_between_the_halves_of_a_label():
    """The first half names no row; the row is named by the half printed after the numbers."""
    lines = seed_lines()
    i = index_of(lines, "5.要求行政机关确认或重新出具")
    slots = row_value_slots(lines, "5.要求行政机关确认或重新出具")
    lines[i] = "5.要求行政机关确认或"
    lines.insert(slots[-1] + 1, "重新出具已获取信息")
    lines[slots[0]] = "7"                                   # make the row recognisable
    rep = parse_lines(lines)
    assert rep.to_json()["section3"]["reject_confirm"] == [7, 0, 0, 0, 0, 0, 0]
    assert rep.to_json()["section3"]["other_overdue_correction"] == [0] * 7


def test_vertical_label_one_character_per_line():
    lines = seed_lines()
    chars = list("三、本年度办理结果")
    anchors = ["1.属于国家秘密", "2.其他法律", "3.危及", "4.保护第三方", "5.属于三类", "6.属于四类",
               "7.属于行政执法", "8.属于行政查询", "1.本机关不掌握"]
    for ch, label in zip(chars, anchors):
        i = index_of(lines, label)
        lines.insert(i, ch)
    rep = parse_lines(lines)
    assert_matches_truth(rep)


def test_carried_forward_row_is_not_section_four():
    assert find_heading("四、结转下年度继续办理") is None
    assert find_heading("四、 政府信息公开行政复议、行政诉讼情况")[2] == "四"
    assert find_heading("（四）因政府信息公开工作被申请行政复议、提起行政诉讼情况")[2] == "四"
    rep = parse_path(SEED)
    assert rep.cell("3", "carried_forward", "total").state == "number"
    assert rep.cell("4", "review", "total").state == "number"


def test_template_from_tables_not_year():
    lines = [ln.replace("2023年", "2020年") for ln in seed_lines()]
    rep = parse_lines(lines)
    assert rep.year == 2020
    assert rep.template == "2021"                   # the tables print 本年制发件数 etc.
    assert any(w.startswith("template_year") for w in rep.warnings)


def test_manifest_overrides_identity():
    rep = parse_lines(seed_lines(), manifest={"agency": "上城区南星街道办事处", "year": 2023,
                                              "agency_id": "330102001"})
    assert rep.agency == "上城区南星街道办事处"
    assert rep.identity_source["agency"] == "manifest"
    assert rep.identity_source["agency_id"] == "manifest"


def test_crawler_dump_of_the_seed():
    """All cells glued together: every run of table 三 has exactly 7 digits (one per cell)."""
    body = "".join(ln.strip() for ln in seed_lines() if ln.strip())
    text = ("标题: 南星街道2023年政府信息公开工作年度报告\n发布时间: 2024-01-20 10:00\n"
            "原文链接: https://example.gov.cn/x.html\n==================== 正文 ====================\n"
            + body + "\n")
    doc = read_text(text, "crawler.txt")
    assert doc.form == "crawler" and doc.meta["published"].startswith("2024-01-20")
    rep = parse_document(doc)
    assert_matches_truth(rep)
    assert rep.cell("3", "new_received", "total").state == "inferred"
    assert rep.identity_source["agency"] == "title"


def test_not_a_report():
    with pytest.raises(ReportError) as e:
        parse_document(read_text("这是一份会议通知。\n\n请各单位准时参加。\n", "notice.txt"))
    assert e.value.reason == "not_a_report"
    assert "notice.txt" in str(e.value)


def test_table_grid_colspan_misalignment_uses_source_cells():
    """Header puts colspan=2 on 本年增/减, data rows put it on the first value: values are read
    by distinct source cells, not by grid column."""
    header = ["信息内容", "上一年项目数量", "本年增/减", "本年增/减", "处理决定数量"]
    data = ["行政许可", "12", "12", "-3", "40"]
    grid = TableGrid(rows=[header, data], index=0,
                     origin=[[(0, 0), (0, 1), (0, 2), (0, 2), (0, 3)],
                             [(1, 0), (1, 1), (1, 1), (1, 2), (1, 3)]])
    lines = seed_lines()
    s2 = index_of(lines, "二、主动公开政府信息情况")
    s3 = index_of(lines, "三、收到和处理政府信息公开申请情况")
    doc = read_text("\n".join(lines), "html-like.txt")
    blocks = [b for b in doc.blocks if b.line <= s2 + 1]
    blocks.append(TextLine("第二十条第(五)项 本年新制作数量", s2 + 2))     # a 2019-template marker
    blocks.append(TextLine("对外公开总数量", s2 + 3))
    blocks.append(grid)
    blocks += [b for b in doc.blocks if b.line > s3]
    rep = parse_document(Document("html-like.html", "html", blocks))
    assert rep.template == "2019"
    assert rep.to_json()["section2"]["admin_license"] == {"prev_items": 12, "change": -3,
                                                          "decisions": 40}
    assert rep.cell("2", "admin_license", "change").source.startswith("table 0 r1 c3")


def test_markdown_generic_headers_and_bogus_header_row():
    md = "\n".join([
        "# 某某局2022年政府信息公开工作年度报告",
        "## 三、收到和处理政府信息公开申请情况",
        "| 类别 | 数据1 | 数据2 | 数据3 | 数据4 | 数据5 | 数据6 | 总计 |",
        "|---|---|---|---|---|---|---|---|",
        "| 本年新收政府信息公开申请数量 | 5 | 1 | 0 | 0 | 0 | 0 | 6 |",
        "| 上年结转政府信息公开申请数量 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |",
        "### (一) 予以公开",
        "| 类别 | 数据1 | 数据2 | 数据3 | 数据4 | 数据5 | 数据6 | 总计 |",
        "|---|---|---|---|---|---|---|---|",
        "| 予以公开 | 4 | 1 | 0 | 0 | 0 | 0 | 5 |",
        "| 项目 | 本年新收件数 | 上年结转件数 | 予以公开 | 部分公开 | 不予公开 | 结转下年度 | 总计 |",
        "|---|---|---|---|---|---|---|---|",
        "| （七）总计 | 4 | 1 | 0 | 0 | 0 | 0 | 5 |",
        "| 四、结转下年度继续办理 | 1 | 0 | 0 | 0 | 0 | 0 | 1 |",
        "## 四、政府信息公开行政复议、行政诉讼情况",
        "| 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 |",
        "|---|---|---|---|---|",
        "| 1 | 0 | 0 | 0 | 1 |",
        "| 0 | 0 | 0 | 0 | 0 |",
        "| 0 | 0 | 0 | 2 | 2 |",
    ])
    doc = read_text(md, "x.md")
    assert doc.form == "markdown"
    rep = parse_document(doc)
    s3 = rep.to_json()["section3"]
    assert s3["new_received"] == [5, 1, 0, 0, 0, 0, 6]
    assert s3["granted"] == [4, 1, 0, 0, 0, 0, 5]
    assert s3["total"] == [4, 1, 0, 0, 0, 0, 5]
    assert s3["carried_forward"] == [1, 0, 0, 0, 0, 0, 1]
    assert s3["partial"] == [None] * 7
    assert rep.to_json()["section4"]["suit_after_review_pending"] == 2
    assert (rep.agency, rep.year) == ("某某局", 2022)


def test_section4_small_tables_in_any_order_and_column_order():
    md = "\n".join([
        "# 某某局2022年政府信息公开工作年度报告",
        "## 三、收到和处理政府信息公开申请情况",
        "| 本年新收政府信息公开申请数量 | 5 | 1 | 0 | 0 | 0 | 0 | 6 |",
        "|---|---|---|---|---|---|---|---|",
        "## 四、政府信息公开行政复议、行政诉讼情况",
        "### 行政诉讼（复议后起诉）",
        "| 总计 | 结果维持 | 结果纠正 | 其他结果 | 尚未审结 |",
        "|---|---|---|---|---|",
        "| 3 | 1 | 0 | 0 | 2 |",
        "### 行政复议",
        "| 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 |",
        "|---|---|---|---|---|",
        "| 4 | 0 | 0 | 0 | 4 |",
        "### 行政诉讼（未经复议直接起诉）",
        "| 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 |",
        "|---|---|---|---|---|",
        "| 0 | 1 | 0 | 0 | 1 |",
    ])
    s4 = parse_document(read_text(md, "x.md")).to_json()["section4"]
    assert (s4["review_upheld"], s4["review_total"]) == (4, 4)
    assert (s4["suit_direct_corrected"], s4["suit_direct_total"]) == (1, 1)
    assert (s4["suit_after_review_total"], s4["suit_after_review_upheld"],
            s4["suit_after_review_pending"]) == (3, 1, 2)


def test_section2_metrics_mapped_by_header_and_amount_in_wan():
    text = "\n".join([
        "某某区2019年政府信息公开工作年度报告",
        "二、主动公开政府信息情况",
        "第二十条第(一)项",
        "信息内容   对外公开总数量   本年新制作数量   本年新公开数量",
        "规章        10   1   1",
        "规范性文件   30   4   3",
        "第二十条第(九)项",
        "信息内容   采购项目数量   采购总金额（万元）",
        "政府集中采购   6   25.1",
        "三、收到和处理政府信息公开申请情况",
        "一、本年新收政府信息公开申请数量   1 0 0 0 0 0 1",
    ])
    rep = parse_document(read_text(text, "x.txt"))
    s2 = rep.to_json()["section2"]
    assert rep.template == "2019"
    assert s2["regulations"] == {"new_made": 1, "new_published": 1, "total_published": 10}
    assert s2["normative_documents"] == {"new_made": 4, "new_published": 3, "total_published": 30}
    assert s2["gov_procurement"] == {"projects": 6, "amount": 251000}


def test_tab_separated_rows_keep_blank_cells():
    """Text copied from a web table: one tab between cells, empty cells are blank (not 0)."""
    lines = seed_lines()
    i = index_of(lines, "(一)予以公开")
    slots = row_value_slots(lines, "(一)予以公开")
    lines[i] = "(一)予以公开\t2\t\t\t\t\t\t2"
    for s in reversed(slots):
        del lines[s]
    lines[index_of(lines, "(七)总计")] = "(七)合计"            # 合计 for 总计
    rep = parse_lines(lines)
    assert rep.to_json()["section3"]["granted"] == [2, None, None, None, None, None, 2]
    assert rep.cell("3", "granted", "commercial").state == "blank"
    assert rep.to_json()["section3"]["total"] == TRUTH["section3"]["total"]


@pytest.mark.parametrize("text, number", [
    ("四、政府信息公开行政复议、行政诉讼情况", "四"),
    ("四 政府信息公开行政复议、行政诉讼情况", "四"),
    ("（四）因政府信息公开工作被申请行政复议、提起行政诉讼情况", "四"),
    ("政府信息公开行政复议、行政诉讼情况", "四"),               # numeral missing
    ("三、收到和处理政府信息公开申请情况", "三"),
    ("五、政府信息公开工作存在的主要问题及改进情况", "五"),
])
def test_section_heading_variants(text, number):
    assert find_heading(text)[2] == number


@pytest.mark.parametrize("text", [
    "四、结转下年度继续办理",
    "本报告包括总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况等六个部分",
    "三、本年度办理结果",
])
def test_not_section_headings(text):
    assert find_heading(text) is None


def test_nbsp_line_in_flattened_text_is_a_blank_cell():
    """A copied &nbsp; cell is a line holding only U+00A0: blank (null), not skipped — else the
    row's later values would slide one column left."""
    lines = seed_lines()
    slots = row_value_slots(lines, "一、本年新收")
    lines[slots[1]] = "\u00a0"
    rep = parse_lines(lines)
    assert rep.cell("3", "new_received", "commercial").state == "blank"
    assert rep.to_json()["section3"]["new_received"] == [3, None, 0, 0, 0, 0, 3]


def _crawler(body: str) -> str:
    return ("标题: 某某局2019年政府信息公开工作年度报告\n==================== 正文 ====================\n"
            + body + "\n")


def test_crawler_blank_cells_never_become_wrong_digits():
    """258|12|_|_|1|1|_ crawled reads 2581211: seven digits, but not one per cell.  The only
    one-digit split breaks the row's sum, so those cells are unknown, not 2|5|8|1|2|1|1."""
    body = ("三、收到和处理政府信息公开申请情况申请人情况自然人法人或其他组织总计商业企业科研机构"
            "社会公益组织法律服务机构其他一、本年新收政府信息公开申请数量1000001"
            "二、上年结转政府信息公开申请数量0000000三、本年度办理结果（一）予以公开2581211"
            "（二）部分公开（区分处理的，只计这一情形，不计其他情形）1000001"
            "四、政府信息公开行政复议、行政诉讼情况结果维持000000000000000")
    rep = parse_document(read_text(_crawler(body), "c.txt"))
    granted = [rep.cell("3", "granted", c) for c in ("natural_person", "total")]
    assert [c.state for c in granted] == ["unknown", "unknown"]
    assert all(c.value is None for c in granted) and "blank" in granted[0].note
    assert rep.to_json()["section3"]["partial"] == [1, 0, 0, 0, 0, 0, 1]


def test_crawler_signed_values_stay_in_their_run():
    body = ("二、主动公开政府信息情况第二十条第（五）项信息内容上一年项目数量本年增/减处理决定数量"
            "行政许可3-10其他对外管理服务事项5 0 7"
            "三、收到和处理政府信息公开申请情况一、本年新收政府信息公开申请数量1000001")
    rep = parse_document(read_text(_crawler(body), "c.txt"))
    lic = [rep.cell("2", "admin_license", m) for m in ("prev_items", "change", "decisions")]
    # "3-10": 3|-1|0 or 3|-10|… — never the digits 3|1|0 with the sign dropped
    assert all(c.value is None or (c.value, c.state) != (1, "inferred") for c in lic)
    assert all(c.raw == "3-10" for c in lic)
    assert rep.to_json()["section2"]["other_mgmt_services"] == {"prev_items": 5, "change": 0,
                                                                "decisions": 7}


def test_labels_listed_apart_from_their_numbers_are_never_misplaced():
    """Column-major extraction (all labels, then all numbers): the numbers cannot be placed, so
    no row gets another row's values."""
    text = "\n".join([
        "某某局2022年政府信息公开工作年度报告",
        "二、主动公开政府信息情况",
        "第二十条第（一）项",
        "信息内容", "本年制发件数", "本年废止件数", "现行有效件数",
        "规章", "行政规范性文件", "0", "0", "0", "0", "5", "5",
        "三、收到和处理政府信息公开申请情况",
        "一、本年新收政府信息公开申请数量", "二、上年结转政府信息公开申请数量",
        *["1", "0", "0", "0", "0", "0", "1"] * 2,
    ])
    rep = parse_document(read_text(text, "x.txt"))
    assert rep.cell("2", "normative_documents", "in_force").state == "unknown"
    assert rep.cell("2", "regulations", "issued").value is None
    assert rep.cell("3", "carried_over", "total").state == "unknown"
    assert rep.cell("3", "new_received", "total").value is None


def test_missing_section_headings_fall_back_to_the_tables():
    """No 二 / 三 headings printed: section 二 starts at the first 第二十条 caption, table 三 at
    its first row label."""
    lines = [ln for ln in seed_lines()
             if not ln.startswith(("二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况"))]
    rep = parse_lines(lines)
    assert_matches_truth(rep)
    assert rep.template == "2021"


def test_rows_drawn_with_bars_and_bold_markdown_cells():
    lines = seed_lines()
    i = index_of(lines, "(一)予以公开")
    slots = row_value_slots(lines, "(一)予以公开")
    lines[i] = "│(一)予以公开│ 2 │ │ 0 │ 0 │ 0 │ 0 │ 2 │"
    for s in reversed(slots):
        del lines[s]
    rep = parse_lines(lines)
    assert rep.to_json()["section3"]["granted"] == [2, None, 0, 0, 0, 0, 2]
    md = ("# 某某局2022年政府信息公开工作年度报告\n## 三、收到和处理政府信息公开申请情况\n"
          "| **本年新收政府信息公开申请数量** | **5** | 1 | 0 | 0 | 0 | 0 | **6** |\n|---|---|---|---|---|---|---|---|\n")
    rep = parse_document(read_text(md, "x.md"))
    assert rep.to_json()["section3"]["new_received"] == [5, 1, 0, 0, 0, 0, 6]


@pytest.mark.parametrize("label, expected", [
    ("3.其他", True), ("3、其他", True), ("(六)其他", True), ("（六）其他 3.其他", True),
    ("法人或其他", False), ("社会公益组织法律服务机构其他", False), ("其他处理", False),
])
def test_bare_other_label(label, expected):
    from etl.parse.labels import is_bare_other
    from etl.template import normalize_label
    assert is_bare_other(normalize_label(label)) is expected


def test_table_row_other_under_a_short_group_cell():
    """2021 table whose group cell reads (六)其他 (no 处理): the sub-row 3.其他 is other_other."""
    header = ["(六)其他", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
              "1", "0", "0", "0", "0", "0", "1"]
    rows = [header,
            ["(六)其他", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
             "0", "0", "0", "0", "0", "0", "0"],
            ["(六)其他", "3.其他", "2", "0", "0", "0", "0", "0", "2"],
            ["(七)总计", "(七)总计", "3", "0", "0", "0", "0", "0", "3"]]
    origin = [[(0, 0), (0, 1)] + [(0, c) for c in range(2, 9)],
              [(0, 0), (1, 1)] + [(1, c) for c in range(2, 9)],
              [(0, 0), (2, 1)] + [(2, c) for c in range(2, 9)],
              [(3, 0), (3, 0)] + [(3, c) for c in range(2, 9)]]
    blocks = [TextLine("三、收到和处理政府信息公开申请情况", 1),
              TextLine("一、本年新收政府信息公开申请数量 3 0 0 0 0 0 3", 2),
              TextLine("(一)予以公开 0 0 0 0 0 0 0", 3),
              TableGrid(rows=rows, index=0, origin=origin)]
    rep = parse_document(Document("t.html", "html", blocks))
    s3 = rep.to_json()["section3"]
    assert s3["other_other"] == [2, 0, 0, 0, 0, 0, 2]
    assert s3["other_overdue_correction"] == [1, 0, 0, 0, 0, 0, 1]
    assert s3["total"] == [3, 0, 0, 0, 0, 0, 3]


def test_layout_text_table_continued_after_a_page_break_with_repeated_header():
    path = Path(__file__).parent / "fixtures/realdata/006_huaian_hongze_district_2023.txt"
    truth = json.loads((path.parent / "truth/006_huaian_hongze_district_2023.json").read_text("utf-8"))
    lines = path.read_text(encoding="utf-8").split("\n")
    i = next(n for n, ln in enumerate(lines) if ln.startswith("\f") and
             "3.补正后申请内容仍不明确" in lines[n + 1] + lines[n + 2])
    header = ["                                                        自然人            社会  法律        总计",
              "                                                               商业  科研",
              "                                                                         公益  服务  其他",
              "                                                               企业  机构",
              "                                                                         组织  机构"]
    lines[i + 1:i + 1] = header
    rep = parse_document(read_text("\n".join(lines), "006-variant.txt"))
    assert rep.form == "layout_text"
    assert rep.to_json()["section3"] == truth["section3"] | {
        "other_overdue_correction": [None] * 7, "other_unpaid_fee": [None] * 7}
    assert rep.cell("3", "unable_unclear", "total").source.endswith("p4")


def test_table_columns_placed_by_their_header():
    """A table with the 总计 column first and an extra 备注 column: cells go where the header
    says, not by counting."""
    header1 = ["申请人情况", "总计", "自然人", "法人或其他组织", "法人或其他组织", "法人或其他组织",
               "法人或其他组织", "法人或其他组织", "备注"]
    header2 = ["申请人情况", "总计", "自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构",
               "其他", "备注"]
    rows = [header1, header2,
            ["一、本年新收政府信息公开申请数量", "6", "5", "1", "0", "0", "0", "0", "无"],
            ["二、上年结转政府信息公开申请数量", "1", "1", "", "", "", "", "", ""]]
    origin = [[(0, 0), (0, 1), (0, 2), (0, 3), (0, 3), (0, 3), (0, 3), (0, 3), (0, 8)],
              [(0, 0), (0, 1), (0, 2), (1, 3), (1, 4), (1, 5), (1, 6), (1, 7), (0, 8)],
              [(2, c) for c in range(9)], [(3, c) for c in range(9)]]
    blocks = [TextLine("三、收到和处理政府信息公开申请情况", 1),
              TableGrid(rows=rows, index=0, origin=origin)]
    rep = parse_document(Document("t.html", "html", blocks))
    s3 = rep.to_json()["section3"]
    assert s3["new_received"] == [5, 1, 0, 0, 0, 0, 6]
    assert s3["carried_over"] == [1, None, None, None, None, None, 1]
    assert rep.cell("3", "new_received", "total").source == "table 0 r2 c1"


def test_section4_table_columns_placed_by_their_header():
    """Groups printed in another order and a blank cell: placed by the group/outcome header."""
    groups = ["复议后起诉"] * 5 + ["行政复议"] * 5 + ["未经复议直接起诉"] * 5
    outcomes = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 3
    values = ["1", "", "0", "0", "1", "2", "0", "0", "0", "2", "0", "0", "0", "3", "3"]
    grid = TableGrid(rows=[groups, outcomes, values], index=0)
    blocks = [TextLine("四、政府信息公开行政复议、行政诉讼情况", 1), grid]
    rep = parse_document(Document("t.html", "html", [TextLine("三、收到和处理政府信息公开申请情况", 0),
                                                     TextLine("一、本年新收政府信息公开申请数量 0 0 0 0 0 0 0", 0),
                                                     *blocks]))
    s4 = rep.to_json()["section4"]
    assert (s4["review_upheld"], s4["review_total"]) == (2, 2)
    assert (s4["suit_direct_pending"], s4["suit_direct_total"]) == (3, 3)
    assert (s4["suit_after_review_upheld"], s4["suit_after_review_corrected"]) == (1, None)
    assert rep.cell("4", "suit_after_review", "corrected").state == "blank"


def test_identity_from_crawler_metadata_when_text_says_nothing():
    text = ("标题: 政务公开年报\n发布时间: 2022-01-28 09:00\n发布机构: 某某区商务局\n"
            "==================== 正文 ====================\n"
            "三、收到和处理政府信息公开申请情况一、本年新收政府信息公开申请数量1000001\n")
    rep = parse_document(read_text(text, "c.txt"))
    assert (rep.agency, rep.year) == ("某某区商务局", 2021)
    assert rep.identity_source["agency"] == "publisher"
    assert rep.identity_source["year"] == "published"


def test_section4_blank_cells_vanished_from_aligned_text():
    """Ten of fifteen values printed (blanks vanished): the group totals are read where every
    placement that keeps the identities agrees; the cells they cannot place stay unknown."""
    lines = seed_lines()
    i = index_of(lines, "四、 政府信息公开行政复议、行政诉讼情况")
    j = index_of(lines, "五、存在的主要问题及改进情况")
    lines[i + 1:j] = ["行政复议 行政诉讼", "结果维持 结果纠正 其他结果 尚未审结 总计",
                      "  8   1   1        10    2            2    4       1   1    6"]
    rep = parse_lines(lines)
    s4 = rep.to_json()["section4"]
    assert (s4["review_total"], s4["suit_direct_total"], s4["suit_after_review_total"]) == (10, 2, 6)
    assert rep.cell("4", "review", "total").state == "inferred"
    assert rep.cell("4", "review", "corrected").state == "unknown"
    assert all(c.value is None or c.column == "total" for c in rep.cells if c.section == "4")


def test_a_text_quoting_one_row_label_is_not_a_report():
    """A notice (or a README) that quotes a table 三 label with a number is not a report: with
    no section heading, one row is not enough; a bare table 三 of several rows still is."""
    quote = "说明：统计口径为“一、本年新收政府信息公开申请数量”，例如 3 件。\n"
    with pytest.raises(ReportError) as e:
        parse_document(read_text(quote, "readme.txt"))
    assert e.value.reason == "not_a_report"
    table = "\n".join(["一、本年新收政府信息公开申请数量", *"3000003",
                       "二、上年结转政府信息公开申请数量", *"0000000",
                       "（七）总计", *"3000003", "四、结转下年度继续办理", *"0000000"])
    rep = parse_document(read_text(table, "bare_table.txt"))
    assert rep.section3()["new_received"] == [3, 0, 0, 0, 0, 0, 3]
