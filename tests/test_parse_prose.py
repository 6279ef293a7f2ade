"""parse/prose: the figures the prose states, read faithfully and only when unambiguous.

Expected figures of the real files were written by reading their prose (and the truth notes),
including the places where the prose disagrees with the tables (洪泽区 2024 受理17 vs 95,
平潭 2023 现行有效393 vs 470, 上海 2019 复议7/诉讼9): those are validation cases.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from etl.document import TextLine
from etl.parse.prose import extract_figures
from etl.template import PROSE_FIGURE_KEYS

FIXTURES = Path(__file__).parent / "fixtures"
REAL = FIXTURES / "realdata"


def prose_lines(path: Path) -> list[TextLine]:
    """Every non-empty line of a fixture (tables included, which the extractor must not trip
    over); markdown table rows and HTML table cells are left out, as the parser would."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".html":
        text = re.sub(r"<(td|th)\b[^>]*>.*?</\1>", "", text, flags=re.S)
        text = html.unescape(re.sub(r"<[^>]+>", "\n", text))
    return [TextLine(line, i) for i, line in enumerate(text.splitlines(), 1)
            if line.strip() and not line.lstrip().startswith("|")]


def figures(lines) -> dict[str, int | float]:
    return {f.key: f.value for f in extract_figures(lines)}


def lines(*texts: str) -> list[TextLine]:
    return [TextLine(t, i) for i, t in enumerate(texts, 1)]


REAL_EXPECTED = {
    FIXTURES / "000_0ef24cf9c99c7ecf.txt": {
        "active_disclosed": 95, "applications_received": 3, "review_total": 0, "suit_total": 0,
        "fees_charged_yuan": 0},
    REAL / "001_shanghai_gov_office_2019.html": {
        "applications_received": 859, "applications_handled": 805, "carried_forward": 72,
        "review_total": 7, "suit_total": 9,
        # 予以公开及部分公开258件…不予公开35件；因本机关不掌握等原因无法提供265件；不予处理158件；其他处理0件
        "results_granted_partial": 258, "results_denied": 35, "results_unable": 265,
        "results_rejected": 158, "results_other": 0},
    REAL / "002_shuyang_county_2025.md": {
        "active_disclosed": 4511, "applications_received": 749, "applications_handled": 718,
        "carried_forward": 31, "review_suit_total": 74, "fees_charged_yuan": 380},
    REAL / "006_huaian_hongze_district_2023.txt": {
        "active_disclosed": 1136, "applications_received": 21, "fees_charged_yuan": 0},
    REAL / "007_huaian_hongze_district_2024.txt": {
        "active_disclosed": 2428, "applications_received": 17, "fees_charged_yuan": 0},
    # the 2019 平潭 prose states no application count (受理各类群众诉求259起 is not one) and its
    # 2599 条 is 公布, not 主动公开; the 856 条 in its parenthesis is 其他应主动公开政府信息
    REAL / "009_pingtan_2019.txt": {},
    REAL / "011_pingtan_2021.txt": {
        "active_disclosed": 2645, "applications_received": 70, "applications_handled": 69,
        "carried_forward": 1, "fees_charged_yuan": 0},
    REAL / "013_pingtan_2023.txt": {
        "active_disclosed": 13561, "normative_in_force": 393, "normative_issued": 77,
        "applications_received": 81, "applications_handled": 81, "review_total": 2,
        "suit_total": 7, "fees_charged_yuan": 0,
        # 办结依申请公开81件，其中：予以公开及部分公开42件，占51.85%；不予公开5件…
        "results_granted_partial": 42, "results_denied": 5, "results_unable": 31,
        "results_rejected": 1, "results_other": 2},
}


@pytest.mark.parametrize("path", list(REAL_EXPECTED), ids=lambda p: p.name)
def test_real_reports(path):
    src = prose_lines(path)
    found = extract_figures(src)
    assert {f.key: f.value for f in found} == REAL_EXPECTED[path]
    assert len({f.key for f in found}) == len(found)           # one figure per key
    by_line = {tl.line: re.sub(r"\s", "", tl.text) for tl in src}
    for f in found:
        assert f.key in PROSE_FIGURE_KEYS
        line = int(f.source.removeprefix("line "))
        assert line in by_line
        assert f.text and re.sub(r"\s", "", f.text) in "".join(by_line.values())
        if f.value:                                             # a stated number is on its line
            assert str(f.value) in by_line[line] or str(f.value)[:2] in by_line[line]


def test_figures_come_in_text_order():
    found = extract_figures(prose_lines(REAL / "002_shuyang_county_2025.md"))
    lines_ = [int(f.source.split()[1]) for f in found]
    assert lines_ == sorted(lines_)


# ---- phrasings -------------------------------------------------------------------------------

def test_full_width_digits_and_spaces():
    assert figures(lines("2023年，共收到政府信息公开申请１２件。")) == {"applications_received": 12}
    assert figures(lines("全县全年共受理政府信息公开申请 749 件。")) == {"applications_received": 749}
    assert figures(lines("全年主动公开政府信息１，２３４条。")) == {}      # 1,234: not one number
    assert figures(lines("全年主动公开政府信息3.5万条。")) == {"active_disclosed": 35000}


def test_sentence_wrapped_over_lines_keeps_the_number_line():
    found = extract_figures([TextLine("2024年，区政府办代表区政府受理政府", 23),
                             TextLine("信息公开申请17件，均已在法定期限内予以答复。", 24)])
    assert [(f.key, f.value, f.source) for f in found] == [("applications_received", 17, "line 24")]


