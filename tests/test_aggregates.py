"""Aggregates: totals by year x region (with every ancestor region) x level, all-agency totals,
rates, reports failing each rule — computed by SQL and checked against the cells themselves."""

from __future__ import annotations

import pytest

from conftest import build_warehouse, query, real_item, seed_report, set_cell, truth_report, variant
from etl.template import SECTION3_COLUMN_KEYS


def agg(wh, metric, year, region="(all)", level="(all)"):
    rows = query(wh, f"SELECT value, n_reports FROM aggregates WHERE metric = '{metric}' "
                     f"AND year = {year} AND region_path = '{region}' AND level = '{level}'")
    return rows[0] if rows else None


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("agg")
    street_a = seed_report()
    street_b = set_cell(set_cell(set_cell(variant(seed_report()), "3", "new_received", "commercial", 2),
                                 "3", "new_received", "total", 5), "3", "granted", "total", None)
    for col in SECTION3_COLUMN_KEYS:                       # 乙 leaves 予以公开 blank throughout
        set_cell(street_b, "3", "granted", col, None)
    items = [
        ({"file": "a.txt", "agency_id": "a", "agency": "甲街道", "year": 2023, "level": "street",
          "region_path": "浙江省/杭州市/上城区/甲街道"}, street_a),
        ({"file": "b.txt", "agency_id": "b", "agency": "乙街道", "year": 2023, "level": "street",
          "region_path": "浙江省/杭州市/西湖区/乙街道"}, street_b),
        real_item("006_huaian_hongze_district_2023"),
        real_item("007_huaian_hongze_district_2024"),
        real_item("001_shanghai_gov_office_2019"),
    ]
    return build_warehouse(tmp, items)


def test_applications_by_applicant_type_match_the_cells(wh):
    for applicant in ("natural_person", "commercial", "total"):
        (cells,) = query(wh, f"SELECT sum(value) FROM applications WHERE year = 2023 AND "
                             f"status = 'loaded' AND row_key = 'new_received' AND applicant = '{applicant}'")
        assert agg(wh, f"applications.new_received.{applicant}", 2023)[0] == cells[0]
    # 3 (甲) + 3+2 (乙) + 21 (洪泽) new applications, 5 of them... by 自然人 3+3+21
    assert agg(wh, "applications.new_received.total", 2023) == (29, 3)
    assert agg(wh, "applications.new_received.natural_person", 2023) == (27, 3)


def test_region_rollup_counts_each_report_in_every_ancestor(wh):
    assert agg(wh, "reports", 2023, "浙江省") == (2, 2)
    assert agg(wh, "reports", 2023, "浙江省/杭州市") == (2, 2)
    assert agg(wh, "reports", 2023, "浙江省/杭州市/上城区") == (1, 1)
    assert agg(wh, "reports", 2023, "浙江省", "street") == (2, 2)
    assert agg(wh, "reports", 2023, "(all)", "district") == (1, 1)
    assert agg(wh, "reports", 2023) == (3, 3)                          # all-agency total
    assert agg(wh, "reports", 2023, "江苏省/淮安市", "street") is None


def test_blank_adds_nothing_but_is_counted_out(wh):
    # 乙's 予以公开 row is blank: it adds nothing and n_reports shows that only 2 of the 3
    # reports printed it
    assert agg(wh, "outcome.granted", 2023) == (0, 2)


def test_total_column_blank_falls_back_to_applicant_columns(wh):
    # a printed 总计 wins: 乙's 新收 总计 5 (= 3 + 2)
    assert agg(wh, "applications.new_received.total", 2023, "浙江省/杭州市/西湖区") == (5, 1)
    # 上海 2019 leaves 总计 blank for result rows; 予以公开 = 258 + 12 + 1 + 1 across columns
    granted = truth_report("001_shanghai_gov_office_2019").section3()["granted"]
    assert granted[-1] is None
    assert agg(wh, "outcome.granted", 2019)[0] == sum(v for v in granted[:-1] if v) == 272


def test_outcome_groups_and_rates(wh):
    # 洪泽 2023: 不予公开 = 1 + 1 + 1 (国家秘密, 过程性, 执法案卷); 无法提供 = 10 + 3; handled 21
    assert agg(wh, "outcome_group.denied", 2023, "江苏省")[0] == 3
    assert agg(wh, "outcome_group.unable", 2023, "江苏省")[0] == 13
    assert agg(wh, "rate.unable", 2023, "江苏省")[0] == pytest.approx(13 / 21)


def test_correction_rate_over_concluded_cases(wh):
    # 洪泽 2023 复议: 维持 10, 纠正 1, 其他 0, 尚未审结 0 — but 总计 printed 0: no rate from a
    # total the report gets wrong; 2024 复议 total comes from the cells as printed.
    (rows,) = [query(wh, "SELECT value FROM aggregates WHERE metric = 'rate.correction.review' "
                         "AND year = 2023 AND region_path = '江苏省'")]
    assert rows == []
    r24 = truth_report("007_huaian_hongze_district_2024").section4()
    concluded = r24["review_total"] - r24["review_pending"]
    got = agg(wh, "rate.correction.review", 2024, "江苏省")
    if concluded:
        assert got[0] == pytest.approx(r24["review_corrected"] / concluded)
    else:
        assert got is None


def test_reports_failing_each_rule(wh):
    assert agg(wh, "reports_failing.review_sum", 2023) == (1, 1)       # 洪泽 2023
    assert agg(wh, "reports_failing.review_sum", 2023, "浙江省") is None
    # 乙's extra 商业企业 application is not handled anywhere: identity fails there only
    assert agg(wh, "reports_failing.identity", 2023, "浙江省/杭州市/西湖区") == (1, 1)
    assert agg(wh, "reports_failing.identity", 2023) == (1, 1)
    assert agg(wh, "reports_failing.identity", 2023, "江苏省") is None


def test_each_year_file_is_in_the_order_of_its_sort_keys(wh):
    # the rows are summed and sorted by the ranks of their names (aggregates.sql's sort_key):
    # each file must come out as sorting by the names themselves orders it
    import pyarrow.parquet as pq

    from etl.warehouse import store

    files = store.partition_files(store.Layout.at(wh, create=False).current_snapshot(), "aggregates")
    assert [y for y, _ in files] == [2019, 2023, 2024]
    for year, f in files:
        tbl = pq.read_table(f)
        if year == 2023:        # two provinces, their ancestors, two levels and the '(all)' rows
            assert len(set(tbl.column("region_path").to_pylist())) > 8
            assert len(set(tbl.column("level").to_pylist())) == 3
        assert tbl.equals(store.sort_table("aggregates", tbl)), year
