"""The mechanisms behind the layout classes, one by one, on small documents (docs/layouts.md)."""

from __future__ import annotations

import json

from conftest import REAL_MANIFEST, build_warehouse, query, truth_report
from etl.document import Document, TableGrid, TextLine
from etl.parse import parse_document, parse_path
from etl.parse.conformance import findings_of
from etl.parse.digits import solve_fixed
from etl.parse.identity import agency_name, find_identity, signature_agency, title_identity
from etl.parse.items import find_heading
from etl.readers.html import read_html
from etl.readers.text import read_text

S3 = "三、收到和处理政府信息公开申请情况"


# ---- one printed cell is one value -------------------------------------------------------------

def _section2_html(rows: str) -> str:
    return ("<p>二、主动公开政府信息情况</p><table>"
            "<tr><td colspan=5>第二十条第（一）项</td></tr>"
            "<tr><td>信息内容</td><td>本年制发件数</td><td>本年废止件数</td><td colspan=2>现行有效件数</td></tr>"
            + rows + "</table>")


def test_a_colspan_wider_than_the_table_and_padded_rows_are_one_value_each():
    html = _section2_html("<tr><td>规章</td><td>0</td><td>0</td><td colspan=2>0</td></tr>"
                          "<tr><td>行政规范性文件</td><td>5</td><td>1</td><td>30</td></tr>")
    doc = read_html(html + f"<p>{S3}</p><p>一、本年新收政府信息公开申请数量 0 0 0 0 0 0 0</p>", "w.html")
    rep = parse_document(doc)
    assert rep.section2()["normative_documents"] == {"issued": 5, "repealed": 1, "in_force": 30}
    assert rep.section2()["regulations"] == {"issued": 0, "repealed": 0, "in_force": 0}


def test_a_value_cell_merged_over_two_rows_is_not_repeated_below():
    html = _section2_html("<tr><td>规章</td><td>0</td><td rowspan=2>0</td><td>0</td></tr>"
                          "<tr><td>行政规范性文件</td><td>5</td><td>30</td></tr>")
    rep = parse_document(read_html(html + f"<p>{S3}</p><p>一、本年新收政府信息公开申请数量 0 0 0 0 0 0 0</p>",
                                   "m.html"))
    assert rep.cell("2", "regulations", "repealed").value == 0
    merged = rep.cell("2", "normative_documents", "repealed")
    assert merged.state == "unknown" and merged.value is None and "merged" in merged.note


# ---- rows printed apart from their labels ------------------------------------------------------

ROWS = [("一、本年新收政府信息公开申请数量", [3, 0, 0, 0, 0, 0, 3]), ("二、上年结转政府信息公开申请数量", [1] + [0] * 5 + [1])]


def _loose(identity_ok: bool, labels_in_order: bool = True) -> Document:
    from etl.template import SECTION3_ROWS

    values = {"new_received": [3, 0, 0, 0, 0, 0, 3], "carried_over": [1, 0, 0, 0, 0, 0, 1],
              "granted": [2, 0, 0, 0, 0, 0, 2], "unable_not_held": [1, 0, 0, 0, 0, 0, 1],
              "total": [3, 0, 0, 0, 0, 0, 3], "carried_forward": [1, 0, 0, 0, 0, 0, 1]}
    if not identity_ok:
        values["new_received"] = [4, 0, 0, 0, 0, 0, 4]
    labels = [r.label for r in SECTION3_ROWS]
    if not labels_in_order:
        labels[2], labels[3] = labels[3], labels[2]
    grid = [[str(v) for v in values.get(r.key, [0] * 7)] for r in SECTION3_ROWS]
    blocks = [TextLine("二、主动公开政府信息情况", 1), TextLine("本年制发件数", 2), TextLine(S3, 3)]
    blocks += [TextLine(label, 4 + i) for i, label in enumerate(labels)]
    blocks.append(TableGrid(rows=[["自然人", "商业", "科研", "社会公益", "法律服务", "其他", "总计"]] + grid, index=0))
    return Document("loose.md", "markdown", blocks)


def test_value_rows_apart_from_their_labels_placed_in_template_order():
    rep = parse_document(_loose(identity_ok=True))
    c = rep.cell("3", "unable_not_held", "natural_person")
    assert (c.value, c.state) == (1, "inferred") and "template's row order" in c.note
    assert rep.section3()["new_received"] == [3, 0, 0, 0, 0, 0, 3]


def test_placed_when_the_labels_follow_the_template_even_if_the_sums_break():
    rep = parse_document(_loose(identity_ok=False))
    assert rep.section3()["new_received"] == [4, 0, 0, 0, 0, 0, 4]      # as printed: validation's job
    assert "labels printed apart" in rep.cell("3", "granted", "total").note


def test_not_placed_when_nothing_confirms_the_order():
    rep = parse_document(_loose(identity_ok=False, labels_in_order=False))
    cells = [c for c in rep.cells if c.section == "3"]
    assert all(c.value is None for c in cells)
    assert {c.state for c in cells} == {"unknown"}                  # never absent, never guessed


# ---- tables known by their own header rows -----------------------------------------------------

