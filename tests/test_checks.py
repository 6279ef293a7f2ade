"""Validation rules, one test (or more) per rule, on real reports and small variants of them.

Each variant changes exactly what the rule looks at, so each test fails if the rule's SQL stops
catching it (or starts failing a consistent report).
"""

from __future__ import annotations

from conftest import (
    add_prose,
    build_warehouse,
    query,
    real_item,
    seed_report,
    set_cell,
    truth_report,
    variant,
)


def issues(wh, rule=None):
    where = f"WHERE rule = '{rule}'" if rule else ""
    return query(wh, f"SELECT agency, year, rule, expected, actual, delta, cells, formula, severity "
                     f"FROM validation_issues {where} ORDER BY year, rule, cells")


def status(wh, rule, year=None):
    where = f"AND year = {year}" if year else ""
    return sorted(r[0] for r in query(
        wh, f"SELECT status FROM validation_results WHERE rule = '{rule}' {where}"))


def seed_item(rep=None, **m):
    rep = rep if rep is not None else seed_report()
    return {"file": "seed.txt", "agency_id": "nanxing", "agency": "南星街道", "year": 2023,
            "region_path": "浙江省/杭州市/上城区/南星街道", "level": "street", **m}, rep


# --- the real inconsistencies, and nothing false on consistent reports --------------------------

def test_real_reports_only_real_inconsistencies(tmp_path):
    """All real samples together (with the prose figures their notes quote): the issues are
    exactly the documented ones."""
    r006 = truth_report("006_huaian_hongze_district_2023")
    add_prose(r006, "applications_received", 21)
    r007 = add_prose(truth_report("007_huaian_hongze_district_2024"), "applications_received", 17,
                     "区政府办代表区政府受理政府信息公开申请17件")
    r011 = truth_report("011_pingtan_2021")
    for k, v in (("applications_received", 70), ("applications_handled", 69), ("carried_forward", 1)):
        add_prose(r011, k, v)
    r013 = add_prose(truth_report("013_pingtan_2023"), "normative_in_force", 393,
                     "集中发布现行有效行政规范性文件393件")
    r002 = truth_report("002_shuyang_county_2025")
    for k, v in (("applications_received", 749), ("applications_handled", 718), ("carried_forward", 31)):
        add_prose(r002, k, v)
    items = [real_item("001_shanghai_gov_office_2019"), real_item("002_shuyang_county_2025", r002),
             real_item("006_huaian_hongze_district_2023", r006),
             real_item("007_huaian_hongze_district_2024", r007), real_item("009_pingtan_2019"),
             real_item("011_pingtan_2021", r011), real_item("013_pingtan_2023", r013),
             seed_item()]
    wh = build_warehouse(tmp_path, items)
    got = sorted((a, y, rule, d) for a, y, rule, _, _, d, *_ in issues(wh))
    assert got == sorted([
        ("淮安市洪泽区人民政府", 2023, "review_sum", -5),       # 复议后起诉 维持5, 总计 0
        ("淮安市洪泽区人民政府", 2023, "review_sum", -11),      # 复议 维持10 + 纠正1, 总计 0
        ("淮安市洪泽区人民政府", 2024, "prose_vs_table", -78),  # prose 17 vs table 95
        ("平潭综合实验区（管委会）", 2023, "prose_vs_table", -77),  # prose 393 vs 现行有效 470
    ])


# --- identity ----------------------------------------------------------------------------------

def test_identity_fails_with_cells_and_delta(tmp_path):
    rep = set_cell(truth_report("006_huaian_hongze_district_2023"), "3", "new_received",
                   "natural_person", 22)
    wh = build_warehouse(tmp_path, [real_item("006_huaian_hongze_district_2023", rep)])
    (row,) = issues(wh, "identity")
    _, _, _, expected, actual, delta, cells, formula, severity = row
    assert (expected, actual, delta) == (22, 21, -1)
    assert "new_received.natural_person=22" in cells and "carried_forward.natural_person=0" in cells
    assert formula.startswith("new_received.natural_person + carried_over.natural_person")
    assert severity == "error"


def test_identity_blank_participant_is_not_assessable_not_zero(tmp_path):
    rep = set_cell(seed_report(), "3", "carried_over", "natural_person", None)
    wh = build_warehouse(tmp_path, [seed_item(rep)])
    assert issues(wh, "identity") == []
    assert status(wh, "identity") == ["not_assessable"]


# --- results_sum -------------------------------------------------------------------------------