def test_number_wrapped_over_lines():
    # a PDF wraps inside a number: glue it
    got = extract_figures([TextLine("2019年,我省通过政务公开专栏主动公开政府信息25", 8),
                           TextLine("93条。", 9)])
    assert [(f.key, f.value) for f in got] == [("active_disclosed", 2593)]
    # a page number between the halves is not part of it: take nothing rather than guess
    got = figures([TextLine("全年受理政府信息公开申请1", 1), TextLine("3", 2), TextLine("7件。", 3)])
    assert got == {}
    # a heading on a line of its own stays apart; a paragraph starting with one does not
    got = figures([TextLine("(一)主动公开情况。2019年,我省通过政务公开专栏主动", 8),
                   TextLine("公开政府信息2593条。", 9)])
    assert got == {"active_disclosed": 2593}


def test_fees():
    assert figures(lines("2023年度无收取政府信息处理费情况。")) == {"fees_charged_yuan": 0}
    assert figures(lines("本机关未收取信息处理费。")) == {"fees_charged_yuan": 0}
    assert figures(lines("全年收取信息处理费共计0.038万元。")) == {"fees_charged_yuan": 380}
    assert figures(lines("全年收取政府信息公开信息处理费 1,200 元。")) == {}
    # a regulation about fees is not a fee charged
    assert figures(lines("印发《关于政府信息公开信息处理费收入收缴管理的通知》（财税〔2021〕1号）。")) == {}


def test_review_and_litigation():
    assert figures(lines("行政复议7件、诉讼9件。")) == {"review_total": 7, "suit_total": 9}
    assert figures(lines("因政府信息公开被申请行政复议2件，被提起行政诉讼3件。")) == {
        "review_total": 2, "suit_total": 3}
    # a combined count is not a litigation count
    assert figures(lines("全年复议诉讼案件74件。")) == {"review_suit_total": 74}
    # sub-counts of section 四 outcomes are not the totals
    assert figures(lines("行政复议结果维持3件，未经复议直接起诉2件。")) == {}


def test_handled_and_carried_forward():
    got = figures(lines("本年度共收到70件申请，及时依法依规办结69件，1件结转下年度继续办理。"))
    assert got == {"applications_received": 70, "applications_handled": 69, "carried_forward": 1}
    # 上年度结转 is carried over, not carried forward; 不予处理 is a result, not the handled total
    got = figures(lines("含上年度结转申请18件，不予处理5件。"))
    assert got == {"results_rejected": 5}


def test_percentage_is_not_taken():
    assert figures(lines("2023年，收到政府信息公开申请同比增长15%。")) == {}
    assert figures(lines("主动公开信息占比95%，主动公开信息较多。")) == {}


def test_previous_year_figure_is_not_taken():
    text = lines("2022年受理政府信息公开申请15件，2023年受理政府信息公开申请21件。")
    # two years named equally often: the report year is unknown, so neither figure is taken
    assert figures(text) == {}
    assert {f.key: f.value for f in extract_figures(text, year=2023)} == {"applications_received": 21}
    # the report year is the one the prose names most
    got = figures(lines("2023年，我区工作有序开展。",
                        "较去年受理政府信息公开申请12件有所增加，2023年受理政府信息公开申请20件。",
                        "2023年度无收取信息处理费情况。"))
    assert got == {"applications_received": 20, "fees_charged_yuan": 0}


def test_sub_counts_are_not_taken():
    assert figures(lines("其中，区政府办受理政府信息公开申请5件。")) == {}
    got = figures(lines("共公布政府信息2599条（其中机构职能类信息25条，其他应主动公开政府信息856条）。"))
    assert got == {}
    got = figures(lines("共受理申请20件（其中区政府办受理政府信息公开申请5件）。"))
    assert got == {"applications_received": 20}


def test_first_channel_is_the_main_one():
    found = extract_figures(lines(
        "2023年，街道通过网站主动公开信息95条，通过政务微博主动公开政府信息337条。"))
    assert [(f.key, f.value) for f in found] == [("active_disclosed", 95)]
    assert "337" in found[0].text                       # the other channel stays as text


def test_normative_in_force():
    assert figures(lines("清理并集中发布现行有效行政规范性文件393件，动态更新本年度制发的规范性文件77件。")) == {
        "normative_in_force": 393, "normative_issued": 77}


def test_more_phrasings():
    got = figures(lines("本年度新收政府信息公开申请21件，上年结转3件，办结22件，结转下年度继续办理2件。"))
    assert got == {"applications_received": 21, "applications_handled": 22, "carried_forward": 2}
    assert figures(lines("全年共受理依申请公开12件。")) == {"applications_received": 12}
    assert figures(lines("被申请行政复议1次，被提起行政诉讼2起。")) == {"review_total": 1, "suit_total": 2}
    assert figures(lines("全年累计主动公开1136条信息。")) == {"active_disclosed": 1136}
    assert figures(lines("本年度未产生信息处理费。")) == {"fees_charged_yuan": 0}
    assert figures(lines("信息处理费收入120元。")) == {"fees_charged_yuan": 120}
    # not applications (review requests, letters, a deadline); and reviews the agency 受理s as
    # the review body are not reviews against it
    assert figures(lines("受理行政复议申请3件，受理群众来信12件，收到申请后5个工作日内答复。")) == {}
    assert figures(lines("审理行政诉讼案件4件。")) == {}
    # not disclosure applications
    assert figures(lines("政务服务中心受理行政许可申请3256件。")) == {}
    # a bare 办理N件 far from any mention of applications is some other business
    assert figures(lines("12345热线运行平稳，全年共办理12件。")) == {}
    # not the handled total: result groups (read as such), and other business
    assert figures(lines("不予处理1件，其他处理2件，办理人大代表建议15件。")) == {
        "results_rejected": 1, "results_other": 2}


def test_no_lines_no_figures():
    assert extract_figures([]) == []