def test_section_4_without_its_heading_is_read_not_called_absent():
    text = (f"{S3}\n一、本年新收政府信息公开申请数量 1 0 0 0 0 0 1\n四、结转下年度继续办理 0 0 0 0 0 0 0\n"
            "行政复议 行政诉讼\n结果维持 结果纠正 其他结果 尚未审结 总计\n"
            "1 0 0 0 1 0 0 0 0 0 0 0 0 0 0\n五、存在的主要问题及改进情况\n无。\n")
    rep = parse_document(read_text(text, "t.txt"))
    assert rep.section4()["review_upheld"] == 1 and rep.section4()["review_total"] == 1
    assert any(f["kind"] == "heading_missing" for f in findings_of(rep.warnings))


def test_headings_with_a_typo_or_another_numeral():
    assert find_heading("四、政府信息公开行政法复议、行政诉讼情况")[2] == "四"
    assert find_heading("三、主动公开政府信息情况")[2] == "二"
    assert find_heading("四、结转下年度继续办理") is None
    assert find_heading("二、上年结转政府信息公开申请数量") is None


# ---- identity --------------------------------------------------------------------------------

def test_never_a_pronoun_for_the_agency():
    assert agency_name("我区") is None and agency_name("本机关") is None and agency_name("全县") is None
    ident = find_identity(None, [], "2023年，我区坚持以习近平新时代中国特色社会主义思想为指导。", [], {})
    assert ident.agency is None and ident.year == 2023


def test_agency_kept_as_printed_with_full_width_parentheses():
    agency, year, _ = title_identity(["国家税务总局临江市税务局（市政府信息公开办）２０２３年政府信息公开工作年度报告"])
    assert agency == "国家税务总局临江市税务局（市政府信息公开办）" and year == 2023


def test_a_title_broken_over_two_lines_and_the_period_sentence():
    assert title_identity(["2023年临江市民政局政府信息公开工作", "年度报告"])[:2] == ("临江市民政局", 2023)
    ident = find_identity(None, ["政府信息公开年报"], "本报告统计周期为 2023 年 1 月 1 日至 12 月 31 日。", [], {})
    assert ident.year == 2023 and ident.source["year"] == "period"


def test_the_signature_names_the_agency():
    assert signature_agency(["无其他需要报告的事项。", "临江市民政局", "2024年1月20日"]) == "临江市民政局"
    assert signature_agency(["……事项。临江市民政局2024年1月20日 附件下载"]) == "临江市民政局"
    assert signature_agency(["我局将继续努力。", "2024年1月20日"]) is None


# ---- prose constraints on digits run together --------------------------------------------------

def test_prose_figures_constrain_a_run_but_a_contradicting_one_is_dropped():
    pins = {0: (77, "prose normative_issued=77 (line 1)"), 2: (393, "prose normative_in_force=393 (line 1)")}
    split = solve_fixed("77132470", 3, pins)
    assert split.values[0] == 77 and split.states[0] == "inferred" and "normative_issued=77" in split.note
    assert split.values[1:] == [None, None]                          # 393 fits no split: dropped
    both = solve_fixed("77132470", 3, {0: (77, "a"), 2: (470, "b")})
    assert both.values == [77, 132, 470] and both.states == ["inferred"] * 3


# ---- the findings reach validation_issues ------------------------------------------------------

def test_template_conformance_findings_are_warnings_in_validation_issues(tmp_path):
    parsed = parse_path(__import__("pathlib").Path(__file__).parent / "fixtures" / "realdata"
                        / "006_huaian_hongze_district_2023.txt")
    rep = truth_report("006_huaian_hongze_district_2023")
    rep.warnings = parsed.warnings
    clean = truth_report("001_shanghai_gov_office_2019")
    wh = build_warehouse(tmp_path, [
        ({"file": "006.txt", "agency": rep.agency, "year": 2023,
          **REAL_MANIFEST["006_huaian_hongze_district_2023"]}, rep),
        ({"file": "001.html", "agency": clean.agency, "year": 2019,
          **REAL_MANIFEST["001_shanghai_gov_office_2019"]}, clean)])
    got = query(wh, "SELECT year, severity, cells, formula, message FROM validation_issues "
                    "WHERE rule = 'template_conformance' ORDER BY cells")
    assert {r[1] for r in got} == {"warning"}
    assert [r[0] for r in got] == [2023, 2023]
    label = next(r for r in got if r[2].startswith("row_label"))
    assert "2.其他法律行政止公开" in label[2] and "2.其他法律行政法规禁止公开" in label[3]
    status = dict(query(wh, "SELECT year, status FROM validation_results WHERE rule = 'template_conformance'"))
    assert status == {2019: "passed", 2023: "failed"}


def test_result_figures_are_checked_against_the_result_groups(tmp_path):
    from conftest import add_prose

    rep = truth_report("013_pingtan_2023")
    for key, value in (("results_granted_partial", 42), ("results_denied", 5), ("results_unable", 31),
                       ("results_rejected", 1), ("results_other", 3)):            # 其他处理 is 2
        add_prose(rep, key, value)
    wh = build_warehouse(tmp_path, [({"file": "013.txt", "agency": rep.agency, "year": 2023,
                                      **REAL_MANIFEST["013_pingtan_2023"]}, rep)])
    got = query(wh, "SELECT expected, actual, delta, cells FROM validation_issues WHERE rule = 'prose_vs_table'")
    assert [(e, a, d) for e, a, d, _ in got] == [(2, 3, 1)]
    assert "results_other" in got[0][3]
    n = query(wh, "SELECT n_checks, n_passed FROM validation_results WHERE rule = 'prose_vs_table'")
    assert n == [(5, 4)]
    json.dumps(got)                                          # (plain values)