def test_results_sum_fails_when_a_result_row_changes(tmp_path):
    rep = set_cell(seed_report(), "3", "granted", "total", 2)       # total column only
    wh = build_warehouse(tmp_path, [seed_item(rep)])
    (row,) = issues(wh, "results_sum")
    assert row[3:6] == (5, 3, -2)                                 # expected sum 5, total 3
    assert "total.total=3" in row[6]


def test_results_sum_ignores_rows_the_old_form_does_not_print(tmp_path):
    """洪泽 2023 prints the single 其他处理 row on a 2021 report: the absent sub-rows don't count."""
    wh = build_warehouse(tmp_path, [real_item("006_huaian_hongze_district_2023")])
    assert status(wh, "results_sum") == ["passed"]


# --- row_total ---------------------------------------------------------------------------------

def test_row_total_blank_total_column_is_not_assessable(tmp_path):
    """上海 2019 leaves 总计 blank for the result rows: not assessable, not failed."""
    wh = build_warehouse(tmp_path, [real_item("001_shanghai_gov_office_2019")])
    assert issues(wh, "row_total") == []
    (reason,) = query(wh, "SELECT reason FROM validation_results WHERE rule = 'row_total'")[0:1]
    assert "row granted: 总计 is blank" in reason[0]


def test_row_total_fails_on_a_wrong_total(tmp_path):
    rep = set_cell(seed_report(), "3", "unable_not_held", "total", 4)
    wh = build_warehouse(tmp_path, [seed_item(rep)])
    rows = issues(wh, "row_total")
    assert [(r[3], r[4], r[5]) for r in rows] == [(3, 4, 1)]
    assert rows[0][6].startswith("unable_not_held.total=4; natural_person=3")


# --- review_sum --------------------------------------------------------------------------------

def test_review_sum_consistent_report_passes(tmp_path):
    wh = build_warehouse(tmp_path, [real_item("007_huaian_hongze_district_2024")])
    assert status(wh, "review_sum") == ["passed"]


def test_review_sum_fails_per_group(tmp_path):
    rep = set_cell(seed_report(), "4", "suit_direct", "upheld", 2)
    wh = build_warehouse(tmp_path, [seed_item(rep)])
    (row,) = issues(wh, "review_sum")
    assert row[3:6] == (2, 0, -2)
    assert row[7] == ("suit_direct_total = suit_direct_upheld + suit_direct_corrected + "
                      "suit_direct_other + suit_direct_pending")


# --- prose_vs_table ----------------------------------------------------------------------------

def test_prose_received_may_count_carried_over(tmp_path):
    """受理 sometimes counts new + carried over: both readings pass, anything else fails."""
    base = set_cell(seed_report(), "3", "carried_over", "total", 2)
    ok_new = add_prose(variant(base), "applications_received", 3)
    ok_both = add_prose(variant(base), "applications_received", 5)
    bad = add_prose(variant(base), "applications_received", 4)
    wh = build_warehouse(tmp_path, [seed_item(ok_new, file="a.txt", agency_id="a"),
                                    seed_item(ok_both, file="b.txt", agency_id="b"),
                                    seed_item(bad, file="c.txt", agency_id="c")])
    rows = query(wh, "SELECT agency_id, expected, actual, delta FROM validation_issues "
                     "WHERE rule = 'prose_vs_table'")
    assert rows == [("c", 3, 4, 1)]


def test_prose_against_blank_cell_is_not_assessable(tmp_path):
    rep = add_prose(set_cell(seed_report(), "4", "review", "total", None), "review_total", 1)
    wh = build_warehouse(tmp_path, [seed_item(rep)])
    assert issues(wh, "prose_vs_table") == []
    assert status(wh, "prose_vs_table") == ["not_assessable"]


def test_prose_suit_total_is_direct_plus_after_review(tmp_path):
    rep = set_cell(seed_report(), "4", "suit_direct", "total", 2)
    rep = set_cell(rep, "4", "suit_after_review", "total", 1)
    wh = build_warehouse(tmp_path, [seed_item(add_prose(variant(rep), "suit_total", 3), file="a"),
                                    seed_item(add_prose(variant(rep), "suit_total", 2), file="b",
                                              agency_id="other")])
    rows = query(wh, "SELECT agency_id, expected, actual FROM validation_issues "
                     "WHERE rule = 'prose_vs_table'")
    assert rows == [("other", 3, 2)]


# --- template_year -----------------------------------------------------------------------------

