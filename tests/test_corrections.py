"""Corrections: an office fixes a printed cell without touching the source file; the original is
kept beside it, the checks run on the corrected table, a correction made for an older version of
the report is listed as stale, and bad lines are named while the rest applies."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import make_raw, nightly_flow, query

pytestmark = pytest.mark.flow

HEADER = "report_id,agency_id,agency,year,table,row,column,value,reason,who,when\n"


def run(raw, wh, corrections):
    state = nightly_flow().nightly(raw=str(raw), warehouse=str(wh), corrections=str(corrections),
                                   return_state=True)
    assert state.is_completed(), state.message
    return state.result()


def published(tmp_path: Path) -> tuple[Path, Path, Path]:
    """The fixture's raw folder, a warehouse published from it, an empty corrections folder."""
    raw = make_raw(tmp_path)
    wh, fixes = tmp_path / "wh", tmp_path / "corrections"
    fixes.mkdir()
    run(raw, wh, fixes)
    return raw, wh, fixes


def test_corrections_apply_keep_the_original_and_rerun_the_checks(prefect_harness, tmp_path):
    raw, wh, fixes = published(tmp_path)
    (rid,) = query(wh, "SELECT report_id FROM reports WHERE agency_id = 'hongze' AND year = 2023")[0]
    assert ("review_sum", -11) in query(wh, "SELECT rule, delta FROM validation_issues "
                                            "WHERE agency_id = 'hongze' AND year = 2023")
    # 洪泽 2023 prints 行政复议 总计 0 although 10 + 1 were upheld/corrected
    (fixes / "a.csv").write_text(
        HEADER
        + f"{rid},,,,review_litigation,review,total,11,总计漏填,张三,2025-02-01\n"
        + ",hongze,,2023,applications,no_such_row,total,1,x,李四,\n"          # line 3: bad cell
        + ",hongze,,2023,applications,new_received,total,abc,x,李四,\n"       # line 4: not a number
        + ",nobody,,2023,applications,new_received,total,1,x,李四,\n",        # line 5: no report
        "utf-8")
    s = run(raw, wh, fixes)
    assert s["years_rebuilt"] == [0, 2023]          # 0: the lines that name no report
    assert query(wh, "SELECT value, state, original_value, original_state FROM review_litigation "
                     "WHERE report_id = ? AND key = 'review_total'".replace("?", f"'{rid}'")) == \
        [(11, "corrected", 0, "number")]
    issues = query(wh, "SELECT rule, delta FROM validation_issues WHERE agency_id = 'hongze' AND year = 2023")
    assert ("review_sum", -11) not in issues and ("review_sum", -5) in issues
    rows = query(wh, "SELECT line, status, original_value, message FROM corrections ORDER BY line")
    assert rows[0][:3] == (2, "applied", 0.0)
    assert [(r[0], r[1]) for r in rows[1:]] == [(3, "invalid"), (4, "invalid"), (5, "invalid")]
    assert "a.csv line 3" in rows[1][3] and "no_such_row" in rows[1][3]
    assert "not a number" in rows[2][3] and "no loaded report" in rows[3][3]


def test_a_correction_for_an_older_version_is_stale(prefect_harness, tmp_path):
    raw, wh, fixes = published(tmp_path)
    (rid,) = query(wh, "SELECT report_id FROM reports WHERE agency_id = 'hongze' AND year = 2024")[0]
    (fixes / "a.csv").write_text(
        HEADER + f"{rid},hongze,,2024,applications,new_received,total,95,复核,张三,2025-02-01\n", "utf-8")
    run(raw, wh, fixes)
    assert query(wh, "SELECT status FROM corrections") == [("applied",)]
    p = raw / "007_huaian_hongze_district_2024.txt"          # the agency republishes its report
    p.write_text(p.read_text("utf-8").replace("信息公开申请17件", "信息公开申请95件"), "utf-8")
    run(raw, wh, fixes)
    (status, message), = query(wh, "SELECT status, message FROM corrections")
    assert status == "stale" and rid in message and "changed since" in message
    assert query(wh, "SELECT count(*) FROM applications WHERE state = 'corrected'") == [(0,)]


def test_etl_correct_records_the_report_it_was_made_for(prefect_harness, tmp_path):
    raw = make_raw(tmp_path)
    wh, fixes = tmp_path / "wh", tmp_path / "corrections"
    run(raw, wh, fixes)
    etl = Path(sys.executable).parent / "etl"
    args = [str(etl), "correct", "--warehouse", str(wh), "--folder", str(fixes),
            "--agency-id", "nanxing", "--year", "2023", "--table", "applications",
            "--row", "new_received", "--column", "commercial", "--reason", "补正", "--who", "王五"]
    r = subprocess.run(args + ["--value", "2"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    (rid,) = query(wh, "SELECT report_id FROM reports WHERE agency_id = 'nanxing'")[0]
    text = (fixes / "corrections.csv").read_text("utf-8")
    assert rid in text and "补正" in text and "王五" in text
    bad = subprocess.run(args + ["--value", "-1"], capture_output=True, text=True)
    assert bad.returncode == 2 and "whole number" in bad.stderr
    run(raw, wh, fixes)
    assert query(wh, "SELECT value, state FROM applications WHERE agency_id = 'nanxing' AND "
                     "row_key = 'new_received' AND applicant = 'commercial'") == [(2, "corrected")]
    # the correction makes row_total fail (总计 3 ≠ 3 + 2): the checks read the corrected table
    assert ("row_total",) in query(wh, "SELECT rule FROM validation_issues WHERE agency_id = 'nanxing'")