def test_template_year(tmp_path):
    wrong = variant(seed_report())
    wrong.template = "2019"                                    # a 2023 report on the 2019 form
    wh = build_warehouse(tmp_path, [seed_item(), seed_item(wrong, file="w.txt", agency_id="w")])
    rows = query(wh, "SELECT agency_id, expected, actual FROM validation_issues "
                     "WHERE rule = 'template_year'")
    assert rows == [("w", 2021, 2019)]


# --- carry_chain -------------------------------------------------------------------------------

def test_carry_chain_across_years(tmp_path):
    """洪泽 2023 -> 2024 (matched by agency_id): holds as printed; a changed 上年结转 fails on the
    report of the later year."""
    r24 = set_cell(truth_report("007_huaian_hongze_district_2024"), "3", "carried_over",
                   "natural_person", 3)
    wh = build_warehouse(tmp_path, [real_item("006_huaian_hongze_district_2023"),
                                    real_item("007_huaian_hongze_district_2024", r24)])
    rows = query(wh, "SELECT year, expected, actual, delta, cells FROM validation_issues "
                     "WHERE rule = 'carry_chain'")
    assert [r[:4] for r in rows] == [(2024, 0, 3, 3)]
    assert "carried_forward.natural_person(2023)=0" in rows[0][4]


def test_carry_chain_holds_on_real_pair(tmp_path):
    wh = build_warehouse(tmp_path, [real_item("006_huaian_hongze_district_2023"),
                                    real_item("007_huaian_hongze_district_2024")])
    assert status(wh, "carry_chain", 2024) == ["passed"]
    assert status(wh, "carry_chain", 2023) == ["not_assessable"]     # no 2022 report


def test_carry_chain_unidentified_agency_is_not_assessable(tmp_path):
    a = variant(seed_report())
    b = set_cell(variant(seed_report()), "3", "carried_over", "total", 9)
    b.year = 2024
    a.agency = b.agency = None
    wh = build_warehouse(tmp_path, [({"file": "a.txt", "year": 2023}, a),
                                    ({"file": "b.txt", "year": 2024}, b)])
    assert issues(wh, "carry_chain") == []
    assert status(wh, "carry_chain") == ["not_assessable", "not_assessable"]


def test_carry_chain_matches_by_normalized_name_without_ids(tmp_path):
    a = variant(seed_report())
    b = set_cell(variant(seed_report()), "3", "carried_over", "natural_person", 2)
    b.agency = "南星 街道"                            # printed with a space: same agency
    wh = build_warehouse(tmp_path, [({"file": "a.txt", "year": 2023}, a),
                                    ({"file": "b.txt", "year": 2024}, b)])
    assert [r[5] for r in issues(wh, "carry_chain")] == [2]


# --- in_force_chain ----------------------------------------------------------------------------

def test_in_force_chain_real_pair_passes_and_variant_warns(tmp_path):
    # 洪泽: 2023 现行有效 5; 2024 制发 3, 废止 0, 现行有效 8 = 5 + 3 - 0
    ok = build_warehouse(tmp_path, [real_item("006_huaian_hongze_district_2023"),
                                    real_item("007_huaian_hongze_district_2024")], "ok")
    assert status(ok, "in_force_chain", 2024) == ["passed"]
    r24 = set_cell(truth_report("007_huaian_hongze_district_2024"), "2", "normative_documents",
                   "in_force", 10)
    bad = build_warehouse(tmp_path, [real_item("006_huaian_hongze_district_2023"),
                                     real_item("007_huaian_hongze_district_2024", r24)], "bad")
    (row,) = issues(bad, "in_force_chain")
    assert (row[1], row[3], row[4], row[5], row[8]) == (2024, 8, 10, 2, "warning")


# --- missing_section ---------------------------------------------------------------------------

def test_missing_section(tmp_path):
    rep = variant(seed_report())
    rep.cells = [c for c in rep.cells if c.section != "4"]
    wh = build_warehouse(tmp_path, [seed_item(), seed_item(rep, file="m.txt", agency_id="m")])
    rows = query(wh, "SELECT agency_id, message FROM validation_issues WHERE rule = 'missing_section'")
    assert rows == [("m", "section 四 (review and litigation) is missing")]


# --- duplicate_report --------------------------------------------------------------------------

def test_duplicate_keeps_latest_published(tmp_path):
    first = variant(seed_report())
    corrected = set_cell(variant(seed_report()), "3", "granted", "natural_person", 0)
    wh = build_warehouse(tmp_path, [
        seed_item(corrected, file="b_corrected.txt", published="2024-02-01"),
        seed_item(first, file="z_first.txt", published="2024-01-15"),
    ])
    rows = query(wh, "SELECT source_file, status, error_reason FROM reports ORDER BY source_file")
    assert rows == [("b_corrected.txt", "loaded", None),
                    ("z_first.txt", "superseded", "duplicate_report")]
    (issue,) = query(wh, "SELECT source_file, severity FROM validation_issues "
                         "WHERE rule = 'duplicate_report'")
    assert issue == ("z_first.txt", "warning")
    # the superseded copy is not validated by the other rules
    assert query(wh, "SELECT DISTINCT rule FROM validation_results "
                     "WHERE source_file = 'z_first.txt'") == [("duplicate_report",)]


def test_prose_review_and_suits_counted_together(tmp_path):
    """沭阳 2025: 复议诉讼案件74件 = 复议 61 + 直接起诉 3 + 复议后起诉 10."""
    ok = add_prose(truth_report("002_shuyang_county_2025"), "review_suit_total", 74)
    bad = add_prose(truth_report("002_shuyang_county_2025"), "review_suit_total", 61)
    wh = build_warehouse(tmp_path, [real_item("002_shuyang_county_2025", ok),
                                    real_item("002_shuyang_county_2025", bad, file="b.txt",
                                              agency_id="other")])
    rows = query(wh, "SELECT agency_id, expected, actual, delta FROM validation_issues "
                     "WHERE rule = 'prose_vs_table'")
    assert rows == [("other", 74, 61, -13)]


def _run_together(rep, category: str, raw: str):
    """The crawler dump's section 二 row: its cells printed as one digit run, left unknown."""
    for c in rep.cells:
        if c.section == "2" and c.row == category:
            c.value, c.raw, c.state, c.note = None, raw, "unknown", "21 splits possible"
    return rep


def test_prose_vs_digit_run_no_split_gives_the_figure(tmp_path):
    """平潭 2023: prose 现行有效 393; the dump prints 制发|废止|现行有效 as "77132470" (the page:
    77 | 132 | 470).  The parser can't split it, but no split puts 393 last: a sure failure.
    470 is a possible split: not assessable.  A run too short to split: not assessable."""
    def rep(said, raw="77132470"):
        r = _run_together(truth_report("013_pingtan_2023"), "normative_documents", raw)
        return add_prose(r, "normative_in_force", said)

    wh = build_warehouse(tmp_path, [
        real_item("013_pingtan_2023", rep(393), file="a.txt", agency_id="a"),
        real_item("013_pingtan_2023", rep(470), file="b.txt", agency_id="b"),
        real_item("013_pingtan_2023", rep(393, raw="77"), file="c.txt", agency_id="c"),
    ])
    rows = query(wh, "SELECT agency_id, expected, actual, delta, cells FROM validation_issues "
                     "WHERE rule = 'prose_vs_table'")
    assert [r[:4] for r in rows] == [("a", None, 393, None)]
    assert 'unknown (digits run together: "77132470", 3 cells)' in rows[0][4]
    assert query(wh, "SELECT agency_id, status FROM validation_results WHERE rule = "
                     "'prose_vs_table' AND agency_id IN ('b', 'c') ORDER BY 1") == \
        [("b", "not_assessable"), ("c", "not_assessable")]


def _section4_run(rep, raw: str, unknown_items: tuple[str, ...]):
    """A crawler dump's section 四: all 15 cells printed as one run; the groups in
    ``unknown_items`` left unknown, the others inferred (digit i of the run)."""
    for c in rep.cells:
        if c.section == "4":
            c.raw = raw
            if c.row in unknown_items:
                c.value, c.state = None, "unknown"
            else:
                c.state = "inferred"
    return rep


def test_prose_vs_section4_run_counts_every_cell_of_the_run(tmp_path):
    """"000030000000000" (15 digits, 15 cells): the review group breaks review_sum so the parser
    leaves it unknown while the suits are inferred.  review_total is the run's 5th cell, so the
    prose's 3 is a possible split (not assessable) and 4 is not (a sure failure)."""
    def rep(said):
        r = _section4_run(truth_report("013_pingtan_2023"), "000030000000000", ("review",))
        for c in r.cells:
            if c.section == "4" and c.row != "review":
                c.value = 0
        return add_prose(r, "review_total", said)

    wh = build_warehouse(tmp_path, [
        real_item("013_pingtan_2023", rep(3), file="a.txt", agency_id="a"),
        real_item("013_pingtan_2023", rep(4), file="b.txt", agency_id="b"),
    ])
    assert query(wh, "SELECT agency_id, status FROM validation_results WHERE rule = "
                     "'prose_vs_table' ORDER BY 1") == [("a", "not_assessable"), ("b", "failed")]
